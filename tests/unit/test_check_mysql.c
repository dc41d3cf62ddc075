/* test_check_mysql.c - unit tests for the "mysql" check type
 * (lib/checks/mysql.c) against a real MariaDB server on loopback, started
 * for this file in a temporary directory (tests/support/servers.c), and
 * against peers that refuse or never answer. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <errno.h>
#include <pthread.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "checks/check_type.h"
#include "checktest.h"
#include "engine/result.h"
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

/* No message, anywhere, shows the password. */
static void check_no_secret(const vitals_result_t *r)
{
    const char *texts[] = {r->error, r->description, r->data_json};
    size_t i;

    for (i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
        if (texts[i] && (strstr(texts[i], SRV_PASSWORD) ||
                         strstr(texts[i], SRV_PASSWORD_URI)))
            fail_msg("the password shows in \"%s\"", texts[i]);
    }
}

/* A healthy result: data has exactly serverVersion (MariaDB's) and
 * responseTimeMs, which the description and the observed value repeat. */
static void check_healthy(const vitals_result_t *r, const char *at)
{
    json_t *d = data_of(r);
    const char *version;
    char want[PATH_MAX + 256];
    double ms;

    assert_int_equal(r->status, VITALS_HEALTHY);
    assert_null(r->error);
    assert_int_equal(json_object_size(d), 2);
    assert_true(json_is_real(json_object_get(d, "responseTimeMs")));
    ms = json_real_value(json_object_get(d, "responseTimeMs"));
    assert_true(ms > 0 && ms < 5000);
    version = json_string_value(json_object_get(d, "serverVersion"));
    assert_non_null(version);
    assert_non_null(strstr(version, "-MariaDB"));
    snprintf(want, sizeof(want), "SELECT 1 on mysql %s at %s in %.1f ms",
             version, at, ms);
    assert_string_equal(r->description, want);
    assert_true(r->observed_set);
    assert_string_equal(r->measurement, "responseTime");
    assert_string_equal(r->unit, "ms");
    assert_true(r->observed == ms);
    check_no_secret(r);
    json_decref(d);
}

static void check_unhealthy(const vitals_result_t *r, const char *want)
{
    assert_int_equal(r->status, VITALS_UNHEALTHY);
    assert_string_equal(r->error, want);
    assert_null(r->description);
    assert_string_equal(r->data_json, "{}");
    assert_false(r->observed_set);
    check_no_secret(r);
}

/* {"dsn": "mysql://vitals:<password>@127.0.0.1:<port><rest>"} */
static void tcp_json(char *buf, size_t len, const char *password, int port,
                     const char *rest)
{
    snprintf(buf, len,
             "{\"dsn\": \"mysql://" SRV_USER ":%s@127.0.0.1:%d%s\"}",
             password, port, rest);
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
    vitals_result_t *r;
    (void)state;

    tcp_json(json, sizeof(json), "not-the-password", db.port, "/");
    snprintf(want, sizeof(want),
             "cannot connect to mysql at 127.0.0.1:%d: Access denied for "
             "user '" SRV_USER "'@'127.0.0.1' (using password: YES)",
             db.port);
    r = run_check(&vcheck_mysql, json, 5000);
    check_unhealthy(r, want);
    assert_null(strstr(r->error, "not-the-password"));
    vresult_unref(r);
}

static void test_database_denied(void **state)
{
    char json[512], want[256];
    vitals_result_t *r;
    (void)state;

    tcp_json(json, sizeof(json), SRV_PASSWORD_URI, db.port, "/mysql");
    snprintf(want, sizeof(want),
             "cannot connect to mysql at 127.0.0.1:%d: Access denied for "
             "user '" SRV_USER "'@'127.0.0.1' to database 'mysql'",
             db.port);
    r = run_check(&vcheck_mysql, json, 5000);
    check_unhealthy(r, want);
    vresult_unref(r);
}

/* ------------------------------------------------------------------------
 * Peers that are not MariaDB servers
 */

/* What a stopped server looks like: the port refuses. */
static void test_refused(void **state)
{
    char json[512], want[256];
    vitals_result_t *r;
    int port, fd = srv_refusing_port(&port);
    (void)state;

    assert_true(fd >= 0);
    tcp_json(json, sizeof(json), SRV_PASSWORD_URI, port, "");
    snprintf(want, sizeof(want),
             "cannot connect to mysql at 127.0.0.1:%d: Can't connect to "
             "server on '127.0.0.1' (111)",
             port);
    r = run_check(&vcheck_mysql, json, 5000);
    check_unhealthy(r, want);
    vresult_unref(r);
    close(fd);
}

static void test_no_socket(void **state)
{
    char json[PATH_MAX + 256], want[2 * PATH_MAX + 256];
    vitals_result_t *r;
    (void)state;

    snprintf(json, sizeof(json),
             "{\"dsn\": \"mysql://" SRV_USER ":%s@/?socket=%s/nope.sock\"}",
             SRV_PASSWORD_URI, db.dir);
    snprintf(want, sizeof(want),
             "cannot connect to mysql at %s/nope.sock: Can't connect to "
             "local server through socket '%s/nope.sock' (2)",
             db.dir, db.dir);
    r = run_check(&vcheck_mysql, json, 5000);
    check_unhealthy(r, want);
    vresult_unref(r);
}

/* Runs the check with a 500 ms deadline (the connector's own timeouts
 * are then 1 s) and checks that it gave up at the deadline with the
 * error fmt (a %d for the port, then one for the budget). */
static void check_times_out(const char *json, int port, const char *fmt)
{
    char want[512];
    vitals_result_t *r;
    long long start, took;
    int budget = -1;
    const char *ms;

    start = srv_now_ms();
    r = run_check(&vcheck_mysql, json, 500);
    took = srv_now_ms() - start;

    assert_int_equal(r->status, VITALS_UNHEALTHY);
    assert_non_null(r->error);
    ms = strstr(r->error, "timed out after ");
    assert_non_null(ms);
    assert_int_equal(sscanf(ms, "timed out after %d ms", &budget), 1);
    assert_true(budget >= 450 && budget <= 500);
    snprintf(want, sizeof(want), fmt, port, budget);
    check_unhealthy(r, want);
    assert_true(took < 500 + 300);
    vresult_unref(r);
}

/* A listener that accepts and never answers: the connector waits for the
 * server's greeting. */
static void test_timeout_connect(void **state)
{
    char json[512];
    int port, fd = srv_silent_listener(&port);
    (void)state;

    assert_true(fd >= 0);
    tcp_json(json, sizeof(json), SRV_PASSWORD_URI, port, "");
    check_times_out(json, port,
                    "cannot connect to mysql at 127.0.0.1:%d: timed out "
                    "after %d ms");
    close(fd);
}

/* A fake server that greets, takes any login, and then never answers the
 * query. */
typedef struct fake {
    int lfd, port;
    int stop[2]; /* a pipe: the test closes the write end when done */
    pthread_t tid;
} fake_t;

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

/* Blocks until the test closes the write end of f->stop. */
static void wait_stop(fake_t *f)
{
    char c;

    while (read(f->stop[0], &c, 1) > 0)
        ;
}

static void *fake_main(void *arg)
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
    fake_t *f = arg;
    int fd = accept(f->lfd, NULL, NULL);

    if (fd < 0)
        return NULL;
    if (put_packet(fd, 0, greeting, sizeof(greeting)) == 0 &&
        get_packet(fd) == 0 && put_packet(fd, 2, ok, sizeof(ok)) == 0)
        wait_stop(f); /* until the test is done */
    close(fd);
    return NULL;
}

static void test_timeout_query(void **state)
{
    char json[512];
    fake_t f;
    (void)state;

    f.lfd = srv_silent_listener(&f.port);
    assert_true(f.lfd >= 0);
    assert_int_equal(pipe(f.stop), 0);
    assert_int_equal(pthread_create(&f.tid, NULL, fake_main, &f), 0);
    tcp_json(json, sizeof(json), SRV_PASSWORD_URI, f.port, "");
    check_times_out(json, f.port,
                    "SELECT 1 on mysql at 127.0.0.1:%d timed out after %d "
                    "ms");
    close(f.stop[1]);
    pthread_join(f.tid, NULL);
    close(f.stop[0]);
    close(f.lfd);
}

/* ------------------------------------------------------------------------
 * Configuration
 */

static void check_config_ok(const char *dsn)
{
    verrs_t *e = verrs_new();
    vnode_t *settings;
    char json[512];
    void *st;

    snprintf(json, sizeof(json), "{\"dsn\": \"%s\"}", dsn);
    settings = vnode_from_json(json, e);
    assert_non_null(settings);
    st = vcheck_configure(&vcheck_mysql, settings, NULL, e);
    if (!st)
        fail_msg("configure %s: %s", json, verrs_join(e));
    vcheck_state_free(&vcheck_mysql, st);
    vnode_free(settings);
    vitals_errors_free(e);
}

static void check_dsn_error(const char *dsn, const char *want)
{
    char json[512], full[512];

    snprintf(json, sizeof(json), "{\"dsn\": \"%s\"}", dsn);
    snprintf(full, sizeof(full), "settings: 'dsn': %s", want);
    check_config_error(&vcheck_mysql, json, full);
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
