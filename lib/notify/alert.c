/* alert.c - the alert state machine of a target: which checks fire and
 * resolve (after, recover_after), counted over the runs between two
 * snapshots, and which transitions are due to be notified (min_interval).
 * Pure: it reads snapshots and times it is given, never a clock. */
#include <stdlib.h>
#include <string.h>

#include "notify/notify.h"

/* ------------------------------------------------------------------------
 * One check
 */

static int set_text(char **field, const char *s)
{
    char *copy = NULL;

    if (s != NULL && *field != NULL && strcmp(*field, s) == 0)
        return 0;
    if (s != NULL && (copy = strdup(s)) == NULL)
        return -1;
    free(*field);
    *field = copy;
    return 0;
}

/* The status of the latest failing run: the worst kind of failure among
 * the runs since the last look (the order of coalesced runs is not
 * known), with criticality applied as the engine applies it. */
static vitals_status_t failing_status(const vnotify_alert_t *a,
                                      const vsnap_entry_t *e)
{
    vitals_status_t s = e->runs[VITALS_UNHEALTHY] > a->seen[VITALS_UNHEALTHY]
                            ? VITALS_UNHEALTHY
                            : VITALS_DEGRADED;

    if (!e->pub.critical && s == VITALS_UNHEALTHY)
        s = VITALS_DEGRADED;
    return s;
}

/* The streaks after the runs since the last look. contiguous_failures is
 * the engine's exact count of the failing streak; a passing streak is
 * exact only when no failure was among the new runs (then it grows by
 * their number), else it is at least 1: counted low, never high, so a
 * coalesced flap can delay a resolution but never hasten one. */
static void count_runs(vnotify_alert_t *a, const vsnap_entry_t *e)
{
    uint64_t passed = e->runs[VITALS_HEALTHY] - a->seen[VITALS_HEALTHY];
    uint64_t failed = (e->runs[VITALS_DEGRADED] - a->seen[VITALS_DEGRADED]) +
                      (e->runs[VITALS_UNHEALTHY] - a->seen[VITALS_UNHEALTHY]);

    if (e->pub.contiguous_failures > 0) {
        a->status = failing_status(a, e);
        a->fails = e->pub.contiguous_failures;
        a->passes = 0;
    } else {
        a->status = VITALS_HEALTHY;
        a->passes = failed == 0 ? a->passes + passed : 1;
        a->fails = 0;
    }
}

int vnotify_alert_observe(vnotify_alert_t *a, const vsnap_entry_t *e,
                          unsigned after, unsigned recover_after,
                          int64_t now_ns)
{
    uint64_t total = e->runs[0] + e->runs[1] + e->runs[2];
    const char *text = e->pub.error ? e->pub.error : e->pub.description;
    int was = a->firing;

    a->critical = e->pub.critical;
    if (!e->has_run)
        return 0;
    /* Counters that went back belong to a check configured anew. */
    if (e->runs[0] < a->seen[0] || e->runs[1] < a->seen[1] ||
        e->runs[2] < a->seen[2])
        memset(a->seen, 0, sizeof(a->seen));
    if (total == a->seen[0] + a->seen[1] + a->seen[2])
        return 0;
    if (set_text(&a->text, text) != 0 ||
        (e->pub.contiguous_failures > 0 && set_text(&a->output, text) != 0))
        return -1;
    count_runs(a, e);
    memcpy(a->seen, e->runs, sizeof(a->seen));
    if (!a->firing && a->fails >= after) {
        a->firing = 1;
        a->since_ns = e->pub.first_failure_ns ? e->pub.first_failure_ns
                                              : now_ns;
    } else if (a->firing && a->passes >= recover_after) {
        a->firing = 0;
        a->since_ns = now_ns;
    }
    return a->firing != was;
}

void vnotify_alert_clear(vnotify_alert_t *a)
{
    free(a->check);
    free(a->output);
    free(a->text);
    memset(a, 0, sizeof(*a));
}

/* ------------------------------------------------------------------------
 * Every check of a target
 */

static vnotify_alert_t *find_alert(vnotify_run_t *r, const char *check)
{
    for (size_t i = 0; i < r->nalerts; i++) {
        if (strcmp(r->alerts[i].check, check) == 0)
            return &r->alerts[i];
    }
    return NULL;
}

static vnotify_alert_t *add_alert(vnotify_run_t *r, const char *check)
{
    vnotify_alert_t *v = realloc(r->alerts, (r->nalerts + 1) * sizeof(*v));
    vnotify_alert_t *a;

    if (v == NULL)
        return NULL;
    r->alerts = v;
    a = &v[r->nalerts];
    memset(a, 0, sizeof(*a));
    if ((a->check = strdup(check)) == NULL)
        return NULL;
    a->notified_status = VITALS_HEALTHY;
    r->nalerts++;
    return a;
}

/* A firing check that left (removed, or no longer covered) resolves: its
 * alert would otherwise fire until Alertmanager times it out. */
static void vanish(vnotify_alert_t *a, int64_t now_ns)
{
    if (a->firing) {
        a->firing = 0;
        a->status = VITALS_HEALTHY;
        a->since_ns = now_ns;
        set_text(&a->text, "the check is no longer configured");
    }
}

int vnotify_observe(vnotify_target_t *t, const vitals_snapshot_t *s,
                    int64_t now_ns)
{
    vnotify_run_t *r = &t->run;
    int rc = 0;

    for (size_t i = 0; i < r->nalerts; i++)
        r->alerts[i].present = 0;
    for (size_t i = 0; s != NULL && i < s->n; i++) {
        const vsnap_entry_t *e = &s->entries[i];
        vnotify_alert_t *a;

        if (!vnotify_covers(t, e))
            continue;
        if ((a = find_alert(r, e->pub.name)) == NULL &&
            (a = add_alert(r, e->pub.name)) == NULL) {
            rc = -1;
            continue;
        }
        a->present = 1;
        if (vnotify_alert_observe(a, e, t->conf.after, t->conf.recover_after,
                                  now_ns) < 0)
            rc = -1;
    }
    for (size_t i = 0; i < r->nalerts; i++) {
        if (!r->alerts[i].present)
            vanish(&r->alerts[i], now_ns);
    }
    return rc;
}

/* Drops the alerts of vanished checks that have nothing left to say. */
static void forget(vnotify_run_t *r)
{
    size_t k = 0;

    for (size_t i = 0; i < r->nalerts; i++) {
        if (!r->alerts[i].present && !r->alerts[i].firing &&
            !r->alerts[i].notified)
            vnotify_alert_clear(&r->alerts[i]);
        else
            r->alerts[k++] = r->alerts[i];
    }
    r->nalerts = k;
}

int64_t vnotify_flush(vnotify_target_t *t, const vitals_snapshot_t *s,
                      int64_t now, int64_t now_ns,
                      void (*emit)(vnotify_target_t *t,
                                   const vnotify_event_t *ev, void *arg),
                      void *arg)
{
    int64_t gap = t->conf.min_interval_ms * 1000000LL, next = INT64_MAX;
    vnotify_run_t *r = &t->run;

    for (size_t i = 0; i < r->nalerts; i++) {
        vnotify_alert_t *a = &r->alerts[i];
        vnotify_event_t ev = {a, a->firing, a->notified_status, a->status, s,
                              now_ns};

        if (a->firing == a->notified)
            continue;
        if (a->sent_mono != 0 && now - a->sent_mono < gap) {
            if (a->sent_mono + gap < next)
                next = a->sent_mono + gap;
            continue;
        }
        emit(t, &ev, arg);
        a->notified = a->firing;
        a->notified_status = a->status;
        a->sent_mono = now;
    }
    forget(r);
    return next;
}
