/* grpc_session.c - one gRPC connection's HTTP/2, with libnghttp2 doing the
 * framing, flow control and HPACK: requests are checked and bounded here
 * (method, content-type, header and message sizes), answered by the
 * health service (grpc_health.c) with gRPC's length-prefixed messages and
 * grpc-status trailers, and Watch streams stay open for the messages
 * publication brings. */
#include <nghttp2/nghttp2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "listen/grpc.h"

/* A Watch stream whose client stops reading gets at most this much queued
 * before it is reset. */
#define MAX_QUEUED 4096

typedef struct gstream gstream_t;
struct gstream {
    gstream_t *prev, *next; /* the session's open streams */
    int32_t id;
    vgrpc_method_t method;
    int post, grpc_type; /* :method POST, content-type application/grpc */
    size_t header_bytes;
    uint8_t *body;
    size_t body_len;
    int too_large;
    int responded;
    /* The response's DATA not yet taken by nghttp2, and its end. */
    uint8_t *out;
    size_t out_len, out_off;
    int end; /* send the trailers once out is drained */
    int status;
    const char *message;
    char *watch; /* Watch: the service name */
    int last;    /* Watch: the status sent last */
};

struct vgrpc_session {
    nghttp2_session *h2;
    vgrpc_limits_t lim;
    const vitals_snapshot_t *(*snap)(void *);
    void *ctx;
    int details;
    gstream_t *streams;
    size_t nstreams;
};

static gstream_t *stream_of(vgrpc_session_t *s, int32_t id)
{
    return nghttp2_session_get_stream_user_data(s->h2, id);
}

static void stream_free(vgrpc_session_t *s, gstream_t *st)
{
    if (st->prev != NULL)
        st->prev->next = st->next;
    else
        s->streams = st->next;
    if (st->next != NULL)
        st->next->prev = st->prev;
    s->nstreams--;
    free(st->body);
    free(st->out);
    free(st->watch);
    free(st);
}

/* ------------------------------------------------------------------------
 * Responses
 */

#define NV(n, v)                                                             \
    {(uint8_t *)(n), (uint8_t *)(v), sizeof(n) - 1, strlen(v),               \
     NGHTTP2_NV_FLAG_NONE}

static int send_trailers(vgrpc_session_t *s, gstream_t *st)
{
    char code[12];

    snprintf(code, sizeof(code), "%d", st->status);
    nghttp2_nv nv[] = {NV("grpc-status", code),
                       NV("grpc-message", st->message ? st->message : "")};

    return nghttp2_submit_trailer(s->h2, st->id, nv, st->message ? 2 : 1);
}

static ssize_t read_data(nghttp2_session *h2, int32_t id, uint8_t *buf,
                         size_t length, uint32_t *flags,
                         nghttp2_data_source *src, void *user)
{
    vgrpc_session_t *s = user;
    gstream_t *st = src->ptr;
    size_t n = st->out_len - st->out_off;

    (void)h2;
    (void)id;
    if (n > length)
        n = length;
    memcpy(buf, st->out + st->out_off, n);
    st->out_off += n;
    if (st->out_off < st->out_len)
        return (ssize_t)n;
    st->out_off = st->out_len = 0;
    if (st->end) {
        *flags |= NGHTTP2_DATA_FLAG_EOF | NGHTTP2_DATA_FLAG_NO_END_STREAM;
        if (send_trailers(s, st) != 0)
            return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
    } else if (n == 0) {
        return NGHTTP2_ERR_DEFERRED; /* a Watch waiting for news */
    }
    return (ssize_t)n;
}

/* Queues msg[0..len) on st's DATA. 0, or -1 (out of memory, or a client
 * that reads nothing: the stream is reset). */
static int queue(vgrpc_session_t *s, gstream_t *st, const uint8_t *msg,
                 size_t len)
{
    uint8_t *grown;

    if (st->out_len + len > MAX_QUEUED ||
        (grown = realloc(st->out, st->out_len + len)) == NULL) {
        nghttp2_submit_rst_stream(s->h2, NGHTTP2_FLAG_NONE, st->id,
                                  NGHTTP2_ENHANCE_YOUR_CALM);
        return -1;
    }
    memcpy(grown + st->out_len, msg, len);
    st->out = grown;
    st->out_len += len;
    if (st->responded)
        nghttp2_session_resume_data(s->h2, st->id); /* fails if not
                                                       deferred: fine */
    return 0;
}

/* The response headers and, through read_data, st->out and the
 * trailers. */
static void respond(vgrpc_session_t *s, gstream_t *st)
{
    nghttp2_nv nv[] = {NV(":status", "200"),
                       NV("content-type", "application/grpc")};
    nghttp2_data_provider prd = {.source.ptr = st, .read_callback = read_data};

    st->responded = 1;
    if (nghttp2_submit_response(s->h2, st->id, nv, 2, &prd) != 0)
        nghttp2_submit_rst_stream(s->h2, NGHTTP2_FLAG_NONE, st->id,
                                  NGHTTP2_INTERNAL_ERROR);
}

/* A response with no message: gRPC's Trailers-Only form. */
static void respond_error(vgrpc_session_t *s, gstream_t *st, int status,
                          const char *message)
{
    char code[12];

    snprintf(code, sizeof(code), "%d", status);
    nghttp2_nv nv[] = {NV(":status", "200"),
                       NV("content-type", "application/grpc"),
                       NV("grpc-status", code), NV("grpc-message", message)};

    st->responded = 1;
    if (nghttp2_submit_response(s->h2, st->id, nv, 4, NULL) != 0)
        nghttp2_submit_rst_stream(s->h2, NGHTTP2_FLAG_NONE, st->id,
                                  NGHTTP2_INTERNAL_ERROR);
}

/* Not a gRPC request at all: a plain HTTP status. */
static void respond_http(vgrpc_session_t *s, gstream_t *st, const char *code)
{
    nghttp2_nv nv[] = {NV(":status", code)};

    st->responded = 1;
    if (nghttp2_submit_response(s->h2, st->id, nv, 1, NULL) != 0)
        nghttp2_submit_rst_stream(s->h2, NGHTTP2_FLAG_NONE, st->id,
                                  NGHTTP2_INTERNAL_ERROR);
}

static void start_watch(vgrpc_session_t *s, gstream_t *st, const uint8_t *msg,
                        size_t len)
{
    uint8_t first[16];

    if ((st->watch = vgrpc_watch_name(msg, len)) == NULL) {
        respond_error(s, st, VGRPC_INTERNAL, "malformed HealthCheckRequest");
        return;
    }
    st->last = vgrpc_watch_status(s->snap(s->ctx), st->watch);
    if (queue(s, st, first, vgrpc_status_message(st->last, first)) == 0)
        respond(s, st);
}

static void answer_unary(vgrpc_session_t *s, gstream_t *st, const uint8_t *msg,
                         size_t len)
{
    vgrpc_answer_t a;

    vgrpc_unary(st->method, s->snap(s->ctx), s->details, msg, len, &a);
    if (a.data == NULL) {
        respond_error(s, st, a.status, a.message ? a.message : "");
        return;
    }
    st->out = a.data;
    st->out_len = a.len;
    st->end = 1;
    st->status = VGRPC_OK;
    respond(s, st);
}

/* The request is in: answer it. */
static void answer(vgrpc_session_t *s, gstream_t *st)
{
    size_t len;

    if (!st->post) {
        respond_http(s, st, "405");
        return;
    }
    if (!st->grpc_type) {
        respond_http(s, st, "415");
        return;
    }
    if (st->method == VGRPC_NONE) {
        respond_error(s, st, VGRPC_UNIMPLEMENTED, "unknown method");
        return;
    }
    if (st->too_large) {
        respond_error(s, st, VGRPC_RESOURCE_EXHAUSTED,
                      "request message too large");
        return;
    }
    if (st->body_len < 5) {
        respond_error(s, st, VGRPC_INTERNAL, "missing request message");
        return;
    }
    if (st->body[0] != 0) {
        respond_error(s, st, VGRPC_UNIMPLEMENTED,
                      "compressed messages are not supported");
        return;
    }
    len = (size_t)st->body[1] << 24 | (size_t)st->body[2] << 16 |
          (size_t)st->body[3] << 8 | st->body[4];
    if (len != st->body_len - 5) {
        respond_error(s, st, VGRPC_INTERNAL, "expected one request message");
        return;
    }
    if (st->method == VGRPC_WATCH)
        start_watch(s, st, st->body + 5, len);
    else
        answer_unary(s, st, st->body + 5, len);
}

/* ------------------------------------------------------------------------
 * nghttp2's callbacks
 */

static int on_begin_headers(nghttp2_session *h2, const nghttp2_frame *frame,
                            void *user)
{
    vgrpc_session_t *s = user;
    gstream_t *st;

    if (frame->hd.type != NGHTTP2_HEADERS ||
        frame->headers.cat != NGHTTP2_HCAT_REQUEST)
        return 0;
    if ((st = calloc(1, sizeof(*st))) == NULL)
        return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE; /* resets it */
    st->id = frame->hd.stream_id;
    st->next = s->streams;
    if (s->streams != NULL)
        s->streams->prev = st;
    s->streams = st;
    s->nstreams++;
    nghttp2_session_set_stream_user_data(h2, st->id, st);
    return 0;
}

static int header_is(const uint8_t *name, size_t len, const char *want)
{
    return len == strlen(want) && memcmp(name, want, len) == 0;
}

/* application/grpc, alone or followed by '+' or ';' (gRPC's spec). */
static int grpc_content_type(const uint8_t *v, size_t len)
{
    static const char t[] = "application/grpc";
    size_t tl = sizeof(t) - 1;

    return len >= tl && memcmp(v, t, tl) == 0 &&
           (len == tl || v[tl] == '+' || v[tl] == ';');
}

static int on_header(nghttp2_session *h2, const nghttp2_frame *frame,
                     const uint8_t *name, size_t namelen,
                     const uint8_t *value, size_t valuelen, uint8_t flags,
                     void *user)
{
    vgrpc_session_t *s = user;
    gstream_t *st = stream_of(s, frame->hd.stream_id);

    (void)h2;
    (void)flags;
    if (st == NULL)
        return 0;
    /* HTTP/2's accounting of a header list: 32 bytes per field. */
    st->header_bytes += namelen + valuelen + 32;
    if (st->header_bytes > s->lim.max_header_bytes)
        return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
    if (frame->headers.cat != NGHTTP2_HCAT_REQUEST)
        return 0; /* the client's trailers: nothing to read */
    if (header_is(name, namelen, ":path"))
        st->method = vgrpc_method((const char *)value, valuelen);
    else if (header_is(name, namelen, ":method"))
        st->post = header_is(value, valuelen, "POST");
    else if (header_is(name, namelen, "content-type"))
        st->grpc_type = grpc_content_type(value, valuelen);
    return 0;
}

static int on_data(nghttp2_session *h2, uint8_t flags, int32_t id,
                   const uint8_t *data, size_t len, void *user)
{
    vgrpc_session_t *s = user;
    gstream_t *st = stream_of(s, id);
    uint8_t *grown;

    (void)h2;
    (void)flags;
    if (st == NULL || st->too_large)
        return 0;
    if (st->body_len + len > s->lim.max_message_bytes + 5) {
        st->too_large = 1;
        return 0;
    }
    if ((grown = realloc(st->body, st->body_len + len + 1)) == NULL)
        return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
    memcpy(grown + st->body_len, data, len);
    st->body = grown;
    st->body_len += len;
    return 0;
}

static int on_frame(nghttp2_session *h2, const nghttp2_frame *frame,
                    void *user)
{
    vgrpc_session_t *s = user;
    gstream_t *st;

    (void)h2;
    if ((frame->hd.type != NGHTTP2_DATA &&
         frame->hd.type != NGHTTP2_HEADERS) ||
        !(frame->hd.flags & NGHTTP2_FLAG_END_STREAM))
        return 0;
    if ((st = stream_of(s, frame->hd.stream_id)) != NULL && !st->responded)
        answer(s, st);
    return 0;
}

static int on_close(nghttp2_session *h2, int32_t id, uint32_t code,
                    void *user)
{
    vgrpc_session_t *s = user;
    gstream_t *st = stream_of(s, id);

    (void)h2;
    (void)code;
    if (st != NULL)
        stream_free(s, st);
    return 0;
}

/* ------------------------------------------------------------------------
 * The session
 */

static int make_h2(vgrpc_session_t *s)
{
    nghttp2_session_callbacks *cb;
    nghttp2_settings_entry set[] = {
        {NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, s->lim.max_streams},
        {NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE,
         (uint32_t)s->lim.max_header_bytes},
    };
    int rc;

    if (nghttp2_session_callbacks_new(&cb) != 0)
        return -1;
    nghttp2_session_callbacks_set_on_begin_headers_callback(cb,
                                                            on_begin_headers);
    nghttp2_session_callbacks_set_on_header_callback(cb, on_header);
    nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cb, on_data);
    nghttp2_session_callbacks_set_on_frame_recv_callback(cb, on_frame);
    nghttp2_session_callbacks_set_on_stream_close_callback(cb, on_close);
    rc = nghttp2_session_server_new(&s->h2, cb, s);
    nghttp2_session_callbacks_del(cb);
    if (rc != 0)
        return -1;
    return nghttp2_submit_settings(s->h2, NGHTTP2_FLAG_NONE, set, 2) == 0
               ? 0
               : -1;
}

vgrpc_session_t *vgrpc_session_new(const vgrpc_limits_t *lim,
                                   const vitals_snapshot_t *(*snap)(void *),
                                   void *ctx, int details)
{
    vgrpc_session_t *s = calloc(1, sizeof(*s));

    if (s == NULL)
        return NULL;
    s->lim = *lim;
    s->snap = snap;
    s->ctx = ctx;
    s->details = details;
    if (make_h2(s) != 0) {
        vgrpc_session_free(s);
        return NULL;
    }
    return s;
}

void vgrpc_session_free(vgrpc_session_t *s)
{
    if (s == NULL)
        return;
    /* Deleting the session closes its streams through on_close. */
    nghttp2_session_del(s->h2);
    while (s->streams != NULL)
        stream_free(s, s->streams);
    free(s);
}

int vgrpc_recv(vgrpc_session_t *s, const uint8_t *data, size_t len)
{
    ssize_t r = nghttp2_session_mem_recv(s->h2, data, len);

    if (r >= 0)
        return 0;
    /* A bad preface, or worse: say so with a GOAWAY, then close. */
    nghttp2_session_terminate_session(s->h2, NGHTTP2_PROTOCOL_ERROR);
    return -1;
}

ssize_t vgrpc_send(vgrpc_session_t *s, const uint8_t **data)
{
    ssize_t n = nghttp2_session_mem_send(s->h2, data);

    return n < 0 ? -1 : n;
}

int vgrpc_alive(vgrpc_session_t *s)
{
    return nghttp2_session_want_read(s->h2) ||
           nghttp2_session_want_write(s->h2);
}

size_t vgrpc_streams(vgrpc_session_t *s)
{
    return s->nstreams;
}

void vgrpc_publish(vgrpc_session_t *s)
{
    const vitals_snapshot_t *snap = s->snap(s->ctx);
    uint8_t msg[16];

    for (gstream_t *st = s->streams, *next; st != NULL; st = next) {
        int now;

        next = st->next;
        if (st->watch == NULL || st->end)
            continue;
        if ((now = vgrpc_watch_status(snap, st->watch)) == st->last)
            continue;
        st->last = now;
        queue(s, st, msg, vgrpc_status_message(now, msg));
    }
}

void vgrpc_shutdown(vgrpc_session_t *s)
{
    for (gstream_t *st = s->streams; st != NULL; st = st->next) {
        if (!st->responded) {
            respond_error(s, st, VGRPC_UNAVAILABLE, "the server is stopping");
        } else if (st->watch != NULL && !st->end) {
            st->end = 1;
            st->status = VGRPC_UNAVAILABLE;
            st->message = "the server is stopping";
            nghttp2_session_resume_data(s->h2, st->id);
        }
    }
    nghttp2_submit_goaway(s->h2, NGHTTP2_FLAG_NONE,
                          nghttp2_session_get_last_proc_stream_id(s->h2),
                          NGHTTP2_NO_ERROR, NULL, 0);
}
