/* jsonrpc.c - the JSON-RPC 2.0 side of /ext/health (seed 002): answers a
 * request or a batch of health.health, health.liveness and
 * health.readiness calls from a snapshot, to the letter of
 * https://www.jsonrpc.org/specification. */
#include <stdio.h>
#include <string.h>

#include "outputs/output.h"

#define RPC_PARSE_ERROR -32700
#define RPC_INVALID_REQUEST -32600
#define RPC_METHOD_NOT_FOUND -32601
#define RPC_INVALID_PARAMS -32602
#define RPC_INTERNAL_ERROR -32603

/* A batch costs one view and one rendering per call: past this many calls
 * the batch is refused whole, before any work. */
#define RPC_MAX_BATCH 100
/* Each tag is compared with every tag of every check. */
#define RPC_MAX_TAGS 100

static const struct {
    const char *name;
    const char *probe; /* vselect_t.probe */
} methods[] = {
    {"health.health", NULL},
    {"health.liveness", "live"},
    {"health.readiness", "ready"},
};

static const char *code_message(int code)
{
    switch (code) {
    case RPC_PARSE_ERROR:
        return "Parse error";
    case RPC_INVALID_REQUEST:
        return "Invalid Request";
    case RPC_METHOD_NOT_FOUND:
        return "Method not found";
    case RPC_INVALID_PARAMS:
        return "Invalid params";
    }
    return "Internal error";
}

/* {"jsonrpc": "2.0", key: value, "id": id}: value is stolen, id borrowed
 * (NULL: null). NULL when out of memory. */
static json_t *response(const char *key, json_t *value, json_t *id)
{
    json_t *o = json_object();

    if (o == NULL || value == NULL ||
        json_object_set_new(o, "jsonrpc", json_string("2.0")) != 0) {
        json_decref(value);
        json_decref(o);
        return NULL;
    }
    if (json_object_set_new(o, key, value) != 0 ||
        json_object_set_new(o, "id", id ? json_incref(id) : json_null()) !=
            0) {
        json_decref(o);
        return NULL;
    }
    return o;
}

/* An error response; data (may be NULL) says what exactly was wrong. */
static json_t *error_response(int code, const char *data, json_t *id)
{
    json_t *e = json_object(), *d;

    if (e == NULL)
        return NULL;
    if (json_object_set_new(e, "code", json_integer(code)) != 0 ||
        json_object_set_new(e, "message", json_string(code_message(code))) !=
            0)
        goto fail;
    if (data != NULL) {
        /* data may quote the input (jansson's parse errors do). */
        if ((d = json_string(data)) == NULL)
            d = json_string("(not valid UTF-8)");
        if (json_object_set_new(e, "data", d) != 0)
            goto fail;
    }
    return response("error", e, id);
fail:
    json_decref(e);
    return NULL;
}

/* The tags of params, checked. Returns 0, or a reason for Invalid params
 * (a static string). tags[] has room for RPC_MAX_TAGS. */
static const char *read_params(json_t *params, const char **tags,
                               size_t *ntags)
{
    json_t *t, *value;
    const char *key;
    size_t i, key_len;

    *ntags = 0;
    if (params == NULL || json_is_null(params))
        return NULL;
    /* avalanchego's arguments are named: a positional call cannot say what
     * it means. */
    if (json_is_array(params))
        return "params must be an object, not an array";
    /* By length: "tags\u0000x" is not "tags". (jansson 2.14 refuses a NUL
     * in a key while parsing; this does not depend on it.) */
    json_object_keylen_foreach(params, key, key_len, value) {
        if (key_len != 4 || memcmp(key, "tags", 4) != 0)
            return "params may only have the member \"tags\"";
    }
    if ((t = json_object_get(params, "tags")) == NULL)
        return NULL;
    if (!json_is_array(t))
        return "params.tags must be an array of strings";
    if (json_array_size(t) > RPC_MAX_TAGS)
        return "params.tags has more than 100 tags"; /* RPC_MAX_TAGS */
    json_array_foreach(t, i, value) {
        /* A tag is compared as a C string: one with a NUL inside would
         * match the tag it starts with. */
        if (!json_is_string(value) ||
            strlen(json_string_value(value)) != json_string_length(value))
            return "params.tags must be an array of strings";
        tags[(*ntags)++] = json_string_value(value);
    }
    return NULL;
}

/* The result of a valid call: the avalanche body of the selected view.
 * NULL when out of memory. */
static json_t *call(const vitals_snapshot_t *s, int details,
                    const char *probe, const char *const *tags, size_t ntags)
{
    vselect_t sel;
    vview_t view;
    json_t *result;

    memset(&sel, 0, sizeof(sel));
    sel.probe = probe;
    sel.tags = tags;
    sel.ntags = ntags;
    /* As in avalanchego: a tag filter always keeps the application's own
     * checks. */
    sel.with_application = ntags > 0;
    if (vview_init(&view, s, &sel) != VITALS_OK) {
        vview_free(&view);
        return NULL;
    }
    view.details = details;
    result = vformat_avalanche_json(&view);
    vview_free(&view);
    return result;
}

/* Answers one request. Returns 0 with *resp the response, or NULL for a
 * notification; VITALS_ENOMEM when out of memory. */
static int answer_one(json_t *req, const vitals_snapshot_t *s, int details,
                      json_t **resp)
{
    const char *tags[RPC_MAX_TAGS];
    const char *why, *probe = NULL;
    json_t *id, *version, *method, *params, *result;
    size_t ntags, i, n = sizeof(methods) / sizeof(methods[0]);

    *resp = NULL;
    /* Until the request is known to be valid its id cannot be trusted, and
     * an invalid request is answered even without an id: only a valid
     * Request object can be a notification. */
    if (!json_is_object(req)) {
        *resp = error_response(RPC_INVALID_REQUEST,
                               "a request must be a JSON object", NULL);
        goto out;
    }
    id = json_object_get(req, "id");
    if (id != NULL && !json_is_string(id) && !json_is_number(id) &&
        !json_is_null(id)) {
        *resp = error_response(RPC_INVALID_REQUEST,
                               "id must be a string, a number or null", NULL);
        goto out;
    }
    version = json_object_get(req, "jsonrpc");
    if (!json_is_string(version) || json_string_length(version) != 3 ||
        memcmp(json_string_value(version), "2.0", 3) != 0) {
        *resp = error_response(RPC_INVALID_REQUEST,
                               "jsonrpc must be exactly \"2.0\"", id);
        goto out;
    }
    method = json_object_get(req, "method");
    if (!json_is_string(method)) {
        *resp = error_response(RPC_INVALID_REQUEST,
                               method == NULL ? "method is missing"
                                              : "method must be a string",
                               id);
        goto out;
    }
    params = json_object_get(req, "params");
    if (params != NULL && !json_is_object(params) && !json_is_array(params) &&
        !json_is_null(params)) {
        *resp = error_response(RPC_INVALID_REQUEST,
                               "params must be an object or an array", id);
        goto out;
    }
    /* A valid notification: whatever happens, the client hears nothing,
     * so there is nothing to compute either. */
    if (id == NULL)
        return VITALS_OK;
    for (i = 0; i < n; i++)
        if (strlen(methods[i].name) == json_string_length(method) &&
            memcmp(methods[i].name, json_string_value(method),
                   json_string_length(method)) == 0)
            break;
    if (i == n) {
        *resp = error_response(RPC_METHOD_NOT_FOUND,
                               "methods are health.health, health.liveness "
                               "and health.readiness",
                               id);
        goto out;
    }
    probe = methods[i].probe;
    if ((why = read_params(params, tags, &ntags)) != NULL) {
        *resp = error_response(RPC_INVALID_PARAMS, why, id);
        goto out;
    }
    if ((result = call(s, details, probe, tags, ntags)) == NULL) {
        /* Out of memory for the view or its rendering; the smaller error
         * response may still fit. */
        *resp = error_response(RPC_INTERNAL_ERROR,
                               "out of memory rendering the result", id);
        goto out;
    }
    *resp = response("result", result, id);
out:
    return *resp != NULL ? VITALS_OK : VITALS_ENOMEM;
}

/* The whole answer as a JSON value (*resp NULL: send nothing). */
static int answer(json_t *req, const vitals_snapshot_t *s, int details,
                  json_t **resp)
{
    json_t *batch, *r;
    size_t i;
    int rc;

    if (!json_is_array(req))
        return answer_one(req, s, details, resp);
    /* The specification: a batch that is not an array of at least one
     * value gets one error, not an array. */
    *resp = NULL;
    if (json_array_size(req) == 0)
        *resp = error_response(RPC_INVALID_REQUEST, "empty batch", NULL);
    else if (json_array_size(req) > RPC_MAX_BATCH)
        *resp = error_response(RPC_INVALID_REQUEST,
                               "batch too large (max 100)", /* RPC_MAX_BATCH */
                               NULL);
    if (json_array_size(req) == 0 || json_array_size(req) > RPC_MAX_BATCH)
        return *resp != NULL ? VITALS_OK : VITALS_ENOMEM;
    if ((batch = json_array()) == NULL)
        return VITALS_ENOMEM;
    for (i = 0; i < json_array_size(req); i++) {
        if ((rc = answer_one(json_array_get(req, i), s, details, &r)) != 0) {
            json_decref(batch);
            return rc;
        }
        if (r != NULL && json_array_append_new(batch, r) != 0) {
            json_decref(batch);
            return VITALS_ENOMEM;
        }
    }
    /* Only notifications: the specification wants nothing at all back. */
    if (json_array_size(batch) == 0) {
        json_decref(batch);
        return VITALS_OK;
    }
    *resp = batch;
    return VITALS_OK;
}

int vjsonrpc_answer(const char *body, size_t len, const vitals_snapshot_t *s,
                    int details, vbody_t **out)
{
    json_error_t err;
    json_t *req, *resp;
    char why[256];
    int rc;

    if (out == NULL)
        return VITALS_EINVAL;
    *out = NULL;
    if (s == NULL || (body == NULL && len > 0))
        return VITALS_EINVAL;
    /* DECODE_ANY: a bare 1 or "x" is valid JSON, so an Invalid Request
     * rather than a Parse error. ALLOW_NUL: "\u0000" is valid JSON too. */
    req = json_loadb(body != NULL ? body : "", len,
                     JSON_DECODE_ANY | JSON_ALLOW_NUL, &err);
    if (req == NULL) {
        if (json_error_code(&err) == json_error_out_of_memory)
            return VITALS_ENOMEM;
        snprintf(why, sizeof(why), "invalid JSON at line %d, column %d: %s",
                 err.line, err.column, err.text);
        resp = error_response(RPC_PARSE_ERROR, why, NULL);
        rc = resp != NULL ? VITALS_OK : VITALS_ENOMEM;
    } else {
        rc = answer(req, s, details, &resp);
        json_decref(req);
    }
    if (rc != VITALS_OK || resp == NULL)
        return rc;
    return (*out = vformat_dump(resp)) != NULL ? VITALS_OK : VITALS_ENOMEM;
}

/* ------------------------------------------------------------------------
 * The output: GET /ext/health[/health|/liveness|/readiness] answers
 * avalanchego's health result; POST /ext/health takes JSON-RPC 2.0.
 */

#define MAX_TAGS 16

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

static void jsonrpc_get(vreq_t *r, vans_t *ans)
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
    if (vreq_tags(r, ans, &sel, tags, MAX_TAGS) != 0)
        return;
    sel.with_application = 1;
    if ((b = vreq_view(r, ans, NULL, &sel, avalanche_fn)) != NULL)
        ans->status = vietf_code(b->health);
}

const voutput_t voutput_jsonrpc = {
    .id = "jsonrpc", .path = "/ext/health", .content_type = "application/json",
    .allow = "GET, HEAD, POST", .subpaths = 1, .answer = jsonrpc_get,
    .doc_format = "avalanchego's health API; POST: JSON-RPC 2.0",
    .doc_codes = "GET 200/503; POST 200",
    .doc_paths = "`/ext/health` (+ `/health`, `/liveness`, `/readiness`)"};
