/* test_history.c - the history of a real vitalsd: a restart (SIGTERM or
 * kill -9) keeps avalanchego's timeOfFirstFailure and the runs, a kill -9
 * in the middle of writes leaves a SQLite file that passes PRAGMA
 * integrity_check, two vitalsd write to one PostgreSQL database and each
 * /history shows its own, and a PostgreSQL server killed and started
 * again mid-run loses no run and is logged as one outage. /history
 * validates against docs/schemas/history.json. The PostgreSQL server is
 * real, started here on loopback (tests/support/servers.c). */
#include <libpq-fe.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"
#include "servers.h"

static srv_t pg;
static int ndb;
static char tmp[64];

/* A new directory for a history file that outlives the daemons. */
static const char *state_dir(void)
{
    snprintf(tmp, sizeof(tmp), "/tmp/vitals-hist-XXXXXX");
    assert_non_null(mkdtemp(tmp));
    return tmp;
}

static void rm_dir(const char *dir)
{
    sh("rm -rf '%s'", dir);
}

/* avalanchego's view of check name, polled until pred holds. */
typedef struct want {
    const char *name;
    long long min_failures;
} want_t;

static int failing_enough(json_t *j, void *arg)
{
    want_t *w = arg;
    json_t *c = json_object_get(json_object_get(j, "checks"), w->name);

    return json_integer_value(json_object_get(c, "contiguousFailures")) >=
           w->min_failures;
}

static json_t *wait_failures(vd_t *d, const char *name, long long n)
{
    want_t w = {name, n};
    json_t *j = vd_poll(d, "/ext/health", failing_enough, &w, 10000);
    json_t *c = json_object_get(json_object_get(j, "checks"), name);

    assert_true(failing_enough(j, &w));
    json_incref(c);
    json_decref(j);
    return c;
}

static json_t *get_json(vd_t *d, const char *path, long status)
{
    vresp_t r = vd_get(d, path);
    json_t *j;

    assert_int_equal(r.status, status);
    if (status == 200)
        assert_schema("history.json", r.body);
    j = vresp_json(&r);
    vresp_free(&r);
    return j;
}

/* ------------------------------------------------------------------------
 * SQLite
 */

#define SQLITE_CONFIG                                                        \
    "listen: [\"127.0.0.1:0\"]\n"                                            \
    "history: {path: %s/h.db}\n"                                             \
    "checks:\n"                                                              \
    "  db: {type: file, path: %s/missing, interval: 100ms}\n"                \
    "  up: {type: file, path: /etc/hostname, interval: 100ms}\n"

static void test_restart_keeps_first_failure(void **state)
{
    const char *dir = state_dir();
    json_t *before, *after, *h, *c;
    vd_t *d;
    (void)state;

    d = vd_start(SQLITE_CONFIG, dir, dir);
    before = wait_failures(d, "db", 3);
    h = get_json(d, "/history", 200);
    assert_string_equal(json_string_value(json_object_get(h, "store")),
                        "sqlite");
    json_decref(h);
    json_decref(get_json(d, "/history?check=nope", 404));
    json_decref(get_json(d, "/history?since=yesterday", 400));
    json_decref(get_json(d, "/history?limit=0", 400));
    assert_int_equal(vd_stop(d), 0);

    d = vd_start(SQLITE_CONFIG, dir, dir);
    assert_true(vd_log_wait(d, "history: restored the streaks of 2 checks "
                               "from the sqlite store",
                            5000));
    after = wait_failures(d, "db",
                          json_integer_value(json_object_get(
                              before, "contiguousFailures")) +
                              2);
    assert_string_equal(
        json_string_value(json_object_get(before, "timeOfFirstFailure")),
        json_string_value(json_object_get(after, "timeOfFirstFailure")));
    /* One failure streak, one transition, across the restart. */
    h = get_json(d, "/history?check=db&limit=1000", 200);
    c = json_object_get(json_object_get(h, "checks"), "db");
    assert_int_equal(json_array_size(json_object_get(c, "transitions")), 1);
    assert_true(json_array_size(json_object_get(c, "runs")) >= 5);
    assert_true(json_is_null(json_object_get(
        json_array_get(json_object_get(c, "transitions"), 0), "from")));
    assert_string_equal(
        json_string_value(json_object_get(
            json_array_get(json_object_get(c, "runs"), 0), "status")),
        "fail");
    assert_true(json_real_value(json_object_get(
                    json_object_get(json_object_get(c, "uptime"), "1h"),
                    "ratio")) == 0.0);
    json_decref(h);
    json_decref(before);
    json_decref(after);
    assert_int_equal(vd_stop(d), 0);
    rm_dir(dir);
}

/* One value of sql on the file, as a number. */
static long long sqlite_value(const char *path, const char *sql, char *text,
                              size_t len)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    long long v = -1;

    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
    if (sqlite3_step(st) == SQLITE_ROW) {
        v = sqlite3_column_int64(st, 0);
        if (text != NULL)
            snprintf(text, len, "%s", sqlite3_column_text(st, 0));
    }
    sqlite3_finalize(st);
    sqlite3_close(db);
    return v;
}

/* 40 checks every 20 ms write about 2,000 runs a second, 10 ms apart:
 * the kill lands in the middle of a transaction or close to one. */
static void test_kill9_keeps_file_sound(void **state)
{
    const char *dir = state_dir();
    char path[128], ok[32], config[4096], *p = config;
    long long rows, newest;
    int64_t killed;
    vd_t *d;
    (void)state;

    p += sprintf(p, "listen: [\"127.0.0.1:0\"]\n"
                    "history: {path: %s/h.db, flush_interval: 10ms}\n"
                    "defaults: {interval: 20ms}\n"
                    "checks:\n",
                 dir);
    for (int i = 0; i < 40; i++)
        p += sprintf(p, "  c%02d: {type: file, path: %s/missing}\n", i, dir);
    snprintf(path, sizeof(path), "%s/h.db", dir);
    d = vd_start("%s", config);
    json_decref(wait_failures(d, "c39", 20));
    usleep(500 * 1000);
    killed = (int64_t)time(NULL);
    vd_signal(d, SIGKILL);
    vd_stop(d);

    sqlite_value(path, "PRAGMA integrity_check", ok, sizeof(ok));
    assert_string_equal(ok, "ok");
    rows = sqlite_value(path, "SELECT count(*) FROM vitals_runs", NULL, 0);
    newest = sqlite_value(path, "SELECT max(time_ns) / 1000000000 FROM "
                                "vitals_runs",
                          NULL, 0);
    assert_true(rows >= 40 * 20);
    /* At most the last batch (10 ms) and the runs in flight are lost. */
    assert_true(newest >= killed - 1);

    /* A restart reads it back: runs from before the kill. */
    d = vd_start("%s", config);
    json_t *h = get_json(d, "/history?check=c00&limit=10000", 200);
    json_t *runs = json_object_get(json_object_get(json_object_get(h,
                                                                   "checks"),
                                                   "c00"),
                                   "runs");
    assert_true(json_array_size(runs) >= 20);
    json_decref(h);
    assert_int_equal(vd_stop(d), 0);
    sqlite_value(path, "PRAGMA integrity_check", ok, sizeof(ok));
    assert_string_equal(ok, "ok");
    rm_dir(dir);
}

/* ------------------------------------------------------------------------
 * PostgreSQL
 */

static int pg_setup(void **state)
{
    (void)state;
    return srv_postgres_start(&pg);
}

static int pg_teardown(void **state)
{
    (void)state;
    srv_stop(&pg);
    return 0;
}

/* Runs sql on database db; the first value as a number (-1: none). */
static long long pg_value(const char *db, const char *sql)
{
    char conn[256];
    PGconn *c;
    PGresult *r;
    long long v = -1;

    snprintf(conn, sizeof(conn), "host=127.0.0.1 port=%d user=%s "
                                 "password='%s' dbname=%s",
             pg.port, SRV_USER, SRV_PASSWORD, db);
    c = PQconnectdb(conn);
    assert_int_equal(PQstatus(c), CONNECTION_OK);
    r = PQexec(c, sql);
    if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) > 0)
        v = atoll(PQgetvalue(r, 0, 0));
    else if (PQresultStatus(r) != PGRES_COMMAND_OK)
        fail_msg("%s: %s", sql, PQerrorMessage(c));
    PQclear(r);
    PQfinish(c);
    return v;
}

/* A new database; its name in db. */
static void new_db(char *db, size_t len)
{
    char sql[64];

    snprintf(db, len, "fleet%d", ++ndb);
    snprintf(sql, sizeof(sql), "CREATE DATABASE %s", db);
    pg_value("postgres", sql);
}

#define PG_CONFIG                                                            \
    "listen: [\"127.0.0.1:0\"]\n"                                            \
    "service: {id: orders, instance: %s}\n"                                  \
    "history: {store: postgres, dsn: \"postgresql://" SRV_USER               \
    ":%s@127.0.0.1:%d/%s\", flush_interval: 50ms}\n"                         \
    "checks:\n"                                                              \
    "  db: {type: file, path: %s, interval: %s}\n"

/* Every run of db in a /history body has result want; returns how many. */
static size_t all_runs(json_t *h, const char *want)
{
    json_t *runs = json_object_get(
        json_object_get(json_object_get(h, "checks"), "db"), "runs");
    size_t i;
    json_t *r;

    json_array_foreach(runs, i, r)
        assert_string_equal(json_string_value(json_object_get(r, "result")),
                            want);
    return json_array_size(runs);
}

static void test_two_instances_one_database(void **state)
{
    char db[32];
    vd_t *a, *b;
    json_t *ha, *hb;
    (void)state;

    new_db(db, sizeof(db));
    a = vd_start(PG_CONFIG, "a", SRV_PASSWORD_URI, pg.port, db,
                 "/nonexistent", "50ms");
    b = vd_start(PG_CONFIG, "b", SRV_PASSWORD_URI, pg.port, db,
                 "/etc/hostname", "50ms");
    json_decref(wait_failures(a, "db", 45));
    usleep(300 * 1000); /* the last batches reach the database */
    /* More runs than memory keeps (32): the store answers. */
    ha = get_json(a, "/history?check=db&limit=10000", 200);
    hb = get_json(b, "/history?check=db&limit=10000", 200);
    assert_string_equal(json_string_value(json_object_get(ha, "store")),
                        "postgres");
    assert_string_equal(json_string_value(json_object_get(ha, "instance")),
                        "a");
    assert_string_equal(json_string_value(json_object_get(hb, "instance")),
                        "b");
    assert_true(all_runs(ha, "fail") > 32);
    assert_true(all_runs(hb, "pass") > 32);
    json_decref(ha);
    json_decref(hb);
    assert_int_equal(vd_stop(a), 0);
    assert_int_equal(vd_stop(b), 0);
    assert_int_equal(pg_value(db, "SELECT count(DISTINCT instance) FROM "
                                  "vitals_runs WHERE service = 'orders'"),
                     2);
    assert_int_equal(pg_value(db, "SELECT count(*) FROM vitals_streaks"), 2);
}

/* The sum of vitals_check_runs_total for db in /metrics. */
static long long metric_runs(vd_t *d)
{
    vresp_t r = vd_get(d, "/metrics");
    long long n = 0;

    assert_int_equal(r.status, 200);
    for (char *p = r.body; (p = strstr(p, "vitals_check_runs_total{check=\""
                                          "db\"")) != NULL;
         p++)
        n += atoll(strchr(p, ' ') + 1);
    assert_non_null(strstr(r.body, "\nvitals_history_dropped_total 0\n"));
    vresp_free(&r);
    return n;
}

static int count(const char *hay, const char *needle)
{
    int n = 0;

    for (const char *p = hay; (p = strstr(p, needle)) != NULL; p++)
        n++;
    return n;
}

static void test_outage(void **state)
{
    char db[32], sql[160], *log;
    long long seen, rows, gap;
    vd_t *d;
    (void)state;

    new_db(db, sizeof(db));
    d = vd_start(PG_CONFIG, "solo", SRV_PASSWORD_URI, pg.port, db,
                 "/nonexistent", "100ms");
    json_decref(wait_failures(d, "db", 5));
    srv_kill(&pg);
    json_decref(wait_failures(d, "db", 25)); /* 2 s without the database */
    assert_int_equal(srv_postgres_restart(&pg), 0);
    assert_true(vd_log_wait(d, "history: the postgres store is back", 10000));
    seen = metric_runs(d);
    log = vd_log(d);
    assert_int_equal(vd_stop(d), 0); /* writes what is queued */
    assert_int_equal(count(log, "history: cannot write to the postgres "
                                "store"),
                     1);
    assert_int_equal(count(log, "history: the postgres store is back: "
                                "buffered runs written, 0 dropped "
                                "meanwhile"),
                     1);
    free(log);
    rows = pg_value(db, "SELECT count(*) FROM vitals_runs");
    assert_true(rows >= seen);
    /* No hole the size of the outage (2 s): consecutive runs are an
     * interval (100 ms) apart, more on a busy machine, never 1 s. */
    snprintf(sql, sizeof(sql),
             "SELECT max(d) FROM (SELECT time_ns - lag(time_ns) OVER (ORDER "
             "BY time_ns) AS d FROM vitals_runs) AS gaps");
    gap = pg_value(db, sql);
    assert_true(gap > 0 && gap < 1000000000LL);
}

int main(void)
{
    const struct CMUnitTest sqlite_tests[] = {
        cmocka_unit_test(test_restart_keeps_first_failure),
        cmocka_unit_test(test_kill9_keeps_file_sound),
    };
    const struct CMUnitTest pg_tests[] = {
        cmocka_unit_test(test_two_instances_one_database),
        cmocka_unit_test(test_outage),
    };

    return cmocka_run_group_tests(sqlite_tests, NULL, NULL) ||
           cmocka_run_group_tests(pg_tests, pg_setup, pg_teardown);
}
