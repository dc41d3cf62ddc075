/* duration.h - durations written the way the configuration writes them. */
#ifndef VITALS_DURATION_H
#define VITALS_DURATION_H

#include <stddef.h>
#include <stdint.h>

/* Formats ms in the largest unit that divides it ("30s", "1500ms", "2m",
 * "1d"). Returns buf. */
char *vitals_format_duration(int64_t ms, char *buf, size_t len);

#endif
