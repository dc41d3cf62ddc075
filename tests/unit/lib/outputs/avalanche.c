/* avalanche.c - avalanchego's health result (seed 002) byte for
 * byte: key order, failure streaks, checks not yet run, nested results,
 * details off, healthy with degraded checks. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fakeclock.h"
#include "outputs/format.h"
#include "snaptest.h"

#define S VCLOCK_S
#define REAL0 1602681370576435413LL /* 2020-10-14T13:16:10.576435413Z */

/* How long the run in progress takes, in fake time: each check sets it, so
 * every duration is exact whatever order the checks run in. */
static int64_t cost;

static vitals_t *new_instance(void)
{
    fakeclock_reset();
    fake.real = REAL0;
    return snap_instance();
}

static void add(vitals_t *v, const char *name, vitals_check_fn fn,
                void (*tweak)(vitals_check_opts_t *))
{
    vitals_check_opts_t o;

    vitals_check_opts_init(&o);
    if (tweak != NULL)
        tweak(&o);
    assert_int_equal(vitals_add_check(v, name, &o, fn, NULL, NULL), 0);
}

/* What the run that just ended set, and 0 for the next one. */
static int64_t spent(const vrun_t *run)
{
    int64_t ns = cost;

    (void)run;
    cost = 0;
    return ns;
}

/* Runs every due check inline (each finishing after its cost) and
 * publishes. */
static void tick(vitals_t *v)
{
    snap_tick(v, spent);
}

/* When VITALS_TEST_OUT names a directory, every body is also written there
 * (one file per test), to validate against docs/schemas/avalanche.json. */
static void keep(const char *name, const char *text)
{
    char file[128];

    snprintf(file, sizeof(file), "avalanche_%s", name);
    snap_keep(file, text);
}

/* The body of the latest snapshot, all checks, with or without details. */
static char *render(vitals_t *v, int details, const char *name)
{
    vitals_snapshot_t *s = vitals_snapshot_get(v);
    vview_t view;
    vbody_t *b;
    char *text;

    assert_int_equal(vview_init(&view, s, NULL), 0);
    view.details = details;
    b = vformat_avalanche(&view);
    assert_non_null(b);
    text = strndup(b->data, b->len);
    assert_non_null(text);
    vbody_free(b);
    vview_free(&view);
    vitals_snapshot_release(s);
    keep(name, text);
    return text;
}

/* The checks of seed 002's example. */
static void chain_c(vitals_result_t *r, void *d)
{
    (void)d;
    vitals_result_set_error(r, "example error message");
    cost = 465253;
}

static void chain_p(vitals_result_t *r, void *d)
{
    (void)d;
    vitals_result_set_double(r, "percentConnected", 0.9967694992864075);
    cost = 433363830;
}

static void chain_x(vitals_result_t *r, void *d)
{
    (void)r;
    (void)d;
    cost = 1853;
}

static void bootstrapped(vitals_result_t *r, void *d)
{
    (void)r;
    (void)d;
    cost = 8075;
}

static void heartbeat(vitals_result_t *r, void *d)
{
    (void)d;
    vitals_result_set_int(r, "heartbeat", 1602684245);
    cost = 6124;
}

static void test_seed_example(void **state)
{
    vitals_t *v = new_instance();
    char *text;

    (void)state;
    add(v, "C", chain_c, NULL);
    add(v, "P", chain_p, NULL);
    add(v, "X", chain_x, NULL);
    add(v, "chains.default.bootstrapped", bootstrapped, NULL);
    add(v, "network.validators.heartbeat", heartbeat, NULL);
    /* 50 rounds, 30 s apart: C's streak starts at the first. */
    for (int i = 0; i < 50; i++) {
        if (i > 0)
            fakeclock_advance(30 * S);
        tick(v);
    }
    text = render(v, 1, "seed");
    /* percentConnected keeps 15 significant digits (vformat_dump), so
     * 0.9967694992864075 shows as 0.996769499286407. The seed's
     * "message": null for C is Go's nil: here an empty data object is left
     * out, as avalanchego's omitempty does. */
    assert_string_equal(
        text,
        "{\"checks\":{"
        "\"C\":{\"error\":{\"message\":\"example error message\"},"
        "\"timestamp\":\"2020-10-14T13:40:40.576435413Z\","
        "\"duration\":465253,\"contiguousFailures\":50,"
        "\"timeOfFirstFailure\":\"2020-10-14T13:16:10.576435413Z\"},"
        "\"P\":{\"message\":{\"percentConnected\":0.996769499286407},"
        "\"timestamp\":\"2020-10-14T13:40:40.576435413Z\","
        "\"duration\":433363830,\"contiguousFailures\":0,"
        "\"timeOfFirstFailure\":null},"
        "\"X\":{\"timestamp\":\"2020-10-14T13:40:40.576435413Z\","
        "\"duration\":1853,\"contiguousFailures\":0,"
        "\"timeOfFirstFailure\":null},"
        "\"chains.default.bootstrapped\":{"
        "\"timestamp\":\"2020-10-14T13:40:40.576435413Z\","
        "\"duration\":8075,\"contiguousFailures\":0,"
        "\"timeOfFirstFailure\":null},"
        "\"network.validators.heartbeat\":{"
        "\"message\":{\"heartbeat\":1602684245},"
        "\"timestamp\":\"2020-10-14T13:40:40.576435413Z\","
        "\"duration\":6124,\"contiguousFailures\":0,"
        "\"timeOfFirstFailure\":null}},"
        "\"healthy\":false}");
    free(text);
    vitals_free(v);
}

/* Fails twice, then passes. */
static int flaky_runs;
static void flaky(vitals_result_t *r, void *d)
{
    (void)d;
    if (++flaky_runs <= 2)
        vitals_result_set_error(r, "connection refused");
    cost = 1000;
}

static void test_streak_ends(void **state)
{
    vitals_t *v = new_instance();
    char *text;

    (void)state;
    flaky_runs = 0;
    add(v, "db", flaky, NULL);
    tick(v);
    fakeclock_advance(30 * S);
    tick(v);
    text = render(v, 1, "streak");
    assert_string_equal(
        text, "{\"checks\":{\"db\":{\"error\":{\"message\":\"connection "
              "refused\"},\"timestamp\":\"2020-10-14T13:16:40.576435413Z\","
              "\"duration\":1000,\"contiguousFailures\":2,"
              "\"timeOfFirstFailure\":\"2020-10-14T13:16:10.576435413Z\"}},"
              "\"healthy\":false}");
    free(text);
    fakeclock_advance(30 * S);
    tick(v);
    text = render(v, 1, "recovered");
    assert_string_equal(
        text, "{\"checks\":{\"db\":{\"timestamp\":"
              "\"2020-10-14T13:17:10.576435413Z\",\"duration\":1000,"
              "\"contiguousFailures\":0,\"timeOfFirstFailure\":null}},"
              "\"healthy\":true}");
    free(text);
    vitals_free(v);
}

static void ok(vitals_result_t *r, void *d)
{
    (void)r;
    (void)d;
}

static void delayed(vitals_check_opts_t *o) { o->initial_delay_ms = 60000; }

static void test_not_yet_run(void **state)
{
    vitals_t *v = new_instance();
    char *text;

    (void)state;
    text = render(v, 1, "empty");
    assert_string_equal(text, "{\"checks\":{},\"healthy\":true}");
    free(text);
    add(v, "later", ok, delayed);
    tick(v);
    /* Go's zero time.Time, as avalanchego shows it before the first run. */
    text = render(v, 1, "not_yet_run");
    assert_string_equal(
        text, "{\"checks\":{\"later\":{\"error\":{\"message\":\"not yet "
              "run\"},\"timestamp\":\"0001-01-01T00:00:00Z\","
              "\"duration\":0,\"contiguousFailures\":0,"
              "\"timeOfFirstFailure\":null}},\"healthy\":false}");
    free(text);
    vitals_free(v);
}

static void slow_disk(vitals_result_t *r, void *d)
{
    (void)d;
    /* Degraded with nothing to say: the error still says something. */
    vitals_result_set_status(r, VITALS_DEGRADED);
    vitals_result_set_int(r, "freeMegabytes", 252);
}

static void broken(vitals_result_t *r, void *d)
{
    (void)d;
    vitals_result_set_error(r, "disk full");
}

static void noncritical(vitals_check_opts_t *o) { o->critical = 0; }

static void test_degraded_is_healthy(void **state)
{
    vitals_t *v = new_instance();
    char *text;

    (void)state;
    add(v, "disk", slow_disk, NULL);
    add(v, "cache", broken, noncritical);
    tick(v);
    text = render(v, 1, "degraded");
    assert_string_equal(
        text,
        "{\"checks\":{\"disk\":{\"message\":{\"freeMegabytes\":252},"
        "\"error\":{\"message\":\"degraded\"},"
        "\"timestamp\":\"2020-10-14T13:16:10.576435413Z\",\"duration\":0,"
        "\"contiguousFailures\":1,"
        "\"timeOfFirstFailure\":\"2020-10-14T13:16:10.576435413Z\"},"
        "\"cache\":{\"error\":{\"message\":\"disk full\"},"
        "\"timestamp\":\"2020-10-14T13:16:10.576435413Z\",\"duration\":0,"
        "\"contiguousFailures\":1,"
        "\"timeOfFirstFailure\":\"2020-10-14T13:16:10.576435413Z\"}},"
        "\"healthy\":true}");
    free(text);
    vitals_free(v);
}

static void test_details_off(void **state)
{
    vitals_t *v = new_instance();
    char *text;

    (void)state;
    add(v, "C", chain_c, NULL);
    add(v, "P", chain_p, NULL);
    tick(v);
    text = render(v, 0, "no_details");
    assert_string_equal(text, "{\"checks\":{},\"healthy\":false}");
    free(text);
    vitals_free(v);
}

/* A group: its own data, members passing and failing, a member with
 * members of its own. */
static void network(vitals_result_t *r, void *d)
{
    vitals_result_t *c, *nic;

    (void)d;
    vitals_result_set_double(r, "percentConnected", 0.5);
    vitals_result_child(r, "peer-a");
    c = vitals_result_child(r, "peer-b");
    vitals_result_set_string(c, "address", "10.0.0.2:9651");
    vitals_result_set_error(c, "connection timed out");
    nic = vitals_result_child(r, "nic");
    vitals_result_set_status(nic, VITALS_DEGRADED);
    vitals_result_set_description(nic, "one link down");
    c = vitals_result_child(nic, "eth0");
    vitals_result_set_bool(c, "up", 1);
    c = vitals_result_child(nic, "eth1");
    vitals_result_set_status(c, VITALS_UNHEALTHY);
    vitals_result_set_status(r, VITALS_UNHEALTHY);
    vitals_result_set_error(r, "1 of 2 peers connected");
    cost = 2500000;
}

/* A group whose data has its own "children": the nested results win. */
static void shadowed(vitals_result_t *r, void *d)
{
    (void)d;
    vitals_result_set_int(r, "children", 7);
    vitals_result_set_int(r, "after", 1);
    vitals_result_child(r, "only");
}

static void test_nested_children(void **state)
{
    vitals_t *v = new_instance();
    char *text;

    (void)state;
    add(v, "network", network, NULL);
    add(v, "group", shadowed, NULL);
    tick(v);
    text = render(v, 1, "nested");
    assert_string_equal(
        text,
        "{\"checks\":{\"network\":{\"message\":{\"percentConnected\":0.5,"
        "\"children\":{"
        "\"peer-a\":{\"status\":\"healthy\"},"
        "\"peer-b\":{\"status\":\"unhealthy\","
        "\"message\":{\"address\":\"10.0.0.2:9651\"},"
        "\"error\":{\"message\":\"connection timed out\"}},"
        "\"nic\":{\"status\":\"degraded\",\"message\":{\"children\":{"
        "\"eth0\":{\"status\":\"healthy\",\"message\":{\"up\":true}},"
        "\"eth1\":{\"status\":\"unhealthy\","
        "\"error\":{\"message\":\"unhealthy\"}}}},"
        "\"error\":{\"message\":\"one link down\"}}}},"
        "\"error\":{\"message\":\"1 of 2 peers connected\"},"
        "\"timestamp\":\"2020-10-14T13:16:10.576435413Z\","
        "\"duration\":2500000,\"contiguousFailures\":1,"
        "\"timeOfFirstFailure\":\"2020-10-14T13:16:10.576435413Z\"},"
        "\"group\":{\"message\":{\"children\":{\"only\":{\"status\":"
        "\"healthy\"}},\"after\":1},"
        "\"timestamp\":\"2020-10-14T13:16:10.576435413Z\",\"duration\":0,"
        "\"contiguousFailures\":0,\"timeOfFirstFailure\":null}},"
        "\"healthy\":false}");
    free(text);
    vitals_free(v);
}

static void latin1(vitals_result_t *r, void *d)
{
    (void)d;
    /* "Gerät nicht gefunden" in ISO-8859-1, as a C library may say it. */
    vitals_result_set_error(r, "Ger\xe4t nicht gefunden");
    vitals_result_child(r, "dev\xff");
}

static void test_not_utf8(void **state)
{
    vitals_t *v = new_instance();
    char *text;

    (void)state;
    add(v, "printer", latin1, NULL);
    tick(v);
    text = render(v, 1, "not_utf8");
    assert_string_equal(
        text,
        "{\"checks\":{\"printer\":{\"message\":{\"children\":{"
        "\"dev\xef\xbf\xbd\":{\"status\":\"healthy\"}}},"
        "\"error\":{\"message\":\"Ger\xef\xbf\xbdt nicht gefunden\"},"
        "\"timestamp\":\"2020-10-14T13:16:10.576435413Z\",\"duration\":0,"
        "\"contiguousFailures\":1,"
        "\"timeOfFirstFailure\":\"2020-10-14T13:16:10.576435413Z\"}},"
        "\"healthy\":false}");
    free(text);
    vitals_free(v);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_seed_example),
        cmocka_unit_test(test_streak_ends),
        cmocka_unit_test(test_not_yet_run),
        cmocka_unit_test(test_degraded_is_healthy),
        cmocka_unit_test(test_details_off),
        cmocka_unit_test(test_nested_children),
        cmocka_unit_test(test_not_utf8),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
