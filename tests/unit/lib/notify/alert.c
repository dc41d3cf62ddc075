/* alert.c - unit tests for the alert state machine (lib/notify/alert.c)
 * over hand-made snapshot entries: after and recover_after counted in
 * runs, coalesced runs, statuses, min_interval, coverage and checks that
 * leave. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "notify/notify.h"
#include "notifytest.h"

#define T0 1602684245000000000LL /* wall clock of the first failure */
#define S 1000000000LL

/* A check's entry after h healthy, d degraded and u unhealthy runs, the
 * last cf of them failing. */
static vsnap_entry_t entry(const char *name, uint64_t h, uint64_t d,
                           uint64_t u, uint64_t cf)
{
    vsnap_entry_t e;

    memset(&e, 0, sizeof(e));
    e.pub.name = name;
    e.pub.critical = 1;
    e.has_run = 1;
    e.runs[VITALS_HEALTHY] = h;
    e.runs[VITALS_DEGRADED] = d;
    e.runs[VITALS_UNHEALTHY] = u;
    e.pub.contiguous_failures = cf;
    e.pub.status = cf ? VITALS_UNHEALTHY : VITALS_HEALTHY;
    e.pub.error = cf ? "connection refused" : NULL;
    e.pub.description = cf ? NULL : "all good";
    e.pub.first_failure_ns = cf ? T0 : 0;
    return e;
}

static int observe(vnotify_alert_t *a, vsnap_entry_t e, unsigned after,
                   unsigned recover)
{
    return vnotify_alert_observe(a, &e, after, recover, T0 + 99 * S);
}

static void test_fires_after_n_failures(void **state)
{
    vnotify_alert_t a = {0};

    (void)state;
    assert_int_equal(observe(&a, entry("db", 5, 0, 1, 1), 3, 1), 0);
    assert_int_equal(observe(&a, entry("db", 5, 0, 2, 2), 3, 1), 0);
    assert_int_equal(a.fails, 2);
    assert_int_equal(observe(&a, entry("db", 5, 0, 3, 3), 3, 1), 1);
    assert_int_equal(a.firing, 1);
    assert_int_equal(a.status, VITALS_UNHEALTHY);
    assert_int_equal(a.since_ns, T0); /* the first failing run */
    assert_string_equal(a.output, "connection refused");
    /* More failures: no new transition. */
    assert_int_equal(observe(&a, entry("db", 5, 0, 4, 4), 3, 1), 0);
    /* The same snapshot again (no new run) changes nothing. */
    assert_int_equal(observe(&a, entry("db", 5, 0, 4, 4), 3, 1), 0);
    vnotify_alert_clear(&a);
}

static void test_pass_resets_the_streak(void **state)
{
    vnotify_alert_t a = {0};

    (void)state;
    observe(&a, entry("db", 0, 0, 1, 1), 3, 1);
    observe(&a, entry("db", 0, 0, 2, 2), 3, 1);
    observe(&a, entry("db", 1, 0, 2, 0), 3, 1);
    observe(&a, entry("db", 1, 0, 3, 1), 3, 1);
    assert_int_equal(observe(&a, entry("db", 1, 0, 4, 2), 3, 1), 0);
    assert_int_equal(a.firing, 0);
    assert_int_equal(observe(&a, entry("db", 1, 0, 5, 3), 3, 1), 1);
    vnotify_alert_clear(&a);
}

/* Three runs between two publications count as three. */
static void test_coalesced_failures(void **state)
{
    vnotify_alert_t a = {0};

    (void)state;
    assert_int_equal(observe(&a, entry("db", 2, 0, 0, 0), 3, 1), 0);
    assert_int_equal(observe(&a, entry("db", 2, 1, 2, 3), 3, 1), 1);
    /* Degraded and unhealthy runs among them: the worst is shown. */
    assert_int_equal(a.status, VITALS_UNHEALTHY);
    vnotify_alert_clear(&a);
}

static void test_recover_after(void **state)
{
    vnotify_alert_t a = {0};

    (void)state;
    observe(&a, entry("db", 0, 0, 1, 1), 1, 2);
    assert_int_equal(a.firing, 1);
    assert_int_equal(observe(&a, entry("db", 1, 0, 1, 0), 1, 2), 0);
    assert_int_equal(a.passes, 1);
    assert_int_equal(observe(&a, entry("db", 2, 0, 1, 0), 1, 2), 1);
    assert_int_equal(a.firing, 0);
    assert_int_equal(a.status, VITALS_HEALTHY);
    assert_int_equal(a.since_ns, T0 + 99 * S);
    assert_string_equal(a.text, "all good");
    /* The failure's text is kept for the resolution's description. */
    assert_string_equal(a.output, "connection refused");
    vnotify_alert_clear(&a);
}

/* A failure and two passes coalesced: the passes after the failure are
 * not known, so they count as one - a resolution comes late, never
 * early. */
static void test_coalesced_flap_counts_low(void **state)
{
    vnotify_alert_t a = {0};

    (void)state;
    observe(&a, entry("db", 0, 0, 1, 1), 1, 2);
    assert_int_equal(observe(&a, entry("db", 2, 0, 2, 0), 1, 2), 0);
    assert_int_equal(a.passes, 1);
    assert_int_equal(a.firing, 1);
    assert_int_equal(observe(&a, entry("db", 3, 0, 2, 0), 1, 2), 1);
    vnotify_alert_clear(&a);
}

static void test_statuses(void **state)
{
    vnotify_alert_t a = {0};
    vsnap_entry_t e = entry("db", 0, 1, 0, 1);

    (void)state;
    vnotify_alert_observe(&a, &e, 1, 1, T0);
    assert_int_equal(a.status, VITALS_DEGRADED);
    vnotify_alert_clear(&a);
    /* A check that is not critical is degraded at worst. */
    e = entry("db", 0, 0, 1, 1);
    e.pub.critical = 0;
    vnotify_alert_observe(&a, &e, 1, 1, T0);
    assert_int_equal(a.status, VITALS_DEGRADED);
    assert_int_equal(a.critical, 0);
    vnotify_alert_clear(&a);
}

static void test_not_yet_run_and_reset(void **state)
{
    vnotify_alert_t a = {0};
    vsnap_entry_t e = entry("db", 0, 0, 0, 0);

    (void)state;
    e.has_run = 0;
    e.pub.error = "not yet run";
    assert_int_equal(vnotify_alert_observe(&a, &e, 1, 1, T0), 0);
    assert_int_equal(a.fails, 0);
    /* A check configured anew starts its counters again. */
    observe(&a, entry("db", 9, 0, 0, 0), 1, 1);
    assert_int_equal(observe(&a, entry("db", 0, 0, 1, 1), 1, 1), 1);
    assert_int_equal(a.seen[VITALS_UNHEALTHY], 1);
    vnotify_alert_clear(&a);
}

/* ------------------------------------------------------------------------
 * A target: min_interval, coverage, checks that leave
 */

typedef struct sink {
    int n;
    char what[8][64];
    vitals_status_t old[8], new[8];
} sink_t;

static void emit(vnotify_target_t *t, const vnotify_event_t *ev, void *arg)
{
    sink_t *k = arg;

    (void)t;
    if (k->n < 8) {
        snprintf(k->what[k->n], sizeof(k->what[0]), "%s %s", ev->alert->check,
                 ev->firing ? "firing" : "resolved");
        k->old[k->n] = ev->old_status;
        k->new[k->n] = ev->new_status;
    }
    k->n++;
}

static vitals_snapshot_t *snap2(vsnap_entry_t a, vsnap_entry_t b)
{
    vitals_snapshot_t *s = vsnap_new(2);

    s->entries[0] = a;
    s->entries[1] = b;
    return s;
}

static void step(vnotify_target_t *t, vitals_snapshot_t *s, int64_t now,
                 sink_t *k, int64_t *next)
{
    vnotify_observe(t, s, T0 + now);
    *next = vnotify_flush(t, s, now, T0 + now, emit, k);
    vitals_snapshot_release(s);
}

static void test_min_interval(void **state)
{
    vnotify_targets_t *ts = nt_targets("{\"notify\": [{\"type\": \"webhook\", "
                                    "\"url\": \"http://127.0.0.1:1/\", "
                                    "\"min_interval\": \"10s\"}]}");
    vnotify_target_t *t = ts->v[0];
    vsnap_entry_t ok = entry("web", 1, 0, 0, 0);
    sink_t k = {0};
    int64_t next;

    (void)state;
    step(t, snap2(entry("db", 0, 0, 1, 1), ok), 1 * S, &k, &next);
    assert_int_equal(k.n, 1);
    assert_string_equal(k.what[0], "db firing");
    assert_int_equal(k.old[0], VITALS_HEALTHY);
    assert_int_equal(k.new[0], VITALS_UNHEALTHY);
    assert_true(next == INT64_MAX);
    /* Recovered 2 s later: held back until 10 s after the firing. */
    step(t, snap2(entry("db", 1, 0, 1, 0), ok), 3 * S, &k, &next);
    assert_int_equal(k.n, 1);
    assert_int_equal(next, 11 * S);
    /* Down again before then: the flap cancels out, nothing to say. */
    step(t, snap2(entry("db", 1, 0, 2, 1), ok), 5 * S, &k, &next);
    assert_int_equal(k.n, 1);
    assert_true(next == INT64_MAX);
    /* Up again; at 11 s the resolution goes out. */
    step(t, snap2(entry("db", 2, 0, 2, 0), ok), 6 * S, &k, &next);
    assert_int_equal(k.n, 1);
    step(t, snap2(entry("db", 2, 0, 2, 0), ok), 11 * S, &k, &next);
    assert_int_equal(k.n, 2);
    assert_string_equal(k.what[1], "db resolved");
    assert_int_equal(k.old[1], VITALS_UNHEALTHY);
    assert_int_equal(k.new[1], VITALS_HEALTHY);
    vnotify_targets_free(ts);
}

static void test_coverage_and_leaving(void **state)
{
    vnotify_targets_t *ts = nt_targets(
        "{\"notify\": [{\"type\": \"alertmanager\", \"url\": "
        "\"http://127.0.0.1:1/\", \"checks\": [\"db\"], \"tags\": "
        "\"ready\"}]}");
    vnotify_target_t *t = ts->v[0];
    const char *tags[] = {"ready"};
    vsnap_entry_t db = entry("db", 0, 0, 1, 1), web = entry("web", 0, 0, 1, 1);
    vsnap_entry_t other = entry("disk", 0, 0, 1, 1);
    vitals_snapshot_t *s;
    sink_t k = {0};
    int64_t next;

    (void)state;
    web.pub.tags = tags;
    web.pub.ntags = 1;
    step(t, snap2(db, web), S, &k, &next);
    assert_int_equal(k.n, 2);
    assert_string_equal(k.what[0], "db firing");
    assert_string_equal(k.what[1], "web firing");
    /* Not covered: never an alert. web is removed: it resolves. */
    step(t, snap2(db, other), 2 * S, &k, &next);
    assert_int_equal(k.n, 3);
    assert_string_equal(k.what[2], "web resolved");
    assert_int_equal(t->run.nalerts, 1);
    s = vsnap_new(0);
    step(t, s, 3 * S, &k, &next);
    assert_int_equal(k.n, 4);
    assert_string_equal(k.what[3], "db resolved");
    assert_int_equal(t->run.nalerts, 0);
    vnotify_targets_free(ts);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fires_after_n_failures),
        cmocka_unit_test(test_pass_resets_the_streak),
        cmocka_unit_test(test_coalesced_failures),
        cmocka_unit_test(test_recover_after),
        cmocka_unit_test(test_coalesced_flap_counts_low),
        cmocka_unit_test(test_statuses),
        cmocka_unit_test(test_not_yet_run_and_reset),
        cmocka_unit_test(test_min_interval),
        cmocka_unit_test(test_coverage_and_leaving),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
