/* history.c - unit tests for the history (lib/store/history.c, ring.c,
 * queue.c): the rings and their queries, the bound of the queue and the
 * count of what it dropped, the one outage message, the writer's batches
 * into a real SQLite file, the choice between memory and the store, the
 * transition callback, and the key/value state. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <unistd.h>

#include "servers.h"
#include "storecases.h"
#include "store/history.h"

/* The log, one message per line. */
static char logbuf[8192];

static void log_fn(vitals_log_level_t level, const char *msg, void *data)
{
    (void)level;
    (void)data;
    strncat(logbuf, msg, sizeof(logbuf) - strlen(logbuf) - 2);
    strcat(logbuf, "\n");
}

static int count(const char *hay, const char *needle)
{
    int n = 0;

    for (const char *p = hay; (p = strstr(p, needle)) != NULL; p++)
        n++;
    return n;
}

static vhist_rec_t run(const char *check, int i, vitals_status_t s)
{
    vhist_rec_t r = {.check = check, .time_ns = SC_T(i), .duration_ns = 7,
                     .status = s, .result = s,
                     .error = s != VITALS_HEALTHY ? "bad" : NULL};

    r.streak.contiguous_failures = (uint64_t)i;
    r.streak.since_ns = SC_T(i);
    r.streak.has_status = 1;
    r.streak.status = s;
    return r;
}

static vhistory_t *make(vstore_kind_t kind, const char *path, const char *dsn,
                        unsigned ring, unsigned buffer)
{
    vhist_conf_t c;
    vhistory_t *h;

    vhist_conf_default(&c);
    c.store = kind;
    c.path = (char *)path;
    c.dsn = (char *)dsn;
    c.ring = ring;
    c.buffer = buffer;
    c.batch = 3;
    c.flush_ms = 20;
    h = vhistory_new(&c, "svc", "a", NULL, log_fn, NULL);
    assert_non_null(h);
    return h;
}

static size_t nruns(vhistory_t *h, const char *check, int64_t since,
                    size_t limit)
{
    vitals_history_t l = {0};
    size_t n;

    assert_int_equal(vhq_runs(h, check, since, limit, &l), VITALS_OK);
    n = l.n;
    vhlist_clear(&l);
    return n;
}

static void test_rings(void **state)
{
    vhistory_t *h = make(VSTORE_MEMORY, NULL, NULL, 4, 10);
    vitals_history_t l = {0};
    uint64_t ok, n;
    char *err = NULL;
    (void)state;

    assert_int_equal(vhistory_open(h, &err), 0);
    for (int i = 0; i < 6; i++) {
        vhist_rec_t r = run("a", i, i < 3 ? VITALS_UNHEALTHY
                                          : VITALS_HEALTHY);

        r.transition = i == 0 || i == 3;
        r.has_from = i == 3;
        r.from = VITALS_UNHEALTHY;
        vhistory_record(h, &r);
    }
    assert_int_equal(vhq_runs(h, "a", 0, 100, &l), VITALS_OK);
    assert_int_equal(l.n, 4); /* the newest 4, newest first */
    assert_int_equal(l.runs[0].time_ns, SC_T(5));
    assert_int_equal(l.runs[3].time_ns, SC_T(2));
    assert_string_equal(l.runs[3].error, "bad");
    assert_null(l.runs[0].error);
    vhlist_clear(&l);
    assert_int_equal(nruns(h, "a", SC_T(4), 100), 2);
    assert_int_equal(nruns(h, "a", 0, 3), 3);
    assert_int_equal(nruns(h, "b", 0, 3), 0);
    assert_int_equal(vhq_transitions(h, "a", 0, 100, &l), VITALS_OK);
    assert_int_equal(l.n, 2);
    assert_int_equal(l.trans[0].time_ns, SC_T(3));
    assert_true(l.trans[0].has_from);
    assert_false(l.trans[1].has_from);
    assert_int_equal(l.trans[1].to, VITALS_UNHEALTHY);
    vhlist_clear(&l);
    assert_int_equal(vhq_uptime(h, "a", 0, &ok, &n), VITALS_OK);
    assert_int_equal(n, 4);
    assert_int_equal(ok, 3);
    assert_string_equal(vhq_store_name(h), "memory");
    assert_int_equal(vhq_dropped(h), 0);
    vhistory_free(h);
}

/* A store that is down: the queue keeps the newest buffer runs, counts
 * the rest, and the outage is logged once. */
static void test_queue_bound(void **state)
{
    int port, fd = srv_refusing_port(&port);
    char dsn[128], *err = NULL;
    vhistory_t *h;
    (void)state;

    logbuf[0] = '\0';
    snprintf(dsn, sizeof(dsn), "host=127.0.0.1 port=%d user=x", port);
    h = make(VSTORE_POSTGRES, NULL, dsn, 4, 5);
    assert_int_equal(vhistory_open(h, &err), 0); /* down, not an error */
    for (int i = 0; i < 8; i++) {
        vhist_rec_t r = run("a", i, VITALS_HEALTHY);

        vhistory_record(h, &r);
    }
    assert_int_equal(vhq_dropped(h), 3);
    assert_int_equal(vhistory_start(h), VITALS_OK);
    usleep(300 * 1000); /* a few attempts, backing off */
    vhistory_stop(h, 100);
    assert_int_equal(count(logbuf, "history: cannot connect to postgres"),
                     1);
    assert_int_equal(count(logbuf, "keeping up to 5 runs in memory"), 1);
    assert_int_equal(count(logbuf, "history: 5 runs not written to the "
                                   "postgres store at exit"),
                     1);
    /* Queries fall back to memory. */
    assert_int_equal(nruns(h, "a", 0, 100), 4);
    vhistory_free(h);
    close(fd);
}

typedef struct seen {
    int n;
    char what[256];
} seen_t;

static void on_transition(const vitals_transition_t *t, void *data)
{
    seen_t *s = data;
    size_t len = strlen(s->what);

    s->n++;
    snprintf(s->what + len, sizeof(s->what) - len, "%s:%s->%s ", t->check,
             t->has_from ? vitals_status_name(t->from) : "-",
             vitals_status_name(t->to));
}

static void on_streak(const char *check, const vstreak_t *k, void *data)
{
    seen_t *s = data;
    size_t len = strlen(s->what);

    s->n++;
    snprintf(s->what + len, sizeof(s->what) - len, "%s:%llu ", check,
             (unsigned long long)k->contiguous_failures);
}

/* The writer: batches into a real file, the callback in order, the state;
 * queries the ring cannot cover go to the store. */
static void test_writer_sqlite(void **state)
{
    char dir[] = "/tmp/vitals-hist-XXXXXX", path[64], *err = NULL, *v;
    vhistory_t *h;
    seen_t t = {0}, k = {0};
    uint64_t ok, n;
    (void)state;

    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/h.db", dir);
    h = make(VSTORE_SQLITE, path, NULL, 4, 100);
    assert_int_equal(vhistory_open(h, &err), 0);
    vhistory_on_transition(h, on_transition, &t);
    assert_int_equal(vhistory_start(h), VITALS_OK);
    for (int i = 0; i < 10; i++) {
        vhist_rec_t r = run(i % 2 ? "b" : "a", i,
                            i == 4 ? VITALS_UNHEALTHY : VITALS_HEALTHY);

        r.transition = i < 2 || i == 4 || i == 6;
        r.has_from = i >= 2;
        r.from = i == 6 ? VITALS_UNHEALTHY : VITALS_HEALTHY;
        vhistory_record(h, &r);
    }
    vhistory_put_state(h, "maintenance", "0 upgrade");
    vhistory_stop(h, 2000);
    assert_int_equal(t.n, 4);
    assert_string_equal(t.what, "a:-->healthy b:-->healthy "
                                "a:healthy->unhealthy a:unhealthy->healthy ");
    /* 5 runs of a: the ring holds 4, so the store answers. */
    assert_int_equal(nruns(h, "a", 0, 100), 5);
    assert_int_equal(nruns(h, "a", 0, 4), 4);
    assert_int_equal(vhq_uptime(h, "a", 0, &ok, &n), VITALS_OK);
    assert_int_equal(n, 5);
    assert_int_equal(ok, 4);
    vhistory_free(h);

    /* What a restart finds. */
    h = make(VSTORE_SQLITE, path, NULL, 4, 100);
    assert_int_equal(vhistory_open(h, &err), 0);
    assert_int_equal(vhistory_streaks(h, on_streak, &k), 0);
    assert_int_equal(k.n, 2);
    assert_true(strstr(k.what, "a:8 ") != NULL);
    assert_true(strstr(k.what, "b:9 ") != NULL);
    assert_int_equal(vhistory_get_state(h, "maintenance", &v), 0);
    assert_string_equal(v, "0 upgrade");
    free(v);
    assert_int_equal(nruns(h, "b", 0, 100), 5); /* empty ring: the store */
    vhistory_free(h);
    snprintf(path, sizeof(path), "rm -rf '%s'", dir);
    assert_int_equal(system(path), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rings),
        cmocka_unit_test(test_queue_bound),
        cmocka_unit_test(test_writer_sqlite),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
