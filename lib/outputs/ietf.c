/* ietf.c - the IETF draft health+json format (draft-inadarei-api-health-
 * check-06, seed 003): {status, version, releaseId, serviceId, description,
 * checks: {"name[:measurement]": [ {componentId, componentType, status,
 * time, observedValue, observedUnit, output} ]}}. */
#include <stdio.h>
#include <string.h>

#include <stddef.h>

#include "outputs/output.h"

const char *vformat_ietf_status(vitals_status_t s)
{
    switch (s) {
    case VITALS_HEALTHY:
        return "pass";
    case VITALS_DEGRADED:
        return "warn";
    case VITALS_UNHEALTHY:
        return "fail";
    }
    return "fail";
}

static void set_str(json_t *o, const char *key, const char *value)
{
    if (value != NULL)
        json_object_set_new(o, key, json_string(value));
}

/* One check object. e is the check itself or one of its children. */
static json_t *component(const vsnap_entry_t *e, int64_t time_ns)
{
    const vitals_check_state_t *st = &e->pub;
    json_t *o = json_object();
    const char *output = st->error ? st->error : st->description;

    set_str(o, "componentId", st->name);
    set_str(o, "componentType", e->component_type);
    if (e->measurement != NULL) {
        json_object_set_new(o, "observedValue", json_real(e->observed));
        set_str(o, "observedUnit", e->unit);
    }
    json_object_set_new(o, "status",
                        json_string(vformat_ietf_status(st->status)));
    if (time_ns != 0)
        vformat_set_time(o, "time", time_ns);
    /* The draft: output is for warn and fail only. */
    if (st->status != VITALS_HEALTHY && output != NULL)
        set_str(o, "output", output);
    return o;
}

static json_t *entry_checks(const vsnap_entry_t *e)
{
    json_t *a = json_array();

    if (e->nchildren == 0) {
        json_array_append_new(a, component(e, e->pub.timestamp_ns));
        return a;
    }
    /* A group: one object per member, each with its own componentId. */
    for (size_t i = 0; i < e->nchildren; i++)
        json_array_append_new(a, component(&e->children[i],
                                           e->pub.timestamp_ns));
    return a;
}

vbody_t *vformat_ietf(const vview_t *v)
{
    const vitals_snapshot_t *s = v->snap;
    json_t *root = json_object(), *checks = json_object();

    if (root == NULL || checks == NULL) {
        json_decref(root);
        json_decref(checks);
        return NULL;
    }
    json_object_set_new(root, "status",
                        json_string(vformat_ietf_status(v->status)));
    set_str(root, "version", s->service_version);
    set_str(root, "releaseId", s->service_release);
    set_str(root, "serviceId", s->service_id);
    set_str(root, "description", s->service_description);
    if (!v->details) {
        json_decref(checks);
        return vformat_dump(root);
    }
    for (size_t i = 0; i < v->n; i++) {
        const vsnap_entry_t *e = v->entries[i];
        char key[300];

        if (e->measurement != NULL && e->nchildren == 0)
            snprintf(key, sizeof(key), "%s:%s", e->pub.name, e->measurement);
        else
            snprintf(key, sizeof(key), "%s", e->pub.name);
        json_object_set_new(checks, key, entry_checks(e));
    }
    json_object_set_new(root, "checks", checks);
    return vformat_dump(root);
}

/* ------------------------------------------------------------------------
 * The output: GET /health
 */

static vbody_t *ietf_fn(const vview_t *v, const vreq_t *r)
{
    (void)r;
    return vformat_ietf(v);
}

/* The draft's HTTP status: 2xx for pass and warn, 5xx for fail. */
unsigned vietf_code(vitals_status_t s)
{
    return s == VITALS_UNHEALTHY ? 503 : 200;
}

typedef struct {
    unsigned codes[3]; /* by vitals_status_t; 0: the draft's */
} vietf_conf_t;

/* status_codes: {pass: 200, warn: 200, fail: 503}, each optional, within
 * what the draft requires: 2xx-3xx for pass and warn, 4xx-5xx for fail. */
static const vcodes_spec_t ietf_codes = {
    {"pass", "warn", "fail"}, {200, 200, 400}, {399, 399, 599}, 503};

static int parse_codes(vnode_t *codes, void *field, verrs_t *e)
{
    return vcodes_parse(codes, &ietf_codes, field, e);
}

static const vsetting_t ietf_settings[] = {
    {.key = "status_codes", .kind = VSET_CUSTOM,
     .offset = offsetof(vietf_conf_t, codes), .parse = parse_codes,
     .doc = "the HTTP status for pass, warn and fail (200, 200, 503)"},
    {0}};

static void ietf_answer(vreq_t *r, vans_t *ans)
{
    const vietf_conf_t *c = r->conf;
    vselect_t sel = {0};
    const vbody_t *b = vreq_view(r, ans, NULL, &sel, ietf_fn);

    if (b != NULL)
        ans->status = c != NULL && c->codes[b->health] != 0
                          ? c->codes[b->health]
                          : vietf_code(b->health);
}

const voutput_t voutput_ietf = {
    .id = "ietf", .path = "/health", .content_type = "application/health+json",
    .allow = "GET, HEAD", .answer = ietf_answer,
    .settings = ietf_settings, .conf_size = sizeof(vietf_conf_t),
    .doc_format = "The IETF health+json draft",
    .doc_codes = "200 pass/warn, 503 fail"};
