/* http.c - the HTTP(S) listeners, with libmicrohttpd: one per address,
 * each with its own polling thread, and the life of their connections.
 * A request takes a reference to the current snapshot and routes, and is
 * answered by request.c: no check runs, no JSON is built per request. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "listen/rules.h"
#include "listen/server.h"
#include "util/clock.h"

void vserver_log(vserver_t *s, vitals_log_level_t level, const char *fmt, ...)
{
    char buf[1024];
    va_list ap;

    if (s->src.log == NULL)
        return;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    s->src.log(s->src.ctx, level, buf);
}

vitals_snapshot_t *vlistener_snapshot(vlistener_t *l)
{
    vserver_t *s = l->server;
    uint64_t gen = s->src.generation(s->src.ctx);

    if (l->snap == NULL || l->snap->generation != gen) {
        vitals_snapshot_release(l->snap);
        l->snap = s->src.snapshot(s->src.ctx);
    }
    return l->snap;
}

vroutes_t *vlistener_routes(vlistener_t *l)
{
    vserver_t *s = l->server;
    uint64_t gen = atomic_load_explicit(&s->routes_gen, memory_order_acquire);

    if (l->routes == NULL || l->routes_gen != gen) {
        pthread_mutex_lock(&s->routes_lock);
        vroutes_unref(l->routes);
        l->routes = vroutes_ref(s->routes);
        l->routes_gen = atomic_load(&s->routes_gen);
        pthread_mutex_unlock(&s->routes_lock);
    }
    return l->routes;
}

/* What the server keeps per connection: its entry in the watch, and the
 * request it is reading. libmicrohttpd calls the completion callback only
 * for requests that reached the handler; one whose connection closes
 * while its head is still arriving (a client gone, the watch closing a
 * trickler) is freed when the connection closes. */
typedef struct vconn {
    vwatched_t *watched;
    vcreq_t *pending;
} vconn_t;

#define MAX_BODY (1u << 20)

static enum MHD_Result gather_framing(void *cls, enum MHD_ValueKind kind,
                                      const char *key, size_t key_size,
                                      const char *value, size_t value_size)
{
    (void)kind;
    vrule_framing_add(cls, key, key_size, value ? value : "",
                      value ? value_size : 0);
    return MHD_YES;
}

/* What a request's head alone refuses, before any of its body is read (so
 * that no "100 Continue" invites a body that will be refused): a status
 * with *why, or 0. */
static unsigned refuse_head(struct MHD_Connection *conn, const char *version,
                            const vcreq_t *cr, const char **why)
{
    vframing_t f = {0};
    const char *cl;

    f.http11 = version != NULL &&
               strcmp(version, MHD_HTTP_VERSION_1_1) == 0;
    MHD_get_connection_values_n(conn, MHD_HEADER_KIND, gather_framing, &f);
    if ((*why = vrule_framing_verdict(&f)) != NULL)
        return 400;
    if (cr->uri_nul) {
        *why = "The request URI holds an encoded NUL (%00)";
        return 400;
    }
    /* libmicrohttpd answered a Content-Length it could not read itself
     * (this handler is not called then), so this one is digits. */
    cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
                                     MHD_HTTP_HEADER_CONTENT_LENGTH);
    if (cl != NULL && strtoull(cl, NULL, 10) > MAX_BODY) {
        *why = "The request body is larger than 1 MiB";
        return 413;
    }
    return 0;
}

/* The connection's entry in the watch, or NULL. */
static vwatched_t *watched(struct MHD_Connection *conn)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);

    return ci != NULL && ci->socket_context != NULL
               ? ((vconn_t *)ci->socket_context)->watched
               : NULL;
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *conn,
                              const char *url, const char *method,
                              const char *version, const char *upload,
                              size_t *upload_size, void **con_cls)
{
    vlistener_t *l = cls;
    vcreq_t *cr = *con_cls;
    const char *why = NULL;
    unsigned status;

    if (cr == NULL)
        return MHD_NO;
    if (!cr->started) {
        const union MHD_ConnectionInfo *ci = MHD_get_connection_info(
            conn, MHD_CONNECTION_INFO_REQUEST_HEADER_SIZE);

        cr->head_len = ci ? ci->header_size : 0;
        cr->started = 1;
        /* A refusal is queued at once, and closes the connection. */
        if ((status = refuse_head(conn, version, cr, &why)) != 0)
            return vrequest_refuse(l, conn, url, method, cr, status, why);
        /* Answer on a later call: queueing a response on the first makes
         * libmicrohttpd drop keep-alive. */
        return MHD_YES;
    }
    if (*upload_size != 0) {
        if (cr->body_len + *upload_size > MAX_BODY) {
            cr->body_too_large = 1;
        } else {
            char *grown = realloc(cr->body, cr->body_len + *upload_size + 1);

            if (grown == NULL)
                return MHD_NO;
            memcpy(grown + cr->body_len, upload, *upload_size);
            cr->body = grown;
            cr->body_len += *upload_size;
            cr->body[cr->body_len] = '\0';
        }
        *upload_size = 0;
        return MHD_YES;
    }
    /* The whole request is in: the read timeout stops for the answer. */
    vwatch_busy(l->server->watch, watched(conn));
    return vrequest_dispatch(cls, conn, url, method, cr);
}

static vconn_t *conn_context(struct MHD_Connection *conn)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);

    return ci != NULL ? ci->socket_context : NULL;
}

static void request_free(vlistener_t *l, vcreq_t *cr)
{
    atomic_fetch_sub(&l->server->in_flight, 1);
    free(cr->body);
    free(cr);
}

static void *uri_logger(void *cls, const char *uri,
                        struct MHD_Connection *conn)
{
    vlistener_t *l = cls;
    vcreq_t *cr = calloc(1, sizeof(*cr));
    vconn_t *vc = conn_context(conn);

    if (cr == NULL)
        return NULL;
    cr->uri_len = strlen(uri);
    cr->uri_nul = vrule_uri_has_nul(uri);
    /* Only the access log reads the start time: no clock read without it. */
    if (vlistener_routes(l) != NULL && l->routes->access_log)
        cr->t0 = vclock_mono(&vclock_system);
    atomic_fetch_add(&l->server->in_flight, 1);
    if (vc != NULL)
        vc->pending = cr;
    return cr;
}

static void completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                      enum MHD_RequestTerminationCode code)
{
    vlistener_t *l = cls;
    vcreq_t *cr = *con_cls;
    vconn_t *vc = conn_context(conn);

    (void)code;
    if (cr != NULL) {
        if (vc != NULL) { /* keep-alive: the clock runs for the next one */
            vc->pending = NULL;
            vwatch_idle(l->server->watch, vc->watched);
        }
        request_free(l, cr);
    }
    *con_cls = NULL;
}

static void connection_event(void *cls, struct MHD_Connection *conn,
                             void **socket_context,
                             enum MHD_ConnectionNotificationCode code)
{
    vlistener_t *l = cls;
    const union MHD_ConnectionInfo *ci;
    vconn_t *vc;

    if (code == MHD_CONNECTION_NOTIFY_STARTED) {
        ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
        if ((vc = calloc(1, sizeof(*vc))) != NULL && ci != NULL)
            vc->watched = vwatch_add(l->server->watch, ci->connect_fd);
        *socket_context = vc;
        return;
    }
    if ((vc = *socket_context) == NULL)
        return;
    vwatch_remove(l->server->watch, vc->watched);
    if (vc->pending != NULL)
        request_free(l, vc->pending);
    free(vc);
    *socket_context = NULL;
}

static void free_server(vserver_t *s)
{
    for (size_t i = 0; i < s->n; i++) {
        vitals_snapshot_release(s->l[i].snap);
        vroutes_unref(s->l[i].routes);
        free(s->l[i].address);
    }
    vroutes_unref(s->routes);
    pthread_mutex_destroy(&s->routes_lock);
    free(s->l);
    free(s);
}

/* Connections a listener accepts beyond max_connections, for the watch to
 * close the longest-idle ones (see watch.h). */
#define LISTENER_SLACK 16

/* What one query argument costs libmicrohttpd (a record of about 32
 * bytes), per byte of URI: "a&" is the densest spelling. */
/* The memory pool of a connection. libmicrohttpd reads the request head
 * into the first half and keeps a record (about 32 bytes) per header and
 * per query argument, then the response headers, in the second. Room for a
 * head a little over max_header_bytes (refused with 431 and our error
 * body), the response headers, and VSERVER_MAX_QUERY_ARGS arguments. When
 * a query has more arguments than fit, libmicrohttpd 0.9.75 neither answers
 * nor closes (fuzz_request found it): the watch closes that connection at
 * read_timeout. Room for every argument a 2048-byte URI can hold would cost
 * about 116 KiB per connection instead of about 24 KiB, for requests no
 * health client sends (our endpoints take at most 16 tags or 64 excludes). */
static size_t pool_bytes(const vlimits_t *lim)
{
    return 2 * ((size_t)lim->max_header_bytes + 2048 +
                VSERVER_MAX_QUERY_ARGS * 32);
}

/* Starts one listener on conf's address, or, with conf NULL, one without
 * a socket (see vserver_start_unbound). */
static int start_listener(vserver_t *s, vlistener_t *l, const vlisten_t *conf)
{
    const char *addr = conf ? conf->address : "(no socket)";
    const vlimits_t *lim;
    const char *why = NULL;
    /* ITC lets MHD_quiesce_daemon stop the accept loop from outside. */
    unsigned flags =
        MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ITC;

    l->fd = -1;
    if ((l->address = strdup(addr)) == NULL)
        return VITALS_ENOMEM;
    if (conf == NULL)
        flags |= MHD_USE_NO_LISTEN_SOCKET;
    else if ((l->fd = vlisten_socket(conf, &why)) < 0) {
        vserver_log(s, VITALS_LOG_ERROR, "cannot listen on %s: %s", addr, why);
        return VITALS_ELISTEN;
    }
    l->port = conf ? vlisten_port(l->fd) : 0;
    lim = &l->server->limits;
    struct MHD_OptionItem opts[] = {
        {MHD_OPTION_LISTEN_SOCKET, l->fd, NULL},
        {MHD_OPTION_NOTIFY_COMPLETED, (intptr_t)completed, l},
        {MHD_OPTION_NOTIFY_CONNECTION, (intptr_t)connection_event, l},
        {MHD_OPTION_URI_LOG_CALLBACK, (intptr_t)uri_logger, l},
        {MHD_OPTION_CONNECTION_TIMEOUT, lim->read_timeout_ms / 1000, NULL},
        /* The watch keeps the total within max_connections, evicting the
         * longest-idle to admit a new client: each listener must accept
         * past the total for that, and stop only well beyond it. */
        {MHD_OPTION_CONNECTION_LIMIT, lim->max_connections + LISTENER_SLACK,
         NULL},
        {MHD_OPTION_PER_IP_CONNECTION_LIMIT, lim->max_connections_per_ip,
         NULL},
        {MHD_OPTION_CONNECTION_MEMORY_LIMIT, (intptr_t)pool_bytes(lim),
         NULL},
        {MHD_OPTION_END, 0, NULL}, /* room for the two TLS options */
        {MHD_OPTION_END, 0, NULL},
        {MHD_OPTION_END, 0, NULL},
    };

    if (conf != NULL && conf->cert_pem != NULL) {
        flags |= MHD_USE_TLS;
        opts[8] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_CERT, 0,
                                          conf->cert_pem};
        opts[9] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_KEY, 0,
                                          conf->key_pem};
    }
    /* Without a socket, opts[0] (the socket) is left out. */
    l->mhd = MHD_start_daemon(flags, 0, NULL, NULL, handle, l,
                              MHD_OPTION_ARRAY, conf ? opts : opts + 1,
                              MHD_OPTION_END);
    if (l->mhd == NULL) {
        vserver_log(s, VITALS_LOG_ERROR, "cannot serve on %s", addr);
        if (l->fd >= 0)
            close(l->fd);
        l->fd = -1;
        return VITALS_ELISTEN;
    }
    vserver_log(s, VITALS_LOG_INFO, "listening on %s (port %d%s%s)", addr,
                l->port, conf && conf->cert_pem ? ", https" : "",
                conf && conf->fd >= 0 ? ", socket handed over" : "");
    return VITALS_OK;
}

/* Starts n listeners: listen[0..n), or, when listen is NULL, one without
 * a socket. */
static vserver_t *start(const vsource_t *src, vroutes_t *routes,
                        const vlisten_t *listen, size_t n, int *rc)
{
    vserver_t *s = calloc(1, sizeof(*s));

    *rc = VITALS_ENOMEM;
    if (s == NULL || (n > 0 && (s->l = calloc(n, sizeof(*s->l))) == NULL)) {
        free(s);
        return NULL;
    }
    s->src = *src;
    s->boot_id = (uint64_t)vclock_real(&vclock_system);
    pthread_mutex_init(&s->routes_lock, NULL);
    s->routes = vroutes_ref(routes);
    atomic_init(&s->routes_gen, 1);
    s->limits = routes->limits;
    if ((s->watch = vwatch_start(s->limits.read_timeout_ms,
                                 s->limits.max_connections)) == NULL) {
        *rc = VITALS_ESYS;
        vserver_stop(s, 0);
        return NULL;
    }
    *rc = VITALS_OK;
    for (size_t i = 0; i < n && *rc == VITALS_OK; i++) {
        if (listen != NULL && listen[i].kind != NULL)
            continue; /* another kind: not libmicrohttpd's */
        s->l[s->n].server = s;
        *rc = start_listener(s, &s->l[s->n++], listen ? &listen[i] : NULL);
    }
    if (*rc != VITALS_OK) {
        vserver_stop(s, 0);
        return NULL;
    }
    return s;
}

vserver_t *vserver_start(const vsource_t *src, vroutes_t *routes,
                         const vlisten_t *listen, size_t n, int *rc)
{
    return start(src, routes, listen, n, rc);
}

vserver_t *vserver_start_unbound(const vsource_t *src, vroutes_t *routes)
{
    int rc;

    return start(src, routes, NULL, 1, &rc);
}

struct MHD_Daemon *vserver_daemon(vserver_t *s)
{
    return s != NULL && s->n > 0 ? s->l[0].mhd : NULL;
}

void vserver_set_routes(vserver_t *s, vroutes_t *routes)
{
    vroutes_t *old;

    pthread_mutex_lock(&s->routes_lock);
    old = s->routes;
    s->routes = vroutes_ref(routes);
    atomic_fetch_add_explicit(&s->routes_gen, 1, memory_order_release);
    pthread_mutex_unlock(&s->routes_lock);
    vroutes_unref(old);
}

void vserver_stop(vserver_t *s, int64_t grace_ms)
{
    int64_t until;

    if (s == NULL)
        return;
    /* Stop accepting first, then give requests in flight time to finish. */
    for (size_t i = 0; i < s->n; i++) {
        if (s->l[i].mhd == NULL)
            continue;
        int fd = MHD_quiesce_daemon(s->l[i].mhd);
        if (fd >= 0)
            close(fd);
    }
    until = vclock_mono(&vclock_system) + grace_ms * VCLOCK_MS;
    while (atomic_load(&s->in_flight) > 0 &&
           vclock_mono(&vclock_system) < until)
        usleep(1000);
    for (size_t i = 0; i < s->n; i++)
        if (s->l[i].mhd != NULL)
            MHD_stop_daemon(s->l[i].mhd);
    vwatch_stop(s->watch); /* after the listeners: they report to it */
    free_server(s);
}

int vserver_port(const vserver_t *s, size_t i)
{
    if (s == NULL || i >= s->n)
        return -1;
    return s->l[i].port;
}
