/* addr.c - the host:port parser of addr.h. Callers parse at configure
 * time, so that a typo is a configuration error with a position rather
 * than a failure at run time. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* strndup */
#endif

#include "util/addr.h"

#include <stdlib.h>
#include <string.h>

/* Where the host of s starts and ends, and the port's digits; -1 when s
 * has neither shape. */
static int split(const char *s, const char **h, const char **hend,
                 const char **p)
{
    if (s[0] == '[') {
        *h = s + 1;
        *hend = strchr(*h, ']');
        if (!*hend || (*hend)[1] != ':' ||
            !memchr(*h, ':', (size_t)(*hend - *h)))
            return -1;
        *p = *hend + 2;
    } else {
        *h = s;
        *hend = strchr(s, ':');
        if (!*hend || strchr(*hend + 1, ':'))
            return -1;
        *p = *hend + 1;
    }
    return *hend == *h ? -1 : 0;
}

static int host_ok(const char *h, const char *hend)
{
    for (const char *c = h; c < hend; c++) {
        if ((unsigned char)*c <= ' ' || *c == 0x7f || *c == '[' ||
            *c == ']' || *c == '/')
            return 0;
    }
    return 1;
}

/* 1-5 digits within [lo, 65535] into *port. 0, or -1. */
static int port_ok(const char *p, unsigned long lo, int *port)
{
    unsigned long n = 0;
    size_t i;

    for (i = 0; p[i]; i++) {
        if (i == 5 || p[i] < '0' || p[i] > '9')
            return -1;
        n = n * 10 + (unsigned long)(p[i] - '0');
    }
    if (i == 0 || n < lo || n > 65535)
        return -1;
    *port = (int)n;
    return 0;
}

int vaddr_parse(const char *s, vaddr_flavour_t flavour, char **host,
                int *port)
{
    const char *h, *hend, *p;
    int n;

    if (!s || split(s, &h, &hend, &p) != 0 || !host_ok(h, hend) ||
        port_ok(p, flavour == VADDR_LISTEN ? 0 : 1, &n) != 0)
        return -1;
    if (!(*host = strndup(h, (size_t)(hend - h))))
        return -2;
    *port = n;
    return 0;
}
