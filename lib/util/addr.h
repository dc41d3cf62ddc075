/* addr.h - the one parser of "host:port" and "[v6]:port": for addresses
 * to listen on (listen:, vitals_listen) and for peers that check types
 * connect to (tcp, tls, redis). */
#ifndef VITALS_ADDR_H
#define VITALS_ADDR_H

/* What the address is for: the flavours differ only in the ports they
 * take. */
typedef enum {
    VADDR_PEER = 0,   /* a peer to connect to: port 1-65535 */
    VADDR_LISTEN = 1, /* an address to bind: port 0-65535, 0 being any
                       * free port the system picks */
} vaddr_flavour_t;

/* Splits s, "host:port" or "[v6]:port", into *host (a new string, without
 * the brackets) and *port. The host is not empty and has no spaces,
 * controls, '/', '[' or ']'; a host with ':' must be in brackets, and only
 * such a host may be; the port is 1-5 digits. Returns 0; -1 when s is not
 * such an address (or the port is out of the flavour's range); -2 when out
 * of memory. Nothing is allocated unless it returns 0. */
int vaddr_parse(const char *s, vaddr_flavour_t flavour, char **host,
                int *port);

#endif
