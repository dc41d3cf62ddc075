/* mosparo.c - mosparo's health body (seed 000), byte for byte:
 * key order, databaseStatus from the whole snapshot, the joined error of the
 * view's unhealthy checks, what is withheld without details, statusCode.
 *
 * With VITALS_TEST_OUT set to a directory, every body checked is also
 * written there (mosparo-N.json), to validate against
 * docs/schemas/mosparo.json. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "outputs/format.h"
#include "snaptest.h"

static void add(vitals_t *v, const char *name, const script_t *s,
                const char *tag, int critical)
{
    vitals_check_opts_t o;

    vitals_check_opts_init(&o);
    o.tags = &tag;
    o.ntags = tag != NULL;
    o.critical = critical;
    assert_int_equal(vitals_add_check(v, name, &o, scripted, (void *)s, NULL),
                     0);
}

static void dump(const char *text)
{
    static int seq;
    char name[32];

    snprintf(name, sizeof(name), "mosparo-%d", ++seq);
    snap_keep(name, text);
}

/* The body for the view of s that sel selects, compared with want. */
static void expect(vitals_snapshot_t *s, const vselect_t *sel, int details,
                   const char *db, unsigned want_status, const char *want)
{
    vview_t view;
    unsigned status = 0;
    vbody_t *b;

    assert_int_equal(vview_init(&view, s, sel), 0);
    view.details = details;
    b = vformat_mosparo(&view, db, &status);
    assert_non_null(b);
    assert_int_equal(strlen(b->data), b->len);
    dump(b->data);
    assert_string_equal(b->data, want);
    assert_int_equal(status, want_status);
    vbody_free(b);
    vview_free(&view);
}

static void test_healthy(void **state)
{
    script_t ok = {VITALS_HEALTHY, NULL, NULL};
    vitals_t *v = snap_instance();
    vitals_snapshot_t *s;

    (void)state;
    vitals_set_service(v, "mosparo", NULL, NULL, NULL);
    add(v, "db", &ok, NULL, 1);
    add(v, "disk", &ok, NULL, 1);
    s = snap_run(v);
    expect(s, NULL, 1, "db", 200,
           "{\"service\":\"mosparo\",\"healthy\":true,"
           "\"databaseStatus\":\"connected\",\"error\":null,"
           "\"statusCode\":200}");
    expect(s, NULL, 0, "db", 200,
           "{\"service\":\"mosparo\",\"healthy\":true,"
           "\"databaseStatus\":\"connected\",\"error\":null,"
           "\"statusCode\":200}");
    vitals_snapshot_release(s);
    vitals_free(v);
}

static void test_no_checks_no_service(void **state)
{
    vitals_t *v = snap_instance();
    vitals_snapshot_t *s;

    (void)state;
    s = snap_run(v);
    expect(s, NULL, 1, NULL, 200,
           "{\"service\":\"vitals\",\"healthy\":true,"
           "\"databaseStatus\":\"not-configured\",\"error\":null,"
           "\"statusCode\":200}");
    /* Named but absent: not configured either. */
    expect(s, NULL, 1, "db", 200,
           "{\"service\":\"vitals\",\"healthy\":true,"
           "\"databaseStatus\":\"not-configured\",\"error\":null,"
           "\"statusCode\":200}");
    vitals_snapshot_release(s);
    vitals_free(v);
}

static void test_unhealthy_joins_messages(void **state)
{
    script_t db = {VITALS_UNHEALTHY, "SQLSTATE[HY000] [2002] Connection "
                                     "refused", "primary database"};
    script_t disk = {VITALS_UNHEALTHY, NULL, "free space 2% below 5%"};
    script_t cache = {VITALS_UNHEALTHY, "redis timeout", NULL};
    script_t ok = {VITALS_HEALTHY, NULL, NULL};
    vitals_t *v = snap_instance();
    vitals_snapshot_t *s;

    (void)state;
    vitals_set_service(v, "mosparo", NULL, NULL, NULL);
    add(v, "db", &db, NULL, 1);
    add(v, "web", &ok, NULL, 1);
    add(v, "disk", &disk, NULL, 1);
    add(v, "cache", &cache, NULL, 0); /* not critical: degraded */
    s = snap_run(v);
    expect(s, NULL, 1, "db", 500,
           "{\"service\":\"mosparo\",\"healthy\":false,"
           "\"databaseStatus\":\"connection-failed\",\"error\":\"db: "
           "SQLSTATE[HY000] [2002] Connection refused; disk: free space 2% "
           "below 5%\",\"statusCode\":500}");
    /* Without details: the fixed word, but the database status stays. */
    expect(s, NULL, 0, "db", 500,
           "{\"service\":\"mosparo\",\"healthy\":false,"
           "\"databaseStatus\":\"connection-failed\","
           "\"error\":\"unhealthy\",\"statusCode\":500}");
    /* No database named: the failure still counts. */
    expect(s, NULL, 1, NULL, 500,
           "{\"service\":\"mosparo\",\"healthy\":false,"
           "\"databaseStatus\":\"not-configured\",\"error\":\"db: "
           "SQLSTATE[HY000] [2002] Connection refused; disk: free space 2% "
           "below 5%\",\"statusCode\":500}");
    vitals_snapshot_release(s);
    vitals_free(v);
}

static void test_database_outside_view(void **state)
{
    script_t db = {VITALS_UNHEALTHY, "connection refused", NULL};
    script_t ok = {VITALS_HEALTHY, NULL, NULL};
    const char *tags[] = {"web"};
    vselect_t web = {.tags = tags, .ntags = 1};
    vselect_t db_only = {.name = "db"};
    vitals_t *v = snap_instance();
    vitals_snapshot_t *s;

    (void)state;
    add(v, "db", &db, "storage", 1);
    add(v, "frontend", &ok, "web", 1);
    s = snap_run(v);
    /* The view is healthy; the database, outside it, is still shown. */
    expect(s, &web, 1, "db", 200,
           "{\"service\":\"vitals\",\"healthy\":true,"
           "\"databaseStatus\":\"connection-failed\",\"error\":null,"
           "\"statusCode\":200}");
    expect(s, &db_only, 1, "db", 500,
           "{\"service\":\"vitals\",\"healthy\":false,"
           "\"databaseStatus\":\"connection-failed\","
           "\"error\":\"db: connection refused\",\"statusCode\":500}");
    vitals_snapshot_release(s);
    vitals_free(v);
}

static void test_degraded_is_healthy(void **state)
{
    script_t db = {VITALS_DEGRADED, NULL, "replica lag 12 s"};
    vitals_t *v = snap_instance();
    vitals_snapshot_t *s;

    (void)state;
    add(v, "db", &db, NULL, 1);
    s = snap_run(v);
    expect(s, NULL, 1, "db", 200,
           "{\"service\":\"vitals\",\"healthy\":true,"
           "\"databaseStatus\":\"connected\",\"error\":null,"
           "\"statusCode\":200}");
    vitals_snapshot_release(s);
    vitals_free(v);
}

static void test_not_yet_run(void **state)
{
    script_t ok = {VITALS_HEALTHY, NULL, NULL};
    vitals_check_opts_t o;
    vitals_t *v = snap_instance();
    vitals_snapshot_t *s;

    (void)state;
    vitals_check_opts_init(&o);
    o.initial_delay_ms = 60000;
    vitals_add_check(v, "db", &o, scripted, &ok, NULL);
    s = snap_run(v);
    expect(s, NULL, 1, "db", 500,
           "{\"service\":\"vitals\",\"healthy\":false,"
           "\"databaseStatus\":\"connection-failed\","
           "\"error\":\"db: not yet run\",\"statusCode\":500}");
    vitals_snapshot_release(s);
    vitals_free(v);
}

static void test_odd_messages(void **state)
{
    /* A bare unhealthy status, a multi-line message with quotes, and bytes
     * that are not UTF-8 (each becomes U+FFFD). */
    script_t bare = {VITALS_UNHEALTHY, NULL, NULL};
    script_t lines = {VITALS_UNHEALTHY, "line 1\n\"line\" 2", NULL};
    script_t bytes = {VITALS_UNHEALTHY, "caf\xe9 \xc3\xa9", NULL};
    vitals_t *v = snap_instance();
    vitals_snapshot_t *s;

    (void)state;
    vitals_set_service(v, "caf\xc3\xa9", NULL, NULL, NULL);
    add(v, "bare", &bare, NULL, 1);
    add(v, "lines", &lines, NULL, 1);
    add(v, "bytes", &bytes, NULL, 1);
    s = snap_run(v);
    expect(s, NULL, 1, NULL, 500,
           "{\"service\":\"caf\xc3\xa9\",\"healthy\":false,"
           "\"databaseStatus\":\"not-configured\",\"error\":\"bare: "
           "unhealthy; lines: line 1\\n\\\"line\\\" 2; bytes: "
           "caf\xef\xbf\xbd \xc3\xa9\",\"statusCode\":500}");
    vitals_snapshot_release(s);
    vitals_free(v);
}

static void test_null_http_status(void **state)
{
    vitals_t *v = snap_instance();
    vitals_snapshot_t *s;
    vview_t view;
    vbody_t *b;

    (void)state;
    s = snap_run(v);
    assert_int_equal(vview_init(&view, s, NULL), 0);
    b = vformat_mosparo(&view, NULL, NULL);
    assert_non_null(b);
    vbody_free(b);
    vview_free(&view);
    vitals_snapshot_release(s);
    vitals_free(v);
}

static void test_unhealthy_view_without_checks(void **state)
{
    vitals_t *v = snap_instance();
    vitals_snapshot_t *s;
    vview_t view;
    unsigned status = 0;
    vbody_t *b;

    (void)state;
    s = snap_run(v);
    /* Put together by hand: unhealthy, yet no unhealthy check to name. */
    memset(&view, 0, sizeof(view));
    view.snap = s;
    view.status = VITALS_UNHEALTHY;
    view.details = 1;
    b = vformat_mosparo(&view, NULL, &status);
    assert_non_null(b);
    dump(b->data);
    assert_string_equal(b->data,
                        "{\"service\":\"vitals\",\"healthy\":false,"
                        "\"databaseStatus\":\"not-configured\","
                        "\"error\":\"unhealthy\",\"statusCode\":500}");
    assert_int_equal(status, 500);
    vbody_free(b);
    vitals_snapshot_release(s);
    vitals_free(v);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_healthy),
        cmocka_unit_test(test_no_checks_no_service),
        cmocka_unit_test(test_unhealthy_joins_messages),
        cmocka_unit_test(test_database_outside_view),
        cmocka_unit_test(test_degraded_is_healthy),
        cmocka_unit_test(test_not_yet_run),
        cmocka_unit_test(test_odd_messages),
        cmocka_unit_test(test_null_http_status),
        cmocka_unit_test(test_unhealthy_view_without_checks),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
