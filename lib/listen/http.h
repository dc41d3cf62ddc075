/* server.h - the HTTP side of an instance: listeners (libmicrohttpd), one
 * serving thread each, routing to formats. */
#ifndef VITALS_SERVER_H
#define VITALS_SERVER_H

#include "engine/engine.h"

struct MHD_Daemon;

/* Query arguments a request may carry and still be answered at once; one
 * with more waits for the read timeout (see pool_bytes in server.c). */
#define VSERVER_MAX_QUERY_ARGS 128

/* Binds and starts every address in v->listen. VITALS_ELISTEN (logged with
 * the address and reason) when one cannot be bound. */
int vserver_start(vitals_t *v);
/* Serves v, in place of its listen addresses, on one daemon that has no
 * socket (MHD_USE_NO_LISTEN_SOCKET): connections reach it only through
 * MHD_add_connection on the daemon returned. The fuzzer (fuzz/) feeds raw
 * requests through socketpairs this way, so the whole request path runs
 * without a port. NULL when it cannot start or v is served already. Stop
 * it with vserver_stop. */
struct MHD_Daemon *vserver_start_unbound(vitals_t *v);
/* Stops accepting, waits up to grace_ms for requests in flight, stops. */
void vserver_stop(vitals_t *v, int64_t grace_ms);
int vserver_port(const vitals_t *v, size_t i);

#endif
