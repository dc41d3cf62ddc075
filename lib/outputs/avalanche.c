/* avalanche.c - avalanchego's health result (seed 002), the body of
 * GET /ext/health and the result of the health.* JSON-RPC methods:
 * {"checks": {name: {message, error, timestamp, duration,
 * contiguousFailures, timeOfFirstFailure}}, "healthy": bool}. */
#include <stdlib.h>
#include <string.h>

#include "outputs/format.h"

/* What Go's time.Time{} marshals to: avalanchego shows it for a check that
 * has not run yet, and clients may compare against it. */
#define ZERO_TIME "0001-01-01T00:00:00Z"

/* Why st is not healthy, for error.message. A check always has something
 * to say (the engine keeps its last error or description), but a bare
 * degraded status is possible, and the error object must not be empty. */
static const char *why(const vitals_check_state_t *st)
{
    if (st->error != NULL)
        return st->error;
    if (st->description != NULL)
        return st->description;
    return vitals_status_name(st->status);
}

/* {"message": why}, or NULL when out of memory. */
static json_t *error_object(const vitals_check_state_t *st)
{
    json_t *o = json_object();

    if (o != NULL && json_object_set_new(o, "message", json_string(why(st))) != 0) {
        json_decref(o);
        return NULL;
    }
    return o;
}

static json_t *children_object(const vitals_check_state_t *st);

/* The message of st: its data, plus its nested results under "children".
 * NULL when there is nothing to say (empty data, no children) and when out
 * of memory; *failed tells the two apart. */
static json_t *message(const vitals_check_state_t *st, int *failed)
{
    json_t *m = vformat_data(st);

    *failed = 0;
    if (m == NULL) {
        *failed = 1;
        return NULL;
    }
    /* The nested results replace a "children" key of the check's own data:
     * they are what this format promises under that name. */
    if (st->nchildren > 0 &&
        json_object_set_new(m, "children", children_object(st)) != 0) {
        json_decref(m);
        *failed = 1;
        return NULL;
    }
    if (json_object_size(m) == 0) {
        json_decref(m);
        return NULL;
    }
    return m;
}

/* One nested result: {"status", "message"?, "error"?}. Children have no
 * schedule of their own, so no timestamp, duration or failure counts. */
static json_t *child_object(const vitals_check_state_t *st)
{
    json_t *o = json_pack("{s:s}", "status", vitals_status_name(st->status));
    json_t *m;
    int failed;

    if (o == NULL)
        return NULL;
    m = message(st, &failed);
    if (failed || (m != NULL && json_object_set_new(o, "message", m) != 0))
        goto fail;
    if (st->status != VITALS_HEALTHY &&
        json_object_set_new(o, "error", error_object(st)) != 0)
        goto fail;
    return o;
fail:
    json_decref(o);
    return NULL;
}

static json_t *children_object(const vitals_check_state_t *st)
{
    json_t *o = json_object();

    if (o == NULL)
        return NULL;
    for (size_t i = 0; i < st->nchildren; i++) {
        const vitals_check_state_t *c = &st->children[i];

        json_t *key;
        int rc;

        if (c->name == NULL)
            continue;
        /* Child names come from the check, unchecked: made valid the same
         * way as its texts. */
        if ((key = json_string(c->name)) == NULL) {
            json_decref(o);
            return NULL;
        }
        rc = json_object_setn_new(o, json_string_value(key),
                                  json_string_length(key), child_object(c));
        json_decref(key);
        if (rc != 0) {
            json_decref(o);
            return NULL;
        }
    }
    return o;
}

/* One check's Result, keys in avalanchego's order. */
static json_t *result_object(const vitals_check_state_t *st)
{
    json_t *o = json_object();
    json_t *m;
    int failed, rc = 0;

    if (o == NULL)
        return NULL;
    m = message(st, &failed);
    if (failed)
        goto fail;
    if (m != NULL)
        rc |= json_object_set_new(o, "message", m);
    if (st->status != VITALS_HEALTHY)
        rc |= json_object_set_new(o, "error", error_object(st));
    if (st->timestamp_ns != 0)
        rc |= vformat_set_time(o, "timestamp", st->timestamp_ns);
    else
        rc |= json_object_set_new(o, "timestamp", json_string(ZERO_TIME));
    rc |= json_object_set_new(o, "duration", json_integer(st->duration_ns));
    rc |= json_object_set_new(
        o, "contiguousFailures",
        json_integer((json_int_t)(st->contiguous_failures > INT64_MAX
                                      ? INT64_MAX
                                      : st->contiguous_failures)));
    if (st->first_failure_ns != 0)
        rc |= vformat_set_time(o, "timeOfFirstFailure", st->first_failure_ns);
    else
        rc |= json_object_set_new(o, "timeOfFirstFailure", json_null());
    if (rc == 0)
        return o;
fail:
    json_decref(o);
    return NULL;
}

json_t *vformat_avalanche_json(const vview_t *v)
{
    json_t *root = json_object(), *checks = json_object(), *healthy;

    if (root == NULL || checks == NULL)
        goto fail;
    /* Without details the caller learns the verdict and nothing a check
     * said, not even which checks exist. */
    for (size_t i = 0; v->details && i < v->n; i++) {
        const vitals_check_state_t *st = &v->entries[i]->pub;

        if (json_object_set_new(checks, st->name, result_object(st)) != 0)
            goto fail;
    }
    if (json_object_set_new(root, "checks", checks) != 0) {
        checks = NULL; /* stolen, even on failure */
        goto fail;
    }
    /* A degraded check keeps the node in service: only unhealthy counts. */
    healthy = json_boolean(v->status != VITALS_UNHEALTHY);
    if (json_object_set_new(root, "healthy", healthy) != 0) {
        json_decref(root);
        return NULL;
    }
    return root;
fail:
    json_decref(checks);
    json_decref(root);
    return NULL;
}

vbody_t *vformat_avalanche(const vview_t *v)
{
    return vformat_dump(vformat_avalanche_json(v));
}
