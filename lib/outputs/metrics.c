/* metrics.c - the "metrics" output: GET /metrics for Prometheus, in the
 * text exposition format 0.0.4, or in OpenMetrics 1.0 when the Accept
 * header prefers application/openmetrics-text (as Prometheus' own does).
 *
 * What the snapshot says (the aggregate and each check's status, times,
 * streaks, counters and readings) is rendered once per snapshot, format
 * and selection, like every body. What the snapshot cannot say, the
 * server's response counts and this process's process_* figures, is
 * appended per request: a scrape every 15 s must not read CPU time and
 * request counts from a snapshot that was published minutes ago (a
 * snapshot is only published when a result arrives). That part is a
 * dozen lines from atomics, getrusage and two small /proc files.
 *
 * A caller without details gets only vitals_status and vitals_build_info,
 * as every output shows such a caller only the overall status.
 *
 * The two formats differ only in their metadata lines: OpenMetrics names a
 * family without the _total (counters) or _info (info) of its samples,
 * has UNIT lines, types state sets and infos, and ends with "# EOF". The
 * samples are the same bytes, so that Prometheus stores the same series
 * whichever it negotiated. A state set's label is named after its family
 * (OpenMetrics requires it, Python's client does the same in 0.0.4):
 * vitals_check_status{check="db",vitals_check_status="fail"} 1. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "outputs/output.h"
#include "store/query.h"
#include "util/procstat.h"
#include "util/utf8.h"

#define TEXT_TYPE "text/plain; version=0.0.4; charset=utf-8"
#define OM_TYPE "application/openmetrics-text; version=1.0.0; charset=utf-8"
#define MAX_TAGS 16

static const char eof_line[] = "# EOF\n";

/* A body being written, and its format. */
typedef struct mw {
    FILE *f;
    char *data;
    size_t len;
    int om;
} mw_t;

typedef struct label {
    const char *name, *value;
} label_t;

/* ------------------------------------------------------------------------
 * Writing the format
 */

static int mw_open(mw_t *w, int om)
{
    w->data = NULL;
    w->len = 0;
    w->om = om;
    w->f = open_memstream(&w->data, &w->len);
    return w->f != NULL ? 0 : -1;
}

/* The body written so far, or NULL when a write failed (or failed is
 * set: the caller ran out of memory). */
static vbody_t *mw_close(mw_t *w, int failed)
{
    failed |= ferror(w->f);
    if (fclose(w->f) != 0 || failed) {
        free(w->data);
        return NULL;
    }
    return vbody_new(w->data, w->len);
}

/* A label value: backslash, double quote and line feed escaped (both
 * formats), and bytes that are not UTF-8 replaced by U+FFFD, since both
 * formats are UTF-8 and members' names, measurements and units come from
 * plugins. */
static void put_label_value(FILE *f, const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t n = strlen(s);

    while (n > 0) {
        size_t k = vutf8_seq(p, n);

        if (k == 0) {
            fputs("\xEF\xBF\xBD", f);
            k = 1;
        } else if (*p == '\\') {
            fputs("\\\\", f);
        } else if (*p == '"') {
            fputs("\\\"", f);
        } else if (*p == '\n') {
            fputs("\\n", f);
        } else {
            fwrite(p, 1, k, f);
        }
        p += k;
        n -= k;
    }
}

/* A value: NaN, +Inf and -Inf as both formats spell them, integers
 * without a decimal point, others with the fewest digits that read back
 * as the same double. */
static void put_value(FILE *f, double v)
{
    char buf[32];

    if (isnan(v)) {
        fputs("NaN", f);
    } else if (isinf(v)) {
        fputs(v > 0 ? "+Inf" : "-Inf", f);
    } else {
        snprintf(buf, sizeof(buf), "%.15g", v);
        if (strtod(buf, NULL) != v)
            snprintf(buf, sizeof(buf), "%.17g", v);
        fputs(buf, f);
    }
}

/* ns as seconds, whole seconds and fraction apart: a double cannot hold
 * the nanoseconds since the epoch exactly, but it can hold the seconds
 * and the fraction's rounding stays in the fraction. */
static double seconds(int64_t ns)
{
    return (double)(ns / 1000000000) + (double)(ns % 1000000000) / 1e9;
}

static void sample(mw_t *w, const char *name, const label_t *l, size_t n,
                   double v)
{
    fputs(name, w->f);
    for (size_t i = 0; i < n; i++) {
        fprintf(w->f, "%c%s=\"", i == 0 ? '{' : ',', l[i].name);
        put_label_value(w->f, l[i].value);
        fputc('"', w->f);
    }
    fputs(n > 0 ? "} " : " ", w->f);
    put_value(w->f, v);
    fputc('\n', w->f);
}

/* A family's metadata. name is its samples' name; type is OpenMetrics'
 * (0.0.4 knows neither stateset nor info: they are gauges there). */
static void family(mw_t *w, const char *name, const char *type,
                   const char *unit, const char *help)
{
    size_t len = strlen(name);

    if (!w->om) {
        fprintf(w->f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name,
                strcmp(type, "counter") == 0 ? "counter" : "gauge");
        return;
    }
    if (strcmp(type, "counter") == 0)
        len -= strlen("_total");
    else if (strcmp(type, "info") == 0)
        len -= strlen("_info");
    fprintf(w->f, "# TYPE %.*s %s\n", (int)len, name, type);
    if (unit != NULL)
        fprintf(w->f, "# UNIT %.*s %s\n", (int)len, name, unit);
    fprintf(w->f, "# HELP %.*s %s\n", (int)len, name, help);
}

/* ------------------------------------------------------------------------
 * Per check
 */

static const vitals_status_t statuses[] = {VITALS_HEALTHY, VITALS_DEGRADED,
                                           VITALS_UNHEALTHY};

static void check_status(mw_t *w, const vsnap_entry_t *e, const char *check)
{
    for (size_t i = 0; i < 3; i++) {
        label_t l[] = {{"check", check},
                       {"vitals_check_status",
                        vformat_ietf_status(statuses[i])}};

        sample(w, "vitals_check_status", l, 2, e->pub.status == statuses[i]);
    }
}

static void check_duration(mw_t *w, const vsnap_entry_t *e, const char *c)
{
    label_t l = {"check", c};

    if (e->has_run)
        sample(w, "vitals_check_duration_seconds", &l, 1,
               seconds(e->pub.duration_ns));
}

static void check_last_run(mw_t *w, const vsnap_entry_t *e, const char *c)
{
    label_t l = {"check", c};

    if (e->has_run && e->pub.timestamp_ns != 0)
        sample(w, "vitals_check_last_run_timestamp_seconds", &l, 1,
               seconds(e->pub.timestamp_ns));
}

static void check_last_success(mw_t *w, const vsnap_entry_t *e,
                               const char *c)
{
    label_t l = {"check", c};

    if (e->pub.last_success_ns != 0)
        sample(w, "vitals_check_last_success_timestamp_seconds", &l, 1,
               seconds(e->pub.last_success_ns));
}

static void check_failures(mw_t *w, const vsnap_entry_t *e, const char *c)
{
    label_t l = {"check", c};

    sample(w, "vitals_check_contiguous_failures", &l, 1,
           (double)e->pub.contiguous_failures);
}

static void check_runs(mw_t *w, const vsnap_entry_t *e, const char *c)
{
    for (size_t i = 0; i < 3; i++) {
        label_t l[] = {{"check", c},
                       {"status", vformat_ietf_status(statuses[i])}};

        sample(w, "vitals_check_runs_total", l, 2,
               (double)e->runs[statuses[i]]);
    }
}

static void check_timeouts(mw_t *w, const vsnap_entry_t *e, const char *c)
{
    label_t l = {"check", c};

    sample(w, "vitals_check_timeouts_total", &l, 1, (double)e->timeouts);
}

static void check_transitions(mw_t *w, const vsnap_entry_t *e, const char *c)
{
    label_t l = {"check", c};

    sample(w, "vitals_check_transitions_total", &l, 1,
           (double)e->transitions);
}

static void observed(mw_t *w, const char *check, const char *measurement,
                     const char *unit, double v)
{
    label_t l[] = {{"check", check},
                   {"measurement", measurement},
                   {"unit", unit != NULL ? unit : ""}};

    sample(w, "vitals_check_observed", l, 3, v);
}

/* Every reading of a check: its observed value, each item of a plugin's
 * performance data, and the days left of an expiry or TLS check. */
static void check_observed(mw_t *w, const vsnap_entry_t *e, const char *c)
{
    const char *m = e->measurement, *key;
    json_t *data, *perf, *item, *v;

    if (m != NULL)
        observed(w, c, m, e->unit, e->observed);
    if (!e->has_run || e->pub.data_json == NULL ||
        strcmp(e->pub.data_json, "{}") == 0)
        return;
    data = vformat_data(&e->pub);
    perf = json_object_get(data, "perfdata");
    json_object_foreach(perf, key, item) {
        v = json_object_get(item, "value");
        if (json_is_number(v) && (m == NULL || strcmp(key, m) != 0))
            observed(w, c, key,
                     json_string_value(json_object_get(item, "unit")),
                     json_number_value(v));
    }
    v = json_object_get(data, "remainingDays");
    if (json_is_number(v) && (m == NULL || strcmp(m, "remainingDays") != 0))
        observed(w, c, "remainingDays", "d", json_number_value(v));
    json_decref(data);
}

typedef struct check_family {
    const char *name, *type, *unit, *help;
    void (*emit)(mw_t *w, const vsnap_entry_t *e, const char *check);
    int members; /* 1: nested members have it too, not only checks */
} check_family_t;

/* The scheduler's figures (times, streaks, counters) are a check's; a
 * group's or remote's members have only a status and readings. */
static const check_family_t check_families[] = {
    {"vitals_check_status", "stateset", NULL,
     "Status of each check and nested member (1 for the current one).",
     check_status, 1},
    {"vitals_check_duration_seconds", "gauge", "seconds",
     "Duration of the check's last run.", check_duration, 0},
    {"vitals_check_last_run_timestamp_seconds", "gauge", "seconds",
     "When the check's last run started, since the Unix epoch.",
     check_last_run, 0},
    {"vitals_check_last_success_timestamp_seconds", "gauge", "seconds",
     "When the check last passed, since the Unix epoch.", check_last_success,
     0},
    {"vitals_check_contiguous_failures", "gauge", NULL,
     "Failed runs in a row, 0 while the check passes.", check_failures, 0},
    {"vitals_check_runs_total", "counter", NULL,
     "Runs of the check by their own status (before thresholds).",
     check_runs, 0},
    {"vitals_check_timeouts_total", "counter", NULL,
     "Runs of the check that hit their deadline.", check_timeouts, 0},
    {"vitals_check_transitions_total", "counter", NULL,
     "Changes of the check's reported status.", check_transitions, 0},
    {"vitals_check_observed", "gauge", NULL,
     "Readings of the check: its observed value, plugin performance data, "
     "days left.",
     check_observed, 1},
};

/* Emits e (named check) and its members ("check/member"). */
static int walk(mw_t *w, const check_family_t *fam, const vsnap_entry_t *e,
                const char *prefix)
{
    const char *name = e->pub.name != NULL ? e->pub.name : "";
    char *path = NULL;
    int rc = 0;

    if (prefix != NULL && asprintf(&path, "%s/%s", prefix, name) < 0)
        return -1;
    if (prefix == NULL || fam->members)
        fam->emit(w, e, path != NULL ? path : name);
    for (size_t i = 0; rc == 0 && fam->members && i < e->nchildren; i++)
        rc = walk(w, fam, &e->children[i], path != NULL ? path : name);
    free(path);
    return rc;
}

/* ------------------------------------------------------------------------
 * The body
 */

static void overall(mw_t *w, vitals_status_t status)
{
    label_t build = {"version", VITALS_VERSION};

    family(w, "vitals_status", "stateset", NULL,
           "Aggregate status of the checks shown (1 for the current one).");
    for (size_t i = 0; i < 3; i++) {
        label_t l = {"vitals_status", vformat_ietf_status(statuses[i])};

        sample(w, "vitals_status", &l, 1, status == statuses[i]);
    }
    family(w, "vitals_build_info", "info", NULL,
           "The vitals library serving these metrics.");
    sample(w, "vitals_build_info", &build, 1, 1);
}

vbody_t *vformat_metrics(const vview_t *v, int om)
{
    mw_t w;
    int rc = 0;

    if (mw_open(&w, om) != 0)
        return NULL;
    overall(&w, v->status);
    for (size_t f = 0; v->details && f < sizeof(check_families) /
                                             sizeof(check_families[0]);
         f++) {
        const check_family_t *fam = &check_families[f];

        family(&w, fam->name, fam->type, fam->unit, fam->help);
        for (size_t i = 0; rc == 0 && i < v->n; i++)
            rc = walk(&w, fam, v->entries[i], NULL);
    }
    if (om)
        fputs(eof_line, w.f);
    return mw_close(&w, rc != 0);
}

/* ------------------------------------------------------------------------
 * What the snapshot does not hold: appended per request
 */

static void requests(mw_t *w, const vstats_t *st)
{
    size_t nout = 0;

    family(w, "vitals_http_requests_total", "counter", NULL,
           "HTTP responses sent, by endpoint id and status code.");
    while (voutputs[nout] != NULL)
        nout++;
    for (size_t row = 0; row < VSTATS_ROWS; row++) {
        const char *id = row < nout ? voutputs[row]->id : "none";

        if (row >= nout && row != VSTATS_ROWS - 1)
            continue;
        for (size_t col = 0; col < VSTATS_NCODES; col++) {
            unsigned long long n = vstats_get(st, row, col);
            char code[16] = "other";
            label_t l[] = {{"endpoint", id}, {"code", code}};

            if (n == 0)
                continue;
            if (vstats_code(col) != 0)
                snprintf(code, sizeof(code), "%u", vstats_code(col));
            sample(w, "vitals_http_requests_total", l, 2, (double)n);
        }
    }
}

static void process_one(mw_t *w, const char *name, const char *type,
                        const char *unit, const char *help, double v)
{
    if (v < 0)
        return;
    family(w, name, type, unit, help);
    sample(w, name, NULL, 0, v);
}

/* The names, types and help texts of Prometheus' client libraries. */
static void process(mw_t *w)
{
    vprocstat_t p;

    vprocstat_read(&p);
    process_one(w, "process_cpu_seconds_total", "counter", "seconds",
                "Total user and system CPU time spent in seconds.",
                p.cpu_seconds);
    process_one(w, "process_resident_memory_bytes", "gauge", "bytes",
                "Resident memory size in bytes.", p.resident_bytes);
    process_one(w, "process_virtual_memory_bytes", "gauge", "bytes",
                "Virtual memory size in bytes.", p.virtual_bytes);
    process_one(w, "process_open_fds", "gauge", NULL,
                "Number of open file descriptors.", p.open_fds);
    process_one(w, "process_max_fds", "gauge", NULL,
                "Maximum number of open file descriptors.", p.max_fds);
    process_one(w, "process_start_time_seconds", "gauge", "seconds",
                "Start time of the process since unix epoch in seconds.",
                p.start_time_seconds);
}

/* Runs the history could not keep: the store was unreachable or slow
 * for longer than its buffer lasts. */
static void history(mw_t *w, const struct vhistory *h)
{
    if (h == NULL)
        return;
    family(w, "vitals_history_dropped_total", "counter", NULL,
           "Check runs the history dropped: its queue to the store was "
           "full.");
    sample(w, "vitals_history_dropped_total", NULL, 0,
           (double)vhq_dropped(h));
}

/* The cached body (without its "# EOF") followed by the live families. */
static vbody_t *with_live(const vbody_t *b, const vreq_t *r, int om)
{
    size_t keep = b->len;
    mw_t w;

    if (om && keep >= strlen(eof_line))
        keep -= strlen(eof_line);
    if (mw_open(&w, om) != 0)
        return NULL;
    fwrite(b->data, 1, keep, w.f);
    requests(&w, r->stats);
    history(&w, r->history);
    process(&w);
    if (om)
        fputs(eof_line, w.f);
    return mw_close(&w, 0);
}

/* ------------------------------------------------------------------------
 * Negotiation and the answer
 */

/* The q of a range whose parameters start at params (up to the next
 * comma): 1 unless a q parameter says otherwise. */
static double range_q(const char *params)
{
    const char *end = params + strcspn(params, ",");

    for (const char *p = params; p < end; p++) {
        if (*p != ';')
            continue;
        p += strspn(p + 1, " \t") + 1;
        if ((*p == 'q' || *p == 'Q') && p[1] == '=')
            return strtod(p + 2, NULL);
    }
    return 1;
}

/* OpenMetrics when the Accept header gives application/openmetrics-text
 * a higher q than text/plain (a missing range has q 0): Prometheus asks
 * for it first, curl asks for nothing. */
static int wants_openmetrics(const char *accept)
{
    double om = 0, text = 0;

    for (const char *p = accept; p != NULL && *p != '\0';) {
        size_t len, mlen;

        p += strspn(p, " \t,");
        len = strcspn(p, ",");
        mlen = strcspn(p, ";, \t");
        if (mlen == 28 && strncasecmp(p, "application/openmetrics-text",
                                      28) == 0)
            om = fmax(om, range_q(p + mlen));
        else if (mlen == 10 && strncasecmp(p, "text/plain", 10) == 0)
            text = fmax(text, range_q(p + mlen));
        p += len;
    }
    return om > text;
}

static vbody_t *metrics_view(const vview_t *v, const vreq_t *r)
{
    return vformat_metrics(v, wants_openmetrics(vreq_header(r, "Accept")));
}

static void metrics_answer(vreq_t *r, vans_t *ans)
{
    const char *tags[MAX_TAGS];
    vselect_t sel = {0};
    int om = wants_openmetrics(vreq_header(r, "Accept"));
    const vbody_t *b;
    vbody_t *live;

    if (vreq_tags(r, ans, &sel, tags, MAX_TAGS) != 0 ||
        (b = vreq_view(r, ans, om ? "om" : "text", &sel, metrics_view)) ==
            NULL)
        return;
    /* 200 whatever the health: another status would make Prometheus
     * record a failed scrape (up == 0) instead of the failing checks. */
    ans->status = 200;
    ans->content_type = om ? OM_TYPE : TEXT_TYPE;
    if (!r->details)
        return;
    if ((live = with_live(b, r, om)) == NULL)
        return vans_error(ans, 500, "Could not render the response");
    live->health = b->health;
    vbody_free(ans->owned); /* b, when the cache was full */
    ans->owned = live;
    ans->cached = NULL;
}

const voutput_t voutput_metrics = {
    .id = "metrics", .path = "/metrics", .content_type = TEXT_TYPE,
    .alt_content_type = OM_TYPE, .allow = "GET, HEAD",
    .answer = metrics_answer,
    .doc_format = "Prometheus text 0.0.4, or OpenMetrics 1.0 on request",
    .doc_codes = "200 always"};
