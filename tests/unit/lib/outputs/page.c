/* page.c - the status page's parts from a hand-built snapshot: rows worst
 * first with members under their group, escaping of what checks say, the
 * status filter, the lifecycle banner with and without details, nothing
 * of a check without details; the uptime bar and the sparkline from
 * samples (by run and by hour, tooltips on failing slots only); the words
 * for durations. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "outputs/page.h"
#include "util/clock.h"

#define T0 (1800000000LL * VCLOCK_S) /* 2027-01-15T08:00:00Z */

static const char *const db_tags[] = {"db", "ready"};

static void entry(vsnap_entry_t *e, const char *name, vitals_status_t st,
                  const char *error, const char *description)
{
    e->pub.name = name;
    e->pub.status = st;
    e->pub.error = error;
    e->pub.description = description;
    e->pub.timestamp_ns = T0 - 2 * VCLOCK_S;
    e->pub.duration_ns = 3 * VCLOCK_MS;
    e->has_run = 1;
    e->since_ns = T0 - 125 * VCLOCK_S;
}

/* web healthy, db<x> unhealthy (tags db, ready), printers degraded with
 * a healthy and an unhealthy member. */
static vitals_snapshot_t *snapshot(vsnap_entry_t kids[2])
{
    vitals_snapshot_t *s = vsnap_new(3);

    assert_non_null(s);
    s->time_ns = T0;
    s->service_id = strdup("orders-api");
    entry(&s->entries[0], "web", VITALS_HEALTHY, NULL, "connected");
    entry(&s->entries[1], "db<x>", VITALS_UNHEALTHY, "refused & \"down\"",
          NULL);
    s->entries[1].pub.tags = db_tags;
    s->entries[1].pub.ntags = 2;
    entry(&s->entries[2], "printers", VITALS_DEGRADED, "1 of 2 healthy",
          NULL);
    memset(kids, 0, 2 * sizeof(*kids));
    entry(&kids[0], "Fiscal2", VITALS_HEALTHY, NULL, "ok");
    entry(&kids[1], "Virtual", VITALS_UNHEALTHY, "offline", NULL);
    kids[0].pub.timestamp_ns = kids[1].pub.timestamp_ns = 0;
    s->entries[2].children = kids;
    s->entries[2].nchildren = 2;
    return s;
}

/* The parts for q, with details or not. */
static void parts_of(vitals_snapshot_t *s, const vpage_req_t *q, int details,
                     vbuf_t parts[VPAGE_NPARTS])
{
    vview_t v;
    vreq_t r = {.snap = s};

    for (int i = 0; i < VPAGE_NPARTS; i++)
        parts[i] = (vbuf_t)VBUF_INIT(0);
    assert_int_equal(vview_init(&v, s, NULL), 0);
    v.details = details;
    assert_int_equal(vpage_parts(&v, &r, q, parts), 0);
    vview_free(&v);
}

static void clear(vbuf_t parts[VPAGE_NPARTS])
{
    for (int i = 0; i < VPAGE_NPARTS; i++)
        vbuf_clear(&parts[i]);
}

/* The data-check names of the rows, in order, comma-separated. */
static void names(const char *rows, char *out, size_t len)
{
    out[0] = '\0';
    for (const char *p = rows; (p = strstr(p, "data-check=\"")) != NULL;) {
        const char *end = strchr(p += 12, '"');

        strncat(out, p, (size_t)(end - p) < len - strlen(out) - 2
                            ? (size_t)(end - p) : 0);
        strcat(out, ",");
    }
}

static void test_rows(void **state)
{
    vsnap_entry_t kids[2];
    vitals_snapshot_t *s = snapshot(kids);
    vpage_req_t q = {0};
    vbuf_t p[VPAGE_NPARTS];
    char got[256];

    (void)state;
    parts_of(s, &q, 1, p);
    names(p[VPAGE_ROWS].data, got, sizeof(got));
    /* Worst first; members under their group, worst first too. */
    assert_string_equal(got, "db&lt;x&gt;,printers,Virtual,Fiscal2,web,");
    assert_null(strstr(p[VPAGE_ROWS].data, "<x>"));
    assert_non_null(strstr(p[VPAGE_ROWS].data,
                           "<div class=\"msg\">refused &amp; &quot;down&quot;"
                           "</div>"));
    assert_non_null(strstr(p[VPAGE_ROWS].data,
                           "<tr class=\"r2 m1\" data-check=\"Virtual\" "
                           "data-status=\"unhealthy\">"));
    assert_non_null(strstr(p[VPAGE_ROWS].data,
                           "<span class=\"tag\">db</span><span "
                           "class=\"tag\">ready</span>"));
    assert_non_null(strstr(p[VPAGE_ROWS].data, "<small>for 2 min</small>"));
    assert_non_null(strstr(p[VPAGE_ROWS].data, "<small>took 3.0 ms</small>"));
    assert_non_null(strstr(p[VPAGE_ROWS].data, "no history yet"));
    assert_non_null(strstr(p[VPAGE_SUMMARY].data,
                           "<div class=\"overall k2\"><svg class=\"ic\" "
                           "role=\"img\" aria-label=\"unhealthy\"><use "
                           "href=\"#i2\"/></svg>Unhealthy</div>"));
    assert_non_null(strstr(p[VPAGE_FILTERS].data,
                           "<a href=\"?status=unhealthy\">Unhealthy <span "
                           "class=\"vh\">(</span>1<span class=\"vh\">)"
                           "</span></a>"));
    assert_non_null(strstr(p[VPAGE_FILTERS].data, "<a href=\"?tag=ready\">"));
    assert_int_equal(p[VPAGE_BANNER].len, 0);
    clear(p);

    q.statuses = 1u << VITALS_DEGRADED | 1u << VITALS_HEALTHY;
    parts_of(s, &q, 1, p);
    names(p[VPAGE_ROWS].data, got, sizeof(got));
    assert_string_equal(got, "printers,Virtual,Fiscal2,web,");
    clear(p);
    vitals_snapshot_release(s);
}

static void test_banner_and_details(void **state)
{
    vsnap_entry_t kids[2];
    vitals_snapshot_t *s = snapshot(kids);
    vpage_req_t q = {0};
    vbuf_t p[VPAGE_NPARTS];

    (void)state;
    s->maintenance = s->maintenance_reason = strdup("db <migration>");
    s->maintenance_until_ns = T0 + 3600 * VCLOCK_S;
    parts_of(s, &q, 1, p);
    assert_non_null(strstr(p[VPAGE_BANNER].data,
                           " Maintenance: db &lt;migration&gt;, until "
                           "2027-01-15 09:00:00 UTC (readiness fails "
                           "meanwhile)</div>"));
    clear(p);

    /* No details: the overall status, no reason, no check. */
    parts_of(s, &q, 0, p);
    assert_non_null(strstr(p[VPAGE_SUMMARY].data, "Unhealthy"));
    assert_non_null(strstr(p[VPAGE_BANNER].data, " Maintenance, until "));
    assert_null(strstr(p[VPAGE_BANNER].data, "migration"));
    assert_int_equal(p[VPAGE_ROWS].len, 0);
    assert_int_equal(p[VPAGE_FILTERS].len, 0);
    clear(p);

    s->draining = 1;
    parts_of(s, &q, 1, p);
    assert_non_null(strstr(p[VPAGE_BANNER].data,
                           " Shutting down: draining, readiness fails"));
    clear(p);
    vitals_snapshot_release(s);
}

static size_t count(const char *text, const char *needle)
{
    size_t n = 0;

    for (const char *p = text; (p = strstr(p, needle)) != NULL; p++)
        n++;
    return n;
}

static void test_bar_by_run(void **state)
{
    vpage_sample_t s[45];
    vpage_runs_t runs = {.s = s, .n = 45};
    vbuf_t b = VBUF_INIT(0);

    (void)state;
    for (int i = 0; i < 45; i++) /* newest first, one every 10 s */
        s[i] = (vpage_sample_t){T0 - i * 10 * VCLOCK_S, VCLOCK_MS,
                                VITALS_HEALTHY, NULL};
    s[0].status = VITALS_UNHEALTHY;
    s[0].error = "refused <x>";
    s[3].status = VITALS_DEGRADED;
    s[3].error = NULL;
    vpage_bar(&b, &runs);
    assert_non_null(strstr(b.data, "aria-label=\"Latest runs: 38 healthy, 1 "
                                   "degraded, 1 unhealthy\""));
    /* One path per colour; the newest run is the right-most slot. */
    assert_int_equal(count(b.data, "<path "), 3);
    assert_non_null(strstr(b.data, "<path class=\"h2\" d=\"M234 0h5v22h-5z\""));
    assert_int_equal(count(b.data, "<rect class=\"t\""), 2);
    assert_non_null(strstr(b.data, "<title>2027-01-15 08:00:00 UTC: "
                                   "unhealthy: refused &lt;x&gt;</title>"));
    assert_non_null(strstr(b.data, "degraded: no error text</title>"));
    vbuf_clear(&b);

    runs.n = 0;
    vpage_bar(&b, &runs);
    assert_null(b.data);
}

static void test_bar_by_hour(void **state)
{
    vpage_sample_t s[60];
    vpage_runs_t runs = {.s = s, .n = 60, .by_time = 1, .to_ns = T0};
    vbuf_t b = VBUF_INIT(0);

    (void)state;
    for (int i = 0; i < 60; i++) /* one a minute in the last hour */
        s[i] = (vpage_sample_t){T0 - (i + 1) * 60 * VCLOCK_S, VCLOCK_MS,
                                i < 3 ? VITALS_UNHEALTHY : VITALS_HEALTHY,
                                i < 3 ? "timeout" : NULL};
    vpage_bar(&b, &runs);
    assert_non_null(strstr(b.data, "aria-label=\"Last 24 hours by hour: 0 "
                                   "healthy, 0 degraded, 1 unhealthy\""));
    assert_non_null(strstr(b.data, "<title>2027-01-15 07:00–08:00 UTC: 3 of "
                                   "60 runs failed: timeout</title>"));
    /* 23 hours without runs are grey. */
    assert_int_equal(count(b.data, "<path class=\"hn\""), 1);
    assert_int_equal(count(b.data, "h8v22h-8z"), 24);
    vbuf_clear(&b);
}

static void test_spark(void **state)
{
    vpage_sample_t s[3] = {{T0, 3 * VCLOCK_MS, VITALS_HEALTHY, NULL},
                           {T0 - VCLOCK_S, VCLOCK_MS, VITALS_HEALTHY, NULL},
                           {T0 - 2 * VCLOCK_S, 2 * VCLOCK_MS, VITALS_HEALTHY,
                            NULL}};
    vpage_runs_t runs = {.s = s, .n = 3};
    vbuf_t b = VBUF_INIT(0);

    (void)state;
    vpage_spark(&b, &runs);
    assert_non_null(strstr(b.data, "aria-label=\"Response time of the last 3 "
                                   "runs: 1.0 ms to 3.0 ms\""));
    /* Oldest left; the slowest touches the top (y 2). */
    assert_non_null(strstr(b.data, "<path class=\"s\" d=\"M0.0 10.3L60.0 "
                                   "18.7L120.0 2.0\"/>"));
    vbuf_clear(&b);
    runs.n = 1;
    vpage_spark(&b, &runs);
    assert_null(b.data);
}

static void test_words(void **state)
{
    char buf[32];

    (void)state;
    vpage_duration(850 * 1000, buf, sizeof(buf));
    assert_string_equal(buf, "850 µs");
    vpage_duration(2500 * 1000, buf, sizeof(buf));
    assert_string_equal(buf, "2.5 ms");
    vpage_duration(120 * VCLOCK_MS, buf, sizeof(buf));
    assert_string_equal(buf, "120 ms");
    vpage_duration(1500 * VCLOCK_MS, buf, sizeof(buf));
    assert_string_equal(buf, "1.5 s");
    vpage_ago(59 * VCLOCK_S, buf, sizeof(buf));
    assert_string_equal(buf, "59 s");
    vpage_ago(3725 * VCLOCK_S, buf, sizeof(buf));
    assert_string_equal(buf, "1 h 2 min");
    vpage_ago(3 * 86400 * VCLOCK_S, buf, sizeof(buf));
    assert_string_equal(buf, "3 days");
    assert_non_null(strstr(vpage_csp(1), "script-src 'sha256-"));
    assert_null(strstr(vpage_csp(0), "script-src"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rows),
        cmocka_unit_test(test_banner_and_details),
        cmocka_unit_test(test_bar_by_run),
        cmocka_unit_test(test_bar_by_hour),
        cmocka_unit_test(test_spark),
        cmocka_unit_test(test_words),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
