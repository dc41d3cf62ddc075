/* report.c - the .NET HealthReport of seed 001 (GET /api/v2/health): what
 * System.Text.Json writes for Microsoft.Extensions.Diagnostics.HealthChecks
 * .HealthReport with camelCase names and string enums:
 * {status, totalDuration, entries: {name: {data, description, duration,
 * status, exception: {message}}}}, nested results in data.entries. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <stddef.h>
#include <stdlib.h>

#include "outputs/output.h"

/* What DefaultHealthCheckService puts in the entry of a check that ran out
 * of time; clients match on it. */
#define TIMEOUT_DESCRIPTION "A timeout occurred while running check."

/* A TimeSpan counts 100 ns ticks. */
#define TICKS_PER_SECOND 10000000LL
#define TICKS_PER_DAY (86400LL * TICKS_PER_SECOND)

/* JsonStringEnumConverter writes the enum member names as declared. */
static const char *report_status(vitals_status_t s)
{
    switch (s) {
    case VITALS_HEALTHY:
        return "Healthy";
    case VITALS_DEGRADED:
        return "Degraded";
    case VITALS_UNHEALTHY:
        return "Unhealthy";
    }
    return "Unhealthy";
}

char *vformat_timespan(int64_t ns, char *buf, size_t len)
{
    /* Truncating towards zero, as new TimeSpan(ticks) from a duration
     * would: 99 ns is zero ticks, and zero has no sign. Dividing first also
     * keeps INT64_MIN's magnitude in range. */
    int64_t ticks = ns / 100;
    const char *sign = ticks < 0 ? "-" : "";
    int64_t days, rest;
    int n;

    if (buf == NULL || len == 0)
        return buf;
    if (ticks < 0)
        ticks = -ticks;
    days = ticks / TICKS_PER_DAY;
    rest = ticks % TICKS_PER_DAY;
    if (days > 0)
        n = snprintf(buf, len, "%s%" PRId64 ".", sign, days);
    else
        n = snprintf(buf, len, "%s", sign);
    if (n < 0 || (size_t)n >= len)
        return buf;
    n += snprintf(buf + n, len - (size_t)n, "%02d:%02d:%02d",
                  (int)(rest / (3600 * TICKS_PER_SECOND)),
                  (int)(rest / (60 * TICKS_PER_SECOND) % 60),
                  (int)(rest / TICKS_PER_SECOND % 60));
    /* The "c" format leaves the fraction out when it is zero. */
    if ((size_t)n < len && rest % TICKS_PER_SECOND != 0)
        snprintf(buf + n, len - (size_t)n, ".%07d",
                 (int)(rest % TICKS_PER_SECOND));
    return buf;
}

static int set_timespan(json_t *o, const char *key, int64_t ns)
{
    char buf[40];

    return json_object_set_new(o, key,
                               json_string(vformat_timespan(ns, buf,
                                                            sizeof(buf))));
}

/* Sets key to value when there is one, as WhenWritingNull does. */
static int set_str(json_t *o, const char *key, const char *value)
{
    if (value == NULL)
        return 0;
    return json_object_set_new(o, key, json_string(value));
}

/* HealthReportEntry.Exception is serialised as an object of which only
 * the message carries over from C. */
static int set_exception(json_t *o, const char *message)
{
    json_t *x;

    if (message == NULL)
        return 0;
    if ((x = json_object()) == NULL)
        return -1;
    if (json_object_set_new(x, "message", json_string(message)) != 0) {
        json_decref(x);
        return -1;
    }
    return json_object_set_new(o, "exception", x);
}

static json_t *result_data(const vitals_check_state_t *st);

/* A nested HealthCheckResult {data, description?, status, exception?}: a
 * child is measured within its parent's run, so it has no duration. A
 * child's error is always one it reported (result.c), so it becomes the
 * exception whenever the child is not healthy. */
static json_t *child_result(const vitals_check_state_t *st)
{
    json_t *o = json_object();
    int rc = 0;
    const char *exception = st->status != VITALS_HEALTHY ? st->error : NULL;

    if (o == NULL)
        return NULL;
    rc |= json_object_set_new(o, "data", result_data(st));
    /* As HealthCheckResult.Unhealthy(exception: e) gets from
     * DefaultHealthCheckService: the description falls back to the
     * exception's message. */
    rc |= set_str(o, "description",
                  st->description != NULL ? st->description : exception);
    rc |= json_object_set_new(o, "status",
                              json_string(report_status(st->status)));
    rc |= set_exception(o, exception);
    if (rc != 0) {
        json_decref(o);
        return NULL;
    }
    return o;
}

/* The data of st, with its nested results appended as the "entries" array
 * of {key, result} pairs, as Portos serialises its KeyValuePair lists. In
 * this format data.entries always means nested results (clients, and
 * docs/schemas/report.json, read it so), so an "entries" key a check set
 * itself is left out, with or without members; the members come after the
 * check's other keys. */
static json_t *result_data(const vitals_check_state_t *st)
{
    json_t *d = vformat_data(st), *a;
    int rc = 0;

    if (d == NULL)
        return NULL;
    json_object_del(d, "entries");
    if (st->nchildren == 0)
        return d;
    if ((a = json_array()) == NULL) {
        json_decref(d);
        return NULL;
    }
    for (size_t i = 0; i < st->nchildren && rc == 0; i++) {
        const vitals_check_state_t *c = &st->children[i];
        json_t *pair = json_object();

        if (pair == NULL) {
            rc = -1;
            break;
        }
        rc |= set_str(pair, "key", c->name);
        rc |= json_object_set_new(pair, "result", child_result(c));
        rc |= json_array_append_new(a, pair);
    }
    rc |= json_object_set_new(d, "entries", a);
    if (rc != 0) {
        json_decref(d);
        return NULL;
    }
    return d;
}

/* The message of the entry's exception, or NULL. .NET sets Exception only
 * when the check threw; here that is a check that is not healthy because
 * something failed: it has not run yet, it timed out, or its latest result
 * carries an error. A check that is merely degraded (or unhealthy) with a
 * description, like seed 001's diskstorage, has no exception: pub.error
 * then only repeats the description. Held in a failing state by
 * success_threshold, a check shows the failure it still reports when that
 * differs from the description of its latest (passing) run, because
 * nothing else would say why it is not healthy. */
static const char *entry_exception(const vsnap_entry_t *e)
{
    const vitals_check_state_t *st = &e->pub;

    if (st->status == VITALS_HEALTHY || st->error == NULL)
        return NULL;
    if (e->own_error)
        return st->error;
    if (st->description != NULL && strcmp(st->error, st->description) == 0)
        return NULL;
    return st->error;
}

static json_t *entry(const vsnap_entry_t *e)
{
    const vitals_check_state_t *st = &e->pub;
    const char *description = st->description;
    json_t *o = json_object();
    int rc = 0;

    if (o == NULL)
        return NULL;
    /* The engine's own timeout result: word it as .NET does, whatever the
     * check's default description; the exception keeps our message. */
    if (e->timed_out)
        description = TIMEOUT_DESCRIPTION;
    rc |= json_object_set_new(o, "data", result_data(st));
    rc |= set_str(o, "description", description);
    rc |= set_timespan(o, "duration", st->duration_ns);
    rc |= json_object_set_new(o, "status",
                              json_string(report_status(st->status)));
    rc |= set_exception(o, entry_exception(e));
    if (rc != 0) {
        json_decref(o);
        return NULL;
    }
    return o;
}

vbody_t *vformat_report(const vview_t *v)
{
    json_t *root = json_object(), *entries;
    int64_t total = 0;
    int rc = 0;

    if (root == NULL)
        return NULL;
    /* HealthReport.TotalDuration is the wall time the service spent running
     * the checks. Ours run in parallel in the background, each on its own
     * schedule, so the closest equivalent is what a round running all the
     * selected checks at once would take: the longest of their last
     * durations (0 when there are none). */
    for (size_t i = 0; i < v->n; i++)
        if (v->entries[i]->pub.duration_ns > total)
            total = v->entries[i]->pub.duration_ns;
    rc |= json_object_set_new(root, "status",
                              json_string(report_status(v->status)));
    rc |= set_timespan(root, "totalDuration", total);
    if (rc != 0) {
        json_decref(root);
        return NULL;
    }
    /* An anonymous caller of a protected deployment: nothing a check says,
     * not even which checks there are. */
    if (!v->details)
        return vformat_dump(root);
    if ((entries = json_object()) == NULL) {
        json_decref(root);
        return NULL;
    }
    rc |= json_object_set_new(root, "entries", entries);
    for (size_t i = 0; i < v->n && rc == 0; i++)
        rc |= json_object_set_new(entries, v->entries[i]->pub.name,
                                  entry(v->entries[i]));
    if (rc != 0) {
        json_decref(root);
        return NULL;
    }
    return vformat_dump(root);
}

/* ------------------------------------------------------------------------
 * The output: GET /api/v2/health, with an optional status_codes map
 */

typedef struct {
    unsigned codes[3]; /* by vitals_status_t */
} vreport_conf_t;

/* status_codes: {Healthy: 200, Degraded: 200, Unhealthy: 503}, each
 * optional (the default, as the ASP.NET Core HealthReport's own
 * endpoint, is 200 whatever the status). */
static const vcodes_spec_t report_codes = {
    {"Healthy", "Degraded", "Unhealthy"}, {200, 200, 200}, {599, 599, 599},
    503};

static int parse_codes(vnode_t *codes, void *field, verrs_t *e)
{
    return vcodes_parse(codes, &report_codes, field, e);
}

static const vsetting_t report_settings[] = {
    {.key = "status_codes", .kind = VSET_CUSTOM,
     .offset = offsetof(vreport_conf_t, codes), .parse = parse_codes,
     .doc = "the HTTP status for each status (200 for those left out)"},
    {0}};

static vbody_t *report_fn(const vview_t *v, const vreq_t *r)
{
    (void)r;
    return vformat_report(v);
}

#define MAX_TAGS 16

static void report_answer(vreq_t *r, vans_t *ans)
{
    const vreport_conf_t *c = r->conf;
    const char *tags[MAX_TAGS];
    vselect_t sel = {0};
    const vbody_t *b;

    if (vreq_tags(r, ans, &sel, tags, MAX_TAGS) != 0)
        return;
    if ((b = vreq_view(r, ans, NULL, &sel, report_fn)) != NULL)
        ans->status = c && c->codes[b->health] ? c->codes[b->health] : 200;
}

const voutput_t voutput_report = {
    .id = "report", .path = "/api/v2/health", .content_type = "application/json",
    .allow = "GET, HEAD", .settings = report_settings,
    .conf_size = sizeof(vreport_conf_t),
    .answer = report_answer,
    .doc_format = "The ASP.NET Core HealthReport",
    .doc_codes = "200 always (configurable)"};
