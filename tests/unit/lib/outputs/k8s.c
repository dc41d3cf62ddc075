/* k8s.c - the Kubernetes /livez and /readyz text, byte for
 * byte: "ok", the verbose lines, verbose output forced on failure, reasons
 * withheld without details, degraded counted as ok, one line per check. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "fakeclock.h"
#include "outputs/format.h"
#include "snaptest.h"

static void add(vitals_t *v, const char *name, const script_t *s,
                const char *tag)
{
    vitals_check_opts_t o;

    vitals_check_opts_init(&o);
    o.tags = &tag;
    o.ntags = tag != NULL;
    assert_int_equal(vitals_add_check(v, name, &o, scripted, (void *)s, NULL),
                     0);
}

static void expect(vitals_snapshot_t *s, const vselect_t *sel, int details,
                   const char *probe, int verbose, const char *want)
{
    vview_t view;
    vbody_t *b;

    assert_int_equal(vview_init(&view, s, sel), 0);
    view.details = details;
    b = vformat_k8s(&view, probe, verbose);
    assert_non_null(b);
    assert_int_equal(strlen(b->data), b->len);
    assert_string_equal(b->data, want);
    vbody_free(b);
    vview_free(&view);
}

static void test_passing(void **state)
{
    script_t ok = {VITALS_HEALTHY, NULL, NULL};
    script_t slow = {VITALS_DEGRADED, NULL, "replica lag 12 s"};
    vitals_t *v = snap_instance();
    vitals_snapshot_t *s;

    (void)state;
    add(v, "ping", &ok, NULL);
    add(v, "etcd", &slow, NULL);
    s = snap_run(v);
    expect(s, NULL, 1, "livez", 0, "ok");
    expect(s, NULL, 0, "livez", 0, "ok");
    /* Degraded still serves: "[+]... ok", and the probe passes. */
    expect(s, NULL, 1, "livez", 1,
           "[+]ping ok\n[+]etcd ok\nlivez check passed\n");
    /* Without details no check is named, verbose or not. */
    expect(s, NULL, 0, "readyz", 1, "readyz check passed\n");
    vitals_snapshot_release(s);
    vitals_free(v);
}

static void test_failing_is_always_verbose(void **state)
{
    script_t ok = {VITALS_HEALTHY, NULL, NULL};
    script_t down = {VITALS_UNHEALTHY, "dial tcp 10.0.0.5:2379: connection "
                                       "refused", "etcd cluster"};
    vitals_t *v = snap_instance();
    vitals_snapshot_t *s;

    (void)state;
    add(v, "ping", &ok, NULL);
    add(v, "etcd", &down, NULL);
    add(v, "log", &ok, NULL);
    s = snap_run(v);
    /* Without details, only the verdict: no check names to enumerate. */
    expect(s, NULL, 0, "livez", 0, "livez check failed\n");
    expect(s, NULL, 0, "readyz", 1, "readyz check failed\n");
    /* With details, the error (preferred over the description). */
    expect(s, NULL, 1, "livez", 0,
           "[+]ping ok\n[-]etcd failed: dial tcp 10.0.0.5:2379: connection "
           "refused\n[+]log ok\nlivez check failed\n");
    vitals_snapshot_release(s);
    vitals_free(v);
}

static void test_reasons(void **state)
{
    script_t multi = {VITALS_UNHEALTHY, "a\nb\r\nc\rd\n", NULL};
    script_t described = {VITALS_UNHEALTHY, NULL, "only a\ndescription"};
    script_t bare = {VITALS_UNHEALTHY, NULL, NULL};
    vitals_check_opts_t o;
    vitals_t *v = snap_instance();
    vitals_snapshot_t *s;

    (void)state;
    add(v, "multi", &multi, NULL);
    add(v, "described", &described, NULL);
    add(v, "bare", &bare, NULL);
    vitals_check_opts_init(&o);
    o.initial_delay_ms = 60000;
    vitals_add_check(v, "later", &o, scripted, &bare, NULL);
    s = snap_run(v);
    /* One line per check whatever the message holds; a CRLF is one
     * space. */
    expect(s, NULL, 1, "readyz", 1,
           "[-]multi failed: a b c d \n"
           "[-]described failed: only a description\n"
           "[-]bare failed: unhealthy\n"
           "[-]later failed: not yet run\n"
           "readyz check failed\n");
    vitals_snapshot_release(s);
    vitals_free(v);
}

static void test_views(void **state)
{
    script_t ok = {VITALS_HEALTHY, NULL, NULL};
    script_t down = {VITALS_UNHEALTHY, "migrations pending", NULL};
    vselect_t live = {.probe = "live"}, ready = {.probe = "ready"};
    const char *excl[] = {"migrations"};
    vselect_t not_migrations = {.exclude = excl, .nexclude = 1};
    vitals_t *v = snap_instance();
    vitals_snapshot_t *s;

    (void)state;
    add(v, "ping", &ok, NULL);         /* untagged: readiness only */
    add(v, "deadlock", &ok, "live");
    add(v, "migrations", &down, "ready");
    s = snap_run(v);
    /* The view's status decides, not the snapshot's. */
    expect(s, &live, 0, "livez", 0, "ok");
    expect(s, &live, 1, "livez", 1, "[+]deadlock ok\nlivez check passed\n");
    expect(s, &ready, 1, "readyz", 0,
           "[+]ping ok\n[-]migrations failed: migrations pending\n"
           "readyz check failed\n");
    /* As the apiserver: an excluded check is listed, and passes. */
    expect(s, &not_migrations, 1, "readyz", 1,
           "[+]ping ok\n[+]deadlock ok\n[+]migrations excluded: ok\n"
           "readyz check passed\n");
    vitals_snapshot_release(s);
    vitals_free(v);
}

/* Excluded names that match nothing: one warning line, sorted and
 * quoted as the apiserver writes it; the verdict does not change. */
static void test_exclude_unknown(void **state)
{
    script_t ok = {VITALS_HEALTHY, NULL, NULL};
    const char *excl[] = {"zz", "ping", "aa", "zz"};
    vselect_t sel = {.probe = "ready", .exclude = excl, .nexclude = 4};
    vitals_t *v = snap_instance();
    vitals_snapshot_t *s;

    (void)state;
    add(v, "ping", &ok, NULL);
    add(v, "db", &ok, "ready");
    s = snap_run(v);
    expect(s, &sel, 1, "readyz", 1,
           "[+]ping excluded: ok\n[+]db ok\n"
           "warn: some health checks cannot be excluded: no matches for "
           "\"aa\",\"zz\"\nreadyz check passed\n");
    expect(s, &sel, 1, "readyz", 0, "ok");
    vitals_snapshot_release(s);
    vitals_free(v);
}

/* A check that has not run yet fails readiness and startup, never
 * liveness. */
static void test_not_yet_run(void **state)
{
    script_t ok = {VITALS_HEALTHY, NULL, NULL};
    vselect_t live = {.probe = "live"}, ready = {.probe = "ready"},
              startup = {.probe = "startup"};
    vitals_check_opts_t o;
    vitals_t *v = snap_instance();
    vitals_snapshot_t *s;

    (void)state;
    vitals_check_opts_init(&o);
    o.initial_delay_ms = 60000;
    o.tags = (const char *const[]){"live"};
    o.ntags = 1;
    vitals_add_check(v, "slowstart", &o, scripted, &ok, NULL);
    add(v, "db", &ok, NULL);
    s = snap_run(v);
    expect(s, &live, 1, "livez", 1, "[+]slowstart ok\nlivez check passed\n");
    expect(s, &ready, 1, "readyz", 1, "[+]db ok\nreadyz check passed\n");
    expect(s, &startup, 1, "startupz", 1,
           "[-]slowstart failed: not yet run\n[+]db ok\n"
           "startupz check failed\n");
    vitals_snapshot_release(s);
    fake.mono += 61 * VCLOCK_S;
    s = snap_run(v);
    expect(s, &startup, 1, "startupz", 0, "ok");
    vitals_snapshot_release(s);
    vitals_free(v);
}

/* Draining and maintenance fail readiness, with the reason, and never
 * liveness; startup, once passed, passes for good. */
static void test_lifecycle(void **state)
{
    script_t ok = {VITALS_HEALTHY, NULL, NULL};
    vselect_t live = {.probe = "live"}, ready = {.probe = "ready"},
              startup = {.probe = "startup"};
    vitals_t *v = snap_instance();
    vitals_snapshot_t *s;

    (void)state;
    add(v, "db", &ok, NULL);
    add(v, "loop", &ok, "live");
    s = snap_run(v);
    vitals_snapshot_release(s);
    assert_int_equal(vitals_maintenance(v, "moving racks", 0), 0);
    s = vitals_snapshot_get(v);
    expect(s, &ready, 1, "readyz", 1,
           "[+]db ok\n[-]maintenance failed: moving racks\n"
           "readyz check failed\n");
    expect(s, &ready, 0, "readyz", 1, "readyz check failed\n");
    expect(s, &live, 1, "livez", 0, "ok");
    vitals_snapshot_release(s);
    assert_int_equal(vitals_maintenance(v, NULL, 0), 0);
    vitals_drain(v);
    s = vitals_snapshot_get(v);
    expect(s, &ready, 1, "readyz", 0,
           "[+]db ok\n[-]shutdown failed: shutting down\n"
           "readyz check failed\n");
    expect(s, NULL, 1, "livez", 0, "ok");
    expect(s, &startup, 1, "startupz", 0, "ok");
    vitals_snapshot_release(s);
    vitals_free(v);
}

static void test_no_checks(void **state)
{
    vitals_t *v = snap_instance();
    vitals_snapshot_t *s;

    (void)state;
    s = snap_run(v);
    expect(s, NULL, 1, "livez", 0, "ok");
    expect(s, NULL, 1, "livez", 1, "livez check passed\n");
    vitals_snapshot_release(s);
    vitals_free(v);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_passing),
        cmocka_unit_test(test_failing_is_always_verbose),
        cmocka_unit_test(test_reasons),
        cmocka_unit_test(test_views),
        cmocka_unit_test(test_exclude_unknown),
        cmocka_unit_test(test_not_yet_run),
        cmocka_unit_test(test_lifecycle),
        cmocka_unit_test(test_no_checks),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
