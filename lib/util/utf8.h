/* utf8.h - UTF-8 validation and repair. JSON strings must be valid UTF-8,
 * and checks report whatever their plugins, locales and devices print. */
#ifndef VITALS_UTF8_H
#define VITALS_UTF8_H

#include <stddef.h>

/* The length of the valid UTF-8 sequence at p (1-4), or 0 when the bytes
 * there are not one (RFC 3629: no overlong forms, no surrogates, nothing
 * above U+10FFFF). n is the bytes available. */
size_t vutf8_seq(const unsigned char *p, size_t n);
/* 1 when s[0..n) is valid UTF-8. */
int vutf8_valid(const char *s, size_t n);
/* A new string: s[0..n) with each byte that is not valid UTF-8 replaced by
 * U+FFFD, and with controls (when controls is 1) replaced by spaces. NULL
 * when out of memory. */
char *vutf8_clean(const char *s, size_t n, int controls);

#endif
