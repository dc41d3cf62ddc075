/* text.h - making untrusted text (a plugin's output, a pushed report, a
 * header) safe for a log line or a line of text: control characters
 * escaped, so that one message stays one line and cannot paint a
 * terminal or forge a log entry. */
#ifndef VITALS_TEXT_H
#define VITALS_TEXT_H

#include <stddef.h>

/* Copies src into dst (cap bytes, always NUL-terminated when cap > 0) with
 * every control character (below 0x20, and 0x7f) written as \n, \r, \t or
 * \xNN, and a backslash kept as it is. Stops before an escape that would
 * not fit. Returns the length written. UTF-8 passes through unchanged. */
size_t vtext_escape(char *dst, size_t cap, const char *src);

#endif
