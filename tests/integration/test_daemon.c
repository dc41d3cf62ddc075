/* test_daemon.c - vitalsd as a user runs it: /health in the IETF format,
 * timeouts that never slow the endpoint, config errors with file:line:col,
 * SIGHUP reloads (broken and valid), SIGTERM, and `vitals probe`. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"

#define PLUGINS "/usr/lib/nagios/plugins"

static int has_status(json_t *j, void *arg)
{
    const char *want = arg;
    json_t *s = json_object_get(j, "status");
    return json_is_string(s) && strcmp(json_string_value(s), want) == 0;
}

/* Checks whose first object has a non-"not yet run" state. */
static int all_ran(json_t *j, void *arg)
{
    const char *key;
    json_t *arr;

    (void)arg;
    if (json_object_size(json_object_get(j, "checks")) == 0)
        return 0;
    json_object_foreach(json_object_get(j, "checks"), key, arr) {
        json_t *out = json_object_get(json_array_get(arr, 0), "output");
        if (json_is_string(out) &&
            strcmp(json_string_value(out), "not yet run") == 0)
            return 0;
    }
    return 1;
}

static json_t *check_obj(json_t *j, const char *key)
{
    json_t *arr = json_object_get(json_object_get(j, "checks"), key);

    if (!json_is_array(arr) || json_array_size(arr) != 1)
        fail_msg("checks[\"%s\"] is not a one-element array", key);
    return json_array_get(arr, 0);
}

static void assert_str(json_t *o, const char *key, const char *want)
{
    json_t *v = json_object_get(o, key);

    if (!json_is_string(v))
        fail_msg("\"%s\" is not a string", key);
    assert_string_equal(json_string_value(v), want);
}

static void test_ietf_health(void **state)
{
    int port, fd = listen_any(&port), closed = closed_port();
    vd_t *d;
    json_t *j, *o;
    vresp_t r;
    char *h;

    (void)state;
    d = vd_start("service: {id: orders-api, description: \"Orders API\", "
                 "version: \"1\", release_id: \"1.4.2\"}\n"
                 "listen: [\"127.0.0.1:0\"]\n"
                 "checks:\n"
                 "  diskstorage: {type: disk, path: /, degraded_below: 1B}\n"
                 "  backend: {type: tcp, address: \"127.0.0.1:%d\"}\n"
                 "  cache: {type: tcp, address: \"127.0.0.1:%d\", critical: "
                 "false}\n",
                 port, closed);
    j = vd_poll(d, "/health", all_ran, NULL, 5000);
    assert_str(j, "status", "warn");
    assert_str(j, "serviceId", "orders-api");
    assert_str(j, "description", "Orders API");
    assert_str(j, "version", "1");
    assert_str(j, "releaseId", "1.4.2");
    assert_int_equal(json_object_size(json_object_get(j, "checks")), 3);

    o = check_obj(j, "diskstorage:utilization");
    assert_str(o, "componentId", "diskstorage");
    assert_str(o, "componentType", "system");
    assert_str(o, "status", "pass");
    assert_str(o, "observedUnit", "%");
    assert_true(json_is_number(json_object_get(o, "observedValue")));
    assert_null(json_object_get(o, "output"));
    /* RFC 3339 with nanoseconds, UTC. */
    const char *t = json_string_value(json_object_get(o, "time"));
    assert_non_null(t);
    assert_int_equal(strlen(t), 30);
    assert_int_equal(t[10], 'T');
    assert_int_equal(t[29], 'Z');

    o = check_obj(j, "backend:responseTime");
    assert_str(o, "componentType", "component");
    assert_str(o, "status", "pass");
    assert_str(o, "observedUnit", "ms");

    o = check_obj(j, "cache");
    assert_str(o, "status", "warn");
    char want[128];
    snprintf(want, sizeof(want),
             "cannot connect to 127.0.0.1:%d: Connection refused", closed);
    assert_str(o, "output", want);
    json_decref(j);

    r = vd_get(d, "/health");
    assert_int_equal(r.status, 200);
    h = vresp_header(&r, "Content-Type");
    assert_string_equal(h, "application/health+json");
    free(h);
    h = vresp_header(&r, "Cache-Control");
    assert_string_equal(h, "no-store");
    free(h);
    vresp_free(&r);

    r = vd_request(d, "HEAD", "/health", NULL, NULL);
    assert_int_equal(r.status, 200);
    assert_int_equal(r.len, 0);
    vresp_free(&r);

    assert_int_equal(vd_stop(d), 0);
    close(fd);
}

static void test_fail_is_503_and_errors_use_seed_body(void **state)
{
    vd_t *d;
    json_t *j;
    vresp_t r;
    char *allow;

    (void)state;
    d = vd_start("listen: [\"127.0.0.1:0\"]\n"
                 "checks:\n"
                 "  down: {type: tcp, address: \"127.0.0.1:%d\"}\n",
                 closed_port());
    j = vd_poll(d, "/health", all_ran, NULL, 5000);
    json_decref(j);
    r = vd_get(d, "/health");
    assert_int_equal(r.status, 503);
    j = vresp_json(&r);
    assert_str(j, "status", "fail");
    json_decref(j);
    vresp_free(&r);

    r = vd_get(d, "/nope");
    assert_int_equal(r.status, 404);
    assert_string_equal(
        r.body, "{\"errors\":[{\"code\":\"NOT_FOUND\",\"level\":\"FATAL\","
                "\"message\":\"Not Found\",\"description\":\"Requested "
                "resource was not found but may be available later\"}]}");
    vresp_free(&r);

    r = vd_request(d, "DELETE", "/health", NULL, NULL);
    assert_int_equal(r.status, 405);
    allow = vresp_header(&r, "Allow");
    assert_string_equal(allow, "GET, HEAD");
    free(allow);
    j = vresp_json(&r);
    assert_str(json_array_get(json_object_get(j, "errors"), 0), "code",
               "METHOD_NOT_ALLOWED");
    json_decref(j);
    vresp_free(&r);
    assert_int_equal(vd_stop(d), 0);
}

/* An exec check that sleeps past its timeout is reported as timed out, and
 * /health answers in milliseconds all along. */
static void test_hung_check_never_slows_health(void **state)
{
    vd_t *d;
    json_t *j, *o;

    (void)state;
    d = vd_start("listen: [\"127.0.0.1:0\"]\n"
                 "checks:\n"
                 "  hung: {type: exec, command: [/bin/sleep, \"30\"], "
                 "timeout: 300ms, interval: 1s}\n"
                 "  quick: {type: exec, command: [%s/check_dummy, \"0\", "
                 "\"all good\"], interval: 100ms}\n",
                 PLUGINS);
    j = vd_poll(d, "/health", all_ran, NULL, 5000);
    assert_str(j, "status", "fail");
    o = check_obj(j, "hung");
    assert_str(o, "status", "fail");
    assert_str(o, "output", "timed out after 300ms");
    assert_str(check_obj(j, "quick"), "status", "pass");
    json_decref(j);

    /* While the check hangs again and again, every request is quick. */
    int64_t worst = 0;
    for (int i = 0; i < 50; i++) {
        int64_t t0 = now_ms();
        vresp_t r = vd_get(d, "/health");
        int64_t took = now_ms() - t0;

        assert_int_equal(r.status, 503);
        vresp_free(&r);
        if (took > worst)
            worst = took;
        usleep(20000);
    }
    /* The check takes 30 s to return; an answer never waits for it. */
    assert_true(worst < 250);
    assert_true(vd_log_wait(d, "check hung: not yet run -> unhealthy: timed "
                               "out after 300ms",
                            1000));
    assert_int_equal(vd_stop(d), 0);
}

/* 100 long-running checks hold workers; a cheap check must still run on its
 * schedule. (The burst race that once queued runs behind them is timing-
 * dependent and is measured by make bench's isolation section.) */
static void test_busy_workers_never_starve_a_check(void **state)
{
    char *cfg = NULL, *p;
    size_t len = 0;
    FILE *f = open_memstream(&cfg, &len);
    vd_t *d;
    json_t *j, *o;

    (void)state;
    fprintf(f, "listen: [\"127.0.0.1:0\"]\nchecks:\n");
    for (int i = 0; i < 100; i++)
        fprintf(f, "  slow%d: {type: exec, command: [/bin/sleep, \"30\"], "
                   "timeout: 1m, interval: 1s, critical: false}\n",
                i);
    fprintf(f, "  cheap: {type: disk, path: /, degraded_below: 1B, "
               "interval: 200ms, timeout: 500ms}\n");
    fclose(f);
    d = vd_start("%s", cfg);
    free(cfg);
    usleep(2500000); /* the slow ones are all running by now */
    j = vd_poll(d, "/health/cheap", all_ran, NULL, 3000);
    o = check_obj(j, "cheap:utilization");
    assert_str(o, "status", "pass");
    json_decref(j);
    /* ...and keeps running: its time moves. */
    j = vd_poll(d, "/health/cheap", all_ran, NULL, 1000);
    p = strdup(json_string_value(json_object_get(
        check_obj(j, "cheap:utilization"), "time")));
    json_decref(j);
    usleep(600000);
    j = vd_poll(d, "/health/cheap", all_ran, NULL, 1000);
    o = check_obj(j, "cheap:utilization");
    assert_str(o, "status", "pass");
    assert_string_not_equal(json_string_value(json_object_get(o, "time")), p);
    free(p);
    json_decref(j);
    /* The 100 sleeps end with vitalsd (test_faults checks that). */
    assert_int_equal(vd_stop(d), 0);
}

static void test_nagios_plugins(void **state)
{
    vd_t *d;
    json_t *j;

    (void)state;
    d = vd_start("listen: [\"127.0.0.1:0\"]\n"
                 "checks:\n"
                 "  ok: {type: exec, command: [%s/check_dummy, \"0\", "
                 "\"fine\"]}\n"
                 "  warning: {type: exec, command: [%s/check_dummy, \"1\", "
                 "\"queue is long\"]}\n"
                 "  load: {type: exec, command: [%s/check_load, -w, "
                 "\"999,999,999\", -c, \"9999,9999,9999\"]}\n",
                 PLUGINS, PLUGINS, PLUGINS);
    j = vd_poll(d, "/health", all_ran, NULL, 5000);
    assert_str(j, "status", "warn");
    assert_str(check_obj(j, "ok"), "status", "pass");
    assert_str(check_obj(j, "warning"), "status", "warn");
    assert_str(check_obj(j, "warning"), "output", "WARNING: queue is long");
    /* check_load's perfdata: the first item is the main reading. */
    assert_str(check_obj(j, "load:load1"), "status", "pass");
    json_decref(j);
    assert_int_equal(vd_stop(d), 0);
}

/* --check-config is strict about exec commands (exit 2) and warns, still
 * exiting 0, when nothing would listen. %s in the texts is the file. */
static void test_check_config_commands_and_listen(void **state)
{
    static const struct {
        const char *yaml, *err, *out;
        int rc;
    } cases[] = {
        {"listen: [\"127.0.0.1:0\"]\nchecks:\n  load: {type: exec, "
         "command: [/usr/lib/nagios/plugins/check_lod]}\n",
         "%s:3:31: 'command': /usr/lib/nagios/plugins/check_lod: no such "
         "file\n", "", 2},
        {"checks:\n  load: {type: exec, command: "
         "[/usr/lib/nagios/plugins/check_load]}\n",
         "%s:1:1: warning: no 'listen': the checks run, but nothing serves "
         "them\n", "%s: configuration is valid\n", 0},
    };
    char dir[] = "/tmp/vitals-cfg-XXXXXX", path[128], want[512], *out, *err;
    char *argv[] = {(char *)vitalsd_path(), "--check-config", path, NULL};

    (void)state;
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/lint.yaml", dir);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        write_file(path, cases[i].yaml);
        assert_int_equal(run_cmd(argv, &out, &err), cases[i].rc);
        snprintf(want, sizeof(want), cases[i].err, path);
        assert_string_equal(err, want);
        snprintf(want, sizeof(want), cases[i].out, path);
        assert_string_equal(out, want);
        free(out);
        free(err);
    }
    unlink(path);
    rmdir(dir);
}

static void test_check_config_reports_every_error(void **state)
{
    char dir[] = "/tmp/vitals-cfg-XXXXXX", path[128], *out, *err;
    int rc;

    (void)state;
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/bad.yaml", dir);
    unsetenv("VITALS_TEST_UNSET");
    write_file(path,
               "listen: [\"127.0.0.1:0\"]\n"
               "defaults: {interval: 5x}\n"
               "checks:\n"
               "  a: {type: disk, path: /, intervall: 5s}\n"
               "  b: {type: nope}\n"
               "  c: {type: tcp}\n"
               "  d: {type: disk, path: /, critical: maybe}\n"
               "  e: {type: disk, path: /, degraded_below: 12 parsecs}\n"
               "  f: {type: disk, path: \"${VITALS_TEST_UNSET}\"}\n"
               "  a: {type: disk, path: /tmp}\n");
    char *argv[] = {(char *)vitalsd_path(), "--check-config", path, NULL};
    rc = run_cmd(argv, &out, &err);
    assert_int_equal(rc, 2);
    char want[2048];
    snprintf(want, sizeof(want),
             "%s:2:22: 'interval': invalid duration \"5x\"", path);
    if (strstr(err, want) == NULL)
        fail_msg("missing \"%s\" in:\n%s", want, err);
    const char *expect[] = {
        ":4:28: unknown key 'intervall' in check 'a'",
        ":5:13: check 'b': unknown check type 'nope' (known: ",
        ":6:6: check 'c': missing required key 'address'",
        ":7:38: 'critical': expected true or false",
        ":8:44: 'degraded_below': invalid size",
        ": environment variable VITALS_TEST_UNSET is not set",
        ":10:3: duplicate key 'a'",
    };
    for (size_t i = 0; i < sizeof(expect) / sizeof(expect[0]); i++)
        if (strstr(err, expect[i]) == NULL)
            fail_msg("missing \"%s\" in:\n%s", expect[i], err);
    /* Every line is FILE:LINE:COLUMN: message. */
    for (char *line = err; *line;) {
        char *nl = strchr(line, '\n');
        if (strncmp(line, path, strlen(path)) != 0 ||
            line[strlen(path)] != ':')
            fail_msg("not FILE:LINE:COLUMN: %s", line);
        line = nl ? nl + 1 : line + strlen(line);
    }
    free(out);
    free(err);

    /* A YAML syntax error has its position too. */
    write_file(path, "checks:\n  a: {type: disk\n  b: [\n");
    rc = run_cmd(argv, &out, &err);
    assert_int_equal(rc, 2);
    snprintf(want, sizeof(want), "%s:3:", path);
    if (strstr(err, want) == NULL)
        fail_msg("no position in: %s", err);
    free(out);
    free(err);

    /* A valid file: exit 0. */
    write_file(path, "checks:\n  a: {type: disk, path: /}\n");
    rc = run_cmd(argv, &out, &err);
    assert_int_equal(rc, 0);
    free(out);
    free(err);
    snprintf(want, sizeof(want), "rm -rf %s", dir);
    assert_int_equal(system(want), 0);
}

static int has_check(json_t *j, void *arg)
{
    return json_object_get(json_object_get(j, "checks"), arg) != NULL;
}

static void test_sighup_reload(void **state)
{
    int port, fd = listen_any(&port);
    const char *first = "listen: [\"127.0.0.1:0\"]\n"
                        "checks:\n"
                        "  steady: {type: tcp, address: \"127.0.0.1:%d\", "
                        "interval: 1h}\n"
                        "  old: {type: disk, path: /}\n";
    vd_t *d;
    json_t *j;
    char before[64];

    (void)state;
    d = vd_start(first, port);
    j = vd_poll(d, "/health", all_ran, NULL, 5000);
    snprintf(before, sizeof(before), "%s",
             json_string_value(json_object_get(
                 check_obj(j, "steady:responseTime"), "time")));
    json_decref(j);

    /* A broken file: logged with its position; the old config serves. */
    vd_write_config(d, "checks:\n  steady: {type: tcp}\n");
    vd_signal(d, SIGHUP);
    char want[256];
    snprintf(want, sizeof(want),
             "ERROR config error: %s:2:11: check 'steady': missing required "
             "key 'address'",
             d->config);
    assert_true(vd_log_wait(d, want, 5000));
    assert_true(vd_log_wait(d, "the previous configuration keeps serving",
                            5000));
    vresp_t r = vd_get(d, "/health");
    assert_int_equal(r.status, 200);
    j = vresp_json(&r);
    assert_non_null(json_object_get(json_object_get(j, "checks"),
                                    "old:utilization"));
    json_decref(j);
    vresp_free(&r);

    /* A valid file: "old" goes, "new" comes, "steady" keeps its history
     * (its hourly run is not repeated). */
    vd_write_config(d,
                    "listen: [\"127.0.0.1:0\"]\n"
                    "checks:\n"
                    "  steady: {type: tcp, address: \"127.0.0.1:%d\", "
                    "interval: 1h}\n"
                    "  new: {type: disk, path: /tmp}\n",
                    port);
    vd_signal(d, SIGHUP);
    j = vd_poll(d, "/health", has_check, "new:utilization", 5000);
    assert_non_null(json_object_get(json_object_get(j, "checks"),
                                    "new:utilization"));
    assert_null(json_object_get(json_object_get(j, "checks"),
                                "old:utilization"));
    assert_str(check_obj(j, "steady:responseTime"), "time", before);
    json_decref(j);
    assert_true(vd_log_wait(d, "2 checks (1 unchanged, 1 new or changed)",
                            2000));
    assert_int_equal(vd_stop(d), 0);
    close(fd);
}

static void test_probe(void **state)
{
    vd_t *d;
    char url[128], *out, *err;
    int port, fd = listen_any(&port);

    (void)state;
    d = vd_start("listen: [\"127.0.0.1:0\"]\n"
                 "checks:\n"
                 "  up: {type: tcp, address: \"127.0.0.1:%d\"}\n",
                 port);
    json_decref(vd_poll(d, "/health", has_status, "pass", 5000));
    snprintf(url, sizeof(url), "http://127.0.0.1:%d/health", d->port);
    char *argv[] = {(char *)vitals_path(), "probe", url, NULL};
    assert_int_equal(run_cmd(argv, &out, &err), 0);
    assert_string_equal(out, "200 pass\n");
    free(out);
    free(err);

    close(fd); /* the dependency goes away */
    vd_stop(d);
    d = vd_start("listen: [\"127.0.0.1:0\"]\n"
                 "checks:\n"
                 "  up: {type: tcp, address: \"127.0.0.1:%d\"}\n",
                 closed_port());
    json_decref(vd_poll(d, "/health", has_status, "fail", 5000));
    snprintf(url, sizeof(url), "http://127.0.0.1:%d/health", d->port);
    assert_int_equal(run_cmd(argv, &out, &err), 1);
    assert_string_equal(out, "503 fail\n");
    free(out);
    free(err);
    int dead = d->port;
    assert_int_equal(vd_stop(d), 0);

    /* Nothing listens: exit 1 and the reason. */
    snprintf(url, sizeof(url), "http://127.0.0.1:%d/health", dead);
    char *argv2[] = {(char *)vitals_path(), "probe", "--timeout", "2s", url,
                     NULL};
    assert_int_equal(run_cmd(argv2, &out, &err), 1);
    assert_true(strncmp(out, "error: ", 7) == 0);
    free(out);
    free(err);
}

/* Every example in examples/ is a valid configuration. */
static void test_examples_are_valid(void **state)
{
    const char *src = getenv("VITALS_SRC");
    const char *files[] = {"vitals.yaml", "all-checks.yaml"};
    char path[512], *out, *err;

    (void)state;
    setenv("PG_HEALTH_PASSWORD", "x", 1);
    setenv("MYSQL_HEALTH_PASSWORD", "x", 1);
    setenv("REDIS_PASSWORD", "x", 1);
    setenv("API_TOKEN", "x", 1);
    for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
        snprintf(path, sizeof(path), "%s/examples/%s", src ? src : ".",
                 files[i]);
        char *argv[] = {(char *)vitalsd_path(), "--check-config", path, NULL};
        if (run_cmd(argv, &out, &err) != 0)
            fail_msg("%s: %s", path, err);
        free(out);
        free(err);
    }
}

static void test_help_and_version(void **state)
{
    char *out, *err;

    (void)state;
    char *a1[] = {(char *)vitalsd_path(), "--help", NULL};
    assert_int_equal(run_cmd(a1, &out, &err), 0);
    assert_non_null(strstr(out, "--check-config FILE"));
    free(out);
    free(err);
    char *a2[] = {(char *)vitalsd_path(), "--version", NULL};
    assert_int_equal(run_cmd(a2, &out, &err), 0);
    assert_string_equal(out, "vitalsd 0.1.0\n");
    free(out);
    free(err);
    char *a3[] = {(char *)vitals_path(), "--help", NULL};
    assert_int_equal(run_cmd(a3, &out, &err), 0);
    assert_non_null(strstr(out, "vitals probe"));
    free(out);
    free(err);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ietf_health),
        cmocka_unit_test(test_fail_is_503_and_errors_use_seed_body),
        cmocka_unit_test(test_hung_check_never_slows_health),
        cmocka_unit_test(test_busy_workers_never_starve_a_check),
        cmocka_unit_test(test_nagios_plugins),
        cmocka_unit_test(test_check_config_reports_every_error),
        cmocka_unit_test(test_check_config_commands_and_listen),
        cmocka_unit_test(test_sighup_reload),
        cmocka_unit_test(test_probe),
        cmocka_unit_test(test_examples_are_valid),
        cmocka_unit_test(test_help_and_version),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
