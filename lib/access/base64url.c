/* base64url.c - the base64url decoder of base64url.h. */
#include "access/base64url.h"

#include <errno.h>
#include <stdlib.h>

int vb64url_value(unsigned char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '-')
        return 62;
    if (c == '_')
        return 63;
    return -1;
}

int vb64url_decode(const char *s, size_t len, unsigned char **out,
                   size_t *out_len)
{
    unsigned char *buf;
    unsigned acc = 0, bits = 0;
    size_t o = 0;

    if (len % 4 == 1)
        return EINVAL;
    if ((buf = malloc(len / 4 * 3 + 3)) == NULL)
        return ENOMEM;
    for (size_t i = 0; i < len; i++) {
        int v = vb64url_value((unsigned char)s[i]);

        if (v < 0) {
            free(buf);
            return EINVAL;
        }
        acc = (acc << 6) | (unsigned)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            buf[o++] = (unsigned char)(acc >> bits);
            acc &= (1u << bits) - 1;
        }
    }
    if (acc != 0) {
        free(buf);
        return EINVAL;
    }
    *out = buf;
    *out_len = o;
    return 0;
}
