/* engine.c - the scheduling state machine, driven by a fake clock:
 * initial delay, cadence, timeouts, thresholds, criticality, aggregation,
 * reloads. No threads, no sleeps. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "instance.h"
#include "outputs/output.h"
#include "fakeclock.h"
#include "snapshot.h"

#define REAL0 FAKECLOCK_REAL0 /* 2020-10-14T14:04:05Z */
#define S VCLOCK_S
#define MS VCLOCK_MS

/* What a scripted check reports next. */
typedef struct {
    vitals_status_t status;
    const char *error;
    int64_t cost; /* fake time the run takes */
    int runs;
} script_t;

static void scripted(vitals_result_t *r, void *data)
{
    script_t *s = data;

    s->runs++;
    vitals_result_set_status(r, s->status);
    if (s->error != NULL)
        vitals_result_set_error(r, "%s", s->error);
    vitals_result_set_int(r, "runs", s->runs);
    fakeclock_advance(s->cost);
}

static char logbuf[4096];
static void capture_log(vitals_log_level_t l, const char *msg, void *d)
{
    (void)l;
    (void)d;
    strncat(logbuf, msg, sizeof(logbuf) - strlen(logbuf) - 2);
    strcat(logbuf, "\n");
}

static vitals_t *new_instance(void)
{
    vitals_t *v = vitals_new();

    assert_non_null(v);
    fakeclock_reset();
    vitals_engine(v)->clock = &fake_clock;
    logbuf[0] = '\0';
    vitals_set_log(v, capture_log, NULL);
    return v;
}

/* Runs every due check inline and publishes. Returns how many ran. */
static int tick(vitals_t *v)
{
    int n = 0;
    vrun_t *run = vengine_due(vitals_engine(v), fake.mono);

    while (run != NULL) {
        vrun_t *next = run->next;

        vengine_execute(run);
        vengine_finish(vitals_engine(v), run, fake.mono);
        run = next;
        n++;
    }
    vengine_publish(vitals_engine(v), fake.mono);
    return n;
}

static const vitals_check_state_t *state(vitals_t *v, size_t i,
                                         vitals_snapshot_t **s)
{
    vitals_snapshot_release(*s);
    *s = vitals_snapshot_get(v);
    return vitals_snapshot_check(*s, i);
}

static void add(vitals_t *v, const char *name, script_t *sc,
                void (*tweak)(vitals_check_opts_t *))
{
    vitals_check_opts_t o;

    vitals_check_opts_init(&o);
    if (tweak)
        tweak(&o);
    assert_int_equal(vitals_add_check(v, name, &o, scripted, sc, NULL), 0);
}

static void test_no_checks_is_healthy(void **st)
{
    vitals_t *v = new_instance();
    vitals_snapshot_t *s = vitals_snapshot_get(v);

    (void)st;
    assert_int_equal(vitals_snapshot_status(s), VITALS_HEALTHY);
    assert_int_equal(vitals_snapshot_count(s), 0);
    vitals_snapshot_release(s);
    vitals_free(v);
}

static void delayed(vitals_check_opts_t *o) { o->initial_delay_ms = 5000; }

static void test_not_yet_run_and_initial_delay(void **st)
{
    vitals_t *v = new_instance();
    vitals_snapshot_t *s = NULL;
    script_t sc = {VITALS_HEALTHY, NULL, MS, 0};
    const vitals_check_state_t *c;

    (void)st;
    add(v, "db", &sc, delayed);
    assert_int_equal(tick(v), 0);
    c = state(v, 0, &s);
    assert_string_equal(c->name, "db");
    assert_int_equal(c->status, VITALS_UNHEALTHY);
    assert_string_equal(c->error, "not yet run");
    assert_int_equal(c->timestamp_ns, 0);
    assert_int_equal(vitals_snapshot_status(s), VITALS_UNHEALTHY);

    fakeclock_advance(4999 * MS);
    assert_int_equal(tick(v), 0);
    fakeclock_advance(1 * MS);
    assert_int_equal(tick(v), 1);
    c = state(v, 0, &s);
    assert_int_equal(c->status, VITALS_HEALTHY);
    assert_null(c->error);
    assert_int_equal(c->duration_ns, MS);
    assert_int_equal(c->timestamp_ns, REAL0 + 5 * S);
    assert_int_equal(c->last_success_ns, REAL0 + 5 * S);
    assert_string_equal(c->data_json, "{\"runs\":1}");
    assert_non_null(strstr(logbuf, "check db: not yet run -> healthy"));
    vitals_snapshot_release(s);
    vitals_free(v);
}

static void test_interval_cadence(void **st)
{
    vitals_t *v = new_instance();
    script_t sc = {VITALS_HEALTHY, NULL, 2 * S, 0};

    (void)st;
    add(v, "a", &sc, NULL); /* interval 30 s, each run takes 2 s */
    int64_t t0 = fake.mono;
    assert_int_equal(tick(v), 1);
    /* The next run is due 30 s after the last one started, not finished. */
    assert_int_equal(vengine_next_wake(vitals_engine(v)), t0 + 30 * S);
    fakeclock_advance(27 * S);
    assert_int_equal(tick(v), 0);
    fakeclock_advance(1 * S);
    assert_int_equal(tick(v), 1);
    assert_int_equal(sc.runs, 2);
    vitals_free(v);
}

static void short_timeout(vitals_check_opts_t *o)
{
    o->timeout_ms = 2000;
    o->interval_ms = 10000;
}

static void test_timeout_is_reported_at_the_deadline(void **st)
{
    vitals_t *v = new_instance();
    vitals_snapshot_t *s = NULL;
    script_t sc = {VITALS_HEALTHY, NULL, 0, 0};
    const vitals_check_state_t *c;
    vrun_t *run;
    int64_t t0 = fake.mono;

    (void)st;
    add(v, "slow", &sc, short_timeout);
    run = vengine_due(vitals_engine(v), fake.mono); /* handed to a worker that hangs */
    assert_non_null(run);
    assert_null(run->next);
    assert_int_equal(vengine_next_wake(vitals_engine(v)), t0 + 2 * S);
    fakeclock_advance(1999 * MS);
    assert_null(vengine_due(vitals_engine(v), fake.mono));
    fakeclock_advance(1 * MS);
    assert_null(vengine_due(vitals_engine(v), fake.mono)); /* no second run while hung */
    vengine_publish(vitals_engine(v), fake.mono);
    c = state(v, 0, &s);
    assert_int_equal(c->status, VITALS_UNHEALTHY);
    assert_string_equal(c->error, "timed out after 2s");
    assert_int_equal(c->duration_ns, 2 * S);
    assert_int_equal(c->contiguous_failures, 1);
    assert_int_equal(c->first_failure_ns, REAL0);
    /* While the run hangs there is nothing to wake up for. */
    assert_int_equal(vengine_next_wake(vitals_engine(v)), INT64_MAX);
    assert_non_null(strstr(logbuf,
                           "check slow: not yet run -> unhealthy: timed out "
                           "after 2s"));

    /* The hung run comes back late: its result is dropped and the check is
     * scheduled on its cadence again. */
    fakeclock_advance(20 * S);
    vengine_execute(run);
    vengine_finish(vitals_engine(v), run, fake.mono);
    vengine_publish(vitals_engine(v), fake.mono);
    c = state(v, 0, &s);
    assert_string_equal(c->error, "timed out after 2s");
    assert_string_equal(c->data_json, "{}");
    assert_int_equal(vengine_next_wake(vitals_engine(v)), fake.mono);
    assert_int_equal(tick(v), 1);
    c = state(v, 0, &s);
    assert_int_equal(c->status, VITALS_HEALTHY);
    assert_int_equal(c->contiguous_failures, 0);
    assert_int_equal(c->first_failure_ns, 0);
    vitals_snapshot_release(s);
    vitals_free(v);
}

static void test_result_at_the_deadline_is_a_timeout(void **st)
{
    vitals_t *v = new_instance();
    vitals_snapshot_t *s = NULL;
    script_t sc = {VITALS_UNHEALTHY, "killed at the timeout", 2 * S, 0};
    const vitals_check_state_t *c;

    (void)st;
    add(v, "slow", &sc, short_timeout);
    assert_int_equal(tick(v), 1); /* returns exactly at its deadline */
    c = state(v, 0, &s);
    assert_string_equal(c->error, "timed out after 2s");
    assert_string_equal(c->data_json, "{}");
    assert_int_equal(vengine_next_wake(vitals_engine(v)), fake.mono - 2 * S + 10 * S);
    vitals_snapshot_release(s);
    vitals_free(v);
}

static void thresholds(vitals_check_opts_t *o)
{
    o->failure_threshold = 3;
    o->success_threshold = 2;
    o->interval_ms = 1000;
}

static void test_thresholds(void **st)
{
    vitals_t *v = new_instance();
    vitals_snapshot_t *s = NULL;
    script_t sc = {VITALS_HEALTHY, NULL, 0, 0};
    const vitals_check_state_t *c;

    (void)st;
    add(v, "flappy", &sc, thresholds);
    assert_int_equal(tick(v), 1);
    assert_int_equal(state(v, 0, &s)->status, VITALS_HEALTHY);

    sc.status = VITALS_UNHEALTHY;
    sc.error = "connection refused";
    for (int i = 1; i <= 2; i++) {
        fakeclock_advance(S);
        assert_int_equal(tick(v), 1);
        c = state(v, 0, &s);
        assert_int_equal(c->status, VITALS_HEALTHY);
        assert_null(c->error);
        assert_int_equal(c->contiguous_failures, (uint64_t)i);
        assert_int_equal(c->first_failure_ns, REAL0 + S);
    }
    fakeclock_advance(S);
    tick(v);
    c = state(v, 0, &s);
    assert_int_equal(c->status, VITALS_UNHEALTHY);
    assert_string_equal(c->error, "connection refused");
    assert_int_equal(c->contiguous_failures, 3);
    assert_non_null(strstr(logbuf, "check flappy: healthy -> unhealthy: "
                                   "connection refused"));

    sc.status = VITALS_HEALTHY;
    sc.error = NULL;
    fakeclock_advance(S);
    tick(v);
    c = state(v, 0, &s);
    /* One success of two: still reported failing, with the failure. */
    assert_int_equal(c->status, VITALS_UNHEALTHY);
    assert_string_equal(c->error, "connection refused");
    assert_int_equal(c->contiguous_failures, 0);
    fakeclock_advance(S);
    tick(v);
    c = state(v, 0, &s);
    assert_int_equal(c->status, VITALS_HEALTHY);
    assert_null(c->error);
    assert_non_null(strstr(logbuf, "check flappy: unhealthy -> healthy"));
    vitals_snapshot_release(s);
    vitals_free(v);
}

static void not_critical(vitals_check_opts_t *o) { o->critical = 0; }

static void test_aggregate_and_criticality(void **st)
{
    vitals_t *v = new_instance();
    vitals_snapshot_t *s = NULL;
    script_t ok = {VITALS_HEALTHY, NULL, 0, 0};
    script_t soft = {VITALS_UNHEALTHY, "cache down", 0, 0};
    script_t hard = {VITALS_HEALTHY, NULL, 0, 0};

    (void)st;
    add(v, "ok", &ok, NULL);
    add(v, "cache", &soft, not_critical);
    add(v, "db", &hard, NULL);
    tick(v);
    assert_int_equal(state(v, 1, &s)->status, VITALS_DEGRADED);
    assert_string_equal(state(v, 1, &s)->error, "cache down");
    assert_int_equal(vitals_snapshot_status(s), VITALS_DEGRADED);

    hard.status = VITALS_UNHEALTHY;
    fakeclock_advance(30 * S);
    tick(v);
    assert_int_equal(state(v, 2, &s)->status, VITALS_UNHEALTHY);
    /* An error-free unhealthy result still explains itself. */
    assert_int_equal(vitals_snapshot_status(s), VITALS_UNHEALTHY);

    /* Removing the failing check makes the whole degraded again. */
    assert_int_equal(vitals_remove_check(v, "db"), 0);
    assert_int_equal(vitals_remove_check(v, "db"), VITALS_ENOENT);
    vengine_publish(vitals_engine(v), fake.mono);
    vitals_snapshot_release(s);
    s = vitals_snapshot_get(v);
    assert_int_equal(vitals_snapshot_count(s), 2);
    assert_int_equal(vitals_snapshot_status(s), VITALS_DEGRADED);
    vitals_snapshot_release(s);
    vitals_free(v);
}

static void test_error_without_status_is_unhealthy(void **st)
{
    vitals_result_t *r = vresult_new(&fake_clock, fake.mono + 3 * S);

    (void)st;
    vitals_result_set_error(r, "boom %d", 42);
    assert_int_equal(vitals_result_remaining_ms(r), 3000);
    vresult_freeze(r);
    assert_int_equal(r->status, VITALS_UNHEALTHY);
    assert_string_equal(r->error, "boom 42");
    assert_string_equal(r->data_json, "{}");
    vresult_unref(r);
}

static void test_invalid_registrations(void **st)
{
    vitals_t *v = new_instance();
    vitals_check_opts_t o;
    script_t sc = {0};

    (void)st;
    vitals_check_opts_init(&o);
    assert_int_equal(vitals_add_check(v, "a b", &o, scripted, &sc, NULL),
                     VITALS_EINVAL);
    assert_int_equal(vitals_add_check(v, "", &o, scripted, &sc, NULL),
                     VITALS_EINVAL);
    /* Path segments that mean "here" and "up", and control characters. */
    assert_int_equal(vitals_add_check(v, ".", &o, scripted, &sc, NULL),
                     VITALS_EINVAL);
    assert_int_equal(vitals_add_check(v, "..", &o, scripted, &sc, NULL),
                     VITALS_EINVAL);
    assert_int_equal(vitals_add_check(v, "a\nb", &o, scripted, &sc, NULL),
                     VITALS_EINVAL);
    assert_int_equal(vitals_add_check(v, "a/b", &o, scripted, &sc, NULL),
                     VITALS_EINVAL);
    assert_int_equal(vitals_add_check(v, "...", &o, scripted, &sc, NULL), 0);
    assert_int_equal(vitals_add_check(v, "x", &o, NULL, &sc, NULL),
                     VITALS_EINVAL);
    o.timeout_ms = 0;
    assert_int_equal(vitals_add_check(v, "x", &o, scripted, &sc, NULL),
                     VITALS_EINVAL);
    vitals_check_opts_init(&o);
    assert_int_equal(vitals_add_check(v, "x", &o, scripted, &sc, NULL), 0);
    assert_int_equal(vitals_add_check(v, "x", &o, scripted, &sc, NULL),
                     VITALS_EEXIST);
    vitals_free(v);
}

static void test_removed_while_running(void **st)
{
    vitals_t *v = new_instance();
    script_t sc = {VITALS_HEALTHY, NULL, 0, 0};
    vrun_t *run;

    (void)st;
    add(v, "gone", &sc, NULL);
    run = vengine_due(vitals_engine(v), fake.mono);
    assert_non_null(run);
    assert_int_equal(vitals_remove_check(v, "gone"), 0);
    vengine_execute(run);
    vengine_finish(vitals_engine(v), run, fake.mono); /* dropped, no crash, no leak */
    vengine_publish(vitals_engine(v), fake.mono);
    vitals_snapshot_t *s = vitals_snapshot_get(v);
    assert_int_equal(vitals_snapshot_count(s), 0);
    vitals_snapshot_release(s);
    vitals_free(v);
}

static vcheck_t *conf_check(const char *name, const char *fp, script_t *sc)
{
    vcheck_t *c = vcheck_new(name, NULL);

    assert_non_null(c);
    c->fn = scripted;
    c->data = sc;
    c->fingerprint = strdup(fp);
    return c;
}

static void test_replace_keeps_unchanged_history(void **st)
{
    vitals_t *v = new_instance();
    vitals_snapshot_t *s = NULL;
    script_t a = {VITALS_UNHEALTHY, "down", 0, 0}, b = a, b2 = a, c = a;
    vcheck_t *first[2], *second[3];

    (void)st;
    first[0] = conf_check("a", "same", &a);
    first[1] = conf_check("b", "v1", &b);
    vengine_replace(vitals_engine(v), first, 2, fake.mono);
    tick(v);
    fakeclock_advance(30 * S);
    tick(v);
    assert_int_equal(state(v, 0, &s)->contiguous_failures, 2);

    second[0] = conf_check("c", "new", &c);
    second[1] = conf_check("b", "v2", &b2);
    second[2] = conf_check("a", "same", &a);
    assert_int_equal(vengine_replace(vitals_engine(v), second, 3, fake.mono), 1);
    vengine_publish(vitals_engine(v), fake.mono);
    /* New order is the file's; a keeps its streak, b starts anew. */
    assert_string_equal(state(v, 0, &s)->name, "c");
    assert_string_equal(state(v, 0, &s)->error, "not yet run");
    assert_string_equal(state(v, 1, &s)->error, "not yet run");
    assert_string_equal(state(v, 2, &s)->name, "a");
    assert_int_equal(state(v, 2, &s)->contiguous_failures, 2);
    assert_int_equal(state(v, 2, &s)->first_failure_ns, REAL0);
    vitals_snapshot_release(s);
    vitals_free(v);
}

static void group(vitals_result_t *r, void *data)
{
    (void)data;
    vitals_result_set_status(vitals_result_child(r, "Fiscal2"),
                             VITALS_HEALTHY);
    vitals_result_t *k = vitals_result_child(r, "Virtual");
    vitals_result_set_error(k, "printer not reachable");
    vitals_result_set_status(r, VITALS_UNHEALTHY);
}

static void test_children(void **st)
{
    vitals_t *v = new_instance();
    vitals_snapshot_t *s = NULL;
    const vitals_check_state_t *c;

    (void)st;
    assert_int_equal(vitals_add_check(v, "printers", NULL, group, NULL, NULL),
                     0);
    tick(v);
    c = state(v, 0, &s);
    assert_int_equal(c->nchildren, 2);
    assert_string_equal(c->children[0].name, "Fiscal2");
    assert_int_equal(c->children[0].status, VITALS_HEALTHY);
    assert_null(c->children[0].error);
    assert_string_equal(c->children[1].name, "Virtual");
    assert_int_equal(c->children[1].status, VITALS_UNHEALTHY);
    assert_string_equal(c->children[1].error, "printer not reachable");
    assert_string_equal(c->children[1].data_json, "{}");
    vitals_snapshot_release(s);
    vitals_free(v);
}

static void test_push_check(void **st)
{
    vitals_t *v = new_instance();
    vitals_snapshot_t *s = NULL;
    script_t sc = {0};
    char *err = NULL;
    const vitals_check_state_t *c;

    (void)st;
    assert_int_equal(vitals_add_builtin(v, "backup", NULL, "push",
                                        "{\"ttl\": \"1m\"}", &err),
                     0);
    add(v, "other", &sc, NULL);
    tick(v);
    c = state(v, 0, &s);
    assert_int_equal(c->status, VITALS_UNHEALTHY);
    assert_string_equal(c->error, "no report yet (expected within 1m)");

    fakeclock_advance(5 * S);
    assert_int_equal(vitals_push(v, "backup", VITALS_DEGRADED, "slow disk"),
                     0);
    assert_int_equal(tick(v), 1); /* re-evaluated at once */
    c = state(v, 0, &s);
    assert_int_equal(c->status, VITALS_DEGRADED);
    assert_string_equal(c->description, "slow disk");
    assert_string_equal(c->data_json, "{\"output\":\"slow disk\",\"ageSeconds\":0}");

    fakeclock_advance(30 * S);
    tick(v);
    assert_int_equal(state(v, 0, &s)->status, VITALS_DEGRADED);
    fakeclock_advance(31 * S); /* 61 s since the report */
    tick(v);
    c = state(v, 0, &s);
    assert_int_equal(c->status, VITALS_UNHEALTHY);
    assert_string_equal(c->error, "no report for 1m");

    assert_int_equal(vitals_push(v, "other", VITALS_HEALTHY, NULL),
                     VITALS_ETYPE);
    assert_int_equal(vitals_push(v, "nope", VITALS_HEALTHY, NULL),
                     VITALS_ENOENT);
    assert_int_equal(vitals_add_builtin(v, "x", NULL, "push", "{}", &err),
                     VITALS_ECONFIG);
    assert_string_equal(err, "settings: missing required key 'ttl'");
    free(err);
    vitals_snapshot_release(s);
    vitals_free(v);
}

static void test_set_http(void **st)
{
    vitals_t *v = new_instance();
    char *err = NULL;

    (void)st;
    assert_int_equal(vitals_set_http(v, "{\"endpoints\": {\"report\": "
                                        "{\"status_codes\": {\"Unhealthy\": "
                                        "503}}, \"mosparo\": false}}",
                                     &err),
                     0);
    vroutes_t *routes = vinstance_routes(v);
    const char *rest;
    assert_null(vroutes_find(routes, "/api/v1/health/check", &rest));
    assert_non_null(vroutes_find(routes, "/api/v2/health", &rest));
    vroutes_unref(routes);
    assert_int_equal(vitals_set_http(v, "{\"endpoints\": {\"nope\": "
                                        "\"/x\"}, \"limit\": 1}",
                                     &err),
                     VITALS_ECONFIG);
    assert_string_equal(err, "settings: unknown endpoint 'nope' (known: ietf, "
                             "check, report, jsonrpc, mosparo, livez, "
                             "readyz, startupz, status, metrics, history); "
                             "settings: "
                             "unknown key 'limit' in the "
                             "HTTP settings");
    free(err);
    vitals_free(v);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_no_checks_is_healthy),
        cmocka_unit_test(test_not_yet_run_and_initial_delay),
        cmocka_unit_test(test_interval_cadence),
        cmocka_unit_test(test_timeout_is_reported_at_the_deadline),
        cmocka_unit_test(test_result_at_the_deadline_is_a_timeout),
        cmocka_unit_test(test_thresholds),
        cmocka_unit_test(test_aggregate_and_criticality),
        cmocka_unit_test(test_error_without_status_is_unhealthy),
        cmocka_unit_test(test_invalid_registrations),
        cmocka_unit_test(test_removed_while_running),
        cmocka_unit_test(test_replace_keeps_unchanged_history),
        cmocka_unit_test(test_children),
        cmocka_unit_test(test_push_check),
        cmocka_unit_test(test_set_http),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
