/* agent.c - the HAProxy agent line, byte for byte: weights and maxconn as
 * configured, the reason only with details and made safe for one line
 * (controls, bytes that are not UTF-8, cut at a character boundary),
 * views, tags and names as agent-send selects them, and the lifecycle. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

/* Included, as h2o's unit tests do, to reach its static functions; its
 * one exported symbol renamed so as not to clash with the library's. */
#define vlistener_agent vlistener_agent_included
#include "listen/agent.c"

static const char *const ready_tag[] = {"ready"};
static const char *const live_tag[] = {"live"};

/* A snapshot of db (tagged ready) and loop (tagged live), with db's
 * status and texts as given. */
static vitals_snapshot_t *snap(vitals_status_t db, const char *error,
                               const char *description)
{
    vitals_snapshot_t *s = vsnap_new(2);

    assert_non_null(s);
    s->entries[0].pub.name = "db";
    s->entries[0].pub.status = db;
    s->entries[0].pub.error = error;
    s->entries[0].pub.description = description;
    s->entries[0].pub.tags = ready_tag;
    s->entries[0].pub.ntags = 1;
    s->entries[0].has_run = 1;
    s->entries[1].pub.name = "loop";
    s->entries[1].pub.tags = live_tag;
    s->entries[1].pub.ntags = 1;
    s->entries[1].has_run = 1;
    s->status = db;
    return s;
}

static void assert_agent(const vitals_snapshot_t *s, const char *request,
                         const agent_conf_t *c, const char *want)
{
    char out[256];
    size_t n = agent_line(s, request, c, out, sizeof(out));

    assert_string_equal(out, want);
    assert_int_equal(n, strlen(want));
}

static void test_request(void **state)
{
    char a[] = "ready\r\nmore", b[] = " \tdb \t\n", c[] = "", d[] = "live";

    (void)state;
    assert_string_equal(agent_request(a, strlen(a)), "ready");
    assert_string_equal(agent_request(b, strlen(b)), "db");
    assert_string_equal(agent_request(c, 0), "");
    assert_string_equal(agent_request(d, 4), "live");
}

static void test_weights_and_maxconn(void **state)
{
    agent_conf_t c = {.weight = 80, .degraded_weight = 30, .maxconn = 50};
    vitals_snapshot_t *s = snap(VITALS_HEALTHY, NULL, NULL);

    (void)state;
    assert_agent(s, "", &c, "up ready 80% maxconn:50\n");
    vitals_snapshot_release(s);
    s = snap(VITALS_DEGRADED, NULL, "slow");
    assert_agent(s, "ready", &c, "up ready 30% maxconn:50\n");
    c.maxconn = 0;
    c.degraded_weight = 0;
    assert_agent(s, "db", &c, "up ready 0%\n");
    vitals_snapshot_release(s);
}

static void test_down_and_reasons(void **state)
{
    agent_conf_t c = {.weight = 100, .degraded_weight = 50, .details = 1};
    vitals_snapshot_t *s = snap(VITALS_UNHEALTHY, "refused\r\nby\tpeer",
                                NULL);

    (void)state;
    assert_agent(s, "", &c, "down ready #db: refused  by peer\n");
    assert_agent(s, "ready", &c, "down ready #db: refused  by peer\n");
    assert_agent(s, "live", &c, "up ready 100%\n");
    assert_agent(s, "loop", &c, "up ready 100%\n");
    assert_agent(s, "nope", &c, "down #unknown check\n");
    c.details = 0;
    assert_agent(s, "db", &c, "down ready\n");
    vitals_snapshot_release(s);
    /* No error: the description says why. */
    c.details = 1;
    s = snap(VITALS_UNHEALTHY, NULL, "disk full");
    assert_agent(s, "", &c, "down ready #db: disk full\n");
    vitals_snapshot_release(s);
}

/* A long reason is cut to AGENT_MAX_REASON bytes, never inside a
 * character; a byte that is not UTF-8 becomes '?'. */
static void test_reason_cut(void **state)
{
    agent_conf_t c = {.weight = 100, .details = 1};
    char error[400], out[256], *reason;
    vitals_snapshot_t *s;

    (void)state;
    for (size_t i = 0; i + 2 < sizeof(error); i += 2)
        memcpy(error + i, "\xc3\xa9", 2);
    error[sizeof(error) - 2] = '\0';
    error[0] = '\xff';
    s = snap(VITALS_UNHEALTHY, error, NULL);
    agent_line(s, "", &c, out, sizeof(out));
    reason = strchr(out, '#') + 1;
    /* "db: ??" (0xff, and the rest of the character it replaced), 57
     * two-byte characters (120 bytes in all), and the newline. */
    assert_int_equal(strlen(reason), 6 + 57 * 2 + 1);
    assert_memory_equal(reason, "db: ??\xc3\xa9", 8);
    assert_true(vutf8_valid(reason, strlen(reason)));
    assert_int_equal(out[strlen(out) - 1], '\n');
    vitals_snapshot_release(s);
}

static void test_lifecycle(void **state)
{
    agent_conf_t c = {.weight = 100, .degraded_weight = 50, .details = 1};
    vitals_snapshot_t *s = snap(VITALS_UNHEALTHY, "refused", NULL);

    (void)state;
    s->maintenance = "moving racks";
    assert_agent(s, "", &c, "maint\n");
    assert_agent(s, "db", &c, "maint\n");
    assert_agent(s, "live", &c, "up ready 100%\n");
    s->draining = 1;
    assert_agent(s, "ready", &c, "drain\n");
    assert_agent(s, "startup", &c, "up ready 100%\n"); /* never fails */
    vitals_snapshot_release(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_request),
        cmocka_unit_test(test_weights_and_maxconn),
        cmocka_unit_test(test_down_and_reasons),
        cmocka_unit_test(test_reason_cut),
        cmocka_unit_test(test_lifecycle),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
