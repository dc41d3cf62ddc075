/* text.c - escaping control characters in untrusted text for logs and
 * text bodies. */
#include "util/text.h"

#include <stdio.h>
#include <string.h>

/* The escape for c, into esc (5 bytes); its length, 0 for a plain byte. */
static size_t escape_of(unsigned char c, char *esc)
{
    if (c >= 0x20 && c != 0x7f)
        return 0;
    switch (c) {
    case '\n':
        memcpy(esc, "\\n", 3);
        return 2;
    case '\r':
        memcpy(esc, "\\r", 3);
        return 2;
    case '\t':
        memcpy(esc, "\\t", 3);
        return 2;
    default:
        snprintf(esc, 5, "\\x%02x", c);
        return 4;
    }
}

size_t vtext_escape(char *dst, size_t cap, const char *src)
{
    size_t len = 0;

    if (cap == 0)
        return 0;
    for (; *src != '\0'; src++) {
        char esc[5];
        size_t n = escape_of((unsigned char)*src, esc);

        if (n == 0) {
            if (len + 1 >= cap)
                break;
            dst[len++] = *src;
            continue;
        }
        if (len + n >= cap)
            break;
        memcpy(dst + len, esc, n);
        len += n;
    }
    dst[len] = '\0';
    return len;
}
