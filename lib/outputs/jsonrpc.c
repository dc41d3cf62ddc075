/* jsonrpc.c - the JSON-RPC 2.0 side of /ext/health (seed 002): answers a
 * request or a batch of health.health, health.liveness and
 * health.readiness calls from a snapshot, to the letter of
 * https://www.jsonrpc.org/specification. Each call's result is cached in
 * the snapshot like every other body, and a response is composed around
 * the cached text; a batch may render only a few results anew and hold
 * only so many bytes of results, so that it costs the listener little. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "outputs/output.h"
#include "util/buf.h"

#define RPC_PARSE_ERROR -32700
#define RPC_INVALID_REQUEST -32600
#define RPC_METHOD_NOT_FOUND -32601
#define RPC_INVALID_PARAMS -32602
#define RPC_INTERNAL_ERROR -32603

/* Calls in one batch: past this many the batch is refused whole, before
 * any work. */
#define RPC_MAX_BATCH 100
/* Each tag is compared with every tag of every check. */
#define RPC_MAX_TAGS 100
/* Results a batch may render anew (not found in the snapshot's cache):
 * each costs a view and a rendering of every check it selects, so a batch
 * of 100 different tag filters cannot keep the listener busy. */
#define RPC_MAX_RENDERS 8
/* A cache key longer than this (many long tags) is not cached: the result
 * is rendered for the call alone, and counts as a rendering. */
#define RPC_MAX_KEY 4096
/* The implementation-defined server error of the specification's
 * -32000..-32099 range: the batch asks for more than it may. */
#define RPC_SERVER_ERROR -32000

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
    case RPC_SERVER_ERROR:
        return "Server error";
    }
    return "Internal error";
}

/* What answering one body shares across its calls. */
typedef struct rpc {
    vitals_snapshot_t *s;
    int details;
    int batch;       /* the body is a batch: the caps apply */
    size_t cap;      /* result bytes a batch may hold (0: any) */
    size_t used;     /* result bytes so far */
    unsigned renders; /* results rendered anew so far */
    vbuf_t out;      /* the answer */
    size_t answered; /* responses in out */
} rpc_t;

/* Appends the text of a response (stolen) to the answer, after a comma
 * when it is not the first. VITALS_ENOMEM when out of memory. */
static int add_json(rpc_t *c, json_t *resp)
{
    char *text = resp != NULL ? json_dumps(resp, VFORMAT_FLAGS) : NULL;
    int rc = VITALS_ENOMEM;

    json_decref(resp);
    if (text == NULL)
        return rc;
    if ((c->answered == 0 || vbuf_str(&c->out, ",") == 0) &&
        vbuf_str(&c->out, text) == 0) {
        c->answered++;
        rc = VITALS_OK;
    }
    free(text);
    return rc;
}

/* An error response; data (may be NULL) says what exactly was wrong; id
 * borrowed (NULL: null). Appended to the answer. */
static int add_error(rpc_t *c, int code, const char *data, json_t *id)
{
    json_t *e = json_pack("{s:i, s:s}", "code", code, "message",
                          code_message(code));
    json_t *d;

    if (e != NULL && data != NULL) {
        /* data may quote the input (jansson's parse errors do). */
        if ((d = json_string(data)) == NULL)
            d = json_string("(not valid UTF-8)");
        if (json_object_set_new(e, "data", d) != 0) {
            json_decref(e);
            e = NULL;
        }
    }
    if (e == NULL)
        return VITALS_ENOMEM;
    /* "o" steals e, also when the packing fails. */
    return add_json(c, json_pack("{s:s, s:o, s:O}", "jsonrpc", "2.0",
                                 "error", e, "id",
                                 id != NULL ? id : json_null()));
}

/* A result response, {"jsonrpc":"2.0","result":...,"id":...}, composed
 * from the cached result text without parsing it again. */
static int add_result(rpc_t *c, const vbody_t *b, json_t *id)
{
    char *idtext = id != NULL ? json_dumps(id, VFORMAT_FLAGS |
                                                   JSON_ENCODE_ANY)
                              : NULL;
    int rc;

    if (id != NULL && idtext == NULL)
        return VITALS_ENOMEM;
    if (c->answered > 0)
        vbuf_str(&c->out, ",");
    vbuf_str(&c->out, "{\"jsonrpc\":\"2.0\",\"result\":");
    vbuf_add(&c->out, b->data, b->len);
    vbuf_str(&c->out, ",\"id\":");
    vbuf_str(&c->out, idtext != NULL ? idtext : "null");
    rc = vbuf_str(&c->out, "}");
    free(idtext);
    c->answered++;
    return rc == 0 ? VITALS_OK : VITALS_ENOMEM;
}

/* The tags of params, checked. Returns NULL, or a reason for Invalid
 * params (a static string). tags[] has room for RPC_MAX_TAGS. */
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
    if (!json_is_object(params))
        return "params must be an object";
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

/* One call's selection, for rendering its result. */
typedef struct call {
    rpc_t *c;
    const char *probe;
    const char *const *tags;
    size_t ntags;
    int refused; /* the batch rendered all it may */
} call_t;

/* The avalanche body of the call's view, for the snapshot's cache. */
static vbody_t *render_call(void *arg)
{
    call_t *k = arg;
    vselect_t sel;
    vview_t view;
    vbody_t *b;

    if (k->c->batch && k->c->renders >= RPC_MAX_RENDERS) {
        k->refused = 1;
        return NULL;
    }
    k->c->renders++;
    memset(&sel, 0, sizeof(sel));
    sel.probe = k->probe;
    sel.tags = k->tags;
    sel.ntags = k->ntags;
    /* As in avalanchego: a tag filter always keeps the application's own
     * checks. */
    sel.with_application = k->ntags > 0;
    if (vview_init(&view, k->c->s, &sel) != VITALS_OK)
        return NULL;
    view.details = k->c->details;
    b = vformat_avalanche(&view);
    vview_free(&view);
    return b;
}

/* The result of a call: cached per snapshot, method, details and tags
 * (each tag length-prefixed, so that no tag can spell two). NULL when out
 * of memory or refused; *owned when the caller frees it. */
static vbody_t *call_result(call_t *k, int *owned)
{
    vbuf_t key = VBUF_INIT(RPC_MAX_KEY);
    vbody_t *b;

    *owned = 0;
    vbuf_printf(&key, "jsonrpc.call|%s|%d|", k->probe ? k->probe : "",
                k->c->details);
    for (size_t i = 0; i < k->ntags; i++)
        vbuf_printf(&key, "&tag=%zu:%s", strlen(k->tags[i]), k->tags[i]);
    if (key.full || key.oom) {
        *owned = 1;
        b = render_call(k);
    } else {
        b = vsnap_body(k->c->s, key.data, render_call, k, owned);
    }
    vbuf_clear(&key);
    return b;
}

/* Answers a valid call of methods[m] with params. */
static int answer_call(rpc_t *c, size_t m, json_t *params, json_t *id)
{
    const char *tags[RPC_MAX_TAGS];
    call_t k = {c, methods[m].probe, tags, 0, 0};
    const char *why;
    vbody_t *b;
    int owned, rc;
    char data[160];

    if ((why = read_params(params, tags, &k.ntags)) != NULL)
        return add_error(c, RPC_INVALID_PARAMS, why, id);
    if (c->batch && c->cap > 0 && c->used >= c->cap)
        goto too_large;
    if ((b = call_result(&k, &owned)) == NULL) {
        if (k.refused) {
            snprintf(data, sizeof(data),
                     "the batch asks for more than %d different results: "
                     "send this call in another batch",
                     RPC_MAX_RENDERS);
            return add_error(c, RPC_SERVER_ERROR, data, id);
        }
        /* Out of memory for the view or its rendering; the smaller error
         * response may still fit. */
        return add_error(c, RPC_INTERNAL_ERROR,
                         "out of memory rendering the result", id);
    }
    if (c->batch && c->cap > 0 && b->len > c->cap - c->used) {
        if (owned)
            vbody_free(b);
        goto too_large;
    }
    c->used += b->len;
    rc = add_result(c, b, id);
    if (owned)
        vbody_free(b);
    return rc;
too_large:
    snprintf(data, sizeof(data),
             "the batch's results would pass %zu bytes: send this call in "
             "another batch",
             c->cap);
    return add_error(c, RPC_SERVER_ERROR, data, id);
}

/* Answers one request, appending its response (none for a notification).
 * VITALS_ENOMEM when out of memory. */
static int answer_one(rpc_t *c, json_t *req)
{
    json_t *id, *version, *method;
    size_t i, n = sizeof(methods) / sizeof(methods[0]);

    /* Until the request is known to be valid its id cannot be trusted, and
     * an invalid request is answered even without an id: only a valid
     * Request object can be a notification. */
    if (!json_is_object(req))
        return add_error(c, RPC_INVALID_REQUEST,
                         "a request must be a JSON object", NULL);
    id = json_object_get(req, "id");
    if (id != NULL && !json_is_string(id) && !json_is_number(id) &&
        !json_is_null(id))
        return add_error(c, RPC_INVALID_REQUEST,
                         "id must be a string, a number or null", NULL);
    version = json_object_get(req, "jsonrpc");
    if (!json_is_string(version) || json_string_length(version) != 3 ||
        memcmp(json_string_value(version), "2.0", 3) != 0)
        return add_error(c, RPC_INVALID_REQUEST,
                         "jsonrpc must be exactly \"2.0\"", id);
    method = json_object_get(req, "method");
    if (!json_is_string(method))
        return add_error(c, RPC_INVALID_REQUEST,
                         method == NULL ? "method is missing"
                                        : "method must be a string",
                         id);
    /* A valid notification: whatever happens, the client hears nothing,
     * so there is nothing to compute either. (params, whatever it holds,
     * belongs to the method: a wrong one is Invalid params, -32602.) */
    if (id == NULL)
        return VITALS_OK;
    for (i = 0; i < n; i++)
        if (strlen(methods[i].name) == json_string_length(method) &&
            memcmp(methods[i].name, json_string_value(method),
                   json_string_length(method)) == 0)
            break;
    if (i == n)
        return add_error(c, RPC_METHOD_NOT_FOUND,
                         "methods are health.health, health.liveness and "
                         "health.readiness",
                         id);
    return answer_call(c, i, json_object_get(req, "params"), id);
}

/* The whole answer into c->out (left empty: send nothing). */
static int answer(rpc_t *c, json_t *req)
{
    size_t i;
    int rc;

    if (!json_is_array(req))
        return answer_one(c, req);
    /* The specification: a batch that is not an array of at least one
     * value gets one error, not an array. */
    if (json_array_size(req) == 0)
        return add_error(c, RPC_INVALID_REQUEST, "empty batch", NULL);
    if (json_array_size(req) > RPC_MAX_BATCH)
        return add_error(c, RPC_INVALID_REQUEST,
                         "batch too large (max 100)", /* RPC_MAX_BATCH */
                         NULL);
    c->batch = 1;
    vbuf_str(&c->out, "[");
    for (i = 0; i < json_array_size(req); i++)
        if ((rc = answer_one(c, json_array_get(req, i))) != VITALS_OK)
            return rc;
    /* Only notifications: the specification wants nothing at all back. */
    if (c->answered == 0) {
        vbuf_clear(&c->out);
        return VITALS_OK;
    }
    return vbuf_str(&c->out, "]") == 0 ? VITALS_OK : VITALS_ENOMEM;
}

int vjsonrpc_answer(const char *body, size_t len, vitals_snapshot_t *s,
                    int details, size_t max_batch_bytes, vbody_t **out)
{
    rpc_t c = {s, details, 0, max_batch_bytes, 0, 0, VBUF_INIT(0), 0};
    json_error_t err;
    json_t *req;
    char why[256], *text;
    size_t text_len = 0;
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
        rc = add_error(&c, RPC_PARSE_ERROR, why, NULL);
    } else {
        rc = answer(&c, req);
        json_decref(req);
    }
    if (rc == VITALS_OK && c.out.oom)
        rc = VITALS_ENOMEM;
    text = vbuf_take(&c.out, &text_len);
    if (rc != VITALS_OK || text == NULL) {
        free(text);
        return rc;
    }
    return (*out = vbody_new(text, text_len)) != NULL ? VITALS_OK
                                                       : VITALS_ENOMEM;
}

/* ------------------------------------------------------------------------
 * The output: GET /ext/health[/health|/liveness|/readiness] answers
 * avalanchego's health result; POST /ext/health takes JSON-RPC 2.0.
 */

#define MAX_TAGS 16

typedef struct vjsonrpc_conf {
    uint64_t max_batch_bytes;
} vjsonrpc_conf_t;

static const vsetting_t jsonrpc_settings[] = {
    {.key = "max_batch_bytes", .kind = VSET_SIZE,
     .offset = offsetof(vjsonrpc_conf_t, max_batch_bytes),
     .flags = VSET_POSITIVE, .def = "1MiB",
     .doc = "the results a JSON-RPC batch may hold, in all"},
    {0}};

static vbody_t *avalanche_fn(const vview_t *v, const vreq_t *r)
{
    (void)r;
    return vformat_avalanche(v);
}

static void jsonrpc_post(vreq_t *r, vans_t *ans)
{
    const vjsonrpc_conf_t *c = r->conf;
    vbody_t *out = NULL;

    if (strcmp(r->rest, "") != 0)
        return vans_error(ans, 405, "JSON-RPC requests go to the "
                                    "endpoint's own path");
    if (vjsonrpc_answer(r->body ? r->body : "", r->body_len, r->snap,
                        r->details,
                        c ? (size_t)c->max_batch_bytes
                          : VJSONRPC_MAX_BATCH_BYTES,
                        &out) != VITALS_OK)
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
    .settings = jsonrpc_settings, .conf_size = sizeof(vjsonrpc_conf_t),
    .doc_format = "avalanchego's health API; POST: JSON-RPC 2.0",
    .doc_codes = "GET 200/503; POST 200",
    .doc_paths = "`/ext/health` (+ `/health`, `/liveness`, `/readiness`)"};
