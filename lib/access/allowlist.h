/* allowlist.h - the client IP allow list of the health endpoints (seed 000's
 * MOSPARO_HEALTH_ALLOW_LIST, access.health_allow_list in the configuration).
 *
 * Text: IPv4/IPv6 addresses and CIDR ranges separated by commas or newlines
 * (LF, CR or CRLF). Unlike mosparo:
 *   - spaces and tabs around an entry are trimmed ("10.0.0.1, 10.0.0.2"
 *     means two addresses, not a second entry that never matches);
 *   - addresses are compared as addresses, not strings (::1 equals
 *     0:0:0:0:0:0:0:1);
 *   - an IPv4-mapped IPv6 client (::ffff:10.1.2.3, as a dual-stack socket
 *     reports IPv4 peers) is the IPv4 client 10.1.2.3, and an IPv4-mapped
 *     entry (::ffff:10.0.0.0/104) is the IPv4 entry 10.0.0.0/8, so what is
 *     allowed does not depend on how the listener was bound.
 * Empty entries (",,", a trailing comma, blank lines) are skipped. A list
 * with no entries at all allows everyone, as mosparo's empty list does.
 *
 * A parsed list is immutable: any number of threads may match against it.
 */
#ifndef VITALS_ALLOWLIST_H
#define VITALS_ALLOWLIST_H

#include <sys/socket.h>

typedef struct vallow vallow_t;

/* Parses text (borrowed; NULL is the same as ""). Returns a new list, free
 * with vallow_free. On a bad entry returns NULL and, when err is not NULL,
 * sets *err to a new message to free(), e.g.
 *   invalid address or CIDR range "10.0.0.0/33" (entry 2)
 * where entries are counted from 1, skipping empty ones. Out of memory:
 * NULL with *err set to NULL. */
vallow_t *vallow_parse(const char *text, char **err);

/* 1 when the client at sa is allowed, 0 when not. An empty list allows
 * every client (sa may then be anything, even NULL); otherwise only
 * AF_INET and AF_INET6 clients can match. The IPv6 scope id is ignored.
 * A NULL list (a failed parse) allows no one: a broken list fails closed. */
int vallow_match(const vallow_t *a, const struct sockaddr *sa);

/* 1 when the list has no entries (it allows everyone); 0 for NULL. */
int vallow_is_empty(const vallow_t *a);

void vallow_free(vallow_t *a);

#endif
