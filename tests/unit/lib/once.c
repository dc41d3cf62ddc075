/* once.c - unit tests for vitals_run_once (lib/once.c): it returns when
 * every check has a result, a hung one reported as timed out at its
 * deadline, and refuses a running instance. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <unistd.h>

#include "vitals.h"

static void passing(vitals_result_t *r, void *data)
{
    (void)data;
    vitals_result_set_description(r, "fine");
}

static void hanging(vitals_result_t *r, void *data)
{
    (void)data;
    while (vitals_result_remaining_ms(r) > 0)
        usleep(1000);
    usleep(200 * 1000); /* well past its deadline */
}

static void test_every_check_has_a_result(void **state)
{
    vitals_t *v = vitals_new();
    vitals_check_opts_t o;
    vitals_snapshot_t *s;
    (void)state;

    vitals_check_opts_init(&o);
    o.initial_delay_ms = 60000; /* ignored: due now */
    o.timeout_ms = 50;
    assert_int_equal(vitals_add_check(v, "ok", &o, passing, NULL, NULL), 0);
    assert_int_equal(vitals_add_check(v, "hung", &o, hanging, NULL, NULL), 0);
    assert_int_equal(vitals_run_once(NULL), VITALS_EINVAL);
    assert_int_equal(vitals_run_once(v), VITALS_OK);
    s = vitals_snapshot_get(v);
    assert_int_equal(vitals_snapshot_count(s), 2);
    assert_int_equal(vitals_snapshot_check(s, 0)->status, VITALS_HEALTHY);
    assert_string_equal(vitals_snapshot_check(s, 0)->description, "fine");
    assert_int_equal(vitals_snapshot_check(s, 1)->status, VITALS_UNHEALTHY);
    assert_string_equal(vitals_snapshot_check(s, 1)->error,
                        "timed out after 50ms");
    vitals_snapshot_release(s);
    vitals_free(v);
}

static void test_no_checks(void **state)
{
    vitals_t *v = vitals_new();
    (void)state;

    assert_int_equal(vitals_run_once(v), VITALS_OK);
    vitals_free(v);
}

static void test_busy_when_running(void **state)
{
    vitals_t *v = vitals_new();
    (void)state;

    assert_int_equal(vitals_start(v), VITALS_OK);
    assert_int_equal(vitals_run_once(v), VITALS_EBUSY);
    vitals_free(v);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_check_has_a_result),
        cmocka_unit_test(test_no_checks),
        cmocka_unit_test(test_busy_when_running),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
