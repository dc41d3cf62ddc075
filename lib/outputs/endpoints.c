/* endpoints.c - the endpoints vitals serves, one table row each: path,
 * methods, own settings, and how a request becomes a format and a
 * selection of checks. Bodies come from the snapshot's cache, so each is
 * rendered once per snapshot and selection. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "outputs/output.h"

#define MAX_TAGS 16
#define KEY_MAX 2304 /* a cache key: endpoint, selection; URIs are capped */

/* ------------------------------------------------------------------------
 * Rendering a selection through the cache
 */

typedef vbody_t *(*vview_fn)(const vview_t *v, const vreq_t *r);

typedef struct {
    const vreq_t *req;
    const vselect_t *sel;
    vview_fn fn;
} vrender_arg_t;

static vbody_t *render_view(void *p)
{
    vrender_arg_t *a = p;
    vview_t view;
    vbody_t *b;

    if (vview_init(&view, a->req->snap, a->sel) != VITALS_OK)
        return NULL;
    view.details = a->req->details;
    b = a->fn(&view, a->req);
    if (b != NULL)
        b->health = view.status;
    vview_free(&view);
    return b;
}

/* Appends "&name=value" pairs for a selection to key: the cache key must
 * name everything the body depends on. */
static void key_add(char *key, size_t len, const char *name,
                    const char *const *vals, size_t n)
{
    size_t used = strlen(key);

    for (size_t i = 0; i < n && used < len; i++)
        used += (size_t)snprintf(key + used, len - used, "&%s=%s", name,
                                 vals[i]);
}

/* Answers with the view sel of the request's snapshot, rendered by fn,
 * cached under the route, the selection and the details flag. Returns the
 * body (its health decides the HTTP status), or NULL after an error. */
static const vbody_t *answer_view(vreq_t *r, vans_t *ans,
                                  const char *variant, const vselect_t *sel,
                                  vview_fn fn)
{
    char key[KEY_MAX];
    vrender_arg_t a = {r, sel, fn};

    snprintf(key, sizeof(key), "%s%s|%d|%s", r->route->type->id, r->rest,
             r->details, variant ? variant : "");
    if (sel->name)
        key_add(key, sizeof(key), "name", &sel->name, 1);
    key_add(key, sizeof(key), "tag", sel->tags, sel->ntags);
    key_add(key, sizeof(key), "exclude", sel->exclude, sel->nexclude);
    vreq_cached(r, ans, key, render_view, &a);
    return ans->cached ? ans->cached : ans->owned;
}

static int has_check(const vitals_snapshot_t *s, const char *name)
{
    for (size_t i = 0; i < s->n; i++)
        if (strcmp(s->entries[i].pub.name, name) == 0)
            return 1;
    return 0;
}

static unsigned code_503(vitals_status_t s)
{
    return s == VITALS_UNHEALTHY ? 503 : 200;
}

/* ------------------------------------------------------------------------
 * ietf: GET /health; check: GET /health/<name>
 */

static vbody_t *ietf_fn(const vview_t *v, const vreq_t *r)
{
    (void)r;
    return vformat_ietf(v);
}

static void ietf_answer(vreq_t *r, vans_t *ans)
{
    vselect_t sel = {0};
    const vbody_t *b = answer_view(r, ans, NULL, &sel, ietf_fn);

    if (b != NULL)
        ans->status = code_503(b->health);
}

/* PUT /health/<name> {"status": "pass"|"warn"|"fail", "output": "..."}:
 * a push check's report. */
static void push_answer(vreq_t *r, vans_t *ans)
{
    static const char *const words[] = {"pass", "warn", "fail"};
    json_t *body = json_loadb(r->body ? r->body : "", r->body_len, 0, NULL);
    json_t *status = json_object_get(body, "status");
    json_t *output = json_object_get(body, "output");
    const char *key;
    json_t *val;
    int s = -1, rc;

    if (!json_is_object(body)) {
        vans_error(ans, 400, body == NULL ? "The body is not JSON: expected "
                                            "{\"status\": \"pass\"}"
                                          : "The body must be a JSON object");
        json_decref(body);
        return;
    }
    json_object_foreach(body, key, val) {
        if (strcmp(key, "status") != 0 && strcmp(key, "output") != 0) {
            vans_errorf(ans, 400, "Unknown key \"%.64s\": use status and "
                                  "output", key);
            json_decref(body);
            return;
        }
    }
    for (int i = 0; i < 3 && json_is_string(status); i++)
        if (strcasecmp(json_string_value(status), words[i]) == 0)
            s = i;
    if (s < 0)
        vans_error(ans, 400, "\"status\" must be \"pass\", \"warn\" or "
                             "\"fail\"");
    else if (output != NULL && !json_is_string(output))
        vans_error(ans, 400, "\"output\" must be a string");
    else if ((rc = vitals_push(r->v, r->rest + 1, (vitals_status_t)s,
                               output ? json_string_value(output) : NULL)) ==
             VITALS_ENOENT)
        vans_error(ans, 404, "There is no check with this name");
    else if (rc == VITALS_ETYPE)
        vans_error(ans, 409, "This check is not of type push: it takes no "
                             "reports");
    else if (rc != VITALS_OK)
        vans_error(ans, 500, "Could not record the report");
    else
        ans->status = 204; /* recorded: nothing to send back */
    json_decref(body);
}

static void check_answer(vreq_t *r, vans_t *ans)
{
    vselect_t sel = {.name = r->rest + 1};
    const vbody_t *b;

    if (strcmp(r->method, "PUT") == 0)
        return push_answer(r, ans);
    if (!has_check(r->snap, sel.name))
        return vans_error(ans, 404, "There is no check with this name");
    if ((b = answer_view(r, ans, NULL, &sel, ietf_fn)) != NULL)
        ans->status = code_503(b->health);
}

/* ------------------------------------------------------------------------
 * report: GET /api/v2/health (seed 001)
 */

typedef struct {
    unsigned codes[3]; /* by vitals_status_t */
} vreport_conf_t;

static const char *const report_names[3] = {"Healthy", "Degraded",
                                            "Unhealthy"};

static void *report_configure(vnode_t *m, verrs_t *e)
{
    vreport_conf_t *c = calloc(1, sizeof(*c));
    vnode_t *codes = m ? vnode_get(m, "status_codes") : NULL;

    if (c == NULL)
        return NULL;
    /* Seed 001: HTTP 200 whatever the status. */
    c->codes[0] = c->codes[1] = c->codes[2] = 200;
    if (codes == NULL)
        return c;
    if (codes->kind != VNODE_MAP) {
        verrs_add(e, codes, "'status_codes': expected a map such as "
                            "{Unhealthy: 503}");
        free(c);
        return NULL;
    }
    for (size_t i = 0; i < 3; i++) {
        int64_t code;

        if (vnode_int(codes, report_names[i], 200, 599, &code, e) == 1)
            c->codes[i] = (unsigned)code;
    }
    vnode_map_done(codes, "status_codes (use Healthy, Degraded, Unhealthy)",
                   e);
    return c;
}

static vbody_t *report_fn(const vview_t *v, const vreq_t *r)
{
    (void)r;
    return vformat_report(v);
}

static void report_answer(vreq_t *r, vans_t *ans)
{
    const vreport_conf_t *c = r->route->conf;
    const char *tags[MAX_TAGS];
    vselect_t sel = {0};
    const vbody_t *b;

    sel.tags = tags;
    sel.ntags = vreq_query(r, "tag", tags, MAX_TAGS);
    if (sel.ntags > MAX_TAGS)
        return vans_error(ans, 400, "At most 16 tag parameters");
    if ((b = answer_view(r, ans, NULL, &sel, report_fn)) != NULL)
        ans->status = c ? c->codes[b->health] : 200;
}

/* ------------------------------------------------------------------------
 * jsonrpc: GET /ext/health[/health|/liveness|/readiness], POST /ext/health
 * (seed 002)
 */

static vbody_t *avalanche_fn(const vview_t *v, const vreq_t *r)
{
    (void)r;
    return vformat_avalanche(v);
}

static void jsonrpc_post(vreq_t *r, vans_t *ans)
{
    vbody_t *out = NULL;

    if (strcmp(r->rest, "") != 0)
        return vans_error(ans, 405, "JSON-RPC requests go to the "
                                    "endpoint's own path");
    if (vjsonrpc_answer(r->body ? r->body : "", r->body_len, r->snap,
                        r->details, &out) != VITALS_OK)
        return vans_error(ans, 500, "Out of memory");
    /* JSON-RPC: the health is in the body; HTTP says the call worked. A
     * request of notifications only gets no body at all. */
    ans->status = out ? 200 : 204;
    ans->owned = out;
    ans->no_etag = 1;
    ans->content_type = "application/json";
}

static void jsonrpc_answer(vreq_t *r, vans_t *ans)
{
    const char *tags[MAX_TAGS];
    vselect_t sel = {0};
    const vbody_t *b;

    if (strcmp(r->method, "POST") == 0)
        return jsonrpc_post(r, ans);
    if (strcmp(r->rest, "/liveness") == 0)
        sel.probe = "live";
    else if (strcmp(r->rest, "/readiness") == 0)
        sel.probe = "ready";
    else if (strcmp(r->rest, "") != 0 && strcmp(r->rest, "/health") != 0)
        return vans_error(ans, 404, "Use /health, /liveness or /readiness");
    sel.tags = tags;
    sel.ntags = vreq_query(r, "tag", tags, MAX_TAGS);
    sel.with_application = 1;
    if (sel.ntags > MAX_TAGS)
        return vans_error(ans, 400, "At most 16 tag parameters");
    if ((b = answer_view(r, ans, NULL, &sel, avalanche_fn)) != NULL)
        ans->status = code_503(b->health);
}

/* ------------------------------------------------------------------------
 * mosparo: GET /api/v1/health/check (seed 000)
 */

typedef struct {
    char *database_check;
} vmosparo_conf_t;

static void mosparo_free(void *p)
{
    vmosparo_conf_t *c = p;

    if (c == NULL)
        return;
    free(c->database_check);
    free(c);
}

static void *mosparo_configure(vnode_t *m, verrs_t *e)
{
    vmosparo_conf_t *c = calloc(1, sizeof(*c));
    const char *db = NULL;

    if (c == NULL)
        return NULL;
    if (m != NULL && vnode_str(m, "database_check", &db, e) == 1 &&
        (c->database_check = strdup(db)) == NULL) {
        free(c);
        return NULL;
    }
    return c;
}

static vbody_t *mosparo_fn(const vview_t *v, const vreq_t *r)
{
    const vmosparo_conf_t *c = r->route->conf;
    unsigned code = 200;
    vbody_t *b = vformat_mosparo(v, c ? c->database_check : NULL, &code);

    if (b != NULL)
        b->status = code;
    return b;
}

static void mosparo_answer(vreq_t *r, vans_t *ans)
{
    vselect_t sel = {0};
    const vbody_t *b;

    if ((b = answer_view(r, ans, NULL, &sel, mosparo_fn)) != NULL)
        ans->status = b->status;
}

/* ------------------------------------------------------------------------
 * livez, readyz: Kubernetes style
 */

#define MAX_EXCLUDE 64

static vbody_t *k8s_fn(const vview_t *v, const vreq_t *r)
{
    const char *probe = r->route->type->id;

    return vformat_k8s(v, probe, vreq_query(r, "verbose", NULL, 0) > 0);
}

static void k8s_answer(vreq_t *r, vans_t *ans)
{
    const char *exclude[MAX_EXCLUDE];
    vselect_t sel = {0};
    const vbody_t *b;
    int verbose = vreq_query(r, "verbose", NULL, 0) > 0;

    sel.probe = strcmp(r->route->type->id, "livez") == 0 ? "live" : "ready";
    sel.exclude = exclude;
    sel.nexclude = vreq_query(r, "exclude", exclude, MAX_EXCLUDE);
    if (sel.nexclude > MAX_EXCLUDE)
        return vans_error(ans, 400, "At most 64 exclude parameters");
    if (r->rest[0] != '\0') {
        sel.name = r->rest + 1;
        if (!has_check(r->snap, sel.name))
            return vans_error(ans, 404, "There is no check with this name");
        sel.probe = NULL; /* asked by name: whatever its tags */
    }
    b = answer_view(r, ans, verbose ? "verbose" : NULL, &sel, k8s_fn);
    if (b != NULL)
        ans->status = b->health == VITALS_UNHEALTHY ? 500 : 200;
}

/* ------------------------------------------------------------------------
 * The table
 */

static const vendpoint_type_t ep_ietf = {
    .id = "ietf", .path = "/health", .content_type = "application/health+json",
    .allow = "GET, HEAD", .answer = ietf_answer};
static const vendpoint_type_t ep_check = {
    .id = "check", .path = "/health", .content_type = "application/health+json",
    .allow = "GET, HEAD, PUT", .subpaths = 2, .answer = check_answer};
static const vendpoint_type_t ep_report = {
    .id = "report", .path = "/api/v2/health", .content_type = "application/json",
    .allow = "GET, HEAD", .configure = report_configure, .free_conf = free,
    .answer = report_answer};
static const vendpoint_type_t ep_jsonrpc = {
    .id = "jsonrpc", .path = "/ext/health", .content_type = "application/json",
    .allow = "GET, HEAD, POST", .subpaths = 1, .answer = jsonrpc_answer};
static const vendpoint_type_t ep_mosparo = {
    .id = "mosparo", .path = "/api/v1/health/check",
    .content_type = "application/json", .allow = "GET, HEAD",
    .allow_list = 1, .configure = mosparo_configure, .free_conf = mosparo_free,
    .answer = mosparo_answer};
static const vendpoint_type_t ep_livez = {
    .id = "livez", .path = "/livez", .content_type = "text/plain",
    .allow = "GET, HEAD", .subpaths = 1, .answer = k8s_answer};
static const vendpoint_type_t ep_readyz = {
    .id = "readyz", .path = "/readyz", .content_type = "text/plain",
    .allow = "GET, HEAD", .subpaths = 1, .answer = k8s_answer};

const vendpoint_type_t *const vendpoint_types[] = {
    &ep_ietf, &ep_check, &ep_report, &ep_jsonrpc, &ep_mosparo, &ep_livez,
    &ep_readyz, NULL};
