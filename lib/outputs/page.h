/* page.h - the status page's parts (page.c answers, page_html.c writes the
 * HTML, page_svg.c draws the uptime bar and the sparkline, page_assets.c
 * holds the style, the script, the icons and their CSP hashes), and what
 * the badges (badge.c) share with it.
 *
 * The page draws a check's recent runs from an array of samples, so that
 * the drawing knows nothing of where runs are kept: page.c fills it from
 * the history when there is one, and with no samples the cells say "no
 * history yet" rather than invent any.
 */
#ifndef VITALS_PAGE_H
#define VITALS_PAGE_H

#include <stdint.h>

#include "outputs/output.h"
#include "util/buf.h"

/* One run of a check, newest first in an array. error borrowed. */
typedef struct vpage_sample {
    int64_t time_ns;     /* wall clock of the run's start */
    int64_t duration_ns;
    vitals_status_t status; /* reported after the run */
    const char *error;      /* NULL when it passed */
} vpage_sample_t;

/* The recent runs of one check: newest first. by_time: the bar shows
 * VPAGE_HOURS hourly slots ending at to_ns (a store keeps 24 hours);
 * otherwise one slot per run (a history kept in memory only). */
typedef struct vpage_runs {
    const vpage_sample_t *s;
    size_t n;
    int by_time;
    int64_t to_ns;
    void *hold; /* what the samples' errors point into, or NULL */
} vpage_runs_t;

#define VPAGE_HOURS 24
#define VPAGE_RUNS 40 /* slots of the bar, and points of the sparkline */
/* Runs read for the 24 hours of the bar at most: one every 30 s. */
#define VPAGE_DAY_RUNS 2880

/* What one request asks the page for. */
typedef struct vpage_req {
    int json;            /* ?format=json: the parts auto-refresh swaps in */
    unsigned statuses;   /* ?status=: bit (1 << vitals_status_t); 0: all */
    const char *const *tags; /* ?tag= */
    size_t ntags;
    int64_t refresh_ms;  /* 0: no script */
    int by_time;         /* the history has 24 hours (a store), not only
                            the latest runs (memory) */
    /* Reads the runs of a check (vpage_history_runs); NULL: none. */
    int (*runs)(const vreq_t *r, const char *check, int64_t since_ns,
                size_t limit, vpage_runs_t *out);
} vpage_req_t;

/* page_html.c */
/* The parts of the page a refresh replaces, each into its own buffer:
 * the summary (header status and time), the banner, the filters and the
 * rows. The caller frees them (vbuf_clear). -1 when out of memory. */
enum { VPAGE_SUMMARY, VPAGE_BANNER, VPAGE_FILTERS, VPAGE_ROWS, VPAGE_NPARTS };
extern const char *const vpage_part_ids[VPAGE_NPARTS];
int vpage_parts(const vview_t *v, const vreq_t *r, const vpage_req_t *q,
                vbuf_t parts[VPAGE_NPARTS]);
/* The document's title: "<status word> · <service>". */
void vpage_title(const vview_t *v, char *buf, size_t len);
/* Appends s with &, <, >, " and ' escaped for HTML text and attributes. */
void vpage_esc(vbuf_t *b, const char *s);
/* Appends s percent-encoded for a query value. */
void vpage_url_esc(vbuf_t *b, const char *s);
/* "healthy", "degraded", "unhealthy" (static). */
const char *vpage_word(vitals_status_t s);

/* page_svg.c */
/* The uptime bar of runs as inline SVG: a slot per run or per hour,
 * coloured by its worst status, a failing slot with a tooltip (its time
 * and error). Nothing when runs is empty. */
void vpage_bar(vbuf_t *b, const vpage_runs_t *runs);
/* The response-time sparkline of runs (oldest left) as inline SVG, with
 * its range in words for screen readers. Nothing under two runs. */
void vpage_spark(vbuf_t *b, const vpage_runs_t *runs);
/* "12 ms", "1.5 s", "850 µs" into buf. */
void vpage_duration(int64_t ns, char *buf, size_t len);
/* ns as "HH:MM:SS", or with date "YYYY-MM-DD HH:MM:SS UTC". */
void vpage_clock(int64_t ns, int date, char *buf, size_t len);
/* A duration in words for "since": "3 min", "2 h 5 min", "4 days". */
void vpage_ago(int64_t ns, char *buf, size_t len);

/* page_history.c: the history as the page and the badges read it. */
/* The runs of check at or after since_ns, newest first, at most limit,
 * into *out (free with vpage_history_free): 0, VITALS_ENOENT when there
 * is no history to read (out empty), or VITALS_ENOMEM. */
int vpage_history_runs(const vreq_t *r, const char *check, int64_t since_ns,
                       size_t limit, vpage_runs_t *out);
void vpage_history_free(vpage_runs_t *runs);
/* The share of check's runs in the last window_ns that were healthy, and
 * how many runs that is: 0, or VITALS_ENOENT (no history, or no run in
 * the window). */
int vpage_history_uptime(const vreq_t *r, const char *check,
                         int64_t window_ns, double *ratio, uint64_t *runs);
/* 1 when the history covers hours (a store), 0 when only the latest runs
 * (memory) or none. */
int vpage_history_by_time(const vreq_t *r);

/* page_assets.c */
extern const char vpage_css[], vpage_js[], vpage_icons[];
/* Content-Security-Policy for a page with (script 1) or without the
 * script: default-src 'none' and the hashes of the style and script.
 * Static, computed once. */
const char *vpage_csp(int script);
/* A data: URI of a dot in the colour of s, for the favicon. Static. */
const char *vpage_favicon(vitals_status_t s);

#endif
