/* test_formats.c - every endpoint over real HTTP, as its clients see it:
 * exact fields, types, status codes and headers, each body validated
 * against its schema in docs/schemas. Recreates seed 001's example (a group
 * of three TCP printers, one unreachable, and a degraded disk) and seed
 * 002's (a failing check with contiguousFailures and timeOfFirstFailure). */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"

static int printer1, printer2, fd1, fd2, dead;

static const char *str(json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);

    if (!json_is_string(v))
        fail_msg("\"%s\" is not a string", key);
    return json_string_value(v);
}

static void header_is(const vresp_t *r, const char *name, const char *want)
{
    char *h = vresp_header(r, name);

    if (h == NULL)
        fail_msg("no %s header", name);
    assert_string_equal(h, want);
    free(h);
}

/* Waits until every check has run twice (the group's members too). */
static int settled(json_t *j, void *arg)
{
    const char *key;
    json_t *c;

    (void)arg;
    json_object_foreach(json_object_get(j, "checks"), key, c) {
        json_t *e = json_object_get(c, "error");
        if (json_is_object(e) &&
            strcmp(str(e, "message"), "not yet run") == 0)
            return 0;
        if (strcmp(key, "C") == 0 &&
            json_integer_value(json_object_get(c, "contiguousFailures")) < 2)
            return 0;
    }
    return json_object_size(json_object_get(j, "checks")) > 0;
}

static vd_t *start_seed_daemon(const char *extra)
{
    vd_t *d = vd_start(
        "service: {id: portos, description: \"POS API\", version: \"4\"}\n"
        "listen: [\"127.0.0.1:0\"]\n"
        "access_log: true\n"
        "%s"
        "checks:\n"
        "  diskstorage: {type: disk, path: /, degraded_below: 1000TB, tags: "
        "[live]}\n"
        "  fiscalPrinters:\n"
        "    type: group\n"
        "    tags: [ready]\n"
        "    checks:\n"
        "      Fiscal2: {type: tcp, address: \"127.0.0.1:%d\"}\n"
        "      eKasa: {type: tcp, address: \"127.0.0.1:%d\"}\n"
        "      Virtual: {type: tcp, address: \"127.0.0.1:%d\"}\n"
        "  C: {type: tcp, address: \"127.0.0.1:%d\", interval: 100ms, tags: "
        "[chain, ready]}\n"
        "  X: {type: disk, path: /, degraded_below: 1B, tags: "
        "[application]}\n",
        extra, printer1, printer2, dead, dead);
    json_decref(vd_poll(d, "/ext/health", settled, NULL, 5000));
    return d;
}

static int setup(void **state)
{
    (void)state;
    fd1 = listen_any(&printer1);
    fd2 = listen_any(&printer2);
    dead = closed_port();
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    close(fd1);
    close(fd2);
    return 0;
}

/* Seed 001: /api/v2/health. */
static void test_report(void **state)
{
    vd_t *d = start_seed_daemon("");
    vresp_t r = vd_get(d, "/api/v2/health");
    json_t *j, *disk, *fp, *members, *m;
    char want[256];

    (void)state;
    assert_int_equal(r.status, 200); /* seed 001: always 200 */
    header_is(&r, "Content-Type", "application/json");
    header_is(&r, "Cache-Control", "no-store");
    assert_schema("report.json", r.body);
    j = vresp_json(&r);
    assert_string_equal(str(j, "status"), "Unhealthy");
    assert_non_null(strchr(str(j, "totalDuration"), ':'));

    disk = json_object_get(json_object_get(j, "entries"), "diskstorage");
    assert_string_equal(str(disk, "status"), "Degraded");
    snprintf(want, sizeof(want),
             "Minimum configured megabytes for / is 1000000000 but actual "
             "free space is %lld megabytes",
             (long long)json_integer_value(json_object_get(
                 json_object_get(disk, "data"), "freeMegabytes")));
    assert_string_equal(str(disk, "description"), want);
    assert_null(json_object_get(disk, "exception"));

    fp = json_object_get(json_object_get(j, "entries"), "fiscalPrinters");
    assert_string_equal(str(fp, "status"), "Unhealthy");
    members = json_object_get(json_object_get(fp, "data"), "entries");
    assert_int_equal(json_array_size(members), 3);
    m = json_array_get(members, 0);
    assert_string_equal(str(m, "key"), "Fiscal2");
    assert_string_equal(str(json_object_get(m, "result"), "status"),
                        "Healthy");
    assert_null(json_object_get(json_object_get(m, "result"), "duration"));
    m = json_array_get(members, 2);
    assert_string_equal(str(m, "key"), "Virtual");
    assert_string_equal(str(json_object_get(m, "result"), "status"),
                        "Unhealthy");
    snprintf(want, sizeof(want),
             "cannot connect to 127.0.0.1:%d: Connection refused", dead);
    assert_string_equal(str(json_object_get(json_object_get(m, "result"),
                                            "exception"),
                            "message"),
                        want);
    assert_true(json_real_value(json_object_get(json_object_get(fp, "data"),
                                                "percentConnected")) > 0.66);
    json_decref(j);
    vresp_free(&r);

    /* ?tag= keeps only those checks; the status is theirs. */
    r = vd_get(d, "/api/v2/health?tag=live");
    j = vresp_json(&r);
    assert_string_equal(str(j, "status"), "Degraded");
    assert_int_equal(json_object_size(json_object_get(j, "entries")), 1);
    json_decref(j);
    vresp_free(&r);
    assert_int_equal(vd_stop(d), 0);

    /* status_codes maps a status to another code. */
    d = start_seed_daemon("endpoints:\n  report: {status_codes: "
                          "{Unhealthy: 503}}\n");
    r = vd_get(d, "/api/v2/health");
    assert_int_equal(r.status, 503);
    vresp_free(&r);
    assert_int_equal(vd_stop(d), 0);
}

/* Seed 002: GET /ext/health and JSON-RPC. */
static void test_avalanche_and_jsonrpc(void **state)
{
    vd_t *d = start_seed_daemon("");
    vresp_t r = vd_get(d, "/ext/health");
    json_t *j, *c;
    const char *ct[] = {"Content-Type: application/json", NULL};

    (void)state;
    assert_int_equal(r.status, 503);
    header_is(&r, "Content-Type", "application/json");
    assert_schema("avalanche.json", r.body);
    j = vresp_json(&r);
    assert_false(json_is_true(json_object_get(j, "healthy")));
    c = json_object_get(json_object_get(j, "checks"), "C");
    assert_true(json_integer_value(json_object_get(c, "contiguousFailures")) >=
                2);
    assert_true(json_is_string(json_object_get(c, "timeOfFirstFailure")));
    assert_true(json_is_integer(json_object_get(c, "duration")));
    assert_true(json_is_object(json_object_get(c, "error")));
    c = json_object_get(json_object_get(j, "checks"), "X");
    assert_null(json_object_get(c, "error"));
    assert_true(json_is_null(json_object_get(c, "timeOfFirstFailure")));
    assert_int_equal(json_integer_value(json_object_get(c, "contiguousFailures")), 0);
    json_decref(j);
    vresp_free(&r);

    /* ?tag=: those checks plus every "application" check. */
    r = vd_get(d, "/ext/health?tag=live");
    j = vresp_json(&r);
    assert_int_equal(r.status, 200);
    assert_int_equal(json_object_size(json_object_get(j, "checks")), 2);
    assert_non_null(json_object_get(json_object_get(j, "checks"), "X"));
    json_decref(j);
    vresp_free(&r);

    /* liveness: live-tagged and untagged-by-probe checks. */
    r = vd_get(d, "/ext/health/liveness");
    j = vresp_json(&r);
    assert_null(json_object_get(json_object_get(j, "checks"),
                                "fiscalPrinters"));
    assert_non_null(json_object_get(json_object_get(j, "checks"),
                                    "diskstorage"));
    json_decref(j);
    vresp_free(&r);

    r = vd_request(d, "POST", "/ext/health",
                   "{\"jsonrpc\":\"2.0\",\"id\":\"a1\",\"method\":"
                   "\"health.readiness\",\"params\":{\"tags\":[\"ready\"]}}",
                   ct);
    assert_int_equal(r.status, 200);
    assert_schema("jsonrpc.json", r.body);
    j = vresp_json(&r);
    assert_string_equal(str(j, "jsonrpc"), "2.0");
    assert_string_equal(str(j, "id"), "a1");
    json_t *res = json_object_get(j, "result");
    assert_false(json_is_true(json_object_get(res, "healthy")));
    /* ready-tagged plus application-tagged. */
    assert_int_equal(json_object_size(json_object_get(res, "checks")), 3);
    char *text = json_dumps(res, 0);
    assert_schema("avalanche.json", text);
    free(text);
    json_decref(j);
    vresp_free(&r);

    r = vd_request(d, "POST", "/ext/health", "{not json", ct);
    assert_int_equal(r.status, 200);
    j = vresp_json(&r);
    assert_int_equal(json_integer_value(json_object_get(
                         json_object_get(j, "error"), "code")),
                     -32700);
    assert_true(json_is_null(json_object_get(j, "id")));
    json_decref(j);
    vresp_free(&r);

    r = vd_request(d, "POST", "/ext/health",
                   "[{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"nope\"},"
                   "{\"jsonrpc\":\"2.0\",\"method\":\"health.health\"}]",
                   ct);
    j = vresp_json(&r);
    assert_schema("jsonrpc.json", r.body);
    assert_int_equal(json_array_size(j), 1);
    assert_int_equal(json_integer_value(json_object_get(
                         json_object_get(json_array_get(j, 0), "error"),
                         "code")),
                     -32601);
    assert_int_equal(json_integer_value(json_object_get(json_array_get(j, 0),
                                                        "id")),
                     7);
    json_decref(j);
    vresp_free(&r);

    /* Only notifications: nothing to answer. */
    r = vd_request(d, "POST", "/ext/health",
                   "{\"jsonrpc\":\"2.0\",\"method\":\"health.health\"}", ct);
    assert_int_equal(r.status, 204);
    assert_int_equal(r.len, 0);
    vresp_free(&r);

    /* A batch asking for a 9th different result: that call gets -32000
     * "Server error", in the shape the schema publishes. */
    char batch[2048];
    size_t used = 0;

    for (int i = 0; i < 9; i++)
        used += (size_t)snprintf(batch + used, sizeof(batch) - used,
                                 "%s{\"jsonrpc\":\"2.0\",\"id\":%d,"
                                 "\"method\":\"health.health\","
                                 "\"params\":{\"tags\":[\"t%d\"]}}",
                                 i == 0 ? "[" : ",", i, i);
    snprintf(batch + used, sizeof(batch) - used, "]");
    r = vd_request(d, "POST", "/ext/health", batch, ct);
    assert_int_equal(r.status, 200);
    assert_schema("jsonrpc.json", r.body);
    j = vresp_json(&r);
    assert_int_equal(json_array_size(j), 9);
    assert_int_equal(json_integer_value(json_object_get(
                         json_object_get(json_array_get(j, 8), "error"),
                         "code")),
                     -32000);
    assert_string_equal(str(json_object_get(json_array_get(j, 8), "error"),
                            "message"),
                        "Server error");
    json_decref(j);
    vresp_free(&r);
    assert_int_equal(vd_stop(d), 0);
}

/* Seed 000: mosparo, behind the allow list. */
static void test_mosparo(void **state)
{
    vd_t *d;
    vresp_t r;
    json_t *j;

    (void)state;
    unsetenv("MOSPARO_HEALTH_ALLOW_LIST");
    d = start_seed_daemon("endpoints:\n  mosparo: {database_check: "
                          "fiscalPrinters}\n");
    r = vd_get(d, "/api/v1/health/check");
    assert_int_equal(r.status, 500);
    assert_schema("mosparo.json", r.body);
    j = vresp_json(&r);
    assert_string_equal(str(j, "service"), "portos");
    assert_false(json_is_true(json_object_get(j, "healthy")));
    assert_string_equal(str(j, "databaseStatus"), "connection-failed");
    assert_true(json_is_string(json_object_get(j, "error")));
    assert_int_equal(json_integer_value(json_object_get(j, "statusCode")),
                     500);
    json_decref(j);
    vresp_free(&r);
    assert_int_equal(vd_stop(d), 0);

    /* Not on the list: 403 with the seed 003 error body. */
    d = start_seed_daemon("access: {health_allow_list: \"10.0.0.0/8, "
                          "192.168.1.7\"}\n");
    r = vd_get(d, "/api/v1/health/check");
    assert_int_equal(r.status, 403);
    j = vresp_json(&r);
    assert_string_equal(
        str(json_array_get(json_object_get(j, "errors"), 0), "code"),
        "FORBIDDEN");
    json_decref(j);
    vresp_free(&r);
    assert_int_equal(vd_stop(d), 0);

    /* The environment variable wins, as in mosparo; ::ffff:127.0.0.1 and
     * 127.0.0.1 are the same client. */
    setenv("MOSPARO_HEALTH_ALLOW_LIST", "10.0.0.1,\n127.0.0.0/8", 1);
    d = start_seed_daemon("access: {health_allow_list: \"10.0.0.0/8\"}\n");
    r = vd_get(d, "/api/v1/health/check");
    assert_int_equal(r.status, 500);
    vresp_free(&r);
    assert_int_equal(vd_stop(d), 0);
    unsetenv("MOSPARO_HEALTH_ALLOW_LIST");
}

static void test_kubernetes(void **state)
{
    vd_t *d = start_seed_daemon("");
    vresp_t r;

    (void)state;
    r = vd_get(d, "/livez");
    assert_int_equal(r.status, 200);
    header_is(&r, "Content-Type", "text/plain");
    assert_string_equal(r.body, "ok");
    vresp_free(&r);

    r = vd_get(d, "/readyz?verbose");
    assert_int_equal(r.status, 500);
    assert_non_null(strstr(r.body, "[+]X ok\n"));
    assert_non_null(strstr(r.body, "[-]fiscalPrinters failed: "));
    assert_non_null(strstr(r.body, "readyz check failed\n"));
    assert_null(strstr(r.body, "diskstorage")); /* a live-only check */
    vresp_free(&r);

    /* As the Kubernetes apiserver: excluded checks listed and passing,
     * unknown names one warning line, the verdict unchanged by them. */
    r = vd_get(d, "/readyz?exclude=fiscalPrinters&exclude=C&exclude=nope"
                  "&verbose");
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.body, "[+]fiscalPrinters excluded: ok\n"));
    assert_non_null(strstr(r.body, "[+]C excluded: ok\n"));
    assert_non_null(strstr(r.body, "warn: some health checks cannot be "
                                   "excluded: no matches for \"nope\"\n"
                                   "readyz check passed\n"));
    vresp_free(&r);

    /* A check outside the view is not found there. */
    r = vd_get(d, "/livez/C");
    assert_int_equal(r.status, 404);
    vresp_free(&r);
    r = vd_get(d, "/readyz/C");
    assert_int_equal(r.status, 500);
    vresp_free(&r);
    r = vd_get(d, "/startupz");
    assert_int_equal(r.status, 200);
    assert_string_equal(r.body, "ok");
    vresp_free(&r);
    r = vd_get(d, "/livez/nope");
    assert_int_equal(r.status, 404);
    vresp_free(&r);
    assert_int_equal(vd_stop(d), 0);
}

/* GET /health/status: one word for shell scripts. */
static void test_status_word(void **state)
{
    vd_t *d = start_seed_daemon("");
    vd_t *ok;
    vresp_t r;

    (void)state;
    r = vd_get(d, "/health/status");
    assert_int_equal(r.status, 503);
    header_is(&r, "Content-Type", "text/plain");
    assert_string_equal(r.body, "fail\n");
    vresp_free(&r);
    r = vd_request(d, "POST", "/health/status", "{}", NULL);
    assert_int_equal(r.status, 405);
    vresp_free(&r);
    assert_int_equal(vd_stop(d), 0);

    ok = vd_start("listen: [\"127.0.0.1:0\"]\n"
                  "checks:\n"
                  "  d: {type: disk, path: /, degraded_below: 1000TB}\n");
    json_decref(vd_poll(ok, "/ext/health", settled, NULL, 5000));
    r = vd_get(ok, "/health/status");
    assert_int_equal(r.status, 200);
    assert_string_equal(r.body, "warn\n");
    vresp_free(&r);
    assert_int_equal(vd_stop(ok), 0);
}

static void test_one_check(void **state)
{
    vd_t *d = start_seed_daemon("");
    vresp_t r;
    json_t *j;

    (void)state;
    r = vd_get(d, "/health/X");
    assert_int_equal(r.status, 200);
    header_is(&r, "Content-Type", "application/health+json");
    assert_schema("ietf.json", r.body);
    j = vresp_json(&r);
    assert_string_equal(str(j, "status"), "pass");
    assert_int_equal(json_object_size(json_object_get(j, "checks")), 1);
    json_decref(j);
    vresp_free(&r);

    r = vd_get(d, "/health/fiscalPrinters");
    assert_int_equal(r.status, 503);
    assert_schema("ietf.json", r.body);
    j = vresp_json(&r);
    /* A group: one object per member, each its own componentId. */
    json_t *arr = json_object_get(json_object_get(j, "checks"),
                                  "fiscalPrinters");
    assert_int_equal(json_array_size(arr), 3);
    assert_string_equal(str(json_array_get(arr, 2), "componentId"),
                        "Virtual");
    json_decref(j);
    vresp_free(&r);

    r = vd_get(d, "/health/nope");
    assert_int_equal(r.status, 404);
    j = vresp_json(&r);
    assert_string_equal(
        str(json_array_get(json_object_get(j, "errors"), 0), "code"),
        "NOT_FOUND");
    json_decref(j);
    vresp_free(&r);

    r = vd_get(d, "/health");
    assert_schema("ietf.json", r.body);
    vresp_free(&r);
    assert_int_equal(vd_stop(d), 0);
}

static void expect_error(vd_t *d, const char *path, const char *const *hdrs,
                         long status, const char *code,
                         const char *description)
{
    vresp_t r = vd_request(d, NULL, path, NULL, hdrs);
    json_t *j, *e;

    assert_int_equal(r.status, status);
    header_is(&r, "Content-Type", "application/json");
    j = vresp_json(&r);
    e = json_array_get(json_object_get(j, "errors"), 0);
    assert_string_equal(str(e, "code"), code);
    assert_string_equal(str(e, "description"), description);
    assert_non_null(json_object_get(e, "level"));
    assert_non_null(json_object_get(e, "message"));
    json_decref(j);
    vresp_free(&r);
}

static void test_request_rules(void **state)
{
    vd_t *d = start_seed_daemon("");
    char *longpath = malloc(3000);
    vresp_t r;

    (void)state;
    const char *html[] = {"Accept: text/html", NULL};
    expect_error(d, "/health", html, 406, "NOT_ACCEPTABLE",
                 "The Accept header excludes what this endpoint produces");
    const char *ok[] = {"Accept: text/html, application/*;q=0.5", NULL};
    r = vd_request(d, NULL, "/health", NULL, ok);
    assert_int_equal(r.status, 503);
    vresp_free(&r);
    const char *q0[] = {"Accept: application/json;q=0", NULL};
    expect_error(d, "/health", q0, 406, "NOT_ACCEPTABLE",
                 "The Accept header excludes what this endpoint produces");

    strcpy(longpath, "/health?x=");
    memset(longpath + 10, 'a', 2100);
    longpath[2110] = '\0';
    expect_error(d, longpath, NULL, 414, "URI_TOO_LONG",
                 "The request URI is longer than 2048 bytes");

    const char *bad[] = {"x-b3-traceid: abc-def", NULL};
    expect_error(d, "/health", bad, 400, "BAD_REQUEST",
                 "Invalid header x-b3-traceid: at most 32 characters of "
                 "[a-zA-Z0-9_]");
    const char *badsampled[] = {"x-b3-sampled: yes", NULL};
    expect_error(d, "/livez", badsampled, 400, "BAD_REQUEST",
                 "Invalid header x-b3-sampled: use 0, 1 or d");

    const char *trace[] = {
        "x-b3-traceid: 80f198ee56343ba864fe8b2a57d3eff7",
        "x-b3-spanid: e457b5a2e4d86bd1", "x-b3-sampled: 1",
        "traceparent: 00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
        NULL};
    r = vd_request(d, NULL, "/livez", NULL, trace);
    assert_int_equal(r.status, 200);
    header_is(&r, "x-b3-traceid", "80f198ee56343ba864fe8b2a57d3eff7");
    header_is(&r, "x-b3-spanid", "e457b5a2e4d86bd1");
    header_is(&r, "x-b3-sampled", "1");
    header_is(&r, "traceparent",
              "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");
    vresp_free(&r);
    assert_true(vd_log_wait(d, "access: GET /livez 200 2B", 2000));
    assert_true(vd_log_wait(
        d, "x-b3-traceid=80f198ee56343ba864fe8b2a57d3eff7 "
           "x-b3-spanid=e457b5a2e4d86bd1 x-b3-sampled=1 "
           "traceparent=00-0af7651916cd43dd8448eb211c80319c-"
           "b7ad6b7169203331-01",
        2000));

    /* An invalid traceparent is ignored (W3C), not refused, not echoed. */
    const char *badtp[] = {"traceparent: 00-xyz", NULL};
    r = vd_request(d, NULL, "/livez", NULL, badtp);
    assert_int_equal(r.status, 200);
    assert_null(vresp_header(&r, "traceparent"));
    vresp_free(&r);

    /* A body over 1 MiB. */
    char *huge = malloc((1 << 20) + 2);
    memset(huge, 'x', (1 << 20) + 1);
    huge[(1 << 20) + 1] = '\0';
    const char *ct[] = {"Content-Type: application/json", NULL};
    r = vd_request(d, "POST", "/ext/health", huge, ct);
    assert_int_equal(r.status, 413);
    json_t *j413 = vresp_json(&r);
    assert_string_equal(
        json_string_value(json_object_get(
            json_array_get(json_object_get(j413, "errors"), 0), "code")),
        "PAYLOAD_TOO_LARGE");
    json_decref(j413);
    vresp_free(&r);
    free(huge);

    r = vd_request(d, "PUT", "/api/v2/health", "{}", NULL);
    assert_int_equal(r.status, 405);
    header_is(&r, "Allow", "GET, HEAD");
    vresp_free(&r);
    free(longpath);
    assert_int_equal(vd_stop(d), 0);
}

static void test_etag(void **state)
{
    vd_t *d = vd_start("listen: [\"127.0.0.1:0\"]\n"
                       "checks:\n  d: {type: disk, path: /, interval: "
                       "1h}\n");
    vresp_t r;
    char *etag, hdr[128];

    (void)state;
    json_decref(vd_poll(d, "/ext/health", settled, NULL, 5000));
    r = vd_get(d, "/health");
    etag = vresp_header(&r, "ETag");
    assert_non_null(etag);
    assert_int_equal(etag[0], '"');
    vresp_free(&r);
    snprintf(hdr, sizeof(hdr), "If-None-Match: %s", etag);
    const char *h[] = {hdr, NULL};
    r = vd_request(d, NULL, "/health", NULL, h);
    assert_int_equal(r.status, 304);
    assert_int_equal(r.len, 0);
    header_is(&r, "ETag", etag);
    vresp_free(&r);
    const char *other[] = {"If-None-Match: \"nope\"", NULL};
    r = vd_request(d, NULL, "/health", NULL, other);
    assert_int_equal(r.status, 200);
    vresp_free(&r);
    free(etag);
    assert_int_equal(vd_stop(d), 0);
}

/* GET path until the answer is 200 and a conditional GET with its ETag
 * gets 304 (a heartbeat's new snapshot between the two makes it retry):
 * the 304 carries the same ETag and Cache-Control, and no body. */
static void expect_304(vd_t *d, const char *path, const char *cache)
{
    for (int tries = 0;; tries++) {
        vresp_t r = vd_get(d, path);
        char *etag = vresp_header(&r, "ETag"), hdr[160];

        if (etag == NULL)
            fail_msg("%s: no ETag", path);
        vresp_free(&r);
        snprintf(hdr, sizeof(hdr), "If-None-Match: %s", etag);
        const char *h[] = {hdr, NULL};
        r = vd_request(d, NULL, path, NULL, h);
        if (r.status == 304) {
            assert_int_equal(r.len, 0);
            header_is(&r, "ETag", etag);
            header_is(&r, "Cache-Control", cache);
            free(etag);
            vresp_free(&r);
            return;
        }
        if (tries == 2)
            fail_msg("%s with If-None-Match: %s: %ld", path, etag, r.status);
        free(etag);
        vresp_free(&r);
    }
}

/* What docs/endpoints.md promises of the endpoints added with the page,
 * the badges, the history and the metrics: the Content-Type, the
 * Cache-Control (no-store but for the badges), an ETag that a 304
 * honours, and 405 with Allow for a method they do not take. */
static void test_promised_headers(void **state)
{
    static const struct {
        const char *path, *type, *cache;
        int etag; /* 0: the body is rendered per request (metrics) */
    } eps[] = {
        {"/health/status", "text/plain", "no-store", 1},
        {"/startupz", "text/plain", "no-store", 1},
        {"/history", "application/json", "no-store", 1},
        {"/history?check=d&limit=1", "application/json", "no-store", 1},
        {"/", "text/html; charset=utf-8", "no-store", 1},
        {"/?format=json", "application/json", "no-store", 1},
        {"/badge.svg", "image/svg+xml", "max-age=5", 1},
        {"/badge/d.svg", "image/svg+xml", "max-age=5", 1},
        {"/badge/d.svg?uptime=24h", "image/svg+xml", "max-age=5", 1},
        {"/metrics", "text/plain; version=0.0.4; charset=utf-8", "no-store",
         0},
    };
    vd_t *d = vd_start("listen: [\"127.0.0.1:0\"]\n"
                       "history: {store: memory}\n"
                       "checks:\n  d: {type: disk, path: /, interval: "
                       "1h}\n");
    vresp_t r;
    char *v;

    (void)state;
    json_decref(vd_poll(d, "/ext/health", settled, NULL, 5000));
    for (size_t i = 0; i < sizeof(eps) / sizeof(eps[0]); i++) {
        r = vd_get(d, eps[i].path);
        if (r.status != 200)
            fail_msg("%s: %ld %s", eps[i].path, r.status, r.body);
        header_is(&r, "Content-Type", eps[i].type);
        header_is(&r, "Cache-Control", eps[i].cache);
        v = vresp_header(&r, "ETag");
        if ((v != NULL) != eps[i].etag)
            fail_msg("%s: ETag %s", eps[i].path, v ? v : "missing");
        free(v);
        vresp_free(&r);
        if (eps[i].etag)
            expect_304(d, eps[i].path, eps[i].cache);
        r = vd_request(d, "POST", eps[i].path, "{}", NULL);
        assert_int_equal(r.status, 405);
        header_is(&r, "Allow", "GET, HEAD");
        vresp_free(&r);
    }
    /* The page's JSON is not sniffed as anything else either. */
    r = vd_get(d, "/?format=json");
    header_is(&r, "X-Content-Type-Options", "nosniff");
    vresp_free(&r);
    r = vd_get(d, "/");
    header_is(&r, "X-Content-Type-Options", "nosniff");
    vresp_free(&r);
    assert_int_equal(vd_stop(d), 0);
}

/* A caller who may not see details: the history is a 403, a check's
 * badge a 403 whether the check exists or not, and /metrics only the
 * cached aggregate, with the snapshot's ETag. */
static void test_without_details(void **state)
{
    vd_t *d = vd_start("listen: [\"127.0.0.1:0\"]\n"
                       "access: {details: never}\n"
                       "history: {store: memory}\n"
                       "checks:\n  d: {type: disk, path: /, interval: "
                       "1h}\n");
    static const char *const forbidden[] = {
        "/history", "/history?check=d", "/history?check=nope",
        "/badge/d.svg", "/badge/nope.svg", "/badge/d.svg?uptime=24h"};
    vresp_t r;

    (void)state;
    json_decref(vd_poll(d, "/ext/health", settled, NULL, 5000));
    for (size_t i = 0; i < sizeof(forbidden) / sizeof(forbidden[0]); i++) {
        r = vd_get(d, forbidden[i]);
        if (r.status != 403)
            fail_msg("%s: %ld, want 403", forbidden[i], r.status);
        assert_null(strstr(r.body, "\"d\""));
        vresp_free(&r);
    }
    expect_304(d, "/metrics", "no-store");
    assert_int_equal(vd_stop(d), 0);
}

/* The history's and the badges' bad queries: each a 400 naming what is
 * wrong. */
static void test_bad_queries(void **state)
{
    static const struct {
        const char *path, *says;
    } cases[] = {
        {"/history?check=d&check=d", "Give 'check' at most once"},
        {"/history?since=a&since=b", "Give 'since' at most once"},
        {"/history?limit=10001", "'limit' must be a number from 1 to 10000"},
        {"/history?limit=5x", "'limit' must be a number from 1 to 10000"},
        {"/history?since=2025-01-31", "'since' must be an RFC 3339 time"},
        {"/badge/d.svg?uptime=24h&duration", "Give one of uptime and "
                                             "duration, once"},
        {"/badge/d.svg?uptime=24h&uptime=7d", "Give one of uptime and "
                                              "duration, once"},
        {"/badge/d.svg?duration=1y", "The window must be 24h, 7d or 30d"},
        {"/badge.svg?duration", "uptime and duration are per check"},
    };
    vd_t *d = vd_start("listen: [\"127.0.0.1:0\"]\n"
                       "history: {store: memory}\n"
                       "checks:\n  d: {type: disk, path: /, interval: "
                       "1h}\n");
    vresp_t r;

    (void)state;
    json_decref(vd_poll(d, "/ext/health", settled, NULL, 5000));
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        r = vd_get(d, cases[i].path);
        if (r.status != 400 || strstr(r.body, cases[i].says) == NULL)
            fail_msg("%s: %ld %s, want 400 with %s", cases[i].path,
                     r.status, r.body, cases[i].says);
        header_is(&r, "Content-Type", "application/json");
        vresp_free(&r);
    }
    assert_int_equal(vd_stop(d), 0);
}

static void test_endpoint_config(void **state)
{
    vd_t *d;
    vresp_t r;

    (void)state;
    d = vd_start("listen: [\"127.0.0.1:0\"]\n"
                 "endpoints:\n"
                 "  ietf: /status\n"
                 "  report: false\n"
                 "  livez: {path: /healthz}\n"
                 "checks:\n  d: {type: disk, path: /}\n");
    json_decref(vd_poll(d, "/ext/health", settled, NULL, 5000));
    r = vd_get(d, "/status");
    assert_int_equal(r.status, 200);
    vresp_free(&r);
    r = vd_get(d, "/api/v2/health");
    assert_int_equal(r.status, 404);
    vresp_free(&r);
    r = vd_get(d, "/healthz");
    assert_int_equal(r.status, 200);
    vresp_free(&r);
    /* /health/<name> still answers: only ietf moved. */
    r = vd_get(d, "/health/d");
    assert_int_equal(r.status, 200);
    vresp_free(&r);
    assert_int_equal(vd_stop(d), 0);

    /* Bad endpoint settings are config errors with positions. */
    char dir[] = "/tmp/vitals-ep-XXXXXX", path[128], *out, *err;
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/bad.yaml", dir);
    write_file(path, "endpoints:\n"
                     "  ietf: health\n"
                     "  nope: /x\n"
                     "  report: {status_codes: {Unhealthy: 700}}\n"
                     "  livez: /ext/health\n");
    char *argv[] = {(char *)vitalsd_path(), "--check-config", path, NULL};
    assert_int_equal(run_cmd(argv, &out, &err), 2);
    const char *expect[] = {
        ":2:9: endpoint 'ietf': invalid path \"health\"",
        ":3:3: unknown endpoint 'nope'",
        ":4:38: 'Unhealthy': expected an integer between 200 and 599",
        ":5:3: endpoints 'jsonrpc' and 'livez' both answer /ext/health",
    };
    for (size_t i = 0; i < sizeof(expect) / sizeof(expect[0]); i++)
        if (strstr(err, expect[i]) == NULL)
            fail_msg("missing \"%s\" in:\n%s", expect[i], err);
    free(out);
    free(err);
    snprintf(path, sizeof(path), "rm -rf %s", dir);
    assert_int_equal(system(path), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_report),
        cmocka_unit_test(test_avalanche_and_jsonrpc),
        cmocka_unit_test(test_mosparo),
        cmocka_unit_test(test_kubernetes),
        cmocka_unit_test(test_status_word),
        cmocka_unit_test(test_one_check),
        cmocka_unit_test(test_request_rules),
        cmocka_unit_test(test_etag),
        cmocka_unit_test(test_promised_headers),
        cmocka_unit_test(test_without_details),
        cmocka_unit_test(test_bad_queries),
        cmocka_unit_test(test_endpoint_config),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
