/* base64url.h - base64url without padding (RFC 4648 section 5), the
 * encoding of every part of a JWS and of the numbers in a JWK. */
#ifndef VITALS_BASE64URL_H
#define VITALS_BASE64URL_H

#include <stddef.h>

/* The 6-bit value of base64url character c, or -1 when c is not one. */
int vb64url_value(unsigned char c);

/* Decodes unpadded base64url s[0..len) into *out, a new buffer of
 * *out_len bytes. Text that is not the canonical spelling of some bytes
 * (4n+1 characters, or bits set past the last byte) is refused, so a
 * signature has exactly one spelling. 0, EINVAL or ENOMEM. */
int vb64url_decode(const char *s, size_t len, unsigned char **out,
                   size_t *out_len);

#endif
