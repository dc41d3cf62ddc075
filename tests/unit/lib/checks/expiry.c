/* expiry.c - unit tests for the "expiry" check type
 * (lib/checks/expiry.c), with dates relative to now. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "checks/check_type.h"
#include "checktest.h"
#include "util/clock.h"
#include "engine/result.h"
#include "config/vnode.h"

extern const vcheck_type_t vcheck_expiry;

#define DAY 86400

/* The UTC date offset days from today, "2026-11-21". */
static void date_in(int offset, char *buf, size_t len)
{
    time_t t = time(NULL) + (time_t)offset * DAY;
    struct tm tm;

    assert_non_null(gmtime_r(&t, &tm));
    assert_true(strftime(buf, len, "%Y-%m-%d", &tm) > 0);
}

/* now + seconds as an RFC 3339 UTC date-time, "2026-11-21T20:00:00Z". */
static void utc_in(long seconds, char *buf, size_t len)
{
    time_t t = time(NULL) + seconds;
    struct tm tm;

    assert_non_null(gmtime_r(&t, &tm));
    assert_true(strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm) > 0);
}

/* The data object must be exactly {"remainingDays": days,
 * "expirationDate": iso}. */
static void check_data(const vitals_result_t *r, long long days,
                       const char *iso)
{
    char want[128];

    snprintf(want, sizeof(want),
             "{\"remainingDays\":%lld,\"expirationDate\":\"%s\"}", days, iso);
    assert_string_equal(r->data_json, want);
}

static vitals_result_t *run_date(const char *date, const char *extra)
{
    char json[256];

    snprintf(json, sizeof(json), "{\"date\": \"%s\"%s}", date,
             extra ? extra : "");
    return run_check(&vcheck_expiry, json, 2000);
}

/* ------------------------------------------------------------------------
 * Dates
 */

static void test_date_healthy(void **state)
{
    char d[16], iso[32], want[64];
    vitals_result_t *r;
    (void)state;

    date_in(196, d, sizeof(d));
    r = run_date(d, NULL);
    assert_int_equal(r->status, VITALS_HEALTHY);
    snprintf(want, sizeof(want), "expires in 196 days (%s)", d);
    assert_string_equal(r->description, want);
    assert_null(r->error);
    snprintf(iso, sizeof(iso), "%sT00:00:00", d);
    check_data(r, 196, iso);
    vresult_unref(r);
}

/* Seed 001: more than 14 days is healthy, up to 14 degraded. */
static void test_date_thresholds(void **state)
{
    char d[16], iso[32], want[64];
    vitals_result_t *r;
    (void)state;

    date_in(15, d, sizeof(d));
    r = run_date(d, NULL);
    assert_int_equal(r->status, VITALS_HEALTHY);
    vresult_unref(r);

    date_in(14, d, sizeof(d));
    r = run_date(d, NULL);
    assert_int_equal(r->status, VITALS_DEGRADED);
    snprintf(want, sizeof(want), "expires in 14 days (%s)", d);
    assert_string_equal(r->description, want);
    assert_null(r->error);
    snprintf(iso, sizeof(iso), "%sT00:00:00", d);
    check_data(r, 14, iso);
    vresult_unref(r);

    date_in(1, d, sizeof(d));
    r = run_date(d, NULL);
    assert_int_equal(r->status, VITALS_DEGRADED);
    snprintf(want, sizeof(want), "expires in 1 day (%s)", d);
    assert_string_equal(r->description, want);
    vresult_unref(r);
}

/* The date itself is day 0: expired, as seed 001's "unhealthy 0". */
static void test_date_today(void **state)
{
    char d[16], iso[32], want[64];
    vitals_result_t *r;
    (void)state;

    date_in(0, d, sizeof(d));
    r = run_date(d, NULL);
    assert_int_equal(r->status, VITALS_UNHEALTHY);
    snprintf(want, sizeof(want), "expired today (%s)", d);
    assert_string_equal(r->error, want);
    assert_string_equal(r->description, want);
    snprintf(iso, sizeof(iso), "%sT00:00:00", d);
    check_data(r, 0, iso);
    vresult_unref(r);
}

static void test_date_expired(void **state)
{
    char d[16], iso[32], want[64];
    vitals_result_t *r;
    (void)state;

    date_in(-3, d, sizeof(d));
    r = run_date(d, NULL);
    assert_int_equal(r->status, VITALS_UNHEALTHY);
    snprintf(want, sizeof(want), "expired 3 days ago (%s)", d);
    assert_string_equal(r->error, want);
    snprintf(iso, sizeof(iso), "%sT00:00:00", d);
    check_data(r, -3, iso);
    vresult_unref(r);

    date_in(-1, d, sizeof(d));
    r = run_date(d, NULL);
    snprintf(want, sizeof(want), "expired 1 day ago (%s)", d);
    assert_string_equal(r->error, want);
    vresult_unref(r);
}

static void test_degraded_within(void **state)
{
    char d[16];
    vitals_result_t *r;
    (void)state;

    date_in(20, d, sizeof(d));
    r = run_date(d, ", \"degraded_within\": \"30d\"");
    assert_int_equal(r->status, VITALS_DEGRADED);
    vresult_unref(r);

    date_in(1, d, sizeof(d));
    r = run_date(d, ", \"degraded_within\": \"0\"");
    assert_int_equal(r->status, VITALS_HEALTHY);
    vresult_unref(r);
}

/* ------------------------------------------------------------------------
 * Date-times: counted from now, to the second
 */

static void test_datetime_utc(void **state)
{
    char at[32], want[96];
    vitals_result_t *r;
    (void)state;

    /* An hour past five days: floor gives 5. */
    utc_in(5 * DAY + 3600, at, sizeof(at));
    r = run_date(at, NULL);
    assert_int_equal(r->status, VITALS_DEGRADED);
    snprintf(want, sizeof(want), "expires in 5 days (%s)", at);
    assert_string_equal(r->description, want);
    check_data(r, 5, at);
    vresult_unref(r);
}

/* An offset is converted to UTC for every output. */
static void test_datetime_offset(void **state)
{
    char local[48], utc[32], want[96];
    time_t t = time(NULL) + 30 * DAY + 600, shifted = t + 2 * 3600 + 1800;
    struct tm tm;
    vitals_result_t *r;
    (void)state;

    assert_non_null(gmtime_r(&shifted, &tm));
    assert_true(strftime(local, sizeof(local), "%Y-%m-%dT%H:%M:%S+02:30",
                         &tm) > 0);
    assert_non_null(gmtime_r(&t, &tm));
    assert_true(strftime(utc, sizeof(utc), "%Y-%m-%dT%H:%M:%SZ", &tm) > 0);
    r = run_date(local, NULL);
    assert_int_equal(r->status, VITALS_HEALTHY);
    snprintf(want, sizeof(want), "expires in 30 days (%s)", utc);
    assert_string_equal(r->description, want);
    check_data(r, 30, utc);
    vresult_unref(r);
}

static void test_datetime_within_a_day(void **state)
{
    char at[32], want[96];
    vitals_result_t *r;
    (void)state;

    utc_in(10 * 3600, at, sizeof(at));
    r = run_date(at, NULL);
    assert_int_equal(r->status, VITALS_DEGRADED);
    snprintf(want, sizeof(want), "expires in less than a day (%s)", at);
    assert_string_equal(r->description, want);
    check_data(r, 0, at);
    vresult_unref(r);

    utc_in(-10 * 3600, at, sizeof(at));
    r = run_date(at, NULL);
    assert_int_equal(r->status, VITALS_UNHEALTHY);
    snprintf(want, sizeof(want), "expired less than a day ago (%s)", at);
    assert_string_equal(r->error, want);
    check_data(r, -1, at);
    vresult_unref(r);

    utc_in(-(3 * DAY + 3600), at, sizeof(at));
    r = run_date(at, NULL);
    snprintf(want, sizeof(want), "expired 3 days ago (%s)", at);
    assert_string_equal(r->error, want);
    check_data(r, -4, at);
    vresult_unref(r);
}

/* ------------------------------------------------------------------------
 * Files, read at each run
 */

static char dir[64];

static int make_dir(void **state)
{
    (void)state;
    snprintf(dir, sizeof(dir), "/tmp/vitals-expiry-XXXXXX");
    return mkdtemp(dir) ? 0 : -1;
}

static int remove_dir(void **state)
{
    char cmd[128];
    (void)state;
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");

    assert_non_null(f);
    assert_true(fputs(text, f) >= 0);
    assert_int_equal(fclose(f), 0);
}

/* Configures once and runs twice, rewriting the file in between: the
 * file is read at each run. */
static void test_file_reread(void **state)
{
    char path[128], json[256], d[16], text[64], want[64];
    verrs_t *e = verrs_new();
    vnode_t *settings;
    vitals_result_t *r;
    void *st;
    (void)state;

    snprintf(path, sizeof(path), "%s/licence", dir);
    date_in(100, d, sizeof(d));
    /* A byte order mark, spaces, CRLF and a second line are all fine. */
    snprintf(text, sizeof(text), "\xEF\xBB\xBF  %s \r\nsecond line\n", d);
    write_file(path, text);
    snprintf(json, sizeof(json), "{\"file\": \"%s\"}", path);
    settings = vnode_from_json(json, e);
    assert_non_null(settings);
    st = vcheck_configure(&vcheck_expiry, settings, NULL, e);
    assert_non_null(st);

    r = vresult_new(&vclock_system,
                    vclock_mono(&vclock_system) + 2000 * VCLOCK_MS);
    vcheck_expiry.run(st, r);
    vresult_freeze(r);
    assert_int_equal(r->status, VITALS_HEALTHY);
    snprintf(want, sizeof(want), "expires in 100 days (%s)", d);
    assert_string_equal(r->description, want);
    vresult_unref(r);

    date_in(-2, d, sizeof(d));
    snprintf(text, sizeof(text), "%s\n", d);
    write_file(path, text);
    r = vresult_new(&vclock_system,
                    vclock_mono(&vclock_system) + 2000 * VCLOCK_MS);
    vcheck_expiry.run(st, r);
    vresult_freeze(r);
    assert_int_equal(r->status, VITALS_UNHEALTHY);
    snprintf(want, sizeof(want), "expired 2 days ago (%s)", d);
    assert_string_equal(r->error, want);
    vresult_unref(r);

    vcheck_state_free(&vcheck_expiry, st);
    vnode_free(settings);
    vitals_errors_free(e);
}

/* The error must be before + the file's path + after. */
static void check_file_error(const char *content, const char *before,
                             const char *after)
{
    char path[128], json[256], want[512];
    vitals_result_t *r;

    snprintf(path, sizeof(path), "%s/bad", dir);
    if (content)
        write_file(path, content);
    else
        unlink(path);
    snprintf(json, sizeof(json), "{\"file\": \"%s\"}", path);
    snprintf(want, sizeof(want), "%s%s%s", before, path, after);
    r = run_check(&vcheck_expiry, json, 2000);
    assert_int_equal(r->status, VITALS_UNHEALTHY);
    assert_string_equal(r->error, want);
    assert_null(r->description);
    assert_string_equal(r->data_json, "{}");
    vresult_unref(r);
}

static void test_file_errors(void **state)
{
    (void)state;
    check_file_error("13/05/2027\n", "",
                     ":1: expected an ISO 8601 date such as 2027-05-13 or "
                     "date-time such as 2027-05-13T00:00:00Z, got "
                     "\"13/05/2027\"");
    check_file_error("\n2027-05-13\n", "",
                     ":1: expected an ISO 8601 date such as 2027-05-13 or "
                     "date-time such as 2027-05-13T00:00:00Z, got an empty "
                     "line");
    check_file_error(NULL, "cannot read ", ": No such file or directory");
}

static void test_file_not_regular(void **state)
{
    vitals_result_t *r;
    (void)state;

    r = run_check(&vcheck_expiry, "{\"file\": \"/tmp\"}", 2000);
    assert_string_equal(r->error, "cannot read /tmp: not a regular file");
    vresult_unref(r);
}

/* ------------------------------------------------------------------------
 * Configuration
 */

#define SYNTAX                                                              \
    "expected an ISO 8601 date such as 2027-05-13 or date-time such as "    \
    "2027-05-13T00:00:00Z"

static void check_bad_date(const char *date)
{
    char json[128], want[256];

    snprintf(json, sizeof(json), "{\"date\": \"%s\"}", date);
    snprintf(want, sizeof(want), "settings: 'date': " SYNTAX ", got \"%s\"",
             date);
    check_config_error(&vcheck_expiry, json, want);
}

static void test_config_errors(void **state)
{
    static const char *const bad[] = {
        "13/05/2027",           "2027-5-13",           "2027-02-29",
        "2028-02-30",           "2027-13-01",          "2027-00-10",
        "2027-05-13T24:00:00Z", "2027-05-13T10:60Z",   "2027-05-13T10",
        "2027-05-13X10:00",     "2027-05-13T10:00:00+25:00",
        "2027-05-13T10:00:00Q", "2027-05-13 ",         "",
        "tomorrow",             "2027-05-13T10:00:00.Z",
    };
    size_t i;
    (void)state;

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        check_bad_date(bad[i]);
    check_config_error(&vcheck_expiry, "{}",
                       "settings: missing required key 'date' or 'file'");
    check_config_error(&vcheck_expiry,
                       "{\"date\": \"2027-05-13\", \"file\": \"/x\"}",
                       "settings: 'date' and 'file' exclude each other: "
                       "give one");
    check_config_error(&vcheck_expiry, "{\"file\": \"\"}",
                       "settings: 'file': must not be empty");
    check_config_error(&vcheck_expiry, "{\"date\": [\"2027-05-13\"]}",
                       "settings: 'date': expected a string, got a list");
    check_config_error(&vcheck_expiry,
                       "{\"date\": \"2027-05-13\", \"degraded_within\": "
                       "\"two weeks\"}",
                       "settings: 'degraded_within': invalid duration \"two "
                       "weeks\" (use a number and a unit: ms, s, m, h, d)");
}

static void test_config_accepts(void **state)
{
    static const char *const good[] = {
        "2027-05-13",          "2028-02-29",
        "2027-05-13T00:00:00Z", "2027-05-13t00:00:00z",
        "2027-05-13 10:00",    "2027-05-13T10:00:00.123456+02:00",
        "2027-05-13T10:00:00-0530", "2027-05-13T10:00:00+02",
        "2021-05-13T00:00:00",
    };
    char json[128];
    vitals_result_t *r;
    size_t i;
    (void)state;

    for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        snprintf(json, sizeof(json), "{\"date\": \"%s\"}", good[i]);
        r = run_check(&vcheck_expiry, json, 2000);
        vresult_unref(r);
    }
    /* Seed 001's own form, without a zone: read as UTC. */
    r = run_date("2021-05-13T00:00:00", NULL);
    assert_int_equal(r->status, VITALS_UNHEALTHY);
    assert_non_null(strstr(r->data_json,
                           "\"expirationDate\":\"2021-05-13T00:00:00Z\""));
    vresult_unref(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_date_healthy),
        cmocka_unit_test(test_date_thresholds),
        cmocka_unit_test(test_date_today),
        cmocka_unit_test(test_date_expired),
        cmocka_unit_test(test_degraded_within),
        cmocka_unit_test(test_datetime_utc),
        cmocka_unit_test(test_datetime_offset),
        cmocka_unit_test(test_datetime_within_a_day),
        cmocka_unit_test_setup_teardown(test_file_reread, make_dir,
                                        remove_dir),
        cmocka_unit_test_setup_teardown(test_file_errors, make_dir,
                                        remove_dir),
        cmocka_unit_test(test_file_not_regular),
        cmocka_unit_test(test_config_errors),
        cmocka_unit_test(test_config_accepts),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
