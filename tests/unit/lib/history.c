/* history.c - unit tests for the instance's history (lib/history.c)
 * through the public API: vitals_set_history, vitals_on_transition and
 * vitals_history_*, and what a restart restores from a real SQLite file
 * before the first run: the streak shown in every format, and maintenance,
 * while the check still counts as not yet run. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <unistd.h>

#include "snapshot.h"
#include "vitals.h"

static char dir[] = "/tmp/vitals-ihist-XXXXXX";

static void failing(vitals_result_t *r, void *data)
{
    (void)data;
    vitals_result_set_error(r, "connection refused");
}

static void on_transition(const vitals_transition_t *t, void *data)
{
    int *n = data;

    if (strcmp(t->check, "db") == 0 && !t->has_from &&
        t->to == VITALS_UNHEALTHY &&
        strcmp(t->error, "connection refused") == 0)
        ++*n;
}

/* A stopped instance with the check db on the history file. */
static vitals_t *instance(int64_t initial_delay_ms)
{
    vitals_t *v = vitals_new();
    vitals_check_opts_t o;
    char json[128], *err = NULL;

    assert_non_null(v);
    snprintf(json, sizeof(json), "{\"store\": \"sqlite\", \"path\": "
                                 "\"%s/h.db\", \"flush_interval\": \"10ms\"}",
             dir);
    assert_int_equal(vitals_set_history(v, json, &err), VITALS_OK);
    vitals_check_opts_init(&o);
    o.interval_ms = 20;
    o.initial_delay_ms = initial_delay_ms;
    assert_int_equal(vitals_add_check(v, "db", &o, failing, NULL, NULL), 0);
    return v;
}

static const vitals_check_state_t *db(vitals_snapshot_t *s)
{
    return vitals_snapshot_check(s, 0);
}

static void test_restart_restores(void **state)
{
    vitals_t *v;
    vitals_snapshot_t *s = NULL;
    vitals_history_t *h;
    int64_t first = 0;
    uint64_t fails = 0, runs = 0;
    double ratio = 1;
    int seen = 0;
    (void)state;

    assert_non_null(mkdtemp(dir));
    v = instance(0);
    assert_int_equal(vitals_on_transition(v, on_transition, &seen), 0);
    assert_int_equal(vitals_start(v), VITALS_OK);
    for (int i = 0; i < 200 && fails < 3; i++) {
        usleep(10 * 1000);
        vitals_snapshot_release(s);
        s = vitals_snapshot_get(v);
        fails = db(s)->contiguous_failures;
        first = db(s)->first_failure_ns;
    }
    vitals_snapshot_release(s);
    assert_true(fails >= 3);
    assert_int_equal(vitals_maintenance(v, "upgrade", 0), VITALS_OK);
    assert_int_equal(vitals_history_runs(v, "db", 0, 2, &h), VITALS_OK);
    assert_int_equal(vitals_history_count(h), 2);
    assert_int_equal(vitals_history_run(h, 0)->result, VITALS_UNHEALTHY);
    assert_string_equal(vitals_history_run(h, 0)->error,
                        "connection refused");
    assert_null(vitals_history_transition(h, 0));
    vitals_history_free(h);
    assert_int_equal(vitals_history_uptime(v, "db", 60000, &ratio, &runs), 0);
    assert_true(runs >= 3);
    assert_true(ratio == 0.0);
    assert_int_equal(vitals_set_history(v, "{\"store\": \"memory\"}", NULL),
                     VITALS_EBUSY);
    vitals_stop(v, 0);
    vitals_free(v);
    assert_int_equal(seen, 1);

    /* The restart: before its first run, the instance is in maintenance
     * again and db has not run; its first run continues the streak. */
    v = instance(300);
    assert_int_equal(vitals_start(v), VITALS_OK);
    s = vitals_snapshot_get(v);
    assert_non_null(s->maintenance);
    assert_string_equal(s->maintenance, "upgrade");
    assert_int_equal(s->entries[0].has_run, 0);
    assert_int_equal(s->started_up, 0);
    for (int i = 0; i < 200 && !s->entries[0].has_run; i++) {
        usleep(10 * 1000);
        vitals_snapshot_release(s);
        s = vitals_snapshot_get(v);
    }
    assert_int_equal(s->entries[0].has_run, 1);
    assert_int_equal(db(s)->first_failure_ns, first);
    assert_true(db(s)->contiguous_failures > fails);
    vitals_snapshot_release(s);
    assert_int_equal(vitals_history_transitions(v, "db", 0, 10, &h),
                     VITALS_OK);
    assert_int_equal(vitals_history_count(h), 1);
    assert_false(vitals_history_transition(h, 0)->has_from);
    vitals_history_free(h);
    vitals_stop(v, 0);
    vitals_free(v);
    char cmd[64];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
}

static void test_errors(void **state)
{
    vitals_t *v = vitals_new();
    vitals_history_t *h = (vitals_history_t *)1;
    double ratio = 0;
    uint64_t runs = 9;
    char *err = NULL;
    (void)state;

    assert_int_equal(vitals_set_history(v, "{\"store\": \"mysql\"}", &err),
                     VITALS_ECONFIG);
    assert_string_equal(err, "settings: 'store': expected sqlite, postgres "
                             "or memory, got \"mysql\"");
    free(err);
    assert_int_equal(vitals_set_history(v, "{\"store\": \"postgres\"}",
                                        &err),
                     VITALS_ECONFIG);
    assert_string_equal(err, "settings: history: store postgres needs 'dsn' "
                             "(e.g. \"postgresql://vitals@db/vitals\")");
    free(err);
    assert_int_equal(vitals_history_runs(v, "db", 0, 0, &h), VITALS_EINVAL);
    assert_null(h);
    assert_int_equal(vitals_history_runs(NULL, "db", 0, 1, &h),
                     VITALS_EINVAL);
    /* Not started: an empty history. */
    assert_int_equal(vitals_history_runs(v, "db", 0, 10, &h), VITALS_OK);
    assert_int_equal(vitals_history_count(h), 0);
    assert_null(vitals_history_run(h, 0));
    vitals_history_free(h);
    assert_int_equal(vitals_history_uptime(v, "db", 1000, &ratio, &runs), 0);
    assert_true(isnan(ratio));
    assert_int_equal(runs, 0);
    assert_int_equal(vitals_history_uptime(v, "db", 0, &ratio, &runs),
                     VITALS_EINVAL);
    vitals_free(v);
}

/* Each bad argument include/vitals.h names, for both lists. */
static void test_bad_arguments(void **state)
{
    vitals_t *v = vitals_new();
    vitals_history_t *h = NULL;
    (void)state;

    assert_int_equal(vitals_on_transition(NULL, on_transition, NULL),
                     VITALS_EINVAL);
    assert_int_equal(vitals_history_runs(v, NULL, 0, 1, &h), VITALS_EINVAL);
    assert_int_equal(vitals_history_runs(v, "db", -1, 1, &h), VITALS_EINVAL);
    assert_int_equal(vitals_history_runs(v, "db", 0, 10001, &h),
                     VITALS_EINVAL);
    assert_int_equal(vitals_history_runs(v, "db", 0, 1, NULL), VITALS_EINVAL);
    assert_int_equal(vitals_history_transitions(v, "db", 0, 0, &h),
                     VITALS_EINVAL);
    assert_int_equal(vitals_history_transitions(NULL, "db", 0, 1, &h),
                     VITALS_EINVAL);
    assert_null(h);
    /* The largest limit is fine; a list of transitions has no runs. */
    assert_int_equal(vitals_history_transitions(v, "db", 0, 10000, &h),
                     VITALS_OK);
    assert_int_equal(vitals_history_count(h), 0);
    assert_null(vitals_history_run(h, 0));
    assert_null(vitals_history_transition(h, 0));
    vitals_history_free(h);
    vitals_history_free(NULL);
    assert_int_equal(vitals_history_count(NULL), 0);
    assert_int_equal(vitals_history_uptime(NULL, "db", 1000, NULL, NULL),
                     VITALS_EINVAL);
    assert_int_equal(vitals_history_uptime(v, NULL, 1000, NULL, NULL),
                     VITALS_EINVAL);
    assert_int_equal(vitals_history_uptime(v, "db", 1000, NULL, NULL),
                     VITALS_OK);
    assert_int_equal(vitals_set_history(NULL, "{}", NULL), VITALS_EINVAL);
    vitals_free(v);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_restart_restores),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_bad_arguments),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
