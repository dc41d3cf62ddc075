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
    const struct vhistory *history; /* the read side (store/query.h), or
                                       NULL */
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
    char *name; /* the FileDescriptorName= of its systemd socket, or NULL */
    int fd; /* a listening socket handed over (socket activation), served
               instead of binding address; owned; -1: none */
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
/* Moves *l to the end of a[0..n) and frees l; VITALS_ENOMEM leaves l
 * as it was. */
int vlisten_append(vlisten_t **a, size_t *n, vlisten_t *l);
void vlisten_free(vlisten_t *a, size_t n);
/* Names l (systemd's FileDescriptorName=: 1-255 printable ASCII
 * characters, no ':'). 0; VITALS_EINVAL or VITALS_ENOMEM. */
int vlisten_set_name(vlisten_t *l, const char *name);
/* Binds a listening socket for addr; -1 with a reason in *why. */
int vlisten_bind(const char *addr, const char **why);
/* The socket to serve l on: bound now, or a copy of the one handed over
 * (the instance keeps its own, so that it can start again); -1 with a
 * reason in *why. */
int vlisten_socket(const vlisten_t *l, const char **why);
int vlisten_port(int fd);
/* The entry of a[0..n) without a socket yet that fd (a listening stream
 * socket) stands for: the one named name, else the one whose address is
 * the one fd is bound to. Its index, or -1 when none. */
long vlisten_match(const vlisten_t *a, size_t n, int fd, const char *name);

typedef struct vserver vserver_t;

/* Binds and starts every HTTP listener of listen[0..n) (those of
 * another kind are left to listen/kind.h) with routes (a new
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
/* The port of the i-th HTTP listener. */
int vserver_port(const vserver_t *s, size_t i);

#endif
