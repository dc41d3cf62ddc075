/* postgres.c - unit tests for the "postgres" history store (lib/store/
 * postgres.c) against a real PostgreSQL server on loopback, started for
 * this file (tests/support/servers.c): the cases every store shares, the
 * versioned schema created once by two stores connecting together, a
 * server that refuses, and a server killed and started again under a
 * store that reconnects. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <libpq-fe.h>
#include <unistd.h>

#include "servers.h"
#include "storecases.h"

static srv_t pg;
static char dsn[256];
static int ndb;

static vstore_t *store(const char *instance)
{
    vstore_t *s = vstore_new(VSTORE_POSTGRES, "svc", instance, NULL, dsn);

    assert_non_null(s);
    if (s->ops->connect(s) != 0)
        fail_msg("connect: %s", s->err);
    return s;
}

/* Runs sql as the superuser on database db; returns the first value
 * (static) or "". */
static const char *psql(const char *db, const char *sql)
{
    static char out[128];
    char conn[256];
    PGconn *c;
    PGresult *r;

    snprintf(conn, sizeof(conn), "host=127.0.0.1 port=%d user=" SRV_USER
             " password='%s' dbname=%s", pg.port, SRV_PASSWORD, db);
    c = PQconnectdb(conn);
    assert_int_equal(PQstatus(c), CONNECTION_OK);
    r = PQexec(c, sql);
    out[0] = '\0';
    if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) > 0)
        snprintf(out, sizeof(out), "%s", PQgetvalue(r, 0, 0));
    else if (PQresultStatus(r) != PGRES_COMMAND_OK)
        fail_msg("%s: %s", sql, PQerrorMessage(c));
    PQclear(r);
    PQfinish(c);
    return out;
}

static int group_setup(void **state)
{
    (void)state;
    return srv_postgres_start(&pg);
}

static int group_teardown(void **state)
{
    (void)state;
    srv_stop(&pg);
    return 0;
}

/* Each test gets a database of its own. */
static int setup(void **state)
{
    char sql[64], name[32];

    (void)state;
    snprintf(name, sizeof(name), "h%d", ++ndb);
    snprintf(sql, sizeof(sql), "CREATE DATABASE %s", name);
    psql("postgres", sql);
    snprintf(dsn, sizeof(dsn), "postgresql://%s:%s@127.0.0.1:%d/%s",
             SRV_USER, SRV_PASSWORD_URI, pg.port, name);
    return 0;
}

#define CASE(name, call)                                                      \
    static void test_##name(void **state)                                     \
    {                                                                         \
        vstore_t *s = store("a");                                             \
        (void)state;                                                          \
        call;                                                                 \
        vstore_free(s);                                                       \
    }
CASE(write_and_query, store_case_write_and_query(s))
CASE(streaks, store_case_streaks(s))
CASE(retention, store_case_retention(s))
CASE(state, store_case_state(s))

/* Two instances of one service on one database: each reads its own; the
 * schema was created once. */
static void test_instances(void **state)
{
    vstore_t *a = store("a"), *b = store("b");
    char db[16];
    (void)state;

    store_case_instances(a, b);
    snprintf(db, sizeof(db), "h%d", ndb);
    assert_string_equal(psql(db, "SELECT string_agg(version::text, ',') "
                                 "FROM vitals_schema"),
                        "1");
    assert_string_equal(psql(db, "SELECT count(DISTINCT instance) FROM "
                                 "vitals_runs"),
                        "2");
    vstore_free(a);
    vstore_free(b);
}

static void test_refused(void **state)
{
    int port, fd = srv_refusing_port(&port);
    char want[128];
    vstore_t *s;
    (void)state;

    snprintf(dsn, sizeof(dsn), "host=127.0.0.1 port=%d user=x", port);
    s = vstore_new(VSTORE_POSTGRES, NULL, NULL, NULL, dsn);
    assert_int_equal(s->ops->connect(s), -1);
    snprintf(want, sizeof(want), "cannot connect to postgres: connection "
                                 "to server at \"127.0.0.1\", port %d "
                                 "failed: Connection refused",
             port);
    assert_int_equal(strncmp(s->err, want, strlen(want)), 0);
    vstore_free(s);
    close(fd);
}

/* The server dies and comes back: writes fail meanwhile, and succeed
 * after connect. */
static void test_reconnect(void **state)
{
    vstore_t *s = store("a");
    vhist_rec_t r = {.check = "db", .time_ns = SC_T(1), .status = 0};
    vitals_history_t l = {0};
    int latest = 1;
    (void)state;

    assert_int_equal(s->ops->write(s, &r, &latest, 1), 0);
    srv_kill(&pg);
    assert_int_equal(s->ops->write(s, &r, &latest, 1), -1);
    assert_int_equal(strncmp(s->err, "cannot write to postgres: ", 26), 0);
    assert_int_equal(s->ops->connect(s), -1);
    assert_int_equal(s->ops->runs(s, "db", 0, INT64_MAX, 10, &l), -1);
    assert_int_equal(srv_postgres_restart(&pg), 0);
    assert_int_equal(s->ops->connect(s), 0);
    r.time_ns = SC_T(2);
    assert_int_equal(s->ops->write(s, &r, &latest, 1), 0);
    vstore_free(s);
    s = store("a"); /* a new reader: the old one waits out its retry */
    assert_int_equal(s->ops->runs(s, "db", 0, INT64_MAX, 10, &l), 0);
    assert_int_equal(l.n, 2);
    vhlist_clear(&l);
    vstore_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_write_and_query, setup),
        cmocka_unit_test_setup(test_streaks, setup),
        cmocka_unit_test_setup(test_retention, setup),
        cmocka_unit_test_setup(test_state, setup),
        cmocka_unit_test_setup(test_instances, setup),
        cmocka_unit_test(test_refused),
        cmocka_unit_test_setup(test_reconnect, setup),
    };

    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
