/* metrics.c - the Prometheus output, byte for byte: every family with its
 * HELP and TYPE, state sets, counters, nested members, readings from
 * perfdata, escaping, non-finite values; the OpenMetrics variant's
 * metadata and "# EOF"; what a caller without details sees; content
 * negotiation; and the per-request families appended to the cached body. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "outputs/output.h"
#include "snapshot.h"

extern const voutput_t voutput_metrics;

static const char *const web_tags[] = {"web"};

/* A snapshot built by hand, so that every figure is exact: a failing
 * check with a reading and counters, a plugin with performance data whose
 * labels need escaping, a group whose members have non-finite readings,
 * and a check not yet run. */
static vitals_snapshot_t *snapshot(void)
{
    static vsnap_entry_t members[2];
    vitals_snapshot_t *s = vsnap_new(4);
    vsnap_entry_t *e;

    assert_non_null(s);
    s->status = VITALS_UNHEALTHY;
    e = &s->entries[0];
    e->pub = (vitals_check_state_t){
        .name = "db", .status = VITALS_UNHEALTHY, .data_json = "{}",
        .timestamp_ns = 1602684245250000000, .duration_ns = 1500000000,
        .contiguous_failures = 3, .last_success_ns = 1602684200000000000,
        .tags = web_tags, .ntags = 1};
    e->has_run = 1;
    e->measurement = "responseTime";
    e->unit = "ms";
    e->observed = 12.5;
    e->runs[VITALS_HEALTHY] = 5;
    e->runs[VITALS_UNHEALTHY] = 3;
    e->timeouts = 2;
    e->transitions = 4;

    e = &s->entries[1];
    e->pub = (vitals_check_state_t){
        .name = "plugin", .status = VITALS_DEGRADED,
        .data_json = "{\"perfdata\":{\"time\":{\"value\":0.39,\"unit\":\"s\"},"
                     "\"a\\\"b\\\\c\\nd\":{\"value\":3},"
                     "\"small\":{\"value\":-1e-07,\"unit\":\"%\"},"
                     "\"unknown\":{\"value\":null}},\"exitCode\":1}",
        .timestamp_ns = 1602684245000000000, .duration_ns = 20000000};
    e->has_run = 1;
    e->measurement = "time";
    e->unit = "s";
    e->observed = 0.39;
    e->runs[VITALS_DEGRADED] = 1;

    members[0].pub = (vitals_check_state_t){
        .name = "m\"1", .status = VITALS_HEALTHY,
        .data_json = "{\"remainingDays\":30}"};
    members[0].has_run = 1;
    members[0].measurement = "load";
    members[0].observed = INFINITY;
    members[1].pub = (vitals_check_state_t){.name = "m2",
                                            .status = VITALS_UNHEALTHY};
    members[1].has_run = 1;
    members[1].measurement = "ratio";
    members[1].unit = "%\xff"; /* not UTF-8: a plugin's bytes */
    members[1].observed = NAN;
    e = &s->entries[2];
    e->pub = (vitals_check_state_t){
        .name = "grp", .status = VITALS_UNHEALTHY, .data_json = "{}",
        .timestamp_ns = 1602684245000000000, .duration_ns = 1000,
        .contiguous_failures = 1};
    e->has_run = 1;
    e->children = members;
    e->nchildren = 2;
    e->runs[VITALS_UNHEALTHY] = 1;

    e = &s->entries[3];
    e->pub = (vitals_check_state_t){.name = "later",
                                    .status = VITALS_UNHEALTHY,
                                    .error = "not yet run",
                                    .data_json = "{}"};
    return s;
}

static const char overall_text[] =
    "# HELP vitals_status Aggregate status of the checks shown (1 for the "
    "current one).\n"
    "# TYPE vitals_status gauge\n"
    "vitals_status{vitals_status=\"pass\"} 0\n"
    "vitals_status{vitals_status=\"warn\"} 0\n"
    "vitals_status{vitals_status=\"fail\"} 1\n"
    "# HELP vitals_build_info The vitals library serving these metrics.\n"
    "# TYPE vitals_build_info gauge\n"
    "vitals_build_info{version=\"" VITALS_VERSION "\"} 1\n";

static const char checks_text[] =
    "# HELP vitals_check_status Status of each check and nested member (1 "
    "for the current one).\n"
    "# TYPE vitals_check_status gauge\n"
    "vitals_check_status{check=\"db\",vitals_check_status=\"pass\"} 0\n"
    "vitals_check_status{check=\"db\",vitals_check_status=\"warn\"} 0\n"
    "vitals_check_status{check=\"db\",vitals_check_status=\"fail\"} 1\n"
    "vitals_check_status{check=\"plugin\",vitals_check_status=\"pass\"} 0\n"
    "vitals_check_status{check=\"plugin\",vitals_check_status=\"warn\"} 1\n"
    "vitals_check_status{check=\"plugin\",vitals_check_status=\"fail\"} 0\n"
    "vitals_check_status{check=\"grp\",vitals_check_status=\"pass\"} 0\n"
    "vitals_check_status{check=\"grp\",vitals_check_status=\"warn\"} 0\n"
    "vitals_check_status{check=\"grp\",vitals_check_status=\"fail\"} 1\n"
    "vitals_check_status{check=\"grp/m\\\"1\",vitals_check_status=\"pass\"} "
    "1\n"
    "vitals_check_status{check=\"grp/m\\\"1\",vitals_check_status=\"warn\"} "
    "0\n"
    "vitals_check_status{check=\"grp/m\\\"1\",vitals_check_status=\"fail\"} "
    "0\n"
    "vitals_check_status{check=\"grp/m2\",vitals_check_status=\"pass\"} 0\n"
    "vitals_check_status{check=\"grp/m2\",vitals_check_status=\"warn\"} 0\n"
    "vitals_check_status{check=\"grp/m2\",vitals_check_status=\"fail\"} 1\n"
    "vitals_check_status{check=\"later\",vitals_check_status=\"pass\"} 0\n"
    "vitals_check_status{check=\"later\",vitals_check_status=\"warn\"} 0\n"
    "vitals_check_status{check=\"later\",vitals_check_status=\"fail\"} 1\n"
    "# HELP vitals_check_duration_seconds Duration of the check's last "
    "run.\n"
    "# TYPE vitals_check_duration_seconds gauge\n"
    "vitals_check_duration_seconds{check=\"db\"} 1.5\n"
    "vitals_check_duration_seconds{check=\"plugin\"} 0.02\n"
    "vitals_check_duration_seconds{check=\"grp\"} 1e-06\n"
    "# HELP vitals_check_last_run_timestamp_seconds When the check's last "
    "run started, since the Unix epoch.\n"
    "# TYPE vitals_check_last_run_timestamp_seconds gauge\n"
    "vitals_check_last_run_timestamp_seconds{check=\"db\"} 1602684245.25\n"
    "vitals_check_last_run_timestamp_seconds{check=\"plugin\"} 1602684245\n"
    "vitals_check_last_run_timestamp_seconds{check=\"grp\"} 1602684245\n"
    "# HELP vitals_check_last_success_timestamp_seconds When the check last "
    "passed, since the Unix epoch.\n"
    "# TYPE vitals_check_last_success_timestamp_seconds gauge\n"
    "vitals_check_last_success_timestamp_seconds{check=\"db\"} 1602684200\n"
    "# HELP vitals_check_contiguous_failures Failed runs in a row, 0 while "
    "the check passes.\n"
    "# TYPE vitals_check_contiguous_failures gauge\n"
    "vitals_check_contiguous_failures{check=\"db\"} 3\n"
    "vitals_check_contiguous_failures{check=\"plugin\"} 0\n"
    "vitals_check_contiguous_failures{check=\"grp\"} 1\n"
    "vitals_check_contiguous_failures{check=\"later\"} 0\n"
    "# HELP vitals_check_runs_total Runs of the check by their own status "
    "(before thresholds).\n"
    "# TYPE vitals_check_runs_total counter\n"
    "vitals_check_runs_total{check=\"db\",status=\"pass\"} 5\n"
    "vitals_check_runs_total{check=\"db\",status=\"warn\"} 0\n"
    "vitals_check_runs_total{check=\"db\",status=\"fail\"} 3\n"
    "vitals_check_runs_total{check=\"plugin\",status=\"pass\"} 0\n"
    "vitals_check_runs_total{check=\"plugin\",status=\"warn\"} 1\n"
    "vitals_check_runs_total{check=\"plugin\",status=\"fail\"} 0\n"
    "vitals_check_runs_total{check=\"grp\",status=\"pass\"} 0\n"
    "vitals_check_runs_total{check=\"grp\",status=\"warn\"} 0\n"
    "vitals_check_runs_total{check=\"grp\",status=\"fail\"} 1\n"
    "vitals_check_runs_total{check=\"later\",status=\"pass\"} 0\n"
    "vitals_check_runs_total{check=\"later\",status=\"warn\"} 0\n"
    "vitals_check_runs_total{check=\"later\",status=\"fail\"} 0\n"
    "# HELP vitals_check_timeouts_total Runs of the check that hit their "
    "deadline.\n"
    "# TYPE vitals_check_timeouts_total counter\n"
    "vitals_check_timeouts_total{check=\"db\"} 2\n"
    "vitals_check_timeouts_total{check=\"plugin\"} 0\n"
    "vitals_check_timeouts_total{check=\"grp\"} 0\n"
    "vitals_check_timeouts_total{check=\"later\"} 0\n"
    "# HELP vitals_check_transitions_total Changes of the check's reported "
    "status.\n"
    "# TYPE vitals_check_transitions_total counter\n"
    "vitals_check_transitions_total{check=\"db\"} 4\n"
    "vitals_check_transitions_total{check=\"plugin\"} 0\n"
    "vitals_check_transitions_total{check=\"grp\"} 0\n"
    "vitals_check_transitions_total{check=\"later\"} 0\n"
    "# HELP vitals_check_observed Readings of the check: its observed value, "
    "plugin performance data, days left.\n"
    "# TYPE vitals_check_observed gauge\n"
    "vitals_check_observed{check=\"db\",measurement=\"responseTime\","
    "unit=\"ms\"} 12.5\n"
    /* The first perfdata item is the observed value: not twice. A label
     * with a quote, a backslash and a newline is escaped; an unknown
     * ("U") value is left out; a byte that is not UTF-8 becomes U+FFFD. */
    "vitals_check_observed{check=\"plugin\",measurement=\"time\",unit=\"s\"}"
    " 0.39\n"
    "vitals_check_observed{check=\"plugin\",measurement=\"a\\\"b\\\\c\\nd\","
    "unit=\"\"} 3\n"
    "vitals_check_observed{check=\"plugin\",measurement=\"small\","
    "unit=\"%\"} -1e-07\n"
    "vitals_check_observed{check=\"grp/m\\\"1\",measurement=\"load\","
    "unit=\"\"} +Inf\n"
    "vitals_check_observed{check=\"grp/m\\\"1\",measurement=\"remainingDays\","
    "unit=\"d\"} 30\n"
    "vitals_check_observed{check=\"grp/m2\",measurement=\"ratio\","
    "unit=\"%\xEF\xBF\xBD\"} NaN\n";

static char *render(vitals_snapshot_t *s, int details, int om)
{
    vview_t view;
    vbody_t *b;
    char *text;

    assert_int_equal(vview_init(&view, s, NULL), 0);
    view.details = details;
    b = vformat_metrics(&view, om);
    assert_non_null(b);
    assert_int_equal(strlen(b->data), b->len);
    text = strdup(b->data);
    vbody_free(b);
    vview_free(&view);
    return text;
}

static void test_text(void **state)
{
    vitals_snapshot_t *s = snapshot();
    char *body = render(s, 1, 0), want[sizeof(overall_text) +
                                      sizeof(checks_text)];

    (void)state;
    snprintf(want, sizeof(want), "%s%s", overall_text, checks_text);
    assert_string_equal(body, want);
    free(body);
    /* Without details: the aggregate and the build, nothing of a check. */
    body = render(s, 0, 0);
    assert_string_equal(body, overall_text);
    free(body);
    vitals_snapshot_release(s);
}

/* The lines of text that do not start with prefix, joined. */
static char *without(const char *text, const char *prefix)
{
    char *out = calloc(1, strlen(text) + 1), *o = out;

    for (const char *p = text; *p != '\0';) {
        size_t n = strcspn(p, "\n") + 1;

        if (strncmp(p, prefix, strlen(prefix)) != 0) {
            memcpy(o, p, n);
            o += n;
        }
        p += n;
    }
    return out;
}

static void test_openmetrics(void **state)
{
    vitals_snapshot_t *s = snapshot();
    char *text = render(s, 1, 0), *om = render(s, 1, 1);
    char *a = without(text, "# "), *b = without(om, "# ");
    size_t len = strlen(om);

    (void)state;
    /* The same samples, so that Prometheus stores the same series
     * whichever format it negotiated. */
    assert_string_equal(a, b);
    /* Families are named without _total and _info; state sets, infos and
     * units are typed; it ends with "# EOF". */
    assert_non_null(strstr(om, "# TYPE vitals_status stateset\n"
                               "# HELP vitals_status "));
    assert_non_null(strstr(om, "# TYPE vitals_build info\n"
                               "# HELP vitals_build The vitals"));
    assert_non_null(strstr(om, "# TYPE vitals_check_runs counter\n"
                               "# HELP vitals_check_runs Runs"));
    assert_non_null(strstr(om, "# TYPE vitals_check_duration_seconds gauge\n"
                               "# UNIT vitals_check_duration_seconds seconds"
                               "\n# HELP vitals_check_duration_seconds "));
    assert_null(strstr(om, "# TYPE vitals_check_runs_total"));
    assert_true(len > 6);
    assert_string_equal(om + len - 6, "# EOF\n");
    assert_ptr_equal(strstr(om, "# EOF"), om + len - 6);
    free(a);
    free(b);
    free(text);
    free(om);
    vitals_snapshot_release(s);
}

/* ------------------------------------------------------------------------
 * The answer: negotiation, caching, per-request families
 */

typedef struct fake_req {
    vreq_t r;
    const char *accept;
    const char *tag;
} fake_req_t;

static const char *fake_header(const vreq_t *r, const char *name)
{
    return strcasecmp(name, "Accept") == 0 ? ((const fake_req_t *)r)->accept
                                           : NULL;
}

static size_t fake_query(const vreq_t *r, const char *key, const char **vals,
                         size_t max)
{
    const fake_req_t *f = (const fake_req_t *)r;

    if (strcmp(key, "tag") != 0 || f->tag == NULL)
        return 0;
    if (max > 0)
        vals[0] = f->tag;
    return 1;
}

static vans_t answer(vitals_snapshot_t *s, const char *accept, int details,
                     const vstats_t *stats, const char *tag)
{
    fake_req_t f = {.accept = accept, .tag = tag};
    vans_t ans = {0};

    f.r.method = "GET";
    f.r.path = "/metrics";
    f.r.rest = "";
    f.r.snap = s;
    f.r.output = &voutput_metrics;
    f.r.details = details;
    f.r.stats = stats;
    f.r.header = fake_header;
    f.r.query = fake_query;
    ans.status = 200;
    ans.content_type = voutput_metrics.content_type;
    voutput_metrics.answer(&f.r, &ans);
    assert_null(ans.error);
    assert_int_equal(ans.status, 200); /* even though the checks fail */
    return ans;
}

static const vbody_t *body(const vans_t *a)
{
    return a->cached != NULL ? a->cached : a->owned;
}

#define TEXT "text/plain; version=0.0.4; charset=utf-8"
#define OM "application/openmetrics-text; version=1.0.0; charset=utf-8"

static void test_negotiation(void **state)
{
    static const struct {
        const char *accept, *type;
    } cases[] = {
        {NULL, TEXT},
        {"*/*", TEXT},
        {"text/plain", TEXT},
        /* Prometheus 2's scrape header. */
        {"application/openmetrics-text;version=1.0.0,application/"
         "openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;"
         "q=0.5,*/*;q=0.1",
         OM},
        {"application/openmetrics-text", OM},
        {"Application/OpenMetrics-Text; q=0.9, text/plain; q=0.8", OM},
        {"text/plain; q=1, application/openmetrics-text; q=0.5", TEXT},
        {"application/openmetrics-text; q=0", TEXT},
    };
    vitals_snapshot_t *s = snapshot();

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        vans_t a = answer(s, cases[i].accept, 0, NULL, NULL);
        const vbody_t *b = body(&a);
        int om = strcmp(cases[i].type, OM) == 0;

        assert_string_equal(a.content_type, cases[i].type);
        assert_int_equal(strstr(b->data, "# EOF\n") != NULL, om);
        /* Without details nothing is per request: the cached body. */
        assert_non_null(a.cached);
        vbody_free(a.owned);
    }
    vitals_snapshot_release(s);
}

static void test_live_families(void **state)
{
    vitals_snapshot_t *s = snapshot();
    vstats_t *st = calloc(1, sizeof(*st));
    vans_t a;

    (void)state;
    vstats_count(st, &voutput_metrics, 200);
    vstats_count(st, &voutput_metrics, 200);
    vstats_count(st, NULL, 404);
    vstats_count(st, &voutput_metrics, 418);
    a = answer(s, NULL, 1, st, NULL);
    /* Rendered per request: the snapshot's part from the cache, then
     * the server's counts and the process' figures. */
    assert_null(a.cached);
    assert_non_null(a.owned);
    assert_non_null(strstr(a.owned->data, checks_text));
    assert_non_null(strstr(
        a.owned->data,
        "# TYPE vitals_http_requests_total counter\n"
        "vitals_http_requests_total{endpoint=\"metrics\",code=\"200\"} 2\n"
        "vitals_http_requests_total{endpoint=\"metrics\",code=\"other\"} 1\n"
        "vitals_http_requests_total{endpoint=\"none\",code=\"404\"} 1\n"
        "# HELP process_cpu_seconds_total "));
    assert_non_null(strstr(a.owned->data, "\nprocess_resident_memory_bytes "));
    assert_non_null(strstr(a.owned->data, "\nprocess_open_fds "));
    assert_non_null(strstr(a.owned->data, "\nprocess_max_fds "));
    assert_non_null(strstr(a.owned->data, "\nprocess_start_time_seconds "));
    vbody_free(a.owned);

    /* OpenMetrics: one "# EOF", at the very end. */
    a = answer(s, "application/openmetrics-text", 1, st, NULL);
    assert_non_null(a.owned);
    assert_non_null(strstr(a.owned->data, "# TYPE process_cpu_seconds counter"
                                          "\n# UNIT process_cpu_seconds "
                                          "seconds\n"));
    assert_ptr_equal(strstr(a.owned->data, "# EOF"),
                     a.owned->data + a.owned->len - 6);
    vbody_free(a.owned);
    free(st);
    vitals_snapshot_release(s);
}

static void test_selection(void **state)
{
    vitals_snapshot_t *s = snapshot();
    vans_t a = answer(s, NULL, 1, NULL, "web");

    (void)state;
    /* ?tag=web: only db, and the aggregate of that view. */
    assert_non_null(strstr(a.owned->data, "{check=\"db\""));
    assert_null(strstr(a.owned->data, "{check=\"plugin\""));
    assert_non_null(strstr(a.owned->data,
                           "vitals_status{vitals_status=\"fail\"} 1\n"));
    /* No server table (a library user's request): no request counts. */
    assert_non_null(strstr(a.owned->data,
                           "# TYPE vitals_http_requests_total counter\n#"));
    vbody_free(a.owned);
    vitals_snapshot_release(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_text),
        cmocka_unit_test(test_openmetrics),
        cmocka_unit_test(test_negotiation),
        cmocka_unit_test(test_live_families),
        cmocka_unit_test(test_selection),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
