/* http.h - the HTTP(S) listeners (libmicrohttpd), one serving thread
 * each. A server reads snapshots from a source and routes requests to
 * outputs; it never sees the engine or the instance. */
#ifndef VITALS_HTTP_H
#define VITALS_HTTP_H

#include <stddef.h>
#include <stdint.h>

#include "listen/routes.h"
#include "snapshot.h"

struct MHD_Daemon;

/* Query arguments a request may carry and still be answered at once; one
 * with more waits for the read timeout (see pool_bytes in http.c). */
#define VSERVER_MAX_QUERY_ARGS 128

/* Where a server gets what it serves: the current snapshot (a new
 * reference), a cheap generation counter to tell when it changed, a log,
 * and the actions a request may take. All called from listener threads. */
typedef struct vsource {
    vitals_snapshot_t *(*snapshot)(void *ctx);
    uint64_t (*generation)(void *ctx);
    void (*log)(void *ctx, vitals_log_level_t level, const char *msg);
    vactions_t act;
    void *ctx;
    /* Calls fn(snapshot, data) after every publication, starting with the
     * current one, until unsubscribed; fn only hands the snapshot on (see
     * vengine_subscribe). 0, or VITALS_ENOMEM. */
    int (*subscribe)(void *ctx, void (*fn)(vitals_snapshot_t *s, void *data),
                     void *data);
    void (*unsubscribe)(void *ctx,
                        void (*fn)(vitals_snapshot_t *s, void *data),
                        void *data);
} vsource_t;

struct vlistener_kind;

/* A listener: an address, and for HTTPS the certificate and key (PEM).
 * Listeners of another kind than HTTP (listen/kind.h) carry their own
 * settings. */
typedef struct vlisten {
    char *address;
    char *cert_pem, *key_pem; /* NULL for plain HTTP */
    const struct vlistener_kind *kind; /* NULL: HTTP */
    void *conf;         /* the kind's settings (owned), or NULL */
    char *fingerprint;  /* how it was configured, to tell a change */
} vlisten_t;

/* listeners.c */
int vlisten_add(vlisten_t **a, size_t *n, const char *address,
                const char *cert_pem, const char *key_pem);
/* The same for a listener of kind (NULL: HTTP), taking conf (freed with
 * the kind's settings table, also on failure); fingerprint borrowed. */
int vlisten_add_kind(vlisten_t **a, size_t *n, const char *address,
                     const char *cert_pem, const char *key_pem,
                     const struct vlistener_kind *kind, void *conf,
                     const char *fingerprint);
void vlisten_free(vlisten_t *a, size_t n);
/* Binds a listening socket for addr; -1 with a reason in *why. */
int vlisten_bind(const char *addr, const char **why);
int vlisten_port(int fd);

typedef struct vserver vserver_t;

/* Binds and starts every listener of listen[0..n) with routes (a new
 * reference is taken; its limits apply for the server's life). src is
 * copied. NULL with *rc set (VITALS_ELISTEN, logged with the address and
 * reason, when one cannot be bound). */
vserver_t *vserver_start(const vsource_t *src, vroutes_t *routes,
                         const vlisten_t *listen, size_t n, int *rc);
/* One listener that has no socket (MHD_USE_NO_LISTEN_SOCKET):
 * connections reach it only through MHD_add_connection on the daemon
 * vserver_daemon returns. The fuzzer (fuzz/) feeds raw requests through
 * socketpairs this way, so the whole request path runs without a port. */
vserver_t *vserver_start_unbound(const vsource_t *src, vroutes_t *routes);
struct MHD_Daemon *vserver_daemon(vserver_t *s);
/* Serves with routes from the next request on (a new reference). */
void vserver_set_routes(vserver_t *s, vroutes_t *routes);
/* Stops accepting, waits up to grace_ms for requests in flight, stops,
 * frees. NULL is fine. */
void vserver_stop(vserver_t *s, int64_t grace_ms);
int vserver_port(const vserver_t *s, size_t i);

#endif
