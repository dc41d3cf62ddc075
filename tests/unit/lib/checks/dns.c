/* dns.c - unit tests for the "dns" check type (lib/checks/dns.c)
 * and the resolver it shares with tcp (lib/util/resolve.c).
 *
 * No test sends a query to a DNS server: they use names /etc/hosts answers,
 * literal addresses, a name glibc rejects before asking anyone, and a
 * stand-in for getaddrinfo (vresolve_getaddrinfo) for hangs and answers no
 * hosts file can give. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <netdb.h>
#include <pthread.h>
#include <sys/socket.h>

#include <cmocka.h>
#include <jansson.h>

#include "checks/check_type.h"
#include "util/resolve.h"
#include "checktest.h"
#include "util/clock.h"
#include "engine/result.h"
#include "config/vnode.h"

extern const vcheck_type_t vcheck_dns;

static int64_t now_ms(void)
{
    return vclock_mono(&vclock_system) / VCLOCK_MS;
}

static void check_config_ok(const char *json)
{
    verrs_t *e = verrs_new();
    vnode_t *settings = vnode_from_json(json, e);
    void *state;
    char *msg;

    assert_non_null(settings);
    state = vcheck_configure(&vcheck_dns, settings, NULL, e);
    if (!state) {
        msg = verrs_join(e);
        fail_msg("configure %s: %s", json, msg ? msg : "(no error)");
    }
    vcheck_state_free(&vcheck_dns, state);
    vnode_free(settings);
    vitals_errors_free(e);
}

/* The addresses of name in family as the system resolver gives them,
 * deduplicated, as a JSON array. Only for names in /etc/hosts. */
static json_t *system_addresses(const char *name, int family)
{
    struct addrinfo hints, *res, *ai;
    char host[NI_MAXHOST];
    json_t *list = json_array(), *s;
    size_t i;
    int dup;

    memset(&hints, 0, sizeof(hints));
    hints.ai_family = family;
    hints.ai_socktype = SOCK_STREAM;
    assert_int_equal(getaddrinfo(name, NULL, &hints, &res), 0);
    for (ai = res; ai; ai = ai->ai_next) {
        assert_int_equal(getnameinfo(ai->ai_addr, ai->ai_addrlen, host,
                                     sizeof(host), NULL, 0, NI_NUMERICHOST),
                         0);
        dup = 0;
        json_array_foreach(list, i, s) {
            dup |= strcmp(json_string_value(s), host) == 0;
        }
        if (!dup)
            json_array_append_new(list, json_string(host));
    }
    freeaddrinfo(res);
    return list;
}

/* Whether /etc/hosts maps name to an address of family, so that the
 * resolver answers from the file and never asks a server. */
static int hosts_has(const char *name, int family)
{
    FILE *f = fopen("/etc/hosts", "r");
    char line[1024], *tok, *save, *hash;
    unsigned char buf[sizeof(struct in6_addr)];
    int found = 0;

    if (!f)
        return 0;
    while (!found && fgets(line, sizeof(line), f)) {
        if ((hash = strchr(line, '#')))
            *hash = '\0';
        tok = strtok_r(line, " \t\r\n", &save);
        if (!tok || inet_pton(family, tok, buf) != 1)
            continue;
        while (!found && (tok = strtok_r(NULL, " \t\r\n", &save)))
            found = strcmp(tok, name) == 0;
    }
    fclose(f);
    return found;
}

/* A healthy result for name: data.addresses is want (at most four), and
 * the description names them and the time data.responseTimeMs gives. */
static void check_resolved(const vitals_result_t *r, const char *name,
                           const char *type, json_t *want)
{
    json_t *d = data_of(r), *ms, *s;
    char shown[256] = "", wanted[512], *text;
    size_t i;

    assert_int_equal(r->status, VITALS_HEALTHY);
    assert_null(r->error);
    assert_int_equal(json_object_size(d), 2);
    if (!json_equal(json_object_get(d, "addresses"), want)) {
        text = json_dumps(want, JSON_COMPACT);
        fail_msg("addresses: got %s, want %s", r->data_json, text);
    }
    ms = json_object_get(d, "responseTimeMs");
    assert_true(json_is_real(ms));
    assert_true(json_real_value(ms) >= 0 && json_real_value(ms) < 5000);
    assert_true(json_array_size(want) >= 1 && json_array_size(want) <= 4);
    json_array_foreach(want, i, s) {
        if (i > 0)
            strcat(shown, ", ");
        strcat(shown, json_string_value(s));
    }
    snprintf(wanted, sizeof(wanted), "%s resolved to %s (%s) in %.1f ms",
             name, shown, type, json_real_value(ms));
    assert_string_equal(r->description, wanted);
    assert_true(r->observed_set);
    assert_string_equal(r->measurement, "responseTime");
    assert_string_equal(r->unit, "ms");
    assert_true(r->observed == json_real_value(ms));
    json_decref(d);
}

static void check_failed(const char *json, const char *want)
{
    vitals_result_t *r = run_check(&vcheck_dns, json, 5000);

    assert_int_equal(r->status, VITALS_UNHEALTHY);
    assert_string_equal(r->error, want);
    assert_null(r->description);
    assert_string_equal(r->data_json, "{}");
    assert_false(r->observed_set);
    vresult_unref(r);
}

/* ------------------------------------------------------------------------
 * Names the machine answers itself
 */

/* "localhost" through the resolver thread, answered by /etc/hosts. */
static void test_localhost_a(void **state)
{
    vitals_result_t *r;
    json_t *want;
    (void)state;

    if (!hosts_has("localhost", AF_INET)) {
        print_message("skipped: /etc/hosts has no IPv4 localhost\n");
        skip();
    }
    want = system_addresses("localhost", AF_INET);
    r = run_check(&vcheck_dns, "{\"name\": \"localhost\"}", 5000);
    /* The record defaults to A. */
    check_resolved(r, "localhost", "A", want);
    json_decref(want);
    vresult_unref(r);
}

/* AAAA only where the hosts file has an IPv6 loopback name: anywhere else
 * glibc would ask the DNS server, which these tests never do. */
static void test_localhost_aaaa(void **state)
{
    static const char *const names[] = {"localhost", "ip6-localhost",
                                        "ip6-loopback"};
    vitals_result_t *r;
    json_t *want;
    char json[128];
    size_t i;
    (void)state;

    for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        if (hosts_has(names[i], AF_INET6))
            break;
    }
    if (i == sizeof(names) / sizeof(names[0])) {
        print_message("skipped: /etc/hosts maps none of localhost, "
                      "ip6-localhost, ip6-loopback to an IPv6 address\n");
        skip();
    }
    want = system_addresses(names[i], AF_INET6);
    snprintf(json, sizeof(json), "{\"name\": \"%s\", \"record\": \"AAAA\"}",
             names[i]);
    r = run_check(&vcheck_dns, json, 5000);
    check_resolved(r, names[i], "AAAA", want);
    json_decref(want);
    vresult_unref(r);
}

/* A literal is its own answer, without a thread. */
static void test_literals(void **state)
{
    vitals_result_t *r;
    json_t *want;
    (void)state;

    want = json_pack("[s]", "127.0.0.1");
    r = run_check(&vcheck_dns, "{\"name\": \"127.0.0.1\"}", 5000);
    check_resolved(r, "127.0.0.1", "A", want);
    vresult_unref(r);
    json_decref(want);

    want = json_pack("[s]", "::1");
    r = run_check(&vcheck_dns, "{\"name\": \"::1\", \"record\": \"aaaa\"}",
                  5000);
    check_resolved(r, "::1", "AAAA", want);
    vresult_unref(r);
    json_decref(want);
}

/* A literal of the other family: the "name" has no record of the type. */
static void test_no_record_literal(void **state)
{
    (void)state;
    check_failed("{\"name\": \"::1\", \"record\": \"A\"}", "no A record for ::1");
    check_failed("{\"name\": \"127.0.0.1\", \"record\": \"AAAA\"}",
                 "no AAAA record for 127.0.0.1");
}

/* An empty label: glibc refuses it before asking any server. */
static void test_cannot_resolve(void **state)
{
    (void)state;
    check_failed("{\"name\": \"nope..invalid\"}",
                 "cannot resolve nope..invalid: Name or service not known");
    check_failed("{\"name\": \"nope..invalid\", \"record\": \"AAAA\"}",
                 "cannot resolve nope..invalid: Name or service not known");
}

/* ------------------------------------------------------------------------
 * A stand-in resolver: answers no hosts file gives, and a hang
 */

static struct {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int answer;   /* what the fake returns */
    int hang;     /* wait for release first */
    int released; /* the test let it return */
    int returned; /* it did */
    int calls;
    int family;                /* of the last call */
    const char *const *answers; /* literals to answer with, NULL-ended */
} fake = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, 0, 0, 0, 0,
          0, NULL};

/* The literals as one getaddrinfo list: glibc's freeaddrinfo frees node by
 * node, so lists of single literals can be chained. */
static struct addrinfo *literal_list(const char *const *lits)
{
    struct addrinfo hints, *head = NULL, **tail = &head, *one;

    memset(&hints, 0, sizeof(hints));
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_NUMERICHOST;
    for (; *lits; lits++) {
        assert_int_equal(getaddrinfo(*lits, NULL, &hints, &one), 0);
        *tail = one;
        while (*tail)
            tail = &(*tail)->ai_next;
    }
    return head;
}

static int fake_getaddrinfo(const char *host, const char *port,
                            const struct addrinfo *hints,
                            struct addrinfo **res)
{
    int answer;
    (void)host;
    (void)port;

    pthread_mutex_lock(&fake.mu);
    fake.calls++;
    fake.family = hints->ai_family;
    while (fake.hang && !fake.released)
        pthread_cond_wait(&fake.cv, &fake.mu);
    answer = fake.answer;
    if (answer == 0)
        *res = literal_list(fake.answers);
    fake.returned = 1;
    pthread_cond_broadcast(&fake.cv);
    pthread_mutex_unlock(&fake.mu);
    return answer;
}

static void fake_install(int answer, int hang,
                         const char *const *answers)
{
    pthread_mutex_lock(&fake.mu);
    fake.answers = answers;
    fake.answer = answer;
    fake.hang = hang;
    fake.released = fake.returned = fake.calls = 0;
    fake.family = -1;
    pthread_mutex_unlock(&fake.mu);
    vresolve_getaddrinfo = fake_getaddrinfo;
}

/* Lets a hanging fake return and waits until it has, so that no thread
 * is inside it when the real getaddrinfo comes back. */
static void fake_remove(void)
{
    pthread_mutex_lock(&fake.mu);
    fake.released = 1;
    pthread_cond_broadcast(&fake.cv);
    while (fake.calls > 0 && !fake.returned)
        pthread_cond_wait(&fake.cv, &fake.mu);
    pthread_mutex_unlock(&fake.mu);
    vresolve_getaddrinfo = getaddrinfo;
}

/* A resolver that never answers: the check gives up at its deadline,
 * leaving the lookup to finish on its own. */
static void test_timeout(void **state)
{
    vitals_result_t *r;
    int64_t start, took;
    int budget = -1;
    char want[128];
    (void)state;

    fake_install(EAI_AGAIN, 1, NULL);
    start = now_ms();
    r = run_check(&vcheck_dns, "{\"name\": \"slow.test\"}", 300);
    took = now_ms() - start;
    fake_remove();

    assert_int_equal(r->status, VITALS_UNHEALTHY);
    assert_non_null(r->error);
    /* The budget is what was left when the run began: 300 ms or a hair
     * less. */
    assert_int_equal(sscanf(r->error,
                            "cannot resolve slow.test: timed out after %d ms",
                            &budget),
                     1);
    assert_true(budget >= 250 && budget <= 300);
    snprintf(want, sizeof(want),
             "cannot resolve slow.test: timed out after %d ms", budget);
    assert_string_equal(r->error, want);
    assert_true(took >= 250 && took < 900);
    assert_string_equal(r->data_json, "{}");
    vresult_unref(r);
}

/* A name that exists without an address of the family (EAI_NODATA), and
 * a server that fails (EAI_AGAIN). */
static void test_resolver_answers(void **state)
{
    (void)state;

    fake_install(EAI_NODATA, 0, NULL);
    check_failed("{\"name\": \"v6only.test\"}", "no A record for v6only.test");
    assert_int_equal(fake.family, AF_INET);
    fake_remove();

    fake_install(EAI_NODATA, 0, NULL);
    check_failed("{\"name\": \"v4only.test\", \"record\": \"AAAA\"}",
                 "no AAAA record for v4only.test");
    assert_int_equal(fake.family, AF_INET6);
    fake_remove();

    fake_install(EAI_AGAIN, 0, NULL);
    check_failed("{\"name\": \"down.test\"}",
                 "cannot resolve down.test: Temporary failure in name "
                 "resolution");
    fake_remove();
}

/* Many addresses: each once, in the resolver's order; the description
 * names four. */
static void test_many_addresses(void **state)
{
    static const char *const answers[] = {
        "192.0.2.1", "192.0.2.2", "192.0.2.1", "192.0.2.3",
        "192.0.2.4", "192.0.2.5", "192.0.2.6", NULL};
    vitals_result_t *r;
    json_t *d, *want;
    char text[256];
    double ms;
    (void)state;

    fake_install(0, 0, answers);
    r = run_check(&vcheck_dns, "{\"name\": \"pool.test\"}", 5000);
    fake_remove();
    assert_int_equal(r->status, VITALS_HEALTHY);
    d = data_of(r);
    want = json_pack("[ssssss]", "192.0.2.1", "192.0.2.2", "192.0.2.3",
                     "192.0.2.4", "192.0.2.5", "192.0.2.6");
    assert_true(json_equal(json_object_get(d, "addresses"), want));
    ms = json_real_value(json_object_get(d, "responseTimeMs"));
    snprintf(text, sizeof(text),
             "pool.test resolved to 192.0.2.1, 192.0.2.2, 192.0.2.3, "
             "192.0.2.4 and 2 more (A) in %.1f ms",
             ms);
    assert_string_equal(r->description, text);
    json_decref(want);
    json_decref(d);
    vresult_unref(r);
}

/* ------------------------------------------------------------------------
 * Configuration
 */

static void test_config_errors(void **state)
{
    (void)state;
    check_config_error(&vcheck_dns, "{}",
                       "settings: missing required key 'name'");
    check_config_error(&vcheck_dns, "{\"name\": \"\"}",
                       "settings: 'name': must not be empty");
    check_config_error(&vcheck_dns, "{\"name\": [\"a\"]}",
                       "settings: 'name': expected a string, got a list");
    check_config_error(&vcheck_dns, "{\"name\": \"db host\"}",
                       "settings: 'name': expected a host name, got "
                       "\"db host\"");
    check_config_error(&vcheck_dns, "{\"name\": \"http://db/\"}",
                       "settings: 'name': expected a host name, got "
                       "\"http://db/\"");
    check_config_error(&vcheck_dns, "{\"name\": \"db\", \"record\": \"MX\"}",
                       "settings: 'record': expected A or AAAA, got \"MX\"");
    check_config_error(&vcheck_dns, "{\"name\": \"db\", \"record\": 4}",
                       "settings: 'record': expected A or AAAA, got \"4\"");
    /* Every error of the check in one pass. */
    check_config_error(&vcheck_dns, "{\"record\": \"TXT\"}",
                       "settings: missing required key 'name'; settings: "
                       "'record': expected A or AAAA, got \"TXT\"");
}

static void test_config_accepts(void **state)
{
    (void)state;
    check_config_ok("{\"name\": \"db.example.com\"}");
    check_config_ok("{\"name\": \"db.example.com.\", \"record\": \"A\"}");
    check_config_ok("{\"name\": \"db\", \"record\": \"AAAA\"}");
    check_config_ok("{\"name\": \"db\", \"record\": \"aaaa\"}");
    check_config_ok("{\"name\": \"db\", \"record\": null}");
    /* The loader hands over the check's whole map, "type: dns" included:
     * that key is not the record's. */
    check_config_ok("{\"type\": \"dns\", \"name\": \"db\", "
                    "\"record\": \"AAAA\"}");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_localhost_a),
        cmocka_unit_test(test_localhost_aaaa),
        cmocka_unit_test(test_literals),
        cmocka_unit_test(test_no_record_literal),
        cmocka_unit_test(test_cannot_resolve),
        cmocka_unit_test(test_timeout),
        cmocka_unit_test(test_resolver_answers),
        cmocka_unit_test(test_many_addresses),
        cmocka_unit_test(test_config_errors),
        cmocka_unit_test(test_config_accepts),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
