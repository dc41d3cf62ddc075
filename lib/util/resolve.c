/* resolve.c - name resolution bounded by a deadline (see resolve.h): the
 * lookup runs in a thread the caller stops waiting for at the deadline. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* EAI_NODATA, EAI_ADDRFAMILY; the GNU strerror_r */
#endif

#include <errno.h>
#include <netdb.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "util/resolve.h"

int (*vresolve_getaddrinfo)(const char *host, const char *port,
                            const struct addrinfo *hints,
                            struct addrinfo **res) = getaddrinfo;

/* One lookup, shared by the waiting caller and the resolving thread: when
 * the wait gives up, the thread is detached to finish on its own, and the
 * last of the two to let go frees it. */
typedef struct lookup {
    atomic_int refs;
    pthread_mutex_t mu;
    pthread_cond_t cv; /* on CLOCK_MONOTONIC */
    int done;
    int rc;      /* getaddrinfo's answer */
    int sys_err; /* errno, for EAI_SYSTEM */
    struct addrinfo *res;
    struct addrinfo hints;
    char *host, *port; /* copies: the caller's may be freed before the
                          thread finishes */
} lookup_t;

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

static lookup_t *lookup_new(const char *host, const char *port,
                            const struct addrinfo *hints)
{
    lookup_t *l;
    pthread_condattr_t ca;
    int ok;

    l = calloc(1, sizeof(*l));
    if (!l)
        return NULL;
    atomic_init(&l->refs, 1);
    l->hints = *hints;
    l->host = strdup(host);
    l->port = port ? strdup(port) : NULL;
    if (!l->host || (port && !l->port) || pthread_condattr_init(&ca) != 0)
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

    rc = vresolve_getaddrinfo(l->host, l->port, &l->hints, &res);
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

/* Waits for l at most timeout_ms. Returns 1 when it finished (*res taken
 * from it, *rc and *sys_err set), 0 when the deadline came first. */
static int lookup_wait(lookup_t *l, int64_t timeout_ms, struct addrinfo **res,
                       int *rc, int *sys_err)
{
    struct timespec until;
    int done;

    clock_gettime(CLOCK_MONOTONIC, &until);
    until.tv_sec += (time_t)(timeout_ms / 1000);
    until.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
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

/* Sorts getaddrinfo's answer rc into a status, its text into err. */
static vresolve_status_t gai_status(int rc, int sys_err, char *err,
                                    size_t errlen)
{
    char ebuf[128];

    if (rc == 0)
        return VRESOLVE_OK;
    if (rc == EAI_SYSTEM)
        snprintf(err, errlen, "%s", strerror_r(sys_err, ebuf, sizeof(ebuf)));
    else
        snprintf(err, errlen, "%s", gai_strerror(rc));
#ifdef EAI_NODATA
    if (rc == EAI_NODATA)
        return VRESOLVE_NODATA;
#endif
#ifdef EAI_ADDRFAMILY
    /* A literal address of the other family ("::1" for IPv4). */
    if (rc == EAI_ADDRFAMILY)
        return VRESOLVE_NODATA;
#endif
    return VRESOLVE_ERROR;
}

vresolve_status_t vresolve(const char *host, const char *port, int family,
                           int64_t timeout_ms, struct addrinfo **out,
                           char *err, size_t errlen)
{
    struct addrinfo hints;
    lookup_t *l;
    pthread_t tid;
    int rc, sys_err = 0, done;

    if (timeout_ms < 0)
        timeout_ms = 0;
    *out = NULL;
    memset(&hints, 0, sizeof(hints));
    hints.ai_family = family;
    /* One socket type, so that each address comes once rather than once
     * per type. */
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_NUMERICSERV | AI_NUMERICHOST;

    /* A literal address needs no DNS and no thread. */
    rc = getaddrinfo(host, port, &hints, out);
    if (rc != EAI_NONAME)
        return gai_status(rc, errno, err, errlen);
    hints.ai_flags &= ~AI_NUMERICHOST;

    l = lookup_new(host, port, &hints);
    if (!l) {
        snprintf(err, errlen, "out of memory");
        return VRESOLVE_ERROR;
    }
    if (lookup_start(l, &tid) != 0) {
        /* No thread to spare: resolving in this one is still better than
         * failing the check. */
        lookup_release(l);
        rc = vresolve_getaddrinfo(host, port, &hints, out);
        return gai_status(rc, errno, err, errlen);
    }
    done = lookup_wait(l, timeout_ms, out, &rc, &sys_err);
    /* A thread that answered is about to exit: joining it costs nothing
     * and leaves no thread (nor its resolver state) behind the call. One
     * that did not is left to finish on its own. */
    if (done)
        pthread_join(tid, NULL);
    else
        pthread_detach(tid);
    lookup_release(l);
    if (!done) {
        snprintf(err, errlen, "timed out after %lld ms",
                 (long long)timeout_ms);
        return VRESOLVE_TIMEOUT;
    }
    return gai_status(rc, sys_err, err, errlen);
}
