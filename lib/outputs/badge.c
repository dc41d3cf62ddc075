/* badge.c - the "badge" and "check_badge" outputs: shields-style SVG
 * badges, as Gatus offers, for READMEs and wall screens. GET /badge.svg is
 * the overall status; GET /badge/<check>.svg one check's, with
 * ?uptime=24h|7d|30d for its uptime and ?duration (or ?duration=24h|...)
 * for its response time. Bodies are cached per snapshot; browsers and
 * image proxies may keep one a few seconds (Cache-Control: max-age=5).
 * A caller who may not see details gets the overall badge only: a check's
 * badge would tell that check's status. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "outputs/page.h"
#include "util/clock.h"

#define SVG_TYPE "image/svg+xml"
#define GREY "#9f9f9f"

/* A badge: its two texts and the colour of the right half. */
typedef struct badge {
    char label[192], message[64];
    const char *color;
} badge_t;

/* Approximate Verdana 11px advance widths, in tenths of a pixel, for ' '
 * to '~' (other characters count as 7.5 px), scaled by 1.12 below: they
 * size the box, and textLength makes each text fit it exactly whatever
 * font the viewer has, as shields.io does. */
static const unsigned char widths[95] = {
    39, 39, 46, 82, 64, 109, 73, 27, 46, 46, 64, 82, 37, 46, 37, 46,
    64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 46, 46, 82, 82, 82, 55,
    100, 68, 69, 70, 77, 63, 58, 77, 75, 42, 46, 70, 56, 84, 75, 79,
    60, 79, 70, 68, 62, 73, 68, 99, 69, 62, 69, 46, 46, 46, 82, 64,
    64, 61, 62, 53, 62, 60, 35, 62, 63, 27, 34, 59, 27, 97, 63, 61,
    62, 62, 43, 52, 39, 63, 59, 82, 59, 59, 53, 64, 46, 64, 82};

/* The rendered width of text in px, rounded up. */
static int text_width(const char *text)
{
    int tenths = 0;

    for (const unsigned char *p = (const unsigned char *)text; *p; p++) {
        if (*p >= 32 && *p < 127)
            tenths += widths[*p - 32];
        else if ((*p & 0xc0) != 0x80) /* a UTF-8 character, once */
            tenths += 75;
    }
    return (tenths * 112 / 100 + 9) / 10;
}

/* One half's text twice, its shadow then the text, centred on x10 and
 * stretched to width px (both in the tenths the text is drawn in). */
static void half_text(vbuf_t *b, int x10, int width, const char *text)
{
    vbuf_printf(b, "<text x=\"%d\" y=\"150\" fill=\"#010101\" "
                   "fill-opacity=\".3\" transform=\"scale(.1)\" "
                   "textLength=\"%d\">",
                x10, width * 10);
    vpage_esc(b, text);
    vbuf_printf(b, "</text><text x=\"%d\" y=\"140\" transform=\"scale(.1)\" "
                   "textLength=\"%d\">",
                x10, width * 10);
    vpage_esc(b, text);
    vbuf_str(b, "</text>");
}

static vbody_t *render(const badge_t *bd)
{
    vbuf_t b = VBUF_INIT(0);
    int lt = text_width(bd->label), mt = text_width(bd->message);
    int lw = lt + 12, mw = mt + 12;
    char *data;
    size_t len;

    vbuf_printf(&b, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" "
                    "height=\"20\" role=\"img\" aria-label=\"",
                lw + mw);
    vpage_esc(&b, bd->label);
    vbuf_str(&b, ": ");
    vpage_esc(&b, bd->message);
    vbuf_str(&b, "\"><title>");
    vpage_esc(&b, bd->label);
    vbuf_str(&b, ": ");
    vpage_esc(&b, bd->message);
    vbuf_printf(&b, "</title><linearGradient id=\"s\" x2=\"0\" y2=\"100%%\">"
                    "<stop offset=\"0\" stop-color=\"#bbb\" "
                    "stop-opacity=\".1\"/><stop offset=\"1\" "
                    "stop-opacity=\".1\"/></linearGradient><clipPath "
                    "id=\"r\"><rect width=\"%d\" height=\"20\" rx=\"3\" "
                    "fill=\"#fff\"/></clipPath><g clip-path=\"url(#r)\">"
                    "<rect width=\"%d\" height=\"20\" fill=\"#555\"/>"
                    "<rect x=\"%d\" width=\"%d\" height=\"20\" "
                    "fill=\"%s\"/><rect width=\"%d\" height=\"20\" "
                    "fill=\"url(#s)\"/></g><g fill=\"#fff\" "
                    "text-anchor=\"middle\" font-family=\"Verdana,Geneva,"
                    "DejaVu Sans,sans-serif\" font-size=\"110\">",
                lw + mw, lw, lw, mw, bd->color, lw + mw);
    half_text(&b, lw * 5, lt, bd->label);
    half_text(&b, lw * 10 + mw * 5, mt, bd->message);
    vbuf_str(&b, "</g></svg>\n");
    if ((data = vbuf_take(&b, &len)) == NULL)
        return NULL;
    return vbody_new(data, len);
}

static const char *status_color(vitals_status_t s)
{
    static const char *const colors[3] = {"#4c1", "#dfb317", "#e05d44"};

    return colors[s <= VITALS_UNHEALTHY ? s : VITALS_UNHEALTHY];
}

/* ------------------------------------------------------------------------
 * What a badge says
 */

/* A window of ?uptime= or ?duration=: "24h", "7d", "30d" in ns; 0 bad. */
static int64_t window_ns(const char *w)
{
    static const struct { const char *name; int64_t hours; } ws[] = {
        {"24h", 24}, {"7d", 24 * 7}, {"30d", 24 * 30}};

    for (size_t i = 0; i < sizeof(ws) / sizeof(ws[0]); i++)
        if (strcmp(w, ws[i].name) == 0)
            return ws[i].hours * 3600 * VCLOCK_S;
    return 0;
}

typedef struct bq {
    const char *name;    /* the check; NULL for the overall badge */
    const char *uptime;  /* ?uptime=, or NULL */
    const char *duration; /* ?duration= ("" for the last run), or NULL */
} bq_t;

static void uptime_badge(badge_t *bd, const vreq_t *r, const bq_t *q)
{
    double ratio = 0, pct;
    uint64_t runs = 0;

    snprintf(bd->label, sizeof(bd->label), "%s uptime %s", q->name,
             q->uptime);
    if (vpage_history_uptime(r, q->name, window_ns(q->uptime), &ratio,
                             &runs) != 0 || runs == 0) {
        snprintf(bd->message, sizeof(bd->message), "no data");
        bd->color = GREY;
        return;
    }
    pct = ratio * 100;
    /* 99.95% must not read as 100%: round down. */
    snprintf(bd->message, sizeof(bd->message), "%.2f%%",
             floor(pct * 100) / 100);
    bd->color = pct >= 99.9 ? "#4c1" : pct >= 99 ? "#97ca00"
              : pct >= 97 ? "#dfb317" : pct >= 95 ? "#fe7d37" : "#e05d44";
}

/* The mean duration of the runs in the window, from the history (the
 * newest VPAGE_DAY_RUNS of them). */
static int mean_duration(const vreq_t *r, const bq_t *q, int64_t *ns)
{
    vpage_runs_t runs;
    int64_t sum = 0;

    if (vpage_history_runs(r, q->name, r->snap->time_ns -
                                           window_ns(q->duration),
                           VPAGE_DAY_RUNS, &runs) != 0 ||
        runs.n == 0) {
        vpage_history_free(&runs);
        return -1;
    }
    for (size_t i = 0; i < runs.n; i++)
        sum += runs.s[i].duration_ns;
    *ns = sum / (int64_t)runs.n;
    vpage_history_free(&runs);
    return 0;
}

static void duration_badge(badge_t *bd, const vreq_t *r, const bq_t *q,
                           const vsnap_entry_t *e)
{
    int64_t ns = e->pub.duration_ns;
    double ms;

    snprintf(bd->label, sizeof(bd->label), "%s response time%s%s", q->name,
             *q->duration ? " " : "", q->duration);
    if ((*q->duration ? mean_duration(r, q, &ns) : e->has_run ? 0 : -1) !=
        0) {
        snprintf(bd->message, sizeof(bd->message), "no data");
        bd->color = GREY;
        return;
    }
    vpage_duration(ns, bd->message, sizeof(bd->message));
    ms = (double)ns / 1e6;
    bd->color = ms < 50 ? "#4c1" : ms < 200 ? "#97ca00" : ms < 500
              ? "#dfb317" : ms < 1000 ? "#fe7d37" : "#e05d44";
}

static vbody_t *badge_fn(const vview_t *v, const vreq_t *r)
{
    const bq_t *q = r->impl_arg;
    const vitals_snapshot_t *s = v->snap;
    badge_t bd = {.color = status_color(v->status)};

    if (q->name == NULL) {
        snprintf(bd.label, sizeof(bd.label), "%s",
                 s->service_id ? s->service_id : "health");
    } else if (q->uptime != NULL) {
        uptime_badge(&bd, r, q);
        return render(&bd);
    } else if (q->duration != NULL) {
        duration_badge(&bd, r, q, v->entries[0]);
        return render(&bd);
    } else {
        snprintf(bd.label, sizeof(bd.label), "%s", q->name);
    }
    snprintf(bd.message, sizeof(bd.message), "%s", vpage_word(v->status));
    return render(&bd);
}

/* ------------------------------------------------------------------------
 * The outputs
 */

/* ?uptime= and ?duration= into q; 0, or -1 after answering 400. */
static int read_query(const vreq_t *r, vans_t *ans, bq_t *q)
{
    const char *u[2], *d[2];
    size_t nu = vreq_query(r, "uptime", u, 2), nd = vreq_query(r, "duration",
                                                             d, 2);

    if (nu + nd > 1) {
        vans_error(ans, 400, "Give one of uptime and duration, once");
        return -1;
    }
    if ((nu == 1 && window_ns(u[0]) == 0) ||
        (nd == 1 && *d[0] != '\0' && window_ns(d[0]) == 0)) {
        vans_error(ans, 400, "The window must be 24h, 7d or 30d");
        return -1;
    }
    if (nu + nd == 1 && q->name == NULL) {
        vans_error(ans, 400, "uptime and duration are per check: use "
                             "/badge/<check>.svg?uptime=24h");
        return -1;
    }
    q->uptime = nu == 1 ? u[0] : NULL;
    q->duration = nd == 1 ? d[0] : NULL;
    return 0;
}

static void send_badge(vreq_t *r, vans_t *ans, bq_t *q, vselect_t *sel)
{
    char variant[32];

    r->impl_arg = q;
    snprintf(variant, sizeof(variant), "u=%s|d=%s",
             q->uptime ? q->uptime : "", q->duration ? q->duration : "-");
    if (vreq_view(r, ans, variant, sel, badge_fn) == NULL)
        return;
    ans->status = 200;
    vans_header(ans, "Cache-Control", "max-age=5");
    vans_header(ans, "X-Content-Type-Options", "nosniff");
}

static void badge_answer(vreq_t *r, vans_t *ans)
{
    bq_t q = {0};
    vselect_t sel = {0};

    if (read_query(r, ans, &q) == 0)
        send_badge(r, ans, &q, &sel);
}

static void check_badge_answer(vreq_t *r, vans_t *ans)
{
    char name[256];
    size_t len = strlen(r->rest + 1);
    bq_t q = {.name = name};
    vselect_t sel = {.name = name};

    /* Whether a check exists is itself a detail. */
    if (!r->details)
        return vans_error(ans, 403, "This caller sees the overall status "
                                    "only: use /badge.svg");
    if (len < 5 || len - 4 >= sizeof(name) ||
        strcmp(r->rest + 1 + len - 4, ".svg") != 0)
        return vans_error(ans, 404, "A badge is /badge/<check>.svg");
    snprintf(name, sizeof(name), "%.*s", (int)(len - 4), r->rest + 1);
    if (vsnap_find(r->snap, name) == NULL)
        return vans_error(ans, 404, "There is no check with this name");
    if (read_query(r, ans, &q) == 0)
        send_badge(r, ans, &q, &sel);
}

const voutput_t voutput_badge = {
    .id = "badge", .path = "/badge.svg", .content_type = SVG_TYPE,
    .allow = "GET, HEAD", .answer = badge_answer,
    .doc_format = "A badge of the overall status (SVG)",
    .doc_codes = "200 always"};

const voutput_t voutput_check_badge = {
    .id = "check_badge", .path = "/badge", .content_type = SVG_TYPE,
    .allow = "GET, HEAD", .subpaths = 2, .answer = check_badge_answer,
    .doc_paths = "`/badge/{name}.svg`",
    .doc_format = "A badge of one check: status, `?uptime=24h\\|7d\\|30d`, "
                  "`?duration`",
    .doc_codes = "200; 403 without details; 404 unknown"};
