/* page_html.c - the status page's changing parts as HTML: the overall
 * status, the lifecycle banner, the filters, and one table row per check
 * (worst first, members indented under their group), written from a view
 * of the snapshot and each check's recent runs. page.c puts them in the
 * document or in the JSON that auto-refresh swaps in. */
#include <stdlib.h>
#include <string.h>

#include "outputs/page.h"
#include "util/clock.h"

#define MAX_FILTER_TAGS 24
#define MAX_DEPTH 3 /* deeper members are indented as much as this */

const char *const vpage_part_ids[VPAGE_NPARTS] = {"summary", "banner",
                                                  "filters", "rows"};

static const char *const words_cap[3] = {"Healthy", "Degraded", "Unhealthy"};

const char *vpage_word(vitals_status_t s)
{
    static const char *const words[3] = {"healthy", "degraded", "unhealthy"};

    return words[s <= VITALS_UNHEALTHY ? s : VITALS_UNHEALTHY];
}

void vpage_esc(vbuf_t *b, const char *s)
{
    for (const char *p = s; p != NULL && *p != '\0';) {
        size_t plain = strcspn(p, "&<>\"'");

        vbuf_add(b, p, plain);
        p += plain;
        switch (*p) {
        case '&': vbuf_str(b, "&amp;"); break;
        case '<': vbuf_str(b, "&lt;"); break;
        case '>': vbuf_str(b, "&gt;"); break;
        case '"': vbuf_str(b, "&quot;"); break;
        case '\'': vbuf_str(b, "&#39;"); break;
        default: return;
        }
        p++;
    }
}

void vpage_url_esc(vbuf_t *b, const char *s)
{
    static const char ok[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTU"
                             "VWXYZ0123456789-._~";

    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (strchr(ok, *p) != NULL)
            vbuf_add(b, p, 1);
        else
            vbuf_printf(b, "%%%02X", *p);
    }
}

void vpage_title(const vview_t *v, char *buf, size_t len)
{
    const char *svc = v->snap->service_id ? v->snap->service_id : "vitals";

    snprintf(buf, len, "%s · %s", words_cap[v->status], svc);
}

/* The status icon, labelled for screen readers. */
static void icon(vbuf_t *b, vitals_status_t s)
{
    vbuf_printf(b, "<svg class=\"ic\" role=\"img\" aria-label=\"%s\">"
                   "<use href=\"#i%d\"/></svg>",
                vpage_word(s), (int)s);
}

/* <time> of ns: the time of day, with the date when it is not the
 * snapshot's day. */
static void time_el(vbuf_t *b, int64_t ns, int64_t now_ns)
{
    char iso[40], text[40];

    vclock_rfc3339(ns, iso, sizeof(iso));
    vpage_clock(ns, ns / (86400 * VCLOCK_S) != now_ns / (86400 * VCLOCK_S),
                text, sizeof(text));
    vbuf_printf(b, "<time datetime=\"%.19sZ\">%s</time>", iso, text);
}

static void summary(vbuf_t *b, const vview_t *v)
{
    vbuf_printf(b, "<div class=\"overall k%d\">", (int)v->status);
    icon(b, v->status);
    vbuf_printf(b, "%s</div><p class=\"asof\">As of ", words_cap[v->status]);
    time_el(b, v->snap->time_ns, v->snap->time_ns);
    vbuf_str(b, " UTC</p>");
}

static void banner(vbuf_t *b, const vview_t *v)
{
    const vitals_snapshot_t *s = v->snap;
    char until[40];

    if (!s->draining && s->maintenance == NULL)
        return;
    vbuf_str(b, "<div class=\"banner k1\" role=\"status\">");
    icon(b, VITALS_DEGRADED);
    if (s->draining) {
        vbuf_str(b, " Shutting down: draining, readiness fails</div>");
        return;
    }
    vbuf_str(b, " Maintenance");
    if (v->details) {
        vbuf_str(b, ": ");
        vpage_esc(b, s->maintenance);
    }
    if (s->maintenance_until_ns > 0) {
        vpage_clock(s->maintenance_until_ns, 1, until, sizeof(until));
        vbuf_printf(b, ", until %s", until);
    }
    vbuf_str(b, " (readiness fails meanwhile)</div>");
}

static int listed(const char *s, const char *const *list, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(list[i], s) == 0)
            return 1;
    return 0;
}

/* A filter link: the query with status or tag set (NULL: cleared). */
static void filter_link(vbuf_t *b, const char *status,
                        const char *tag, int current, const char *label,
                        size_t count)
{
    char sep = '?';

    vbuf_str(b, "<a href=\"");
    if (status != NULL) {
        vbuf_printf(b, "?status=%s", status);
        sep = '&';
    }
    if (tag != NULL) {
        vbuf_printf(b, "%ctag=", sep);
        vpage_url_esc(b, tag);
        sep = '&';
    }
    if (sep == '?')
        vbuf_str(b, "?");
    vbuf_printf(b, "\"%s>", current ? " aria-current=\"page\"" : "");
    vpage_esc(b, label);
    if (count != (size_t)-1)
        vbuf_printf(b, " <span class=\"vh\">(</span>%zu<span "
                       "class=\"vh\">)</span>",
                    count);
    vbuf_str(b, "</a>");
}

/* The single status and tag the request filters by, for the links. */
static const char *cur_status(const vpage_req_t *q)
{
    for (int s = 0; s < 3; s++)
        if (q->statuses == (1u << s))
            return vpage_word((vitals_status_t)s);
    return NULL;
}

static void filters(vbuf_t *b, const vview_t *v, const vpage_req_t *q)
{
    const char *tags[MAX_FILTER_TAGS], *st = cur_status(q);
    const char *tag = q->ntags == 1 ? q->tags[0] : NULL;
    size_t counts[3] = {0, 0, 0}, ntags = 0;
    const vitals_snapshot_t *s = v->snap;

    for (size_t i = 0; i < v->n; i++)
        counts[v->entries[i]->pub.status]++;
    for (size_t i = 0; i < s->n; i++)
        for (size_t t = 0; t < s->entries[i].pub.ntags; t++) {
            const char *name = s->entries[i].pub.tags[t];

            if (ntags < MAX_FILTER_TAGS && !listed(name, tags, ntags))
                tags[ntags++] = name;
        }
    vbuf_str(b, "<span class=\"l\">Status</span>");
    filter_link(b, NULL, tag, q->statuses == 0, "All", v->n);
    for (int i = 2; i >= 0; i--)
        if (counts[i] > 0 || q->statuses & (1u << i))
            filter_link(b, vpage_word((vitals_status_t)i), tag,
                        q->statuses == (1u << i), words_cap[i], counts[i]);
    if (ntags == 0)
        return;
    vbuf_str(b, "<span class=\"l\">Tag</span>");
    filter_link(b, st, NULL, q->ntags == 0, "All", (size_t)-1);
    for (size_t i = 0; i < ntags; i++)
        filter_link(b, st, tags[i], tag && strcmp(tag, tags[i]) == 0,
                    tags[i], (size_t)-1);
}

/* Worst first, then by name. */
static int by_status(const void *a, const void *b)
{
    const vsnap_entry_t *x = *(const vsnap_entry_t *const *)a;
    const vsnap_entry_t *y = *(const vsnap_entry_t *const *)b;

    if (x->pub.status != y->pub.status)
        return x->pub.status > y->pub.status ? -1 : 1;
    return strcmp(x->pub.name, y->pub.name);
}

/* The name cell: name, tags, and what the check says. */
static void name_cell(vbuf_t *b, const vsnap_entry_t *e)
{
    const char *msg = e->pub.status != VITALS_HEALTHY && e->pub.error
                          ? e->pub.error
                          : e->pub.description;

    vbuf_str(b, "<th scope=\"row\" class=\"nm\">");
    vpage_esc(b, e->pub.name);
    for (size_t t = 0; t < e->pub.ntags; t++) {
        vbuf_str(b, "<span class=\"tag\">");
        vpage_esc(b, e->pub.tags[t]);
        vbuf_str(b, "</span>");
    }
    if (msg != NULL && *msg != '\0') {
        vbuf_str(b, "<div class=\"msg\">");
        vpage_esc(b, msg);
        vbuf_str(b, "</div>");
    }
    vbuf_str(b, "</th>");
}

/* Since when in this status, and the last run: when and how long. */
static void time_cells(vbuf_t *b, const vsnap_entry_t *e, int64_t now_ns)
{
    char d[32];

    vbuf_printf(b, "<td class=\"tm%s\" data-l=\"Since\">",
                e->has_run && e->since_ns <= 0 ? " e" : "");
    if (!e->has_run) {
        vbuf_str(b, "<span class=\"none\">not run yet</span>");
    } else if (e->since_ns > 0) {
        time_el(b, e->since_ns, now_ns);
        vpage_ago(now_ns - e->since_ns, d, sizeof(d));
        vbuf_printf(b, "<small>for %s</small>", d);
    } else {
        vbuf_str(b, "<span class=\"none\">&#8212;</span>");
    }
    vbuf_printf(b, "</td><td class=\"tm%s\" data-l=\"Last run\">",
                e->pub.timestamp_ns > 0 ? "" : " e");
    if (e->pub.timestamp_ns > 0) {
        time_el(b, e->pub.timestamp_ns, now_ns);
        vpage_duration(e->pub.duration_ns, d, sizeof(d));
        vbuf_printf(b, "<small>took %s</small>", d);
    } else {
        vbuf_str(b, "<span class=\"none\">&#8212;</span>");
    }
    vbuf_str(b, "</td>");
}

/* The bar and sparkline cells, from the check's recent runs: the last
 * 24 hours from a store, else the newest runs kept in memory. */
static void history_cells(vbuf_t *b, const vreq_t *r, const vpage_req_t *q,
                          const vsnap_entry_t *e, int member)
{
    vpage_runs_t runs = {0};
    int64_t now = r->snap->time_ns;
    int have = !member && q->runs != NULL &&
               q->runs(r, e->pub.name,
                       q->by_time ? now - VPAGE_HOURS * 3600 * VCLOCK_S : 0,
                       q->by_time ? VPAGE_DAY_RUNS : VPAGE_RUNS,
                       &runs) == 0 &&
               runs.n > 0;

    runs.by_time = q->by_time;
    runs.to_ns = now;
    vbuf_printf(b, "<td%s data-l=\"%s\">", have ? "" : " class=\"e\"",
                q->by_time ? "Last 24 hours" : "Recent runs");
    if (have)
        vpage_bar(b, &runs);
    else
        vbuf_printf(b, "<span class=\"none\">%s</span>",
                    member ? "&#8212;" : "no history yet");
    vbuf_printf(b, "</td><td%s data-l=\"Response time\">",
                have && runs.n >= 2 ? "" : " class=\"e\"");
    if (have && runs.n >= 2)
        vpage_spark(b, &runs);
    else
        vbuf_str(b, "<span class=\"none\">&#8212;</span>");
    vbuf_str(b, "</td>");
    vpage_history_free(&runs);
}

static int rows(vbuf_t *b, const vreq_t *r, const vpage_req_t *q,
                const vsnap_entry_t *const *es, size_t n, int depth,
                int64_t now_ns);

static int row(vbuf_t *b, const vreq_t *r, const vpage_req_t *q,
               const vsnap_entry_t *e, int depth, int64_t now_ns)
{
    const vsnap_entry_t **kids;
    int rc;

    vbuf_printf(b, "<tr class=\"r%d m%d\" data-check=\"", (int)e->pub.status,
                depth < MAX_DEPTH ? depth : MAX_DEPTH);
    vpage_esc(b, e->pub.name);
    vbuf_printf(b, "\" data-status=\"%s\"><td class=\"st\">"
                   "<span class=\"pill k%d\">",
                vpage_word(e->pub.status), (int)e->pub.status);
    icon(b, e->pub.status);
    vbuf_printf(b, "%s</span></td>", words_cap[e->pub.status]);
    name_cell(b, e);
    time_cells(b, e, now_ns);
    history_cells(b, r, q, e, depth > 0);
    vbuf_str(b, "</tr>\n");
    if (e->nchildren == 0)
        return 0;
    if ((kids = calloc(e->nchildren, sizeof(*kids))) == NULL)
        return -1;
    for (size_t i = 0; i < e->nchildren; i++)
        kids[i] = &e->children[i];
    rc = rows(b, r, q, kids, e->nchildren, depth + 1, now_ns);
    free(kids);
    return rc;
}

/* es sorted worst first, each with its members under it. */
static int rows(vbuf_t *b, const vreq_t *r, const vpage_req_t *q,
                const vsnap_entry_t *const *es, size_t n, int depth,
                int64_t now_ns)
{
    const vsnap_entry_t **sorted = calloc(n ? n : 1, sizeof(*sorted));

    if (sorted == NULL)
        return -1;
    memcpy(sorted, es, n * sizeof(*sorted));
    qsort(sorted, n, sizeof(*sorted), by_status);
    for (size_t i = 0; i < n; i++) {
        if (depth == 0 && q->statuses != 0 &&
            !(q->statuses & (1u << sorted[i]->pub.status)))
            continue;
        if (row(b, r, q, sorted[i], depth, now_ns) != 0) {
            free(sorted);
            return -1;
        }
    }
    free(sorted);
    return 0;
}

int vpage_parts(const vview_t *v, const vreq_t *r, const vpage_req_t *q,
                vbuf_t parts[VPAGE_NPARTS])
{
    vview_t all;
    int rc = 0;

    /* The header shows the whole service's status, whatever the filter. */
    if (vview_init(&all, v->snap, NULL) != VITALS_OK)
        return -1;
    summary(&parts[VPAGE_SUMMARY], &all);
    vview_free(&all);
    banner(&parts[VPAGE_BANNER], v);
    if (v->details) {
        filters(&parts[VPAGE_FILTERS], v, q);
        rc = rows(&parts[VPAGE_ROWS], r, q, v->entries, v->n, 0,
                  v->snap->time_ns);
        if (parts[VPAGE_ROWS].len == 0)
            vbuf_str(&parts[VPAGE_ROWS], "<tr><td colspan=\"6\" "
                                         "class=\"none\">No check matches "
                                         "this filter.</td></tr>");
    }
    for (int i = 0; i < VPAGE_NPARTS; i++)
        rc |= parts[i].oom ? -1 : 0;
    return rc;
}
