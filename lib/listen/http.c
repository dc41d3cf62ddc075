/* server.c - serves an instance's snapshots over HTTP with libmicrohttpd:
 * one listener per address, each with its own polling thread. A request
 * routes, takes a reference to the current snapshot and sends a body that
 * was rendered once for that snapshot: no check runs, no JSON is built per
 * request. */
#include "listen/http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "outputs/format.h"
#include "snapshot.h"
#include "access/access.h"
#include "outputs/output.h"
#include "listen/errors.h"
#include "listen/rules.h"
#include "listen/watch.h"
#include "util/addr.h"

typedef struct vlistener {
    struct vserver *server;
    struct MHD_Daemon *mhd;
    int fd;
    int port;
    char *address;
    /* Only the listener's own thread touches these. */
    vitals_snapshot_t *snap;
} vlistener_t;

struct vserver {
    vitals_t *v;
    vlistener_t *l;
    size_t n;
    atomic_int in_flight;
    uint64_t boot_id;
    vwatch_t *watch;
    vlimits_t limits; /* as at start: listeners are not rebuilt on reload */
};

/* Binds a listening socket for addr; -1 with a reason in why. */
static int bind_address(const char *addr, const char **why)
{
    struct addrinfo hints = {0}, *res = NULL;
    char *host = NULL, port_s[8];
    int port, fd = -1, one = 1, rc;

    *why = "expected host:port or [v6]:port";
    if (vaddr_parse(addr, VADDR_LISTEN, &host, &port) != 0)
        return -1;
    snprintf(port_s, sizeof(port_s), "%d", port);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE;
    rc = getaddrinfo(host, port_s, &hints, &res);
    free(host);
    if (rc != 0) {
        *why = gai_strerror(rc);
        return -1;
    }
    fd = socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        goto sys_fail;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (res->ai_family == AF_INET6)
        setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
    if (bind(fd, res->ai_addr, res->ai_addrlen) != 0 || listen(fd, 1024) != 0)
        goto sys_fail;
    freeaddrinfo(res);
    return fd;
sys_fail:
    *why = strerror(errno);
    if (fd >= 0)
        close(fd);
    freeaddrinfo(res);
    return -1;
}

static int bound_port(int fd)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof(ss);

    if (getsockname(fd, (struct sockaddr *)&ss, &len) != 0)
        return -1;
    if (ss.ss_family == AF_INET6)
        return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
    return ntohs(((struct sockaddr_in *)&ss)->sin_port);
}

/* The listener's current snapshot, refreshed when a newer one is out:
 * the common case costs one atomic load. */
static vitals_snapshot_t *current(vlistener_t *l)
{
    vitals_t *v = l->server->v;
    uint64_t gen = atomic_load_explicit(&v->snap_gen, memory_order_acquire);

    if (l->snap == NULL || l->snap->generation != gen) {
        vitals_snapshot_release(l->snap);
        l->snap = vitals_snapshot_get(v);
    }
    return l->snap;
}

/* Per-request state, made by the URI logger (which sees the raw URI, query
 * included, before anything else) and freed when the request ends. */
typedef struct vcreq {
    size_t uri_len;
    size_t head_len; /* request line and headers, as received */
    int started;
    char *body;
    size_t body_len;
    int body_too_large;
    int64_t t0;
} vcreq_t;

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

typedef struct {
    const char *key;
    const char **vals;
    size_t max, n;
} vquery_t;

static enum MHD_Result collect_query(void *cls, enum MHD_ValueKind kind,
                                     const char *key, const char *value)
{
    vquery_t *q = cls;

    (void)kind;
    if (key == NULL || strcmp(key, q->key) != 0)
        return MHD_YES;
    if (q->n < q->max && q->vals != NULL)
        q->vals[q->n] = value ? value : "";
    q->n++;
    return MHD_YES;
}

size_t vreq_query(const vreq_t *r, const char *key, const char **vals,
                  size_t max)
{
    vquery_t q = {key, vals, max, 0};

    MHD_get_connection_values(r->impl, MHD_GET_ARGUMENT_KIND, collect_query,
                              &q);
    return q.n;
}

const char *vreq_header(const vreq_t *r, const char *name)
{
    return MHD_lookup_connection_value(r->impl, MHD_HEADER_KIND, name);
}

void vreq_cached(vreq_t *r, vans_t *ans, const char *key, vrender_fn render,
                 void *arg)
{
    int owned = 0;
    vbody_t *b = vsnap_body(r->snap, key, render, arg, &owned);

    if (b == NULL)
        return vans_error(ans, 500, "Could not render the response");
    if (owned)
        ans->owned = b;
    else
        ans->cached = b;
}

void vans_error(vans_t *ans, unsigned status, const char *description)
{
    ans->status = status;
    ans->error = description;
}

void vans_errorf(vans_t *ans, unsigned status, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(ans->msg, sizeof(ans->msg), fmt, ap);
    va_end(ap);
    vans_error(ans, status, ans->msg);
}

static const char *header(struct MHD_Connection *conn, const char *name)
{
    return MHD_lookup_connection_value(conn, MHD_HEADER_KIND, name);
}

/* Cache-Control, and the valid trace headers echoed. */
static void add_common_headers(struct MHD_Response *resp,
                               struct MHD_Connection *conn)
{
    const char *tp = header(conn, "traceparent");

    MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    for (size_t i = 0; i < VRULE_NB3; i++) {
        const char *v = header(conn, vrule_b3_headers[i]);

        if (v != NULL && vrule_b3_valid(vrule_b3_headers[i], v))
            MHD_add_response_header(resp, vrule_b3_headers[i], v);
    }
    if (tp != NULL && vrule_traceparent_valid(tp))
        MHD_add_response_header(resp, "traceparent", tp);
}

static void release_snapshot(void *cls)
{
    vitals_snapshot_release(cls);
}

static void free_body(void *cls)
{
    vbody_free(cls);
}

typedef struct {
    unsigned status;
    size_t bytes;
} vsent_t;

static enum MHD_Result queue(struct MHD_Connection *conn,
                             struct MHD_Response *resp, unsigned status,
                             vsent_t *sent, size_t bytes)
{
    enum MHD_Result rc;

    add_common_headers(resp, conn);
    rc = MHD_queue_response(conn, status, resp);
    MHD_destroy_response(resp);
    sent->status = status;
    sent->bytes = bytes;
    return rc;
}

static enum MHD_Result send_error(struct MHD_Connection *conn,
                                  unsigned status, const char *description,
                                  const vans_t *ans, vsent_t *sent)
{
    size_t len = 0;
    char *body = verror_body(status, description, &len);
    struct MHD_Response *resp;

    if (body == NULL)
        return MHD_NO;
    resp = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
    if (resp == NULL) {
        free(body);
        return MHD_NO;
    }
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
                            "application/json");
    if (ans != NULL && ans->allow != NULL)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, ans->allow);
    if (ans != NULL && ans->authenticate != NULL)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_WWW_AUTHENTICATE,
                                ans->authenticate);
    if (ans != NULL && ans->retry_after > 0) {
        char secs[24];

        snprintf(secs, sizeof(secs), "%d", ans->retry_after);
        MHD_add_response_header(resp, MHD_HTTP_HEADER_RETRY_AFTER, secs);
    }
    return queue(conn, resp, status, sent, len);
}

static enum MHD_Result send_empty(struct MHD_Connection *conn,
                                  unsigned status, const char *etag,
                                  vsent_t *sent)
{
    struct MHD_Response *resp =
        MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);

    if (resp == NULL)
        return MHD_NO;
    if (etag != NULL)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_ETAG, etag);
    return queue(conn, resp, status, sent, 0);
}

/* "<boot>-<generation>": a snapshot's bodies never change, and the boot
 * part keeps a restarted daemon's tags from matching old ones. */
static void make_etag(const vlistener_t *l, const vitals_snapshot_t *s,
                      char *buf, size_t len)
{
    snprintf(buf, len, "\"%llx-%llx\"",
             (unsigned long long)l->server->boot_id,
             (unsigned long long)s->generation);
}

static int etag_matches(const char *inm, const char *etag)
{
    return inm != NULL && (strcmp(inm, "*") == 0 || strstr(inm, etag));
}

static enum MHD_Result send_answer(vlistener_t *l,
                                   struct MHD_Connection *conn,
                                   const vreq_t *r, vans_t *ans,
                                   vsent_t *sent)
{
    const vbody_t *b = ans->cached ? ans->cached : ans->owned;
    struct MHD_Response *resp;
    char etag[64];

    if (ans->error != NULL)
        return send_error(conn, ans->status, ans->error, ans, sent);
    if (b == NULL) /* a JSON-RPC call of notifications only */
        return send_empty(conn, 204, NULL, sent);
    if (ans->cached != NULL && !ans->no_etag) {
        make_etag(l, r->snap, etag, sizeof(etag));
        if (etag_matches(header(conn, MHD_HTTP_HEADER_IF_NONE_MATCH), etag))
            return send_empty(conn, 304, etag, sent);
    }
    if (ans->owned != NULL) {
        resp = MHD_create_response_from_buffer_with_free_callback_cls(
            b->len, b->data, free_body, ans->owned);
        if (resp != NULL)
            ans->owned = NULL; /* libmicrohttpd frees it now */
    } else {
        /* Keep the snapshot alive until libmicrohttpd sent its bytes. */
        resp = MHD_create_response_from_buffer_with_free_callback_cls(
            b->len, b->data, release_snapshot, vsnap_ref(r->snap));
        if (resp == NULL)
            vitals_snapshot_release(r->snap);
    }
    if (resp == NULL)
        return MHD_NO;
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
                            ans->content_type);
    if (ans->cached != NULL && !ans->no_etag)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_ETAG, etag);
    return queue(conn, resp, ans->status, sent, b->len);
}

static void access_log(vlistener_t *l, struct MHD_Connection *conn,
                       const char *method, const char *url,
                       const vcreq_t *cr, const vsent_t *sent)
{
    char trace[256] = "";
    size_t used = 0;
    int64_t us = (vclock_mono(&vclock_system) - cr->t0) / 1000;
    const char *tp = header(conn, "traceparent");

    for (size_t i = 0; i < VRULE_NB3; i++) {
        const char *v = header(conn, vrule_b3_headers[i]);

        if (v != NULL && vrule_b3_valid(vrule_b3_headers[i], v) &&
            used < sizeof(trace))
            used += (size_t)snprintf(trace + used, sizeof(trace) - used,
                                     " %s=%s", vrule_b3_headers[i], v);
    }
    if (tp != NULL && vrule_traceparent_valid(tp) && used < sizeof(trace))
        snprintf(trace + used, sizeof(trace) - used, " traceparent=%s", tp);
    vlog(l->server->v, VITALS_LOG_INFO,
         "access: %s %.200s %u %zuB %lld.%03lldms%s", method, url,
         sent->status, sent->bytes, (long long)(us / 1000),
         (long long)(us % 1000), trace);
}

/* The rules every request passes before routing: URI length, trace
 * headers. 0, or an error status with *why (static or in buf). */
static unsigned request_rules(const vitals_snapshot_t *s,
                              const vlimits_t *lim,
                              struct MHD_Connection *conn,
                              const vcreq_t *cr, char *buf, size_t len,
                              const char **why)
{
    if (cr->uri_len > s->routes->limits.max_uri_bytes) {
        snprintf(buf, len, "The request URI is longer than %zu bytes",
                 s->routes->limits.max_uri_bytes);
        *why = buf;
        return 414;
    }
    if (cr->head_len > lim->max_header_bytes) {
        snprintf(buf, len, "The request line and headers are longer than "
                           "%zu bytes",
                 lim->max_header_bytes);
        *why = buf;
        return 431;
    }
    for (size_t i = 0; i < VRULE_NB3; i++) {
        const char *v = header(conn, vrule_b3_headers[i]);

        if (v != NULL && !vrule_b3_valid(vrule_b3_headers[i], v)) {
            snprintf(buf, len, "Invalid header %s: %s", vrule_b3_headers[i],
                     vrule_b3_hint(vrule_b3_headers[i]));
            *why = buf;
            return 400;
        }
    }
    return 0;
}

/* Routes, checks the method, the body, the caller's access and Accept,
 * then lets the endpoint answer. */
static void route(vreq_t *r, vans_t *ans, const vcreq_t *cr)
{
    const vroutes_t *rs = r->snap->routes;
    const vaccess_t *a = rs->access;
    vdecision_t d;

    if ((r->route = vroutes_find(rs, r->path, &r->rest)) == NULL)
        return vans_error(ans, 404, "Requested resource was not found but "
                                    "may be available later");
    if (!vrule_method_allowed(r->route->type->allow, r->method)) {
        vans_error(ans, 405, "This endpoint does not answer this method");
        ans->allow = r->route->type->allow;
        return;
    }
    if (cr->body_too_large)
        return vans_error(ans, 413, "The request body is larger than 1 MiB");
    vaccess_decide(a, r->route->auth, rs->protected, r->client,
                   vreq_header(r, MHD_HTTP_HEADER_AUTHORIZATION),
                   a && a->client_id_header
                       ? vreq_header(r, a->client_id_header)
                       : NULL,
                   vclock_mono(&vclock_system),
                   vclock_real(&vclock_system) / VCLOCK_S, &d);
    if (d.status != 0) {
        vans_errorf(ans, d.status, "%s", d.why);
        ans->authenticate = d.authenticate;
        ans->retry_after = d.retry_after;
        return;
    }
    r->details = d.details;
    if (!vrule_accepts(vreq_header(r, MHD_HTTP_HEADER_ACCEPT),
                       r->route->type->content_type))
        return vans_error(ans, 406, "The Accept header excludes what this "
                                    "endpoint produces");
    ans->status = 200;
    ans->content_type = r->route->type->content_type;
    r->route->type->answer(r, ans);
}

static enum MHD_Result dispatch(vlistener_t *l, struct MHD_Connection *conn,
                                const char *url, const char *method,
                                vcreq_t *cr)
{
    vitals_snapshot_t *s = current(l);
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    vreq_t r = {0};
    vans_t ans = {0};
    vsent_t sent = {0, 0};
    struct sockaddr_storage client;
    char buf[128];
    const char *why = NULL;
    unsigned status;
    enum MHD_Result rc;

    if (s == NULL || s->routes == NULL)
        return send_error(conn, 503, "Not ready", NULL, &sent);
    r.v = l->server->v;
    r.method = method;
    r.path = url;
    r.snap = s;
    r.impl = conn;
    r.details = 1;
    vaccess_client(s->routes->access, ci ? ci->client_addr : NULL,
                   header(conn, "X-Forwarded-For"), &client);
    r.client = (const struct sockaddr *)&client;
    r.body = cr->body;
    r.body_len = cr->body_len;
    if ((status = request_rules(s, &l->server->limits, conn, cr, buf,
                                sizeof(buf), &why)) != 0)
        vans_error(&ans, status, why);
    else
        route(&r, &ans, cr);
    rc = send_answer(l, conn, &r, &ans, &sent);
    vbody_free(ans.owned); /* when it was not handed to libmicrohttpd */
    if (s->routes->access_log)
        access_log(l, conn, method, url, cr, &sent);
    return rc;
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *conn,
                              const char *url, const char *method,
                              const char *version, const char *upload,
                              size_t *upload_size, void **con_cls)
{
    vcreq_t *cr = *con_cls;

    (void)version;
    if (cr == NULL)
        return MHD_NO;
    if (!cr->started) {
        const union MHD_ConnectionInfo *ci = MHD_get_connection_info(
            conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
        vlistener_t *l = cls;

        /* The head is in: the read timeout no longer applies. */
        if (ci != NULL && ci->socket_context != NULL)
            vwatch_busy(l->server->watch,
                        ((vconn_t *)ci->socket_context)->watched);
        ci = MHD_get_connection_info(conn,
                                     MHD_CONNECTION_INFO_REQUEST_HEADER_SIZE);
        cr->head_len = ci ? ci->header_size : 0;
        /* Answer on a later call: queueing a response on the first makes
         * libmicrohttpd drop keep-alive. */
        cr->started = 1;
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
    return dispatch(cls, conn, url, method, cr);
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
    /* Only the access log reads the start time: no clock read without it. */
    if (current(l) != NULL && l->snap->routes != NULL &&
        l->snap->routes->access_log)
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
        free(s->l[i].address);
    }
    free(s->l);
    free(s);
}

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
    return 2 * (lim->max_header_bytes + 2048 + VSERVER_MAX_QUERY_ARGS * 32);
}

/* Starts one listener on conf's address, or, with conf NULL, one without
 * a socket (see vserver_start_unbound). */
static int start_listener(vitals_t *v, vlistener_t *l, const vlisten_t *conf)
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
    else if ((l->fd = bind_address(addr, &why)) < 0) {
        vlog(v, VITALS_LOG_ERROR, "cannot listen on %s: %s", addr, why);
        return VITALS_ELISTEN;
    }
    l->port = conf ? bound_port(l->fd) : 0;
    lim = &l->server->limits;
    struct MHD_OptionItem opts[] = {
        {MHD_OPTION_LISTEN_SOCKET, l->fd, NULL},
        {MHD_OPTION_NOTIFY_COMPLETED, (intptr_t)completed, l},
        {MHD_OPTION_NOTIFY_CONNECTION, (intptr_t)connection_event, l},
        {MHD_OPTION_URI_LOG_CALLBACK, (intptr_t)uri_logger, l},
        {MHD_OPTION_CONNECTION_TIMEOUT, lim->read_timeout_ms / 1000, NULL},
        {MHD_OPTION_CONNECTION_LIMIT, lim->max_connections, NULL},
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
        vlog(v, VITALS_LOG_ERROR, "cannot serve on %s", addr);
        if (l->fd >= 0)
            close(l->fd);
        l->fd = -1;
        return VITALS_ELISTEN;
    }
    vlog(v, VITALS_LOG_INFO, "listening on %s (port %d%s)", addr, l->port,
         conf && conf->cert_pem ? ", https" : "");
    return VITALS_OK;
}

/* Starts n listeners: v's listen addresses, or, when unbound, one without
 * a socket. */
static int start(vitals_t *v, size_t n, int unbound)
{
    vserver_t *s = calloc(1, sizeof(*s));
    int rc = VITALS_OK;

    if (s == NULL || (n > 0 && (s->l = calloc(n, sizeof(*s->l))) == NULL)) {
        free(s);
        return VITALS_ENOMEM;
    }
    s->v = v;
    s->boot_id = (uint64_t)vclock_real(&vclock_system);
    pthread_mutex_lock(&v->lock);
    s->limits = v->routes->limits;
    pthread_mutex_unlock(&v->lock);
    v->server = s;
    if ((s->watch = vwatch_start(s->limits.read_timeout_ms)) == NULL) {
        vserver_stop(v, 0);
        return VITALS_ESYS;
    }
    for (; s->n < n && rc == VITALS_OK; s->n++) {
        s->l[s->n].server = s;
        rc = start_listener(v, &s->l[s->n],
                            unbound ? NULL : &v->listen[s->n]);
    }
    if (rc != VITALS_OK)
        vserver_stop(v, 0);
    return rc;
}

int vserver_start(vitals_t *v)
{
    return start(v, v->nlisten, 0);
}

struct MHD_Daemon *vserver_start_unbound(vitals_t *v)
{
    if (v->server != NULL || start(v, 1, 1) != VITALS_OK)
        return NULL;
    return v->server->l[0].mhd;
}

void vserver_stop(vitals_t *v, int64_t grace_ms)
{
    vserver_t *s = v->server;
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
    v->server = NULL;
    free_server(s);
}

int vserver_port(const vitals_t *v, size_t i)
{
    if (v->server == NULL || i >= v->server->n)
        return -1;
    return v->server->l[i].port;
}
