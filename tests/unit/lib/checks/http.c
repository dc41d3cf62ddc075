/* http.c - unit tests for the "http" check type
 * (lib/checks/http.c) against the canned HTTP peer (tests/support/peer.c)
 * and `openssl s_server -www` for HTTPS, all on 127.0.0.1. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "checks/check_type.h"
#include "checktest.h"
#include "util/clock.h"
#include "engine/result.h"
#include "config/vnode.h"
#include "peer.h"
#include "servers.h"

extern const vcheck_type_t vcheck_http;
extern char **environ;

static int64_t now_ms(void)
{
    return vclock_mono(&vclock_system) / VCLOCK_MS;
}

/* ------------------------------------------------------------------------
 * The canned peer: answers by path; /hang reads the request and never
 * answers.
 */

#define BIG_BODY (2 * 1024 * 1024)

static peer_t *peer;
static char *big; /* 2 MiB of 'a', then "needle": past what the check reads */

static int server_start(void)
{
    big = malloc(BIG_BODY + 6);
    if (!big)
        return -1;
    memset(big, 'a', BIG_BODY);
    memcpy(big + BIG_BODY, "needle", 6);
    peer = peer_start((const peer_answer_t[]){
        {.path = "/ok", .status = 200,
         .headers = "Content-Type: text/plain\r\n", .body = "all ok"},
        {.path = "/", .status = 200,
         .headers = "Content-Type: text/plain\r\n", .body = "all ok"},
        {.path = "/503", .status = 503, .body = "down"},
        {.path = "/redirect", .status = 302, .headers = "Location: /503\r\n"},
        {.path = "/slow", .status = 200, .body = "all ok", .delay_ms = 150},
        {.path = "/big", .status = 200, .body = big,
         .body_len = BIG_BODY + 6},
        {.path = "/hang", .hang = 1},
        {.path = NULL}});
    return peer ? 0 : -1;
}

static void server_stop(void)
{
    peer_stop(peer);
    free(big);
}

/* ------------------------------------------------------------------------
 * Helpers
 */

static vitals_result_t *run_url(const char *path, const char *extra,
                                int64_t timeout_ms)
{
    char json[1024];

    snprintf(json, sizeof(json), "{\"url\": \"http://127.0.0.1:%d%s\"%s}",
             peer_port(peer), path, extra ? extra : "");
    return run_check(&vcheck_http, json, timeout_ms);
}

static double data_ms(const vitals_result_t *r)
{
    json_t *d = data_of(r), *v = json_object_get(d, "responseTimeMs");
    double ms;

    if (!json_is_real(v))
        fail_msg("data.responseTimeMs is not a real: %s", r->data_json);
    ms = json_real_value(v);
    json_decref(d);
    return ms;
}

static long data_status(const vitals_result_t *r)
{
    json_t *d = data_of(r), *v = json_object_get(d, "statusCode");
    long s;

    if (!json_is_integer(v))
        fail_msg("data.statusCode is not an integer: %s", r->data_json);
    s = (long)json_integer_value(v);
    json_decref(d);
    return s;
}

/* The description every answered run has, with the measured time. */
static void check_answered(const vitals_result_t *r, const char *method,
                           const char *url, long status)
{
    char want[512];
    double ms = data_ms(r);

    assert_int_equal(data_status(r), status);
    assert_true(ms >= 0 && ms < 5000);
    snprintf(want, sizeof(want), "%s %s answered %ld in %.1f ms", method, url,
             status, ms);
    assert_string_equal(r->description, want);
    assert_true(r->observed_set);
    assert_string_equal(r->measurement, "responseTime");
    assert_string_equal(r->unit, "ms");
    assert_true(r->observed == ms);
}

static void url_of(const char *path, char *buf, size_t len)
{
    snprintf(buf, len, "http://127.0.0.1:%d%s", peer_port(peer), path);
}

/* ------------------------------------------------------------------------
 * Runs
 */

static void test_healthy(void **state)
{
    char url[128];
    vitals_result_t *r;
    (void)state;

    url_of("/ok", url, sizeof(url));
    r = run_url("/ok", NULL, 2000);
    assert_int_equal(r->status, VITALS_HEALTHY);
    assert_null(r->error);
    check_answered(r, "GET", url, 200);
    vresult_unref(r);

    /* A bare host gets libcurl's "/", in messages too. */
    url_of("/", url, sizeof(url));
    r = run_url("", NULL, 2000);
    assert_int_equal(r->status, VITALS_HEALTHY);
    check_answered(r, "GET", url, 200);
    vresult_unref(r);
}

static void test_unexpected_status(void **state)
{
    char url[128], want[256];
    vitals_result_t *r;
    (void)state;

    url_of("/503", url, sizeof(url));
    r = run_url("/503", NULL, 2000);
    assert_int_equal(r->status, VITALS_UNHEALTHY);
    snprintf(want, sizeof(want), "GET %s answered 503, expected 200-399", url);
    assert_string_equal(r->error, want);
    check_answered(r, "GET", url, 503);
    vresult_unref(r);

    r = run_url("/503", ", \"expect_status\": [200, \"500-503\"]", 2000);
    assert_int_equal(r->status, VITALS_HEALTHY);
    vresult_unref(r);

    r = run_url("/ok", ", \"expect_status\": [204, \"500-503\"]", 2000);
    snprintf(want, sizeof(want),
             "GET http://127.0.0.1:%d/ok answered 200, expected 204, 500-503",
             peer_port(peer));
    assert_string_equal(r->error, want);
    vresult_unref(r);

    r = run_url("/ok", ", \"expect_status\": 503", 2000);
    assert_int_equal(r->status, VITALS_UNHEALTHY);
    vresult_unref(r);
}

/* A redirect is judged as it is, not followed. */
static void test_redirect_not_followed(void **state)
{
    char url[128], want[256];
    vitals_result_t *r;
    (void)state;

    url_of("/redirect", url, sizeof(url));
    r = run_url("/redirect", NULL, 2000);
    assert_int_equal(r->status, VITALS_HEALTHY);
    check_answered(r, "GET", url, 302);
    vresult_unref(r);

    r = run_url("/redirect", ", \"expect_status\": \"2xx\"", 2000);
    snprintf(want, sizeof(want), "GET %s answered 302, expected 200-299", url);
    assert_string_equal(r->error, want);
    vresult_unref(r);
}

static void test_body_contains(void **state)
{
    char url[128], want[256];
    vitals_result_t *r;
    (void)state;

    url_of("/ok", url, sizeof(url));
    r = run_url("/ok", ", \"body_contains\": \"all ok\"", 2000);
    assert_int_equal(r->status, VITALS_HEALTHY);
    vresult_unref(r);

    r = run_url("/ok", ", \"body_contains\": \"nope\"", 2000);
    assert_int_equal(r->status, VITALS_UNHEALTHY);
    snprintf(want, sizeof(want),
             "GET %s answered 200, body does not contain \"nope\"", url);
    assert_string_equal(r->error, want);
    check_answered(r, "GET", url, 200);
    vresult_unref(r);
}

/* The body is read up to 1 MiB; the search looks at that much. */
static void test_big_body(void **state)
{
    char url[128], want[256];
    vitals_result_t *r;
    (void)state;

    url_of("/big", url, sizeof(url));
    r = run_url("/big", ", \"body_contains\": \"aaaa\"", 5000);
    assert_int_equal(r->status, VITALS_HEALTHY);
    check_answered(r, "GET", url, 200);
    vresult_unref(r);

    r = run_url("/big", ", \"body_contains\": \"needle\"", 5000);
    snprintf(want, sizeof(want),
             "GET %s answered 200, body does not contain \"needle\" in its "
             "first 1 MiB",
             url);
    assert_string_equal(r->error, want);
    vresult_unref(r);
}

static void test_degraded_after(void **state)
{
    char url[128], want[256];
    vitals_result_t *r;
    double ms;
    (void)state;

    url_of("/slow", url, sizeof(url));
    r = run_url("/slow", ", \"degraded_after\": \"50ms\"", 2000);
    assert_int_equal(r->status, VITALS_DEGRADED);
    assert_null(r->error);
    ms = data_ms(r);
    assert_true(ms >= 150);
    snprintf(want, sizeof(want),
             "GET %s answered 200 in %.1f ms, slower than 50ms", url, ms);
    assert_string_equal(r->description, want);
    vresult_unref(r);

    r = run_url("/ok", ", \"degraded_after\": \"2s\"", 2000);
    assert_int_equal(r->status, VITALS_HEALTHY);
    vresult_unref(r);
}

/* A server that accepts and never answers: the check gives up at its
 * deadline. */
static void test_timeout(void **state)
{
    char want[256];
    vitals_result_t *r;
    int64_t start, took;
    int budget = -1;
    (void)state;

    start = now_ms();
    r = run_url("/hang", NULL, 300);
    took = now_ms() - start;
    assert_int_equal(r->status, VITALS_UNHEALTHY);
    assert_non_null(r->error);
    assert_int_equal(sscanf(r->error,
                            "GET http://127.0.0.1:%*d/hang: timed out after "
                            "%d ms",
                            &budget),
                     1);
    assert_true(budget >= 250 && budget <= 300);
    snprintf(want, sizeof(want),
             "GET http://127.0.0.1:%d/hang: timed out after %d ms", peer_port(peer),
             budget);
    assert_string_equal(r->error, want);
    assert_null(r->description);
    assert_string_equal(r->data_json, "{}");
    assert_true(took >= 250 && took < 900);
    vresult_unref(r);
}

static void test_refused(void **state)
{
    char json[128], want[256];
    vitals_result_t *r;
    int port, fd = srv_refusing_port(&port);
    (void)state;

    assert_true(fd >= 0);
    snprintf(json, sizeof(json), "{\"url\": \"http://127.0.0.1:%d/x\"}",
             port);
    r = run_check(&vcheck_http, json, 2000);
    snprintf(want, sizeof(want),
             "GET http://127.0.0.1:%d/x: cannot connect: Connection refused",
             port);
    assert_string_equal(r->error, want);
    assert_null(r->description);
    assert_string_equal(r->data_json, "{}");
    vresult_unref(r);
    close(fd);
}

static void test_cannot_resolve(void **state)
{
    vitals_result_t *r;
    (void)state;

    r = run_check(&vcheck_http, "{\"url\": \"http://nope..invalid/\"}", 5000);
    assert_int_equal(r->status, VITALS_UNHEALTHY);
    assert_non_null(r->error);
    assert_true(strncmp(r->error, "GET http://nope..invalid/: ", 27) == 0);
    vresult_unref(r);
}

/* The method, headers and body reach the server; the header value and
 * the URL's password reach no message. */
static void test_request_and_secrets(void **state)
{
    char json[512], want[256], last[16384];
    vitals_result_t *r;
    (void)state;

    snprintf(json, sizeof(json),
             "{\"url\": \"http://ops:pa55w0rd@127.0.0.1:%d/503#frag\", "
             "\"method\": \"post\", \"body\": \"{\\\"ping\\\": 1}\", "
             "\"headers\": {\"Authorization\": \"Bearer s3cret-t0ken\", "
             "\"Content-Type\": \"application/json\", \"X-Empty\": \"\"}}",
             peer_port(peer));
    r = run_check(&vcheck_http, json, 2000);
    peer_last(peer, last, sizeof(last));

    assert_true(strncmp(last, "POST /503 HTTP/1.1\r\n", 20) == 0);
    assert_non_null(
        strstr(last, "\r\nAuthorization: Bearer s3cret-t0ken\r\n"));
    assert_non_null(strstr(last, "\r\nContent-Type: application/json\r\n"));
    assert_non_null(strstr(last, "\r\nX-Empty:"));
    assert_non_null(strstr(last, "\r\nUser-Agent: vitals/"));
    assert_null(strstr(last, "Expect:"));
    assert_non_null(strstr(last, "\r\n\r\n{\"ping\": 1}"));

    snprintf(want, sizeof(want),
             "POST http://127.0.0.1:%d/503 answered 503, expected 200-399",
             peer_port(peer));
    assert_string_equal(r->error, want);
    assert_null(strstr(r->description, "pa55w0rd"));
    assert_null(strstr(r->description, "s3cret"));
    assert_null(strstr(r->data_json, "s3cret"));
    vresult_unref(r);

    /* Without an Authorization header of its own, the userinfo becomes
     * Basic authentication. */
    snprintf(json, sizeof(json),
             "{\"url\": \"http://ops:pa55w0rd@127.0.0.1:%d/503\"}",
             peer_port(peer));
    r = run_check(&vcheck_http, json, 2000);
    peer_last(peer, last, sizeof(last));
    assert_non_null(strstr(last, "\r\nAuthorization: Basic b3BzOnBhNTV3MHJk"));
    snprintf(want, sizeof(want),
             "GET http://127.0.0.1:%d/503 answered 503, expected 200-399",
             peer_port(peer));
    assert_string_equal(r->error, want);
    assert_null(strstr(r->description, "pa55w0rd"));
    vresult_unref(r);
}

static void test_head(void **state)
{
    char url[128], last[256];
    vitals_result_t *r;
    (void)state;

    url_of("/ok", url, sizeof(url));
    r = run_url("/ok", ", \"method\": \"HEAD\"", 2000);
    assert_int_equal(r->status, VITALS_HEALTHY);
    check_answered(r, "HEAD", url, 200);
    peer_last(peer, last, sizeof(last));
    assert_true(strncmp(last, "HEAD /ok HTTP/1.1\r\n", 19) == 0);
    vresult_unref(r);
}

/* ------------------------------------------------------------------------
 * HTTPS, against openssl s_server with a self-signed certificate that
 * the openssl command makes
 */

static char dir[64];

static int make_cert(void **state)
{
    char cmd[512];
    (void)state;

    snprintf(dir, sizeof(dir), "/tmp/vitals-http-XXXXXX");
    if (!mkdtemp(dir))
        return -1;
    snprintf(cmd, sizeof(cmd),
             "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 "
             "-nodes -keyout %s/key.pem -out %s/cert.pem -days 30 "
             "-subj /CN=localhost "
             "-addext subjectAltName=DNS:localhost,IP:127.0.0.1 "
             ">/dev/null 2>&1",
             dir, dir);
    return system(cmd) == 0 ? 0 : -1;
}

static int remove_cert(void **state)
{
    char cmd[128];
    (void)state;

    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

typedef struct sserver {
    pid_t pid;
    int out; /* its stdout, kept open: it writes there */
    int port;
} sserver_t;

/* Starts `openssl s_server -www` on 127.0.0.1, port chosen by the kernel,
 * and waits for its "ACCEPT 127.0.0.1:PORT" line. */
static void s_server_start(sserver_t *s)
{
    char cert[128], key[128], buf[512];
    char *argv[] = {"openssl", "s_server", "-accept", "127.0.0.1:0",
                    "-cert", cert, "-key", key, "-www", NULL};
    posix_spawn_file_actions_t fa;
    struct pollfd p;
    size_t len = 0;
    ssize_t n;
    char *at;
    int pipefd[2];

    snprintf(cert, sizeof(cert), "%s/cert.pem", dir);
    snprintf(key, sizeof(key), "%s/key.pem", dir);
    assert_int_equal(pipe2(pipefd, O_CLOEXEC), 0);
    assert_int_equal(posix_spawn_file_actions_init(&fa), 0);
    assert_int_equal(posix_spawn_file_actions_addopen(&fa, 0, "/dev/null",
                                                      O_RDONLY, 0),
                     0);
    assert_int_equal(posix_spawn_file_actions_adddup2(&fa, pipefd[1], 1), 0);
    assert_int_equal(posix_spawn_file_actions_addopen(&fa, 2, "/dev/null",
                                                      O_WRONLY, 0),
                     0);
    assert_int_equal(posix_spawnp(&s->pid, "openssl", &fa, NULL, argv,
                                  environ),
                     0);
    posix_spawn_file_actions_destroy(&fa);
    close(pipefd[1]);
    s->out = pipefd[0];
    p = (struct pollfd){.fd = s->out, .events = POLLIN};
    for (;;) {
        assert_int_equal(poll(&p, 1, 5000), 1);
        n = read(s->out, buf + len, sizeof(buf) - 1 - len);
        assert_true(n > 0);
        len += (size_t)n;
        buf[len] = '\0';
        if ((at = strstr(buf, "ACCEPT 127.0.0.1:")) && strchr(at, '\n'))
            break;
    }
    s->port = atoi(at + 17);
    assert_true(s->port > 0);
}

static void s_server_stop(sserver_t *s)
{
    int status;

    kill(s->pid, SIGTERM);
    while (waitpid(s->pid, &status, 0) < 0 && errno == EINTR)
        ;
    close(s->out);
}

static void test_https(void **state)
{
    char json[512], want[256];
    sserver_t s;
    vitals_result_t *r;
    (void)state;

    s_server_start(&s);

    /* The system's CAs do not know a self-signed certificate. */
    snprintf(json, sizeof(json), "{\"url\": \"https://127.0.0.1:%d/\"}",
             s.port);
    r = run_check(&vcheck_http, json, 5000);
    snprintf(want, sizeof(want),
             "GET https://127.0.0.1:%d/: SSL certificate problem: "
             "self-signed certificate",
             s.port);
    assert_string_equal(r->error, want);
    vresult_unref(r);

    /* Trusted through ca_file, for its IP address and for its name. */
    snprintf(json, sizeof(json),
             "{\"url\": \"https://127.0.0.1:%d/\", \"ca_file\": "
             "\"%s/cert.pem\"}",
             s.port, dir);
    r = run_check(&vcheck_http, json, 5000);
    assert_int_equal(r->status, VITALS_HEALTHY);
    assert_int_equal(data_status(r), 200);
    vresult_unref(r);

    snprintf(json, sizeof(json),
             "{\"url\": \"https://localhost:%d/\", \"ca_file\": "
             "\"%s/cert.pem\"}",
             s.port, dir);
    r = run_check(&vcheck_http, json, 5000);
    assert_int_equal(r->status, VITALS_HEALTHY);
    vresult_unref(r);

    snprintf(json, sizeof(json),
             "{\"url\": \"https://127.0.0.1:%d/\", \"verify\": false}",
             s.port);
    r = run_check(&vcheck_http, json, 5000);
    assert_int_equal(r->status, VITALS_HEALTHY);
    vresult_unref(r);

    s_server_stop(&s);
}

/* ------------------------------------------------------------------------
 * Configuration
 */

#define STATUS_SYNTAX "a status code (100-599) or a range such as \"200-299\""

static void test_config_errors(void **state)
{
    (void)state;
    check_config_error(&vcheck_http, "{}",
                       "settings: missing required key 'url'");
    check_config_error(&vcheck_http, "{\"url\": \"ftp://example.com/\"}",
                       "settings: 'url': expected an http:// or https:// "
                       "URL, got scheme \"ftp\"");
    check_config_error(&vcheck_http, "{\"url\": \"example.com/health\"}",
                       "settings: 'url': expected an http:// or https:// "
                       "URL, got no scheme");
    /* The message never quotes the URL: it may hold a password. */
    check_config_error(&vcheck_http,
                       "{\"url\": \"http://u:secret@exa mple.com/\"}",
                       "settings: 'url': expected an http:// or https:// "
                       "URL (Bad hostname)");
    check_config_error(&vcheck_http, "{\"url\": 80}",
                       "settings: 'url': expected an http:// or https:// "
                       "URL, got no scheme");
    check_config_error(&vcheck_http,
                       "{\"url\": \"http://x/\", \"expect_status\": "
                       "[200, \"abc\", \"300-200\", 99, [1], \"2xx\"]}",
                       "settings: 'expect_status': item 2: expected "
                       STATUS_SYNTAX ", got \"abc\"; settings: "
                       "'expect_status': item 3: "
                       "expected " STATUS_SYNTAX ", got \"300-200\"; "
                       "settings: 'expect_status': item 4: expected "
                       STATUS_SYNTAX ", got \"99\"; settings: "
                       "'expect_status': item 5: expected " STATUS_SYNTAX
                       ", got a list");
    check_config_error(&vcheck_http,
                       "{\"url\": \"http://x/\", \"expect_status\": \"ok\"}",
                       "settings: 'expect_status': expected " STATUS_SYNTAX
                       ", or a list of them, got \"ok\"");
    check_config_error(&vcheck_http,
                       "{\"url\": \"http://x/\", \"expect_status\": []}",
                       "settings: 'expect_status': must not be empty");
    check_config_error(&vcheck_http,
                       "{\"url\": \"http://x/\", \"headers\": [\"a\"]}",
                       "settings: 'headers': expected a map of header names "
                       "to values, got a list");
    check_config_error(&vcheck_http,
                       "{\"url\": \"http://x/\", \"headers\": {\"Bad Name\": "
                       "\"v\", \"X-Token\": \"abc\\r\\nInjected: 1\", "
                       "\"X-List\": [1]}}",
                       "settings: 'headers': invalid header name \"Bad "
                       "Name\"; settings: 'headers': the value of 'X-Token' "
                       "must not contain a line break; settings: 'headers': "
                       "'X-List': expected a string, got a list");
    check_config_error(&vcheck_http,
                       "{\"url\": \"http://x/\", \"method\": \"GE T\"}",
                       "settings: 'method': expected an HTTP method such as "
                       "GET or POST, got \"GE T\"");
    check_config_error(&vcheck_http,
                       "{\"url\": \"http://x/\", \"method\": \"HEAD\", "
                       "\"body_contains\": \"ok\"}",
                       "settings: 'body_contains' cannot be checked with "
                       "method HEAD, which has no body");
    check_config_error(&vcheck_http,
                       "{\"url\": \"http://x/\", \"verify\": false, "
                       "\"ca_file\": \"/etc/ca.pem\"}",
                       "settings: 'ca_file' goes with verify: true");
    check_config_error(&vcheck_http,
                       "{\"url\": \"http://x/\", \"verify\": \"no\"}",
                       "settings: 'verify': expected true or false, got the "
                       "string \"no\"");
    check_config_error(&vcheck_http,
                       "{\"url\": \"http://x/\", \"degraded_after\": "
                       "\"fast\"}",
                       "settings: 'degraded_after': invalid duration "
                       "\"fast\" (use a number and a unit: ms, s, m, h, d)");
    check_config_error(&vcheck_http,
                       "{\"url\": \"http://x/\", \"body_contains\": \"\"}",
                       "settings: 'body_contains': must not be empty");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_healthy),
        cmocka_unit_test(test_unexpected_status),
        cmocka_unit_test(test_redirect_not_followed),
        cmocka_unit_test(test_body_contains),
        cmocka_unit_test(test_big_body),
        cmocka_unit_test(test_degraded_after),
        cmocka_unit_test(test_timeout),
        cmocka_unit_test(test_refused),
        cmocka_unit_test(test_cannot_resolve),
        cmocka_unit_test(test_request_and_secrets),
        cmocka_unit_test(test_head),
        cmocka_unit_test_setup_teardown(test_https, make_cert, remove_cert),
        cmocka_unit_test(test_config_errors),
    };
    int rc;

    /* The check honours the proxy variables, as libcurl does; these tests
     * talk to 127.0.0.1 directly. */
    unsetenv("http_proxy");
    unsetenv("https_proxy");
    unsetenv("HTTPS_PROXY");
    unsetenv("all_proxy");
    unsetenv("ALL_PROXY");
    if (server_start() != 0) {
        fprintf(stderr, "cannot start the test server\n");
        return 1;
    }
    rc = cmocka_run_group_tests(tests, NULL, NULL);
    server_stop();
    return rc;
}
