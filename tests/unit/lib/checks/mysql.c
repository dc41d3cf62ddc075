/* mysql.c - unit tests for the "mysql" check type
 * (lib/checks/mysql.c) against a real MariaDB server on loopback, started
 * for this file in a temporary directory (tests/support/servers.c), and
 * against peers that refuse or never answer; the cases every database type
 * shares run from tests/support/dbcases.c. */
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

extern const vcheck_type_t vcheck_mysql;

static srv_t db;

static int setup(void **state)
{
    (void)state;
    return srv_mariadb_start(&db);
}

static int teardown(void **state)
{
    (void)state;
    srv_stop(&db);
    return 0;
}

/* {"dsn": "mysql://vitals:<password>@127.0.0.1:<port><rest>"} */
static void tcp_json(char *buf, size_t len, const char *password, int port,
                     const char *rest)
{
    snprintf(buf, len,
             "{\"dsn\": \"mysql://" SRV_USER ":%s@127.0.0.1:%d%s\"}",
             password, port, rest);
}

static void at_port(char *buf, size_t len, int port, const char *password)
{
    tcp_json(buf, len, password, port, "");
}

static const dbtype_t mysql = {
    .check = &vcheck_mysql,
    .secrets = (const char *const[]){SRV_PASSWORD, SRV_PASSWORD_URI, NULL},
    .at_port = at_port,
};

/* A healthy result: data has exactly serverVersion (MariaDB's) and
 * responseTimeMs, which the description and the observed value repeat. */
static void check_healthy(const vitals_result_t *r, const char *at)
{
    json_t *d = data_of(r);
    const char *version;
    char want[PATH_MAX + 256];
    double ms = db_healthy(&mysql, r, d);

    version = json_string_value(json_object_get(d, "serverVersion"));
    assert_non_null(version);
    assert_non_null(strstr(version, "-MariaDB"));
    snprintf(want, sizeof(want), "SELECT 1 on mysql %s at %s in %.1f ms",
             version, at, ms);
    assert_string_equal(r->description, want);
    json_decref(d);
}

/* ------------------------------------------------------------------------
 * Runs against the real server
 */

static void test_healthy_tcp(void **state)
{
    char json[512], at[64];
    vitals_result_t *r;
    (void)state;

    tcp_json(json, sizeof(json), SRV_PASSWORD_URI, db.port, "");
    snprintf(at, sizeof(at), "127.0.0.1:%d", db.port);
    r = run_check(&vcheck_mysql, json, 5000);
    check_healthy(r, at);
    vresult_unref(r);
}

static void test_healthy_database(void **state)
{
    char json[512], at[64];
    vitals_result_t *r;
    (void)state;

    /* Every account may use information_schema. */
    tcp_json(json, sizeof(json), SRV_PASSWORD_URI, db.port,
             "/information_schema");
    snprintf(at, sizeof(at), "127.0.0.1:%d", db.port);
    r = run_check(&vcheck_mysql, json, 5000);
    check_healthy(r, at);
    vresult_unref(r);
}

static void test_healthy_socket(void **state)
{
    char json[PATH_MAX + 256];
    vitals_result_t *r;
    (void)state;

    snprintf(json, sizeof(json),
             "{\"dsn\": \"mysql://" SRV_USER ":%s@/?socket=%s\"}",
             SRV_PASSWORD_URI, db.socket);
    r = run_check(&vcheck_mysql, json, 5000);
    check_healthy(r, db.socket);
    vresult_unref(r);
}

static void test_wrong_password(void **state)
{
    char json[512], want[256];
    (void)state;

    tcp_json(json, sizeof(json), DB_WRONG_PASSWORD, db.port, "/");
    snprintf(want, sizeof(want),
             "cannot connect to mysql at 127.0.0.1:%d: Access denied for "
             "user '" SRV_USER "'@'127.0.0.1' (using password: YES)",
             db.port);
    db_case_wrong_password(&mysql, json, want);
}

static void test_database_denied(void **state)
{
    char json[512], want[256];
    (void)state;

    tcp_json(json, sizeof(json), SRV_PASSWORD_URI, db.port, "/mysql");
    snprintf(want, sizeof(want),
             "cannot connect to mysql at 127.0.0.1:%d: Access denied for "
             "user '" SRV_USER "'@'127.0.0.1' to database 'mysql'",
             db.port);
    db_case_unhealthy(&mysql, json, want);
}

/* ------------------------------------------------------------------------
 * Peers that are not MariaDB servers
 */

/* What a stopped server looks like: the port refuses. */
static void test_refused(void **state)
{
    (void)state;
    db_case_refused(&mysql, SRV_PASSWORD_URI,
                    "cannot connect to mysql at %s: Can't connect to "
                    "server on '127.0.0.1' (111)");
}

static void test_no_socket(void **state)
{
    char json[PATH_MAX + 256], want[2 * PATH_MAX + 256];
    (void)state;

    snprintf(json, sizeof(json),
             "{\"dsn\": \"mysql://" SRV_USER ":%s@/?socket=%s/nope.sock\"}",
             SRV_PASSWORD_URI, db.dir);
    snprintf(want, sizeof(want),
             "cannot connect to mysql at %s/nope.sock: Can't connect to "
             "local server through socket '%s/nope.sock' (2)",
             db.dir, db.dir);
    db_case_unhealthy(&mysql, json, want);
}

/* A listener that accepts and never answers: the connector waits for the
 * server's greeting (with a 500 ms deadline its own timeouts are 1 s). */
static void test_timeout_connect(void **state)
{
    (void)state;
    db_case_silent_peer(&mysql, SRV_PASSWORD_URI,
                        "cannot connect to mysql at %s: timed out after %d "
                        "ms");
}

/* A fake server that greets, takes any login, and then never answers the
 * query. */

/* Writes one packet: 3-byte length, sequence id, payload. */
static int put_packet(int fd, unsigned seq, const unsigned char *p, size_t n)
{
    unsigned char hdr[4] = {(unsigned char)n, (unsigned char)(n >> 8),
                            (unsigned char)(n >> 16), (unsigned char)seq};

    return write(fd, hdr, 4) == 4 && write(fd, p, n) == (ssize_t)n ? 0 : -1;
}

/* Reads one packet whole (its payload is dropped). */
static int get_packet(int fd)
{
    unsigned char hdr[4], buf[512];
    size_t n, got = 0;
    ssize_t k;

    for (got = 0; got < 4; got += (size_t)k) {
        if ((k = read(fd, hdr + got, 4 - got)) <= 0)
            return -1;
    }
    n = hdr[0] | (size_t)hdr[1] << 8 | (size_t)hdr[2] << 16;
    while (n > 0) {
        if ((k = read(fd, buf, n < sizeof(buf) ? n : sizeof(buf))) <= 0)
            return -1;
        n -= (size_t)k;
    }
    return 0;
}

static int greet(int fd)
{
    /* Protocol 10 handshake: version, thread id, 8 bytes of scramble,
     * filler, capabilities (PROTOCOL_41, SECURE_CONNECTION, PLUGIN_AUTH,
     * LONG_PASSWORD, CONNECT_WITH_DB, TRANSACTIONS), charset, status,
     * scramble length, reserved, 13 more bytes of scramble, plugin. */
    static const unsigned char greeting[] = {
        10, '5', '.', '5', '.', '5', '-', 'f', 'a', 'k', 'e', 0,
        1, 0, 0, 0,
        'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 0,
        0x09, 0xa2, 33, 2, 0, 0x08, 0x00, 21,
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        'i', 'j', 'k', 'l', 'm', 'n', 'o', 'p', 'q', 'r', 's', 't', 0,
        'm', 'y', 's', 'q', 'l', '_', 'n', 'a', 't', 'i', 'v', 'e', '_',
        'p', 'a', 's', 's', 'w', 'o', 'r', 'd', 0};
    /* OK: no rows, no id, autocommit, no warnings. */
    static const unsigned char ok[] = {0, 0, 0, 2, 0, 0, 0};

    return put_packet(fd, 0, greeting, sizeof(greeting)) == 0 &&
                   get_packet(fd) == 0 && put_packet(fd, 2, ok, sizeof(ok)) == 0
               ? 0
               : -1;
}

static void test_timeout_query(void **state)
{
    char json[512], at[64];
    db_fake_t f;
    (void)state;

    db_fake_start(&f, greet);
    tcp_json(json, sizeof(json), SRV_PASSWORD_URI, f.port, "");
    snprintf(at, sizeof(at), "127.0.0.1:%d", f.port);
    db_times_out(&mysql, json, &db_deadline_500,
                 "SELECT 1 on mysql at %s timed out after %d ms", at);
    db_fake_stop(&f);
}

/* ------------------------------------------------------------------------
 * Configuration
 */

static void check_config_ok(const char *dsn)
{
    db_dsn_ok(&mysql, dsn);
}

static void check_dsn_error(const char *dsn, const char *want)
{
    db_dsn_error(&mysql, dsn, want);
}

static void test_config_errors(void **state)
{
    static const char form[] =
        "(expected mysql://user:password@host:port/database)";
    char want[256];
    (void)state;

    check_config_error(&vcheck_mysql, "{}",
                       "settings: missing required key 'dsn'");
    check_config_error(&vcheck_mysql, "{\"dsn\": {}}",
                       "settings: 'dsn': expected a string, got a map");
    check_dsn_error("", "expected mysql://user:password@host:port/database");
    check_dsn_error("postgres://u:secret@h/db",
                    "expected mysql://user:password@host:port/database");
    snprintf(want, sizeof(want), "missing host %s", form);
    check_dsn_error("mysql://u:secret@/db", want);
    check_dsn_error("mysql://", want);
    check_dsn_error("mysql://u:secret@h:0/db",
                    "invalid port (expected 1 to 65535)");
    check_dsn_error("mysql://u:secret@h:65536/db",
                    "invalid port (expected 1 to 65535)");
    check_dsn_error("mysql://u:secret@h:/db",
                    "invalid port (expected 1 to 65535)");
    check_dsn_error("mysql://u:secret@h:33o6/db",
                    "invalid port (expected 1 to 65535)");
    snprintf(want, sizeof(want), "invalid host %s", form);
    check_dsn_error("mysql://u:secret@h:1:2/db", want);
    check_dsn_error("mysql://u:secret@a b/db", want);
    check_dsn_error("mysql://u:secret@[::1/db",
                    "invalid IPv6 address (expected [address] or "
                    "[address]:port)");
    check_dsn_error("mysql://u:secret@[::1 2]/db",
                    "invalid IPv6 address (expected [address] or "
                    "[address]:port)");
    check_dsn_error("mysql://u:secret@[::1]x/db",
                    "invalid IPv6 address (expected [address] or "
                    "[address]:port)");
    check_dsn_error("mysql://u:se%zzcret@h/db",
                    "invalid percent-encoding in the password");
    check_dsn_error("mysql://u:se%2@h/db",
                    "invalid percent-encoding in the password");
    check_dsn_error("mysql://u:se%00cret@h/db",
                    "invalid percent-encoding in the password");
    check_dsn_error("mysql://%u:secret@h/db",
                    "invalid percent-encoding in the user name");
    check_dsn_error("mysql://u:secret@h/d%b",
                    "invalid percent-encoding in the database name");
    check_dsn_error("mysql://u:secret@h/db?sock=/x",
                    "unknown parameter (the only one is ?socket=/path)");
    check_dsn_error("mysql://u:secret@h/db?socket=/x",
                    "give a host or ?socket=/path, not both");
    check_dsn_error("mysql://u:secret@/db?socket=x.sock",
                    "the socket must be an absolute path");
    check_dsn_error("mysql://u:secret@/db?socket=/a&socket=/b",
                    "socket given twice");
    /* Unencoded '/' or '?' in a password: never a host and a database
     * made of its pieces. */
    check_dsn_error("mysql://u:12/34@h/db",
                    "'@' after the host: percent-encode '@', '/' and '?' in "
                    "the user name and password (%40, %2F, %3F)");
    check_dsn_error("mysql://u:12?34@h/db",
                    "'@' after the host: percent-encode '@', '/' and '?' in "
                    "the user name and password (%40, %2F, %3F)");
}

static void test_config_accepts(void **state)
{
    (void)state;
    check_config_ok("mysql://u:p@h:3306/db");
    check_config_ok("MySQL://u:p@db.example.com");
    check_config_ok("mysql://h");
    check_config_ok("mysql://u@h/");
    check_config_ok("mysql://u:p:with:colons@h/db");
    check_config_ok("mysql://u:p@with@ats@h/db");
    check_config_ok("mysql://u:p%40%3A%2F%25@[::1]:3307/db%20name");
    check_config_ok("mysql://u:p@/db?socket=/run/mysqld/mysqld.sock");
    check_config_ok("mysql://u:p@[fe80::1%eth0]:3306/db");
    check_config_ok("mysql://u:p@/?socket=%2Frun%2Fmysqld.sock&");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_healthy_tcp),
        cmocka_unit_test(test_healthy_database),
        cmocka_unit_test(test_healthy_socket),
        cmocka_unit_test(test_wrong_password),
        cmocka_unit_test(test_database_denied),
        cmocka_unit_test(test_refused),
        cmocka_unit_test(test_no_socket),
        cmocka_unit_test(test_timeout_connect),
        cmocka_unit_test(test_timeout_query),
        cmocka_unit_test(test_config_errors),
        cmocka_unit_test(test_config_accepts),
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}
