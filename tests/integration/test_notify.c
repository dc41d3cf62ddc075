/* test_notify.c - alerts from a real vitalsd: a real Alertmanager (Debian's
 * prometheus-alertmanager, started on loopback by the test) shows the
 * alert with its labels once a check failed `after` times, and drops it
 * once it passed `recover_after` times; a webhook receiver (the canned
 * peer) gets exactly one notification per transition, the first after a
 * retry of a 500; the secret in its header never reaches the log. */
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"
#include "peer.h"

#define SECRET "s3cr3t-hook-token-42"

extern char **environ;

/* ------------------------------------------------------------------------
 * Alertmanager on loopback
 */

typedef struct am {
    pid_t pid;
    int port;
    char dir[64];
} am_t;

static size_t keep(char *p, size_t size, size_t n, void *data)
{
    json_t **out = data;
    json_t *j = json_loadb(p, size * n, 0, NULL);

    if (j != NULL) {
        json_decref(*out);
        *out = j;
    }
    return size * n;
}

/* GET path from Alertmanager: the status (0: no answer); its JSON body in
 * *out when out is not NULL (new reference, or NULL). */
static long am_get(const am_t *a, const char *path, json_t **out)
{
    CURL *h = curl_easy_init();
    json_t *j = NULL;
    long status = 0;
    char url[128];

    snprintf(url, sizeof(url), "http://127.0.0.1:%d%s", a->port, path);
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, 2000L);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, keep);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &j);
    if (curl_easy_perform(h) == CURLE_OK)
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_cleanup(h);
    if (out != NULL)
        *out = j;
    else
        json_decref(j);
    return status;
}

static void am_start(am_t *a)
{
    char cfg[128], store[128], listen[64], log[128], cfgarg[160],
        storearg[160];
    char *argv[] = {"prometheus-alertmanager", cfgarg, storearg, listen,
                    "--cluster.listen-address=", NULL};
    posix_spawn_file_actions_t fa;

    snprintf(a->dir, sizeof(a->dir), "/tmp/vitals-am-XXXXXX");
    assert_non_null(mkdtemp(a->dir));
    snprintf(cfg, sizeof(cfg), "%s/am.yml", a->dir);
    snprintf(store, sizeof(store), "%s/data", a->dir);
    snprintf(log, sizeof(log), "%s/am.log", a->dir);
    write_file(cfg, "route: {receiver: none}\nreceivers: [{name: none}]\n");
    a->port = closed_port();
    snprintf(cfgarg, sizeof(cfgarg), "--config.file=%s", cfg);
    snprintf(storearg, sizeof(storearg), "--storage.path=%s", store);
    snprintf(listen, sizeof(listen), "--web.listen-address=127.0.0.1:%d",
             a->port);
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, log, O_WRONLY | O_CREAT, 0600);
    posix_spawn_file_actions_adddup2(&fa, 1, 2);
    assert_int_equal(posix_spawnp(&a->pid, argv[0], &fa, NULL, argv, environ),
                     0);
    posix_spawn_file_actions_destroy(&fa);
    for (int i = 0; i < 300 && am_get(a, "/-/ready", NULL) != 200; i++)
        usleep(50000);
    if (am_get(a, "/-/ready", NULL) != 200)
        fail_msg("Alertmanager did not get ready within 15 s (see %s)", log);
}

static void am_stop(am_t *a)
{
    char cmd[96];

    kill(a->pid, SIGTERM);
    waitpid(a->pid, NULL, 0);
    snprintf(cmd, sizeof(cmd), "rm -rf %s", a->dir);
    assert_int_equal(system(cmd), 0);
}

/* The alerts Alertmanager shows as active (new reference). */
static json_t *alerts(const am_t *a)
{
    json_t *j = NULL;

    assert_int_equal(am_get(a, "/api/v2/alerts", &j), 200);
    assert_true(json_is_array(j));
    return j;
}

/* Polls until Alertmanager shows want alerts (at most 10 s). */
static json_t *wait_alerts(const am_t *a, size_t want)
{
    json_t *j = alerts(a);

    for (int i = 0; i < 200 && json_array_size(j) != want; i++) {
        usleep(50000);
        json_decref(j);
        j = alerts(a);
    }
    assert_int_equal(json_array_size(j), want);
    return j;
}

/* ------------------------------------------------------------------------
 * Driving the check
 */

/* Waits until the push check ran fails + passes times in all, as /metrics
 * counts them (at most 4 s). */
static void wait_runs(vd_t *d, int fails, int passes)
{
    char f[96], p[96];
    vresp_t r;
    int ok = 0;

    snprintf(f, sizeof(f),
             "vitals_check_runs_total{check=\"backup\",status=\"fail\"} %d\n",
             fails);
    snprintf(p, sizeof(p),
             "vitals_check_runs_total{check=\"backup\",status=\"pass\"} %d\n",
             passes);
    for (int i = 0; i < 200 && !ok; i++) {
        r = vd_get(d, "/metrics");
        ok = r.body && strstr(r.body, f) && strstr(r.body, p);
        vresp_free(&r);
        if (!ok)
            usleep(20000);
    }
    if (!ok)
        fail_msg("backup did not run %d failing and %d passing times", fails,
                 passes);
}

/* Reports status to the push check, and waits until that run counted. */
static void push(vd_t *d, const char *status, int fails, int passes)
{
    const char *h[] = {"Content-Type: application/json", NULL};
    char body[96];
    vresp_t r;

    snprintf(body, sizeof(body), "{\"status\": \"%s\", \"output\": "
                                 "\"backup %s\"}", status, status);
    r = vd_request(d, "PUT", "/health/backup", body, h);
    assert_int_equal(r.status, 204);
    vresp_free(&r);
    wait_runs(d, fails, passes);
}

static void wait_hits(peer_t *p, int want)
{
    for (int i = 0; i < 1000 && peer_hits(p) < want; i++)
        usleep(10000);
    assert_int_equal(peer_hits(p), want);
}

static const char *label(json_t *alert, const char *name)
{
    return json_string_value(
        json_object_get(json_object_get(alert, "labels"), name));
}

/* Alertmanager and the webhook receiver, stopped by teardown even when
 * the test fails. */
static am_t am;
static peer_t *hook;

static int setup(void **state)
{
    (void)state;
    hook = peer_start((const peer_answer_t[]){
        {.path = "/hook", .status = 500}, {0}});
    am_start(&am);
    return hook != NULL ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    am_stop(&am);
    peer_stop(hook);
    return 0;
}

static void test_alerts(void **state)
{
    char last[4096], *log;
    json_t *j, *a;
    vd_t *d;

    (void)state;
    setenv("HOOK_TOKEN", SECRET, 1);
    d = vd_start(
        "service: {id: orders, instance: test-host}\n"
        "listen: [\"127.0.0.1:0\"]\n"
        "checks:\n"
        "  backup: {type: push, ttl: 1h, interval: 1h}\n"
        "notify:\n"
        "  - {type: alertmanager, url: \"http://127.0.0.1:%d\", after: 3,\n"
        "     recover_after: 2, resend_interval: 1s,\n"
        "     page_url: \"http://status.example/\"}\n"
        "  - {type: webhook, url: \"http://127.0.0.1:%d/hook\", after: 3,\n"
        "     recover_after: 2, backoff: 1s,\n"
        "     headers: {Authorization: \"Bearer ${HOOK_TOKEN}\"}}\n",
        am.port, peer_port(hook));
    /* The first run ("no report yet") fails; a pass starts afresh. */
    wait_runs(d, 1, 0);
    push(d, "pass", 1, 1);
    push(d, "fail", 2, 1);
    push(d, "fail", 3, 1);
    usleep(500000);
    j = alerts(&am);
    assert_int_equal(json_array_size(j), 0); /* 2 failures: not yet */
    json_decref(j);
    assert_int_equal(peer_hits(hook), 0);

    push(d, "fail", 4, 1);
    j = wait_alerts(&am, 1);
    a = json_array_get(j, 0);
    assert_string_equal(label(a, "alertname"), "VitalsCheckFailing");
    assert_string_equal(label(a, "service"), "orders");
    assert_string_equal(label(a, "instance"), "test-host");
    assert_string_equal(label(a, "check"), "backup");
    assert_string_equal(label(a, "severity"), "critical");
    assert_int_equal(json_object_size(json_object_get(a, "labels")), 5);
    assert_string_equal(
        json_string_value(json_object_get(
            json_object_get(a, "annotations"), "description")),
        "backup fail");
    assert_string_equal(json_string_value(json_object_get(a, "generatorURL")),
                        "http://status.example/");
    assert_string_equal(json_string_value(json_object_get(
                            json_object_get(a, "status"), "state")),
                        "active");
    json_decref(j);

    /* The webhook: a 500, then the retry a second later is the one. */
    wait_hits(hook, 1);
    peer_set(hook, &(peer_answer_t){.path = "/hook", .status = 200});
    wait_hits(hook, 2);
    peer_last(hook, last, sizeof(last));
    assert_non_null(strstr(last, "Authorization: Bearer " SECRET "\r\n"));
    assert_non_null(strstr(last, "\"event\":\"firing\""));
    assert_non_null(strstr(last, "\"check\":\"backup\""));

    /* One pass is not enough to resolve; the second is. */
    push(d, "pass", 4, 2);
    usleep(500000);
    j = alerts(&am);
    assert_int_equal(json_array_size(j), 1);
    json_decref(j);
    push(d, "pass", 4, 3);
    json_decref(wait_alerts(&am, 0));
    wait_hits(hook, 3);
    peer_last(hook, last, sizeof(last));
    assert_non_null(strstr(last, "\"event\":\"resolved\""));
    assert_non_null(strstr(last, "\"old_status\":\"unhealthy\""));
    assert_non_null(strstr(last, "\"new_status\":\"healthy\""));

    /* Exactly one notification per transition, however long we wait. */
    usleep(1500000);
    assert_int_equal(peer_hits(hook), 3);
    assert_true(vd_log_wait(d, "notify webhook #2: backup firing failed "
                               "(HTTP 500); retrying in 1000 ms (3 left)",
                            1000));
    assert_true(vd_log_wait(d, "notify alertmanager #1: sent backup "
                               "resolved",
                            1000));
    log = vd_log(d);
    assert_null(strstr(log, SECRET));
    free(log);
    assert_int_equal(vd_stop(d), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_alerts, setup, teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
