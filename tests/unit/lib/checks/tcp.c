/* tcp.c - unit tests for the "tcp" check type
 * (lib/checks/tcp.c) against real sockets on loopback. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "checks/check_type.h"
#include "util/clock.h"
#include "engine/result.h"
#include "checktest.h"
#include "config/vnode.h"

extern const vcheck_type_t vcheck_tcp;

static void check_config_ok(const vcheck_type_t *t, const char *json)
{
    verrs_t *e = verrs_new();
    vnode_t *settings = vnode_from_json(json, e);
    void *state;

    assert_non_null(settings);
    state = vcheck_configure(t, settings, NULL, e);
    if (!state)
        fail_msg("configure %s: %s", json, verrs_join(e));
    vcheck_state_free(t, state);
    vnode_free(settings);
    vitals_errors_free(e);
}

static int64_t now_ms(void)
{
    return vclock_mono(&vclock_system) / VCLOCK_MS;
}

/* A TCP socket on a loopback address, port chosen by the kernel; when
 * backlog >= 0 it listens. Returns the fd (and *port), or -1 when the
 * address family is unavailable here. */
static int loopback_socket(int family, int backlog, int *port)
{
    struct sockaddr_storage ss;
    socklen_t len;
    int fd;

    memset(&ss, 0, sizeof(ss));
    if (family == AF_INET6) {
        struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
        a->sin6_family = AF_INET6;
        a->sin6_addr = in6addr_loopback;
        len = sizeof(*a);
    } else {
        struct sockaddr_in *a = (struct sockaddr_in *)&ss;
        a->sin_family = AF_INET;
        a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        len = sizeof(*a);
    }
    fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    if (bind(fd, (struct sockaddr *)&ss, len) != 0 ||
        (backlog >= 0 && listen(fd, backlog) != 0)) {
        close(fd);
        return -1;
    }
    len = sizeof(ss);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&ss, &len), 0);
    *port = ntohs(family == AF_INET6
                      ? ((struct sockaddr_in6 *)&ss)->sin6_port
                      : ((struct sockaddr_in *)&ss)->sin_port);
    return fd;
}

static double data_double(const vitals_result_t *r, const char *key)
{
    json_t *d = json_loads(r->data_json, 0, NULL), *v;
    double x;

    if (!d)
        fail_msg("data_json is not JSON: %s", r->data_json);
    v = json_object_get(d, key);
    if (!json_is_real(v))
        fail_msg("data.%s is not a real: %s", key, r->data_json);
    x = json_real_value(v);
    json_decref(d);
    return x;
}

/* A healthy result: the description says where and how fast, exactly as
 * data.responseTimeMs and the observed value say. */
static void check_connected(const vitals_result_t *r, const char *peer)
{
    char want[256];
    double ms;

    assert_int_equal(r->status, VITALS_HEALTHY);
    assert_null(r->error);
    ms = data_double(r, "responseTimeMs");
    assert_true(ms >= 0 && ms < 5000);
    snprintf(want, sizeof(want), "connected to %s in %.1f ms", peer, ms);
    assert_string_equal(r->description, want);
    assert_true(r->observed_set);
    assert_string_equal(r->measurement, "responseTime");
    assert_string_equal(r->unit, "ms");
    assert_true(r->observed == ms);
}

/* ------------------------------------------------------------------------
 * Runs
 */

static void test_connects_ipv4(void **state)
{
    char json[128], peer[64];
    vitals_result_t *r;
    int port, fd = loopback_socket(AF_INET, 8, &port);
    (void)state;

    assert_true(fd >= 0);
    snprintf(json, sizeof(json), "{\"address\": \"127.0.0.1:%d\"}", port);
    snprintf(peer, sizeof(peer), "127.0.0.1:%d", port);
    r = run_check(&vcheck_tcp, json, 2000);
    check_connected(r, peer);
    vresult_unref(r);
    close(fd);
}

static void test_connects_ipv6(void **state)
{
    char json[128], peer[64];
    vitals_result_t *r;
    int port, fd = loopback_socket(AF_INET6, 8, &port);
    (void)state;

    if (fd < 0)
        skip(); /* no IPv6 on this machine */
    snprintf(json, sizeof(json), "{\"address\": \"[::1]:%d\"}", port);
    snprintf(peer, sizeof(peer), "[::1]:%d", port);
    r = run_check(&vcheck_tcp, json, 2000);
    check_connected(r, peer);
    vresult_unref(r);
    close(fd);
}

/* A name goes through the resolver (in its thread); "localhost" may give
 * ::1 first, which refuses, and then 127.0.0.1. */
static void test_connects_by_name(void **state)
{
    char json[128], peer[64];
    vitals_result_t *r;
    int port, fd = loopback_socket(AF_INET, 8, &port);
    (void)state;

    assert_true(fd >= 0);
    snprintf(json, sizeof(json), "{\"address\": \"localhost:%d\"}", port);
    snprintf(peer, sizeof(peer), "127.0.0.1:%d", port);
    r = run_check(&vcheck_tcp, json, 2000);
    check_connected(r, peer);
    vresult_unref(r);
    close(fd);
}

/* A port bound but not listening answers with a reset. */
static void test_refused(void **state)
{
    char json[128], want[128];
    vitals_result_t *r;
    int port, fd = loopback_socket(AF_INET, -1, &port);
    (void)state;

    assert_true(fd >= 0);
    snprintf(json, sizeof(json), "{\"address\": \"127.0.0.1:%d\"}", port);
    snprintf(want, sizeof(want),
             "cannot connect to 127.0.0.1:%d: Connection refused", port);
    r = run_check(&vcheck_tcp, json, 2000);
    assert_int_equal(r->status, VITALS_UNHEALTHY);
    assert_string_equal(r->error, want);
    assert_null(r->description);
    assert_string_equal(r->data_json, "{}");
    assert_false(r->observed_set);
    vresult_unref(r);
    close(fd);
}

/* Fills the accept queue of a listener that never accepts, so that the
 * next handshake hangs (Linux drops the SYN). Returns how many client
 * sockets it opened into fds; the last one is still connecting. */
static int fill_backlog(int port, int *fds, int max)
{
    struct sockaddr_in a;
    struct pollfd p;
    int n;

    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons((uint16_t)port);
    for (n = 0; n < max; n++) {
        fds[n] = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
        assert_true(fds[n] >= 0);
        if (connect(fds[n], (struct sockaddr *)&a, sizeof(a)) != 0)
            assert_int_equal(errno, EINPROGRESS);
        p.fd = fds[n];
        p.events = POLLOUT;
        /* Waits on the real handshake; a hanging one means full. */
        if (poll(&p, 1, 100) == 0)
            return n + 1;
    }
    fail_msg("the accept queue never filled");
    return max;
}

static void test_timeout(void **state)
{
    char json[128], want[128];
    vitals_result_t *r;
    int port, fds[64], n, i, budget = -1, fd;
    int64_t start, took;
    (void)state;

    fd = loopback_socket(AF_INET, 0, &port);
    assert_true(fd >= 0);
    n = fill_backlog(port, fds, 64);
    snprintf(json, sizeof(json), "{\"address\": \"127.0.0.1:%d\"}", port);

    start = now_ms();
    r = run_check(&vcheck_tcp, json, 300);
    took = now_ms() - start;

    assert_int_equal(r->status, VITALS_UNHEALTHY);
    assert_non_null(r->error);
    /* The budget is what was left when the run began: 300 ms or a hair
     * less. */
    assert_int_equal(sscanf(r->error, "cannot connect to 127.0.0.1:%*d: "
                                      "timed out after %d ms",
                            &budget),
                     1);
    assert_true(budget >= 250 && budget <= 300);
    snprintf(want, sizeof(want),
             "cannot connect to 127.0.0.1:%d: timed out after %d ms", port,
             budget);
    assert_string_equal(r->error, want);
    /* It gave up at the deadline, not at the kernel's SYN retry. */
    assert_true(took >= 250 && took < 900);
    vresult_unref(r);
    for (i = 0; i < n; i++)
        close(fds[i]);
    close(fd);
}

/* A name the resolver refuses without asking any server (an empty label),
 * so that the test gives the same answer on any network; it still goes
 * through the resolver thread. */
static void test_cannot_resolve(void **state)
{
    vitals_result_t *r;
    (void)state;

    r = run_check(&vcheck_tcp, "{\"address\": \"nope..invalid:80\"}", 5000);
    assert_int_equal(r->status, VITALS_UNHEALTHY);
    assert_string_equal(r->error,
                        "cannot resolve nope..invalid: Name or service not "
                        "known");
    assert_null(r->description);
    assert_string_equal(r->data_json, "{}");
    vresult_unref(r);
}

/* ------------------------------------------------------------------------
 * Configuration
 */

static void check_bad_address(const char *address)
{
    char json[256], want[256];

    snprintf(json, sizeof(json), "{\"address\": \"%s\"}", address);
    snprintf(want, sizeof(want),
             "settings: 'address': expected host:port, got \"%s\"", address);
    check_config_error(&vcheck_tcp, json, want);
}

static void test_config_errors(void **state)
{
    static const char *const bad[] = {
        "x",         "host:0",     "host:65536", "host:",
        ":80",       "::1:80",     "[::1]80",    "[]:80",
        "host:8a",   "host:123456", "[localhost]:80", "[::1]:",
        "host:-1",   "host:+80",   "a b:80",     "[::1:80",
        "host:80:",  "http://host:80",
    };
    size_t i;
    (void)state;

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        check_bad_address(bad[i]);
    check_config_error(&vcheck_tcp, "{}",
                       "settings: missing required key 'address'");
    check_config_error(&vcheck_tcp, "{\"address\": [\"a:1\"]}",
                       "settings: 'address': expected a string, got a list");
}

static void test_config_accepts(void **state)
{
    (void)state;
    check_config_ok(&vcheck_tcp, "{\"address\": \"127.0.0.1:5432\"}");
    check_config_ok(&vcheck_tcp, "{\"address\": \"[::1]:80\"}");
    check_config_ok(&vcheck_tcp, "{\"address\": \"[fe80::1%eth0]:22\"}");
    check_config_ok(&vcheck_tcp, "{\"address\": \"db.example.com:1\"}");
    check_config_ok(&vcheck_tcp, "{\"address\": \"redis:65535\"}");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_connects_ipv4),
        cmocka_unit_test(test_connects_ipv6),
        cmocka_unit_test(test_connects_by_name),
        cmocka_unit_test(test_refused),
        cmocka_unit_test(test_timeout),
        cmocka_unit_test(test_cannot_resolve),
        cmocka_unit_test(test_config_errors),
        cmocka_unit_test(test_config_accepts),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
