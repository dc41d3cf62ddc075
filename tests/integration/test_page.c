/* test_page.c - the status page and the badges against a running vitalsd
 * with a healthy, a degraded, a failing, a nested and a push check: in
 * Debian's chromium driven by puppeteer-core (tests/support/page-test.mjs:
 * rows, filters without JavaScript, auto-refresh, contrast, screenshots),
 * and over plain HTTP: headers (CSP, ETag/304), the JSON variant, bad
 * filters, the badges as XML with their texts, the size of a page of 20
 * checks, the draining and maintenance banners, and what an anonymous caller of a
 * protected deployment sees (the overall status, no check name). */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "harness.h"

#define REFRESH_MS 2000

static int live_fd, live_port, dead_port;

/* Accepts and closes every connection to live_port, so that the TCP
 * checks pointed at it keep passing however many runs they make. */
static void *acceptor(void *arg)
{
    (void)arg;
    for (;;) {
        int c = accept(live_fd, NULL, NULL);

        if (c >= 0)
            close(c);
    }
    return NULL;
}

/* The page's cast: one of each status, a group with a failing member,
 * and a push check the browser test turns red. */
static vd_t *start_cast(void)
{
    return vd_start(
        "service: {id: orders-api, description: \"Orders API\", version: "
        "\"1.4.2\"}\n"
        "listen: [\"127.0.0.1:0\"]\n"
        "endpoints: {page: {refresh: %dms}}\n"
        "defaults: {interval: 1s, timeout: 2s}\n"
        "checks:\n"
        "  web: {type: tcp, address: \"127.0.0.1:%d\", tags: [live]}\n"
        "  cache: {type: exec, command: [/bin/sh, -c, \"echo 'WARNING - hit "
        "ratio 61%% (below 80%%)'; exit 1\"], tags: [cache]}\n"
        "  db: {type: tcp, address: \"127.0.0.1:%d\", tags: [db, ready]}\n"
        "  printers:\n"
        "    type: group\n"
        "    critical: false\n"
        "    checks:\n"
        "      Fiscal2: {type: tcp, address: \"127.0.0.1:%d\"}\n"
        "      Virtual: {type: tcp, address: \"127.0.0.1:%d\"}\n"
        "  backup: {type: push, ttl: 1h}\n",
        REFRESH_MS, live_port, dead_port, live_port, dead_port);
}

/* Waits until every check has a result (the page says "not run yet"
 * while one has none). */
static void settle(vd_t *d)
{
    const char *report[] = {"Content-Type: application/json", NULL};
    vresp_t r = vd_request(d, "PUT", "/health/backup",
                           "{\"status\": \"pass\", \"output\": \"nightly "
                           "backup done\"}",
                           report);

    assert_int_equal(r.status, 204);
    vresp_free(&r);
    for (int64_t until = now_ms() + 10000;; usleep(100 * 1000)) {
        r = vd_get(d, "/");
        if (strstr(r.body, "not run yet") == NULL &&
            strstr(r.body, "Connection refused") != NULL) {
            vresp_free(&r);
            return;
        }
        vresp_free(&r);
        if (now_ms() > until)
            fail_msg("the checks did not all run within 10 s");
    }
}

/* vd_stop, showing the daemon's log when it does not exit 0 (vd_stop
 * removes it). */
static void stop(vd_t *d)
{
    char *log;
    int rc;

    vd_signal(d, SIGTERM);
    vd_log_wait(d, "draining for", 5000);
    vd_signal(d, SIGTERM);
    vd_log_wait(d, "stopped", 5000);
    usleep(200 * 1000);
    log = vd_log(d);
    rc = vd_stop(d);
    if (rc != 0)
        fail_msg("vitalsd exited with %d; its log:\n%s", rc, log);
    free(log);
}

static void test_browser(void **state)
{
    vd_t *d = start_cast();
    const char *shots = getenv("VITALS_SCREENSHOTS"), *src = getenv("VITALS_SRC");
    char script[512], base[64], refresh[16], *out = NULL, *err = NULL;
    int64_t t0 = now_ms();
    int rc;

    (void)state;
    settle(d);
    snprintf(script, sizeof(script), "%s/tests/support/page-test.mjs",
             src ? src : ".");
    snprintf(base, sizeof(base), "http://127.0.0.1:%d/", d->port);
    snprintf(refresh, sizeof(refresh), "%d", REFRESH_MS);
    char *argv[] = {"/usr/bin/node", script, base,
                    (char *)(shots ? shots : "/tmp/vitals-screenshots"),
                    "{\"web\": \"healthy\", \"cache\": \"degraded\", \"db\": "
                    "\"unhealthy\", \"printers\": \"degraded\", \"Fiscal2\": "
                    "\"healthy\", \"Virtual\": \"unhealthy\", \"backup\": "
                    "\"healthy\"}",
                    "backup", refresh, NULL};
    rc = run_cmd(argv, &out, &err);
    printf("page-test.mjs (%lld ms):\n%s%s", (long long)(now_ms() - t0),
           out ? out : "", err ? err : "");
    if (rc != 0 || out == NULL || strstr(out, "\nok\n") == NULL)
        fail_msg("page-test.mjs failed (exit %d)", rc);
    free(out);
    free(err);
    stop(d);
}

/* Fails unless the response has header name with the value want. */
static void expect_header(const vresp_t *r, const char *name,
                          const char *want)
{
    char *v = vresp_header(r, name);

    if (v == NULL || strcmp(v, want) != 0)
        fail_msg("%s: %s, want %s", name, v ? v : "(none)", want);
    free(v);
}

/* Fails unless body is well-formed XML (Python's parser). */
static void assert_xml(const char *body)
{
    char path[] = "/tmp/vitals-svg-XXXXXX", *out = NULL, *err = NULL;
    int fd = mkstemp(path), rc;

    assert_true(fd >= 0);
    close(fd);
    write_file(path, body);
    char *argv[] = {"/usr/bin/python3", "-c",
                    "import sys, xml.dom.minidom as m; "
                    "d = m.parse(sys.argv[1]); "
                    "assert d.documentElement.tagName == 'svg'",
                    path, NULL};
    rc = run_cmd(argv, &out, &err);
    unlink(path);
    if (rc != 0)
        fail_msg("not an SVG document: %s\n%s", err ? err : "", body);
    free(out);
    free(err);
}

/* GET path: status, Content-Type, and a badge's two texts. */
static void expect_badge(vd_t *d, const char *path, const char *label,
                         const char *message)
{
    vresp_t r = vd_get(d, path);
    char want[256];

    assert_int_equal(r.status, 200);
    expect_header(&r, "Content-Type", "image/svg+xml");
    expect_header(&r, "Cache-Control", "max-age=5");
    expect_header(&r, "X-Content-Type-Options", "nosniff");
    assert_xml(r.body);
    snprintf(want, sizeof(want), "<title>%s: %s</title>", label, message);
    if (strstr(r.body, want) == NULL)
        fail_msg("%s: no %s in\n%s", path, want, r.body);
    vresp_free(&r);
}

static void expect_status(vd_t *d, const char *path, long status,
                          const char *text)
{
    vresp_t r = vd_get(d, path);

    if (r.status != status || (text && strstr(r.body, text) == NULL))
        fail_msg("%s: %ld %s, want %ld with %s", path, r.status, r.body,
                 status, text ? text : "");
    vresp_free(&r);
}

static void test_http(void **state)
{
    vd_t *d = start_cast();
    vresp_t r;
    char *v, inm[128];
    json_t *j;

    (void)state;
    settle(d);
    r = vd_get(d, "/");
    assert_int_equal(r.status, 200);
    expect_header(&r, "Content-Type", "text/html; charset=utf-8");
    expect_header(&r, "Referrer-Policy", "no-referrer");
    v = vresp_header(&r, "Content-Security-Policy");
    assert_non_null(v);
    assert_true(strncmp(v, "default-src 'none'; style-src 'sha256-", 38) == 0);
    assert_non_null(strstr(v, "; script-src 'sha256-"));
    assert_non_null(strstr(v, "; connect-src 'self'"));
    free(v);
    /* Nothing is loaded from anywhere: no external URL in the page. */
    assert_null(strstr(r.body, "src=\"http"));
    assert_null(strstr(r.body, "href=\"http"));
    assert_non_null(strstr(r.body, "data-json=\"/?format=json\""));
    /* The history's runs: an hourly bar (a store), a failing slot with
     * its error, a sparkline. */
    assert_non_null(strstr(r.body, "aria-label=\"Last 24 hours by hour: "));
    assert_non_null(strstr(r.body, "Connection refused</title></rect>"));
    assert_non_null(strstr(r.body, "<svg class=\"sp\""));
    v = vresp_header(&r, "ETag");
    assert_non_null(v);
    snprintf(inm, sizeof(inm), "If-None-Match: %s", v);
    free(v);
    vresp_free(&r);
    const char *h[] = {inm, NULL};
    r = vd_request(d, NULL, "/", NULL, h);
    assert_int_equal(r.status, 304);
    vresp_free(&r);

    r = vd_get(d, "/?format=json&tag=db");
    assert_int_equal(r.status, 200);
    j = vresp_json(&r);
    assert_string_equal(json_string_value(json_object_get(j, "status")),
                        "unhealthy");
    assert_non_null(strstr(json_string_value(json_object_get(
                               json_object_get(j, "parts"), "rows")),
                           "data-check=\"db\""));
    assert_null(strstr(json_string_value(json_object_get(
                           json_object_get(j, "parts"), "rows")),
                       "data-check=\"web\""));
    json_decref(j);
    vresp_free(&r);

    expect_status(d, "/?status=red", 400, "status must be healthy");
    expect_status(d, "/?format=xml", 400, "format must be html or json");
    expect_status(d, "/nothing", 404, NULL);
    expect_status(d, "/badge.svg?uptime=24h", 400, "per check");
    expect_status(d, "/badge/web.svg?uptime=1y", 400, "24h, 7d or 30d");
    expect_status(d, "/badge/nope.svg", 404, "no check");
    expect_status(d, "/badge/web", 404, "/badge/<check>.svg");

    expect_badge(d, "/badge.svg", "orders-api", "unhealthy");
    expect_badge(d, "/badge/web.svg", "web", "healthy");
    expect_badge(d, "/badge/cache.svg", "cache", "degraded");
    expect_badge(d, "/badge/db.svg", "db", "unhealthy");
    expect_badge(d, "/badge/web.svg?uptime=7d", "web uptime 7d", "100.00%");
    expect_badge(d, "/badge/db.svg?uptime=24h", "db uptime 24h", "0.00%");
    r = vd_get(d, "/badge/db.svg?duration=24h");
    assert_non_null(strstr(r.body, "<title>db response time 24h: "));
    assert_null(strstr(r.body, "no data"));
    vresp_free(&r);
    r = vd_get(d, "/badge/web.svg?duration");
    assert_int_equal(r.status, 200);
    assert_xml(r.body);
    assert_non_null(strstr(r.body, "<title>web response time: "));
    assert_true(strstr(r.body, " ms</title>") || strstr(r.body, " µs</title>"));
    vresp_free(&r);
    stop(d);
}

/* 20 checks with long errors: the page stays under 64 KB. */
static void test_size(void **state)
{
    char yaml[8192];
    size_t used;
    vd_t *d;
    vresp_t r;

    (void)state;
    used = (size_t)snprintf(yaml, sizeof(yaml),
                            "listen: [\"127.0.0.1:0\"]\n"
                            "defaults: {interval: 1s}\n"
                            "checks:\n");
    for (int i = 0; i < 20; i++)
        used += (size_t)snprintf(
            yaml + used, sizeof(yaml) - used,
            "  dependency-number-%02d: {type: tcp, address: "
            "\"127.0.0.1:%d\", tags: [backend, tier-%d]}\n",
            i, i % 2 ? live_port : dead_port, i % 3);
    d = vd_start("%s", yaml);
    for (int64_t until = now_ms() + 10000;; usleep(100 * 1000)) {
        r = vd_get(d, "/");
        if (strstr(r.body, "not run yet") == NULL || now_ms() > until)
            break;
        vresp_free(&r);
    }
    printf("a page of 20 checks: %zu bytes\n", r.len);
    assert_null(strstr(r.body, "not run yet"));
    assert_true(r.len < 64 * 1024);
    vresp_free(&r);
    stop(d);
}

/* While draining, the page says so in a banner. */
static void test_draining(void **state)
{
    vd_t *d = vd_start("listen: [\"127.0.0.1:0\"]\n"
                       "shutdown_delay: 3s\n"
                       "checks:\n"
                       "  web: {type: tcp, address: \"127.0.0.1:%d\"}\n",
                       live_port);
    vresp_t r;

    (void)state;
    vd_signal(d, SIGTERM);
    assert_true(vd_log_wait(d, "draining", 3000));
    r = vd_get(d, "/");
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.body, "class=\"banner k1\" role=\"status\""));
    assert_non_null(strstr(r.body, "Shutting down: draining"));
    vresp_free(&r);
    stop(d);
}

/* Runs vitals maint ARG... on d's control socket; fails unless it exits 0. */
static void maint(const char *sock, const char *a1, const char *a2,
                  const char *a3)
{
    char *out = NULL, *err = NULL;
    char *argv[] = {(char *)vitals_path(), "maint", (char *)a1, "--socket",
                    (char *)sock, (char *)a2, (char *)a3, NULL};
    int rc = run_cmd(argv, &out, &err);

    if (rc != 0)
        fail_msg("vitals maint %s: %d %s%s", a1, rc, out, err);
    free(out);
    free(err);
}

/* `vitals maint on` shows a banner with the reason and the end; `off`
 * takes it away. */
static void test_maintenance(void **state)
{
    char dir[] = "/tmp/vitals-page-XXXXXX", sock[64];
    vd_t *d;
    vresp_t r;

    (void)state;
    assert_non_null(mkdtemp(dir));
    snprintf(sock, sizeof(sock), "%s/control.sock", dir);
    d = vd_start("listen: [\"127.0.0.1:0\"]\n"
                 "state_dir: %s\n"
                 "checks:\n"
                 "  web: {type: tcp, address: \"127.0.0.1:%d\"}\n",
                 dir, live_port);
    assert_true(vd_log_wait(d, "control socket on ", 5000));
    maint(sock, "on", "--reason", "db <upgrade>");
    r = vd_get(d, "/");
    assert_non_null(strstr(r.body, "class=\"banner k1\" role=\"status\""));
    assert_non_null(strstr(r.body, " Maintenance: db &lt;upgrade&gt; "
                                   "(readiness fails meanwhile)</div>"));
    vresp_free(&r);
    maint(sock, "on", "--for", "30m");
    r = vd_get(d, "/");
    assert_non_null(strstr(r.body, " Maintenance: maintenance, until 20"));
    vresp_free(&r);
    maint(sock, "off", NULL, NULL);
    r = vd_get(d, "/");
    assert_null(strstr(r.body, "Maintenance"));
    assert_non_null(strstr(r.body, "<div id=\"banner\"></div>"));
    vresp_free(&r);
    stop(d);
    rmdir(dir);
}

/* A protected deployment: an anonymous caller sees the overall status and
 * no check name, in the page, its JSON and the badges. */
static void test_protected(void **state)
{
    char secret[] = "/tmp/vitals-secret-XXXXXX";
    int fd = mkstemp(secret);
    vd_t *d;
    vresp_t r;
    const char *paths[] = {"/", "/?format=json", "/?tag=live",
                           "/badge.svg"};

    (void)state;
    assert_true(fd >= 0);
    close(fd);
    write_file(secret, "0123456789abcdef0123456789abcdef0123456789\n");
    d = vd_start("listen: [\"127.0.0.1:0\"]\n"
                 "access: {bearer: {secret_file: %s}}\n"
                 "endpoints: {report: {auth: bearer}}\n"
                 "checks:\n"
                 "  secretdb: {type: tcp, address: \"127.0.0.1:%d\", tags: "
                 "[secret-tag]}\n",
                 secret, dead_port);
    for (int64_t until = now_ms() + 5000; now_ms() < until;
         usleep(100 * 1000)) {
        r = vd_get(d, "/badge.svg");
        int done = strstr(r.body, "unhealthy") != NULL;

        vresp_free(&r);
        if (done)
            break;
    }
    for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
        r = vd_get(d, paths[i]);
        assert_int_equal(r.status, 200);
        if (strstr(r.body, "secret") != NULL || strstr(r.body, "refused"))
            fail_msg("%s shows a detail:\n%s", paths[i], r.body);
        if (i < 3 && strstr(r.body, "Unhealthy") == NULL)
            fail_msg("%s does not show the overall status", paths[i]);
        vresp_free(&r);
    }
    r = vd_get(d, "/badge/secretdb.svg");
    assert_int_equal(r.status, 403);
    assert_null(strstr(r.body, "secret"));
    vresp_free(&r);
    stop(d);
    unlink(secret);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_http),
        cmocka_unit_test(test_size),
        cmocka_unit_test(test_draining),
        cmocka_unit_test(test_maintenance),
        cmocka_unit_test(test_protected),
        cmocka_unit_test(test_browser),
    };
    int rc;

    pthread_t t;

    live_fd = listen_any(&live_port);
    dead_port = closed_port();
    if (pthread_create(&t, NULL, acceptor, NULL) != 0)
        return 1;
    pthread_detach(t);
    rc = cmocka_run_group_tests(tests, NULL, NULL);
    close(live_fd);
    return rc;
}
