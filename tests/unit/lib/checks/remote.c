/* remote.c - unit tests for the "remote" check type
 * (lib/checks/remote.c): canned health documents of every format from a
 * small HTTP server in a thread of the test, and a real libvitals instance
 * serving its own endpoints, all on 127.0.0.1. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "checks/check_type.h"
#include "checktest.h"
#include "engine/clock.h"
#include "engine/result.h"
#include "config/vnode.h"

extern const vcheck_type_t vcheck_remote;

static int64_t now_ms(void)
{
    return vclock_mono(&vclock_system) / VCLOCK_MS;
}

/* ------------------------------------------------------------------------
 * Canned answers, by path
 */

typedef struct canned {
    const char *path;
    const char *status;
    const char *body;
} canned_t;

static const canned_t answers[] = {
    {"/ietf/pass", "200 OK",
     "{\"status\": \"pass\", \"checks\": {"
     "\"db:responseTime\": [{\"componentId\": \"db1\", \"componentType\": "
     "\"datastore\", \"status\": \"pass\", \"observedValue\": 3, "
     "\"observedUnit\": \"ms\", \"output\": \"fine\"}],"
     "\"cache\": [{\"status\": \"warn\", \"output\": \"evicting\"}]}}"},
    {"/ietf/fail", "503 Service Unavailable",
     "{\"status\": \"fail\", \"output\": \"database down\", \"checks\": {"
     "\"db\": [{\"status\": \"fail\", \"output\": \"connection refused\"}, "
     "{\"status\": \"pass\"}, {\"status\": \"fail\"}]}}"},
    {"/ietf/warn", "200 OK", "{\"status\": \"WARN\"}"},
    {"/words/ok", "200 OK", "{\"status\": \"Ok\"}"},
    {"/words/error", "200 OK", "{\"status\": \"error\"}"},
    {"/report", "200 OK",
     "{\"status\": \"Unhealthy\", \"totalDuration\": \"00:00:00.7933458\", "
     "\"entries\": {"
     "\"diskstorage\": {\"data\": {}, \"description\": \"Minimum configured "
     "megabytes for disk C:\\\\ is 512 but actual free space are 252 "
     "megabytes\", \"duration\": \"00:00:00.0414471\", \"status\": "
     "\"Degraded\"},"
     "\"license\": {\"data\": {\"remaningDays\": 196, \"expirationDate\": "
     "\"2021-05-13T00:00:00\"}, \"description\": \"Licencia exspiruje za 196 "
     "dní.\", \"duration\": \"00:00:00.0000619\", \"status\": \"Healthy\"},"
     "\"printer\": {\"status\": \"Unhealthy\", \"description\": \"not "
     "reachable\", \"exception\": {\"message\": \"PrinterNotOpened\"}}}}"},
    {"/spring", "503 Service Unavailable",
     "{\"status\": \"DOWN\", \"components\": {"
     "\"db\": {\"status\": \"UP\", \"details\": {\"database\": "
     "\"PostgreSQL\", \"validationQuery\": \"isValid()\"}},"
     "\"redis\": {\"status\": \"DOWN\", \"details\": {\"error\": "
     "\"Unable to connect to localhost:6379\"}},"
     "\"group\": {\"status\": \"OUT_OF_SERVICE\", \"components\": {"
     "\"a\": {\"status\": \"UP\"}, \"b\": {\"status\": "
     "\"OUT_OF_SERVICE\"}}}}}"},
    {"/spring/unknown", "200 OK", "{\"status\": \"UNKNOWN\"}"},
    {"/avalanche", "503 Service Unavailable",
     "{\"checks\": {"
     "\"network\": {\"message\": {\"connectedPeers\": 0}, \"error\": "
     "{\"message\": \"not connected to enough stake\"}, \"timestamp\": "
     "\"2026-11-21T20:00:00Z\", \"duration\": 1000, \"contiguousFailures\": "
     "3, \"timeOfFirstFailure\": \"2026-11-21T19:59:00Z\"},"
     "\"bootstrapped\": {\"message\": {\"chains\": 3}, \"timestamp\": "
     "\"2026-11-21T20:00:00Z\", \"duration\": 1000, \"contiguousFailures\": "
     "0, \"timeOfFirstFailure\": null}}, \"healthy\": false}"},
    {"/mosparo", "500 Internal Server Error",
     "{\"service\": \"mosparo\", \"healthy\": false, \"databaseStatus\": "
     "\"connection-failed\", \"error\": \"db: SQLSTATE[HY000] [2002] "
     "Connection refused\", \"statusCode\": 500}"},
    {"/mosparo/ok", "200 OK",
     "{\"service\": \"mosparo\", \"healthy\": true, \"databaseStatus\": "
     "\"connected\", \"error\": null, \"statusCode\": 200}"},
    {"/many", "503 Service Unavailable",
     "{\"status\": \"fail\", \"checks\": {\"c1\": [{\"status\": \"fail\"}], "
     "\"c2\": [{\"status\": \"fail\"}], \"c3\": [{\"status\": \"fail\"}], "
     "\"c4\": [{\"status\": \"fail\"}], \"c5\": [{\"status\": \"fail\"}], "
     "\"c6\": [{\"status\": \"fail\"}], \"c7\": [{\"status\": \"fail\"}], "
     "\"odd\": [{\"status\": \"maybe\"}, {\"output\": \"x\"}]}}"},
    {"/plain/ok", "200 OK", "OK"},
    {"/plain/500", "500 Internal Server Error", "<html>oops</html>"},
    {"/json/other", "200 OK", "{\"status\": \"great\", \"healthy\": 1}"},
    {"/json/other503", "503 Service Unavailable", "{\"status\": \"great\"}"},
    {"/json/truncated", "200 OK", "{\"status\": \"pass\""},
    {NULL, NULL, NULL},
};

/* ------------------------------------------------------------------------
 * A tiny HTTP server: one thread, one connection at a time; /hang reads
 * the request and never answers.
 */

typedef struct server {
    int fd, port;
    int wake[2]; /* a byte here stops the thread */
    pthread_t tid;
    int hung[64];
    size_t nhung;
    pthread_mutex_t mu;
    char last[16384]; /* the last request, as received */
} server_t;

static server_t srv;

static void send_all(int fd, const char *p, size_t n)
{
    ssize_t w;

    while (n > 0) {
        w = send(fd, p, n, MSG_NOSIGNAL);
        if (w <= 0)
            return; /* the client went away: fine for a test server */
        p += w;
        n -= (size_t)w;
    }
}

static ssize_t read_request(int fd, char *buf, size_t cap)
{
    struct pollfd p = {.fd = fd, .events = POLLIN};
    size_t len = 0;
    ssize_t n;

    for (;;) {
        if (poll(&p, 1, 2000) <= 0)
            return -1;
        n = recv(fd, buf + len, cap - 1 - len, 0);
        if (n <= 0)
            return -1;
        len += (size_t)n;
        buf[len] = '\0';
        if (strstr(buf, "\r\n\r\n") || len == cap - 1)
            return (ssize_t)len;
    }
}

/* Answers the request in buf on fd. Returns 0 when it keeps fd open. */
static int handle(int fd, const char *buf)
{
    char path[256] = "", head[256];
    const canned_t *c;
    int n;

    if (sscanf(buf, "%*s %255s", path) != 1)
        return 1;
    if (strcmp(path, "/hang") == 0 &&
        srv.nhung < sizeof(srv.hung) / sizeof(srv.hung[0])) {
        srv.hung[srv.nhung++] = fd;
        return 0;
    }
    for (c = answers; c->path && strcmp(c->path, path) != 0; c++)
        ;
    if (!c->path) {
        send_all(fd,
                 "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n",
                 45);
        return 1;
    }
    n = snprintf(head, sizeof(head),
                 "HTTP/1.1 %s\r\nContent-Type: application/json\r\n"
                 "Content-Length: %zu\r\nConnection: close\r\n\r\n",
                 c->status, strlen(c->body));
    send_all(fd, head, (size_t)n);
    send_all(fd, c->body, strlen(c->body));
    return 1;
}

static void *serve(void *arg)
{
    static char buf[16384];
    struct pollfd p[2];
    ssize_t n;
    int c;
    (void)arg;

    for (;;) {
        p[0] = (struct pollfd){.fd = srv.fd, .events = POLLIN};
        p[1] = (struct pollfd){.fd = srv.wake[0], .events = POLLIN};
        if (poll(p, 2, -1) < 0 && errno != EINTR)
            break;
        if (p[1].revents)
            break;
        if (!p[0].revents)
            continue;
        if ((c = accept4(srv.fd, NULL, NULL, SOCK_CLOEXEC)) < 0)
            continue;
        n = read_request(c, buf, sizeof(buf));
        if (n < 0) {
            close(c);
            continue;
        }
        pthread_mutex_lock(&srv.mu);
        memcpy(srv.last, buf, (size_t)n + 1);
        pthread_mutex_unlock(&srv.mu);
        if (handle(c, buf))
            close(c);
    }
    return NULL;
}

static int server_start(void)
{
    struct sockaddr_in a = {.sin_family = AF_INET};
    socklen_t len = sizeof(a);

    memset(&srv, 0, sizeof(srv));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    srv.fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (srv.fd < 0 || bind(srv.fd, (struct sockaddr *)&a, sizeof(a)) != 0 ||
        listen(srv.fd, 16) != 0 ||
        getsockname(srv.fd, (struct sockaddr *)&a, &len) != 0)
        return -1;
    srv.port = ntohs(a.sin_port);
    if (pipe2(srv.wake, O_CLOEXEC) != 0 ||
        pthread_mutex_init(&srv.mu, NULL) != 0 ||
        pthread_create(&srv.tid, NULL, serve, NULL) != 0)
        return -1;
    return 0;
}

static int server_stop(void)
{
    size_t i;

    if (write(srv.wake[1], "x", 1) != 1)
        return -1;
    pthread_join(srv.tid, NULL);
    for (i = 0; i < srv.nhung; i++)
        close(srv.hung[i]);
    close(srv.fd);
    close(srv.wake[0]);
    close(srv.wake[1]);
    pthread_mutex_destroy(&srv.mu);
    return 0;
}

/* ------------------------------------------------------------------------
 * Helpers
 */

static vitals_result_t *run_path(int port, const char *path,
                                 const char *extra)
{
    char json[512];

    snprintf(json, sizeof(json), "{\"url\": \"http://127.0.0.1:%d%s\"%s}",
             port, path, extra ? extra : "");
    return run_check(&vcheck_remote, json, 3000);
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

/* The description, given what follows "answered <code> in <ms> ms". */
static void check_description(const vitals_result_t *r, int port,
                              const char *path, long code, const char *tail)
{
    char want[1024], data[64];

    snprintf(want, sizeof(want), "GET http://127.0.0.1:%d%s answered %ld in "
             "%.1f ms%s",
             port, path, code, data_ms(r), tail);
    assert_string_equal(r->description, want);
    snprintf(data, sizeof(data), "{\"statusCode\":%ld,\"responseTimeMs\":",
             code);
    assert_true(strncmp(r->data_json, data, strlen(data)) == 0);
}

static void check_error(const vitals_result_t *r, int port, const char *path,
                        const char *tail)
{
    char want[1024];

    snprintf(want, sizeof(want), "GET http://127.0.0.1:%d%s%s", port, path,
             tail);
    assert_string_equal(r->error, want);
}

/* Child i: its name, status, description, error and data, exactly. */
static void check_child(const vitals_result_t *r, size_t i, const char *name,
                        vitals_status_t status, const char *description,
                        const char *error, const char *data)
{
    const vitals_result_t *c;

    assert_true(i < r->nchildren);
    c = r->children[i];
    assert_string_equal(c->key, name);
    assert_int_equal(c->status, status);
    if (description)
        assert_string_equal(c->description, description);
    else
        assert_null(c->description);
    if (error)
        assert_string_equal(c->error, error);
    else
        assert_null(c->error);
    assert_string_equal(c->data_json, data);
}

/* ------------------------------------------------------------------------
 * Formats
 */

static void test_ietf(void **state)
{
    vitals_result_t *r;
    char last[16384];
    (void)state;

    r = run_path(srv.port, "/ietf/pass", NULL);
    assert_int_equal(r->status, VITALS_HEALTHY);
    assert_null(r->error);
    check_description(r, srv.port, "/ietf/pass", 200,
                      ", status \"pass\" (not healthy: cache)");
    assert_int_equal(r->nchildren, 2);
    check_child(r, 0, "db1", VITALS_HEALTHY, "fine", NULL,
                "{\"componentType\":\"datastore\",\"observedValue\":3,"
                "\"observedUnit\":\"ms\"}");
    check_child(r, 1, "cache", VITALS_DEGRADED, NULL, "evicting", "{}");
    assert_true(r->observed_set);
    assert_string_equal(r->measurement, "responseTime");
    vresult_unref(r);

    /* It asked for a health document. */
    pthread_mutex_lock(&srv.mu);
    memcpy(last, srv.last, sizeof(last));
    pthread_mutex_unlock(&srv.mu);
    assert_non_null(strstr(last, "\r\nAccept: application/health+json, "
                                 "application/json;q=0.9, */*;q=0.1\r\n"));

    r = run_path(srv.port, "/ietf/fail", NULL);
    assert_int_equal(r->status, VITALS_UNHEALTHY);
    check_error(r, srv.port, "/ietf/fail",
                " answered 503, status \"fail\": database down (not healthy: "
                "db, db#3)");
    check_description(r, srv.port, "/ietf/fail", 503,
                      ", status \"fail\": database down (not healthy: db, "
                      "db#3)");
    assert_int_equal(r->nchildren, 3);
    check_child(r, 0, "db", VITALS_UNHEALTHY, NULL, "connection refused",
                "{}");
    check_child(r, 1, "db#2", VITALS_HEALTHY, NULL, NULL, "{}");
    check_child(r, 2, "db#3", VITALS_UNHEALTHY, NULL, "status fail", "{}");
    vresult_unref(r);

    r = run_path(srv.port, "/ietf/warn", NULL);
    assert_int_equal(r->status, VITALS_DEGRADED);
    assert_null(r->error);
    check_description(r, srv.port, "/ietf/warn", 200, ", status \"WARN\"");
    vresult_unref(r);
}

/* ok/up and error/down, as hand-written endpoints say. */
static void test_words(void **state)
{
    vitals_result_t *r;
    (void)state;

    r = run_path(srv.port, "/words/ok", NULL);
    assert_int_equal(r->status, VITALS_HEALTHY);
    check_description(r, srv.port, "/words/ok", 200, ", status \"Ok\"");
    vresult_unref(r);

    r = run_path(srv.port, "/words/error", NULL);
    assert_int_equal(r->status, VITALS_UNHEALTHY);
    check_error(r, srv.port, "/words/error",
                " answered 200, status \"error\"");
    vresult_unref(r);
}

/* Seed 001's HealthReport: always 200, the status is in the body. */
static void test_health_report(void **state)
{
    vitals_result_t *r;
    (void)state;

    r = run_path(srv.port, "/report", NULL);
    assert_int_equal(r->status, VITALS_UNHEALTHY);
    check_error(r, srv.port, "/report",
                " answered 200, status \"Unhealthy\" (not healthy: "
                "diskstorage, printer)");
    assert_int_equal(r->nchildren, 3);
    check_child(r, 0, "diskstorage", VITALS_DEGRADED,
                "Minimum configured megabytes for disk C:\\ is 512 but actual "
                "free space are 252 megabytes",
                "Minimum configured megabytes for disk C:\\ is 512 but actual "
                "free space are 252 megabytes",
                "{}");
    check_child(r, 1, "license", VITALS_HEALTHY,
                "Licencia exspiruje za 196 dní.", NULL,
                "{\"remaningDays\":196,\"expirationDate\":"
                "\"2021-05-13T00:00:00\"}");
    check_child(r, 2, "printer", VITALS_UNHEALTHY, "not reachable",
                "PrinterNotOpened", "{}");
    vresult_unref(r);
}

static void test_spring_boot(void **state)
{
    const vitals_result_t *g;
    vitals_result_t *r;
    (void)state;

    r = run_path(srv.port, "/spring", NULL);
    assert_int_equal(r->status, VITALS_UNHEALTHY);
    check_error(r, srv.port, "/spring",
                " answered 503, status \"DOWN\" (not healthy: redis, group)");
    assert_int_equal(r->nchildren, 3);
    check_child(r, 0, "db", VITALS_HEALTHY, NULL, NULL,
                "{\"database\":\"PostgreSQL\",\"validationQuery\":"
                "\"isValid()\"}");
    check_child(r, 1, "redis", VITALS_UNHEALTHY, NULL,
                "Unable to connect to localhost:6379",
                "{\"error\":\"Unable to connect to localhost:6379\"}");
    check_child(r, 2, "group", VITALS_UNHEALTHY, NULL,
                "status OUT_OF_SERVICE", "{}");
    /* Nested components stay nested. */
    g = r->children[2];
    assert_int_equal(g->nchildren, 2);
    check_child(g, 0, "a", VITALS_HEALTHY, NULL, NULL, "{}");
    check_child(g, 1, "b", VITALS_UNHEALTHY, NULL, "status OUT_OF_SERVICE",
                "{}");
    vresult_unref(r);

    r = run_path(srv.port, "/spring/unknown", NULL);
    assert_int_equal(r->status, VITALS_DEGRADED);
    check_description(r, srv.port, "/spring/unknown", 200,
                      ", status \"UNKNOWN\"");
    vresult_unref(r);
}

static void test_avalanche_and_mosparo(void **state)
{
    vitals_result_t *r;
    (void)state;

    r = run_path(srv.port, "/avalanche", NULL);
    assert_int_equal(r->status, VITALS_UNHEALTHY);
    check_error(r, srv.port, "/avalanche",
                " answered 503, healthy: false (not healthy: network)");
    assert_int_equal(r->nchildren, 2);
    check_child(r, 0, "network", VITALS_UNHEALTHY, NULL,
                "not connected to enough stake", "{\"connectedPeers\":0}");
    check_child(r, 1, "bootstrapped", VITALS_HEALTHY, NULL, NULL,
                "{\"chains\":3}");
    vresult_unref(r);

    r = run_path(srv.port, "/mosparo", NULL);
    assert_int_equal(r->status, VITALS_UNHEALTHY);
    check_error(r, srv.port, "/mosparo",
                " answered 500, healthy: false: db: SQLSTATE[HY000] [2002] "
                "Connection refused");
    assert_int_equal(r->nchildren, 0);
    vresult_unref(r);

    r = run_path(srv.port, "/mosparo/ok", NULL);
    assert_int_equal(r->status, VITALS_HEALTHY);
    check_description(r, srv.port, "/mosparo/ok", 200, ", healthy: true");
    vresult_unref(r);
}

/* Past five names the list says how many more; a child whose status is
 * missing or unknown cannot be counted on. */
static void test_many_children(void **state)
{
    vitals_result_t *r;
    (void)state;

    r = run_path(srv.port, "/many", NULL);
    check_error(r, srv.port, "/many",
                " answered 503, status \"fail\" (not healthy: c1, c2, c3, c4, "
                "c5 and 4 more)");
    assert_int_equal(r->nchildren, 9);
    check_child(r, 7, "odd", VITALS_UNHEALTHY, NULL,
                "unrecognised status \"maybe\"", "{}");
    check_child(r, 8, "odd#2", VITALS_UNHEALTHY, NULL, "no status", "{}");
    vresult_unref(r);
}

/* Without a health document, the HTTP status decides. */
static void test_other_bodies(void **state)
{
    vitals_result_t *r;
    (void)state;

    r = run_path(srv.port, "/plain/ok", NULL);
    assert_int_equal(r->status, VITALS_HEALTHY);
    check_description(r, srv.port, "/plain/ok", 200, "");
    vresult_unref(r);

    r = run_path(srv.port, "/plain/500", NULL);
    assert_int_equal(r->status, VITALS_UNHEALTHY);
    check_error(r, srv.port, "/plain/500", " answered 500, expected 200-399");
    check_description(r, srv.port, "/plain/500", 500, "");
    vresult_unref(r);

    r = run_path(srv.port, "/json/other", NULL);
    assert_int_equal(r->status, VITALS_HEALTHY);
    assert_int_equal(r->nchildren, 0);
    vresult_unref(r);

    r = run_path(srv.port, "/json/other503", NULL);
    check_error(r, srv.port, "/json/other503",
                " answered 503, expected 200-399");
    vresult_unref(r);

    r = run_path(srv.port, "/json/truncated", NULL);
    assert_int_equal(r->status, VITALS_HEALTHY);
    check_description(r, srv.port, "/json/truncated", 200, "");
    vresult_unref(r);

    r = run_path(srv.port, "/nowhere", NULL);
    check_error(r, srv.port, "/nowhere", " answered 404, expected 200-399");
    vresult_unref(r);
}

static void test_timeout(void **state)
{
    char want[256];
    vitals_result_t *r;
    int64_t start, took;
    int budget = -1;
    (void)state;

    snprintf(want, sizeof(want), "{\"url\": \"http://127.0.0.1:%d/hang\"}",
             srv.port);
    start = now_ms();
    r = run_check(&vcheck_remote, want, 300);
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
             "GET http://127.0.0.1:%d/hang: timed out after %d ms", srv.port,
             budget);
    assert_string_equal(r->error, want);
    assert_string_equal(r->data_json, "{}");
    assert_int_equal(r->nchildren, 0);
    assert_true(took >= 250 && took < 900);
    vresult_unref(r);
}

/* Header values go out and nowhere else; an Accept of one's own wins. */
static void test_headers(void **state)
{
    char json[512], last[16384];
    vitals_result_t *r;
    (void)state;

    snprintf(json, sizeof(json),
             "{\"url\": \"http://svc:hunter2@127.0.0.1:%d/ietf/fail\", "
             "\"headers\": {\"X-Api-Key\": \"k3y-s3cret\", \"Accept\": "
             "\"application/json\"}}",
             srv.port);
    r = run_check(&vcheck_remote, json, 3000);
    pthread_mutex_lock(&srv.mu);
    memcpy(last, srv.last, sizeof(last));
    pthread_mutex_unlock(&srv.mu);
    assert_non_null(strstr(last, "\r\nX-Api-Key: k3y-s3cret\r\n"));
    assert_non_null(strstr(last, "\r\nAccept: application/json\r\n"));
    assert_null(strstr(last, "health+json"));
    check_error(r, srv.port, "/ietf/fail",
                " answered 503, status \"fail\": database down (not healthy: "
                "db, db#3)");
    assert_null(strstr(r->description, "hunter2"));
    assert_null(strstr(r->data_json, "k3y"));
    vresult_unref(r);
}

/* ------------------------------------------------------------------------
 * A real peer: a libvitals instance serving its own formats
 */

static void cb_healthy(vitals_result_t *r, void *data)
{
    (void)data;
    vitals_result_set_description(r, "all good");
}

static void cb_degraded(vitals_result_t *r, void *data)
{
    (void)data;
    vitals_result_set_status(r, VITALS_DEGRADED);
    vitals_result_set_description(r, "slow");
}

static void cb_unhealthy(vitals_result_t *r, void *data)
{
    (void)data;
    vitals_result_set_error(r, "connection refused");
}

/* Waits until every check of v has run once. */
static void wait_all_ran(vitals_t *v)
{
    int64_t until = now_ms() + 5000;
    vitals_snapshot_t *s;
    size_t i, ran;

    for (;;) {
        s = vitals_snapshot_get(v);
        for (i = ran = 0; i < vitals_snapshot_count(s); i++)
            ran += vitals_snapshot_check(s, i)->timestamp_ns != 0;
        i = vitals_snapshot_count(s);
        vitals_snapshot_release(s);
        if (ran == i)
            return;
        assert_true(now_ms() < until);
        usleep(10 * 1000);
    }
}

static void test_vitals_peer(void **state)
{
    vitals_check_opts_t o;
    vitals_result_t *r;
    vitals_t *v = vitals_new();
    int port;
    (void)state;

    assert_non_null(v);
    vitals_check_opts_init(&o);
    o.interval_ms = 60000;
    assert_int_equal(vitals_add_check(v, "disk", &o, cb_healthy, NULL, NULL),
                     0);
    assert_int_equal(vitals_add_check(v, "cache", &o, cb_degraded, NULL,
                                      NULL),
                     0);
    assert_int_equal(vitals_add_check(v, "db", &o, cb_unhealthy, NULL, NULL),
                     0);
    assert_int_equal(vitals_listen(v, "127.0.0.1:0"), 0);
    assert_int_equal(vitals_start(v), 0);
    port = vitals_listen_port(v, 0);
    assert_true(port > 0);
    wait_all_ran(v);

    /* IETF */
    r = run_path(port, "/health", NULL);
    assert_int_equal(r->status, VITALS_UNHEALTHY);
    check_error(r, port, "/health",
                " answered 503, status \"fail\" (not healthy: cache, db)");
    assert_int_equal(r->nchildren, 3);
    check_child(r, 0, "disk", VITALS_HEALTHY, NULL, NULL,
                "{\"componentType\":\"component\"}");
    check_child(r, 1, "cache", VITALS_DEGRADED, NULL, "slow",
                "{\"componentType\":\"component\"}");
    check_child(r, 2, "db", VITALS_UNHEALTHY, NULL, "connection refused",
                "{\"componentType\":\"component\"}");
    vresult_unref(r);

    /* HealthReport */
    r = run_path(port, "/api/v2/health", NULL);
    assert_int_equal(r->status, VITALS_UNHEALTHY);
    check_error(r, port, "/api/v2/health",
                " answered 200, status \"Unhealthy\" (not healthy: cache, "
                "db)");
    assert_int_equal(r->nchildren, 3);
    check_child(r, 0, "disk", VITALS_HEALTHY, "all good", NULL, "{}");
    check_child(r, 1, "cache", VITALS_DEGRADED, "slow", "slow", "{}");
    assert_int_equal(r->children[2]->status, VITALS_UNHEALTHY);
    assert_string_equal(r->children[2]->error, "connection refused");
    vresult_unref(r);

    /* avalanchego */
    r = run_path(port, "/ext/health", NULL);
    assert_int_equal(r->status, VITALS_UNHEALTHY);
    assert_int_equal(r->nchildren, 3);
    assert_string_equal(r->children[2]->key, "db");
    assert_int_equal(r->children[2]->status, VITALS_UNHEALTHY);
    assert_string_equal(r->children[2]->error, "connection refused");
    vresult_unref(r);

    vitals_stop(v, 1000);
    vitals_free(v);
}

/* ------------------------------------------------------------------------
 * Configuration
 */

static void test_config_errors(void **state)
{
    (void)state;
    check_config_error(&vcheck_remote, "{}",
                       "settings: missing required key 'url'");
    check_config_error(&vcheck_remote, "{\"url\": \"file:///etc/passwd\"}",
                       "settings: 'url': expected an http:// or https:// "
                       "URL, got scheme \"file\"");
    check_config_error(&vcheck_remote,
                       "{\"url\": \"http://x/\", \"headers\": \"a: b\"}",
                       "settings: 'headers': expected a map of header names "
                       "to values, got a string");
    check_config_error(&vcheck_remote,
                       "{\"url\": \"http://x/\", \"headers\": {\"A\": "
                       "\"x\\ny\"}}",
                       "settings: 'headers': the value of 'A' must not "
                       "contain a line break");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ietf),
        cmocka_unit_test(test_words),
        cmocka_unit_test(test_health_report),
        cmocka_unit_test(test_spring_boot),
        cmocka_unit_test(test_avalanche_and_mosparo),
        cmocka_unit_test(test_many_children),
        cmocka_unit_test(test_other_bodies),
        cmocka_unit_test(test_timeout),
        cmocka_unit_test(test_headers),
        cmocka_unit_test(test_vitals_peer),
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
    if (server_stop() != 0)
        return 1;
    return rc;
}
