/* test_metrics.c - GET /metrics as Prometheus sees it: `promtool check
 * metrics` is clean on a vitalsd with every check type configured, the
 * OpenMetrics variant is negotiated, a caller without details sees only
 * the aggregate, and a real Prometheus server (Debian's prometheus,
 * started here on loopback with a 1 s scrape interval) reads
 * vitals_check_status back through its query API and sees it change when
 * a TCP dependency goes down. */
#include <curl/curl.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"

#define PROMETHEUS "/usr/bin/prometheus"
#define NCHECKS 18 /* top-level checks of every_type */

static pid_t prom_pid;

/* Every check type, each pointed at something that answers or fails
 * fast on this host: what matters is that each one's figures and
 * readings make a valid exposition. */
static vd_t *every_type(int dead)
{
    return vd_start(
        "listen: [\"127.0.0.1:0\"]\n"
        "defaults: {interval: 1s, timeout: 2s}\n"
        "checks:\n"
        "  disk: {type: disk, path: /}\n"
        "  host: {type: system, memory_available_below: {degraded: 1, "
        "unhealthy: 0.5}}\n"
        "  plugin: {type: exec, command: [\"/usr/bin/printf\", \"OK - fine | "
        "time=0.39s;5;10;0 'odd ''q\\\"label'=3 size=12KB unknown=U\"]}\n"
        "  pg: {type: postgres, dsn: \"host=127.0.0.1 port=%d "
        "connect_timeout=1\"}\n"
        "  maria: {type: mysql, dsn: \"mysql://u:p@127.0.0.1:%d/db\"}\n"
        "  cache: {type: redis, address: \"127.0.0.1:%d\"}\n"
        "  lite: {type: sqlite, path: /nonexistent/app.db}\n"
        "  port: {type: tcp, address: \"127.0.0.1:%d\"}\n"
        "  api: {type: http, url: \"http://127.0.0.1:%d/health\"}\n"
        "  inventory: {type: remote, url: \"http://127.0.0.1:%d/health\"}\n"
        "  resolver: {type: dns, name: localhost}\n"
        "  cert: {type: tls, address: \"127.0.0.1:%d\"}\n"
        "  licence: {type: expiry, date: \"2031-05-13\"}\n"
        "  heartbeat: {type: file, path: /etc/hostname, max_age: 36500d}\n"
        "  report: {type: push, ttl: 1h}\n"
        "  worker: {type: process, pidfile: /nonexistent.pid}\n"
        "  printers:\n"
        "    type: group\n"
        "    checks:\n"
        "      Fiscal2: {type: tcp, address: \"127.0.0.1:%d\"}\n"
        "      root: {type: disk, path: /}\n"
        "  slow: {type: exec, command: [\"/bin/sleep\", \"5\"], timeout: "
        "100ms}\n",
        dead, dead, dead, dead, dead, dead, dead, dead);
}

static size_t count(const char *text, const char *needle)
{
    size_t n = 0;

    for (const char *p = text; (p = strstr(p, needle)) != NULL; p++)
        n++;
    return n;
}

/* /metrics once every check has run (each has a last run time). */
static vresp_t settled_metrics(vd_t *d)
{
    for (int64_t until = now_ms() + 10000;;) {
        vresp_t r = vd_get(d, "/metrics");

        if (count(r.body, "vitals_check_last_run_timestamp_seconds{") ==
                NCHECKS ||
            now_ms() > until)
            return r;
        vresp_free(&r);
        usleep(100000);
    }
}

static void test_promtool_clean(void **state)
{
    int dead = closed_port();
    vd_t *d = every_type(dead);
    vresp_t r = settled_metrics(d);
    const char *om_accept[] = {"Accept: application/openmetrics-text", NULL};
    char path[256], *type;

    (void)state;
    assert_int_equal(r.status, 200);
    assert_int_equal(
        count(r.body, "vitals_check_last_run_timestamp_seconds{"), NCHECKS);
    type = vresp_header(&r, "Content-Type");
    assert_string_equal(type, "text/plain; version=0.0.4; charset=utf-8");
    free(type);
    /* Members, perfdata items, days left, a timeout, the process. */
    assert_non_null(strstr(r.body, "{check=\"printers/Fiscal2\","));
    assert_non_null(strstr(r.body, "{check=\"plugin\",measurement=\"size\","
                                   "unit=\"KB\"} 12\n"));
    assert_non_null(strstr(r.body, "{check=\"plugin\",measurement=\"odd "
                                   "'q\\\"label\",unit=\"\"} 3\n"));
    assert_non_null(strstr(r.body, "{check=\"licence\",measurement="
                                   "\"remainingDays\",unit=\"d\"} "));
    assert_non_null(strstr(r.body, "vitals_check_timeouts_total{check="
                                   "\"slow\"} "));
    assert_null(strstr(r.body, "vitals_check_timeouts_total{check="
                               "\"slow\"} 0\n"));
    assert_non_null(strstr(r.body, "\nprocess_start_time_seconds "));
    assert_non_null(strstr(r.body, "vitals_http_requests_total{endpoint="
                                   "\"metrics\",code=\"200\"} "));
    snprintf(path, sizeof(path), "%s/metrics.txt", d->dir);
    write_file(path, r.body);
    sh("out=$(promtool check metrics < %s 2>&1) && [ -z \"$out\" ] || "
       "{ echo \"$out\"; exit 1; }",
       path);
    vresp_free(&r);

    r = vd_request(d, NULL, "/metrics", NULL, om_accept);
    assert_int_equal(r.status, 200);
    type = vresp_header(&r, "Content-Type");
    assert_string_equal(
        type, "application/openmetrics-text; version=1.0.0; charset=utf-8");
    free(type);
    assert_non_null(strstr(r.body, "# TYPE vitals_check_status stateset\n"));
    assert_true(r.len > 6);
    assert_string_equal(r.body + r.len - 6, "# EOF\n");
    vresp_free(&r);
    assert_int_equal(vd_stop(d), 0);
}

static void test_without_details(void **state)
{
    vd_t *d = vd_start("listen: [\"127.0.0.1:0\"]\n"
                       "access: {details: never}\n"
                       "checks:\n"
                       "  disk: {type: disk, path: /}\n");
    vresp_t r = vd_get(d, "/metrics");

    (void)state;
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.body, "\nvitals_status{vitals_status=\"fail\"} "));
    assert_non_null(strstr(r.body, "\nvitals_build_info{version=\""));
    assert_null(strstr(r.body, "vitals_check_"));
    assert_null(strstr(r.body, "process_"));
    assert_null(strstr(r.body, "vitals_http_requests_total"));
    assert_null(strstr(r.body, "disk"));
    vresp_free(&r);
    assert_int_equal(vd_stop(d), 0);
}

/* ------------------------------------------------------------------------
 * A real Prometheus
 */

static size_t collect(char *p, size_t size, size_t n, void *f)
{
    return fwrite(p, size, n, f);
}

/* The value of the first series query returns on Prometheus' HTTP API,
 * as its string ("1"), or NULL (not up yet, no such series). Free. */
static char *prom_value(int port, const char *query)
{
    CURL *c = curl_easy_init();
    char *q = curl_easy_escape(c, query, 0), *url = NULL, *body = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&body, &len);
    json_t *j, *v;
    char *value = NULL;

    assert_true(asprintf(&url, "http://127.0.0.1:%d/api/v1/query?query=%s",
                         port, q) > 0);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 2000L);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, f);
    CURLcode rc = curl_easy_perform(c);
    fclose(f);
    if (rc == CURLE_OK && (j = json_loads(body, 0, NULL)) != NULL) {
        /* {"data": {"result": [{"metric": {...}, "value": [t, "1"]}]}} */
        v = json_array_get(
            json_object_get(json_array_get(json_object_get(
                                json_object_get(j, "data"), "result"), 0),
                            "value"),
            1);
        if (json_is_string(v))
            value = strdup(json_string_value(v));
        json_decref(j);
    }
    free(body);
    free(url);
    curl_free(q);
    curl_easy_cleanup(c);
    return value;
}

/* Waits up to timeout_ms for query to return want. */
static int prom_wait(int port, const char *query, const char *want,
                     int timeout_ms)
{
    for (int64_t until = now_ms() + timeout_ms; now_ms() < until;) {
        char *v = prom_value(port, query);
        int ok = v != NULL && strcmp(v, want) == 0;

        free(v);
        if (ok)
            return 1;
        usleep(200000);
    }
    return 0;
}

static void prom_start(vd_t *d, int port)
{
    char config[256], tsdb[256], listen[64], cfg_arg[300], tsdb_arg[300],
        log[256];

    snprintf(config, sizeof(config), "%s/prometheus.yml", d->dir);
    snprintf(tsdb, sizeof(tsdb), "%s/tsdb", d->dir);
    snprintf(log, sizeof(log), "%s/prometheus.log", d->dir);
    snprintf(listen, sizeof(listen), "--web.listen-address=127.0.0.1:%d",
             port);
    snprintf(cfg_arg, sizeof(cfg_arg), "--config.file=%s", config);
    snprintf(tsdb_arg, sizeof(tsdb_arg), "--storage.tsdb.path=%s", tsdb);
    {
        char text[512];

        snprintf(text, sizeof(text),
                 "global: {scrape_interval: 1s, scrape_timeout: 1s}\n"
                 "scrape_configs:\n"
                 "  - job_name: vitals\n"
                 "    static_configs: [{targets: [\"127.0.0.1:%d\"]}]\n",
                 d->port);
        write_file(config, text);
    }
    if (access(PROMETHEUS, X_OK) != 0)
        fail_msg(PROMETHEUS " is missing: run scripts/deps.sh test");
    prom_pid = fork();
    assert_true(prom_pid >= 0);
    if (prom_pid == 0) {
        FILE *out = freopen(log, "w", stdout);

        (void)out;
        dup2(1, 2);
        execl(PROMETHEUS, PROMETHEUS, cfg_arg, tsdb_arg, listen,
              "--log.level=warn", (char *)NULL);
        _exit(127);
    }
}

static int prom_stop(void **state)
{
    (void)state;
    if (prom_pid > 0) {
        kill(prom_pid, SIGTERM);
        for (int64_t until = now_ms() + 5000;
             now_ms() < until && waitpid(prom_pid, NULL, WNOHANG) == 0;)
            usleep(20000);
        if (kill(prom_pid, 0) == 0) {
            kill(prom_pid, SIGKILL);
            waitpid(prom_pid, NULL, 0);
        }
        prom_pid = 0;
    }
    return 0;
}

static void test_prometheus_scrapes(void **state)
{
    int dep_port, dep = listen_any(&dep_port), prom_port = closed_port();
    /* Neither vitalsd nor Prometheus may hold the dependency open. */
    int cloexec = fcntl(dep, F_SETFD, FD_CLOEXEC);
    vd_t *d = vd_start("listen: [\"127.0.0.1:0\"]\n"
                       "checks:\n"
                       "  dep: {type: tcp, address: \"127.0.0.1:%d\", "
                       "interval: 200ms}\n",
                       dep_port);
    const char *pass = "vitals_check_status{check=\"dep\","
                       "vitals_check_status=\"pass\"}",
               *fail = "vitals_check_status{check=\"dep\","
                       "vitals_check_status=\"fail\"}";

    (void)state;
    assert_int_equal(cloexec, 0);
    prom_start(d, prom_port);
    /* Prometheus starts, scrapes within a second, and the query API has
     * the series: the dependency is up. */
    if (!prom_wait(prom_port, pass, "1", 30000))
        fail_msg("Prometheus never saw dep passing");
    assert_true(prom_wait(prom_port, fail, "0", 2000));
    assert_true(prom_wait(prom_port, "up{job=\"vitals\"}", "1", 2000));
    /* It negotiated OpenMetrics, and the info family is one series. */
    assert_true(prom_wait(prom_port, "vitals_build_info", "1", 2000));
    /* The dependency goes down: the next run fails, the next scrape
     * sees it. */
    close(dep);
    if (!prom_wait(prom_port, fail, "1", 15000))
        fail_msg("Prometheus never saw dep failing");
    assert_true(prom_wait(prom_port, pass, "0", 2000));
    prom_stop(NULL);
    assert_int_equal(vd_stop(d), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_promtool_clean),
        cmocka_unit_test(test_without_details),
        cmocka_unit_test_teardown(test_prometheus_scrapes, prom_stop),
    };
    curl_global_init(CURL_GLOBAL_DEFAULT);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
