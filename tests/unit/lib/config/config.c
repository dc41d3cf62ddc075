/* config.c - the configuration loader's messages where newcomers trip:
 * a misspelt or missing type, a missing key, checks written as a list;
 * durations in compound forms; and what vitalsd --check-config adds
 * (vitals_config_lint): exec commands that are not there, no listener. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "checks/check_type.h"
#include "vitals.h"

/* Checks the configuration text; every error, each without its "PATH:"
 * and joined with "; ", must be want (NULL: valid). */
static void expect(const char *text, const char *want)
{
    char path[] = "/tmp/vitals_test_config_XXXXXX";
    int fd = mkstemp(path);
    vitals_errors_t *errs = NULL;
    char got[2048] = "";
    size_t plen = strlen(path), o = 0;

    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    assert_int_equal(close(fd), 0);
    int rc = vitals_config_check(path, &errs);
    unlink(path);
    for (size_t i = 0; i < vitals_errors_count(errs); i++) {
        const char *m = vitals_errors_get(errs, i);

        assert_int_equal(strncmp(m, path, plen), 0);
        o += (size_t)snprintf(got + o, sizeof(got) - o, "%s%s",
                              i ? "; " : "", m + plen + 1);
    }
    vitals_errors_free(errs);
    if (want == NULL) {
        if (rc != VITALS_OK)
            fail_msg("unexpected errors: %s", got);
        return;
    }
    assert_int_equal(rc, VITALS_ECONFIG);
    assert_string_equal(got, want);
}


/* Not also "unknown key 'path'" and "unknown key 'degraded_below'": the
 * keys of an unknown type are unknown only because of the type. */
static void test_misspelt_type(void **state)
{
    char want[512];
    (void)state;

    snprintf(want, sizeof(want),
             "2:13: check 'x': unknown check type 'dsik' (known: %s)",
             vcheck_type_names());
    expect("checks:\n"
           "  x: {type: dsik, path: /, degraded_below: 1GB}\n",
           want);
}

static void test_missing_type(void **state)
{
    (void)state;
    /* Once, and without "unknown key 'path'". */
    expect("checks:\n"
           "  x: {path: /}\n",
           "2:6: check 'x': missing required key 'type'");
}

static void test_missing_key_names_the_check(void **state)
{
    (void)state;
    expect("checks:\n"
           "  db: {type: postgres}\n"
           "  web:\n"
           "    type: http\n",
           "2:7: check 'db': missing required key 'dsn'; "
           "4:5: check 'web': missing required key 'url'");
    /* A group member is named as one. */
    expect("checks:\n"
           "  g:\n"
           "    type: group\n"
           "    checks:\n"
           "      m: {type: tcp}\n",
           "5:10: group member 'm': missing required key 'address'");
}

static void test_checks_as_a_list(void **state)
{
    (void)state;
    expect("checks:\n"
           "  - name: web\n"
           "    type: http\n",
           "2:3: 'checks': expected a map whose keys are the check names "
           "(e.g. \"checks: {web: {type: http, url: ...}}\"), got a list");
}

static void test_compound_durations(void **state)
{
    (void)state;
    expect("defaults: {interval: 1m30s, timeout: 1500ms}\n"
           "checks:\n"
           "  a: {type: disk, path: /, interval: 1h15m, timeout: 2s}\n"
           "  b: {type: file, path: /, max_age: 2h, initial_delay: 1m}\n",
           NULL);
    expect("checks:\n"
           "  a: {type: disk, path: /, interval: 30s1m}\n",
           "2:38: 'interval': invalid duration \"30s1m\" (use a number and "
           "a unit: ms, s, m, h, d)");
    expect("defaults: {interval: 0s}\n",
           "1:22: 'interval': must be more than 0");
}

/* Writes text to a new file; the path is in path (PATH_MAX). */
static void temp_config(char *path, const char *text)
{
    int fd;

    strcpy(path, "/tmp/vitals_test_lint_XXXXXX");
    fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    assert_int_equal(close(fd), 0);
}

/* "msg1; msg2" of list, each without its "PATH:". */
static void joined(const vitals_errors_t *list, const char *path, char *out,
                   size_t len)
{
    size_t o = 0, plen = strlen(path);

    out[0] = '\0';
    for (size_t i = 0; i < vitals_errors_count(list); i++) {
        const char *m = vitals_errors_get(list, i);

        assert_int_equal(strncmp(m, path, plen), 0);
        o += (size_t)snprintf(out + o, len - o, "%s%s", i ? "; " : "",
                              m + plen + 1);
    }
}

#define LINT_TEXT                                                            \
    "checks:\n"                                                              \
    "  a: {type: exec, command: [/nonexistent/check_x]}\n"                   \
    "  b: {type: exec, command: [vitals-no-such-plugin]}\n"                  \
    "  c: {type: exec, command: [/tmp/vitals_test_lint_plain]}\n"            \
    "  d: {type: exec, command: [/tmp]}\n"                                   \
    "  e: {type: exec, command: [sh, -c, 'exit 0']}\n"                       \
    "  f: {type: exec, command: [./sh], cwd: /bin}\n"
#define NO_LISTEN "1:1: warning: no 'listen': the checks run, but nothing " \
                  "serves them"

/* Strict: a command that is not there is an error; no listener a warning. */
static void test_lint_commands_and_listen(void **state)
{
    char path[64], got[2048];
    vitals_errors_t *errs = NULL, *warns = NULL;

    (void)state;
    setenv("PATH", "/usr/bin:/bin", 1);
    temp_config(path, "not a program\n"); /* mode 0600 */
    assert_int_equal(rename(path, "/tmp/vitals_test_lint_plain"), 0);
    temp_config(path, LINT_TEXT);
    assert_int_equal(vitals_config_lint(path, &errs, &warns),
                     VITALS_ECONFIG);
    joined(errs, path, got, sizeof(got));
    assert_string_equal(got,
        "2:28: 'command': /nonexistent/check_x: no such file; "
        "3:28: 'command': 'vitals-no-such-plugin' is not an executable in "
        "PATH (/usr/bin:/bin); "
        "4:28: 'command': /tmp/vitals_test_lint_plain: not executable; "
        "5:28: 'command': /tmp: not a file");
    joined(warns, path, got, sizeof(got));
    assert_string_equal(got, NO_LISTEN);
    vitals_errors_free(errs);
    vitals_errors_free(warns);
    /* Not strict: the same file is valid. */
    assert_int_equal(vitals_config_check(path, &errs), VITALS_OK);
    assert_null(errs);
    unlink(path);
    unlink("/tmp/vitals_test_lint_plain");

    temp_config(path, "listen: []\nchecks: {e: {type: exec, command: [true]}}\n");
    assert_int_equal(vitals_config_lint(path, &errs, &warns), VITALS_OK);
    assert_null(errs);
    joined(warns, path, got, sizeof(got));
    assert_string_equal(got, "1:9: warning: no 'listen': the checks run, "
                             "but nothing serves them");
    vitals_errors_free(warns);
    unlink(path);

    temp_config(path, "listen: [\"127.0.0.1:0\"]\n");
    assert_int_equal(vitals_config_lint(path, &errs, &warns), VITALS_OK);
    assert_null(errs);
    assert_null(warns);
    unlink(path);
}

static void collect(vitals_log_level_t level, const char *msg, void *data)
{
    char *log = data;

    if (level == VITALS_LOG_WARN)
        snprintf(log + strlen(log), 2048 - strlen(log), "%s\n", msg);
}

/* Loading: the same findings are warnings, logged, and the file applies. */
static void test_load_logs_warnings(void **state)
{
    char path[64], log[2048] = "", want[2048];
    vitals_errors_t *errs = NULL;
    vitals_t *v = vitals_new();

    (void)state;
    setenv("PATH", "/usr/bin:/bin", 1);
    assert_non_null(v);
    vitals_set_log(v, collect, log);
    temp_config(path, "checks:\n"
                      "  a: {type: exec, command: [/nonexistent/check_x]}\n");
    assert_int_equal(vitals_config_load(v, path, &errs), VITALS_OK);
    assert_null(errs);
    snprintf(want, sizeof(want),
             "%s:" NO_LISTEN "\n"
             "%s:2:28: warning: 'command': /nonexistent/check_x: no such "
             "file\n",
             path, path);
    assert_string_equal(log, want);
    unlink(path);
    vitals_free(v);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_misspelt_type),
        cmocka_unit_test(test_missing_type),
        cmocka_unit_test(test_missing_key_names_the_check),
        cmocka_unit_test(test_checks_as_a_list),
        cmocka_unit_test(test_compound_durations),
        cmocka_unit_test(test_lint_commands_and_listen),
        cmocka_unit_test(test_load_logs_warnings),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
