/* remote.c - unit tests for the "remote" check type
 * (lib/checks/remote.c): canned health documents of every format from the
 * canned HTTP peer (tests/support/peer.c), and a real libvitals instance
 * serving its own endpoints, all on 127.0.0.1. */
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
#include "util/clock.h"
#include "engine/result.h"
#include "config/vnode.h"
#include "peer.h"

extern const vcheck_type_t vcheck_remote;

static int64_t now_ms(void)
{
    return vclock_mono(&vclock_system) / VCLOCK_MS;
}

/* ------------------------------------------------------------------------
 * Canned answers, by path
 */

/* A JSON document at path, with that status. */
#define CANNED(path_, status_, body_)                                         \
    {.path = (path_), .status = (status_),                                     \
     .headers = "Content-Type: application/json\r\n", .body = (body_)}

static const peer_answer_t answers[] = {
    CANNED("/ietf/pass", 200,
     "{\"status\": \"pass\", \"checks\": {"
     "\"db:responseTime\": [{\"componentId\": \"db1\", \"componentType\": "
     "\"datastore\", \"status\": \"pass\", \"observedValue\": 3, "
     "\"observedUnit\": \"ms\", \"output\": \"fine\"}],"
     "\"cache\": [{\"status\": \"warn\", \"output\": \"evicting\"}]}}"),
    CANNED("/ietf/fail", 503,
     "{\"status\": \"fail\", \"output\": \"database down\", \"checks\": {"
     "\"db\": [{\"status\": \"fail\", \"output\": \"connection refused\"}, "
     "{\"status\": \"pass\"}, {\"status\": \"fail\"}]}}"),
    CANNED("/ietf/warn", 200, "{\"status\": \"WARN\"}"),
    CANNED("/words/ok", 200, "{\"status\": \"Ok\"}"),
    CANNED("/words/error", 200, "{\"status\": \"error\"}"),
    CANNED("/report", 200,
     "{\"status\": \"Unhealthy\", \"totalDuration\": \"00:00:00.7933458\", "
     "\"entries\": {"
     "\"diskstorage\": {\"data\": {}, \"description\": \"Minimum configured "
     "megabytes for disk C:\\\\ is 512 but actual free space are 252 "
     "megabytes\", \"duration\": \"00:00:00.0414471\", \"status\": "
     "\"Degraded\"},"
     "\"license\": {\"data\": {\"remaningDays\": 196, \"expirationDate\": "
     "\"2021-05-13T00:00:00\"}, \"description\": \"Licencia exspiruje za 196 "
     "dní.\", \"duration\": \"00:00:00.0000619\", \"status\": \"Healthy\"},"
     "\"printer\": {\"status\": \"Unhealthy\", \"description\": \"not "
     "reachable\", \"exception\": {\"message\": \"PrinterNotOpened\"}}}}"),
    CANNED("/spring", 503,
     "{\"status\": \"DOWN\", \"components\": {"
     "\"db\": {\"status\": \"UP\", \"details\": {\"database\": "
     "\"PostgreSQL\", \"validationQuery\": \"isValid()\"}},"
     "\"redis\": {\"status\": \"DOWN\", \"details\": {\"error\": "
     "\"Unable to connect to localhost:6379\"}},"
     "\"group\": {\"status\": \"OUT_OF_SERVICE\", \"components\": {"
     "\"a\": {\"status\": \"UP\"}, \"b\": {\"status\": "
     "\"OUT_OF_SERVICE\"}}}}}"),
    CANNED("/spring/unknown", 200, "{\"status\": \"UNKNOWN\"}"),
    CANNED("/avalanche", 503,
     "{\"checks\": {"
     "\"network\": {\"message\": {\"connectedPeers\": 0}, \"error\": "
     "{\"message\": \"not connected to enough stake\"}, \"timestamp\": "
     "\"2026-11-21T20:00:00Z\", \"duration\": 1000, \"contiguousFailures\": "
     "3, \"timeOfFirstFailure\": \"2026-11-21T19:59:00Z\"},"
     "\"bootstrapped\": {\"message\": {\"chains\": 3}, \"timestamp\": "
     "\"2026-11-21T20:00:00Z\", \"duration\": 1000, \"contiguousFailures\": "
     "0, \"timeOfFirstFailure\": null}}, \"healthy\": false}"),
    CANNED("/mosparo", 500,
     "{\"service\": \"mosparo\", \"healthy\": false, \"databaseStatus\": "
     "\"connection-failed\", \"error\": \"db: SQLSTATE[HY000] [2002] "
     "Connection refused\", \"statusCode\": 500}"),
    CANNED("/mosparo/ok", 200,
     "{\"service\": \"mosparo\", \"healthy\": true, \"databaseStatus\": "
     "\"connected\", \"error\": null, \"statusCode\": 200}"),
    CANNED("/many", 503,
     "{\"status\": \"fail\", \"checks\": {\"c1\": [{\"status\": \"fail\"}], "
     "\"c2\": [{\"status\": \"fail\"}], \"c3\": [{\"status\": \"fail\"}], "
     "\"c4\": [{\"status\": \"fail\"}], \"c5\": [{\"status\": \"fail\"}], "
     "\"c6\": [{\"status\": \"fail\"}], \"c7\": [{\"status\": \"fail\"}], "
     "\"odd\": [{\"status\": \"maybe\"}, {\"output\": \"x\"}]}}"),
    CANNED("/plain/ok", 200, "OK"),
    CANNED("/plain/500", 500, "<html>oops</html>"),
    CANNED("/json/other", 200, "{\"status\": \"great\", \"healthy\": 1}"),
    CANNED("/json/other503", 503, "{\"status\": \"great\"}"),
    CANNED("/json/truncated", 200, "{\"status\": \"pass\""),
    {.path = "/hang", .hang = 1},
    {.path = NULL},
};

static peer_t *peer;

/* ------------------------------------------------------------------------
 * Helpers
 */

static vitals_result_t *run_path(int port, const char *path,
                                 const char *extra)
{
    char json[512];

    snprintf(json, sizeof(json), "{\"url\": \"http://127.0.0.1:%d%s\"%s}",
             port, path, extra ? extra : "");
    return run_check(&vcheck_remote, json, 3000);
}

static double data_ms(const vitals_result_t *r)
{
    json_t *d = data_of(r), *v = json_object_get(d, "responseTimeMs");
    double ms;

    if (!json_is_real(v))
        fail_msg("data.responseTimeMs is not a real: %s", r->data_json);
    ms = json_real_value(v);
    json_decref(d);
    return ms;
}

/* The description, given what follows "answered <code> in <ms> ms". */
static void check_description(const vitals_result_t *r, int port,
                              const char *path, long code, const char *tail)
{
    char want[1024], data[64];

    snprintf(want, sizeof(want), "GET http://127.0.0.1:%d%s answered %ld in "
             "%.1f ms%s",
             port, path, code, data_ms(r), tail);
    assert_string_equal(r->description, want);
    snprintf(data, sizeof(data), "{\"statusCode\":%ld,\"responseTimeMs\":",
             code);
    assert_true(strncmp(r->data_json, data, strlen(data)) == 0);
}

static void check_error(const vitals_result_t *r, int port, const char *path,
                        const char *tail)
{
    char want[1024];

    snprintf(want, sizeof(want), "GET http://127.0.0.1:%d%s%s", port, path,
             tail);
    assert_string_equal(r->error, want);
}

/* Child i: its name, status, description, error and data, exactly. */
static void check_child(const vitals_result_t *r, size_t i, const char *name,
                        vitals_status_t status, const char *description,
                        const char *error, const char *data)
{
    const vitals_result_t *c;

    assert_true(i < r->nchildren);
    c = r->children[i];
    assert_string_equal(c->key, name);
    assert_int_equal(c->status, status);
    if (description)
        assert_string_equal(c->description, description);
    else
        assert_null(c->description);
    if (error)
        assert_string_equal(c->error, error);
    else
        assert_null(c->error);
    assert_string_equal(c->data_json, data);
}

/* ------------------------------------------------------------------------
 * Formats
 */

static void test_ietf(void **state)
{
    vitals_result_t *r;
    char last[16384];
    (void)state;

    r = run_path(peer_port(peer), "/ietf/pass", NULL);
    assert_int_equal(r->status, VITALS_HEALTHY);
    assert_null(r->error);
    check_description(r, peer_port(peer), "/ietf/pass", 200,
                      ", status \"pass\" (not healthy: cache)");
    assert_int_equal(r->nchildren, 2);
    check_child(r, 0, "db1", VITALS_HEALTHY, "fine", NULL,
                "{\"componentType\":\"datastore\",\"observedValue\":3,"
                "\"observedUnit\":\"ms\"}");
    check_child(r, 1, "cache", VITALS_DEGRADED, NULL, "evicting", "{}");
    assert_true(r->observed_set);
    assert_string_equal(r->measurement, "responseTime");
    vresult_unref(r);

    /* It asked for a health document. */
    peer_last(peer, last, sizeof(last));
    assert_non_null(strstr(last, "\r\nAccept: application/health+json, "
                                 "application/json;q=0.9, */*;q=0.1\r\n"));

    r = run_path(peer_port(peer), "/ietf/fail", NULL);
    assert_int_equal(r->status, VITALS_UNHEALTHY);
    check_error(r, peer_port(peer), "/ietf/fail",
                " answered 503, status \"fail\": database down (not healthy: "
                "db, db#3)");
    check_description(r, peer_port(peer), "/ietf/fail", 503,
                      ", status \"fail\": database down (not healthy: db, "
                      "db#3)");
    assert_int_equal(r->nchildren, 3);
    check_child(r, 0, "db", VITALS_UNHEALTHY, NULL, "connection refused",
                "{}");
    check_child(r, 1, "db#2", VITALS_HEALTHY, NULL, NULL, "{}");
    check_child(r, 2, "db#3", VITALS_UNHEALTHY, NULL, "status fail", "{}");
    vresult_unref(r);

    r = run_path(peer_port(peer), "/ietf/warn", NULL);
    assert_int_equal(r->status, VITALS_DEGRADED);
    assert_null(r->error);
    check_description(r, peer_port(peer), "/ietf/warn", 200, ", status \"WARN\"");
    vresult_unref(r);
}

/* ok/up and error/down, as hand-written endpoints say. */
static void test_words(void **state)
{
    vitals_result_t *r;
    (void)state;

    r = run_path(peer_port(peer), "/words/ok", NULL);
    assert_int_equal(r->status, VITALS_HEALTHY);
    check_description(r, peer_port(peer), "/words/ok", 200, ", status \"Ok\"");
    vresult_unref(r);

    r = run_path(peer_port(peer), "/words/error", NULL);
    assert_int_equal(r->status, VITALS_UNHEALTHY);
    check_error(r, peer_port(peer), "/words/error",
                " answered 200, status \"error\"");
    vresult_unref(r);
}

/* Seed 001's HealthReport: always 200, the status is in the body. */
static void test_health_report(void **state)
{
    vitals_result_t *r;
    (void)state;

    r = run_path(peer_port(peer), "/report", NULL);
    assert_int_equal(r->status, VITALS_UNHEALTHY);
    check_error(r, peer_port(peer), "/report",
                " answered 200, status \"Unhealthy\" (not healthy: "
                "diskstorage, printer)");
    assert_int_equal(r->nchildren, 3);
    check_child(r, 0, "diskstorage", VITALS_DEGRADED,
                "Minimum configured megabytes for disk C:\\ is 512 but actual "
                "free space are 252 megabytes",
                "Minimum configured megabytes for disk C:\\ is 512 but actual "
                "free space are 252 megabytes",
                "{}");
    check_child(r, 1, "license", VITALS_HEALTHY,
                "Licencia exspiruje za 196 dní.", NULL,
                "{\"remaningDays\":196,\"expirationDate\":"
                "\"2021-05-13T00:00:00\"}");
    check_child(r, 2, "printer", VITALS_UNHEALTHY, "not reachable",
                "PrinterNotOpened", "{}");
    vresult_unref(r);
}

static void test_spring_boot(void **state)
{
    const vitals_result_t *g;
    vitals_result_t *r;
    (void)state;

    r = run_path(peer_port(peer), "/spring", NULL);
    assert_int_equal(r->status, VITALS_UNHEALTHY);
    check_error(r, peer_port(peer), "/spring",
                " answered 503, status \"DOWN\" (not healthy: redis, group)");
    assert_int_equal(r->nchildren, 3);
    check_child(r, 0, "db", VITALS_HEALTHY, NULL, NULL,
                "{\"database\":\"PostgreSQL\",\"validationQuery\":"
                "\"isValid()\"}");
    check_child(r, 1, "redis", VITALS_UNHEALTHY, NULL,
                "Unable to connect to localhost:6379",
                "{\"error\":\"Unable to connect to localhost:6379\"}");
    check_child(r, 2, "group", VITALS_UNHEALTHY, NULL,
                "status OUT_OF_SERVICE", "{}");
    /* Nested components stay nested. */
    g = r->children[2];
    assert_int_equal(g->nchildren, 2);
    check_child(g, 0, "a", VITALS_HEALTHY, NULL, NULL, "{}");
    check_child(g, 1, "b", VITALS_UNHEALTHY, NULL, "status OUT_OF_SERVICE",
                "{}");
    vresult_unref(r);

    r = run_path(peer_port(peer), "/spring/unknown", NULL);
    assert_int_equal(r->status, VITALS_DEGRADED);
    check_description(r, peer_port(peer), "/spring/unknown", 200,
                      ", status \"UNKNOWN\"");
    vresult_unref(r);
}

static void test_avalanche_and_mosparo(void **state)
{
    vitals_result_t *r;
    (void)state;

    r = run_path(peer_port(peer), "/avalanche", NULL);
    assert_int_equal(r->status, VITALS_UNHEALTHY);
    check_error(r, peer_port(peer), "/avalanche",
                " answered 503, healthy: false (not healthy: network)");
    assert_int_equal(r->nchildren, 2);
    check_child(r, 0, "network", VITALS_UNHEALTHY, NULL,
                "not connected to enough stake", "{\"connectedPeers\":0}");
    check_child(r, 1, "bootstrapped", VITALS_HEALTHY, NULL, NULL,
                "{\"chains\":3}");
    vresult_unref(r);

    r = run_path(peer_port(peer), "/mosparo", NULL);
    assert_int_equal(r->status, VITALS_UNHEALTHY);
    check_error(r, peer_port(peer), "/mosparo",
                " answered 500, healthy: false: db: SQLSTATE[HY000] [2002] "
                "Connection refused");
    assert_int_equal(r->nchildren, 0);
    vresult_unref(r);

    r = run_path(peer_port(peer), "/mosparo/ok", NULL);
    assert_int_equal(r->status, VITALS_HEALTHY);
    check_description(r, peer_port(peer), "/mosparo/ok", 200, ", healthy: true");
    vresult_unref(r);
}

/* Past five names the list says how many more; a child whose status is
 * missing or unknown cannot be counted on. */
static void test_many_children(void **state)
{
    vitals_result_t *r;
    (void)state;

    r = run_path(peer_port(peer), "/many", NULL);
    check_error(r, peer_port(peer), "/many",
                " answered 503, status \"fail\" (not healthy: c1, c2, c3, c4, "
                "c5 and 4 more)");
    assert_int_equal(r->nchildren, 9);
    check_child(r, 7, "odd", VITALS_UNHEALTHY, NULL,
                "unrecognised status \"maybe\"", "{}");
    check_child(r, 8, "odd#2", VITALS_UNHEALTHY, NULL, "no status", "{}");
    vresult_unref(r);
}

/* Without a health document, the HTTP status decides. */
static void test_other_bodies(void **state)
{
    vitals_result_t *r;
    (void)state;

    r = run_path(peer_port(peer), "/plain/ok", NULL);
    assert_int_equal(r->status, VITALS_HEALTHY);
    check_description(r, peer_port(peer), "/plain/ok", 200, "");
    vresult_unref(r);

    r = run_path(peer_port(peer), "/plain/500", NULL);
    assert_int_equal(r->status, VITALS_UNHEALTHY);
    check_error(r, peer_port(peer), "/plain/500", " answered 500, expected 200-399");
    check_description(r, peer_port(peer), "/plain/500", 500, "");
    vresult_unref(r);

    r = run_path(peer_port(peer), "/json/other", NULL);
    assert_int_equal(r->status, VITALS_HEALTHY);
    assert_int_equal(r->nchildren, 0);
    vresult_unref(r);

    r = run_path(peer_port(peer), "/json/other503", NULL);
    check_error(r, peer_port(peer), "/json/other503",
                " answered 503, expected 200-399");
    vresult_unref(r);

    r = run_path(peer_port(peer), "/json/truncated", NULL);
    assert_int_equal(r->status, VITALS_HEALTHY);
    check_description(r, peer_port(peer), "/json/truncated", 200, "");
    vresult_unref(r);

    r = run_path(peer_port(peer), "/nowhere", NULL);
    check_error(r, peer_port(peer), "/nowhere", " answered 404, expected 200-399");
    vresult_unref(r);
}

static void test_timeout(void **state)
{
    char want[256];
    vitals_result_t *r;
    int64_t start, took;
    int budget = -1;
    (void)state;

    snprintf(want, sizeof(want), "{\"url\": \"http://127.0.0.1:%d/hang\"}",
             peer_port(peer));
    start = now_ms();
    r = run_check(&vcheck_remote, want, 300);
    took = now_ms() - start;
    assert_int_equal(r->status, VITALS_UNHEALTHY);
    assert_non_null(r->error);
    assert_int_equal(sscanf(r->error,
                            "GET http://127.0.0.1:%*d/hang: timed out after "
                            "%d ms",
                            &budget),
                     1);
    assert_true(budget >= 250 && budget <= 300);
    snprintf(want, sizeof(want),
             "GET http://127.0.0.1:%d/hang: timed out after %d ms", peer_port(peer),
             budget);
    assert_string_equal(r->error, want);
    assert_string_equal(r->data_json, "{}");
    assert_int_equal(r->nchildren, 0);
    assert_true(took >= 250 && took < 900);
    vresult_unref(r);
}

/* Header values go out and nowhere else; an Accept of one's own wins. */
static void test_headers(void **state)
{
    char json[512], last[16384];
    vitals_result_t *r;
    (void)state;

    snprintf(json, sizeof(json),
             "{\"url\": \"http://svc:hunter2@127.0.0.1:%d/ietf/fail\", "
             "\"headers\": {\"X-Api-Key\": \"k3y-s3cret\", \"Accept\": "
             "\"application/json\"}}",
             peer_port(peer));
    r = run_check(&vcheck_remote, json, 3000);
    peer_last(peer, last, sizeof(last));
    assert_non_null(strstr(last, "\r\nX-Api-Key: k3y-s3cret\r\n"));
    assert_non_null(strstr(last, "\r\nAccept: application/json\r\n"));
    assert_null(strstr(last, "health+json"));
    check_error(r, peer_port(peer), "/ietf/fail",
                " answered 503, status \"fail\": database down (not healthy: "
                "db, db#3)");
    assert_null(strstr(r->description, "hunter2"));
    assert_null(strstr(r->data_json, "k3y"));
    vresult_unref(r);
}

/* ------------------------------------------------------------------------
 * A real peer: a libvitals instance serving its own formats
 */

static void cb_healthy(vitals_result_t *r, void *data)
{
    (void)data;
    vitals_result_set_description(r, "all good");
}

static void cb_degraded(vitals_result_t *r, void *data)
{
    (void)data;
    vitals_result_set_status(r, VITALS_DEGRADED);
    vitals_result_set_description(r, "slow");
}

static void cb_unhealthy(vitals_result_t *r, void *data)
{
    (void)data;
    vitals_result_set_error(r, "connection refused");
}

/* Waits until every check of v has run once. */
static void wait_all_ran(vitals_t *v)
{
    int64_t until = now_ms() + 5000;
    vitals_snapshot_t *s;
    size_t i, ran;

    for (;;) {
        s = vitals_snapshot_get(v);
        for (i = ran = 0; i < vitals_snapshot_count(s); i++)
            ran += vitals_snapshot_check(s, i)->timestamp_ns != 0;
        i = vitals_snapshot_count(s);
        vitals_snapshot_release(s);
        if (ran == i)
            return;
        assert_true(now_ms() < until);
        usleep(10 * 1000);
    }
}

static void test_vitals_peer(void **state)
{
    vitals_check_opts_t o;
    vitals_result_t *r;
    vitals_t *v = vitals_new();
    int port;
    (void)state;

    assert_non_null(v);
    vitals_check_opts_init(&o);
    o.interval_ms = 60000;
    assert_int_equal(vitals_add_check(v, "disk", &o, cb_healthy, NULL, NULL),
                     0);
    assert_int_equal(vitals_add_check(v, "cache", &o, cb_degraded, NULL,
                                      NULL),
                     0);
    assert_int_equal(vitals_add_check(v, "db", &o, cb_unhealthy, NULL, NULL),
                     0);
    assert_int_equal(vitals_listen(v, "127.0.0.1:0"), 0);
    assert_int_equal(vitals_start(v), 0);
    port = vitals_listen_port(v, 0);
    assert_true(port > 0);
    wait_all_ran(v);

    /* IETF */
    r = run_path(port, "/health", NULL);
    assert_int_equal(r->status, VITALS_UNHEALTHY);
    check_error(r, port, "/health",
                " answered 503, status \"fail\" (not healthy: cache, db)");
    assert_int_equal(r->nchildren, 3);
    check_child(r, 0, "disk", VITALS_HEALTHY, NULL, NULL,
                "{\"componentType\":\"component\"}");
    check_child(r, 1, "cache", VITALS_DEGRADED, NULL, "slow",
                "{\"componentType\":\"component\"}");
    check_child(r, 2, "db", VITALS_UNHEALTHY, NULL, "connection refused",
                "{\"componentType\":\"component\"}");
    vresult_unref(r);

    /* HealthReport */
    r = run_path(port, "/api/v2/health", NULL);
    assert_int_equal(r->status, VITALS_UNHEALTHY);
    check_error(r, port, "/api/v2/health",
                " answered 200, status \"Unhealthy\" (not healthy: cache, "
                "db)");
    assert_int_equal(r->nchildren, 3);
    check_child(r, 0, "disk", VITALS_HEALTHY, "all good", NULL, "{}");
    check_child(r, 1, "cache", VITALS_DEGRADED, "slow", "slow", "{}");
    assert_int_equal(r->children[2]->status, VITALS_UNHEALTHY);
    assert_string_equal(r->children[2]->error, "connection refused");
    vresult_unref(r);

    /* avalanchego */
    r = run_path(port, "/ext/health", NULL);
    assert_int_equal(r->status, VITALS_UNHEALTHY);
    assert_int_equal(r->nchildren, 3);
    assert_string_equal(r->children[2]->key, "db");
    assert_int_equal(r->children[2]->status, VITALS_UNHEALTHY);
    assert_string_equal(r->children[2]->error, "connection refused");
    vresult_unref(r);

    vitals_stop(v, 1000);
    vitals_free(v);
}

/* ------------------------------------------------------------------------
 * Configuration
 */

static void test_config_errors(void **state)
{
    (void)state;
    check_config_error(&vcheck_remote, "{}",
                       "settings: missing required key 'url'");
    check_config_error(&vcheck_remote, "{\"url\": \"file:///etc/passwd\"}",
                       "settings: 'url': expected an http:// or https:// "
                       "URL, got scheme \"file\"");
    check_config_error(&vcheck_remote,
                       "{\"url\": \"http://x/\", \"headers\": \"a: b\"}",
                       "settings: 'headers': expected a map of header names "
                       "to values, got a string");
    check_config_error(&vcheck_remote,
                       "{\"url\": \"http://x/\", \"headers\": {\"A\": "
                       "\"x\\ny\"}}",
                       "settings: 'headers': the value of 'A' must not "
                       "contain a line break");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ietf),
        cmocka_unit_test(test_words),
        cmocka_unit_test(test_health_report),
        cmocka_unit_test(test_spring_boot),
        cmocka_unit_test(test_avalanche_and_mosparo),
        cmocka_unit_test(test_many_children),
        cmocka_unit_test(test_other_bodies),
        cmocka_unit_test(test_timeout),
        cmocka_unit_test(test_headers),
        cmocka_unit_test(test_vitals_peer),
        cmocka_unit_test(test_config_errors),
    };
    int rc;

    /* The check honours the proxy variables, as libcurl does; these tests
     * talk to 127.0.0.1 directly. */
    unsetenv("http_proxy");
    unsetenv("https_proxy");
    unsetenv("HTTPS_PROXY");
    unsetenv("all_proxy");
    unsetenv("ALL_PROXY");
    if (!(peer = peer_start(answers))) {
        fprintf(stderr, "cannot start the test server\n");
        return 1;
    }
    rc = cmocka_run_group_tests(tests, NULL, NULL);
    peer_stop(peer);
    return rc;
}
