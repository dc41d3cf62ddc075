/* server.h - the HTTP side of an instance: listeners (libmicrohttpd), one
 * serving thread each, routing to formats. */
#ifndef VITALS_SERVER_H
#define VITALS_SERVER_H

#include "../engine.h"

/* Binds and starts every address in v->listen. VITALS_ELISTEN (logged with
 * the address and reason) when one cannot be bound. */
int vserver_start(vitals_t *v);
/* Stops accepting, waits up to grace_ms for requests in flight, stops. */
void vserver_stop(vitals_t *v, int64_t grace_ms);
int vserver_port(const vitals_t *v, size_t i);

/* Splits "host:port" or "[v6]:port" into host (new string) and port.
 * 0 or -1. */
int vaddr_split(const char *addr, char **host, int *port);

#endif
