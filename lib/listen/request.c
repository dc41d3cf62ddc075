/* request.c - one HTTP request, from the rules every request passes
 * (URI length, header size, trace headers) through routing, access and
 * content negotiation to the output's answer and the bytes sent: a body
 * rendered once per snapshot, an error body, or a 304. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "access/access.h"
#include "util/clock.h"
#include "listen/errors.h"
#include "listen/rules.h"
#include "listen/server.h"

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

static size_t query(const vreq_t *r, const char *key, const char **vals,
                    size_t max)
{
    vquery_t q = {key, vals, max, 0};

    MHD_get_connection_values(r->impl, MHD_GET_ARGUMENT_KIND, collect_query,
                              &q);
    return q.n;
}

static const char *req_header(const vreq_t *r, const char *name)
{
    return MHD_lookup_connection_value(r->impl, MHD_HEADER_KIND, name);
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

/* The error body for status; close: the connection ends after it. */
static enum MHD_Result send_error_close(struct MHD_Connection *conn,
                                        unsigned status,
                                        const char *description,
                                        const vans_t *ans, vsent_t *sent,
                                        int close)
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
    if (close)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONNECTION, "close");
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

static enum MHD_Result send_error(struct MHD_Connection *conn,
                                  unsigned status, const char *description,
                                  const vans_t *ans, vsent_t *sent)
{
    return send_error_close(conn, status, description, ans, sent, 0);
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
    vserver_log(l->server, VITALS_LOG_INFO,
         "access: %s %.200s %u %zuB %lld.%03lldms%s", method, url,
         sent->status, sent->bytes, (long long)(us / 1000),
         (long long)(us % 1000), trace);
}

/* The rules every request passes before routing: URI length, trace
 * headers. 0, or an error status with *why (static or in buf). */
static unsigned request_rules(const vroutes_t *rs, const vlimits_t *lim,
                              struct MHD_Connection *conn,
                              const vcreq_t *cr, char *buf, size_t len,
                              const char **why)
{
    if ((int64_t)cr->uri_len > rs->limits.max_uri_bytes) {
        snprintf(buf, len, "The request URI is longer than %lld bytes",
                 (long long)rs->limits.max_uri_bytes);
        *why = buf;
        return 414;
    }
    if ((int64_t)cr->head_len > lim->max_header_bytes) {
        snprintf(buf, len, "The request line and headers are longer than "
                           "%lld bytes",
                 (long long)lim->max_header_bytes);
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
static void route(const vroutes_t *rs, vreq_t *r, vans_t *ans,
                  const vcreq_t *cr)
{
    const vaccess_t *a = rs->access;
    const char *accept = vreq_header(r, MHD_HTTP_HEADER_ACCEPT);
    const vroute_t *rt;
    vdecision_t d;

    if ((rt = vroutes_find(rs, r->path, &r->rest)) == NULL)
        return vans_error(ans, 404, "Requested resource was not found but "
                                    "may be available later");
    r->output = rt->output;
    r->conf = rt->conf;
    if (!vrule_method_allowed(rt->output->allow, r->method)) {
        vans_error(ans, 405, "This endpoint does not answer this method");
        ans->allow = rt->output->allow;
        return;
    }
    if (cr->body_too_large)
        return vans_error(ans, 413, "The request body is larger than 1 MiB");
    vaccess_decide(a, rt->auth, rs->protected, r->client,
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
    if (!vrule_accepts(accept, rt->output->content_type) &&
        (rt->output->alt_content_type == NULL ||
         !vrule_accepts(accept, rt->output->alt_content_type)))
        return vans_error(ans, 406, "The Accept header excludes what this "
                                    "endpoint produces");
    ans->status = 200;
    ans->content_type = rt->output->content_type;
    rt->output->answer(r, ans);
}

enum MHD_Result vrequest_refuse(vlistener_t *l, struct MHD_Connection *conn,
                                const char *url, const char *method,
                                vcreq_t *cr, unsigned status,
                                const char *why)
{
    vroutes_t *rs = vlistener_routes(l);
    vsent_t sent = {0, 0};
    enum MHD_Result rc = send_error_close(conn, status, why, NULL, &sent, 1);

    if (rc == MHD_YES)
        vstats_count(&l->server->stats, NULL, sent.status);
    if (rs != NULL && rs->access_log)
        access_log(l, conn, method, url, cr, &sent);
    return rc;
}

enum MHD_Result vrequest_dispatch(vlistener_t *l, struct MHD_Connection *conn,
                                  const char *url, const char *method,
                                  vcreq_t *cr)
{
    vitals_snapshot_t *s = vlistener_snapshot(l);
    vroutes_t *rs = vlistener_routes(l);
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

    if (s == NULL || rs == NULL) {
        vstats_count(&l->server->stats, NULL, 503);
        return send_error(conn, 503, "Not ready", NULL, &sent);
    }
    r.act = &l->server->src.act;
    r.stats = &l->server->stats;
    r.history = l->server->src.history;
    r.query = query;
    r.header = req_header;
    r.method = method;
    r.path = url;
    r.snap = s;
    r.impl = conn;
    r.details = 1;
    vaccess_client(rs->access, ci ? ci->client_addr : NULL,
                   header(conn, "X-Forwarded-For"), &client);
    r.client = (const struct sockaddr *)&client;
    r.body = cr->body;
    r.body_len = cr->body_len;
    if ((status = request_rules(rs, &l->server->limits, conn, cr, buf,
                                sizeof(buf), &why)) != 0)
        vans_error(&ans, status, why);
    else
        route(rs, &r, &ans, cr);
    rc = send_answer(l, conn, &r, &ans, &sent);
    if (rc == MHD_YES)
        vstats_count(&l->server->stats, r.output, sent.status);
    vbody_free(ans.owned); /* when it was not handed to libmicrohttpd */
    if (rs->access_log)
        access_log(l, conn, method, url, cr, &sent);
    return rc;
}

