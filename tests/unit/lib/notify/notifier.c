/* notifier.c - unit tests for the notifier's thread (lib/notify/
 * notifier.c) against the canned HTTP peer on 127.0.0.1: one request per
 * transition, a retry after a 500, 429 or 408 with a doubling wait until
 * the retries run out (and none after a 400), the headers sent, and a
 * heartbeat (GET or POST) that stops when snapshots stop. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "notifytest.h"
#include "peer.h"
#include "util/clock.h"

/* What the notifier reads and says, behind one lock. */
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static vitals_snapshot_t *current;
static char logbuf[8192];

static vitals_snapshot_t *latest(void *ctx)
{
    vitals_snapshot_t *s;

    (void)ctx;
    pthread_mutex_lock(&mu);
    s = current ? vsnap_ref(current) : NULL;
    pthread_mutex_unlock(&mu);
    return s;
}

static void logline(void *ctx, vitals_log_level_t level, const char *msg)
{
    (void)ctx;
    (void)level;
    pthread_mutex_lock(&mu);
    strncat(logbuf, msg, sizeof(logbuf) - strlen(logbuf) - 2);
    strcat(logbuf, "\n");
    pthread_mutex_unlock(&mu);
}

static int logged(const char *text)
{
    int found;

    pthread_mutex_lock(&mu);
    found = strstr(logbuf, text) != NULL;
    pthread_mutex_unlock(&mu);
    return found;
}

static void publish(vitals_snapshot_t *s, vnotifier_t *n)
{
    vitals_snapshot_t *old;

    pthread_mutex_lock(&mu);
    old = current;
    current = s;
    pthread_mutex_unlock(&mu);
    vitals_snapshot_release(old);
    if (n != NULL)
        vnotifier_wake(n);
}

/* Waits (at most 10 s) until p has read want requests. */
static void wait_hits(peer_t *p, int want)
{
    for (int i = 0; i < 1000 && peer_hits(p) < want; i++)
        usleep(10000);
    assert_int_equal(peer_hits(p), want);
}

static vnotifier_t *start(const char *json)
{
    vnotifier_t *n = vnotifier_new(latest, logline, NULL);

    logbuf[0] = '\0';
    vnotifier_set_targets(n, nt_targets(json));
    assert_int_equal(vnotifier_start(n), 0);
    return n;
}

/* A notifier with one webhook to p's /hook, more keys in extra, and check
 * db failing. */
static vnotifier_t *start_hook(peer_t *p, const char *extra)
{
    char json[512];
    vnotifier_t *n;

    snprintf(json, sizeof(json),
             "{\"notify\": [{\"type\": \"webhook\", \"url\": "
             "\"http://127.0.0.1:%d/hook\", %s}]}",
             peer_port(p), extra);
    n = start(json);
    publish(nt_failing("db", vclock_mono(&vclock_system)), n);
    wait_hits(p, 1);
    return n;
}

static void stop(vnotifier_t *n)
{
    vnotifier_free(n);
    publish(NULL, NULL);
}

static void test_retry_after_500(void **state)
{
    peer_t *p = peer_start((const peer_answer_t[]){
        {.path = "/hook", .status = 500, .body = "try later"}, {0}});
    char last[4096];
    vnotifier_t *n;

    (void)state;
    n = start_hook(p, "\"backoff\": \"1s\", \"retries\": 2, "
                      "\"headers\": {\"X-Token\": \"t0ps3cret\"}");
    peer_set(p, &(peer_answer_t){.path = "/hook", .status = 200});
    wait_hits(p, 2);
    peer_last(p, last, sizeof(last));
    assert_non_null(strstr(last, "POST /hook HTTP/1.1\r\n"));
    assert_non_null(strstr(last, "X-Token: t0ps3cret\r\n"));
    assert_non_null(strstr(last, "Content-Type: application/json\r\n"));
    assert_non_null(strstr(last, "\"event\":\"firing\""));
    /* Delivered once: nothing more comes. */
    usleep(300000);
    assert_int_equal(peer_hits(p), 2);
    assert_true(logged("notify webhook #1: db firing failed (HTTP 500: try "
                       "later); retrying in 1000 ms (2 left)"));
    assert_true(logged("notify webhook #1: sent db firing"));
    assert_false(logged("t0ps3cret"));
    assert_false(logged("/hook"));
    stop(n);
    peer_stop(p);
}

/* A 400 says the body is wrong: sending it again would not help. */
static void test_no_retry_after_400(void **state)
{
    peer_t *p = peer_start((const peer_answer_t[]){
        {.path = "/hook", .status = 400, .body = "bad label\nmore"}, {0}});
    vnotifier_t *n;

    (void)state;
    n = start_hook(p, "\"backoff\": \"100ms\"");
    usleep(400000);
    assert_int_equal(peer_hits(p), 1);
    assert_true(logged("notify webhook #1: db firing not sent: HTTP 400: "
                       "bad label"));
    stop(n);
    peer_stop(p);
}

/* 429 and 408 say "later" as a 5xx does: retried, each wait twice the
 * one before, and given up after `retries` more attempts. */
static void test_retry_later_then_give_up(void **state)
{
    static const unsigned statuses[] = {429, 408};

    (void)state;
    for (size_t i = 0; i < 2; i++) {
        peer_t *p = peer_start((const peer_answer_t[]){
            {.path = "/hook", .status = statuses[i], .body = "later"}, {0}});
        char want[128];
        vnotifier_t *n;

        n = start_hook(p, "\"backoff\": \"100ms\", \"retries\": 2");
        wait_hits(p, 3);
        usleep(500000);
        assert_int_equal(peer_hits(p), 3);
        snprintf(want, sizeof(want),
                 "db firing failed (HTTP %u: later); retrying in 100 ms "
                 "(2 left)",
                 statuses[i]);
        assert_true(logged(want));
        assert_true(logged("; retrying in 200 ms (1 left)"));
        snprintf(want, sizeof(want), "db firing not sent: HTTP %u: later",
                 statuses[i]);
        assert_true(logged(want));
        stop(n);
        peer_stop(p);
    }
}

/* A reload with the same target keeps what it knew: db neither fires
 * again nor is forgotten, and its recovery is sent. */
static void test_reload_keeps_state(void **state)
{
    peer_t *p = peer_start((const peer_answer_t[]){
        {.path = "/hook", .status = 200}, {0}});
    char json[256], last[4096];
    vitals_snapshot_t *s;
    vnotifier_t *n;

    (void)state;
    n = start_hook(p, "\"name\": \"ops\"");
    snprintf(json, sizeof(json),
             "{\"notify\": [{\"type\": \"webhook\", \"name\": \"ops\", "
             "\"url\": \"http://127.0.0.1:%d/hook\", \"after\": 1}]}",
             peer_port(p));
    vnotifier_set_targets(n, nt_targets(json));
    publish(nt_failing("db", vclock_mono(&vclock_system)), n);
    usleep(300000);
    assert_int_equal(peer_hits(p), 1);
    s = nt_failing("db", vclock_mono(&vclock_system));
    s->entries[0].runs[VITALS_HEALTHY] = 1;
    s->entries[0].pub.contiguous_failures = 0;
    publish(s, n);
    wait_hits(p, 2);
    peer_last(p, last, sizeof(last));
    assert_non_null(strstr(last, "\"event\":\"resolved\""));
    stop(n);
    peer_stop(p);
}

/* The C API: the same keys as the YAML, errors in a message. */
static void test_api(void **state)
{
    vitals_t *v = vitals_new();
    char *err = NULL;

    (void)state;
    assert_int_equal(vitals_set_notify(v, "{\"notify\": [{\"type\": "
                                          "\"webhook\"}]}",
                                       &err),
                     VITALS_ECONFIG);
    assert_string_equal(err, "settings: notify #1: missing required key 'url'");
    free(err);
    assert_int_equal(vitals_set_notify(v, "{\"notify\": [], \"x\": 1}", &err),
                     VITALS_ECONFIG);
    assert_string_equal(err, "settings: unknown key 'x' in the notify settings");
    free(err);
    assert_int_equal(vitals_set_notify(v, "{\"notify\": [{\"type\": "
                                          "\"heartbeat\", \"url\": "
                                          "\"http://127.0.0.1:1/\"}]}",
                                       &err),
                     VITALS_OK);
    assert_null(err);
    assert_int_equal(vitals_set_notify(NULL, "{}", NULL), VITALS_EINVAL);
    vitals_free(v);
}

/* Pings every interval while snapshots are fresh; none once the latest is
 * older than three publication heartbeats. */
static void test_heartbeat(void **state)
{
    peer_t *p = peer_start((const peer_answer_t[]){
        {.path = "/ping", .status = 200}, {0}});
    char json[512], last[1024];
    vnotifier_t *n;
    int64_t now = vclock_mono(&vclock_system);

    (void)state;
    snprintf(json, sizeof(json),
             "{\"notify\": [{\"type\": \"heartbeat\", \"url\": "
             "\"http://127.0.0.1:%d/ping\", \"interval\": \"1s\"}]}",
             peer_port(p));
    publish(nt_failing("db", now), NULL);
    n = start(json);
    wait_hits(p, 1);
    peer_last(p, last, sizeof(last));
    assert_non_null(strstr(last, "GET /ping HTTP/1.1\r\n"));
    /* The scheduler is stuck: its last snapshot is 31 s old. */
    publish(nt_failing("db", now - 31 * VCLOCK_S), n);
    usleep(1500000);
    assert_int_equal(peer_hits(p), 1);
    assert_true(logged("notify heartbeat #1: no snapshot published for 3"));
    assert_true(logged("the scheduler is stuck; pings stop"));
    stop(n);
    peer_stop(p);
}

/* method: POST pings with an empty body. */
static void test_heartbeat_post(void **state)
{
    peer_t *p = peer_start((const peer_answer_t[]){
        {.path = "/ping", .status = 200}, {0}});
    char json[512], last[1024];
    vnotifier_t *n;

    (void)state;
    snprintf(json, sizeof(json),
             "{\"notify\": [{\"type\": \"heartbeat\", \"url\": "
             "\"http://127.0.0.1:%d/ping\", \"method\": \"POST\"}]}",
             peer_port(p));
    publish(nt_failing("db", vclock_mono(&vclock_system)), NULL);
    n = start(json);
    wait_hits(p, 1);
    peer_last(p, last, sizeof(last));
    assert_non_null(strstr(last, "POST /ping HTTP/1.1\r\n"));
    assert_non_null(strstr(last, "Content-Length: 0\r\n"));
    stop(n);
    peer_stop(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_retry_after_500),
        cmocka_unit_test(test_no_retry_after_400),
        cmocka_unit_test(test_retry_later_then_give_up),
        cmocka_unit_test(test_reload_keeps_state),
        cmocka_unit_test(test_api),
        cmocka_unit_test(test_heartbeat),
        cmocka_unit_test(test_heartbeat_post),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
