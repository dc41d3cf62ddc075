/* ratelimit.c - the per-client token bucket with an injected clock (no
 * sleeps): bursts, refill, Retry-After, who counts as one client (IPv4,
 * mapped IPv6, IPv6 /64, non-IP), the bounded table and whom it forgets,
 * many threads at once, and the rate_limit settings with their errors. */
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
#include <pthread.h>
#include <sys/un.h>

#include <cmocka.h>

#include "config/yaml.h"
#include "access/ratelimit.h"

#define MS 1000000LL
#define S 1000000000LL
/* An arbitrary monotonic start, far from 0 so that "never seen" bugs and
 * negative times would show. */
#define T0 (1000 * S)

/* A client address from text, as accept() gives it. */
static struct sockaddr_storage client(const char *ip)
{
    struct sockaddr_storage ss;

    memset(&ss, 0, sizeof(ss));
    if (strchr(ip, ':') == NULL) {
        struct sockaddr_in *in = (struct sockaddr_in *)&ss;

        in->sin_family = AF_INET;
        in->sin_port = htons(40000);
        assert_int_equal(inet_pton(AF_INET, ip, &in->sin_addr), 1);
    } else {
        struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;

        in6->sin6_family = AF_INET6;
        in6->sin6_port = htons(40001);
        assert_int_equal(inet_pton(AF_INET6, ip, &in6->sin6_addr), 1);
    }
    return ss;
}

/* One request from ip at t; returns 1 allowed, 0 limited (*retry set). */
static int take(vratelimit_t *rl, const char *ip, int64_t t, int *retry)
{
    struct sockaddr_storage ss = client(ip);

    return vratelimit_take(rl, (const struct sockaddr *)&ss, t, retry);
}

/* How many of n requests from ip at t are allowed. */
static int take_n(vratelimit_t *rl, const char *ip, int64_t t, int n)
{
    int ok = 0;

    for (int i = 0; i < n; i++)
        ok += take(rl, ip, t, NULL);
    return ok;
}

static void test_burst_then_limited(void **state)
{
    vratelimit_t *rl = vratelimit_new(20, 40);
    int retry = -1;

    (void)state;
    assert_non_null(rl);
    assert_int_equal(take_n(rl, "10.0.0.1", T0, 40), 40);
    assert_int_equal(take(rl, "10.0.0.1", T0, &retry), 0);
    assert_int_equal(retry, 1);
    /* Limited requests take nothing: still limited, still 1 s. */
    retry = -1;
    assert_int_equal(take(rl, "10.0.0.1", T0 + 10 * MS, &retry), 0);
    assert_int_equal(retry, 1);
    /* Another client has its own bucket. */
    assert_int_equal(take_n(rl, "10.0.0.2", T0, 41), 40);
    vratelimit_free(rl);
}

static void test_refill(void **state)
{
    vratelimit_t *rl = vratelimit_new(20, 40);

    (void)state;
    assert_int_equal(take_n(rl, "10.0.0.1", T0, 40), 40);
    /* One token per 50 ms. */
    assert_int_equal(take(rl, "10.0.0.1", T0 + 49 * MS, NULL), 0);
    assert_int_equal(take(rl, "10.0.0.1", T0 + 50 * MS, NULL), 1);
    assert_int_equal(take(rl, "10.0.0.1", T0 + 50 * MS, NULL), 0);
    assert_int_equal(take(rl, "10.0.0.1", T0 + 99 * MS, NULL), 0);
    assert_int_equal(take(rl, "10.0.0.1", T0 + 100 * MS, NULL), 1);
    /* A second later: 20 more, not 21. */
    assert_int_equal(take_n(rl, "10.0.0.1", T0 + 1100 * MS, 25), 20);
    /* Idle for an hour: the bucket holds the burst, no more. */
    assert_int_equal(take_n(rl, "10.0.0.1", T0 + 3600 * S, 50), 40);
    /* A steady 20/s is never limited. */
    for (int i = 1; i <= 200; i++)
        assert_int_equal(take(rl, "10.0.0.9", T0 + i * 50 * MS, NULL), 1);
    /* A clock that goes back refills nothing and breaks nothing. */
    assert_int_equal(take_n(rl, "10.0.0.1", T0 + 3599 * S, 5), 0);
    assert_int_equal(take(rl, "10.0.0.1", T0 + 3600 * S + 50 * MS, NULL), 1);
    vratelimit_free(rl);
}

static void test_retry_after(void **state)
{
    vratelimit_t *rl = vratelimit_new(0.5, 1); /* one per 2 s */
    int retry = 0;

    (void)state;
    assert_int_equal(take(rl, "192.0.2.1", T0, &retry), 1);
    assert_int_equal(retry, 0); /* untouched when allowed */
    assert_int_equal(take(rl, "192.0.2.1", T0, &retry), 0);
    assert_int_equal(retry, 2);
    assert_int_equal(take(rl, "192.0.2.1", T0 + 1 * S, &retry), 0);
    assert_int_equal(retry, 1);
    /* 0.5 s to go: rounded up, never 0. */
    assert_int_equal(take(rl, "192.0.2.1", T0 + 1500 * MS, &retry), 0);
    assert_int_equal(retry, 1);
    assert_int_equal(take(rl, "192.0.2.1", T0 + 1999 * MS, &retry), 0);
    assert_int_equal(retry, 1);
    assert_int_equal(take(rl, "192.0.2.1", T0 + 2 * S, &retry), 1);
    /* NULL retry_after is fine. */
    assert_int_equal(take(rl, "192.0.2.1", T0 + 2 * S, NULL), 0);
    vratelimit_free(rl);

    /* One per 10 s, bursts of 3: the fourth waits the full 10 s. */
    rl = vratelimit_new(0.1, 3);
    assert_int_equal(take_n(rl, "192.0.2.1", T0, 3), 3);
    assert_int_equal(take(rl, "192.0.2.1", T0, &retry), 0);
    assert_int_equal(retry, 10);
    assert_int_equal(take(rl, "192.0.2.1", T0 + 2500 * MS, &retry), 0);
    assert_int_equal(retry, 8); /* 7.5 s rounded up */
    vratelimit_free(rl);

    /* Fast rates: the wait is a fraction of a second, still 1. */
    rl = vratelimit_new(1000, 1);
    assert_int_equal(take(rl, "192.0.2.1", T0, &retry), 1);
    assert_int_equal(take(rl, "192.0.2.1", T0, &retry), 0);
    assert_int_equal(retry, 1);
    assert_int_equal(take(rl, "192.0.2.1", T0 + 1 * MS, &retry), 1);
    vratelimit_free(rl);
}

static void test_who_is_a_client(void **state)
{
    vratelimit_t *rl = vratelimit_new(1, 2);
    struct sockaddr_un un;

    (void)state;
    /* An IPv4-mapped IPv6 peer is the IPv4 client. */
    assert_int_equal(take(rl, "203.0.113.7", T0, NULL), 1);
    assert_int_equal(take(rl, "::ffff:203.0.113.7", T0, NULL), 1);
    assert_int_equal(take(rl, "203.0.113.7", T0, NULL), 0);
    assert_int_equal(take(rl, "::FFFF:cb00:7107", T0, NULL), 0);
    /* ...but ::203.0.113.7 (IPv4-compatible) is an IPv6 client. */
    assert_int_equal(take_n(rl, "::203.0.113.7", T0, 2), 2);
    /* An IPv6 client is its /64. */
    assert_int_equal(take(rl, "2001:db8:1:2::1", T0, NULL), 1);
    assert_int_equal(take(rl, "2001:db8:1:2:ffff:ffff:ffff:ffff", T0, NULL),
                     1);
    assert_int_equal(take(rl, "2001:db8:1:2::99", T0, NULL), 0);
    assert_int_equal(take_n(rl, "2001:db8:1:3::1", T0, 3), 2);
    /* Neighbouring IPv4 addresses are separate clients. */
    assert_int_equal(take_n(rl, "203.0.113.8", T0, 3), 2);
    /* No address, or not an IP one: one shared client. */
    memset(&un, 0, sizeof(un));
    un.sun_family = AF_UNIX;
    assert_int_equal(vratelimit_take(rl, NULL, T0, NULL), 1);
    assert_int_equal(vratelimit_take(rl, (struct sockaddr *)&un, T0, NULL),
                     1);
    assert_int_equal(vratelimit_take(rl, NULL, T0, NULL), 0);
    assert_int_equal(vratelimit_clients(rl), 6);
    vratelimit_free(rl);
}

static void test_many_clients(void **state)
{
    vratelimit_t *rl = vratelimit_new(1, 3);
    char ip[32];

    (void)state;
    /* 5000 clients: each gets its own burst, none is refused its first
     * request. */
    for (int i = 0; i < 5000; i++) {
        snprintf(ip, sizeof(ip), "10.%d.%d.%d", i >> 16, (i >> 8) & 255,
                 i & 255);
        assert_int_equal(take_n(rl, ip, T0 + i, 4), 3);
    }
    assert_int_equal(vratelimit_clients(rl), 5000);
    /* And they are remembered: all still limited. */
    for (int i = 0; i < 5000; i++) {
        snprintf(ip, sizeof(ip), "10.%d.%d.%d", i >> 16, (i >> 8) & 255,
                 i & 255);
        assert_int_equal(take(rl, ip, T0 + 5000 + i, NULL), 0);
    }
    vratelimit_free(rl);
}

static void test_bounded_table(void **state)
{
    vratelimit_t *rl = vratelimit_new(1, 1);
    char ip[32];

    (void)state;
    /* More clients than the table holds: it never grows past its
     * capacity, and a new client is never refused. */
    for (int i = 0; i < VRATELIMIT_MAX_CLIENTS + 20000; i++) {
        snprintf(ip, sizeof(ip), "10.%d.%d.%d", i >> 16, (i >> 8) & 255,
                 i & 255);
        assert_int_equal(take(rl, ip, T0 + i, NULL), 1);
    }
    assert_true(vratelimit_clients(rl) <= VRATELIMIT_MAX_CLIENTS);
    /* Nearly full: a set-associative table fills unevenly. */
    assert_true(vratelimit_clients(rl) > VRATELIMIT_MAX_CLIENTS * 9 / 10);
    vratelimit_free(rl);
}

/* Capacity 8 is one hash set: whom a new client replaces is visible. */
static void test_evicts_least_recently_seen(void **state)
{
    vratelimit_t *rl = vratelimit_new_capacity(1, 1, 8);
    char ip[32];

    (void)state;
    for (int i = 0; i < 8; i++) {
        snprintf(ip, sizeof(ip), "10.0.0.%d", i);
        assert_int_equal(take(rl, ip, T0 + i * MS, NULL), 1);
    }
    assert_int_equal(vratelimit_clients(rl), 8);
    /* Nobody's bucket is full again yet: the client seen longest ago
     * (10.0.0.0) makes room. */
    assert_int_equal(take(rl, "10.0.0.100", T0 + 10 * MS, NULL), 1);
    assert_int_equal(vratelimit_clients(rl), 8);
    /* 10.0.0.1 is still known and still limited... */
    assert_int_equal(take(rl, "10.0.0.1", T0 + 11 * MS, NULL), 0);
    /* ...10.0.0.0 was forgotten: a fresh bucket (pushing out 10.0.0.2,
     * now the least recently seen). */
    assert_int_equal(take(rl, "10.0.0.0", T0 + 12 * MS, NULL), 1);
    assert_int_equal(take(rl, "10.0.0.3", T0 + 13 * MS, NULL), 0);
    assert_int_equal(take(rl, "10.0.0.2", T0 + 14 * MS, NULL), 1);
    assert_int_equal(vratelimit_clients(rl), 8);
    vratelimit_free(rl);
}

static void test_evicts_full_buckets_first(void **state)
{
    vratelimit_t *rl = vratelimit_new_capacity(1, 1, 8);
    char ip[32];

    (void)state;
    /* A at 0 ms (full again at 1 s), B..H at 100..700 ms (full again at
     * 1.1..1.7 s); A comes back at 800 ms and is refused, so A is the
     * most recently seen, B the least. */
    assert_int_equal(take(rl, "10.0.0.10", T0, NULL), 1);
    for (int i = 1; i < 8; i++) {
        snprintf(ip, sizeof(ip), "10.0.0.%d", 10 + i);
        assert_int_equal(take(rl, ip, T0 + i * 100 * MS, NULL), 1);
    }
    assert_int_equal(take(rl, "10.0.0.10", T0 + 800 * MS, NULL), 0);
    /* At 1.05 s only A's bucket is full: forgetting A loses nothing, so
     * A goes, not B. */
    assert_int_equal(take(rl, "10.0.0.99", T0 + 1050 * MS, NULL), 1);
    assert_int_equal(take(rl, "10.0.0.11", T0 + 1060 * MS, NULL), 0);
    assert_int_equal(vratelimit_clients(rl), 8);
    vratelimit_free(rl);
}

typedef struct hammer {
    vratelimit_t *rl;
    int allowed;
} hammer_t;

static void *hammer_main(void *arg)
{
    hammer_t *h = arg;
    struct sockaddr_storage ss = client("198.51.100.1");

    for (int i = 0; i < 2000; i++)
        h->allowed += vratelimit_take(h->rl, (const struct sockaddr *)&ss,
                                      T0, NULL);
    return NULL;
}

static void test_threads(void **state)
{
    vratelimit_t *rl = vratelimit_new(20, 40);
    hammer_t h[4];
    pthread_t t[4];
    int total = 0;

    (void)state;
    for (int i = 0; i < 4; i++) {
        h[i].rl = rl;
        h[i].allowed = 0;
        assert_int_equal(pthread_create(&t[i], NULL, hammer_main, &h[i]), 0);
    }
    for (int i = 0; i < 4; i++) {
        assert_int_equal(pthread_join(t[i], NULL), 0);
        total += h[i].allowed;
    }
    /* Exactly the burst, however the 8000 requests interleaved. */
    assert_int_equal(total, 40);
    vratelimit_free(rl);
}

static void test_new_arguments(void **state)
{
    vratelimit_t *rl;

    (void)state;
    errno = 0;
    assert_null(vratelimit_new(0, 10));
    assert_int_equal(errno, EINVAL);
    assert_null(vratelimit_new(-1, 10));
    assert_null(vratelimit_new(10, 0.5));
    assert_null(vratelimit_new(0.0001, 1));
    assert_null(vratelimit_new(1, 2e6));
    assert_null(vratelimit_new(0.0 / 0.0, 1));
    assert_null(vratelimit_new(1, 0.0 / 0.0));
    /* The extremes that are allowed work. */
    rl = vratelimit_new(VRATELIMIT_MIN_PER_SECOND, VRATELIMIT_MAX_BURST);
    assert_non_null(rl);
    assert_int_equal(take(rl, "10.0.0.1", T0, NULL), 1);
    vratelimit_free(rl);
    rl = vratelimit_new(VRATELIMIT_MAX_PER_SECOND, 1);
    assert_non_null(rl);
    assert_int_equal(take_n(rl, "10.0.0.1", T0, 2), 1);
    assert_int_equal(take(rl, "10.0.0.1", T0 + 1, NULL), 1);
    vratelimit_free(rl);
    vratelimit_free(NULL);
}

/* Configures from YAML text "rate_limit: ..." (positions in "t.yaml"). */
static vratelimit_t *configure(const char *yaml, verrs_t *e,
                               vnode_t **root)
{
    *root = vyaml_load_string(yaml, strlen(yaml), "t.yaml", e);
    assert_non_null(*root);
    assert_int_equal(e->n, 0);
    return vratelimit_configure(vnode_get(*root, "rate_limit"), e);
}

static void expect_config_error(const char *yaml, const char *want)
{
    verrs_t *e = verrs_new();
    vnode_t *root = NULL;
    char *got;

    assert_null(configure(yaml, e, &root));
    got = verrs_join(e);
    assert_non_null(got);
    assert_string_equal(got, want);
    free(got);
    vnode_free(root);
    vitals_errors_free(e);
}

static void test_configure(void **state)
{
    verrs_t *e = verrs_new();
    vnode_t *root = NULL;
    vratelimit_t *rl;

    (void)state;
    rl = configure("rate_limit: {per_second: 20, burst: 40}\n", e, &root);
    assert_non_null(rl);
    assert_int_equal(e->n, 0);
    assert_int_equal(take_n(rl, "10.0.0.1", T0, 41), 40);
    vratelimit_free(rl);
    vnode_free(root);

    /* burst defaults to per_second, rounded up. */
    rl = configure("rate_limit:\n  per_second: 2.5\n", e, &root);
    assert_non_null(rl);
    assert_int_equal(take_n(rl, "10.0.0.1", T0, 5), 3);
    vratelimit_free(rl);
    vnode_free(root);
    rl = configure("rate_limit: {per_second: 0.2}\n", e, &root);
    assert_non_null(rl);
    assert_int_equal(take_n(rl, "10.0.0.1", T0, 5), 1);
    vratelimit_free(rl);
    vnode_free(root);
    vitals_errors_free(e);

    expect_config_error("rate_limit: {burst: 40}\n",
                        "t.yaml:1:13: 'rate_limit': needs per_second "
                        "(requests per second per client)");
    expect_config_error("rate_limit: {per_second: 0, burst: 40}\n",
                        "t.yaml:1:26: 'per_second': expected a number "
                        "greater than 0, got 0");
    expect_config_error("rate_limit:\n  per_second: -5\n",
                        "t.yaml:2:15: 'per_second': expected a number "
                        "greater than 0, got -5");
    expect_config_error("rate_limit:\n  per_second: 0.0001\n",
                        "t.yaml:2:15: 'per_second': expected a number "
                        "between 0.001 and 1e+09, got 0.0001");
    expect_config_error("rate_limit:\n  per_second: fast\n",
                        "t.yaml:2:15: 'per_second': expected a number, got "
                        "\"fast\"");
    expect_config_error("rate_limit:\n  per_second: 20\n  burst: 0.5\n",
                        "t.yaml:3:10: 'burst': expected a number between 1 "
                        "and 1e+06, got 0.5");
    expect_config_error("rate_limit:\n  per_second: 20\n  burst: \"40\"\n",
                        "t.yaml:3:10: 'burst': expected a number, got the "
                        "string \"40\"");
    expect_config_error("rate_limit: [20, 40]\n",
                        "t.yaml:1:13: 'rate_limit': expected a map such as "
                        "{per_second: 20, burst: 40}");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_burst_then_limited),
        cmocka_unit_test(test_refill),
        cmocka_unit_test(test_retry_after),
        cmocka_unit_test(test_who_is_a_client),
        cmocka_unit_test(test_many_clients),
        cmocka_unit_test(test_bounded_table),
        cmocka_unit_test(test_evicts_least_recently_seen),
        cmocka_unit_test(test_evicts_full_buckets_first),
        cmocka_unit_test(test_threads),
        cmocka_unit_test(test_new_arguments),
        cmocka_unit_test(test_configure),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
