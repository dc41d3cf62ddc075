/* storecases.c - the cases every persistent history store shares (see
 * storecases.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "storecases.h"

/* A run of check at SC_T(i). */
static vhist_rec_t rec(const char *check, int i, vitals_status_t status,
                       vitals_status_t result, const char *error)
{
    vhist_rec_t r = {.check = check, .time_ns = SC_T(i),
                     .duration_ns = 1000 + i, .status = status,
                     .result = result, .error = error};

    r.streak.contiguous_failures = result != VITALS_HEALTHY ? (uint64_t)i : 0;
    r.streak.first_failure_ns = result != VITALS_HEALTHY ? SC_T(1) : 0;
    r.streak.last_success_ns = SC_T(0);
    r.streak.since_ns = SC_T(i);
    r.streak.has_status = 1;
    r.streak.status = status;
    return r;
}

static void write_ok(vstore_t *s, const vhist_rec_t *r, size_t n)
{
    int latest[16] = {0};

    assert_true(n <= 16);
    latest[n - 1] = 1;
    if (s->ops->write(s, r, latest, n) != 0)
        fail_msg("write: %s", s->err);
}

/* Five runs of db: pass, fail, fail, pass, pass; the status changes at 0
 * (first), 1 and 3. */
static void five(vstore_t *s, const char *check)
{
    vhist_rec_t r[5] = {
        rec(check, 0, VITALS_HEALTHY, VITALS_HEALTHY, NULL),
        rec(check, 1, VITALS_UNHEALTHY, VITALS_UNHEALTHY, "down"),
        rec(check, 2, VITALS_UNHEALTHY, VITALS_UNHEALTHY, "still down"),
        rec(check, 3, VITALS_HEALTHY, VITALS_HEALTHY, NULL),
        rec(check, 4, VITALS_HEALTHY, VITALS_DEGRADED, "slow")};

    r[0].transition = 1;
    r[1].transition = r[1].has_from = 1;
    r[1].from = VITALS_HEALTHY;
    r[3].transition = r[3].has_from = 1;
    r[3].from = VITALS_UNHEALTHY;
    write_ok(s, r, 5);
}

static size_t count_runs(vstore_t *s, const char *check, int64_t since)
{
    vitals_history_t l = {0};
    size_t n;

    assert_int_equal(s->ops->runs(s, check, since, INT64_MAX, 100, &l), 0);
    n = l.n;
    vhlist_clear(&l);
    return n;
}

void store_case_write_and_query(vstore_t *s)
{
    vitals_history_t l = {0};
    uint64_t ok = 9, n = 9;

    five(s, "db");
    assert_int_equal(s->ops->runs(s, "db", 0, INT64_MAX, 10, &l), 0);
    assert_int_equal(l.n, 5);
    for (size_t i = 0; i < 5; i++) /* newest first */
        assert_int_equal(l.runs[i].time_ns, SC_T(4 - i));
    assert_int_equal(l.runs[0].duration_ns, 1004);
    assert_int_equal(l.runs[0].status, VITALS_HEALTHY);
    assert_int_equal(l.runs[0].result, VITALS_DEGRADED);
    assert_string_equal(l.runs[0].error, "slow");
    assert_int_equal(l.runs[2].status, VITALS_UNHEALTHY);
    assert_string_equal(l.runs[2].error, "still down");
    assert_null(l.runs[1].error);
    vhlist_clear(&l);
    assert_int_equal(s->ops->runs(s, "db", 0, INT64_MAX, 2, &l), 0);
    assert_int_equal(l.n, 2);
    vhlist_clear(&l);
    assert_int_equal(count_runs(s, "db", SC_T(2)), 3);
    /* Before a time (what the rings no longer hold). */
    assert_int_equal(s->ops->runs(s, "db", 0, SC_T(3), 10, &l), 0);
    assert_int_equal(l.n, 3);
    assert_int_equal(l.runs[0].time_ns, SC_T(2));
    vhlist_clear(&l);
    assert_int_equal(s->ops->uptime(s, "db", 0, SC_T(3), &ok, &n), 0);
    assert_int_equal(n, 3);
    assert_int_equal(ok, 1);
    assert_int_equal(count_runs(s, "nope", 0), 0);

    assert_int_equal(s->ops->transitions(s, "db", 0, INT64_MAX, 10, &l),
                     0);
    assert_int_equal(l.n, 3);
    assert_int_equal(l.trans[0].time_ns, SC_T(3));
    assert_true(l.trans[0].has_from);
    assert_int_equal(l.trans[0].from, VITALS_UNHEALTHY);
    assert_int_equal(l.trans[0].to, VITALS_HEALTHY);
    assert_string_equal(l.trans[1].error, "down");
    assert_int_equal(l.trans[1].to, VITALS_UNHEALTHY);
    assert_false(l.trans[2].has_from);
    assert_int_equal(l.trans[2].to, VITALS_HEALTHY);
    vhlist_clear(&l);

    assert_int_equal(
        s->ops->uptime(s, "db", 0, INT64_MAX, &ok, &n), 0);
    assert_int_equal(n, 5);
    assert_int_equal(ok, 3);
    assert_int_equal(
        s->ops->uptime(s, "db", SC_T(2), INT64_MAX, &ok, &n), 0);
    assert_int_equal(n, 3);
    assert_int_equal(ok, 2);
    assert_int_equal(
        s->ops->uptime(s, "nope", 0, INT64_MAX, &ok, &n), 0);
    assert_int_equal(n, 0);
}

typedef struct seen {
    int n;
    char check[32];
    vstreak_t k;
} seen_t;

static void on_streak(const char *check, const vstreak_t *k, void *data)
{
    seen_t *s = data;

    s->n++;
    strncpy(s->check, check, sizeof(s->check) - 1);
    s->k = *k;
}

void store_case_streaks(vstore_t *s)
{
    seen_t seen = {0};
    vhist_rec_t r[2] = {rec("db", 7, VITALS_UNHEALTHY, VITALS_UNHEALTHY, "x"),
                        rec("db", 8, VITALS_UNHEALTHY, VITALS_UNHEALTHY,
                            "y")};

    five(s, "db");
    write_ok(s, r, 2); /* the streak is replaced, not added */
    assert_int_equal(s->ops->streaks(s, on_streak, &seen), 0);
    assert_int_equal(seen.n, 1);
    assert_string_equal(seen.check, "db");
    assert_int_equal(seen.k.contiguous_failures, 8);
    assert_int_equal(seen.k.first_failure_ns, SC_T(1));
    assert_int_equal(seen.k.last_success_ns, SC_T(0));
    assert_int_equal(seen.k.since_ns, SC_T(8));
    assert_true(seen.k.has_status);
    assert_int_equal(seen.k.status, VITALS_UNHEALTHY);
}

void store_case_retention(vstore_t *s)
{
    vhist_rec_t r[10];
    size_t deleted = 99;

    for (int i = 0; i < 10; i++)
        r[i] = rec("r", i, VITALS_HEALTHY, VITALS_HEALTHY, NULL);
    write_ok(s, r, 10);
    /* By age, in bounded chunks. */
    assert_int_equal(s->ops->retain(s, SC_T(5), 0, 2, &deleted), 0);
    assert_int_equal(deleted, 2);
    assert_int_equal(count_runs(s, "r", 0), 8);
    assert_int_equal(s->ops->retain(s, SC_T(5), 0, 100, &deleted), 0);
    assert_int_equal(deleted, 3);
    assert_int_equal(count_runs(s, "r", 0), 5);
    assert_int_equal(count_runs(s, "r", SC_T(5)), 5);
    /* By rows per check: the newest 3 stay. */
    assert_int_equal(s->ops->retain(s, SC_T(0), 3, 100, &deleted), 0);
    assert_int_equal(deleted, 2);
    assert_int_equal(count_runs(s, "r", SC_T(7)), 3);
    assert_int_equal(count_runs(s, "r", 0), 3);
    assert_int_equal(s->ops->retain(s, SC_T(0), 3, 100, &deleted), 0);
    assert_int_equal(deleted, 0);
}

void store_case_state(vstore_t *s)
{
    char *v = (char *)"unset";

    assert_int_equal(s->ops->get_state(s, "maintenance", &v), 0);
    assert_null(v);
    assert_int_equal(s->ops->put_state(s, "maintenance", "0 upgrade"), 0);
    assert_int_equal(s->ops->put_state(s, "other", "1"), 0);
    assert_int_equal(s->ops->get_state(s, "maintenance", &v), 0);
    assert_string_equal(v, "0 upgrade");
    free(v);
    assert_int_equal(s->ops->put_state(s, "maintenance", "5 again"), 0);
    assert_int_equal(s->ops->get_state(s, "maintenance", &v), 0);
    assert_string_equal(v, "5 again");
    free(v);
    assert_int_equal(s->ops->put_state(s, "maintenance", NULL), 0);
    assert_int_equal(s->ops->get_state(s, "maintenance", &v), 0);
    assert_null(v);
    assert_int_equal(s->ops->get_state(s, "other", &v), 0);
    assert_string_equal(v, "1");
    free(v);
}

void store_case_instances(vstore_t *a, vstore_t *b)
{
    vhist_rec_t ra = rec("db", 1, VITALS_UNHEALTHY, VITALS_UNHEALTHY, "a");
    vhist_rec_t rb[2] = {rec("db", 1, VITALS_HEALTHY, VITALS_HEALTHY, NULL),
                         rec("db", 2, VITALS_HEALTHY, VITALS_HEALTHY, NULL)};
    vitals_history_t l = {0};
    seen_t seen = {0};

    write_ok(a, &ra, 1);
    write_ok(b, rb, 2);
    assert_int_equal(a->ops->runs(a, "db", 0, INT64_MAX, 10, &l), 0);
    assert_int_equal(l.n, 1);
    assert_string_equal(l.runs[0].error, "a");
    vhlist_clear(&l);
    assert_int_equal(count_runs(b, "db", 0), 2);
    assert_int_equal(a->ops->streaks(a, on_streak, &seen), 0);
    assert_int_equal(seen.n, 1);
    assert_int_equal(seen.k.status, VITALS_UNHEALTHY);
    assert_int_equal(a->ops->put_state(a, "k", "from a"), 0);
    char *v = NULL;
    assert_int_equal(b->ops->get_state(b, "k", &v), 0);
    assert_null(v);
}
