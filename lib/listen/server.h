/* server.h - the HTTP server's own types, shared by http.c (listeners and
 * connections) and request.c (one request, from routing to the bytes). */
#ifndef VITALS_SERVER_H
#define VITALS_SERVER_H

#include <microhttpd.h>
#include <pthread.h>
#include <stdatomic.h>

#include "listen/http.h"
#include "listen/watch.h"

typedef struct vlistener {
    struct vserver *server;
    struct MHD_Daemon *mhd;
    int fd;
    int port;
    char *address;
    /* Only the listener's own thread touches these. */
    vitals_snapshot_t *snap;
    vroutes_t *routes;
    uint64_t routes_gen;
} vlistener_t;

struct vserver {
    vsource_t src;
    vlistener_t *l;
    size_t n;
    atomic_int in_flight;
    uint64_t boot_id;
    vwatch_t *watch;
    vlimits_t limits; /* as at start: listeners are not rebuilt on reload */
    pthread_mutex_t routes_lock; /* only for swapping and taking routes */
    vroutes_t *routes;
    atomic_uint_fast64_t routes_gen;
    vstats_t stats; /* responses by output and status, for /metrics */
};

/* Per-request state, made by the URI logger (which sees the raw URI, query
 * included, before anything else) and freed when the request ends. */
typedef struct vcreq {
    size_t uri_len;
    size_t head_len; /* request line and headers, as received */
    int uri_nul;     /* the raw URI holds "%00" */
    int started;
    char *body;
    size_t body_len;
    int body_too_large;
    int64_t t0;
} vcreq_t;

void vserver_log(vserver_t *s, vitals_log_level_t level, const char *fmt,
                 ...) VITALS_PRINTF(3, 4);
/* The listener's current snapshot and routes, refreshed when newer ones
 * are out: the common case costs two atomic loads. */
vitals_snapshot_t *vlistener_snapshot(vlistener_t *l);
vroutes_t *vlistener_routes(vlistener_t *l);
/* Refuses a request from its head alone, before any body is read: the
 * error body with status and why, and the connection closed after it
 * (request.c). */
enum MHD_Result vrequest_refuse(vlistener_t *l, struct MHD_Connection *conn,
                                const char *url, const char *method,
                                vcreq_t *cr, unsigned status,
                                const char *why);
/* Answers a request whose head and body are in (request.c). */
enum MHD_Result vrequest_dispatch(vlistener_t *l, struct MHD_Connection *conn,
                                  const char *url, const char *method,
                                  vcreq_t *cr);

#endif
