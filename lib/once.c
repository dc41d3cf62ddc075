/* once.c - runs every check of an instance once, now, without listening:
 * what `vitals check` needs to be a Nagios plugin, a CI step or a cron job
 * with the same check code and timeouts as the daemon. */
#include "instance.h"

/* Waits for the publication in which every check has run. */
typedef struct waiting {
    pthread_cond_t cv; /* waited on with the engine's lock */
    int done;
} waiting_t;

/* 1 when every check of s has a result: its own, or the timeout the
 * scheduler reports at its deadline. */
static int all_ran(vitals_snapshot_t *s)
{
    for (size_t i = 0; i < vitals_snapshot_count(s); i++)
        if (vitals_snapshot_check(s, i)->timestamp_ns == 0)
            return 0;
    return 1;
}

/* The engine's subscriber (its lock held): wakes vitals_run_once. */
static void on_publish(vitals_snapshot_t *s, void *data)
{
    waiting_t *w = data;

    if (!w->done && all_ran(s)) {
        w->done = 1;
        pthread_cond_signal(&w->cv);
    }
}

int vitals_run_once(vitals_t *v)
{
    waiting_t w = {.done = 0};
    vengine_t *e;
    int rc;

    if (v == NULL)
        return VITALS_EINVAL;
    e = vitals_engine(v);
    pthread_mutex_lock(&e->lock);
    if (e->pool != NULL) { /* vitals_start ran: the runner is taken */
        pthread_mutex_unlock(&e->lock);
        return VITALS_EBUSY;
    }
    /* Due now, not after their initial_delay: a one-shot run has no
     * start-up to wait for. */
    for (size_t i = 0; i < e->n; i++)
        vheap_schedule(e, e->checks[i], vclock_mono(e->clock));
    /* Checks added through the C API are not published until the
     * scheduler runs: without this, the subscriber would see the empty
     * snapshot of a new instance and end the wait before any check ran. */
    vengine_publish(e, vclock_mono(e->clock));
    pthread_mutex_unlock(&e->lock);
    pthread_cond_init(&w.cv, NULL);
    if ((rc = vengine_subscribe(e, on_publish, &w)) != VITALS_OK)
        goto out;
    /* The scheduler and its pool alone, without the listeners of
     * vitals_start: the runs are parallel and their deadlines enforced
     * exactly as in the daemon, so this returns by the longest timeout. */
    if ((rc = vrunner_start(e)) == VITALS_OK) {
        pthread_mutex_lock(&e->lock);
        while (!w.done)
            pthread_cond_wait(&w.cv, &e->lock);
        pthread_mutex_unlock(&e->lock);
        vrunner_stop(e);
    }
    vengine_unsubscribe(e, on_publish, &w);
out:
    pthread_cond_destroy(&w.cv);
    return rc;
}
