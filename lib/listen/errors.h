/* errors.h - the error body every 4xx/5xx uses (seed 003):
 * {"errors":[{"code","level","message","description"}]}. */
#ifndef VITALS_HTTP_ERRORS_H
#define VITALS_HTTP_ERRORS_H

#include <stddef.h>

/* The body for an HTTP status, with description as its "description" (new
 * string, free()). NULL when out of memory. */
char *verror_body(unsigned status, const char *description, size_t *len);

#endif
