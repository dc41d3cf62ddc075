/* addr.c - splitting a listen address, "host:port" or "[v6]:port". */
#include "util/addr.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int vaddr_split(const char *addr, char **host, int *port)
{
    const char *colon, *h = addr, *end;
    char *stop;
    long p;

    if (addr == NULL)
        return -1;
    if (addr[0] == '[') {
        h = addr + 1;
        end = strchr(h, ']');
        if (end == NULL || end[1] != ':')
            return -1;
        colon = end + 1;
    } else {
        colon = strrchr(addr, ':');
        if (colon == NULL || memchr(addr, ':', (size_t)(colon - addr)))
            return -1; /* a bare IPv6 address needs brackets */
        end = colon;
    }
    if (end == h || colon[1] == '\0')
        return -1;
    errno = 0;
    p = strtol(colon + 1, &stop, 10);
    if (errno || *stop != '\0' || p < 0 || p > 65535)
        return -1;
    if ((*host = strndup(h, (size_t)(end - h))) == NULL)
        return -1;
    *port = (int)p;
    return 0;
}
