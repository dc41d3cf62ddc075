/* watch.c - the server's table of connections: read timeouts, the total
 * limit with eviction of the longest-idle, and memory given back after a
 * flood (see watch.h). */
#include "listen/watch.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

#include "util/clock.h"

#define SWEEP_NS (250 * VCLOCK_MS)
/* A flood is over when the connections fell to a quarter of their peak,
 * and worth giving memory back after when the peak had this many. */
#define FLOOD_MIN 64

struct vwatched {
    vwatched_t *prev, *next;
    int fd;
    int waiting; /* for a request (head or body), or idle between two */
    int closed;  /* already shut down by the watch */
    int64_t since;
};

struct vwatch {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    pthread_t thread;
    vwatched_t *head; /* newest first */
    int64_t timeout_ns;
    unsigned max, open; /* open: not yet shut down by the watch */
    unsigned peak;      /* the most open since memory was last trimmed */
    int stopping;
};

static int64_t now(void)
{
    return vclock_mono(&vclock_system);
}

/* libmicrohttpd sees the end of the stream and closes the connection. */
static void shut(vwatch_t *w, vwatched_t *c)
{
    shutdown(c->fd, SHUT_RDWR);
    c->closed = 1;
    w->open--;
}

static void sweep(vwatch_t *w, int64_t t)
{
    for (vwatched_t *c = w->head; c != NULL; c = c->next)
        if (c->waiting && !c->closed && t - c->since >= w->timeout_ns)
            shut(w, c);
}

/* After a flood, the arenas keep the freed connection pools: give them
 * back once the connections fell to a quarter of their peak. */
static void trim_after_flood(vwatch_t *w)
{
    if (w->peak < FLOOD_MIN || w->open > w->peak / 4)
        return;
    w->peak = w->open;
#ifdef __GLIBC__
    malloc_trim(0);
#endif
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
        trim_after_flood(w);
    }
    pthread_mutex_unlock(&w->mu);
    return NULL;
}

vwatch_t *vwatch_start(int64_t read_timeout_ms, unsigned max_connections)
{
    vwatch_t *w = calloc(1, sizeof(*w));
    pthread_condattr_t ca;

    if (w == NULL)
        return NULL;
    w->timeout_ns = read_timeout_ms * VCLOCK_MS;
    w->max = max_connections > 0 ? max_connections : 1;
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

/* Past the limit: shuts down the open connection that has waited longest
 * for a request. The list is newest first, so the last one found is it;
 * the new connection itself is the candidate of last resort. */
static void evict(vwatch_t *w)
{
    vwatched_t *oldest = NULL;

    for (vwatched_t *c = w->head; c != NULL; c = c->next)
        if (c->waiting && !c->closed &&
            (oldest == NULL || c->since <= oldest->since))
            oldest = c;
    if (oldest != NULL)
        shut(w, oldest);
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
    if (++w->open > w->peak)
        w->peak = w->open;
    if (w->open > w->max)
        evict(w);
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
    if (!c->closed)
        w->open--;
    pthread_mutex_unlock(&w->mu);
    free(c);
}

unsigned vwatch_count(vwatch_t *w)
{
    unsigned n;

    if (w == NULL)
        return 0;
    pthread_mutex_lock(&w->mu);
    n = w->open;
    pthread_mutex_unlock(&w->mu);
    return n;
}
