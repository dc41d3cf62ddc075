/* peer.c - the canned HTTP peer of the unit tests (see peer.h). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* accept4, strcasestr */
#endif

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "peer.h"

#define REQUEST_MAX 16384 /* what it reads of a request, and keeps */
#define IO_TIMEOUT_MS 2000 /* a client that sends nothing is dropped */
#define HUNG_MAX 64

/* An answer, with its strings owned. */
typedef struct answer {
    char *path, *headers, *body;
    size_t body_len;
    int status, delay_ms, hang;
} answer_t;

/* A connection: its socket, and its TLS session when the peer is TLS. */
typedef struct conn {
    int fd;
    SSL *ssl;
} conn_t;

struct peer {
    int fd, port;
    int wake[2]; /* a byte here stops the thread */
    pthread_t tid;
    int running;
    SSL_CTX *tls; /* NULL: plain HTTP */
    conn_t hung[HUNG_MAX];
    size_t nhung;

    pthread_mutex_t mu; /* guards what follows */
    answer_t *answers;
    size_t nanswers;
    int hits;
    char last[REQUEST_MAX];
};

static const char *reason(int status)
{
    switch (status) {
    case 200: return "OK";
    case 204: return "No Content";
    case 301: return "Moved Permanently";
    case 302: return "Found";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 500: return "Internal Server Error";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    default: return "Status";
    }
}

/* ------------------------------------------------------------------------
 * Connections
 */

static void conn_close(conn_t *c)
{
    if (c->ssl) {
        SSL_shutdown(c->ssl); /* close_notify; no wait for the client's */
        SSL_free(c->ssl);
    }
    close(c->fd);
}

static ssize_t conn_read(conn_t *c, char *buf, size_t len)
{
    int n;

    if (!c->ssl)
        return recv(c->fd, buf, len, 0);
    n = SSL_read(c->ssl, buf, len > INT32_MAX ? INT32_MAX : (int)len);
    return n > 0 ? n : -1;
}

/* Writes it all, or stops when the client went away (fine for a peer). */
static void conn_write(conn_t *c, const char *p, size_t n)
{
    ssize_t w;

    while (n > 0) {
        if (c->ssl) {
            int k = n > INT32_MAX ? INT32_MAX : (int)n;

            w = SSL_write(c->ssl, p, k);
        } else {
            w = send(c->fd, p, n, MSG_NOSIGNAL);
        }
        if (w <= 0)
            return;
        p += w;
        n -= (size_t)w;
    }
}

/* Reads one request: the headers, and a body of Content-Length. Returns
 * its length (NUL-terminated in buf), or -1. */
static ssize_t read_request(conn_t *c, char *buf, size_t cap)
{
    size_t len = 0;
    char *end, *cl;
    long body = 0;
    ssize_t n;

    for (;;) {
        n = conn_read(c, buf + len, cap - 1 - len);
        if (n <= 0)
            return -1;
        len += (size_t)n;
        buf[len] = '\0';
        if ((end = strstr(buf, "\r\n\r\n"))) {
            cl = strcasestr(buf, "\r\nContent-Length:");
            if (cl && cl < end)
                body = strtol(cl + 17, NULL, 10);
            if (len >= (size_t)(end + 4 - buf) + (size_t)body)
                return (ssize_t)len;
        }
        if (len == cap - 1)
            return (ssize_t)len;
    }
}

/* Accepts one client; with TLS, completes the handshake. 0 or -1. */
static int conn_accept(struct peer *p, conn_t *c)
{
    struct timeval tv = {IO_TIMEOUT_MS / 1000, IO_TIMEOUT_MS % 1000 * 1000};

    c->ssl = NULL;
    c->fd = accept4(p->fd, NULL, NULL, SOCK_CLOEXEC);
    if (c->fd < 0)
        return -1;
    setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    setsockopt(c->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
    if (!p->tls)
        return 0;
    if (!(c->ssl = SSL_new(p->tls)) || SSL_set_fd(c->ssl, c->fd) != 1 ||
        SSL_accept(c->ssl) != 1) {
        ERR_clear_error();
        conn_close(c);
        return -1;
    }
    return 0;
}

/* ------------------------------------------------------------------------
 * Answers
 */

static void answer_free(answer_t *a)
{
    free(a->path);
    free(a->headers);
    free(a->body);
}

/* A copy of a (the body may be large: a 2 MiB page). 0 or -1. */
static int answer_copy(answer_t *to, const peer_answer_t *a)
{
    size_t blen = a->body_len ? a->body_len : a->body ? strlen(a->body) : 0;

    memset(to, 0, sizeof(*to));
    to->status = a->status;
    to->delay_ms = a->delay_ms;
    to->hang = a->hang;
    to->body_len = blen;
    to->path = strdup(a->path ? a->path : "");
    to->headers = strdup(a->headers ? a->headers : "");
    to->body = malloc(blen + 1);
    if (!to->path || !to->headers || !to->body) {
        answer_free(to);
        return -1;
    }
    if (blen)
        memcpy(to->body, a->body, blen);
    to->body[blen] = '\0';
    return 0;
}

/* Answers the request in buf. Returns 0 when it keeps c open (hung). */
static int respond(struct peer *p, conn_t *c, const char *buf)
{
    answer_t a = {.status = 404};
    char path[256] = "", *head = NULL;
    size_t i;
    int n, found = 0;

    if (sscanf(buf, "%*s %255s", path) != 1)
        return 1;
    pthread_mutex_lock(&p->mu);
    for (i = 0; i < p->nanswers; i++) {
        if (strcmp(p->answers[i].path, path) == 0) {
            const answer_t *x = &p->answers[i];
            peer_answer_t copy = {x->path,     x->status,   x->headers,
                                  x->body,     x->body_len, x->delay_ms,
                                  x->hang};

            found = answer_copy(&a, &copy) == 0;
            break;
        }
    }
    pthread_mutex_unlock(&p->mu);
    if (found && a.hang) {
        answer_free(&a);
        if (p->nhung == HUNG_MAX)
            return 1; /* no room: closed, which a test notices */
        p->hung[p->nhung++] = *c;
        return 0;
    }
    if (found && a.delay_ms > 0)
        usleep((useconds_t)a.delay_ms * 1000);
    n = asprintf(&head,
                 "HTTP/1.1 %d %s\r\nContent-Length: %zu\r\nConnection: "
                 "close\r\n%s\r\n",
                 a.status, reason(a.status), found ? a.body_len : 0,
                 found ? a.headers : "");
    if (n > 0) {
        conn_write(c, head, (size_t)n);
        if (found)
            conn_write(c, a.body, a.body_len);
    }
    free(head);
    if (found)
        answer_free(&a);
    return 1;
}

static void *serve(void *arg)
{
    struct peer *p = arg;
    struct pollfd fds[2];
    sigset_t block;
    char *buf = malloc(REQUEST_MAX);
    ssize_t n;
    conn_t c;

    /* A client that goes away mid-answer must not kill the test: SSL_write
     * has no MSG_NOSIGNAL. SIGPIPE is thread-directed, so blocking it here
     * is enough. */
    sigemptyset(&block);
    sigaddset(&block, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &block, NULL);
    if (!buf)
        return NULL;
    for (;;) {
        fds[0] = (struct pollfd){.fd = p->fd, .events = POLLIN};
        fds[1] = (struct pollfd){.fd = p->wake[0], .events = POLLIN};
        if (poll(fds, 2, -1) < 0 && errno != EINTR)
            break;
        if (fds[1].revents)
            break;
        if (!fds[0].revents || conn_accept(p, &c) != 0)
            continue;
        n = read_request(&c, buf, REQUEST_MAX);
        if (n < 0) {
            conn_close(&c);
            continue;
        }
        pthread_mutex_lock(&p->mu);
        p->hits++;
        memcpy(p->last, buf, (size_t)n + 1);
        pthread_mutex_unlock(&p->mu);
        if (respond(p, &c, buf))
            conn_close(&c);
    }
    free(buf);
    return NULL;
}

/* ------------------------------------------------------------------------
 * The peer
 */

static int listen_loopback(int *port)
{
    struct sockaddr_in a = {.sin_family = AF_INET};
    socklen_t len = sizeof(a);
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

    if (fd < 0)
        return -1;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(fd, (struct sockaddr *)&a, sizeof(a)) != 0 ||
        listen(fd, 16) != 0 ||
        getsockname(fd, (struct sockaddr *)&a, &len) != 0) {
        close(fd);
        return -1;
    }
    *port = ntohs(a.sin_port);
    return fd;
}

static SSL_CTX *tls_context(const char *cert_file, const char *key_file)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
    unsigned long e;

    if (ctx && SSL_CTX_use_certificate_chain_file(ctx, cert_file) == 1 &&
        SSL_CTX_use_PrivateKey_file(ctx, key_file, SSL_FILETYPE_PEM) == 1 &&
        SSL_CTX_check_private_key(ctx) == 1)
        return ctx;
    e = ERR_get_error();
    fprintf(stderr, "peer: cannot use %s and %s: %s\n", cert_file, key_file,
            e ? ERR_reason_error_string(e) : "out of memory");
    ERR_clear_error();
    SSL_CTX_free(ctx);
    return NULL;
}

static peer_t *start(const peer_answer_t *answers, SSL_CTX *tls)
{
    peer_t *p = calloc(1, sizeof(*p));

    if (!p) {
        SSL_CTX_free(tls);
        return NULL;
    }
    p->tls = tls;
    p->wake[0] = p->wake[1] = -1;
    pthread_mutex_init(&p->mu, NULL);
    for (; answers && answers->path; answers++)
        peer_set(p, answers);
    p->fd = listen_loopback(&p->port);
    if (p->fd < 0 || pipe2(p->wake, O_CLOEXEC) != 0) {
        fprintf(stderr, "peer: cannot listen on 127.0.0.1: %s\n",
                strerror(errno));
        peer_stop(p);
        return NULL;
    }
    if (pthread_create(&p->tid, NULL, serve, p) != 0) {
        fprintf(stderr, "peer: cannot start its thread\n");
        peer_stop(p);
        return NULL;
    }
    p->running = 1;
    return p;
}

peer_t *peer_start(const peer_answer_t *answers)
{
    return start(answers, NULL);
}

peer_t *peer_start_tls(const peer_answer_t *answers, const char *cert_file,
                       const char *key_file)
{
    SSL_CTX *tls = tls_context(cert_file, key_file);

    return tls ? start(answers, tls) : NULL;
}

int peer_port(const peer_t *p)
{
    return p->port;
}

void peer_set(peer_t *p, const peer_answer_t *a)
{
    answer_t copy, *grown;
    size_t i;

    if (answer_copy(&copy, a) != 0) {
        fprintf(stderr, "peer: out of memory\n");
        abort();
    }
    pthread_mutex_lock(&p->mu);
    for (i = 0; i < p->nanswers; i++) {
        if (strcmp(p->answers[i].path, copy.path) == 0) {
            answer_free(&p->answers[i]);
            p->answers[i] = copy;
            pthread_mutex_unlock(&p->mu);
            return;
        }
    }
    grown = realloc(p->answers, (p->nanswers + 1) * sizeof(*grown));
    if (!grown) {
        fprintf(stderr, "peer: out of memory\n");
        abort();
    }
    p->answers = grown;
    p->answers[p->nanswers++] = copy;
    pthread_mutex_unlock(&p->mu);
}

int peer_hits(peer_t *p)
{
    int n;

    pthread_mutex_lock(&p->mu);
    n = p->hits;
    pthread_mutex_unlock(&p->mu);
    return n;
}

void peer_last(peer_t *p, char *buf, size_t len)
{
    if (len == 0)
        return;
    pthread_mutex_lock(&p->mu);
    snprintf(buf, len, "%s", p->last);
    pthread_mutex_unlock(&p->mu);
}

void peer_stop(peer_t *p)
{
    size_t i;

    if (!p)
        return;
    if (p->running) {
        if (write(p->wake[1], "x", 1) != 1)
            fprintf(stderr, "peer: cannot wake its thread\n");
        pthread_join(p->tid, NULL);
    }
    for (i = 0; i < p->nhung; i++)
        conn_close(&p->hung[i]);
    if (p->fd >= 0)
        close(p->fd);
    if (p->wake[0] >= 0)
        close(p->wake[0]);
    if (p->wake[1] >= 0)
        close(p->wake[1]);
    for (i = 0; i < p->nanswers; i++)
        answer_free(&p->answers[i]);
    free(p->answers);
    SSL_CTX_free(p->tls);
    pthread_mutex_destroy(&p->mu);
    free(p);
}
