/* runner.c - drives the engine with real threads: one scheduler thread that
 * sleeps until the next event, and a pool of workers that run checks.
 *
 * The pool grows only for runs that no worker will take: a worker that is
 * idle, or one that is starting and will take a run first thing, counts as
 * taken. So a burst of due runs makes at most as many workers as runs wait
 * at once (never more than the configured cap, max_workers), a check hung
 * in its callback occupies one thread and delays nobody else, and idle
 * workers above the minimum exit. Threads are created outside the pool
 * lock. The pool outlives the engine when a worker is still stuck in a
 * callback at vrunner_stop: such a worker finds pool->e cleared when it
 * returns, drops its result and exits.
 */
#include <errno.h>
#include <stdlib.h>

#include "engine/engine.h"

#define POOL_MIN_IDLE 2
#define POOL_IDLE_NS (10 * VCLOCK_S)
/* Workers started at once for a burst of runs; beyond them a worker is
 * added only for a run that has waited POOL_WAIT_NS (its workers are busy
 * or hung), so that 10,000 cheap runs due together do not make a thread
 * each, while a run never waits long behind hung checks. */
#define POOL_EAGER 8
#define POOL_WAIT_NS (20 * VCLOCK_MS)

struct vpool {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    vrun_t *head, **tail;
    unsigned nthreads; /* running or starting */
    unsigned nidle;
    unsigned nstarting; /* created, not yet looking at the queue */
    unsigned nqueued; /* runs in the queue */
    int stopping;
    unsigned refs; /* the instance's, plus one per thread */
    vengine_t *e; /* cleared by vrunner_stop */
};

static void pool_unref_locked(vpool_t *p)
{
    int last = --p->refs == 0;

    pthread_mutex_unlock(&p->mu);
    if (!last)
        return;
    while (p->head != NULL) {
        vrun_t *r = p->head;

        p->head = r->next;
        vrun_free(r);
    }
    pthread_cond_destroy(&p->cv);
    pthread_mutex_destroy(&p->mu);
    free(p);
}

static void *worker_main(void *arg)
{
    vpool_t *p = arg;

    pthread_mutex_lock(&p->mu);
    p->nstarting--;
    for (;;) {
        vrun_t *run;

        while (p->head == NULL && !p->stopping) {
            struct timespec until =
                vclock_timespec(vclock_mono(&vclock_system) + POOL_IDLE_NS);
            int rc;

            p->nidle++;
            rc = pthread_cond_timedwait(&p->cv, &p->mu, &until);
            p->nidle--;
            if (rc == ETIMEDOUT && p->head == NULL &&
                p->nthreads > POOL_MIN_IDLE)
                goto out;
        }
        if (p->stopping)
            break;
        run = p->head;
        if ((p->head = run->next) == NULL)
            p->tail = &p->head;
        p->nqueued--;
        run->next = NULL;
        pthread_mutex_unlock(&p->mu);

        vengine_execute(run);

        pthread_mutex_lock(&p->mu);
        if (p->e != NULL) {
            vengine_t *e = p->e;

            pthread_mutex_lock(&e->lock);
            vengine_finish(e, run, vclock_mono(e->clock));
            pthread_cond_signal(&e->wake);
            pthread_mutex_unlock(&e->lock);
        } else {
            vrun_free(run);
        }
    }
out:
    p->nthreads--;
    pool_unref_locked(p);
    return NULL;
}

/* How many workers the queue is missing (pool lock held): runs that no
 * idle or starting worker will take, within the cap, and only for runs
 * that waited once POOL_EAGER workers are there. Counts them as starting,
 * so that a second look before they run does not start them again. */
static unsigned pool_missing(vpool_t *p, int64_t now)
{
    unsigned cap = p->e != NULL ? vengine_max_workers(p->e) : 0, want = 0;

    while (p->nqueued > p->nidle + p->nstarting + want &&
           p->nthreads + want < cap &&
           (p->nthreads + want < POOL_EAGER ||
            now - p->head->start_mono >= POOL_WAIT_NS))
        want++;
    p->nthreads += want;
    p->nstarting += want;
    p->refs += want;
    return want;
}

/* Creates n workers counted by pool_missing, without the pool lock: a
 * thread's creation maps its stack, and nobody should wait for that. */
static void spawn_workers(vpool_t *p, unsigned n)
{
    pthread_attr_t attr;
    unsigned failed = 0;

    if (n == 0)
        return;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    for (unsigned i = 0; i < n; i++) {
        pthread_t t;

        if (pthread_create(&t, &attr, worker_main, p) != 0)
            failed++;
    }
    pthread_attr_destroy(&attr);
    if (failed == 0)
        return;
    /* Out of threads: the runs wait for the workers there are; the
     * scheduler tries again while they wait. */
    pthread_mutex_lock(&p->mu);
    p->nthreads -= failed;
    p->nstarting -= failed;
    p->refs -= failed; /* never the last: the caller holds one */
    pthread_mutex_unlock(&p->mu);
}

/* Queues a run, waking or starting a worker for it. At the cap a run
 * waits in the queue; its deadline still counts, so it is reported as
 * timed out if it waits too long. */
static void pool_submit(vpool_t *p, vrun_t *run, int64_t now)
{
    unsigned n;

    pthread_mutex_lock(&p->mu);
    *p->tail = run;
    p->tail = &run->next;
    p->nqueued++;
    if (p->nidle > 0)
        pthread_cond_signal(&p->cv);
    n = pool_missing(p, now);
    pthread_mutex_unlock(&p->mu);
    spawn_workers(p, n);
}

/* Adds workers for runs that have waited; returns 1 while runs wait for
 * one, so that the scheduler looks again soon. */
static int pool_nudge(vpool_t *p, int64_t now)
{
    unsigned n;
    int waiting;

    pthread_mutex_lock(&p->mu);
    n = pool_missing(p, now);
    waiting = p->nqueued > p->nidle + p->nstarting;
    pthread_mutex_unlock(&p->mu);
    spawn_workers(p, n);
    return waiting;
}

static void *scheduler_main(void *arg)
{
    vengine_t *e = arg;

    pthread_mutex_lock(&e->lock);
    while (!e->stopping) {
        int64_t now = vclock_mono(e->clock);
        vrun_t *runs = vengine_due(e, now);
        int64_t wake, publish_at, lifecycle_at;
        int starved;

        if (runs != NULL) {
            /* Submit without e->lock: workers take the pool lock and
             * then e->lock, never the other way. */
            pthread_mutex_unlock(&e->lock);
            while (runs != NULL) {
                vrun_t *next = runs->next;

                runs->next = NULL;
                pool_submit(e->pool, runs, now);
                runs = next;
            }
            pthread_mutex_lock(&e->lock);
            continue;
        }
        /* Never take the pool lock under e->lock: workers take them the
         * other way round. */
        pthread_mutex_unlock(&e->lock);
        starved = pool_nudge(e->pool, now);
        pthread_mutex_lock(&e->lock);
        lifecycle_at = vengine_tick(e, now);
        publish_at = e->urgent ? now
                               : e->last_publish + e->publish_interval_ns;
        if (e->dirty && now >= publish_at)
            vengine_publish(e, now);
        wake = vengine_next_wake(e);
        if (e->dirty && publish_at < wake)
            wake = publish_at;
        if (lifecycle_at < wake)
            wake = lifecycle_at;
        if (starved && now + POOL_WAIT_NS < wake)
            wake = now + POOL_WAIT_NS;
        if (wake == INT64_MAX) {
            pthread_cond_wait(&e->wake, &e->lock);
        } else if (wake > now) {
            struct timespec until = vclock_timespec(wake);

            pthread_cond_timedwait(&e->wake, &e->lock, &until);
        }
    }
    pthread_mutex_unlock(&e->lock);
    return NULL;
}

void vengine_set_max_workers(vengine_t *e, unsigned n)
{
    atomic_store(&e->max_workers, n > 0 ? n : 1);
}

/* Tells every check's type that the instance stops (on) or starts (off),
 * so that what a run started outside the process (an exec check's
 * program) ends with the instance. */
static void halt_checks(vengine_t *e, int on)
{
    pthread_mutex_lock(&e->lock);
    for (size_t i = 0; i < e->n; i++) {
        vcheck_t *c = e->checks[i];

        if (c->type != NULL && c->type->halt != NULL)
            c->type->halt(c->type_state, on);
    }
    pthread_mutex_unlock(&e->lock);
}

int vrunner_start(vengine_t *e)
{
    vpool_t *p = calloc(1, sizeof(*p));

    if (p == NULL)
        return VITALS_ENOMEM;
    pthread_mutex_init(&p->mu, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&p->cv, &ca);
    pthread_condattr_destroy(&ca);
    p->tail = &p->head;
    p->refs = 1;
    p->e = e;
    e->pool = p;
    e->stopping = 0;
    halt_checks(e, 0);
    if (pthread_create(&e->thread, NULL, scheduler_main, e) != 0) {
        pthread_mutex_lock(&p->mu);
        e->pool = NULL;
        pool_unref_locked(p);
        return VITALS_ESYS;
    }
    return VITALS_OK;
}

void vrunner_stop(vengine_t *e)
{
    vpool_t *p = e->pool;

    if (p == NULL)
        return;
    pthread_mutex_lock(&e->lock);
    e->stopping = 1;
    pthread_cond_signal(&e->wake);
    pthread_mutex_unlock(&e->lock);
    pthread_join(e->thread, NULL);

    /* Detach the pool: a worker still in a callback will drop its run,
     * and no worker starts a queued one. */
    pthread_mutex_lock(&p->mu);
    p->e = NULL;
    p->stopping = 1;
    pthread_cond_broadcast(&p->cv);
    e->pool = NULL;
    pool_unref_locked(p);
    /* Then end what runs started: their programs die with the instance. */
    halt_checks(e, 1);
}
