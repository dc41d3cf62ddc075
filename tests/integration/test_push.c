/* test_push.c - push checks over HTTP: PUT /health/<name> reports, the
 * ttl dead man's switch, and every error a reporter can get. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"

static int status_is(json_t *j, void *arg)
{
    json_t *s = json_object_get(j, "status");
    return json_is_string(s) && strcmp(json_string_value(s), arg) == 0;
}

static const char *output_of(json_t *j);

static int output_is(json_t *j, void *arg)
{
    return strcmp(output_of(j), arg) == 0;
}

static const char *output_of(json_t *j)
{
    const char *key;
    json_t *arr;

    json_object_foreach(json_object_get(j, "checks"), key, arr) {
        json_t *o = json_object_get(json_array_get(arr, 0), "output");
        return json_is_string(o) ? json_string_value(o) : "";
    }
    return "";
}

static void put_error(vd_t *d, const char *path, const char *body,
                      long status, const char *description)
{
    const char *h[] = {"Content-Type: application/json", NULL};
    vresp_t r = vd_request(d, "PUT", path, body, h);
    json_t *j = vresp_json(&r), *e;

    assert_int_equal(r.status, status);
    e = json_array_get(json_object_get(j, "errors"), 0);
    assert_string_equal(json_string_value(json_object_get(e, "description")),
                        description);
    json_decref(j);
    vresp_free(&r);
}

static void test_push_flow(void **state)
{
    const char *h[] = {"Content-Type: application/json", NULL};
    vd_t *d = vd_start("listen: [\"127.0.0.1:0\"]\n"
                       "checks:\n"
                       "  backup: {type: push, ttl: 400ms, interval: 100ms}\n"
                       "  disk: {type: disk, path: /}\n");
    json_t *j;
    vresp_t r;

    (void)state;
    j = vd_poll(d, "/health/backup", output_is,
                "no report yet (expected within 400ms)", 2000);
    assert_string_equal(output_of(j), "no report yet (expected within 400ms)");
    json_decref(j);

    r = vd_request(d, "PUT", "/health/backup",
                   "{\"status\": \"warn\", \"output\": \"took 3h\"}", h);
    assert_int_equal(r.status, 204);
    assert_int_equal(r.len, 0);
    vresp_free(&r);
    j = vd_poll(d, "/health/backup", status_is, "warn", 2000);
    assert_string_equal(output_of(j), "took 3h");
    json_decref(j);

    /* No report within the ttl: the switch trips. */
    j = vd_poll(d, "/health/backup", status_is, "fail", 3000);
    assert_string_equal(output_of(j), "no report for 400ms");
    json_decref(j);

    put_error(d, "/health/backup", "{nope", 400,
              "The body is not JSON: expected {\"status\": \"pass\"}");
    put_error(d, "/health/backup", "[1]", 400,
              "The body must be a JSON object");
    put_error(d, "/health/backup", "{\"status\": \"green\"}", 400,
              "\"status\" must be \"pass\", \"warn\" or \"fail\"");
    put_error(d, "/health/backup", "{\"status\": \"pass\", \"output\": 5}",
              400, "\"output\" must be a string");
    put_error(d, "/health/backup", "{\"status\": \"pass\", \"x\": 1}", 400,
              "Unknown key \"x\": use status and output");
    put_error(d, "/health/disk", "{\"status\": \"pass\"}", 409,
              "This check is not of type push: it takes no reports");
    put_error(d, "/health/nope", "{\"status\": \"pass\"}", 404,
              "There is no check with this name");
    assert_int_equal(vd_stop(d), 0);
}

/* A report carrying a newline and terminal escapes can neither forge a
 * log line nor reach a reader's terminal raw. */
static void test_log_injection(void **state)
{
    const char *h[] = {"Content-Type: application/json", NULL};
    vd_t *d = vd_start("listen: [\"127.0.0.1:0\"]\n"
                       "checks:\n"
                       "  backup: {type: push, ttl: 1h}\n");
    vresp_t r;
    char *log;

    (void)state;
    r = vd_request(d, "PUT", "/health/backup", "{\"status\": \"pass\"}", h);
    assert_int_equal(r.status, 204);
    vresp_free(&r);
    json_decref(vd_poll(d, "/health", status_is, "pass", 3000));
    r = vd_request(d, "PUT", "/health/backup",
                   "{\"status\": \"fail\", \"output\": \"disk full\\n"
                   "2026-12-04T00:00:00Z ERROR forged\\u001b[31m\"}",
                   h);
    assert_int_equal(r.status, 204);
    vresp_free(&r);
    assert_true(vd_log_wait(d, "forged", 3000));
    log = vd_log(d);
    assert_null(strchr(log, '\x1b'));
    assert_non_null(strstr(log, "disk full\\n2026-12-04T00:00:00Z ERROR "
                                "forged\\x1b[31m"));
    assert_null(strstr(log, "\n2026-12-04T00:00:00Z ERROR forged"));
    free(log);
    r = vd_get(d, "/readyz?verbose");
    assert_int_equal(r.status, 500);
    assert_string_equal(r.body, "[-]backup failed: disk full "
                                "2026-12-04T00:00:00Z ERROR forged\\x1b[31m\n"
                                "readyz check failed\n");
    vresp_free(&r);
    assert_int_equal(vd_stop(d), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_push_flow),
        cmocka_unit_test(test_log_injection),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
