/* disk.c - unit tests for the "disk" check type
 * (lib/checks/disk.c) on the real filesystems of the machine, and for the
 * table of built-in types (lib/checks/builtin.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>

#include <cmocka.h>
#include <jansson.h>

#include "checks/check_type.h"
#include "util/clock.h"
#include "engine/result.h"
#include "checktest.h"
#include "config/vnode.h"

extern const vcheck_type_t vcheck_disk;
extern const vcheck_type_t vcheck_exec;
extern const vcheck_type_t vcheck_tcp;

#define MB 1000000ULL

static int64_t data_int(json_t *d, const char *key)
{
    json_t *v = json_object_get(d, key);

    if (!json_is_integer(v))
        fail_msg("data.%s is not an integer", key);
    return (int64_t)json_integer_value(v);
}

static int same_space(const struct statvfs *a, const struct statvfs *b)
{
    return a->f_bavail == b->f_bavail && a->f_bfree == b->f_bfree &&
           a->f_blocks == b->f_blocks && a->f_frsize == b->f_frsize;
}

/* Runs a disk check on path while the filesystem holds still (free space
 * moves on a busy disk; statvfs before and after must agree), so that the
 * test can expect exact numbers. *st receives what the check saw. */
static vitals_result_t *run_still(const char *json, const char *path,
                                  struct statvfs *st)
{
    struct statvfs before, after;
    vitals_result_t *r;
    int i;

    for (i = 0; i < 20; i++) {
        assert_int_equal(statvfs(path, &before), 0);
        r = run_check(&vcheck_disk, json, 5000);
        assert_int_equal(statvfs(path, &after), 0);
        if (same_space(&before, &after)) {
            *st = before;
            return r;
        }
        vresult_unref(r);
    }
    fail_msg("the free space of %s never held still", path);
    return NULL;
}

static uint64_t free_mb(const struct statvfs *st)
{
    return (uint64_t)st->f_bavail * st->f_frsize / MB;
}

static uint64_t total_mb(const struct statvfs *st)
{
    return (uint64_t)st->f_blocks * st->f_frsize / MB;
}

/* df's Use%, to one decimal. */
static double df_percent(const struct statvfs *st)
{
    double used = (double)(st->f_blocks - st->f_bfree);
    double denom = used + (double)st->f_bavail;

    return denom > 0 ? (double)(uint64_t)(1000.0 * used / denom + 0.5) / 10
                     : 0;
}

static void check_data(const vitals_result_t *r, const struct statvfs *st)
{
    json_t *d = data_of(r);

    assert_int_equal(json_object_size(d), 2);
    assert_int_equal(data_int(d, "freeMegabytes"), free_mb(st));
    assert_int_equal(data_int(d, "totalMegabytes"), total_mb(st));
    json_decref(d);
    assert_true(r->observed_set);
    assert_string_equal(r->measurement, "utilization");
    assert_string_equal(r->unit, "%");
    assert_true(r->observed == df_percent(st));
}

/* ------------------------------------------------------------------------
 * Runs
 */

static void test_healthy(void **state)
{
    struct statvfs st;
    vitals_result_t *r;
    char want[256];
    (void)state;

    r = run_still("{\"path\": \"/\", \"degraded_below\": \"1B\"}", "/", &st);
    snprintf(want, sizeof(want), "%llu megabytes free of %llu on /",
             (unsigned long long)free_mb(&st),
             (unsigned long long)total_mb(&st));
    assert_int_equal(r->status, VITALS_HEALTHY);
    assert_string_equal(r->description, want);
    assert_null(r->error);
    check_data(r, &st);
    vresult_unref(r);
}

static void test_degraded(void **state)
{
    struct statvfs st;
    vitals_result_t *r;
    char want[256];
    (void)state;

    r = run_still("{\"path\": \"/\", \"degraded_below\": \"1000TB\"}", "/",
                  &st);
    snprintf(want, sizeof(want),
             "Minimum configured megabytes for / is 1000000000 but actual "
             "free space is %llu megabytes",
             (unsigned long long)free_mb(&st));
    assert_int_equal(r->status, VITALS_DEGRADED);
    assert_string_equal(r->description, want);
    assert_null(r->error);
    check_data(r, &st);
    vresult_unref(r);
}

static void test_unhealthy(void **state)
{
    struct statvfs st;
    vitals_result_t *r;
    char want[256];
    (void)state;

    r = run_still("{\"path\": \"/\", \"degraded_below\": \"1000TB\", "
                  "\"unhealthy_below\": \"999TB\"}",
                  "/", &st);
    snprintf(want, sizeof(want),
             "Minimum configured megabytes for / is 999000000 but actual "
             "free space is %llu megabytes",
             (unsigned long long)free_mb(&st));
    assert_int_equal(r->status, VITALS_UNHEALTHY);
    assert_string_equal(r->description, want);
    assert_string_equal(r->error, want);
    check_data(r, &st);
    vresult_unref(r);
}

/* Between the thresholds: degraded, not unhealthy. */
static void test_between_thresholds(void **state)
{
    struct statvfs st;
    vitals_result_t *r;
    char want[256];
    (void)state;

    r = run_still("{\"path\": \"/\", \"degraded_below\": \"1000TB\", "
                  "\"unhealthy_below\": \"1B\"}",
                  "/", &st);
    snprintf(want, sizeof(want),
             "Minimum configured megabytes for / is 1000000000 but actual "
             "free space is %llu megabytes",
             (unsigned long long)free_mb(&st));
    assert_int_equal(r->status, VITALS_DEGRADED);
    assert_string_equal(r->description, want);
    assert_null(r->error);
    vresult_unref(r);
}

/* /proc has no blocks at all: the default threshold (512MB) applies, and
 * the utilization of nothing is 0. */
static void test_default_threshold(void **state)
{
    vitals_result_t *r;
    json_t *d;
    (void)state;

    r = run_check(&vcheck_disk, "{\"path\": \"/proc\"}", 5000);
    assert_int_equal(r->status, VITALS_DEGRADED);
    assert_string_equal(r->description,
                        "Minimum configured megabytes for /proc is 512 but "
                        "actual free space is 0 megabytes");
    assert_null(r->error);
    d = data_of(r);
    assert_int_equal(data_int(d, "freeMegabytes"), 0);
    assert_int_equal(data_int(d, "totalMegabytes"), 0);
    json_decref(d);
    assert_true(r->observed == 0.0);
    vresult_unref(r);
}

/* Sizes in binary units are converted to whole megabytes (10^6). */
static void test_threshold_in_binary_units(void **state)
{
    vitals_result_t *r;
    (void)state;

    r = run_check(&vcheck_disk,
                  "{\"path\": \"/proc\", \"degraded_below\": \"1GiB\", "
                  "\"unhealthy_below\": \"500MiB\"}",
                  5000);
    assert_int_equal(r->status, VITALS_UNHEALTHY);
    assert_string_equal(r->error,
                        "Minimum configured megabytes for /proc is 524 but "
                        "actual free space is 0 megabytes");
    vresult_unref(r);
}

static void test_missing_path(void **state)
{
    vitals_result_t *r;
    (void)state;

    r = run_check(&vcheck_disk, "{\"path\": \"/nope\"}", 5000);
    assert_int_equal(r->status, VITALS_UNHEALTHY);
    assert_string_equal(r->error,
                        "cannot stat /nope: No such file or directory");
    assert_null(r->description);
    assert_string_equal(r->data_json, "{}");
    assert_false(r->observed_set);
    vresult_unref(r);
}

/* ------------------------------------------------------------------------
 * Configuration
 */

static void test_config_errors(void **state)
{
    (void)state;
    check_config_error(&vcheck_disk, "{}",
                       "settings: missing required key 'path'");
    check_config_error(&vcheck_disk, "{\"path\": null}",
                       "settings: missing required key 'path'");
    check_config_error(&vcheck_disk, "{\"path\": \"\"}",
                       "settings: 'path': must not be empty");
    check_config_error(&vcheck_disk, "{\"path\": [\"/\"]}",
                       "settings: 'path': expected a string, got a list");
    check_config_error(&vcheck_disk,
                       "{\"path\": \"/\", \"unhealthy_below\": \"1GB\"}",
                       "settings: 'unhealthy_below' (1GB) must be below "
                       "'degraded_below' (512MB)");
    check_config_error(&vcheck_disk,
                       "{\"path\": \"/\", \"degraded_below\": \"1GB\", "
                       "\"unhealthy_below\": \"1GB\"}",
                       "settings: 'unhealthy_below' (1GB) must be below "
                       "'degraded_below' (1GB)");
    /* Every error at once: a missing path and a bad size. */
    check_config_error(&vcheck_disk, "{\"degraded_below\": \"lots\"}",
                       "settings: missing required key 'path'; "
                       "settings: 'degraded_below': invalid size \"lots\" "
                       "(use a number and a unit: B, kB, MB, GB, TB, KiB, "
                       "MiB, GiB, TiB)");
}

/* The keys a disk check reads are marked read, so the loader does not
 * call them unknown. */
static void test_config_marks_keys_read(void **state)
{
    verrs_t *e = verrs_new();
    vnode_t *settings;
    void *st;
    (void)state;

    settings = vnode_from_json("{\"path\": \"/\", \"degraded_below\": "
                               "\"2GB\", \"unhealthy_below\": \"1GB\", "
                               "\"bogus\": 1}",
                               e);
    assert_non_null(settings);
    st = vcheck_configure(&vcheck_disk, settings, NULL, e);
    assert_non_null(st);
    vnode_map_done(settings, "check 'disk'", e);
    assert_int_equal(vitals_errors_count(e), 1);
    assert_string_equal(vitals_errors_get(e, 0),
                        "settings: unknown key 'bogus' in check 'disk'");
    vcheck_state_free(&vcheck_disk, st);
    vnode_free(settings);
    vitals_errors_free(e);
}

/* ------------------------------------------------------------------------
 * The table of types
 */

static void test_builtin_table(void **state)
{
    (void)state;
    assert_ptr_equal(vcheck_type_find("disk"), &vcheck_disk);
    assert_ptr_equal(vcheck_type_find("exec"), &vcheck_exec);
    assert_ptr_equal(vcheck_type_find("tcp"), &vcheck_tcp);
    assert_null(vcheck_type_find("nope"));
    assert_null(vcheck_type_find("Disk"));
    assert_null(vcheck_type_find(""));
    assert_null(vcheck_type_find(NULL));
    /* "a, b, c": every type, each found by its name, in sorted order. */
    {
        char *names = strdup(vcheck_type_names()), *save = NULL, *prev = NULL;
        int n = 0;

        for (char *t = strtok_r(names, ", ", &save); t != NULL;
             t = strtok_r(NULL, ", ", &save), n++) {
            assert_non_null(vcheck_type_find(t));
            if (prev != NULL)
                assert_true(strcmp(prev, t) < 0);
            prev = t;
        }
        assert_true(n >= 3);
        free(names);
    }
    assert_string_equal(vcheck_disk.component_type, "system");
    assert_string_equal(vcheck_exec.component_type, "component");
    assert_string_equal(vcheck_tcp.component_type, "component");
    /* Every type has the mandatory members: settings (or its own
     * configure) and run. */
    assert_non_null(vcheck_disk.settings);
    assert_non_null(vcheck_disk.run);
    assert_non_null(vcheck_exec.settings);
    assert_non_null(vcheck_exec.run);
    assert_non_null(vcheck_tcp.settings);
    assert_non_null(vcheck_tcp.run);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_healthy),
        cmocka_unit_test(test_degraded),
        cmocka_unit_test(test_unhealthy),
        cmocka_unit_test(test_between_thresholds),
        cmocka_unit_test(test_default_threshold),
        cmocka_unit_test(test_threshold_in_binary_units),
        cmocka_unit_test(test_missing_path),
        cmocka_unit_test(test_config_errors),
        cmocka_unit_test(test_config_marks_keys_read),
        cmocka_unit_test(test_builtin_table),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
