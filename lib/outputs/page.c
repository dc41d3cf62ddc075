/* page.c - the "page" output: GET / is a status page for people, one HTML
 * document rendered here from the snapshot (page_html.c), cached per
 * snapshot and filter like every body, self-contained (its style, script
 * and icons inline, page_assets.c) under a strict Content-Security-Policy.
 * ?tag= and ?status= filter it with plain links; ?format=json gives the
 * parts its auto-refresh script swaps in, so that the markup is written in
 * one place only. A caller without details sees the overall status and
 * nothing a check says, as in every format. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "outputs/page.h"

#define MAX_TAGS 16
#define HTML_TYPE "text/html; charset=utf-8"

typedef struct {
    int64_t refresh_ms;
} vpage_conf_t;

static const vsetting_t page_settings[] = {
    {.key = "refresh", .kind = VSET_DURATION,
     .offset = offsetof(vpage_conf_t, refresh_ms), .min = 0,
     .max = 3600 * 1000, .def = "10s",
     .doc = "how often the open page refreshes itself (0: never)"},
    {0}};

/* The JSON the auto-refresh reads: the parts by element id. */
static vbody_t *json_doc(const vview_t *v, vbuf_t parts[VPAGE_NPARTS])
{
    json_t *root = json_object(), *p = json_object();
    char title[256];

    vpage_title(v, title, sizeof(title));
    if (root == NULL || p == NULL) {
        json_decref(root);
        json_decref(p);
        return NULL;
    }
    json_object_set_new(root, "status", json_string(vpage_word(v->status)));
    json_object_set_new(root, "generation",
                        json_integer((json_int_t)v->snap->generation));
    json_object_set_new(root, "title", json_string(title));
    json_object_set_new(root, "icon", json_string(vpage_favicon(v->status)));
    for (int i = 0; i < VPAGE_NPARTS; i++)
        json_object_set_new(p, vpage_part_ids[i],
                            json_stringn(parts[i].data ? parts[i].data : "",
                                         parts[i].len));
    json_object_set_new(root, "parts", p);
    return vformat_dump(root);
}

/* The URL the script polls: this page's, as JSON, with the same filters. */
static void json_url(vbuf_t *b, const vreq_t *r, const vpage_req_t *q)
{
    vbuf_t u = VBUF_INIT(0);

    vbuf_str(&u, r->path);
    vbuf_str(&u, "?format=json");
    for (int s = 0; s < 3; s++)
        if (q->statuses & (1u << s))
            vbuf_printf(&u, "&status=%s", vpage_word((vitals_status_t)s));
    for (size_t i = 0; i < q->ntags; i++) {
        vbuf_str(&u, "&tag=");
        vpage_url_esc(&u, q->tags[i]);
    }
    vpage_esc(b, u.data);
    b->oom |= u.oom;
    vbuf_clear(&u);
}

static void head(vbuf_t *b, const vview_t *v)
{
    char title[256];

    vpage_title(v, title, sizeof(title));
    vbuf_str(b, "<!DOCTYPE html>\n<html lang=\"en\"><head>"
                "<meta charset=\"utf-8\"><meta name=\"viewport\" "
                "content=\"width=device-width,initial-scale=1\">"
                "<meta name=\"color-scheme\" content=\"light dark\">"
                "<title>");
    vpage_esc(b, title);
    vbuf_printf(b, "</title><link rel=\"icon\" href=\"%s\"><style>%s</style>"
                   "</head>\n",
                vpage_favicon(v->status), vpage_css);
}

/* The service's name and what describes it. */
static void identity(vbuf_t *b, const vitals_snapshot_t *s)
{
    const char *sep = "";

    vbuf_str(b, "<header><div><h1>");
    vpage_esc(b, s->service_id ? s->service_id : "vitals");
    vbuf_str(b, "</h1><p class=\"sub\">");
    if (s->service_description) {
        vpage_esc(b, s->service_description);
        sep = " · ";
    }
    if (s->service_version) {
        vbuf_printf(b, "%sversion ", sep);
        vpage_esc(b, s->service_version);
        sep = " · ";
    }
    if (s->service_instance) {
        vbuf_str(b, sep);
        vpage_esc(b, s->service_instance);
    }
    vbuf_str(b, "</p></div>");
}

static void table(vbuf_t *b, const vpage_req_t *q, const vbuf_t *rows)
{
    vbuf_printf(b, "<table><caption class=\"vh\">Checks, worst first"
                   "</caption><thead><tr><th scope=\"col\">Status</th>"
                   "<th scope=\"col\">Check</th><th scope=\"col\">Since</th>"
                   "<th scope=\"col\">Last run</th><th scope=\"col\">%s</th>"
                   "<th scope=\"col\">Response time</th></tr></thead>"
                   "<tbody id=\"rows\">",
                q->by_time ? "Last 24 hours" : "Recent runs");
    vbuf_add(b, rows->data, rows->len);
    vbuf_str(b, "</tbody></table>");
}

static vbody_t *html_doc(const vview_t *v, const vreq_t *r,
                         const vpage_req_t *q, vbuf_t parts[VPAGE_NPARTS])
{
    vbuf_t b = VBUF_INIT(0);
    char *data;
    size_t len;

    head(&b, v);
    vbuf_printf(&b, "<body data-refresh=\"%lld\" data-json=\"",
                (long long)q->refresh_ms);
    json_url(&b, r, q);
    vbuf_printf(&b, "\">%s<div class=\"wrap\">", vpage_icons);
    identity(&b, v->snap);
    vbuf_printf(&b, "<div id=\"summary\">%s</div></header>"
                    "<div id=\"banner\">%s</div><main>",
                parts[VPAGE_SUMMARY].data ? parts[VPAGE_SUMMARY].data : "",
                parts[VPAGE_BANNER].data ? parts[VPAGE_BANNER].data : "");
    if (v->details) {
        vbuf_str(&b, "<nav id=\"filters\" aria-label=\"Filter checks\">");
        vbuf_add(&b, parts[VPAGE_FILTERS].data, parts[VPAGE_FILTERS].len);
        vbuf_str(&b, "</nav>");
        table(&b, q, &parts[VPAGE_ROWS]);
    } else {
        vbuf_str(&b, "<p class=\"hidden\">This caller sees the overall "
                     "status only: what each check says is shown to "
                     "authorized callers (access.details).</p>");
    }
    vbuf_str(&b, "</main><footer>");
    if (q->refresh_ms > 0)
        vbuf_printf(&b, "<span id=\"live\" role=\"status\">Refreshes every "
                        "%lld s</span> · ",
                    (long long)(q->refresh_ms + 999) / 1000);
    vbuf_str(&b, "vitals</footer></div>");
    if (q->refresh_ms > 0)
        vbuf_printf(&b, "<script>%s</script>", vpage_js);
    vbuf_str(&b, "</body></html>\n");
    if ((data = vbuf_take(&b, &len)) == NULL)
        return NULL;
    return vbody_new(data, len);
}

static vbody_t *page_fn(const vview_t *v, const vreq_t *r)
{
    const vpage_req_t *q = r->impl_arg;
    vbuf_t parts[VPAGE_NPARTS];
    vbody_t *body = NULL;

    for (int i = 0; i < VPAGE_NPARTS; i++)
        parts[i] = (vbuf_t)VBUF_INIT(0);
    if (vpage_parts(v, r, q, parts) == 0)
        body = q->json ? json_doc(v, parts) : html_doc(v, r, q, parts);
    for (int i = 0; i < VPAGE_NPARTS; i++)
        vbuf_clear(&parts[i]);
    return body;
}

/* ?format= and ?status= into q; 0, or -1 after answering 400. */
static int read_query(const vreq_t *r, vans_t *ans, vpage_req_t *q)
{
    const char *vals[4];
    size_t n = vreq_query(r, "format", vals, 1);

    if (n > 1 || (n == 1 && strcmp(vals[0], "html") != 0 &&
                  strcmp(vals[0], "json") != 0)) {
        vans_error(ans, 400, "format must be html or json");
        return -1;
    }
    q->json = n == 1 && strcmp(vals[0], "json") == 0;
    n = vreq_query(r, "status", vals, 4);
    for (size_t i = 0; i < n; i++) {
        int s = -1;

        for (int k = 0; k < 3 && i < 4; k++)
            if (strcmp(vals[i], vpage_word((vitals_status_t)k)) == 0)
                s = k;
        if (s < 0) {
            vans_error(ans, 400, "status must be healthy, degraded or "
                                 "unhealthy");
            return -1;
        }
        q->statuses |= 1u << s;
    }
    return 0;
}

static void page_answer(vreq_t *r, vans_t *ans)
{
    const vpage_conf_t *c = r->conf;
    const char *tags[MAX_TAGS];
    vselect_t sel = {0};
    vpage_req_t q = {0};
    char variant[32];

    if (read_query(r, ans, &q) != 0 ||
        vreq_tags(r, ans, &sel, tags, MAX_TAGS) != 0)
        return;
    q.tags = sel.tags;
    q.ntags = sel.ntags;
    q.refresh_ms = c != NULL ? c->refresh_ms : 10000;
    q.runs = vpage_history_runs;
    q.by_time = vpage_history_by_time(r);
    r->impl_arg = &q;
    snprintf(variant, sizeof(variant), "%s|%u", q.json ? "json" : "html",
             q.statuses);
    if (vreq_view(r, ans, variant, &sel, page_fn) == NULL)
        return;
    ans->status = 200; /* the page itself works, whatever it shows */
    vans_header(ans, "X-Content-Type-Options", "nosniff");
    if (q.json) {
        ans->content_type = "application/json";
        return;
    }
    ans->content_type = HTML_TYPE;
    vans_header(ans, "Content-Security-Policy",
                vpage_csp(q.refresh_ms > 0));
    vans_header(ans, "Referrer-Policy", "no-referrer");
}

const voutput_t voutput_page = {
    .id = "page", .path = "/", .content_type = HTML_TYPE,
    .alt_content_type = "application/json", .allow = "GET, HEAD",
    .settings = page_settings, .conf_size = sizeof(vpage_conf_t),
    .answer = page_answer,
    .doc_format = "A status page for people (HTML); `?format=json`: its "
                  "parts, for its auto-refresh",
    .doc_codes = "200 always; 400 bad filter"};
