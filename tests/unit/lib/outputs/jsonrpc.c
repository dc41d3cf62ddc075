/* jsonrpc.c - JSON-RPC 2.0 on /ext/health: the three methods and
 * their tag filters, every error code, ids echoed as written,
 * notifications, batches, and out-of-memory at every allocation. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "outputs/format.h"
#include "snaptest.h"

static void ok(vitals_result_t *r, void *d)
{
    (void)r;
    (void)d;
}

static void full(vitals_result_t *r, void *d)
{
    (void)d;
    vitals_result_set_error(r, "disk full");
    vitals_result_set_int(r, "freeMegabytes", 0);
}

/* One instance for every test, run once: its snapshot is immutable. */
static vitals_t *inst;
static vitals_snapshot_t *snap;

static void add(const char *name, vitals_check_fn fn, const char *tag1,
                const char *tag2)
{
    const char *tags[2] = {tag1, tag2};
    vitals_check_opts_t o;

    vitals_check_opts_init(&o);
    o.tags = tags;
    o.ntags = tag2 ? 2 : tag1 ? 1 : 0;
    assert_int_equal(vitals_add_check(inst, name, &o, fn, NULL, NULL), 0);
}

static int setup(void **state)
{
    (void)state;
    inst = snap_instance();
    add("db", ok, "ready", NULL);
    add("heartbeat", ok, "live", NULL);
    add("app", ok, "application", NULL);
    add("disk", full, "storage", NULL);
    add("cache", ok, "ready", "storage");
    add("net", ok, NULL, NULL);
    snap = snap_run(inst);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    vitals_snapshot_release(snap);
    vitals_free(inst);
    return 0;
}

/* When VITALS_TEST_OUT names a directory, every response is also written
 * there, to validate against docs/schemas/jsonrpc.json. */
static void keep(const char *text)
{
    static int seq;
    char name[32];

    snprintf(name, sizeof(name), "jsonrpc_%03d", seq++);
    snap_keep(name, text);
}

/* The response text to body ("" when nothing is sent). New string. */
static char *ask_n(const char *body, size_t len, int details)
{
    vbody_t *out = (vbody_t *)1;
    char *text;

    assert_int_equal(vjsonrpc_answer(body, len, snap, details,
                                     VJSONRPC_MAX_BATCH_BYTES, &out),
                     0);
    if (out == NULL)
        return strdup("");
    text = strndup(out->data, out->len);
    assert_non_null(text);
    vbody_free(out);
    keep(text);
    return text;
}

static char *ask(const char *body, int details)
{
    return ask_n(body, strlen(body), details);
}

#define EXPECT(body, details, want)                                           \
    do {                                                                      \
        char *got_ = ask(body, details);                                      \
        assert_string_equal(got_, want);                                      \
        free(got_);                                                           \
    } while (0)

/* The shape of an error response, to keep expectations short. */
#define ERR(code, msg, data, id)                                              \
    "{\"jsonrpc\":\"2.0\",\"error\":{\"code\":" #code ",\"message\":\"" msg \
    "\",\"data\":\"" data "\"},\"id\":" id "}"

#define RESULT(healthy, id)                                                   \
    "{\"jsonrpc\":\"2.0\",\"result\":{\"checks\":{},\"healthy\":" healthy   \
    "},\"id\":" id "}"

/* Invalid Request for a missing or wrong "jsonrpc". */
#define BAD_VERSION(id)                                                       \
    ERR(-32600, "Invalid Request", "jsonrpc must be exactly \\\"2.0\\\"", id)

#define TIME "\"2020-10-14T14:04:05.000000000Z\""
#define PASSING                                                               \
    "{\"timestamp\":" TIME ",\"duration\":1000,\"contiguousFailures\":0,"     \
    "\"timeOfFirstFailure\":null}"

static void test_health_full(void **state)
{
    (void)state;
    EXPECT("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"health.health\"}", 1,
           "{\"jsonrpc\":\"2.0\",\"result\":{\"checks\":{"
           "\"db\":" PASSING ",\"heartbeat\":" PASSING ",\"app\":" PASSING
           ",\"disk\":{\"message\":{\"freeMegabytes\":0},"
           "\"error\":{\"message\":\"disk full\"},\"timestamp\":" TIME
           ",\"duration\":1000,\"contiguousFailures\":1,"
           "\"timeOfFirstFailure\":" TIME "},"
           "\"cache\":" PASSING ",\"net\":" PASSING "},"
           "\"healthy\":false},\"id\":1}");
    /* Without details, only the verdict. */
    EXPECT("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"health.health\"}", 0,
           RESULT("false", "1"));
}

/* "name name ...|healthy" of the response to method with params (a JSON
 * text or NULL). */
static char *selection(const char *method, const char *params)
{
    char body[512], out[256] = "";
    char *text;
    json_t *resp, *result, *value;
    const char *key;

    snprintf(body, sizeof(body),
             "{\"jsonrpc\":\"2.0\",\"method\":\"%s\",%s%s%s\"id\":7}", method,
             params ? "\"params\":" : "", params ? params : "",
             params ? "," : "");
    text = ask(body, 1);
    resp = json_loads(text, 0, NULL);
    free(text);
    assert_non_null(resp);
    result = json_object_get(resp, "result");
    assert_non_null(result);
    json_object_foreach(json_object_get(result, "checks"), key, value) {
        if (out[0] != '\0')
            strcat(out, " ");
        strcat(out, key);
    }
    strcat(out, json_is_true(json_object_get(result, "healthy")) ? "|true"
                                                                 : "|false");
    json_decref(resp);
    return strdup(out);
}

#define SELECTS(method, params, want)                                         \
    do {                                                                      \
        char *got_ = selection(method, params);                               \
        assert_string_equal(got_, want);                                      \
        free(got_);                                                           \
    } while (0)

/* db [ready], heartbeat [live], app [application], disk [storage],
 * cache [ready storage], net []. */
static void test_selection(void **state)
{
    (void)state;
    SELECTS("health.health", NULL, "db heartbeat app disk cache net|false");
    /* Liveness: the checks tagged live, and nothing else (Kubernetes'
     * rule: liveness must not depend on dependencies). */
    SELECTS("health.liveness", NULL, "heartbeat|true");
    SELECTS("health.readiness", NULL, "db app disk cache net|false");
    /* A tag filter keeps the application's checks, and "healthy" is about
     * the checks shown only. */
    SELECTS("health.health", "{\"tags\":[\"storage\"]}",
            "app disk cache|false");
    SELECTS("health.health", "{\"tags\":[\"nothing\"]}", "app|true");
    SELECTS("health.health", "{\"tags\":[\"live\",\"ready\"]}",
            "db heartbeat app cache|true");
    /* Tags and probe must both hold. */
    SELECTS("health.liveness", "{\"tags\":[\"storage\"]}", "|true");
    SELECTS("health.readiness", "{\"tags\":[\"storage\"]}",
            "app disk cache|false");
    SELECTS("health.liveness", "{\"tags\":[\"ready\"]}", "|true");
    /* No filter at all. */
    SELECTS("health.health", "null", "db heartbeat app disk cache net|false");
    SELECTS("health.health", "{}", "db heartbeat app disk cache net|false");
    SELECTS("health.readiness", "{\"tags\":[]}",
            "db app disk cache net|false");
}

static void test_ids(void **state)
{
    (void)state;
    EXPECT("{\"jsonrpc\":\"2.0\",\"method\":\"health.health\",\"id\":1}", 0,
           RESULT("false", "1"));
    EXPECT("{\"jsonrpc\":\"2.0\",\"method\":\"health.health\",\"id\":\"abc\"}",
           0, RESULT("false", "\"abc\""));
    EXPECT("{\"jsonrpc\":\"2.0\",\"method\":\"health.health\",\"id\":null}",
           0, RESULT("false", "null"));
    EXPECT("{\"jsonrpc\":\"2.0\",\"method\":\"health.health\",\"id\":1.5}", 0,
           RESULT("false", "1.5"));
    /* A real stays a real, an integer an integer. */
    EXPECT("{\"jsonrpc\":\"2.0\",\"method\":\"health.health\",\"id\":2.0}", 0,
           RESULT("false", "2.0"));
    EXPECT("{\"jsonrpc\":\"2.0\",\"method\":\"health.health\","
           "\"id\":-9007199254740993}",
           0, RESULT("false", "-9007199254740993"));
    EXPECT("{\"jsonrpc\":\"2.0\",\"method\":\"health.health\","
           "\"id\":\"\\u00e9\\u0000\\\"\"}",
           0, RESULT("false", "\"\xc3\xa9\\u0000\\\"\""));
    /* The id of an error is echoed too, once it can be read. */
    EXPECT("{\"jsonrpc\":\"2.0\",\"method\":\"nope\",\"id\":\"x-1\"}", 0,
           ERR(-32601, "Method not found",
               "methods are health.health, health.liveness and "
               "health.readiness",
               "\"x-1\""));
}

static void test_parse_error(void **state)
{
    (void)state;
    EXPECT("{\"jsonrpc\":\"2.0\",\"method\":\"health.health\",\"id\":1", 0,
           ERR(-32700, "Parse error",
               "invalid JSON at line 1, column 48: '}' expected near end of "
               "file",
               "null"));
    EXPECT("", 0,
           ERR(-32700, "Parse error",
               "invalid JSON at line 1, column 0: unexpected token near end "
               "of file",
               "null"));
    EXPECT("[{\"jsonrpc\":\"2.0\",\"method\":\"health.health\",\"id\":1},", 0,
           ERR(-32700, "Parse error",
               "invalid JSON at line 1, column 51: ']' expected near end of "
               "file",
               "null"));
    EXPECT("{\"id\":1} x", 0,
           ERR(-32700, "Parse error",
               "invalid JSON at line 1, column 10: end of file expected near "
               "'x'",
               "null"));
    EXPECT("\"\xff\"", 0,
           ERR(-32700, "Parse error",
               "invalid JSON at line 1, column 1: unable to decode byte 0xff "
               "near '\\\"'",
               "null"));
    /* Valid JSON, but not a number jansson can hold. */
    EXPECT("{\"jsonrpc\":\"2.0\",\"method\":\"health.health\","
           "\"id\":99999999999999999999}",
           0,
           ERR(-32700, "Parse error",
               "invalid JSON at line 1, column 67: too big integer near "
               "'99999999999999999999'",
               "null"));
}

static void test_invalid_request(void **state)
{
    (void)state;
    /* Valid JSON that is not a request. */
    EXPECT("1", 0,
           ERR(-32600, "Invalid Request", "a request must be a JSON object",
               "null"));
    EXPECT("\"health.health\"", 0,
           ERR(-32600, "Invalid Request", "a request must be a JSON object",
               "null"));
    EXPECT("null", 0,
           ERR(-32600, "Invalid Request", "a request must be a JSON object",
               "null"));
    EXPECT("{}", 0,
           BAD_VERSION("null"));
    /* The specification's own example. */
    EXPECT("{\"jsonrpc\":\"2.0\",\"method\":1,\"params\":\"bar\"}", 0,
           ERR(-32600, "Invalid Request", "method must be a string", "null"));
    EXPECT("{\"jsonrpc\":\"1.0\",\"method\":\"health.health\",\"id\":3}", 0,
           BAD_VERSION("3"));
    EXPECT("{\"jsonrpc\":2.0,\"method\":\"health.health\",\"id\":3}", 0,
           BAD_VERSION("3"));
    EXPECT("{\"jsonrpc\":\"2.0\",\"id\":3}", 0,
           ERR(-32600, "Invalid Request", "method is missing", "3"));
    EXPECT("{\"jsonrpc\":\"2.0\",\"method\":\"health.health\",\"id\":[1]}", 0,
           ERR(-32600, "Invalid Request",
               "id must be a string, a number or null", "null"));
    EXPECT("{\"jsonrpc\":\"2.0\",\"method\":\"health.health\",\"id\":true}", 0,
           ERR(-32600, "Invalid Request",
               "id must be a string, a number or null", "null"));
    /* params that is no object is the method's to refuse: Invalid params,
     * as the docs say (it was Invalid Request). */
    EXPECT("{\"jsonrpc\":\"2.0\",\"method\":\"health.health\","
           "\"params\":\"x\",\"id\":4}",
           0,
           ERR(-32602, "Invalid params", "params must be an object", "4"));
    EXPECT("{\"jsonrpc\":\"2.0\",\"method\":\"health.health\","
           "\"params\":5,\"id\":4}",
           0,
           ERR(-32602, "Invalid params", "params must be an object", "4"));
}

static void test_method_not_found(void **state)
{
    (void)state;
#define NOT_FOUND(id)                                                         \
    ERR(-32601, "Method not found",                                           \
        "methods are health.health, health.liveness and health.readiness", id)
    EXPECT("{\"jsonrpc\":\"2.0\",\"method\":\"health.Health\",\"id\":1}", 0,
           NOT_FOUND("1"));
    EXPECT("{\"jsonrpc\":\"2.0\",\"method\":\"rpc.discover\",\"id\":1}", 0,
           NOT_FOUND("1"));
    EXPECT("{\"jsonrpc\":\"2.0\",\"method\":\"\",\"id\":1}", 0,
           NOT_FOUND("1"));
    /* A NUL inside does not make a prefix match. */
    EXPECT("{\"jsonrpc\":\"2.0\",\"method\":\"health.health\\u0000x\","
           "\"id\":1}",
           0, NOT_FOUND("1"));
#undef NOT_FOUND
}

static void test_invalid_params(void **state)
{
    char body[2048], *p;

    (void)state;
#define CALL(params)                                                          \
    "{\"jsonrpc\":\"2.0\",\"method\":\"health.liveness\",\"params\":" params \
    ",\"id\":2}"
#define TAGS_BAD ERR(-32602, "Invalid params", \
                     "params.tags must be an array of strings", "2")
    EXPECT(CALL("[]"), 0,
           ERR(-32602, "Invalid params",
               "params must be an object, not an array", "2"));
    EXPECT(CALL("[[\"live\"]]"), 0,
           ERR(-32602, "Invalid params",
               "params must be an object, not an array", "2"));
    EXPECT(CALL("{\"tag\":[\"live\"]}"), 0,
           ERR(-32602, "Invalid params",
               "params may only have the member \\\"tags\\\"", "2"));
    EXPECT(CALL("{\"tags\":[\"live\"],\"x\":1}"), 0,
           ERR(-32602, "Invalid params",
               "params may only have the member \\\"tags\\\"", "2"));
    /* Valid JSON, but jansson cannot hold a NUL in a key. */
    EXPECT(CALL("{\"tags\\u0000x\":[\"live\"]}"), 0,
           ERR(-32700, "Parse error",
               "invalid JSON at line 1, column 67: NUL byte in object key "
               "not supported near '\\\"tags\\\\u0000x\\\"'",
               "null"));
    EXPECT(CALL("{\"tags\":\"live\"}"), 0, TAGS_BAD);
    EXPECT(CALL("{\"tags\":null}"), 0, TAGS_BAD);
    EXPECT(CALL("{\"tags\":{}}"), 0, TAGS_BAD);
    EXPECT(CALL("{\"tags\":[\"live\",1]}"), 0, TAGS_BAD);
    EXPECT(CALL("{\"tags\":[null]}"), 0, TAGS_BAD);
    EXPECT(CALL("{\"tags\":[\"live\\u0000x\"]}"), 0, TAGS_BAD);
    /* 101 tags. */
    p = body + sprintf(body, "{\"jsonrpc\":\"2.0\",\"method\":"
                             "\"health.health\",\"params\":{\"tags\":[");
    for (int i = 0; i < 101; i++)
        p += sprintf(p, "%s\"t%d\"", i ? "," : "", i);
    sprintf(p, "]},\"id\":2}");
    EXPECT(body, 0,
           ERR(-32602, "Invalid params", "params.tags has more than 100 tags",
               "2"));
    /* 100 are fine. */
    strcpy(strstr(body, ",\"t100\""), "]},\"id\":2}");
    EXPECT(body, 0, RESULT("true", "2"));
#undef CALL
#undef TAGS_BAD
}

static void test_notifications(void **state)
{
    (void)state;
    EXPECT("{\"jsonrpc\":\"2.0\",\"method\":\"health.health\"}", 1, "");
    /* Errors a notification would cause are not reported either... */
    EXPECT("{\"jsonrpc\":\"2.0\",\"method\":\"nope\"}", 1, "");
    EXPECT("{\"jsonrpc\":\"2.0\",\"method\":\"health.health\","
           "\"params\":[1]}",
           1, "");
    /* A params that is no object is Invalid params, the method's to say,
     * and a notification hears nothing of it either... */
    EXPECT("{\"jsonrpc\":\"2.0\",\"method\":\"health.health\","
           "\"params\":true}",
           1, "");
    /* ...but something that is not a valid request is not a notification:
     * it is answered, with id null. */
    EXPECT("{\"method\":\"health.health\"}", 1,
           ERR(-32600, "Invalid Request",
               "jsonrpc must be exactly \\\"2.0\\\"", "null"));
}

static void test_batch(void **state)
{
    (void)state;
    /* The specification's mixed batch, with our methods. */
    EXPECT("["
           "{\"jsonrpc\":\"2.0\",\"method\":\"health.health\",\"id\":\"1\"},"
           "{\"jsonrpc\":\"2.0\",\"method\":\"health.liveness\"},"
           "{\"jsonrpc\":\"2.0\",\"method\":\"health.readiness\","
           "\"params\":{\"tags\":[\"ready\"]},\"id\":\"2\"},"
           "{\"foo\":\"boo\"},"
           "{\"jsonrpc\":\"2.0\",\"method\":\"foo.get\",\"id\":\"5\"},"
           "{\"jsonrpc\":\"2.0\",\"method\":\"health.health\","
           "\"params\":{\"tags\":5},\"id\":\"9\"}"
           "]",
           0,
           "[" RESULT("false", "\"1\"") "," RESULT("true", "\"2\"") ","
           BAD_VERSION("null") ","
           ERR(-32601, "Method not found",
               "methods are health.health, health.liveness and "
               "health.readiness",
               "\"5\"") ","
           ERR(-32602, "Invalid params",
               "params.tags must be an array of strings", "\"9\"") "]");
    /* One call is still a batch: the answer is an array. */
    EXPECT("[{\"jsonrpc\":\"2.0\",\"method\":\"health.health\",\"id\":1}]", 0,
           "[" RESULT("false", "1") "]");
    /* Only notifications: nothing at all. */
    EXPECT("[{\"jsonrpc\":\"2.0\",\"method\":\"health.health\"},"
           "{\"jsonrpc\":\"2.0\",\"method\":\"nope\"}]",
           0, "");
    /* Empty: one error, not an array. */
    EXPECT("[]", 0,
           ERR(-32600, "Invalid Request", "empty batch", "null"));
    EXPECT(" [ ] ", 0,
           ERR(-32600, "Invalid Request", "empty batch", "null"));
    /* Invalid elements: one error each. */
    EXPECT("[1,2]", 0,
           "[" ERR(-32600, "Invalid Request",
                   "a request must be a JSON object", "null") ","
           ERR(-32600, "Invalid Request", "a request must be a JSON object",
               "null") "]");
    EXPECT("[[]]", 0,
           "[" ERR(-32600, "Invalid Request",
                   "a request must be a JSON object", "null") "]");
}

static void test_batch_limit(void **state)
{
    const char *call =
        "{\"jsonrpc\":\"2.0\",\"method\":\"health.health\",\"id\":1}";
    size_t len = strlen(call);
    char *body = malloc(101 * (len + 1) + 2), *text;
    json_t *resp;

    (void)state;
    assert_non_null(body);
    body[0] = '[';
    for (int i = 0; i < 101; i++) {
        memcpy(body + 1 + i * (len + 1), call, len);
        body[1 + i * (len + 1) + len] = ',';
    }
    /* 101 calls: refused whole. */
    body[101 * (len + 1)] = ']';
    text = ask_n(body, 101 * (len + 1) + 1, 0);
    assert_string_equal(text, ERR(-32600, "Invalid Request",
                                  "batch too large (max 100)", "null"));
    free(text);
    /* 100: answered. */
    body[100 * (len + 1)] = ']';
    text = ask_n(body, 100 * (len + 1) + 1, 0);
    resp = json_loads(text, 0, NULL);
    assert_true(json_is_array(resp));
    assert_int_equal(json_array_size(resp), 100);
    json_decref(resp);
    free(text);
    free(body);
}

/* The answer to body with a cap on a batch's results (new string). */
static char *ask_capped(const char *body, size_t cap)
{
    vbody_t *out = NULL;
    char *text;

    assert_int_equal(vjsonrpc_answer(body, strlen(body), snap, 0, cap, &out),
                     0);
    assert_non_null(out);
    text = strndup(out->data, out->len);
    vbody_free(out);
    return text;
}

#define CALL_T(tag, id)                                                       \
    "{\"jsonrpc\":\"2.0\",\"method\":\"health.health\",\"params\":{\"tags\":" \
    "[\"" tag "\"]},\"id\":" id "}"
static void test_batch_caps(void **state)
{
    const char *one = RESULT("true", "1");
    size_t result_len = strlen("{\"checks\":{},\"healthy\":true}");
    char cap[32], *text, *want;
    int nvariants;

    (void)state;
    /* Results are cached in the snapshot: asking twice renders once. */
    nvariants = atomic_load(&snap->nvariants);
    EXPECT(CALL_T("cached", "1"), 0, one);
    EXPECT(CALL_T("cached", "1"), 0, one);
    EXPECT("[" CALL_T("cached", "1") "," CALL_T("cached", "1") "]", 0,
           "[" RESULT("true", "1") "," RESULT("true", "1") "]");
    assert_int_equal(atomic_load(&snap->nvariants), nvariants + 1);

    /* Room for two results: the third call of the batch is refused, and
     * only it. */
    snprintf(cap, sizeof(cap), "%zu", 2 * result_len);
    text = ask_capped("[" CALL_T("cached", "1") "," CALL_T("cached", "2") ","
                      CALL_T("cached", "3") "]",
                      2 * result_len);
    assert_true(asprintf(&want,
                         "[" RESULT("true", "1") "," RESULT("true", "2") ","
                         "{\"jsonrpc\":\"2.0\",\"error\":{\"code\":-32000,"
                         "\"message\":\"Server error\",\"data\":\"the batch's "
                         "results would pass %s bytes: send this call in "
                         "another batch\"},\"id\":3}]",
                         cap) > 0);
    assert_string_equal(text, want);
    free(want);
    free(text);
    /* A single call is no batch: no cap. */
    text = ask_capped(CALL_T("cached", "1"), 1);
    assert_string_equal(text, one);
    free(text);

    /* At most 8 results rendered anew per batch; cached ones are free. */
    text = ask(("[" CALL_T("r1", "1") "," CALL_T("r2", "2") ","
                CALL_T("r3", "3") "," CALL_T("r4", "4") ","
                CALL_T("r5", "5") "," CALL_T("r6", "6") ","
                CALL_T("r7", "7") "," CALL_T("r8", "8") ","
                CALL_T("r9", "9") "," CALL_T("cached", "10") "]"),
               0);
    assert_non_null(strstr(text, RESULT("true", "8")));
    assert_non_null(strstr(text,
                           ERR(-32000, "Server error",
                               "the batch asks for more than 8 different "
                               "results: send this call in another batch",
                               "9")));
    assert_non_null(strstr(text, RESULT("true", "10")));
    free(text);
}

/* jansson's allocator failing at the n-th call only. */
static int alloc_calls, fail_at;
static void *failing_malloc(size_t size)
{
    return ++alloc_calls == fail_at ? NULL : malloc(size);
}

static void test_out_of_memory(void **state)
{
    const char *body =
        "[{\"jsonrpc\":\"2.0\",\"method\":\"health.health\","
        "\"params\":{\"tags\":[\"oom\"]},\"id\":1},"
        "{\"jsonrpc\":\"2.0\",\"method\":\"nope\",\"id\":2}]";
    int internal = 0, enomem = 0;

    (void)state;
    /* (A tag no other test asks for: results are cached in the shared
     * snapshot, and this one must be rendered here.) Fail each allocation
     * in turn until a run needs no failure: every
     * path must either answer (maybe with -32603 for the call whose result
     * could not be built) or return VITALS_ENOMEM, and never leak. */
    json_set_alloc_funcs(failing_malloc, free);
    for (fail_at = 1;; fail_at++) {
        vbody_t *out = NULL;
        int rc;

        alloc_calls = 0;
        rc = vjsonrpc_answer(body, strlen(body), snap, 1,
                             VJSONRPC_MAX_BATCH_BYTES, &out);
        if (rc == VITALS_ENOMEM) {
            assert_null(out);
            enomem++;
            continue;
        }
        assert_int_equal(rc, 0);
        assert_non_null(out);
        if (memmem(out->data, out->len, "-32603", 6) != NULL) {
            /* The other call of the batch is still answered. */
            assert_non_null(memmem(out->data, out->len, "-32601", 6));
            internal++;
        }
        vbody_free(out);
        if (alloc_calls < fail_at)
            break;
    }
    json_set_alloc_funcs(malloc, free);
    assert_true(internal > 0);
    assert_true(enomem > 0);
    /* And the answer, when memory suffices. */
    EXPECT("{\"jsonrpc\":\"2.0\",\"method\":\"health.health\",\"id\":1}", 0,
           RESULT("false", "1"));
}

static void test_arguments(void **state)
{
    vbody_t *out = (vbody_t *)1;

    (void)state;
    assert_int_equal(vjsonrpc_answer("{}", 2, snap, 1, 0, NULL), VITALS_EINVAL);
    assert_int_equal(vjsonrpc_answer("{}", 2, NULL, 1, 0, &out), VITALS_EINVAL);
    assert_null(out);
    assert_int_equal(vjsonrpc_answer(NULL, 1, snap, 1, 0, &out), VITALS_EINVAL);
    /* An empty body, even without a buffer, is a parse error. */
    assert_int_equal(vjsonrpc_answer(NULL, 0, snap, 1, 0, &out), 0);
    assert_non_null(out);
    assert_non_null(strstr(out->data, "-32700"));
    vbody_free(out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_health_full),
        cmocka_unit_test(test_selection),
        cmocka_unit_test(test_ids),
        cmocka_unit_test(test_parse_error),
        cmocka_unit_test(test_invalid_request),
        cmocka_unit_test(test_method_not_found),
        cmocka_unit_test(test_invalid_params),
        cmocka_unit_test(test_notifications),
        cmocka_unit_test(test_batch),
        cmocka_unit_test(test_batch_limit),
        cmocka_unit_test(test_batch_caps),
        cmocka_unit_test(test_out_of_memory),
        cmocka_unit_test(test_arguments),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
