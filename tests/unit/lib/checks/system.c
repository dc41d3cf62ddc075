/* system.c - unit tests for the "system" check type
 * (lib/checks/system.c): fixed /proc/meminfo and /proc/loadavg contents
 * from a temporary directory and a fixed CPU count (through the type's test
 * hook) for exact thresholds, and one run on the real /proc. */
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
#include "engine/result.h"
#include "config/vnode.h"

extern const vcheck_type_t vcheck_system;
void vcheck_system_test_hook(const char *proc_root, long cores);

static char dir[64];

#define BOTH                                                                \
    "{\"memory_available_below\": {\"degraded\": 20, \"unhealthy\": 5}, "   \
    "\"load_per_core_above\": {\"degraded\": 1.5, \"unhealthy\": 3}}"
#define MEMORY_ONLY                                                         \
    "{\"memory_available_below\": {\"degraded\": 20, \"unhealthy\": 5}}"
#define LOAD_ONLY                                                           \
    "{\"load_per_core_above\": {\"degraded\": 1.5, \"unhealthy\": 3}}"

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof(dir), "/tmp/vitals-system-XXXXXX");
    if (!mkdtemp(dir))
        return -1;
    vcheck_system_test_hook(dir, 4);
    return 0;
}

static int teardown(void **state)
{
    char cmd[128];
    (void)state;

    vcheck_system_test_hook(NULL, 0);
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

static void write_proc(const char *name, const char *content)
{
    char path[128];
    FILE *f;

    snprintf(path, sizeof(path), "%s/%s", dir, name);
    f = fopen(path, "w");
    assert_non_null(f);
    assert_true(fputs(content, f) >= 0);
    assert_int_equal(fclose(f), 0);
}

/* A meminfo as the kernel writes it, with total and available in kB. */
static void write_meminfo(unsigned long total, unsigned long avail)
{
    char text[512];

    snprintf(text, sizeof(text),
             "MemTotal:       %8lu kB\n"
             "MemFree:         1234567 kB\n"
             "MemAvailable:   %8lu kB\n"
             "Buffers:          123456 kB\n"
             "Cached:          2345678 kB\n",
             total, avail);
    write_proc("meminfo", text);
}

static void write_loadavg(const char *one_minute)
{
    char text[128];

    snprintf(text, sizeof(text), "%s 0.58 0.59 2/467 12345\n", one_minute);
    write_proc("loadavg", text);
}

static void check_result(const char *json, vitals_status_t status,
                         const char *description)
{
    vitals_result_t *r = run_check(&vcheck_system, json, 5000);

    assert_int_equal(r->status, status);
    assert_string_equal(r->description, description);
    if (status == VITALS_UNHEALTHY)
        assert_string_equal(r->error, description);
    else
        assert_null(r->error);
    vresult_unref(r);
}

static void check_failed(const char *json, const char *error)
{
    vitals_result_t *r = run_check(&vcheck_system, json, 5000);

    assert_int_equal(r->status, VITALS_UNHEALTHY);
    assert_string_equal(r->error, error);
    assert_null(r->description);
    assert_string_equal(r->data_json, "{}");
    vresult_unref(r);
}

/* ------------------------------------------------------------------------
 * Runs on fixed numbers
 */

static void test_healthy(void **state)
{
    vitals_result_t *r;
    json_t *d, *want;
    (void)state;

    write_meminfo(16000000, 9920000); /* 62.0% */
    write_loadavg("1.24");            /* 0.31 on 4 CPUs */
    r = run_check(&vcheck_system, BOTH, 5000);
    assert_int_equal(r->status, VITALS_HEALTHY);
    assert_null(r->error);
    assert_string_equal(r->description,
                        "memory available 62.0%, load per core 0.31");
    d = data_of(r);
    want = json_pack("{s:f, s:f, s:i}", "memoryAvailablePercent", 62.0,
                     "loadPerCore", 0.31, "cores", 4);
    assert_true(json_equal(d, want));
    assert_true(r->observed_set);
    assert_string_equal(r->measurement, "memoryAvailable");
    assert_string_equal(r->unit, "%");
    assert_true(r->observed == 62.0);
    json_decref(want);
    json_decref(d);
    vresult_unref(r);
}

static void test_memory_levels(void **state)
{
    (void)state;
    write_loadavg("1.24");

    write_meminfo(16000000, 2400000); /* 15.0% */
    check_result(BOTH, VITALS_DEGRADED,
                 "memory available 15.0% is below 20%, load per core 0.31");
    write_meminfo(16000000, 672000); /* 4.2% */
    check_result(BOTH, VITALS_UNHEALTHY,
                 "memory available 4.2% is below 5%, load per core 0.31");
    /* At a level is not below it. */
    write_meminfo(16000000, 800000); /* 5.0% */
    check_result(BOTH, VITALS_DEGRADED,
                 "memory available 5.0% is below 20%, load per core 0.31");
    write_meminfo(16000000, 3200000); /* 20.0% */
    check_result(BOTH, VITALS_HEALTHY,
                 "memory available 20.0%, load per core 0.31");
    /* Compared as shown: 4.96% shows as 5.0%, which is not below 5%. */
    write_meminfo(10000000, 496000);
    check_result(BOTH, VITALS_DEGRADED,
                 "memory available 5.0% is below 20%, load per core 0.31");
    write_meminfo(10000000, 494000); /* 4.94% */
    check_result(BOTH, VITALS_UNHEALTHY,
                 "memory available 4.9% is below 5%, load per core 0.31");
    /* None at all; and more than the total (never, but not 110%). */
    write_meminfo(16000000, 0);
    check_result(BOTH, VITALS_UNHEALTHY,
                 "memory available 0.0% is below 5%, load per core 0.31");
    write_meminfo(16000000, 17000000);
    check_result(BOTH, VITALS_HEALTHY,
                 "memory available 100.0%, load per core 0.31");
}

static void test_load_levels(void **state)
{
    (void)state;
    write_meminfo(16000000, 9920000); /* 62.0% */

    write_loadavg("8.00"); /* 2.00 per CPU */
    check_result(BOTH, VITALS_DEGRADED,
                 "memory available 62.0%, load per core 2.00 is above 1.5");
    write_loadavg("14.00"); /* 3.50 */
    check_result(BOTH, VITALS_UNHEALTHY,
                 "memory available 62.0%, load per core 3.50 is above 3");
    /* At a level is not above it. */
    write_loadavg("12.00"); /* 3.00 */
    check_result(BOTH, VITALS_DEGRADED,
                 "memory available 62.0%, load per core 3.00 is above 1.5");
    write_loadavg("6.00"); /* 1.50 */
    check_result(BOTH, VITALS_HEALTHY,
                 "memory available 62.0%, load per core 1.50");
    /* 6.01 / 4 = 1.5025, shown 1.50: not above 1.5. */
    write_loadavg("6.01");
    check_result(BOTH, VITALS_HEALTHY,
                 "memory available 62.0%, load per core 1.50");
    write_loadavg("6.02"); /* 1.505, shown 1.51 */
    check_result(BOTH, VITALS_DEGRADED,
                 "memory available 62.0%, load per core 1.51 is above 1.5");
    write_loadavg("0.00");
    check_result(BOTH, VITALS_HEALTHY,
                 "memory available 62.0%, load per core 0.00");
}

/* The worst of the two decides; both say why. */
static void test_both_beyond(void **state)
{
    (void)state;
    write_meminfo(16000000, 2400000); /* 15.0%: degraded */
    write_loadavg("14.00");           /* 3.50: unhealthy */
    check_result(BOTH, VITALS_UNHEALTHY,
                 "memory available 15.0% is below 20%, load per core 3.50 "
                 "is above 3");
    write_meminfo(16000000, 672000); /* 4.2%: unhealthy */
    write_loadavg("8.00");           /* 2.00: degraded */
    check_result(BOTH, VITALS_UNHEALTHY,
                 "memory available 4.2% is below 5%, load per core 2.00 is "
                 "above 1.5");
}

/* Only what has levels is read and shown: the other file may be missing. */
static void test_one_measurement(void **state)
{
    vitals_result_t *r;
    json_t *d, *want;
    char path[128];
    (void)state;

    snprintf(path, sizeof(path), "%s/loadavg", dir);
    unlink(path);
    write_meminfo(16000000, 9920000);
    r = run_check(&vcheck_system, MEMORY_ONLY, 5000);
    assert_int_equal(r->status, VITALS_HEALTHY);
    assert_string_equal(r->description, "memory available 62.0%");
    d = data_of(r);
    want = json_pack("{s:f}", "memoryAvailablePercent", 62.0);
    assert_true(json_equal(d, want));
    json_decref(want);
    json_decref(d);
    vresult_unref(r);

    snprintf(path, sizeof(path), "%s/meminfo", dir);
    unlink(path);
    write_loadavg("14.00");
    r = run_check(&vcheck_system, LOAD_ONLY, 5000);
    assert_int_equal(r->status, VITALS_UNHEALTHY);
    assert_string_equal(r->description, "load per core 3.50 is above 3");
    assert_string_equal(r->error, "load per core 3.50 is above 3");
    d = data_of(r);
    want = json_pack("{s:f, s:i}", "loadPerCore", 3.5, "cores", 4);
    assert_true(json_equal(d, want));
    assert_true(r->observed_set);
    assert_string_equal(r->measurement, "loadPerCore");
    assert_null(r->unit);
    assert_true(r->observed == 3.5);
    json_decref(want);
    json_decref(d);
    vresult_unref(r);
}

/* One level alone: the other never fires. */
static void test_single_level(void **state)
{
    (void)state;
    write_meminfo(16000000, 672000); /* 4.2% */
    write_loadavg("14.00");          /* 3.50 */
    check_result("{\"memory_available_below\": {\"degraded\": 10}, "
                 "\"load_per_core_above\": {\"degraded\": 2}}",
                 VITALS_DEGRADED,
                 "memory available 4.2% is below 10%, load per core 3.50 is "
                 "above 2");
    check_result("{\"memory_available_below\": {\"unhealthy\": 3}, "
                 "\"load_per_core_above\": {\"unhealthy\": 4}}",
                 VITALS_HEALTHY,
                 "memory available 4.2%, load per core 3.50");
}

static void test_read_errors(void **state)
{
    char path[128], want[256];
    (void)state;

    snprintf(path, sizeof(path), "%s/meminfo", dir);
    unlink(path);
    write_loadavg("1.00");
    snprintf(want, sizeof(want),
             "cannot read %s/meminfo: No such file or directory", dir);
    check_failed(BOTH, want);

    write_proc("meminfo", "MemTotal: 16000000 kB\nMemFree: 100 kB\n");
    snprintf(want, sizeof(want),
             "no MemAvailable in %s/meminfo (Linux 3.14 or later has it)",
             dir);
    check_failed(BOTH, want);

    write_proc("meminfo", "MemAvailable: 100 kB\n");
    snprintf(want, sizeof(want), "no MemTotal in %s/meminfo", dir);
    check_failed(BOTH, want);

    write_meminfo(16000000, 9920000);
    write_proc("loadavg", "garbage\n");
    snprintf(want, sizeof(want), "cannot parse %s/loadavg: \"garbage\"", dir);
    check_failed(BOTH, want);

    write_proc("loadavg", "inf 1 1 1/1 1\n");
    snprintf(want, sizeof(want),
             "cannot parse %s/loadavg: \"inf 1 1 1/1 1\"", dir);
    check_failed(BOTH, want);
}

/* The machine's own /proc and CPU count, with levels nothing reaches. */
static void test_real_proc(void **state)
{
    vitals_result_t *r;
    json_t *d;
    double pct, load;
    char want[128];
    (void)state;

    vcheck_system_test_hook(NULL, 0);
    r = run_check(&vcheck_system,
                  "{\"memory_available_below\": {\"unhealthy\": 0.01}, "
                  "\"load_per_core_above\": {\"unhealthy\": 1000000}}",
                  5000);
    vcheck_system_test_hook(dir, 4);
    assert_int_equal(r->status, VITALS_HEALTHY);
    d = data_of(r);
    assert_int_equal(json_integer_value(json_object_get(d, "cores")),
                     sysconf(_SC_NPROCESSORS_ONLN));
    pct = json_real_value(json_object_get(d, "memoryAvailablePercent"));
    load = json_real_value(json_object_get(d, "loadPerCore"));
    assert_true(pct > 0 && pct <= 100);
    assert_true(load >= 0);
    snprintf(want, sizeof(want), "memory available %.1f%%, load per core %.2f",
             pct, load);
    assert_string_equal(r->description, want);
    json_decref(d);
    vresult_unref(r);
}

/* ------------------------------------------------------------------------
 * Configuration
 */

static void test_config_errors(void **state)
{
    (void)state;
    check_config_error(&vcheck_system, "{}",
                       "settings: set 'memory_available_below', "
                       "'load_per_core_above' or both");
    check_config_error(&vcheck_system, "{\"memory_available_below\": 20}",
                       "settings: 'memory_available_below': expected a map of "
                       "'degraded' and 'unhealthy' levels, got \"20\"");
    check_config_error(&vcheck_system, "{\"load_per_core_above\": [1, 2]}",
                       "settings: 'load_per_core_above': expected a map of "
                       "'degraded' and 'unhealthy' levels, got a list");
    check_config_error(&vcheck_system, "{\"memory_available_below\": {}}",
                       "settings: 'memory_available_below': set 'degraded', "
                       "'unhealthy' or both");
    check_config_error(&vcheck_system,
                       "{\"memory_available_below\": {\"degraded\": null}}",
                       "settings: 'memory_available_below': set 'degraded', "
                       "'unhealthy' or both");
    /* Unhealthy must be worse than degraded. */
    check_config_error(&vcheck_system,
                       "{\"memory_available_below\": {\"degraded\": 5, "
                       "\"unhealthy\": 20}}",
                       "settings: 'memory_available_below.unhealthy' (20) "
                       "must be below 'memory_available_below.degraded' (5)");
    check_config_error(&vcheck_system,
                       "{\"memory_available_below\": {\"degraded\": 10, "
                       "\"unhealthy\": 10}}",
                       "settings: 'memory_available_below.unhealthy' (10) "
                       "must be below 'memory_available_below.degraded' (10)");
    check_config_error(&vcheck_system,
                       "{\"load_per_core_above\": {\"degraded\": 3, "
                       "\"unhealthy\": 1.5}}",
                       "settings: 'load_per_core_above.unhealthy' (1.5) must "
                       "be above 'load_per_core_above.degraded' (3)");
    /* Levels. */
    check_config_error(&vcheck_system,
                       "{\"memory_available_below\": {\"degraded\": 120}}",
                       "settings: 'memory_available_below.degraded': expected "
                       "a number above 0 and at most 100, got \"120\"");
    check_config_error(&vcheck_system,
                       "{\"memory_available_below\": {\"unhealthy\": 0}}",
                       "settings: 'memory_available_below.unhealthy': "
                       "expected a number above 0 and at most 100, got \"0\"");
    check_config_error(&vcheck_system,
                       "{\"memory_available_below\": {\"degraded\": \"20\"}}",
                       "settings: 'memory_available_below.degraded': expected "
                       "a number above 0 and at most 100, got the string "
                       "\"20\"");
    check_config_error(&vcheck_system,
                       "{\"memory_available_below\": {\"degraded\": \"20%\"}}",
                       "settings: 'memory_available_below.degraded': expected "
                       "a number above 0 and at most 100, got the string "
                       "\"20%\"");
    check_config_error(&vcheck_system,
                       "{\"load_per_core_above\": {\"degraded\": -1}}",
                       "settings: 'load_per_core_above.degraded': expected a "
                       "number above 0, got \"-1\"");
    check_config_error(&vcheck_system,
                       "{\"load_per_core_above\": {\"unhealthy\": {}}}",
                       "settings: 'load_per_core_above.unhealthy': expected a "
                       "number above 0, got a map");
    check_config_error(&vcheck_system,
                       "{\"load_per_core_above\": {\"unhealthy\": true}}",
                       "settings: 'load_per_core_above.unhealthy': expected a "
                       "number above 0, got \"true\"");
    /* Unknown keys inside, and every error in one pass. */
    check_config_error(&vcheck_system,
                       "{\"memory_available_below\": {\"degraded\": 20, "
                       "\"critical\": 5}}",
                       "settings: unknown key 'critical' in "
                       "'memory_available_below'");
    check_config_error(&vcheck_system,
                       "{\"memory_available_below\": {\"degraded\": 200}, "
                       "\"load_per_core_above\": {\"degraded\": 0}}",
                       "settings: 'memory_available_below.degraded': expected "
                       "a number above 0 and at most 100, got \"200\"; "
                       "settings: 'load_per_core_above.degraded': expected a "
                       "number above 0, got \"0\"");
}

static void check_config_ok(const char *json)
{
    verrs_t *e = verrs_new();
    vnode_t *settings = vnode_from_json(json, e);
    void *state;
    char *msg;

    assert_non_null(settings);
    state = vcheck_configure(&vcheck_system, settings, NULL, e);
    if (!state) {
        msg = verrs_join(e);
        fail_msg("configure %s: %s", json, msg ? msg : "(no error)");
    }
    assert_int_equal(vitals_errors_count(e), 0);
    vcheck_state_free(&vcheck_system, state);
    vnode_free(settings);
    vitals_errors_free(e);
}

static void test_config_accepts(void **state)
{
    (void)state;
    check_config_ok(BOTH);
    check_config_ok(MEMORY_ONLY);
    check_config_ok(LOAD_ONLY);
    check_config_ok("{\"memory_available_below\": {\"degraded\": 100}}");
    check_config_ok("{\"memory_available_below\": {\"unhealthy\": 0.5}}");
    check_config_ok("{\"load_per_core_above\": {\"degraded\": 1e1}}");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_healthy),
        cmocka_unit_test(test_memory_levels),
        cmocka_unit_test(test_load_levels),
        cmocka_unit_test(test_both_beyond),
        cmocka_unit_test(test_one_measurement),
        cmocka_unit_test(test_single_level),
        cmocka_unit_test(test_read_errors),
        cmocka_unit_test(test_real_proc),
        cmocka_unit_test(test_config_errors),
        cmocka_unit_test(test_config_accepts),
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}
