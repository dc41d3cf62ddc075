/* report.c - the .NET HealthReport rendering of seed 001, byte
 * for byte: the TimeSpan "c" format, PascalCase status words, totalDuration
 * as the longest duration, entries with data/description/duration/status/
 * exception, nested results in data.entries, timeouts, checks not yet run,
 * details off, and views of a subset.
 *
 * With VITALS_TEST_OUT=dir, every body is also written to
 * dir/report_<label>.json, to validate against docs/schemas/report.json. */
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

/* How long each check's run takes, by name; 1 us when not listed. */
typedef struct {
    const char *name;
    int64_t ns;
} cost_t;

static const cost_t *costs;

static int64_t cost_of(const char *name)
{
    for (const cost_t *c = costs; c != NULL && c->name != NULL; c++)
        if (strcmp(c->name, name) == 0)
            return c->ns;
    return 1000;
}

static int64_t run_cost(const vrun_t *run)
{
    return cost_of(run->check->name);
}

static vitals_t *new_instance(const cost_t *table)
{
    costs = table;
    return snap_instance();
}

static void dump(const char *label, const char *text)
{
    char name[128];

    if (label == NULL)
        return;
    snprintf(name, sizeof(name), "report_%s", label);
    snap_keep(name, text);
}

/* Runs every due check inline, each finishing after its cost, publishes,
 * and renders the view that sel selects. */
static char *render_view(vitals_t *v, const vselect_t *sel, int details,
                         const char *label)
{
    vview_t view;

    snap_tick(v, run_cost);
    vitals_snapshot_t *s = vitals_snapshot_get(v);
    assert_int_equal(vview_init(&view, s, sel), 0);
    view.details = details;
    vbody_t *b = vformat_report(&view);
    assert_non_null(b);
    char *text = strndup(b->data, b->len);
    assert_int_equal(strlen(text), b->len);
    dump(label, text);
    vbody_free(b);
    vview_free(&view);
    vitals_snapshot_release(s);
    return text;
}

static char *render(vitals_t *v, const char *label)
{
    return render_view(v, NULL, 1, label);
}

#define assert_render(v, label, expected)                                     \
    do {                                                                      \
        char *text_ = render(v, label);                                       \
        assert_string_equal(text_, expected);                                 \
        free(text_);                                                          \
    } while (0)

/* ------------------------------------------------------------------------
 * TimeSpan
 */

static const char *ts(int64_t ns)
{
    static char buf[64];

    return vformat_timespan(ns, buf, sizeof(buf));
}

static void test_timespan(void **state)
{
    char small[6];

    (void)state;
    assert_string_equal(ts(0), "00:00:00");
    assert_string_equal(ts(41447100), "00:00:00.0414471");
    assert_string_equal(ts(767749900), "00:00:00.7677499");
    assert_string_equal(ts(100), "00:00:00.0000001");
    assert_string_equal(ts(99), "00:00:00"); /* less than a tick */
    assert_string_equal(ts(199), "00:00:00.0000001");
    assert_string_equal(ts(10 * VCLOCK_S), "00:00:10");
    assert_string_equal(ts(3599999999900LL), "00:59:59.9999999");
    assert_string_equal(ts(86399 * VCLOCK_S), "23:59:59");
    assert_string_equal(ts(86400 * VCLOCK_S), "1.00:00:00");
    /* 1 day 2 h 3 min 4.5 s */
    assert_string_equal(ts(93784500000000LL), "1.02:03:04.5000000");
    assert_string_equal(ts(-93784500000000LL), "-1.02:03:04.5000000");
    assert_string_equal(ts(-41447100), "-00:00:00.0414471");
    assert_string_equal(ts(-100), "-00:00:00.0000001");
    assert_string_equal(ts(-99), "00:00:00"); /* zero ticks have no sign */
    assert_string_equal(ts(INT64_MAX), "106751.23:47:16.8547758");
    assert_string_equal(ts(INT64_MIN), "-106751.23:47:16.8547758");
    /* A short buffer is truncated, still terminated. */
    assert_ptr_equal(vformat_timespan(41447100, small, sizeof(small)), small);
    assert_string_equal(small, "00:00");
    assert_null(vformat_timespan(0, NULL, 0));
}

/* ------------------------------------------------------------------------
 * Seed 001
 */

static void diskstorage(vitals_result_t *r, void *d)
{
    (void)d;
    vitals_result_set_status(r, VITALS_DEGRADED);
    vitals_result_set_description(r, "Minimum configured megabytes for disk "
                                     "C:\\ is 512 but actual free space are "
                                     "252 megabytes");
}

static void license(vitals_result_t *r, void *d)
{
    (void)d;
    vitals_result_set_int(r, "remainingDays", 196);
    vitals_result_set_string(r, "expirationDate", "2021-05-13T00:00:00");
    vitals_result_set_description(r, "Licencia exspiruje za 196 dní.");
}

#define NOT_READY                                                            \
    "Tlačiareň nie je pripravená. Skontrolujte, či je tlačiareň zapnutá a "  \
    "pripojená do chráneného dátového úložiska."
#define NOT_REACHABLE                                                        \
    "Tlačiareň nie je zastihnuteľná na adrese 'usb-printer' (chyba: "        \
    "PrinterNotOpened)."

static void fiscal_printers(vitals_result_t *r, void *d)
{
    vitals_result_t *c;

    (void)d;
    vitals_result_child(r, "Fiscal2");
    c = vitals_result_child(r, "eKasa");
    vitals_result_set_status(c, VITALS_DEGRADED);
    vitals_result_set_description(c, NOT_READY);
    c = vitals_result_child(r, "Virtual");
    vitals_result_set_status(c, VITALS_UNHEALTHY);
    vitals_result_set_description(c, NOT_REACHABLE);
    vitals_result_set_status(r, VITALS_UNHEALTHY);
}

static void order_endpoints(vitals_result_t *r, void *d)
{
    vitals_result_t *c;

    (void)d;
    c = vitals_result_child(r, "Kuchyna");
    vitals_result_set_status(c, VITALS_UNHEALTHY);
    vitals_result_set_description(c, NOT_REACHABLE);
    vitals_result_child(r, "01");
    vitals_result_set_status(r, VITALS_UNHEALTHY);
}

static void feature(vitals_result_t *r, void *d)
{
    (void)d;
    vitals_result_set_string(r, "displayName", "Qerko");
}

static void test_seed_document(void **state)
{
    static const cost_t seed_costs[] = {
        {"diskstorage", 41447100},   {"license", 61900},
        {"fiscalPrinters", 767749900}, {"orderEndpoints", 5607000},
        {"portos.Features.Qerko", 11311900}, {NULL, 0}};
    vitals_t *v = new_instance(seed_costs);

    (void)state;
    vitals_add_check(v, "diskstorage", NULL, diskstorage, NULL, NULL);
    vitals_add_check(v, "license", NULL, license, NULL, NULL);
    vitals_add_check(v, "fiscalPrinters", NULL, fiscal_printers, NULL, NULL);
    vitals_add_check(v, "orderEndpoints", NULL, order_endpoints, NULL, NULL);
    vitals_add_check(v, "portos.Features.Qerko", NULL, feature, NULL, NULL);
    /* The seed's document, compact; totalDuration is the longest check
     * (fiscalPrinters), where the seed's service added its own overhead. */
    assert_render(
        v, "seed",
        "{\"status\":\"Unhealthy\",\"totalDuration\":\"00:00:00.7677499\","
        "\"entries\":{"
        "\"diskstorage\":{\"data\":{},\"description\":\"Minimum configured "
        "megabytes for disk C:\\\\ is 512 but actual free space are 252 "
        "megabytes\",\"duration\":\"00:00:00.0414471\","
        "\"status\":\"Degraded\"},"
        "\"license\":{\"data\":{\"remainingDays\":196,"
        "\"expirationDate\":\"2021-05-13T00:00:00\"},"
        "\"description\":\"Licencia exspiruje za 196 dní.\","
        "\"duration\":\"00:00:00.0000619\",\"status\":\"Healthy\"},"
        "\"fiscalPrinters\":{\"data\":{\"entries\":["
        "{\"key\":\"Fiscal2\",\"result\":{\"data\":{},"
        "\"status\":\"Healthy\"}},"
        "{\"key\":\"eKasa\",\"result\":{\"data\":{},"
        "\"description\":\"" NOT_READY "\",\"status\":\"Degraded\"}},"
        "{\"key\":\"Virtual\",\"result\":{\"data\":{},"
        "\"description\":\"" NOT_REACHABLE "\",\"status\":\"Unhealthy\"}}]},"
        "\"duration\":\"00:00:00.7677499\",\"status\":\"Unhealthy\"},"
        "\"orderEndpoints\":{\"data\":{\"entries\":["
        "{\"key\":\"Kuchyna\",\"result\":{\"data\":{},"
        "\"description\":\"" NOT_REACHABLE "\",\"status\":\"Unhealthy\"}},"
        "{\"key\":\"01\",\"result\":{\"data\":{},\"status\":\"Healthy\"}}]},"
        "\"duration\":\"00:00:00.0056070\",\"status\":\"Unhealthy\"},"
        "\"portos.Features.Qerko\":{\"data\":{\"displayName\":\"Qerko\"},"
        "\"duration\":\"00:00:00.0113119\",\"status\":\"Healthy\"}}}");
    vitals_free(v);
}

/* ------------------------------------------------------------------------
 * Status words, totalDuration, exceptions
 */

static void ok(vitals_result_t *r, void *d)
{
    (void)r;
    (void)d;
}

static void degraded(vitals_result_t *r, void *d)
{
    (void)d;
    vitals_result_set_status(r, VITALS_DEGRADED);
}

static void test_status_and_total(void **state)
{
    static const cost_t t[] = {
        {"fast", 2000000}, {"slow", 1500000000}, {"mid", 90000000},
        {NULL, 0}};
    vitals_t *v = new_instance(t);

    (void)state;
    /* No checks: healthy, and nothing took any time. */
    assert_render(v, "empty",
                  "{\"status\":\"Healthy\",\"totalDuration\":\"00:00:00\","
                  "\"entries\":{}}");
    vitals_add_check(v, "fast", NULL, ok, NULL, NULL);
    vitals_add_check(v, "slow", NULL, ok, NULL, NULL);
    vitals_add_check(v, "mid", NULL, degraded, NULL, NULL);
    assert_render(v, "degraded",
                  "{\"status\":\"Degraded\",\"totalDuration\":"
                  "\"00:00:01.5000000\",\"entries\":{"
                  "\"fast\":{\"data\":{},\"duration\":\"00:00:00.0020000\","
                  "\"status\":\"Healthy\"},"
                  "\"slow\":{\"data\":{},\"duration\":\"00:00:01.5000000\","
                  "\"status\":\"Healthy\"},"
                  "\"mid\":{\"data\":{},\"duration\":\"00:00:00.0900000\","
                  "\"status\":\"Degraded\"}}}");
    vitals_free(v);
}

static void db(vitals_result_t *r, void *d)
{
    (void)d;
    vitals_result_set_description(r, "PostgreSQL at db:5432");
    vitals_result_set_error(r, "connection refused");
}

static void no_route(vitals_result_t *r, void *d)
{
    (void)d;
    vitals_result_set_error(r, "no route to host");
}

static void healthy_with_error(vitals_result_t *r, void *d)
{
    (void)d;
    vitals_result_set_status(r, VITALS_HEALTHY);
    vitals_result_set_error(r, "a warning nobody asked for");
}

static void low_disk(vitals_result_t *r, void *d)
{
    (void)d;
    vitals_result_set_status(r, VITALS_DEGRADED);
    vitals_result_set_description(r, "only 252 MB free");
}

static void test_exceptions(void **state)
{
    vitals_t *v = new_instance(NULL);
    vitals_check_opts_t o;

    (void)state;
    vitals_add_check(v, "db", NULL, db, NULL, NULL);
    vitals_add_check(v, "cache", NULL, no_route, NULL, NULL);
    vitals_check_opts_init(&o);
    o.critical = 0;
    vitals_add_check(v, "mail", &o, no_route, NULL, NULL);
    vitals_add_check(v, "quiet", NULL, healthy_with_error, NULL, NULL);
    vitals_add_check(v, "disk", NULL, low_disk, NULL, NULL);
    /* An error is the exception; a description alone is not; a healthy
     * check has none; a non-critical failure is degraded, with its
     * exception. */
    assert_render(
        v, "exceptions",
        "{\"status\":\"Unhealthy\",\"totalDuration\":\"00:00:00.0000010\","
        "\"entries\":{"
        "\"db\":{\"data\":{},\"description\":\"PostgreSQL at db:5432\","
        "\"duration\":\"00:00:00.0000010\",\"status\":\"Unhealthy\","
        "\"exception\":{\"message\":\"connection refused\"}},"
        "\"cache\":{\"data\":{},\"duration\":\"00:00:00.0000010\","
        "\"status\":\"Unhealthy\","
        "\"exception\":{\"message\":\"no route to host\"}},"
        "\"mail\":{\"data\":{},\"duration\":\"00:00:00.0000010\","
        "\"status\":\"Degraded\","
        "\"exception\":{\"message\":\"no route to host\"}},"
        "\"quiet\":{\"data\":{},\"duration\":\"00:00:00.0000010\","
        "\"status\":\"Healthy\"},"
        "\"disk\":{\"data\":{},\"description\":\"only 252 MB free\","
        "\"duration\":\"00:00:00.0000010\",\"status\":\"Degraded\"}}}");
    vitals_free(v);
}

static int flaky_fails = 1;

static void flaky(vitals_result_t *r, void *d)
{
    (void)d;
    if (flaky_fails)
        vitals_result_set_error(r, "boom");
    else
        vitals_result_set_description(r, "recovered");
}

static void test_held_failure(void **state)
{
    vitals_t *v = new_instance(NULL);
    vitals_check_opts_t o;

    (void)state;
    vitals_check_opts_init(&o);
    o.success_threshold = 2;
    flaky_fails = 1;
    vitals_add_check(v, "flaky", &o, flaky, NULL, NULL);
    assert_render(v, "held1",
                  "{\"status\":\"Unhealthy\",\"totalDuration\":"
                  "\"00:00:00.0000010\",\"entries\":{\"flaky\":{\"data\":{},"
                  "\"duration\":\"00:00:00.0000010\",\"status\":"
                  "\"Unhealthy\",\"exception\":{\"message\":\"boom\"}}}}");
    /* One success is not enough to recover: the entry stays unhealthy,
     * describes its latest run, and still says what failed. */
    flaky_fails = 0;
    fakeclock_advance(30 * VCLOCK_S);
    assert_render(v, "held2",
                  "{\"status\":\"Unhealthy\",\"totalDuration\":"
                  "\"00:00:00.0000010\",\"entries\":{\"flaky\":{\"data\":{},"
                  "\"description\":\"recovered\",\"duration\":"
                  "\"00:00:00.0000010\",\"status\":\"Unhealthy\","
                  "\"exception\":{\"message\":\"boom\"}}}}");
    fakeclock_advance(30 * VCLOCK_S);
    assert_render(v, "held3",
                  "{\"status\":\"Healthy\",\"totalDuration\":"
                  "\"00:00:00.0000010\",\"entries\":{\"flaky\":{\"data\":{},"
                  "\"description\":\"recovered\",\"duration\":"
                  "\"00:00:00.0000010\",\"status\":\"Healthy\"}}}");
    vitals_free(v);
}

/* ------------------------------------------------------------------------
 * Timeouts and checks not yet run
 */

static void test_timeout(void **state)
{
    vitals_t *v = new_instance(NULL);
    vitals_check_opts_t o;
    vrun_t *run;

    (void)state;
    vitals_check_opts_init(&o); /* timeout 10 s */
    o.description = "Checks the slow thing";
    vitals_add_check(v, "slow", &o, ok, NULL, NULL);
    run = vengine_due(vitals_engine(v), fake.mono); /* handed to a worker that hangs */
    assert_non_null(run);
    fakeclock_advance(10 * VCLOCK_S);
    /* render's vengine_due reports the deadline. */
    assert_render(v, "timeout",
                  "{\"status\":\"Unhealthy\",\"totalDuration\":\"00:00:10\","
                  "\"entries\":{\"slow\":{\"data\":{},\"description\":"
                  "\"A timeout occurred while running check.\","
                  "\"duration\":\"00:00:10\",\"status\":\"Unhealthy\","
                  "\"exception\":{\"message\":\"timed out after 10s\"}}}}");
    /* The hung run comes back: dropped. */
    vengine_execute(run);
    vengine_finish(vitals_engine(v), run, fake.mono);
    vitals_free(v);
}

static void test_not_yet_run(void **state)
{
    vitals_t *v = new_instance(NULL);
    vitals_check_opts_t o;

    (void)state;
    vitals_check_opts_init(&o);
    o.initial_delay_ms = 60000;
    o.description = "Checks the ledger";
    vitals_add_check(v, "ledger", &o, ok, NULL, NULL);
    o.description = NULL;
    vitals_add_check(v, "later", &o, ok, NULL, NULL);
    assert_render(v, "not_yet_run",
                  "{\"status\":\"Unhealthy\",\"totalDuration\":\"00:00:00\","
                  "\"entries\":{"
                  "\"ledger\":{\"data\":{},\"description\":"
                  "\"Checks the ledger\",\"duration\":\"00:00:00\","
                  "\"status\":\"Unhealthy\","
                  "\"exception\":{\"message\":\"not yet run\"}},"
                  "\"later\":{\"data\":{},\"duration\":\"00:00:00\","
                  "\"status\":\"Unhealthy\","
                  "\"exception\":{\"message\":\"not yet run\"}}}}");
    vitals_free(v);
}

/* ------------------------------------------------------------------------
 * Nesting
 */

static void cluster(vitals_result_t *r, void *d)
{
    vitals_result_t *n;

    (void)d;
    vitals_result_set_string(r, "zone", "eu-1");
    vitals_result_set_int(r, "entries", 5); /* replaced by the members */
    vitals_result_set_bool(r, "quorum", 1);
    n = vitals_result_child(r, "node1");
    vitals_result_set_double(n, "load", 0.39);
    n = vitals_result_child(n, "disk");
    vitals_result_set_status(n, VITALS_DEGRADED);
    vitals_result_set_description(n, "92%% full");
    n = vitals_result_child(r, "node2");
    vitals_result_set_description(n, "10.0.0.2:7000");
    vitals_result_set_error(n, "unreachable");
    n = vitals_result_child(r, "node3");
    vitals_result_set_status(n, VITALS_HEALTHY);
    vitals_result_set_error(n, "slow answer");
    /* A failure with nothing but its error: as ASP.NET fills it from the
     * exception, that is its description too. */
    n = vitals_result_child(r, "node4");
    vitals_result_set_error(n, "paper out");
    vitals_result_set_status(r, VITALS_DEGRADED);
}

/* data.entries is reserved for nested results, members or not. */
static void own_entries(vitals_result_t *r, void *d)
{
    (void)d;
    vitals_result_set_int(r, "entries", 5);
    vitals_result_set_int(r, "queued", 2);
}

static void test_nested(void **state)
{
    vitals_t *v = new_instance(NULL);

    (void)state;
    vitals_add_check(v, "cluster", NULL, cluster, NULL, NULL);
    vitals_add_check(v, "queue", NULL, own_entries, NULL, NULL);
    assert_render(
        v, "nested",
        "{\"status\":\"Degraded\",\"totalDuration\":\"00:00:00.0000010\","
        "\"entries\":{\"cluster\":{\"data\":{\"zone\":\"eu-1\","
        "\"quorum\":true,\"entries\":["
        "{\"key\":\"node1\",\"result\":{\"data\":{\"load\":0.39,"
        "\"entries\":[{\"key\":\"disk\",\"result\":{\"data\":{},"
        "\"description\":\"92% full\",\"status\":\"Degraded\"}}]},"
        "\"status\":\"Healthy\"}},"
        "{\"key\":\"node2\",\"result\":{\"data\":{},"
        "\"description\":\"10.0.0.2:7000\",\"status\":\"Unhealthy\","
        "\"exception\":{\"message\":\"unreachable\"}}},"
        "{\"key\":\"node3\",\"result\":{\"data\":{},"
        "\"status\":\"Healthy\"}},"
        "{\"key\":\"node4\",\"result\":{\"data\":{},"
        "\"description\":\"paper out\",\"status\":\"Unhealthy\","
        "\"exception\":{\"message\":\"paper out\"}}}]},"
        "\"duration\":\"00:00:00.0000010\",\"status\":\"Degraded\"},"
        "\"queue\":{\"data\":{\"queued\":2},"
        "\"duration\":\"00:00:00.0000010\",\"status\":\"Healthy\"}}}");
    vitals_free(v);
}

/* ------------------------------------------------------------------------
 * Views
 */

static void test_details_off(void **state)
{
    static const cost_t t[] = {{"db", 3000000}, {NULL, 0}};
    vitals_t *v = new_instance(t);
    char *text;

    (void)state;
    vitals_add_check(v, "db", NULL, db, NULL, NULL);
    vitals_add_check(v, "cluster", NULL, cluster, NULL, NULL);
    text = render_view(v, NULL, 0, "details_off");
    assert_string_equal(text, "{\"status\":\"Unhealthy\",\"totalDuration\":"
                              "\"00:00:00.0030000\"}");
    free(text);
    vitals_free(v);
}

static void failing(vitals_result_t *r, void *d)
{
    (void)d;
    vitals_result_set_error(r, "connection refused");
}

static void test_selection(void **state)
{
    static const cost_t t[] = {
        {"a", 5000000}, {"b", 9000000}, {"c", 2000000}, {NULL, 0}};
    static const char *const db_tags[] = {"db"};
    static const char *const web_tags[] = {"web"};
    static const char *const core_tags[] = {"db", "core"};
    static const char *const none[] = {"none"};
    vitals_t *v = new_instance(t);
    vitals_check_opts_t o;
    vselect_t sel;
    char *text;

    (void)state;
    vitals_check_opts_init(&o);
    o.tags = db_tags;
    o.ntags = 1;
    vitals_add_check(v, "a", &o, degraded, NULL, NULL);
    o.tags = web_tags;
    vitals_add_check(v, "b", &o, failing, NULL, NULL);
    o.tags = core_tags;
    o.ntags = 2;
    vitals_add_check(v, "c", &o, ok, NULL, NULL);

    /* Status and totalDuration over the subset only: b is unhealthy and
     * the slowest, and neither shows. */
    memset(&sel, 0, sizeof(sel));
    sel.tags = db_tags;
    sel.ntags = 1;
    text = render_view(v, &sel, 1, "selection_db");
    assert_string_equal(text,
                        "{\"status\":\"Degraded\",\"totalDuration\":"
                        "\"00:00:00.0050000\",\"entries\":{"
                        "\"a\":{\"data\":{},\"duration\":"
                        "\"00:00:00.0050000\",\"status\":\"Degraded\"},"
                        "\"c\":{\"data\":{},\"duration\":"
                        "\"00:00:00.0020000\",\"status\":\"Healthy\"}}}");
    free(text);

    memset(&sel, 0, sizeof(sel));
    sel.name = "b";
    text = render_view(v, &sel, 1, "selection_b");
    assert_string_equal(text,
                        "{\"status\":\"Unhealthy\",\"totalDuration\":"
                        "\"00:00:00.0090000\",\"entries\":{"
                        "\"b\":{\"data\":{},\"duration\":"
                        "\"00:00:00.0090000\",\"status\":\"Unhealthy\","
                        "\"exception\":{\"message\":"
                        "\"connection refused\"}}}}");
    free(text);

    memset(&sel, 0, sizeof(sel));
    sel.tags = none;
    sel.ntags = 1;
    text = render_view(v, &sel, 1, "selection_none");
    assert_string_equal(text, "{\"status\":\"Healthy\",\"totalDuration\":"
                              "\"00:00:00\",\"entries\":{}}");
    free(text);
    vitals_free(v);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_timespan),
        cmocka_unit_test(test_seed_document),
        cmocka_unit_test(test_status_and_total),
        cmocka_unit_test(test_exceptions),
        cmocka_unit_test(test_held_failure),
        cmocka_unit_test(test_timeout),
        cmocka_unit_test(test_not_yet_run),
        cmocka_unit_test(test_nested),
        cmocka_unit_test(test_details_off),
        cmocka_unit_test(test_selection),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
