/* buf.c - the growable byte buffer of buf.h. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* vasprintf */
#endif

#include "util/buf.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Most buffers hold a line or a small document: start small, double. */
#define FIRST_CAP 256

/* Room for need bytes plus the terminator. 0, or -1 out of memory. */
static int reserve(vbuf_t *b, size_t need)
{
    size_t cap = b->cap != 0 ? b->cap : FIRST_CAP;
    char *p;

    if (need >= SIZE_MAX / 2)
        return -1;
    if (need + 1 <= b->cap)
        return 0;
    while (cap < need + 1)
        cap *= 2;
    if ((p = realloc(b->data, cap)) == NULL)
        return -1;
    b->data = p;
    b->cap = cap;
    return 0;
}

int vbuf_add(vbuf_t *b, const void *p, size_t n)
{
    size_t keep = n;
    int rc = 0;

    if (b->oom)
        return -1;
    if (b->max != 0 && n > b->max - b->len) {
        keep = b->max - b->len;
        b->full = 1;
        rc = -2;
    }
    if (keep == 0)
        return rc;
    if (reserve(b, b->len + keep) != 0) {
        b->oom = 1;
        return -1;
    }
    memcpy(b->data + b->len, p, keep);
    b->len += keep;
    b->data[b->len] = '\0';
    return rc;
}

int vbuf_str(vbuf_t *b, const char *s)
{
    return vbuf_add(b, s, strlen(s));
}

int vbuf_printf(vbuf_t *b, const char *fmt, ...)
{
    va_list ap;
    char *s = NULL;
    int n, rc;

    if (b->oom)
        return -1;
    va_start(ap, fmt);
    n = vasprintf(&s, fmt, ap);
    va_end(ap);
    if (n < 0) {
        b->oom = 1;
        return -1;
    }
    rc = vbuf_add(b, s, (size_t)n);
    free(s);
    return rc;
}

char *vbuf_take(vbuf_t *b, size_t *len)
{
    char *data = b->oom ? NULL : b->data;
    size_t max = b->max;

    if (len != NULL)
        *len = data != NULL ? b->len : 0;
    if (data == NULL)
        free(b->data);
    memset(b, 0, sizeof(*b));
    b->max = max;
    return data;
}

void vbuf_clear(vbuf_t *b)
{
    size_t max;

    if (b == NULL)
        return;
    max = b->max;
    free(b->data);
    memset(b, 0, sizeof(*b));
    b->max = max;
}
