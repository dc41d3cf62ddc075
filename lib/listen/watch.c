/* watch.c - closes connections that take too long to send a request. */
#include "listen/watch.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>

#include "util/clock.h"

#define SWEEP_NS (250 * VCLOCK_MS)

struct vwatched {
    vwatched_t *prev, *next;
    int fd;
    int waiting; /* for a request head */
    int closed;  /* already shut down by the watch */
    int64_t since;
};

struct vwatch {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    pthread_t thread;
    vwatched_t *head;
    int64_t timeout_ns;
    int stopping;
};

static int64_t now(void)
{
    return vclock_mono(&vclock_system);
}

static void sweep(vwatch_t *w, int64_t t)
{
    for (vwatched_t *c = w->head; c != NULL; c = c->next) {
        if (!c->waiting || c->closed || t - c->since < w->timeout_ns)
            continue;
        /* libmicrohttpd sees the end of the stream and closes it. */
        shutdown(c->fd, SHUT_RDWR);
        c->closed = 1;
    }
}

static void *watch_main(void *arg)
{
    vwatch_t *w = arg;

    pthread_mutex_lock(&w->mu);
    while (!w->stopping) {
        int64_t t = now() + SWEEP_NS;
        struct timespec until = {(time_t)(t / VCLOCK_S),
                                 (long)(t % VCLOCK_S)};

        pthread_cond_timedwait(&w->cv, &w->mu, &until);
        sweep(w, now());
    }
    pthread_mutex_unlock(&w->mu);
    return NULL;
}

vwatch_t *vwatch_start(int64_t read_timeout_ms)
{
    vwatch_t *w = calloc(1, sizeof(*w));
    pthread_condattr_t ca;

    if (w == NULL)
        return NULL;
    w->timeout_ns = read_timeout_ms * VCLOCK_MS;
    pthread_mutex_init(&w->mu, NULL);
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&w->cv, &ca);
    pthread_condattr_destroy(&ca);
    if (pthread_create(&w->thread, NULL, watch_main, w) != 0) {
        pthread_cond_destroy(&w->cv);
        pthread_mutex_destroy(&w->mu);
        free(w);
        return NULL;
    }
    return w;
}

void vwatch_stop(vwatch_t *w)
{
    if (w == NULL)
        return;
    pthread_mutex_lock(&w->mu);
    w->stopping = 1;
    pthread_cond_signal(&w->cv);
    pthread_mutex_unlock(&w->mu);
    pthread_join(w->thread, NULL);
    while (w->head != NULL) {
        vwatched_t *c = w->head;

        w->head = c->next;
        free(c);
    }
    pthread_cond_destroy(&w->cv);
    pthread_mutex_destroy(&w->mu);
    free(w);
}

vwatched_t *vwatch_add(vwatch_t *w, int fd)
{
    vwatched_t *c;

    if (w == NULL || (c = calloc(1, sizeof(*c))) == NULL)
        return NULL;
    c->fd = fd;
    c->waiting = 1;
    c->since = now();
    pthread_mutex_lock(&w->mu);
    c->next = w->head;
    if (w->head != NULL)
        w->head->prev = c;
    w->head = c;
    pthread_mutex_unlock(&w->mu);
    return c;
}

void vwatch_busy(vwatch_t *w, vwatched_t *c)
{
    if (w == NULL || c == NULL)
        return;
    pthread_mutex_lock(&w->mu);
    c->waiting = 0;
    pthread_mutex_unlock(&w->mu);
}

void vwatch_idle(vwatch_t *w, vwatched_t *c)
{
    if (w == NULL || c == NULL)
        return;
    pthread_mutex_lock(&w->mu);
    c->waiting = 1;
    c->since = now();
    pthread_mutex_unlock(&w->mu);
}

void vwatch_remove(vwatch_t *w, vwatched_t *c)
{
    if (w == NULL || c == NULL)
        return;
    pthread_mutex_lock(&w->mu);
    if (c->prev != NULL)
        c->prev->next = c->next;
    else
        w->head = c->next;
    if (c->next != NULL)
        c->next->prev = c->prev;
    pthread_mutex_unlock(&w->mu);
    free(c);
}
