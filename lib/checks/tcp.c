/* tcp.c - the "tcp" check type: can a TCP connection to host:port be made
 * before the deadline, and how long does the handshake take. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* the GNU strerror_r, which returns the text */
#endif

#include <errno.h>
#include <limits.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "check_type.h"

typedef struct tcp {
    char *address; /* as configured, for messages */
    char *host;
    char *port; /* digits, 1-65535 */
} tcp_t;

static void tcp_free(void *state)
{
    tcp_t *t = state;

    if (!t)
        return;
    free(t->address);
    free(t->host);
    free(t->port);
    free(t);
}

/* ------------------------------------------------------------------------
 * Configuration
 */

/* Splits "host:port" or "[v6]:port" into new strings. Returns 0, -1 when s
 * is not such an address (or the port is not 1-65535), -2 when out of
 * memory. Checked at configure time so that a typo is a configuration
 * error with a position rather than a check failing at run time. */
static int split_address(const char *s, char **host, char **port)
{
    const char *h, *hend, *p, *c;
    size_t i;
    unsigned long n = 0;

    if (s[0] == '[') {
        h = s + 1;
        hend = strchr(h, ']');
        if (!hend || hend[1] != ':' || !memchr(h, ':', (size_t)(hend - h)))
            return -1;
        p = hend + 2;
    } else {
        h = s;
        hend = strchr(h, ':');
        if (!hend || strchr(hend + 1, ':'))
            return -1;
        p = hend + 1;
    }
    if (hend == h)
        return -1;
    for (c = h; c < hend; c++) {
        if ((unsigned char)*c <= ' ' || *c == 0x7f || *c == '[' ||
            *c == ']' || *c == '/')
            return -1;
    }
    for (i = 0; p[i]; i++) {
        if (i == 5 || p[i] < '0' || p[i] > '9')
            return -1;
        n = n * 10 + (unsigned long)(p[i] - '0');
    }
    if (i == 0 || n < 1 || n > 65535)
        return -1;

    *host = strndup(h, (size_t)(hend - h));
    *port = strdup(p);
    if (!*host || !*port) {
        free(*host);
        free(*port);
        *host = *port = NULL;
        return -2;
    }
    return 0;
}

static void *tcp_configure(vnode_t *settings, verrs_t *e)
{
    tcp_t *t;
    const char *address = NULL;
    int rc;

    rc = vnode_str(settings, "address", &address, e);
    if (rc == 0)
        verrs_add(e, settings, "missing required key 'address'");
    if (rc <= 0)
        return NULL;

    t = calloc(1, sizeof(*t));
    if (!t) {
        verrs_add(e, settings, "out of memory");
        return NULL;
    }
    rc = split_address(address, &t->host, &t->port);
    if (rc == 0 && !(t->address = strdup(address)))
        rc = -2;
    if (rc == -1)
        verrs_add(e, vnode_get(settings, "address"),
                  "'address': expected host:port, got \"%s\"", address);
    else if (rc == -2)
        verrs_add(e, settings, "out of memory");
    if (rc != 0) {
        tcp_free(t);
        return NULL;
    }
    return t;
}

/* ------------------------------------------------------------------------
 * Resolution, bounded by the deadline
 *
 * getaddrinfo cannot be interrupted, and a dead DNS server holds it for
 * many seconds. So a name is resolved in a thread that the check waits for
 * until its deadline; when the wait gives up, the thread is detached to
 * finish on its own, and the last of the two to let go frees the request.
 */

typedef struct lookup {
    atomic_int refs; /* the waiting check and the resolving thread */
    pthread_mutex_t mu;
    pthread_cond_t cv; /* on CLOCK_MONOTONIC */
    int done;
    int rc;      /* getaddrinfo's answer */
    int sys_err; /* errno, for EAI_SYSTEM */
    struct addrinfo *res;
    char *host, *port; /* copies: the check may be freed before the thread
                          finishes */
} lookup_t;

static const struct addrinfo stream_hints = {
    .ai_family = AF_UNSPEC,
    .ai_socktype = SOCK_STREAM,
    .ai_flags = AI_NUMERICSERV,
};

static void lookup_release(lookup_t *l)
{
    if (atomic_fetch_sub(&l->refs, 1) != 1)
        return;
    if (l->res)
        freeaddrinfo(l->res);
    pthread_cond_destroy(&l->cv);
    pthread_mutex_destroy(&l->mu);
    free(l->host);
    free(l->port);
    free(l);
}

static lookup_t *lookup_new(const tcp_t *t)
{
    lookup_t *l;
    pthread_condattr_t ca;
    int ok;

    l = calloc(1, sizeof(*l));
    if (!l)
        return NULL;
    atomic_init(&l->refs, 1);
    l->host = strdup(t->host);
    l->port = strdup(t->port);
    if (!l->host || !l->port || pthread_condattr_init(&ca) != 0)
        goto fail_strings;
    ok = pthread_condattr_setclock(&ca, CLOCK_MONOTONIC) == 0 &&
         pthread_cond_init(&l->cv, &ca) == 0;
    pthread_condattr_destroy(&ca);
    if (!ok)
        goto fail_strings;
    if (pthread_mutex_init(&l->mu, NULL) != 0) {
        pthread_cond_destroy(&l->cv);
        goto fail_strings;
    }
    return l;

fail_strings:
    free(l->host);
    free(l->port);
    free(l);
    return NULL;
}

static void *lookup_main(void *arg)
{
    lookup_t *l = arg;
    struct addrinfo *res = NULL;
    int rc, err;

    rc = getaddrinfo(l->host, l->port, &stream_hints, &res);
    err = errno;
    pthread_mutex_lock(&l->mu);
    l->rc = rc;
    l->sys_err = err;
    l->res = res;
    l->done = 1;
    pthread_cond_signal(&l->cv);
    pthread_mutex_unlock(&l->mu);
    lookup_release(l);
    return NULL;
}

static void gai_reason(int rc, int sys_err, char *why, size_t len)
{
    char ebuf[128];

    if (rc == EAI_SYSTEM)
        snprintf(why, len, "%s", strerror_r(sys_err, ebuf, sizeof(ebuf)));
    else
        snprintf(why, len, "%s", gai_strerror(rc));
}

/* Starts l's thread into *tid. 0, or -1 (l untouched: one reference). */
static int lookup_start(lookup_t *l, pthread_t *tid)
{
    atomic_fetch_add(&l->refs, 1); /* the thread's */
    if (pthread_create(tid, NULL, lookup_main, l) != 0) {
        atomic_fetch_sub(&l->refs, 1);
        return -1;
    }
    return 0;
}

/* Waits for l until the deadline. Returns 1 when it finished (*res taken
 * from it, *rc and *sys_err set), 0 when the deadline came first. */
static int lookup_wait(lookup_t *l, vitals_result_t *r, struct addrinfo **res,
                       int *rc, int *sys_err)
{
    struct timespec until;
    int64_t rem = vitals_result_remaining_ms(r);
    int done;

    clock_gettime(CLOCK_MONOTONIC, &until);
    until.tv_sec += (time_t)(rem / 1000);
    until.tv_nsec += (long)(rem % 1000) * 1000000L;
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000L;
    }

    pthread_mutex_lock(&l->mu);
    while (!l->done) {
        if (pthread_cond_timedwait(&l->cv, &l->mu, &until) == ETIMEDOUT)
            break;
    }
    done = l->done;
    if (done) {
        *res = l->res;
        l->res = NULL;
        *rc = l->rc;
        *sys_err = l->sys_err;
    }
    pthread_mutex_unlock(&l->mu);
    return done;
}

/* Resolves t's host into *res. 0, or -1 with the reason in why. */
static int resolve(const tcp_t *t, vitals_result_t *r, int64_t budget_ms,
                   struct addrinfo **res, char *why, size_t len)
{
    struct addrinfo hints = stream_hints;
    lookup_t *l;
    pthread_t tid;
    int rc, sys_err = 0, done;

    /* A literal address needs no DNS and no thread. */
    hints.ai_flags |= AI_NUMERICHOST;
    rc = getaddrinfo(t->host, t->port, &hints, res);
    if (rc == 0)
        return 0;
    if (rc != EAI_NONAME) {
        gai_reason(rc, errno, why, len);
        return -1;
    }

    l = lookup_new(t);
    if (!l) {
        snprintf(why, len, "out of memory");
        return -1;
    }
    if (lookup_start(l, &tid) != 0) {
        /* No thread to spare: resolving in this one is still better than
         * failing the check. */
        lookup_release(l);
        rc = getaddrinfo(t->host, t->port, &stream_hints, res);
        if (rc != 0)
            gai_reason(rc, errno, why, len);
        return rc == 0 ? 0 : -1;
    }
    done = lookup_wait(l, r, res, &rc, &sys_err);
    /* A thread that answered is about to exit: joining it costs nothing
     * and leaves no thread (nor its resolver state) behind the run. One
     * that did not is left to finish on its own. */
    if (done)
        pthread_join(tid, NULL);
    else
        pthread_detach(tid);
    lookup_release(l);
    if (!done) {
        snprintf(why, len, "timed out after %lld ms", (long long)budget_ms);
        return -1;
    }
    if (rc != 0) {
        gai_reason(rc, sys_err, why, len);
        return -1;
    }
    return 0;
}

/* ------------------------------------------------------------------------
 * Connecting
 */

enum { CONNECT_FAILED = 0, CONNECT_OK = 1, CONNECT_TIMEOUT = -1 };

static int64_t now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* Waits until the non-blocking connect on fd completes or the deadline. */
static int wait_connected(int fd, vitals_result_t *r, int *err)
{
    struct pollfd p = {.fd = fd, .events = POLLOUT};
    int64_t rem;
    int n, soerr = 0;
    socklen_t slen = sizeof(soerr);

    for (;;) {
        rem = vitals_result_remaining_ms(r);
        if (rem <= 0)
            return CONNECT_TIMEOUT;
        n = poll(&p, 1, rem > INT_MAX ? INT_MAX : (int)rem);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            *err = errno;
            return CONNECT_FAILED;
        }
        if (n > 0)
            break;
    }
    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &slen) != 0) {
        *err = errno;
        return CONNECT_FAILED;
    }
    if (soerr != 0) {
        *err = soerr;
        return CONNECT_FAILED;
    }
    return CONNECT_OK;
}

/* One attempt at one address; *err receives the reason of a failure. */
static int try_connect(const struct addrinfo *ai, vitals_result_t *r,
                       int *err)
{
    int fd, rc;

    fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
                ai->ai_protocol);
    if (fd < 0) {
        *err = errno;
        return CONNECT_FAILED;
    }
    if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0) {
        rc = CONNECT_OK;
    } else if (errno == EINPROGRESS || errno == EINTR) {
        /* An interrupted connect goes on in the background (POSIX), so
         * EINTR is waited for like EINPROGRESS. */
        rc = wait_connected(fd, r, err);
    } else {
        *err = errno;
        rc = CONNECT_FAILED;
    }
    close(fd);
    return rc;
}

/* "127.0.0.1:5432" or "[::1]:5432": the address actually connected to,
 * which says more than a name that resolves to several. */
static void format_peer(const struct addrinfo *ai, const tcp_t *t, char *buf,
                        size_t len)
{
    char host[NI_MAXHOST], serv[NI_MAXSERV];

    if (getnameinfo(ai->ai_addr, ai->ai_addrlen, host, sizeof(host), serv,
                    sizeof(serv), NI_NUMERICHOST | NI_NUMERICSERV) != 0)
        snprintf(buf, len, "%s", t->address);
    else if (ai->ai_family == AF_INET6)
        snprintf(buf, len, "[%s]:%s", host, serv);
    else
        snprintf(buf, len, "%s:%s", host, serv);
}

static void report_connected(const tcp_t *t, vitals_result_t *r,
                             const struct addrinfo *ai, int64_t elapsed_ns)
{
    char peer[NI_MAXHOST + NI_MAXSERV + 4];
    /* Microsecond precision: below that the number is noise. */
    double ms = (double)((elapsed_ns + 500) / 1000) / 1000.0;

    format_peer(ai, t, peer, sizeof(peer));
    if (vitals_result_set_double(r, "responseTimeMs", ms) < 0) {
        vitals_result_set_error(r, "out of memory");
        return;
    }
    vitals_result_observe(r, "responseTime", ms, "ms");
    vitals_result_set_status(r, VITALS_HEALTHY);
    vitals_result_set_description(r, "connected to %s in %.1f ms", peer, ms);
}

static void tcp_run(void *state, vitals_result_t *r)
{
    const tcp_t *t = state;
    int64_t budget = vitals_result_remaining_ms(r), start;
    struct addrinfo *res = NULL, *ai;
    char why[256], ebuf[128];
    int rc = CONNECT_FAILED, err = 0;

    if (resolve(t, r, budget, &res, why, sizeof(why)) != 0) {
        vitals_result_set_error(r, "cannot resolve %s: %s", t->host, why);
        return;
    }
    /* Every address in turn, as a client would, all within the one
     * deadline: the last failure is the one reported. */
    for (ai = res; ai; ai = ai->ai_next) {
        start = now_ns();
        rc = try_connect(ai, r, &err);
        if (rc == CONNECT_OK) {
            report_connected(t, r, ai, now_ns() - start);
            break;
        }
        if (rc == CONNECT_TIMEOUT) {
            vitals_result_set_error(r,
                                    "cannot connect to %s: timed out after "
                                    "%lld ms",
                                    t->address, (long long)budget);
            break;
        }
    }
    if (rc == CONNECT_FAILED)
        vitals_result_set_error(r, "cannot connect to %s: %s", t->address,
                                err ? strerror_r(err, ebuf, sizeof(ebuf))
                                    : "no address");
    freeaddrinfo(res);
}

const vcheck_type_t vcheck_tcp = {
    .name = "tcp",
    .component_type = "component",
    .configure = tcp_configure,
    .run = tcp_run,
    .free = tcp_free,
};
