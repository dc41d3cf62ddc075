/* exec.c - unit tests for the "exec" check type
 * (lib/checks/exec.c) with real Nagios plugins (Debian's
 * monitoring-plugins) and real shell processes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <errno.h>
#include <poll.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "checks/check_type.h"
#include "util/clock.h"
#include "engine/result.h"
#include "checktest.h"
#include "config/vnode.h"

static int64_t now_ms(void)
{
    return vclock_mono(&vclock_system) / VCLOCK_MS;
}

extern const vcheck_type_t vcheck_exec;

#define PLUGINS "/usr/lib/nagios/plugins"

/* Compares the data object with want (JSON text, key order ignored). */
static void check_data(const vitals_result_t *r, const char *want)
{
    json_t *d = data_of(r), *w = json_loads(want, 0, NULL);

    if (!w)
        fail_msg("bad expected JSON in the test: %s", want);
    if (!json_equal(d, w))
        fail_msg("data\n  got  %s\n  want %s", r->data_json, want);
    json_decref(d);
    json_decref(w);
}

static int64_t exit_code(const vitals_result_t *r)
{
    json_t *d = data_of(r);
    json_t *v = json_object_get(d, "exitCode");
    int64_t code;

    if (!json_is_integer(v))
        fail_msg("no integer exitCode in %s", r->data_json);
    code = (int64_t)json_integer_value(v);
    json_decref(d);
    return code;
}

/* The check leaves no child behind, reaped or not. */
static void assert_no_children(void)
{
    assert_int_equal(waitpid(-1, NULL, WNOHANG), -1);
    assert_int_equal(errno, ECHILD);
}

/* ------------------------------------------------------------------------
 * check_dummy: every exit code
 */

static void test_dummy_ok(void **state)
{
    vitals_result_t *r;
    (void)state;

    r = run_check(&vcheck_exec,
                  "{\"command\": [\"" PLUGINS "/check_dummy\", \"0\", "
                  "\"text\"]}",
                  5000);
    assert_int_equal(r->status, VITALS_HEALTHY);
    assert_string_equal(r->description, "OK: text");
    assert_null(r->error);
    check_data(r, "{\"exitCode\": 0}");
    assert_false(r->observed_set);
    vresult_unref(r);
    assert_no_children();
}

static void test_dummy_warning(void **state)
{
    vitals_result_t *r;
    (void)state;

    r = run_check(&vcheck_exec,
                  "{\"command\": [\"" PLUGINS "/check_dummy\", \"1\", "
                  "\"disk is filling up\"]}",
                  5000);
    assert_int_equal(r->status, VITALS_DEGRADED);
    assert_string_equal(r->description, "WARNING: disk is filling up");
    assert_null(r->error);
    check_data(r, "{\"exitCode\": 1}");
    vresult_unref(r);
}

static void test_dummy_critical(void **state)
{
    vitals_result_t *r;
    (void)state;

    r = run_check(&vcheck_exec,
                  "{\"command\": [\"" PLUGINS "/check_dummy\", \"2\", "
                  "\"database down\"]}",
                  5000);
    assert_int_equal(r->status, VITALS_UNHEALTHY);
    assert_string_equal(r->description, "CRITICAL: database down");
    assert_string_equal(r->error, "CRITICAL: database down");
    check_data(r, "{\"exitCode\": 2}");
    vresult_unref(r);
}

static void test_dummy_unknown(void **state)
{
    vitals_result_t *r;
    (void)state;

    r = run_check(&vcheck_exec,
                  "{\"command\": [\"" PLUGINS "/check_dummy\", \"3\", "
                  "\"cannot tell\"]}",
                  5000);
    assert_int_equal(r->status, VITALS_UNHEALTHY);
    assert_string_equal(r->description, "UNKNOWN: cannot tell");
    assert_string_equal(r->error, "UNKNOWN: cannot tell");
    check_data(r, "{\"exitCode\": 3}");
    vresult_unref(r);
}

/* check_dummy with a bad argument explains itself on stdout or stderr and
 * exits 3: the text comes through either way. */
static void test_dummy_bad_usage(void **state)
{
    vitals_result_t *r;
    (void)state;

    r = run_check(&vcheck_exec,
                  "{\"command\": [\"" PLUGINS "/check_dummy\", \"9\"]}",
                  5000);
    assert_int_equal(r->status, VITALS_UNHEALTHY);
    assert_int_equal(exit_code(r), 3);
    assert_string_equal(r->error, "UNKNOWN: Status 9 is not a supported "
                                  "error state");
    vresult_unref(r);
}

/* ------------------------------------------------------------------------
 * Plugins with performance data
 */

static double item_value(json_t *perf, const char *label)
{
    json_t *v = json_object_get(json_object_get(perf, label), "value");

    if (!json_is_number(v))
        fail_msg("perfdata.%s.value is not a number", label);
    return json_number_value(v);
}

static void test_check_load(void **state)
{
    static const char *const labels[] = {"load1", "load5", "load15"};
    vitals_result_t *r;
    json_t *d, *perf, *item;
    double shown[3];
    size_t i;
    (void)state;

    r = run_check(&vcheck_exec,
                  "{\"command\": [\"" PLUGINS "/check_load\", \"-w\", "
                  "\"1000,1000,1000\", \"-c\", \"2000,2000,2000\"]}",
                  5000);
    assert_int_equal(r->status, VITALS_HEALTHY);
    assert_null(r->error);
    assert_int_equal(sscanf(r->description,
                            "LOAD OK - total load average: %lf, %lf, %lf",
                            &shown[0], &shown[1], &shown[2]),
                     3);

    d = data_of(r);
    assert_int_equal(json_integer_value(json_object_get(d, "exitCode")), 0);
    perf = json_object_get(d, "perfdata");
    assert_int_equal(json_object_size(perf), 3);
    for (i = 0; i < 3; i++) {
        item = json_object_get(perf, labels[i]);
        assert_non_null(item);
        /* The same reading, printed with 2 and with 3 decimals. */
        assert_true(item_value(perf, labels[i]) - shown[i] < 0.0051 &&
                    shown[i] - item_value(perf, labels[i]) < 0.0051);
        assert_string_equal(
            json_string_value(json_object_get(item, "warn")), "1000.000");
        assert_string_equal(
            json_string_value(json_object_get(item, "crit")), "2000.000");
        assert_true(json_is_integer(json_object_get(item, "min")));
        assert_int_equal(json_integer_value(json_object_get(item, "min")), 0);
        assert_null(json_object_get(item, "max"));
        assert_null(json_object_get(item, "unit"));
    }
    /* The first item is the check's observed value; load has no unit. */
    assert_true(r->observed_set);
    assert_string_equal(r->measurement, "load1");
    assert_null(r->unit);
    assert_true(r->observed == item_value(perf, "load1"));
    json_decref(d);
    vresult_unref(r);
}

/* check_disk's performance data is in bytes, labelled by mount point. */
static void check_disk_item(json_t *item)
{
    json_t *value = json_object_get(item, "value");
    json_t *max = json_object_get(item, "max");

    assert_true(json_is_integer(value));
    assert_true(json_is_integer(max));
    assert_true(json_integer_value(value) <= json_integer_value(max));
    assert_string_equal(json_string_value(json_object_get(item, "unit")),
                        "B");
    assert_true(json_is_string(json_object_get(item, "warn")));
    assert_true(json_is_string(json_object_get(item, "crit")));
    assert_int_equal(json_integer_value(json_object_get(item, "min")), 0);
}

static void test_check_disk_ok(void **state)
{
    vitals_result_t *r;
    json_t *d;
    (void)state;

    r = run_check(&vcheck_exec,
                  "{\"command\": [\"" PLUGINS "/check_disk\", \"-w\", "
                  "\"1%\", \"-c\", \"1%\", \"-p\", \"/\"]}",
                  5000);
    assert_int_equal(r->status, VITALS_HEALTHY);
    assert_null(r->error);
    assert_true(strncmp(r->description, "DISK OK - free space: / ", 24) ==
                0);
    d = data_of(r);
    assert_int_equal(json_integer_value(json_object_get(d, "exitCode")), 0);
    check_disk_item(json_object_get(json_object_get(d, "perfdata"), "/"));
    assert_string_equal(r->measurement, "/");
    assert_string_equal(r->unit, "B");
    json_decref(d);
    vresult_unref(r);
}

/* Critical when less than 100% is free, i.e. always. */
static void test_check_disk_critical(void **state)
{
    vitals_result_t *r;
    (void)state;

    r = run_check(&vcheck_exec,
                  "{\"command\": [\"" PLUGINS "/check_disk\", \"-w\", "
                  "\"100%\", \"-c\", \"100%\", \"-p\", \"/\"]}",
                  5000);
    assert_int_equal(r->status, VITALS_UNHEALTHY);
    assert_int_equal(exit_code(r), 2);
    assert_true(strncmp(r->description, "DISK CRITICAL - free space: / ",
                        30) == 0);
    assert_string_equal(r->error, r->description);
    vresult_unref(r);
}

/* Performance data on the first line and in the long output, as the
 * plugin guidelines write it. printf turns each \n into a newline. */
static void test_output_with_perfdata(void **state)
{
    vitals_result_t *r;
    (void)state;

    r = run_check(&vcheck_exec,
                  "{\"command\": [\"/usr/bin/printf\", \""
                  "OK - all fine | time=0.39s;5;10;0;100\\\\n"
                  "long text 1\\\\n"
                  "long text 2 | 'queue depth'=7;;;0\\\\n"
                  "c=U junk\\\\n\"]}",
                  5000);
    assert_int_equal(r->status, VITALS_HEALTHY);
    assert_string_equal(r->description, "OK - all fine");
    assert_null(r->error);
    check_data(r, "{\"exitCode\": 0, \"perfdata\": {"
                  "\"time\": {\"value\": 0.39, \"unit\": \"s\", \"warn\": "
                  "\"5\", \"crit\": \"10\", \"min\": 0, \"max\": 100},"
                  "\"queue depth\": {\"value\": 7, \"min\": 0},"
                  "\"c\": {\"value\": null}}}");
    assert_string_equal(r->measurement, "time");
    assert_string_equal(r->unit, "s");
    assert_true(r->observed == 0.39);
    vresult_unref(r);
}

/* ------------------------------------------------------------------------
 * Exit, output and environment
 */

static void test_stderr_is_output(void **state)
{
    vitals_result_t *r;
    (void)state;

    r = run_check(&vcheck_exec,
                  "{\"command\": [\"/bin/sh\", \"-c\", "
                  "\"echo 'CRITICAL: on stderr' >&2; exit 2\"]}",
                  5000);
    assert_int_equal(r->status, VITALS_UNHEALTHY);
    assert_string_equal(r->error, "CRITICAL: on stderr");
    vresult_unref(r);
}

static void test_exit_without_output(void **state)
{
    vitals_result_t *r;
    (void)state;

    r = run_check(&vcheck_exec,
                  "{\"command\": [\"/bin/sh\", \"-c\", \"exit 2\"]}", 5000);
    assert_int_equal(r->status, VITALS_UNHEALTHY);
    assert_string_equal(r->error, "exit status 2");
    assert_null(r->description);
    check_data(r, "{\"exitCode\": 2}");
    vresult_unref(r);

    r = run_check(&vcheck_exec,
                  "{\"command\": [\"/bin/sh\", \"-c\", \"exit 0\"]}", 5000);
    assert_int_equal(r->status, VITALS_HEALTHY);
    assert_null(r->description);
    assert_null(r->error);
    vresult_unref(r);

    r = run_check(&vcheck_exec,
                  "{\"command\": [\"/bin/sh\", \"-c\", \"exit 1\"]}", 5000);
    assert_int_equal(r->status, VITALS_DEGRADED);
    assert_null(r->description);
    assert_null(r->error);
    vresult_unref(r);
}

/* Outside the convention (not 0-3): unhealthy, with the program's text. */
static void test_other_exit_codes(void **state)
{
    vitals_result_t *r;
    (void)state;

    r = run_check(&vcheck_exec,
                  "{\"command\": [\"/bin/sh\", \"-c\", "
                  "\"echo '  segfault in the helper  '; exit 139\"]}",
                  5000);
    assert_int_equal(r->status, VITALS_UNHEALTHY);
    assert_string_equal(r->description, "segfault in the helper");
    assert_string_equal(r->error, "segfault in the helper");
    check_data(r, "{\"exitCode\": 139}");
    vresult_unref(r);
}

static void test_killed_by_signal(void **state)
{
    vitals_result_t *r;
    (void)state;

    r = run_check(&vcheck_exec,
                  "{\"command\": [\"/bin/sh\", \"-c\", \"kill -9 $$\"]}",
                  5000);
    assert_int_equal(r->status, VITALS_UNHEALTHY);
    assert_string_equal(r->error, "killed by signal 9");
    assert_string_equal(r->data_json, "{}");
    vresult_unref(r);
    assert_no_children();
}

static void test_env_and_cwd(void **state)
{
    vitals_result_t *r;
    (void)state;

    assert_int_equal(setenv("VITALS_TEST_KEPT", "kept", 1), 0);
    assert_int_equal(setenv("VITALS_TEST_REPLACED", "old", 1), 0);
    r = run_check(&vcheck_exec,
                  "{\"command\": [\"/bin/sh\", \"-c\", \"echo "
                  "OK: $VITALS_TEST_KEPT $VITALS_TEST_REPLACED "
                  "$VITALS_TEST_ADDED in $(pwd)\"],"
                  " \"env\": {\"VITALS_TEST_REPLACED\": \"new\","
                  " \"VITALS_TEST_ADDED\": \"added value\"},"
                  " \"cwd\": \"/usr/lib\"}",
                  5000);
    assert_int_equal(r->status, VITALS_HEALTHY);
    assert_string_equal(r->description,
                        "OK: kept new added value in /usr/lib");
    vresult_unref(r);
    unsetenv("VITALS_TEST_KEPT");
    unsetenv("VITALS_TEST_REPLACED");
}

/* A plugin reading stdin gets EOF at once, not the daemon's terminal. */
static void test_stdin_is_empty(void **state)
{
    vitals_result_t *r;
    (void)state;

    r = run_check(&vcheck_exec,
                  "{\"command\": [\"/bin/sh\", \"-c\", "
                  "\"cat; echo OK: no input\"]}",
                  5000);
    assert_string_equal(r->description, "OK: no input");
    vresult_unref(r);
}

/* The search path applies to a bare program name. */
static void test_program_on_path(void **state)
{
    vitals_result_t *r;
    (void)state;

    r = run_check(&vcheck_exec,
                  "{\"command\": [\"sh\", \"-c\", \"echo OK: found\"]}",
                  5000);
    assert_int_equal(r->status, VITALS_HEALTHY);
    assert_string_equal(r->description, "OK: found");
    vresult_unref(r);
}

/* More output than is kept: the rest is read and dropped, so the program
 * never blocks on a full pipe. */
static void test_large_output(void **state)
{
    vitals_result_t *r;
    (void)state;

    r = run_check(&vcheck_exec,
                  "{\"command\": [\"/bin/sh\", \"-c\", \"head -c 300000 "
                  "/dev/zero | tr '\\\\000' x; echo; echo more\"]}",
                  5000);
    assert_int_equal(r->status, VITALS_HEALTHY);
    assert_int_equal(strlen(r->description), 64 * 1024);
    assert_int_equal(strspn(r->description, "x"), 64 * 1024);
    vresult_unref(r);
}

/* A background process that keeps the pipe open does not hold the check
 * until the deadline: the program's exit ends the run. */
static void test_background_process_keeps_pipe(void **state)
{
    vitals_result_t *r;
    int64_t start, took;
    (void)state;

    start = now_ms();
    r = run_check(&vcheck_exec,
                  "{\"command\": [\"/bin/sh\", \"-c\", "
                  "\"sleep 2 & echo OK: started\"]}",
                  5000);
    took = now_ms() - start;
    assert_int_equal(r->status, VITALS_HEALTHY);
    assert_string_equal(r->description, "OK: started");
    assert_true(took < 1500);
    vresult_unref(r);
    assert_no_children();
}

/* ------------------------------------------------------------------------
 * Failures to run
 */

static void test_missing_program(void **state)
{
    vitals_result_t *r;
    (void)state;

    r = run_check(&vcheck_exec, "{\"command\": [\"/nope\"]}", 5000);
    assert_int_equal(r->status, VITALS_UNHEALTHY);
    assert_string_equal(r->error,
                        "cannot execute /nope: No such file or directory");
    assert_null(r->description);
    assert_string_equal(r->data_json, "{}");
    vresult_unref(r);

    r = run_check(&vcheck_exec, "{\"command\": [\"vitals-no-such-plugin\"]}",
                  5000);
    assert_string_equal(r->error, "cannot execute vitals-no-such-plugin: No "
                                  "such file or directory");
    vresult_unref(r);
    assert_no_children();
}

/* A file without execute permission (even root needs one x bit). */
static void test_not_executable(void **state)
{
    char path[] = "/tmp/vitals-test-exec-XXXXXX", json[128], want[128];
    vitals_result_t *r;
    int fd;
    (void)state;

    fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(fchmod(fd, 0644), 0);
    close(fd);
    snprintf(json, sizeof(json), "{\"command\": [\"%s\"]}", path);
    snprintf(want, sizeof(want), "cannot execute %s: Permission denied",
             path);
    r = run_check(&vcheck_exec, json, 5000);
    unlink(path);
    assert_int_equal(r->status, VITALS_UNHEALTHY);
    assert_string_equal(r->error, want);
    vresult_unref(r);
}

static void test_missing_cwd(void **state)
{
    vitals_result_t *r;
    (void)state;

    r = run_check(&vcheck_exec,
                  "{\"command\": [\"/bin/true\"], \"cwd\": \"/nope\"}", 5000);
    assert_int_equal(r->status, VITALS_UNHEALTHY);
    assert_string_equal(r->error, "cannot change directory to /nope: No "
                                  "such file or directory");
    vresult_unref(r);
}

/* ------------------------------------------------------------------------
 * The deadline
 */

/* The state letter of a process in /proc, or 0 when it is gone. */
static char proc_state(long pid)
{
    char path[64], buf[512], *close_paren;
    FILE *f;
    size_t n;

    snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
    f = fopen(path, "r");
    if (!f)
        return 0;
    n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[n] = '\0';
    close_paren = strrchr(buf, ')');
    return close_paren && close_paren[1] == ' ' ? close_paren[2] : '?';
}

/* At the deadline the whole process group is killed and the program is
 * reaped: the run returns at once, leaves no zombie, and the program's
 * own children die too. */
static void test_killed_at_deadline(void **state)
{
    char json[512], pidfile[] = "/tmp/vitals-test-exec-XXXXXX";
    vitals_result_t *r;
    int64_t start, took;
    long grandchild = 0;
    FILE *f;
    int fd, i;
    char st;
    (void)state;

    fd = mkstemp(pidfile);
    assert_true(fd >= 0);
    close(fd);
    snprintf(json, sizeof(json),
             "{\"command\": [\"/bin/sh\", \"-c\", "
             "\"sleep 5 & echo $! > %s; sleep 5; echo OK: too late\"]}",
             pidfile);

    start = now_ms();
    r = run_check(&vcheck_exec, json, 200);
    took = now_ms() - start;

    assert_int_equal(r->status, VITALS_UNHEALTHY);
    assert_string_equal(r->error, "killed at the timeout");
    assert_null(r->description);
    assert_true(took >= 190 && took < 700);
    vresult_unref(r);
    assert_no_children();

    /* The background sleep was in the group: it is gone, or a zombie
     * waiting for init. The kill is asynchronous, so wait for it. */
    f = fopen(pidfile, "r");
    assert_non_null(f);
    assert_int_equal(fscanf(f, "%ld", &grandchild), 1);
    fclose(f);
    unlink(pidfile);
    for (i = 0; i < 100; i++) {
        st = proc_state(grandchild);
        if (st == 0 || st == 'Z' || st == 'X')
            break;
        poll(NULL, 0, 10); /* waiting on the real process */
    }
    assert_true(st == 0 || st == 'Z' || st == 'X');
}

static void test_sleep_killed_at_deadline(void **state)
{
    vitals_result_t *r;
    int64_t start, took;
    (void)state;

    start = now_ms();
    r = run_check(&vcheck_exec,
                  "{\"command\": [\"/bin/sh\", \"-c\", \"sleep 5\"]}", 200);
    took = now_ms() - start;
    assert_int_equal(r->status, VITALS_UNHEALTHY);
    assert_string_equal(r->error, "killed at the timeout");
    assert_true(took >= 190 && took < 700);
    vresult_unref(r);
    assert_no_children();
}

/* No time left at all: the program is started, killed and reaped. */
static void test_no_time_left(void **state)
{
    vitals_result_t *r;
    (void)state;

    r = run_check(&vcheck_exec,
                  "{\"command\": [\"/bin/sh\", \"-c\", \"sleep 5\"]}", 0);
    assert_string_equal(r->error, "killed at the timeout");
    vresult_unref(r);
    assert_no_children();
}

/* ------------------------------------------------------------------------
 * Configuration
 */

static void test_config_errors(void **state)
{
    (void)state;
    check_config_error(&vcheck_exec, "{}",
                       "settings: missing required key 'command'");
    check_config_error(&vcheck_exec,
                       "{\"command\": \"" PLUGINS "/check_load -w 5\"}",
                       "settings: 'command': expected a list of arguments, "
                       "e.g. [\"/usr/lib/nagios/plugins/check_load\", "
                       "\"-w\", \"5\"]");
    check_config_error(&vcheck_exec, "{\"command\": {\"a\": 1}}",
                       "settings: 'command': expected a list of arguments, "
                       "e.g. [\"/usr/lib/nagios/plugins/check_load\", "
                       "\"-w\", \"5\"]");
    check_config_error(&vcheck_exec, "{\"command\": []}",
                       "settings: 'command': must not be empty");
    check_config_error(&vcheck_exec, "{\"command\": [\"\"]}",
                       "settings: 'command': item 1: the program is empty");
    check_config_error(&vcheck_exec, "{\"command\": [\"/bin/true\", [1], "
                                     "null, {}]}",
                       "settings: 'command': item 2: expected a string, got "
                       "a list; settings: 'command': item 3: expected a "
                       "string, got null; settings: 'command': item 4: "
                       "expected a string, got a map");
    check_config_error(&vcheck_exec,
                       "{\"command\": [\"/bin/true\"], \"env\": [\"A=1\"]}",
                       "settings: 'env': expected a map of variable names "
                       "to values, got a list");
    check_config_error(&vcheck_exec,
                       "{\"command\": [\"/bin/true\"], \"env\": {\"A=B\": "
                       "\"1\", \"\": \"2\", \"C\": [3]}}",
                       "settings: 'env': invalid variable name 'A=B'; "
                       "settings: 'env': invalid variable name ''; "
                       "settings: 'C': expected a string, got a list");
    check_config_error(&vcheck_exec,
                       "{\"command\": [\"/bin/true\"], \"cwd\": \"\"}",
                       "settings: 'cwd': must not be empty");
    /* Every error at once. */
    check_config_error(&vcheck_exec,
                       "{\"command\": \"x\", \"cwd\": [1]}",
                       "settings: 'command': expected a list of arguments, "
                       "e.g. [\"/usr/lib/nagios/plugins/check_load\", "
                       "\"-w\", \"5\"]; settings: 'cwd': expected a string, "
                       "got a list");
}

/* Numbers in the list are arguments like any other; env values too. */
static void test_config_scalars_are_strings(void **state)
{
    vitals_result_t *r;
    (void)state;

    r = run_check(&vcheck_exec,
                  "{\"command\": [\"" PLUGINS "/check_dummy\", 1, "
                  "\"$N\"], \"env\": {\"N\": 5}}",
                  5000);
    assert_int_equal(r->status, VITALS_DEGRADED);
    /* No shell: "$N" reaches the plugin as written. */
    assert_string_equal(r->description, "WARNING: $N");
    vresult_unref(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dummy_ok),
        cmocka_unit_test(test_dummy_warning),
        cmocka_unit_test(test_dummy_critical),
        cmocka_unit_test(test_dummy_unknown),
        cmocka_unit_test(test_dummy_bad_usage),
        cmocka_unit_test(test_check_load),
        cmocka_unit_test(test_check_disk_ok),
        cmocka_unit_test(test_check_disk_critical),
        cmocka_unit_test(test_output_with_perfdata),
        cmocka_unit_test(test_stderr_is_output),
        cmocka_unit_test(test_exit_without_output),
        cmocka_unit_test(test_other_exit_codes),
        cmocka_unit_test(test_killed_by_signal),
        cmocka_unit_test(test_env_and_cwd),
        cmocka_unit_test(test_stdin_is_empty),
        cmocka_unit_test(test_program_on_path),
        cmocka_unit_test(test_large_output),
        cmocka_unit_test(test_background_process_keeps_pipe),
        cmocka_unit_test(test_missing_program),
        cmocka_unit_test(test_not_executable),
        cmocka_unit_test(test_missing_cwd),
        cmocka_unit_test(test_killed_at_deadline),
        cmocka_unit_test(test_sleep_killed_at_deadline),
        cmocka_unit_test(test_no_time_left),
        cmocka_unit_test(test_config_errors),
        cmocka_unit_test(test_config_scalars_are_strings),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
