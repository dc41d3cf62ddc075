/* webhook.c - unit tests for the webhook target's bodies
 * (lib/notify/webhook.c): the JSON document of a transition, field by
 * field, and the Slack-compatible text with its escaping. */
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

/* The body t renders for the firing of check db (and then, when resolve,
 * its resolution). */
static json_t *render(vnotify_target_t *t, vitals_snapshot_t *s,
                      int resolve)
{
    vnotify_alert_t *a;
    vnotify_event_t ev;

    assert_int_equal(vnotify_observe(t, s, NOW), 0);
    a = &t->run.alerts[0];
    if (resolve) {
        a->firing = 0;
        a->status = VITALS_HEALTHY;
        a->since_ns = NOW;
    }
    ev = (vnotify_event_t){a, a->firing, resolve ? VITALS_UNHEALTHY
                                                 : VITALS_HEALTHY,
                           a->status, s, NOW};
    return nt_render(t, &ev);
}

static void test_document(void **state)
{
    vnotify_targets_t *ts = nt_targets(
        "{\"notify\": [{\"type\": \"webhook\", \"url\": \"http://x/\", "
        "\"page_url\": \"https://status.example/\"}]}");
    vitals_snapshot_t *s = nt_failing("db", 0);
    json_t *j = render(ts->v[0], s, 0);

    (void)state;
    assert_int_equal(json_object_size(j), 12);
    assert_string_equal(nt_str(j, "event"), "firing");
    assert_string_equal(nt_str(j, "check"), "db");
    assert_string_equal(nt_str(j, "old_status"), "healthy");
    assert_string_equal(nt_str(j, "new_status"), "unhealthy");
    assert_string_equal(nt_str(j, "output"), "connection refused");
    assert_string_equal(nt_str(j, "since"), "2020-10-14T14:04:05.000000000Z");
    assert_int_equal(json_integer_value(json_object_get(j, "failures")), 1);
    assert_true(json_is_true(json_object_get(j, "critical")));
    assert_string_equal(nt_str(j, "service"), "orders");
    assert_string_equal(nt_str(j, "instance"), "host1");
    assert_string_equal(nt_str(j, "url"), "https://status.example/");
    assert_string_equal(nt_str(j, "time"), "2020-10-14T14:05:00.000000000Z");
    json_decref(j);
    j = render(ts->v[0], s, 1);
    assert_string_equal(nt_str(j, "event"), "resolved");
    assert_string_equal(nt_str(j, "old_status"), "unhealthy");
    assert_string_equal(nt_str(j, "new_status"), "healthy");
    assert_string_equal(nt_str(j, "since"), "2020-10-14T14:05:00.000000000Z");
    json_decref(j);
    vitals_snapshot_release(s);
    vnotify_targets_free(ts);
}

static void test_slack(void **state)
{
    vnotify_targets_t *ts = nt_targets(
        "{\"notify\": [{\"type\": \"webhook\", \"url\": \"http://x/\", "
        "\"format\": \"slack\", \"page_url\": \"https://status.example/\"}]}");
    vitals_snapshot_t *s = nt_failing("db", 0);
    json_t *j;

    (void)state;
    s->entries[0].pub.error = "HTTP 503 <html> & co";
    j = render(ts->v[0], s, 0);
    assert_int_equal(json_object_size(j), 1);
    assert_string_equal(nt_str(j, "text"),
                        "[FIRING] check db is unhealthy (was healthy) - "
                        "orders on host1, since "
                        "2020-10-14T14:04:05.000000000Z: HTTP 503 "
                        "&lt;html&gt; &amp; co <https://status.example/|status "
                        "page>");
    json_decref(j);
    j = render(ts->v[0], s, 1);
    assert_string_equal(nt_str(j, "text"),
                        "[RESOLVED] check db is healthy again (was "
                        "unhealthy) - orders on host1, since "
                        "2020-10-14T14:05:00.000000000Z: HTTP 503 "
                        "&lt;html&gt; &amp; co <https://status.example/|status "
                        "page>");
    json_decref(j);
    vitals_snapshot_release(s);
    vnotify_targets_free(ts);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_document),
        cmocka_unit_test(test_slack),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
