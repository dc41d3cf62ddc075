/* once.c - runs every check of an instance once, now, without listening:
 * what `vitals check` needs to be a Nagios plugin, a CI step or a cron job
 * with the same check code and timeouts as the daemon. */
#include <time.h>

#include "instance.h"

/* How often the published snapshot is looked at while checks run: short
 * next to any check, and cheap (a snapshot is a pointer swap). */
#define POLL_NS (10 * VCLOCK_MS)

/* 1 when every check of the latest snapshot has a result: its own, or the
 * timeout the scheduler reports at its deadline. */
static int all_ran(vitals_t *v)
{
    vitals_snapshot_t *s = vitals_snapshot_get(v);
    int ran = s != NULL;

    for (size_t i = 0; ran && i < vitals_snapshot_count(s); i++)
        ran = vitals_snapshot_check(s, i)->timestamp_ns != 0;
    vitals_snapshot_release(s);
    return ran;
}

int vitals_run_once(vitals_t *v)
{
    const struct timespec poll = {0, POLL_NS};
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
     * scheduler runs: without this, all_ran could read the empty snapshot
     * of a new instance and return before any check ran. */
    vengine_publish(e, vclock_mono(e->clock));
    pthread_mutex_unlock(&e->lock);
    /* The scheduler and its pool alone, without the listeners of
     * vitals_start: the runs are parallel and their deadlines enforced
     * exactly as in the daemon, so this returns by the longest timeout. */
    if ((rc = vrunner_start(e)) != VITALS_OK)
        return rc;
    while (!all_ran(v))
        nanosleep(&poll, NULL);
    vrunner_stop(e);
    return VITALS_OK;
}
