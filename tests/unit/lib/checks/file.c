/* file.c - unit tests for the "file" check type
 * (lib/checks/file.c) on files in a temporary directory whose times are
 * set with utimensat. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "checks/check_type.h"
#include "checktest.h"
#include "engine/result.h"
#include "config/vnode.h"

extern const vcheck_type_t vcheck_file;

static char dir[64];

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof(dir), "/tmp/vitals-file-XXXXXX");
    return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
    char cmd[128];
    (void)state;

    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

static void path_in_dir(const char *name, char *buf, size_t len)
{
    snprintf(buf, len, "%s/%s", dir, name);
}

/* Writes content to dir/name, modified seconds_ago seconds ago (negative:
 * in the future). */
static void make_file(const char *name, const char *content,
                      int64_t seconds_ago, char *path, size_t len)
{
    struct timespec times[2];
    FILE *f;

    path_in_dir(name, path, len);
    f = fopen(path, "w");
    assert_non_null(f);
    assert_int_equal(fputs(content, f) >= 0, 1);
    assert_int_equal(fclose(f), 0);
    assert_int_equal(clock_gettime(CLOCK_REALTIME, &times[1]), 0);
    times[1].tv_sec -= (time_t)seconds_ago;
    times[0] = times[1];
    assert_int_equal(utimensat(AT_FDCWD, path, times, 0), 0);
}

static vitals_result_t *run_on(const char *path, const char *max_age)
{
    char json[512];

    if (max_age)
        snprintf(json, sizeof(json),
                 "{\"path\": \"%s\", \"max_age\": \"%s\"}", path, max_age);
    else
        snprintf(json, sizeof(json), "{\"path\": \"%s\"}", path);
    return run_check(&vcheck_file, json, 5000);
}

static void check_data(const vitals_result_t *r, int64_t age, int64_t size)
{
    json_t *d = data_of(r);

    assert_int_equal(json_object_size(d), 2);
    assert_true(json_is_integer(json_object_get(d, "ageSeconds")));
    assert_int_equal(json_integer_value(json_object_get(d, "ageSeconds")),
                     age);
    assert_int_equal(json_integer_value(json_object_get(d, "sizeBytes")),
                     size);
    json_decref(d);
    assert_true(r->observed_set);
    assert_string_equal(r->measurement, "age");
    assert_string_equal(r->unit, "s");
    assert_true(r->observed == (double)age);
}

static void check_healthy(const char *path, const char *max_age,
                          int64_t age, int64_t size, const char *age_text)
{
    vitals_result_t *r = run_on(path, max_age);
    char want[512];

    snprintf(want, sizeof(want), "%s is %s old", path, age_text);
    assert_int_equal(r->status, VITALS_HEALTHY);
    assert_null(r->error);
    assert_string_equal(r->description, want);
    check_data(r, age, size);
    vresult_unref(r);
}

static void check_stale(const char *path, const char *max_age, int64_t age,
                        int64_t size, const char *age_text,
                        const char *limit_text)
{
    vitals_result_t *r = run_on(path, max_age);
    char want[512];

    snprintf(want, sizeof(want), "%s is %s old, older than %s", path,
             age_text, limit_text);
    assert_int_equal(r->status, VITALS_UNHEALTHY);
    assert_string_equal(r->error, want);
    assert_string_equal(r->description, want);
    check_data(r, age, size);
    vresult_unref(r);
}

/* ------------------------------------------------------------------------
 * Runs
 */

/* Without max_age any age will do. */
static void test_exists(void **state)
{
    char path[128];
    (void)state;

    make_file("job.ok", "done\n", 125, path, sizeof(path));
    check_healthy(path, NULL, 125, 5, "2m 5s");
    make_file("old.ok", "", 400 * 86400 + 5 * 3600, path, sizeof(path));
    check_healthy(path, NULL, 400 * 86400 + 5 * 3600, 0, "400d 5h");
}

static void test_fresh(void **state)
{
    char path[128];
    (void)state;

    make_file("job.ok", "ok", 30, path, sizeof(path));
    check_healthy(path, "1m", 30, 2, "30s");
    make_file("job.ok", "ok", 0, path, sizeof(path));
    check_healthy(path, "1m", 0, 2, "0s");
    /* Just inside the limit. */
    make_file("job.ok", "ok", 3599, path, sizeof(path));
    check_healthy(path, "1h", 3599, 2, "59m 59s");
}

static void test_stale(void **state)
{
    char path[128];
    (void)state;

    make_file("job.ok", "", 2 * 3600 + 3 * 60, path, sizeof(path));
    check_stale(path, "1h", 2 * 3600 + 3 * 60, 0, "2h 3m", "1h");
    /* The seconds beyond the hours are dropped... */
    make_file("job.ok", "", 2 * 3600 + 3 * 60 + 7, path, sizeof(path));
    check_stale(path, "90m", 2 * 3600 + 3 * 60 + 7, 0, "2h 3m", "90m");
    /* ...but a zero unit between is skipped, not shown as "1h". */
    make_file("job.ok", "x", 3601, path, sizeof(path));
    check_stale(path, "1h", 3601, 1, "1h 1s", "1h");
    make_file("job.ok", "x", 86400 * 2 + 60, path, sizeof(path));
    check_stale(path, "1d", 86400 * 2 + 60, 1, "2d 1m", "1d");
    make_file("job.ok", "x", 2, path, sizeof(path));
    check_stale(path, "1500ms", 2, 1, "2s", "1500ms");
}

/* A clock ahead of ours wrote it: as fresh as can be. */
static void test_future(void **state)
{
    char path[128];
    (void)state;

    make_file("job.ok", "ok", -3600, path, sizeof(path));
    check_healthy(path, "1m", 0, 2, "0s");
}

/* A symlink counts with its target's time, where the job's write went. */
static void test_symlink(void **state)
{
    char target[128], link[128];
    (void)state;

    make_file("real.ok", "abc", 7200, target, sizeof(target));
    path_in_dir("link.ok", link, sizeof(link));
    unlink(link);
    assert_int_equal(symlink(target, link), 0);
    check_stale(link, "1h", 7200, 3, "2h", "1h");
}

static void check_failed(const char *path, const char *want)
{
    vitals_result_t *r = run_on(path, "1h");

    assert_int_equal(r->status, VITALS_UNHEALTHY);
    assert_string_equal(r->error, want);
    assert_null(r->description);
    assert_string_equal(r->data_json, "{}");
    assert_false(r->observed_set);
    vresult_unref(r);
}

static void test_missing(void **state)
{
    char path[128], want[256];
    (void)state;

    path_in_dir("nope.ok", path, sizeof(path));
    snprintf(want, sizeof(want), "missing %s", path);
    check_failed(path, want);

    /* Dangling symlink: its target is missing. */
    path_in_dir("dangling.ok", path, sizeof(path));
    assert_int_equal(symlink("/nonexistent/vitals", path), 0);
    snprintf(want, sizeof(want), "missing %s", path);
    check_failed(path, want);
}

static void test_cannot_stat(void **state)
{
    char file[128], path[160], want[256];
    (void)state;

    make_file("plain", "", 0, file, sizeof(file));
    snprintf(path, sizeof(path), "%s/below", file);
    snprintf(want, sizeof(want), "cannot stat %s: Not a directory", path);
    check_failed(path, want);
}

/* ------------------------------------------------------------------------
 * Configuration
 */

static void test_config_errors(void **state)
{
    (void)state;
    check_config_error(&vcheck_file, "{}",
                       "settings: missing required key 'path'");
    check_config_error(&vcheck_file, "{\"path\": \"\"}",
                       "settings: 'path': must not be empty");
    check_config_error(&vcheck_file, "{\"path\": {\"a\": 1}}",
                       "settings: 'path': expected a string, got a map");
    check_config_error(&vcheck_file,
                       "{\"path\": \"/run/job.ok\", \"max_age\": \"soon\"}",
                       "settings: 'max_age': invalid duration \"soon\" (use a "
                       "number and a unit: ms, s, m, h, d)");
    check_config_error(&vcheck_file,
                       "{\"path\": \"/run/job.ok\", \"max_age\": \"0\"}",
                       "settings: 'max_age': must be more than 0");
    check_config_error(&vcheck_file,
                       "{\"path\": \"/run/job.ok\", \"max_age\": \"0s\"}",
                       "settings: 'max_age': must be more than 0");
    /* Every error of the check in one pass. */
    check_config_error(&vcheck_file, "{\"max_age\": \"-1h\"}",
                       "settings: missing required key 'path'; settings: "
                       "'max_age': invalid duration \"-1h\" (must not be "
                       "negative)");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_exists),
        cmocka_unit_test(test_fresh),
        cmocka_unit_test(test_stale),
        cmocka_unit_test(test_future),
        cmocka_unit_test(test_symlink),
        cmocka_unit_test(test_missing),
        cmocka_unit_test(test_cannot_stat),
        cmocka_unit_test(test_config_errors),
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}
