/* postgres.c - unit tests for the "postgres" check type
 * (lib/checks/postgres.c) against a real PostgreSQL server on loopback,
 * started for this file in a temporary directory (tests/support/
 * servers.c), and against peers that refuse or never answer; the cases
 * every database type shares run from tests/support/dbcases.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "checks/check_type.h"
#include "checktest.h"
#include "engine/result.h"
#include "dbcases.h"
#include "servers.h"

extern const vcheck_type_t vcheck_postgres;

static srv_t pg;

static int setup(void **state)
{
    (void)state;
    return srv_postgres_start(&pg);
}

static int teardown(void **state)
{
    (void)state;
    srv_stop(&pg);
    return 0;
}

/* A URI for 127.0.0.1:port, database postgres. */
static void at_port(char *buf, size_t len, int port, const char *password)
{
    snprintf(buf, len,
             "{\"dsn\": \"postgresql://" SRV_USER
             ":%s@127.0.0.1:%d/postgres\"}",
             password, port);
}

static const dbtype_t postgres = {
    .check = &vcheck_postgres,
    .secrets = (const char *const[]){SRV_PASSWORD, SRV_PASSWORD_URI, NULL},
    .at_port = at_port,
};

/* A healthy result: data has exactly serverVersion (the server's major
 * and minor) and responseTimeMs, which the description and the observed
 * value repeat. */
static void check_healthy(const vitals_result_t *r, const char *at)
{
    json_t *d = data_of(r);
    const char *version;
    char want[512], major[80];
    double ms = db_healthy(&postgres, r, d);

    version = json_string_value(json_object_get(d, "serverVersion"));
    assert_non_null(version);
    snprintf(major, sizeof(major), "%s.", pg.version);
    assert_true(strncmp(version, major, strlen(major)) == 0);
    assert_null(strchr(version, ' '));
    snprintf(want, sizeof(want), "SELECT 1 on postgres %s at %s in %.1f ms",
             version, at, ms);
    assert_string_equal(r->description, want);
    json_decref(d);
}

/* ------------------------------------------------------------------------
 * Runs against the real server
 */

static void test_healthy_uri(void **state)
{
    char json[512], at[64];
    vitals_result_t *r;
    (void)state;

    at_port(json, sizeof(json), pg.port, SRV_PASSWORD_URI);
    snprintf(at, sizeof(at), "127.0.0.1:%d", pg.port);
    r = run_check(&vcheck_postgres, json, 5000);
    check_healthy(r, at);
    vresult_unref(r);
}

static void test_healthy_keywords(void **state)
{
    char json[512], at[64];
    vitals_result_t *r;
    (void)state;

    snprintf(json, sizeof(json),
             "{\"dsn\": \"host=127.0.0.1 port=%d user=" SRV_USER
             " password='%s' dbname=postgres sslmode=disable\"}",
             pg.port, SRV_PASSWORD);
    snprintf(at, sizeof(at), "127.0.0.1:%d", pg.port);
    r = run_check(&vcheck_postgres, json, 5000);
    check_healthy(r, at);
    vresult_unref(r);
}

/* The socket directory as host: trust authentication there. */
static void test_healthy_socket(void **state)
{
    char json[PATH_MAX + 128], at[PATH_MAX + 32];
    vitals_result_t *r;
    (void)state;

    snprintf(json, sizeof(json),
             "{\"dsn\": \"host=%s port=%d user=" SRV_USER
             " dbname=postgres\"}",
             pg.socket, pg.port);
    snprintf(at, sizeof(at), "%s/.s.PGSQL.%d", pg.socket, pg.port);
    r = run_check(&vcheck_postgres, json, 5000);
    check_healthy(r, at);
    vresult_unref(r);
}

static void test_wrong_password(void **state)
{
    char json[512], want[256];
    (void)state;

    at_port(json, sizeof(json), pg.port, DB_WRONG_PASSWORD);
    snprintf(want, sizeof(want),
             "cannot connect to postgres at 127.0.0.1:%d: FATAL:  password "
             "authentication failed for user \"" SRV_USER "\"",
             pg.port);
    db_case_wrong_password(&postgres, json, want);
}

static void test_no_database(void **state)
{
    char json[512], want[256];
    (void)state;

    snprintf(json, sizeof(json),
             "{\"dsn\": \"postgresql://" SRV_USER ":%s@127.0.0.1:%d/nope\"}",
             SRV_PASSWORD_URI, pg.port);
    snprintf(want, sizeof(want),
             "cannot connect to postgres at 127.0.0.1:%d: FATAL:  database "
             "\"nope\" does not exist",
             pg.port);
    db_case_unhealthy(&postgres, json, want);
}

/* A value libpq checks only when connecting. */
static void test_bad_option_value(void **state)
{
    char json[512], want[256];
    (void)state;

    snprintf(json, sizeof(json),
             "{\"dsn\": \"host=127.0.0.1 port=%d password=%s sslmode=bogus\"}",
             pg.port, SRV_PASSWORD);
    snprintf(want, sizeof(want),
             "cannot connect to postgres at 127.0.0.1:%d: invalid sslmode "
             "value: \"bogus\"",
             pg.port);
    db_case_unhealthy(&postgres, json, want);
}

/* A password with an unencoded '/' ends libpq's user info early: "se"
 * becomes a port and "cret@..." a path, and libpq's message quotes the
 * port. Neither piece of the password shows. */
static void test_unencoded_password(void **state)
{
    char json[512];
    vitals_result_t *r;
    (void)state;

    snprintf(json, sizeof(json),
             "{\"dsn\": \"postgresql://" SRV_USER
             ":se/cret@127.0.0.1:%d/postgres\"}",
             pg.port);
    r = run_check(&vcheck_postgres, json, 5000);
    db_unhealthy(&postgres, r,
                 "cannot connect to postgres at " SRV_USER
                 ":***: invalid integer value \"***\" for connection "
                 "option \"port\"");
    assert_null(strstr(r->error, "se"));
    vresult_unref(r);
}

/* ------------------------------------------------------------------------
 * Peers that are not PostgreSQL servers
 */

/* What a stopped server looks like: the port refuses. */
static void test_refused(void **state)
{
    (void)state;
    db_case_refused(&postgres, SRV_PASSWORD_URI,
                    "cannot connect to postgres at %s: Connection refused");
}

/* A listener that accepts and never answers: libpq waits for the reply
 * to its SSL request. */
static void test_timeout_connect(void **state)
{
    (void)state;
    db_case_silent_peer(&postgres, SRV_PASSWORD_URI,
                        "cannot connect to postgres at %s: timed out after "
                        "%d ms");
}

/* A fake server that lets the client in (AuthenticationOk, then
 * ReadyForQuery) and then never answers its query. */

static int read_full(int fd, void *buf, size_t len)
{
    size_t got = 0;
    ssize_t n;

    while (got < len) {
        n = read(fd, (char *)buf + got, len - got);
        if (n <= 0)
            return -1;
        got += (size_t)n;
    }
    return 0;
}

static int greet(int fd)
{
    /* 'R' AuthenticationOk, 'Z' ReadyForQuery (idle). */
    static const char hello[] = {'R', 0, 0, 0, 8, 0, 0, 0, 0,
                                 'Z', 0, 0, 0, 5, 'I'};
    unsigned char len[4];
    char buf[1024];
    uint32_t n;

    /* The startup packet: a length (itself included), then the rest. */
    if (read_full(fd, len, 4) != 0)
        return -1;
    n = (uint32_t)len[0] << 24 | (uint32_t)len[1] << 16 |
        (uint32_t)len[2] << 8 | len[3];
    return n >= 8 && n - 4 <= sizeof(buf) && read_full(fd, buf, n - 4) == 0 &&
                   write(fd, hello, sizeof(hello)) == (ssize_t)sizeof(hello)
               ? 0
               : -1;
}

static void test_timeout_query(void **state)
{
    char json[256], at[64];
    db_fake_t f;
    (void)state;

    db_fake_start(&f, greet);
    /* No SSL nor GSS request: the first packet is the startup packet. */
    snprintf(json, sizeof(json),
             "{\"dsn\": \"host=127.0.0.1 port=%d user=" SRV_USER
             " sslmode=disable gssencmode=disable\"}",
             f.port);
    snprintf(at, sizeof(at), "127.0.0.1:%d", f.port);
    db_times_out(&postgres, json, &db_deadline_500,
                 "SELECT 1 on postgres at %s timed out after %d ms", at);
    db_fake_stop(&f);
}

/* ------------------------------------------------------------------------
 * Configuration
 */

static void check_dsn_error(const char *dsn, const char *want)
{
    db_dsn_error(&postgres, dsn, want);
}

static void test_config_errors(void **state)
{
    (void)state;
    check_config_error(&vcheck_postgres, "{}",
                       "settings: missing required key 'dsn'");
    check_config_error(&vcheck_postgres, "{\"dsn\": [\"host=x\"]}",
                       "settings: 'dsn': expected a string, got a list");
    check_dsn_error("", "must not be empty");
    check_dsn_error("host=h passwd=x",
                    "invalid connection option \"passwd\"");
    check_dsn_error("host=h user=u x",
                    "missing \"=\" after \"x\" in connection info string");
    check_dsn_error("host=h password='abc",
                    "unterminated quoted string in connection info string");
    check_dsn_error("postgresql://u:pw@h/db?sslmode=require&foo=1",
                    "invalid URI query parameter: \"foo\"");
}

/* libpq quotes the part of the dsn it did not understand: never the
 * password, nor a whole URI that holds it. */
static void test_config_errors_hide_password(void **state)
{
    (void)state;
    /* An unquoted password with a space: "word" is its second half. */
    check_dsn_error("host=h password=secret word",
                    "missing \"=\" after \"***\" in connection info string");
    check_dsn_error("password = secret dbname=x  y",
                    "missing \"=\" after \"y\" in connection info string");
    check_dsn_error("postgresql://u:p%zz@h/db",
                    "invalid percent-encoded token: \"***\"");
    check_dsn_error("postgresql://u:s%00t@h/db",
                    "forbidden value %00 in percent-encoded value: \"***\"");
    check_dsn_error("postgresql://h/db?password=p%0",
                    "invalid percent-encoded token: \"***\"");
    check_dsn_error("postgresql://u:secret@[::1/db",
                    "end of string reached when looking for matching \"]\" "
                    "in IPv6 host address in URI: \"***\"");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_healthy_uri),
        cmocka_unit_test(test_healthy_keywords),
        cmocka_unit_test(test_healthy_socket),
        cmocka_unit_test(test_wrong_password),
        cmocka_unit_test(test_no_database),
        cmocka_unit_test(test_bad_option_value),
        cmocka_unit_test(test_unencoded_password),
        cmocka_unit_test(test_refused),
        cmocka_unit_test(test_timeout_connect),
        cmocka_unit_test(test_timeout_query),
        cmocka_unit_test(test_config_errors),
        cmocka_unit_test(test_config_errors_hide_password),
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}
