/* alertmanager.c - unit tests for the Alertmanager target's bodies
 * (lib/notify/alertmanager.c): a list of one postableAlert with its
 * labels, annotations, startsAt, endsAt (4 resend intervals ahead while
 * firing, now when resolved) and generatorURL. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "notifytest.h"

#define NOW 1602684300000000000LL /* 2020-10-14T14:05:00Z */

static json_t *render(vnotify_target_t *t, const vitals_snapshot_t *s,
                      int firing)
{
    vnotify_alert_t *a = &t->run.alerts[0];
    vnotify_event_t ev = {a, firing, VITALS_HEALTHY,
                          firing ? VITALS_UNHEALTHY : VITALS_HEALTHY, s, NOW};
    json_t *j = nt_render(t, &ev), *alert;

    if (!json_is_array(j) || json_array_size(j) != 1)
        fail_msg("not a list of one alert");
    alert = json_incref(json_array_get(j, 0));
    json_decref(j);
    return alert;
}

static void test_alert(void **state)
{
    vnotify_targets_t *ts = nt_targets(
        "{\"notify\": [{\"type\": \"alertmanager\", \"url\": "
        "\"http://127.0.0.1:9093\", \"page_url\": \"https://status.example/\", "
        "\"labels\": {\"team\": \"ops\"}}]}");
    vitals_snapshot_t *s = nt_failing("db", 0);
    json_t *a, *l, *an;

    (void)state;
    assert_int_equal(vnotify_observe(ts->v[0], s, NOW), 0);
    a = render(ts->v[0], s, 1);
    assert_int_equal(json_object_size(a), 5);
    l = json_object_get(a, "labels");
    assert_int_equal(json_object_size(l), 6);
    assert_string_equal(nt_str(l, "alertname"), "VitalsCheckFailing");
    assert_string_equal(nt_str(l, "check"), "db");
    assert_string_equal(nt_str(l, "severity"), "critical");
    assert_string_equal(nt_str(l, "service"), "orders");
    assert_string_equal(nt_str(l, "instance"), "host1");
    assert_string_equal(nt_str(l, "team"), "ops");
    an = json_object_get(a, "annotations");
    assert_int_equal(json_object_size(an), 2);
    assert_string_equal(nt_str(an, "summary"), "check db is unhealthy");
    assert_string_equal(nt_str(an, "description"), "connection refused");
    assert_string_equal(nt_str(a, "startsAt"), "2020-10-14T14:04:05.000000000Z");
    assert_string_equal(nt_str(a, "endsAt"), "2020-10-14T14:09:00.000000000Z");
    assert_string_equal(nt_str(a, "generatorURL"), "https://status.example/");
    json_decref(a);
    /* Resolved: ends now. A check that is not critical is a warning. */
    s->entries[0].pub.critical = 0;
    ts->v[0]->run.alerts[0].critical = 0;
    a = render(ts->v[0], s, 0);
    assert_string_equal(nt_str(a, "endsAt"), "2020-10-14T14:05:00.000000000Z");
    assert_string_equal(nt_str(json_object_get(a, "labels"), "severity"),
                        "warning");
    assert_string_equal(nt_str(json_object_get(a, "annotations"), "summary"),
                        "check db is healthy again");
    json_decref(a);
    vitals_snapshot_release(s);
    vnotify_targets_free(ts);
}

/* No service id, no page: those fields are left out, not empty. */
static void test_minimal(void **state)
{
    vnotify_targets_t *ts = nt_targets(
        "{\"notify\": [{\"type\": \"alertmanager\", \"url\": "
        "\"http://127.0.0.1:9093\", \"alertname\": \"HealthCheck\"}]}");
    vitals_snapshot_t *s = nt_failing("db", 0);
    json_t *a;

    (void)state;
    free(s->service_id);
    s->service_id = NULL;
    vnotify_observe(ts->v[0], s, NOW);
    a = render(ts->v[0], s, 1);
    assert_int_equal(json_object_size(a), 4);
    assert_null(json_object_get(json_object_get(a, "labels"), "service"));
    assert_string_equal(nt_str(json_object_get(a, "labels"), "alertname"),
                        "HealthCheck");
    json_decref(a);
    vitals_snapshot_release(s);
    vnotify_targets_free(ts);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_alert),
        cmocka_unit_test(test_minimal),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
