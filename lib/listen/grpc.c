/* grpc.c - the gRPC health listener: cleartext HTTP/2 with prior knowledge
 * (as Kubernetes' gRPC probes speak it), or TLS with ALPN h2 (OpenSSL).
 * One thread polls every connection and moves bytes between its socket
 * and its session (grpc_session.c); publication wakes it, so Watch
 * streams hear of a change at once, without polling. Connections are
 * bounded in number, in the time they take to open and in idle time. */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "access/allowlist.h"
#include "listen/grpc.h"
#include "listen/kind.h"
#include "util/clock.h"

typedef struct grpc_conf {
    struct vallow *allow;
    int details;
    unsigned max_connections, max_streams;
    int64_t handshake_timeout_ms, idle_timeout_ms;
} grpc_conf_t;

static const vsetting_t grpc_settings[] = {
    VLISTEN_COMMON_SETTINGS(grpc_conf_t),
    {.key = "max_connections", .kind = VSET_UINT,
     .offset = offsetof(grpc_conf_t, max_connections), .min = 1,
     .max = 65536, .def = "256", .doc = "connections at once"},
    {.key = "max_streams", .kind = VSET_UINT,
     .offset = offsetof(grpc_conf_t, max_streams), .min = 1, .max = 1000,
     .def = "100", .doc = "concurrent calls per connection"},
    {.key = "handshake_timeout", .kind = VSET_DURATION,
     .offset = offsetof(grpc_conf_t, handshake_timeout_ms), .min = 1,
     .max = 60000, .def = "10s",
     .doc = "TLS and the HTTP/2 preface must arrive within this"},
    {.key = "idle_timeout", .kind = VSET_DURATION,
     .offset = offsetof(grpc_conf_t, idle_timeout_ms), .min = 1,
     .max = 86400000, .def = "5m",
     .doc = "a connection with no call open for this long is closed"},
    {0}};

/* The HTTP/2 preface and the SETTINGS frame's header: a client that sent
 * this much is past the handshake. */
#define HANDSHAKE_BYTES (24 + 9)
/* Output gathered before a write. */
#define OUT_BATCH 16384
/* How long stopping waits for the last trailers and GOAWAYs to go out. */
#define STOP_FLUSH_MS 1000

typedef struct gconn gconn_t;
struct gconn {
    gconn_t *prev, *next;
    int fd;
    SSL *ssl;
    vgrpc_session_t *sess;
    uint8_t *pend; /* bytes the session gave that the socket did not take */
    size_t pend_len, pend_off, pend_cap;
    size_t bytes_in;
    int64_t opened, last_active;
    int tls_wants_write;
};

typedef struct grpc {
    vloop_t loop; /* first: vloop_port reads it */
    vsource_t src;
    const grpc_conf_t *conf; /* owned by the instance's listen list */
    vgrpc_limits_t lim;
    char *address;
    SSL_CTX *tls;
    int subscribed;
    atomic_int news;
    gconn_t *conns;
    size_t nconns;
    vitals_snapshot_t *snap; /* the loop's: refreshed per generation */
} grpc_t;

static const vitals_snapshot_t *current(void *arg)
{
    grpc_t *g = arg;
    uint64_t gen = g->src.generation(g->src.ctx);

    if (g->snap == NULL || g->snap->generation != gen) {
        vitals_snapshot_release(g->snap);
        g->snap = g->src.snapshot(g->src.ctx);
    }
    return g->snap;
}

/* ------------------------------------------------------------------------
 * Bytes in and out, through TLS or not
 */

#define IO_AGAIN (-2)

static ssize_t conn_in(gconn_t *c, uint8_t *buf, size_t cap)
{
    ssize_t n;
    int err;

    if (c->ssl == NULL) {
        n = recv(c->fd, buf, cap, 0);
        return n >= 0                                      ? n
               : errno == EAGAIN || errno == EINTR ? IO_AGAIN
                                                           : -1;
    }
    c->tls_wants_write = 0;
    if ((n = SSL_read(c->ssl, buf, (int)cap)) > 0)
        return n;
    err = SSL_get_error(c->ssl, (int)n);
    ERR_clear_error();
    if (err == SSL_ERROR_WANT_WRITE)
        c->tls_wants_write = 1;
    return err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE
               ? IO_AGAIN
           : err == SSL_ERROR_ZERO_RETURN ? 0
                                          : -1;
}

static ssize_t conn_out(gconn_t *c, const uint8_t *buf, size_t len)
{
    ssize_t n;
    int err;

    if (c->ssl == NULL) {
        n = send(c->fd, buf, len, MSG_NOSIGNAL);
        return n >= 0                                      ? n
               : errno == EAGAIN || errno == EINTR ? IO_AGAIN
                                                           : -1;
    }
    if ((n = SSL_write(c->ssl, buf, (int)len)) > 0)
        return n;
    err = SSL_get_error(c->ssl, (int)n);
    ERR_clear_error();
    return err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE
               ? IO_AGAIN
               : -1;
}

/* ------------------------------------------------------------------------
 * Connections
 */

static void conn_close(grpc_t *g, gconn_t *c)
{
    if (c->prev != NULL)
        c->prev->next = c->next;
    else
        g->conns = c->next;
    if (c->next != NULL)
        c->next->prev = c->prev;
    g->nconns--;
    vgrpc_session_free(c->sess);
    SSL_free(c->ssl);
    close(c->fd);
    free(c->pend);
    free(c);
}

/* Appends len bytes the session gave to what waits for the socket. */
static int keep(gconn_t *c, const uint8_t *data, size_t len)
{
    if (c->pend_len + len > c->pend_cap) {
        size_t cap = c->pend_cap ? c->pend_cap : OUT_BATCH;
        uint8_t *p;

        while (cap < c->pend_len + len)
            cap *= 2;
        if ((p = realloc(c->pend, cap)) == NULL)
            return -1;
        c->pend = p;
        c->pend_cap = cap;
    }
    memcpy(c->pend + c->pend_len, data, len);
    c->pend_len += len;
    return 0;
}

/* Writes what the session has to send, as far as the socket takes it,
 * gathering frames into one write (a HEADERS, DATA and trailers in one
 * segment, not three). 0, or -1 when the connection is broken. */
static int flush(gconn_t *c)
{
    for (;;) {
        const uint8_t *data;
        ssize_t n = 0, w;

        if (c->pend_off < c->pend_len) {
            w = conn_out(c, c->pend + c->pend_off, c->pend_len - c->pend_off);
            if (w == IO_AGAIN)
                return 0;
            if (w < 0)
                return -1;
            c->pend_off += (size_t)w;
            continue;
        }
        c->pend_off = c->pend_len = 0;
        while (c->pend_len < OUT_BATCH &&
               (n = vgrpc_send(c->sess, &data)) > 0)
            if (keep(c, data, (size_t)n) != 0)
                return -1;
        if (n < 0)
            return -1;
        if (c->pend_len == 0)
            return 0;
    }
}

/* Polls for writing only while output waits. */
static void update_events(grpc_t *g, gconn_t *c)
{
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};

    if (c->pend_off < c->pend_len || c->tls_wants_write)
        ev.events |= EPOLLOUT;
    epoll_ctl(g->loop.epfd, EPOLL_CTL_MOD, c->fd, &ev);
}

/* Flushes c, and closes it when it is broken or done. */
static void settle(grpc_t *g, gconn_t *c)
{
    if (flush(c) != 0 ||
        (!vgrpc_alive(c->sess) && c->pend_off == c->pend_len)) {
        conn_close(g, c);
        return;
    }
    update_events(g, c);
}

static void conn_event(grpc_t *g, gconn_t *c, int64_t now)
{
    uint8_t buf[16384];
    ssize_t n;

    while ((n = conn_in(c, buf, sizeof(buf))) > 0) {
        c->bytes_in += (size_t)n;
        c->last_active = now;
        if (vgrpc_recv(c->sess, buf, (size_t)n) != 0) {
            flush(c); /* the GOAWAY, if the socket takes it */
            conn_close(g, c);
            return;
        }
    }
    if (n == 0 || n == -1) {
        conn_close(g, c);
        return;
    }
    settle(g, c);
}

static gconn_t *conn_new(grpc_t *g, int fd, int64_t now)
{
    gconn_t *c = calloc(1, sizeof(*c));
    struct epoll_event ev = {.events = EPOLLIN};
    int one = 1;

    if (c == NULL)
        return NULL;
    /* Writes are gathered already: what is written should leave now. */
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    c->fd = fd;
    c->opened = c->last_active = now;
    if ((c->sess = vgrpc_session_new(&g->lim, current, g,
                                     g->conf->details)) == NULL ||
        (g->tls != NULL &&
         ((c->ssl = SSL_new(g->tls)) == NULL || !SSL_set_fd(c->ssl, fd)))) {
        vgrpc_session_free(c->sess);
        SSL_free(c->ssl);
        free(c);
        return NULL;
    }
    if (c->ssl != NULL)
        SSL_set_accept_state(c->ssl);
    ev.data.ptr = c;
    if (epoll_ctl(g->loop.epfd, EPOLL_CTL_ADD, fd, &ev) != 0) {
        vgrpc_session_free(c->sess);
        SSL_free(c->ssl);
        free(c);
        return NULL;
    }
    c->next = g->conns;
    if (g->conns != NULL)
        g->conns->prev = c;
    g->conns = c;
    g->nconns++;
    return c;
}

static void accept_all(grpc_t *g, int64_t now)
{
    int fd, rc;
    gconn_t *c;

    while ((rc = vlisten_accept(g->loop.lfd, g->conf->allow, &fd)) == 1) {
        if (g->nconns >= g->conf->max_connections ||
            (c = conn_new(g, fd, now)) == NULL) {
            close(fd); /* full: the client retries */
            continue;
        }
        settle(g, c); /* our SETTINGS go first */
    }
    if (rc < 0)
        vlisten_log(&g->src, VITALS_LOG_WARN, "grpc %s: accept: %s",
                    g->address, strerror(errno));
}

/* Closes connections past their handshake or idle time; returns the ms
 * to the next such deadline, or -1. */
static int expire(grpc_t *g, int64_t now)
{
    int64_t next = INT64_MAX;

    for (gconn_t *c = g->conns, *n; c != NULL; c = n) {
        int64_t due;

        n = c->next;
        if (c->bytes_in < HANDSHAKE_BYTES)
            due = c->opened + g->conf->handshake_timeout_ms * VCLOCK_MS;
        else if (vgrpc_streams(c->sess) == 0)
            due = c->last_active + g->conf->idle_timeout_ms * VCLOCK_MS;
        else
            continue; /* a call (a Watch) is open: not idle */
        if (due <= now) {
            vgrpc_shutdown(c->sess); /* a GOAWAY: the client may retry */
            flush(c);
            conn_close(g, c);
        } else if (due < next)
            next = due;
    }
    return next == INT64_MAX ? -1 : (int)((next - now) / VCLOCK_MS + 1);
}

/* Something was published: Watch streams hear of it. */
static void publish(grpc_t *g)
{
    for (gconn_t *c = g->conns, *n; c != NULL; c = n) {
        n = c->next;
        vgrpc_publish(c->sess);
        settle(g, c);
    }
}

/* Ends every call and says GOAWAY, then gives the bytes a moment to go. */
static void shutdown_all(grpc_t *g)
{
    int64_t until = vclock_mono(&vclock_system) + STOP_FLUSH_MS * VCLOCK_MS;
    struct epoll_event evs[64];

    for (gconn_t *c = g->conns, *n; c != NULL; c = n) {
        n = c->next;
        vgrpc_shutdown(c->sess);
        settle(g, c);
    }
    while (g->conns != NULL && vclock_mono(&vclock_system) < until) {
        int n = epoll_wait(g->loop.epfd, evs, 64, 50);

        for (int i = 0; i < n; i++)
            if (evs[i].data.ptr != NULL && evs[i].data.ptr != &g->loop.wake)
                conn_event(g, evs[i].data.ptr, vclock_mono(&vclock_system));
    }
}

static void *grpc_loop(void *arg)
{
    grpc_t *g = arg;
    struct epoll_event evs[64];
    int timeout = -1;

    while (!atomic_load(&g->loop.stopping)) {
        int n = epoll_wait(g->loop.epfd, evs, 64, timeout);
        int64_t now = vclock_mono(&vclock_system);

        /* epoll names each connection at most once per batch, and only
         * its own event closes it: no event here points at freed memory. */
        for (int i = 0; i < n; i++) {
            if (evs[i].data.ptr == NULL)
                accept_all(g, now);
            else if (evs[i].data.ptr == &g->loop.wake)
                vloop_drain(&g->loop);
            else
                conn_event(g, evs[i].data.ptr, now);
        }
        if (atomic_exchange(&g->news, 0))
            publish(g);
        timeout = expire(g, now);
    }
    shutdown_all(g);
    return NULL;
}

/* ------------------------------------------------------------------------
 * TLS: the certificate chain and key (PEM, as loaded for HTTPS), and ALPN
 * h2, which gRPC requires.
 */

static int select_h2(SSL *ssl, const unsigned char **out, unsigned char *outlen,
                     const unsigned char *in, unsigned int inlen, void *arg)
{
    static const unsigned char h2[] = "\x02h2";
    unsigned char *chosen;

    (void)ssl;
    (void)arg;
    if (SSL_select_next_proto(&chosen, outlen, h2, sizeof(h2) - 1, in,
                              inlen) != OPENSSL_NPN_NEGOTIATED)
        return SSL_TLSEXT_ERR_ALERT_FATAL;
    *out = chosen;
    return SSL_TLSEXT_ERR_OK;
}

static int load_chain(SSL_CTX *ctx, const char *pem)
{
    BIO *bio = BIO_new_mem_buf(pem, -1);
    X509 *x = bio ? PEM_read_bio_X509_AUX(bio, NULL, NULL, NULL) : NULL;
    int ok = x != NULL && SSL_CTX_use_certificate(ctx, x) == 1;

    X509_free(x);
    while (ok && (x = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL)
        if (SSL_CTX_add_extra_chain_cert(ctx, x) != 1) { /* takes x */
            X509_free(x);
            ok = 0;
        }
    BIO_free(bio);
    ERR_clear_error(); /* the end of the chain reads as an error */
    return ok ? 0 : -1;
}

static SSL_CTX *tls_context(const vlisten_t *l)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
    BIO *bio = BIO_new_mem_buf(l->key_pem, -1);
    EVP_PKEY *key = bio ? PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL)
                        : NULL;
    int ok = ctx != NULL && key != NULL &&
             SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) == 1 &&
             load_chain(ctx, l->cert_pem) == 0 &&
             SSL_CTX_use_PrivateKey(ctx, key) == 1 &&
             SSL_CTX_check_private_key(ctx) == 1;

    EVP_PKEY_free(key);
    BIO_free(bio);
    ERR_clear_error();
    if (!ok) {
        SSL_CTX_free(ctx);
        return NULL;
    }
    SSL_CTX_set_alpn_select_cb(ctx, select_h2, NULL);
    SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE |
                              SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    return ctx;
}

/* ------------------------------------------------------------------------
 * The listener
 */

/* Called after every publication, with the engine's lock held: only
 * flags it and wakes the loop. */
static void on_publish(vitals_snapshot_t *s, void *data)
{
    grpc_t *g = data;

    (void)s;
    atomic_store(&g->news, 1);
    vloop_wake(&g->loop);
}

static void grpc_free(grpc_t *g)
{
    if (g->subscribed)
        g->src.unsubscribe(g->src.ctx, on_publish, g);
    while (g->conns != NULL)
        conn_close(g, g->conns);
    vloop_close(&g->loop);
    vitals_snapshot_release(g->snap);
    SSL_CTX_free(g->tls);
    free(g->address);
    free(g);
}

static void *grpc_start(const vsource_t *src, const vlisten_t *l, int *rc)
{
    grpc_t *g = calloc(1, sizeof(*g));

    *rc = VITALS_ENOMEM;
    if (g == NULL)
        return NULL;
    g->src = *src;
    g->conf = l->conf;
    g->lim.max_streams = g->conf->max_streams;
    g->lim.max_header_bytes = VGRPC_MAX_HEADER_BYTES;
    g->lim.max_message_bytes = VGRPC_MAX_MESSAGE_BYTES;
    g->loop.lfd = g->loop.wake = g->loop.epfd = -1;
    if ((g->address = strdup(l->address)) == NULL) {
        grpc_free(g);
        return NULL;
    }
    if (l->cert_pem != NULL && (g->tls = tls_context(l)) == NULL) {
        vlisten_log(src, VITALS_LOG_ERROR, "cannot serve on %s (grpc): the "
                    "TLS certificate or key does not load", l->address);
        *rc = VITALS_ELISTEN;
        grpc_free(g);
        return NULL;
    }
    if ((*rc = vloop_open(&g->loop, src, l,
                          g->tls ? "grpc, tls" : "grpc")) != VITALS_OK ||
        (*rc = src->subscribe(src->ctx, on_publish, g)) != VITALS_OK) {
        grpc_free(g);
        return NULL;
    }
    g->subscribed = 1;
    if ((*rc = vloop_run(&g->loop, grpc_loop, g)) != VITALS_OK) {
        grpc_free(g);
        return NULL;
    }
    return g;
}

static void grpc_stop(void *running)
{
    if (running == NULL)
        return;
    vloop_stop(running);
    grpc_free(running);
}

const vlistener_kind_t vlistener_grpc = {
    .name = "grpc",
    .settings = grpc_settings,
    .conf_size = sizeof(grpc_conf_t),
    .tls = 1,
    .start = grpc_start,
    .port = vloop_port,
    .stop = grpc_stop,
};
