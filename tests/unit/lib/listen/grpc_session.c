/* grpc_session.c - one gRPC connection's HTTP/2, against libnghttp2's own
 * client session: Check's message and trailers byte for byte, every
 * refusal (method, content-type, unknown call, compression, two messages,
 * a message or headers too large), Watch's messages on publication and its
 * clean end, and a bad preface answered with a GOAWAY. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <nghttp2/nghttp2.h>

#include "listen/grpc.h"

/* What the client saw of one stream. */
typedef struct seen {
    char status[8];      /* :status */
    char grpc_status[8]; /* from the trailers (or a Trailers-Only answer) */
    char grpc_message[64];
    uint8_t data[256];
    size_t len;
    uint32_t reset; /* RST_STREAM's code, or 0 */
    int closed;
} seen_t;

static seen_t seen[32];
static vitals_snapshot_t *snap;
static const char *const no_tags[] = {"ready"};

static const vitals_snapshot_t *current(void *ctx)
{
    (void)ctx;
    return snap;
}

static vitals_snapshot_t *make_snap(vitals_status_t db)
{
    vitals_snapshot_t *s = vsnap_new(1);

    assert_non_null(s);
    s->entries[0].pub.name = "db";
    s->entries[0].pub.status = db;
    s->entries[0].pub.tags = no_tags;
    s->entries[0].pub.ntags = 1;
    s->entries[0].has_run = 1;
    return s;
}

static int on_header(nghttp2_session *h2, const nghttp2_frame *frame,
                     const uint8_t *name, size_t namelen,
                     const uint8_t *value, size_t valuelen, uint8_t flags,
                     void *user)
{
    seen_t *s = &seen[frame->hd.stream_id];
    char *to = NULL;
    size_t cap = 0;

    (void)h2, (void)flags, (void)user;
    if (namelen == 7 && memcmp(name, ":status", 7) == 0)
        to = s->status, cap = sizeof(s->status);
    else if (namelen == 11 && memcmp(name, "grpc-status", 11) == 0)
        to = s->grpc_status, cap = sizeof(s->grpc_status);
    else if (namelen == 12 && memcmp(name, "grpc-message", 12) == 0)
        to = s->grpc_message, cap = sizeof(s->grpc_message);
    if (to != NULL)
        snprintf(to, cap, "%.*s", (int)valuelen, (const char *)value);
    return 0;
}

static int on_data(nghttp2_session *h2, uint8_t flags, int32_t id,
                   const uint8_t *data, size_t len, void *user)
{
    seen_t *s = &seen[id];

    (void)h2, (void)flags, (void)user;
    assert_true(s->len + len <= sizeof(s->data));
    memcpy(s->data + s->len, data, len);
    s->len += len;
    return 0;
}

static int on_close(nghttp2_session *h2, int32_t id, uint32_t code,
                    void *user)
{
    (void)h2, (void)user;
    seen[id].closed = 1;
    seen[id].reset = code;
    return 0;
}

static nghttp2_session *client(void)
{
    nghttp2_session_callbacks *cb;
    nghttp2_session *c;

    assert_int_equal(nghttp2_session_callbacks_new(&cb), 0);
    nghttp2_session_callbacks_set_on_header_callback(cb, on_header);
    nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cb, on_data);
    nghttp2_session_callbacks_set_on_stream_close_callback(cb, on_close);
    assert_int_equal(nghttp2_session_client_new(&c, cb, NULL), 0);
    nghttp2_session_callbacks_del(cb);
    assert_int_equal(nghttp2_submit_settings(c, NGHTTP2_FLAG_NONE, NULL, 0),
                     0);
    return c;
}

/* Moves bytes both ways until neither side has any. */
static void pump(nghttp2_session *c, vgrpc_session_t *s)
{
    for (int moved = 1; moved;) {
        const uint8_t *out;
        ssize_t n;

        moved = 0;
        while ((n = nghttp2_session_mem_send(c, &out)) > 0) {
            assert_int_equal(vgrpc_recv(s, out, (size_t)n), 0);
            moved = 1;
        }
        while ((n = vgrpc_send(s, &out)) > 0) {
            assert_int_equal(nghttp2_session_mem_recv(c, out, (size_t)n), n);
            moved = 1;
        }
    }
}

typedef struct body {
    const uint8_t *p;
    size_t len;
} body_t;

static ssize_t read_body(nghttp2_session *h2, int32_t id, uint8_t *buf,
                         size_t length, uint32_t *flags,
                         nghttp2_data_source *src, void *user)
{
    body_t *b = src->ptr;
    size_t n = b->len < length ? b->len : length;

    (void)h2, (void)id, (void)user;
    memcpy(buf, b->p, n);
    b->p += n;
    b->len -= n;
    if (b->len == 0)
        *flags |= NGHTTP2_DATA_FLAG_EOF;
    return (ssize_t)n;
}

#define NV(n, v)                                                             \
    {(uint8_t *)(n), (uint8_t *)(v), strlen(n), strlen(v),                   \
     NGHTTP2_NV_FLAG_NONE}

/* Submits one request; body (len bytes) is sent as it is. */
static int32_t call(nghttp2_session *c, const char *method, const char *path,
                    const char *ctype, body_t *body, const char *extra)
{
    nghttp2_nv nv[] = {NV(":method", method), NV(":scheme", "http"),
                       NV(":path", path), NV(":authority", "x"),
                       NV("content-type", ctype),
                       NV("x-extra", extra ? extra : "")};
    nghttp2_data_provider prd = {.source.ptr = body,
                                 .read_callback = read_body};
    int32_t id = nghttp2_submit_request(c, NULL, nv, 6,
                                        body ? &prd : NULL, NULL);

    assert_true(id > 0 && id < 32);
    memset(&seen[id], 0, sizeof(seen[id]));
    return id;
}

static const vgrpc_limits_t lim = {VGRPC_MAX_STREAMS, VGRPC_MAX_HEADER_BYTES,
                                   VGRPC_MAX_MESSAGE_BYTES};

#define CHECK "/grpc.health.v1.Health/Check"
#define GRPC "application/grpc"

static void test_check_and_refusals(void **state)
{
    /* Check("db"), Check("nope"), and a message sent compressed. */
    static const uint8_t db[] = {0, 0, 0, 0, 4, 0x0a, 2, 'd', 'b'};
    static const uint8_t nope[] = {0, 0, 0, 0, 6, 0x0a, 4, 'n', 'o', 'p', 'e'};
    static const uint8_t zipped[] = {1, 0, 0, 0, 0};
    static const uint8_t two[] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
    static uint8_t big[VGRPC_MAX_MESSAGE_BYTES + 6];
    /* SERVING, as gRPC frames it: flag, length 2, field 1 = 1. */
    static const uint8_t serving[] = {0, 0, 0, 0, 2, 0x08, 1};
    body_t b1 = {db, sizeof(db)}, b2 = {nope, sizeof(nope)},
           b3 = {zipped, sizeof(zipped)}, b4 = {two, sizeof(two)},
           b5 = {big, sizeof(big)}, b6 = {db, sizeof(db)};
    char huge[VGRPC_MAX_HEADER_BYTES];
    nghttp2_session *c = client();
    vgrpc_session_t *s;
    int32_t ok, unknown, get, text, gz, twice, large, nomethod, headers;

    (void)state;
    snap = make_snap(VITALS_DEGRADED);
    assert_non_null(s = vgrpc_session_new(&lim, current, NULL, 0));
    big[1] = 0, big[3] = (uint8_t)((sizeof(big) - 5) >> 8);
    big[4] = (uint8_t)(sizeof(big) - 5);
    memset(huge, 'a', sizeof(huge) - 1);
    huge[sizeof(huge) - 1] = '\0';
    ok = call(c, "POST", CHECK, GRPC, &b1, NULL);
    unknown = call(c, "POST", CHECK, GRPC "+proto", &b2, NULL);
    get = call(c, "GET", CHECK, GRPC, NULL, NULL);
    text = call(c, "POST", CHECK, "text/plain", &b6, NULL);
    gz = call(c, "POST", CHECK, GRPC, &b3, NULL);
    twice = call(c, "POST", CHECK, GRPC, &b4, NULL);
    large = call(c, "POST", CHECK, GRPC, &b5, NULL);
    pump(c, s);
    nomethod = call(c, "POST", "/grpc.health.v1.Health/Nope", GRPC, NULL,
                    NULL);
    headers = call(c, "POST", CHECK, GRPC, NULL, huge);
    pump(c, s);

    assert_string_equal(seen[ok].status, "200");
    assert_int_equal(seen[ok].len, sizeof(serving));
    assert_memory_equal(seen[ok].data, serving, sizeof(serving));
    assert_string_equal(seen[ok].grpc_status, "0");
    assert_string_equal(seen[unknown].grpc_status, "5");
    assert_string_equal(seen[unknown].grpc_message, "unknown service");
    assert_string_equal(seen[get].status, "405");
    assert_string_equal(seen[text].status, "415");
    assert_string_equal(seen[gz].grpc_status, "12");
    assert_string_equal(seen[twice].grpc_status, "13");
    assert_string_equal(seen[twice].grpc_message,
                        "expected one request message");
    assert_string_equal(seen[large].grpc_status, "8");
    assert_string_equal(seen[nomethod].grpc_status, "12");
    assert_string_equal(seen[nomethod].grpc_message, "unknown method");
    /* Headers past the limit: the stream is reset, unanswered. */
    assert_true(seen[headers].closed);
    assert_int_equal(seen[headers].reset, NGHTTP2_INTERNAL_ERROR);
    assert_string_equal(seen[headers].status, "");
    assert_int_equal(vgrpc_streams(s), 0);
    vgrpc_session_free(s);
    nghttp2_session_del(c);
    vitals_snapshot_release(snap);
}

static void test_watch(void **state)
{
    static const uint8_t db[] = {0, 0, 0, 0, 4, 0x0a, 2, 'd', 'b'};
    static const uint8_t msgs[] = {0, 0, 0, 0, 2, 0x08, 1,  /* SERVING */
                                   0, 0, 0, 0, 2, 0x08, 2}; /* NOT_ */
    body_t b = {db, sizeof(db)};
    nghttp2_session *c = client();
    vgrpc_session_t *s;
    vitals_snapshot_t *old;
    int32_t w;

    (void)state;
    snap = make_snap(VITALS_HEALTHY);
    assert_non_null(s = vgrpc_session_new(&lim, current, NULL, 1));
    w = call(c, "POST", "/grpc.health.v1.Health/Watch", GRPC, &b, NULL);
    pump(c, s);
    assert_int_equal(seen[w].len, 7);
    /* A publication that changes nothing sends nothing. */
    vgrpc_publish(s);
    pump(c, s);
    assert_int_equal(seen[w].len, 7);
    old = snap;
    snap = make_snap(VITALS_UNHEALTHY);
    vitals_snapshot_release(old);
    vgrpc_publish(s);
    pump(c, s);
    assert_int_equal(seen[w].len, sizeof(msgs));
    assert_memory_equal(seen[w].data, msgs, sizeof(msgs));
    assert_false(seen[w].closed);
    assert_int_equal(vgrpc_streams(s), 1);
    /* Stopping: trailers UNAVAILABLE, then GOAWAY; the session is done. */
    vgrpc_shutdown(s);
    pump(c, s);
    assert_true(seen[w].closed);
    assert_string_equal(seen[w].grpc_status, "14");
    assert_string_equal(seen[w].grpc_message, "the server is stopping");
    vgrpc_session_free(s);
    nghttp2_session_del(c);
    vitals_snapshot_release(snap);
}

static void test_bad_preface(void **state)
{
    static const char http1[] = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
    vgrpc_session_t *s;
    const uint8_t *out;
    ssize_t n;
    int goaway = 0;

    (void)state;
    snap = make_snap(VITALS_HEALTHY);
    assert_non_null(s = vgrpc_session_new(&lim, current, NULL, 0));
    assert_int_equal(vgrpc_recv(s, (const uint8_t *)http1, strlen(http1)),
                     -1);
    while ((n = vgrpc_send(s, &out)) > 0)
        for (ssize_t i = 0; i + 9 <= n;) {
            size_t len = (size_t)out[i] << 16 | (size_t)out[i + 1] << 8 |
                         out[i + 2];

            goaway |= out[i + 3] == NGHTTP2_GOAWAY;
            i += 9 + (ssize_t)len;
        }
    assert_true(goaway);
    assert_false(vgrpc_alive(s));
    vgrpc_session_free(s);
    vitals_snapshot_release(snap);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_check_and_refusals),
        cmocka_unit_test(test_watch),
        cmocka_unit_test(test_bad_preface),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
