/* ietf.c - the IETF health+json rendering of a snapshot, byte for
 * byte: field names, order, status words, output only when not passing,
 * observed values, nested results as one object per member. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "outputs/format.h"
#include "snaptest.h"

static void disk(vitals_result_t *r, void *d)
{
    (void)d;
    vitals_result_set_status(r, VITALS_DEGRADED);
    vitals_result_set_description(r, "Minimum configured megabytes for / is "
                                     "512 but actual free space is 252 "
                                     "megabytes");
    vitals_result_observe(r, "utilization", 97.5, "%");
}

static void printers(vitals_result_t *r, void *d)
{
    (void)d;
    vitals_result_child(r, "Fiscal2");
    vitals_result_set_error(vitals_result_child(r, "Virtual"),
                            "not reachable at 'usb-printer'");
    vitals_result_set_status(r, VITALS_UNHEALTHY);
}

static void ok(vitals_result_t *r, void *d)
{
    (void)r;
    (void)d;
}

static char *render(vitals_t *v)
{
    vitals_snapshot_t *s = snap_run(v);
    vview_t view;
    assert_int_equal(vview_init(&view, s, NULL), 0);
    vbody_t *b = vformat_ietf(&view);
    vview_free(&view);
    char *text = strndup(b->data, b->len);
    vbody_free(b);
    vitals_snapshot_release(s);
    return text;
}

static void test_full_document(void **state)
{
    vitals_t *v = snap_instance();
    char *text;

    (void)state;
    vitals_set_service(v, "orders-api", "Orders API", "1", "1.4.2");
    vitals_add_check(v, "diskstorage", NULL, disk, NULL, NULL);
    vitals_add_check(v, "fiscalPrinters", NULL, printers, NULL, NULL);
    vitals_add_check(v, "qerko", NULL, ok, NULL, NULL);
    text = render(v);
    assert_string_equal(
        text,
        "{\"status\":\"fail\",\"version\":\"1\",\"releaseId\":\"1.4.2\","
        "\"serviceId\":\"orders-api\",\"description\":\"Orders API\","
        "\"checks\":{"
        "\"diskstorage:utilization\":[{\"componentId\":\"diskstorage\","
        "\"componentType\":\"component\",\"observedValue\":97.5,"
        "\"observedUnit\":\"%\",\"status\":\"warn\","
        "\"time\":\"2020-10-14T14:04:05.000000000Z\",\"output\":\"Minimum "
        "configured megabytes for / is 512 but actual free space is 252 "
        "megabytes\"}],"
        "\"fiscalPrinters\":[{\"componentId\":\"Fiscal2\","
        "\"componentType\":\"component\",\"status\":\"pass\","
        "\"time\":\"2020-10-14T14:04:05.000000000Z\"},"
        "{\"componentId\":\"Virtual\",\"componentType\":\"component\","
        "\"status\":\"fail\",\"time\":\"2020-10-14T14:04:05.000000000Z\","
        "\"output\":\"not reachable at 'usb-printer'\"}],"
        "\"qerko\":[{\"componentId\":\"qerko\",\"componentType\":"
        "\"component\",\"status\":\"pass\","
        "\"time\":\"2020-10-14T14:04:05.000000000Z\"}]}}");
    free(text);
    vitals_free(v);
}

static void test_minimal_document(void **state)
{
    vitals_t *v = snap_instance();
    char *text;

    (void)state;
    text = render(v);
    assert_string_equal(text, "{\"status\":\"pass\",\"checks\":{}}");
    free(text);
    /* A check that has not run: fail, no time, says so. */
    vitals_check_opts_t o;
    vitals_check_opts_init(&o);
    o.initial_delay_ms = 60000;
    vitals_add_check(v, "later", &o, ok, NULL, NULL);
    text = render(v);
    assert_string_equal(text,
                        "{\"status\":\"fail\",\"checks\":{\"later\":[{"
                        "\"componentId\":\"later\",\"componentType\":"
                        "\"component\",\"status\":\"fail\",\"output\":"
                        "\"not yet run\"}]}}");
    free(text);
    vitals_free(v);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_full_document),
        cmocka_unit_test(test_minimal_document),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
