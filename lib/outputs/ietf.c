/* ietf.c - the IETF draft health+json format (draft-inadarei-api-health-
 * check-06, seed 003): {status, version, releaseId, serviceId, description,
 * checks: {"name[:measurement]": [ {componentId, componentType, status,
 * time, observedValue, observedUnit, output} ]}}. */
#include <stdio.h>
#include <string.h>

#include "outputs/format.h"

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

/* One check object. st is the check itself or one of its children. */
static json_t *component(const vitals_check_state_t *st, const char *type,
                         const vitals_result_t *r, int64_t time_ns)
{
    json_t *o = json_object();
    const char *output = st->error ? st->error : st->description;

    set_str(o, "componentId", st->name);
    set_str(o, "componentType", type);
    if (r != NULL && r->observed_set) {
        json_object_set_new(o, "observedValue", json_real(r->observed));
        set_str(o, "observedUnit", r->unit);
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
    const vitals_check_state_t *st = &e->pub;
    const vitals_result_t *r = e->result;
    const char *type = e->check->type ? e->check->type->component_type
                                      : "component";
    json_t *a = json_array();

    if (st->nchildren == 0) {
        json_array_append_new(a, component(st, type, r, st->timestamp_ns));
        return a;
    }
    /* A group: one object per member, each with its own componentId. */
    for (size_t i = 0; i < st->nchildren; i++)
        json_array_append_new(a, component(&st->children[i], "component",
                                           r->children[i], st->timestamp_ns));
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
        const vitals_result_t *r = e->result;
        char key[300];

        if (r != NULL && r->observed_set && e->pub.nchildren == 0)
            snprintf(key, sizeof(key), "%s:%s", e->pub.name, r->measurement);
        else
            snprintf(key, sizeof(key), "%s", e->pub.name);
        json_object_set_new(checks, key, entry_checks(e));
    }
    json_object_set_new(root, "checks", checks);
    return vformat_dump(root);
}
