/* redis.c - unit tests for the "redis" check type
 * (lib/checks/redis.c) against real Redis servers on loopback (one with a
 * password, one without), started for this file in temporary directories
 * (tests/support/servers.c), and against peers that refuse or never
 * answer; the cases every database type shares run from
 * tests/support/dbcases.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sys/time.h>
#include <unistd.h>

#include <cmocka.h>
#include <hiredis/hiredis.h>
#include <jansson.h>

#include "checks/check_type.h"
#include "checktest.h"
#include "engine/result.h"
#include "dbcases.h"
#include "servers.h"

extern const vcheck_type_t vcheck_redis;

static srv_t open_srv, auth_srv; /* without and with a password */

static int setup(void **state)
{
    (void)state;
    if (srv_redis_start(&open_srv, NULL) != 0)
        return -1;
    if (srv_redis_start(&auth_srv, SRV_PASSWORD) != 0) {
        srv_stop(&open_srv);
        return -1;
    }
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    srv_stop(&open_srv);
    srv_stop(&auth_srv);
    return 0;
}

/* Settings for 127.0.0.1:port, with password when not NULL. */
static void at_port(char *buf, size_t len, int port, const char *password)
{
    if (password)
        snprintf(buf, len,
                 "{\"address\": \"127.0.0.1:%d\", \"password\": \"%s\"}",
                 port, password);
    else
        snprintf(buf, len, "{\"address\": \"127.0.0.1:%d\"}", port);
}

static const dbtype_t redis = {
    .check = &vcheck_redis,
    .secrets = (const char *const[]){SRV_PASSWORD, NULL},
    .at_port = at_port,
};

/* A healthy result: data has exactly role and responseTimeMs, which the
 * description and the observed value repeat. */
static void check_healthy(const vitals_result_t *r, const char *at,
                          const char *role)
{
    json_t *d = data_of(r);
    char want[PATH_MAX + 128];
    double ms = db_healthy(&redis, r, d);

    assert_string_equal(json_string_value(json_object_get(d, "role")), role);
    snprintf(want, sizeof(want), "PONG from redis at %s (%s) in %.1f ms", at,
             role, ms);
    assert_string_equal(r->description, want);
    json_decref(d);
}

/* Runs the check on 127.0.0.1:port, with password when not NULL. */
static vitals_result_t *run_on(int port, const char *password,
                               int64_t timeout_ms)
{
    char json[256];

    at_port(json, sizeof(json), port, password);
    return run_check(&vcheck_redis, json, timeout_ms);
}

/* ------------------------------------------------------------------------
 * Runs against the real servers
 */

static void test_healthy(void **state)
{
    char at[64];
    vitals_result_t *r;
    (void)state;

    snprintf(at, sizeof(at), "127.0.0.1:%d", open_srv.port);
    r = run_on(open_srv.port, NULL, 5000);
    check_healthy(r, at, "master");
    vresult_unref(r);
}

static void test_healthy_password(void **state)
{
    char at[64];
    vitals_result_t *r;
    (void)state;

    snprintf(at, sizeof(at), "127.0.0.1:%d", auth_srv.port);
    r = run_on(auth_srv.port, SRV_PASSWORD, 5000);
    check_healthy(r, at, "master");
    vresult_unref(r);
}

static void test_healthy_socket(void **state)
{
    char json[PATH_MAX + 128];
    vitals_result_t *r;
    (void)state;

    snprintf(json, sizeof(json),
             "{\"address\": \"%s\", \"password\": \"%s\", \"tls\": false}",
             auth_srv.socket, SRV_PASSWORD);
    r = run_check(&vcheck_redis, json, 5000);
    check_healthy(r, auth_srv.socket, "master");
    vresult_unref(r);
}

/* A replica of the open server: the role says so. */
static void test_replica_role(void **state)
{
    struct timeval tv = {5, 0};
    char at[64];
    redisContext *c;
    redisReply *reply;
    vitals_result_t *r;
    srv_t replica;
    (void)state;

    assert_int_equal(srv_redis_start(&replica, NULL), 0);
    c = redisConnectWithTimeout("127.0.0.1", replica.port, tv);
    assert_non_null(c);
    assert_int_equal(c->err, 0);
    reply = redisCommand(c, "REPLICAOF 127.0.0.1 %d", open_srv.port);
    assert_non_null(reply);
    assert_int_equal(reply->type, REDIS_REPLY_STATUS);
    freeReplyObject(reply);
    redisFree(c);

    snprintf(at, sizeof(at), "127.0.0.1:%d", replica.port);
    r = run_on(replica.port, NULL, 5000);
    check_healthy(r, at, "slave");
    vresult_unref(r);
    srv_stop(&replica);
}

/* An account that may not run INFO still passes; the role is unknown. */
static void test_info_denied(void **state)
{
    struct timeval tv = {5, 0};
    char want[128];
    redisContext *c;
    redisReply *reply;
    vitals_result_t *r;
    json_t *d;
    srv_t limited;
    double ms;
    (void)state;

    assert_int_equal(srv_redis_start(&limited, NULL), 0);
    c = redisConnectWithTimeout("127.0.0.1", limited.port, tv);
    assert_non_null(c);
    assert_int_equal(c->err, 0);
    reply = redisCommand(c, "ACL SETUSER default -info");
    assert_non_null(reply);
    assert_int_equal(reply->type, REDIS_REPLY_STATUS);
    freeReplyObject(reply);
    redisFree(c);

    r = run_on(limited.port, NULL, 5000);
    assert_int_equal(r->status, VITALS_HEALTHY);
    d = data_of(r);
    assert_int_equal(json_object_size(d), 1);
    ms = json_real_value(json_object_get(d, "responseTimeMs"));
    snprintf(want, sizeof(want),
             "PONG from redis at 127.0.0.1:%d (role unknown) in %.1f ms",
             limited.port, ms);
    assert_string_equal(r->description, want);
    json_decref(d);
    vresult_unref(r);
    srv_stop(&limited);
}

static void test_wrong_password(void **state)
{
    char json[256], want[256];
    (void)state;

    snprintf(want, sizeof(want),
             "AUTH on redis at 127.0.0.1:%d failed: WRONGPASS invalid "
             "username-password pair or user is disabled.",
             auth_srv.port);
    at_port(json, sizeof(json), auth_srv.port, DB_WRONG_PASSWORD);
    db_case_wrong_password(&redis, json, want);
}

static void test_password_missing(void **state)
{
    char json[256], want[256];
    (void)state;

    snprintf(want, sizeof(want),
             "PING on redis at 127.0.0.1:%d failed: NOAUTH Authentication "
             "required.",
             auth_srv.port);
    at_port(json, sizeof(json), auth_srv.port, NULL);
    db_case_unhealthy(&redis, json, want);
}

/* A password for a server that has none is a configuration mistake worth
 * reporting, not ignoring. */
static void test_password_not_needed(void **state)
{
    char json[256], want[256];
    (void)state;

    snprintf(want, sizeof(want),
             "AUTH on redis at 127.0.0.1:%d failed: ERR AUTH <password> "
             "called without any password configured for the default user. "
             "Are you sure your configuration is correct?",
             open_srv.port);
    at_port(json, sizeof(json), open_srv.port, SRV_PASSWORD);
    db_case_unhealthy(&redis, json, want);
}

/* ------------------------------------------------------------------------
 * Servers that are gone, and peers that are not Redis servers
 */

static void test_server_stopped(void **state)
{
    char json[256], want[256];
    srv_t gone;
    int port;
    (void)state;

    assert_int_equal(srv_redis_start(&gone, NULL), 0);
    port = gone.port;
    srv_stop(&gone);
    snprintf(want, sizeof(want),
             "cannot connect to redis at 127.0.0.1:%d: Connection refused",
             port);
    at_port(json, sizeof(json), port, NULL);
    db_case_unhealthy(&redis, json, want);
}

static void test_refused(void **state)
{
    (void)state;
    db_case_refused(&redis, SRV_PASSWORD,
                    "cannot connect to redis at %s: Connection refused");
}

static void test_no_socket(void **state)
{
    char json[PATH_MAX + 64], want[2 * PATH_MAX + 64];
    (void)state;

    snprintf(json, sizeof(json), "{\"address\": \"%s/nope.sock\"}",
             open_srv.dir);
    snprintf(want, sizeof(want),
             "cannot connect to redis at %s/nope.sock: No such file or "
             "directory",
             open_srv.dir);
    db_case_unhealthy(&redis, json, want);
}

/* A listener that accepts and never answers: the first command (AUTH, or
 * PING without a password) waits until the deadline, not longer. */
static void test_timeout(void **state)
{
    (void)state;
    db_case_silent_peer(&redis, NULL,
                        "PING on redis at %s timed out after %d ms");
    db_case_silent_peer(&redis, SRV_PASSWORD,
                        "AUTH on redis at %s timed out after %d ms");
}

/* ------------------------------------------------------------------------
 * Configuration
 */

static void check_config_ok(const char *json)
{
    db_config_ok(&redis, json);
}

static void test_config_errors(void **state)
{
    char want[256];
    (void)state;

    check_config_error(&vcheck_redis, "{}",
                       "settings: missing required key 'address'");
    check_config_error(&vcheck_redis, "{\"address\": \"localhost\"}",
                       "settings: 'address': expected host:port or a socket "
                       "path starting with /, got \"localhost\"");
    check_config_error(&vcheck_redis, "{\"address\": \"h:0\"}",
                       "settings: 'address': expected host:port or a socket "
                       "path starting with /, got \"h:0\"");
    check_config_error(&vcheck_redis,
                       "{\"address\": \"h:6379\", \"password\": \"\"}",
                       "settings: 'password': must not be empty (leave it "
                       "out for no AUTH)");
    snprintf(want, sizeof(want),
             "settings: 'tls': not available: this build uses hiredis "
             "%d.%d.%d, without TLS support",
             HIREDIS_MAJOR, HIREDIS_MINOR, HIREDIS_PATCH);
    check_config_error(&vcheck_redis,
                       "{\"address\": \"h:6379\", \"tls\": true}", want);
    check_config_error(&vcheck_redis,
                       "{\"address\": \"h:6379\", \"tls\": \"yes\"}",
                       "settings: 'tls': expected true or false, got the "
                       "string \"yes\"");
    /* Every error of the check in one pass. */
    snprintf(want, sizeof(want),
             "settings: missing required key 'address'; settings: "
             "'password': expected a string, got a list; settings: 'tls': "
             "not available: this build uses hiredis %d.%d.%d, without TLS "
             "support",
             HIREDIS_MAJOR, HIREDIS_MINOR, HIREDIS_PATCH);
    check_config_error(&vcheck_redis,
                       "{\"password\": [\"x\"], \"tls\": true}", want);
}

static void test_config_accepts(void **state)
{
    (void)state;
    check_config_ok("{\"address\": \"127.0.0.1:6379\"}");
    check_config_ok("{\"address\": \"[::1]:6379\", \"tls\": false}");
    check_config_ok("{\"address\": \"cache.example.com:6380\", "
                    "\"password\": \"x\"}");
    check_config_ok("{\"address\": \"/run/redis/redis.sock\"}");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_healthy),
        cmocka_unit_test(test_healthy_password),
        cmocka_unit_test(test_healthy_socket),
        cmocka_unit_test(test_replica_role),
        cmocka_unit_test(test_info_denied),
        cmocka_unit_test(test_wrong_password),
        cmocka_unit_test(test_password_missing),
        cmocka_unit_test(test_password_not_needed),
        cmocka_unit_test(test_server_stopped),
        cmocka_unit_test(test_refused),
        cmocka_unit_test(test_no_socket),
        cmocka_unit_test(test_timeout),
        cmocka_unit_test(test_config_errors),
        cmocka_unit_test(test_config_accepts),
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}
