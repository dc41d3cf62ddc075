/* resolve.h - name resolution that gives up at a deadline, for the check
 * types that look names up (tcp, dns). */
#ifndef VITALS_RESOLVE_H
#define VITALS_RESOLVE_H

#include <netdb.h>
#include <stddef.h>
#include <stdint.h>

/* What vresolve found. Every outcome but VRESOLVE_OK leaves a reason in err
 * (getaddrinfo's text, "timed out after N ms" or "out of memory"). */
typedef enum {
    VRESOLVE_OK = 0,
    VRESOLVE_ERROR = -1,   /* no such name, no server answered, ... */
    VRESOLVE_NODATA = -2,  /* the name has no address of that family */
    VRESOLVE_TIMEOUT = -3, /* no answer within timeout_ms */
} vresolve_status_t;

/* Resolves host (a name or a literal address) for TCP: family AF_UNSPEC,
 * AF_INET or AF_INET6; port is digits or NULL. On VRESOLVE_OK, *out is a
 * new list for freeaddrinfo.
 *
 * getaddrinfo cannot be interrupted, so a name is looked up in a thread that
 * this call waits for at most timeout_ms; a lookup still going then is left
 * to finish on its own and its answer is dropped. Literal addresses are
 * answered at once, without a thread. */
vresolve_status_t vresolve(const char *host, const char *port, int family,
                           int64_t timeout_ms, struct addrinfo **out,
                           char *err, size_t errlen);

/* The function that looks names up: getaddrinfo. Only tests change it (to
 * a resolver that hangs, say), and only while no lookup is running. */
extern int (*vresolve_getaddrinfo)(const char *host, const char *port,
                                   const struct addrinfo *hints,
                                   struct addrinfo **res);

#endif
