/* allowlist.c - the client IP allow list: separators, trimming,
 * addresses compared as addresses, CIDR edges (/0, /32, /128, host bits),
 * IPv4-mapped clients and entries, the empty list, and the exact error for
 * every kind of bad entry. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/un.h>

#include <cmocka.h>

#include "access/allowlist.h"

/* A client address from text ("10.1.2.3" or "::1"), as accept() gives it. */
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
        in6->sin6_port = htons(40000);
        in6->sin6_scope_id = 2; /* ignored */
        assert_int_equal(inet_pton(AF_INET6, ip, &in6->sin6_addr), 1);
    }
    return ss;
}

static int allows(const vallow_t *a, const char *ip)
{
    struct sockaddr_storage ss = client(ip);

    return vallow_match(a, (const struct sockaddr *)&ss);
}

static vallow_t *parse(const char *text)
{
    char *err = NULL;
    vallow_t *a = vallow_parse(text, &err);

    if (a == NULL)
        fail_msg("vallow_parse(\"%s\"): %s", text, err ? err : "NULL");
    assert_null(err);
    return a;
}

/* Each client of yes[] allowed and each of no[] refused, by text. */
static void expect(const char *text, const char *const *yes,
                   const char *const *no)
{
    vallow_t *a = parse(text);

    assert_false(vallow_is_empty(a));
    for (; yes != NULL && *yes != NULL; yes++)
        if (!allows(a, *yes))
            fail_msg("\"%s\" should allow %s", text, *yes);
    for (; no != NULL && *no != NULL; no++)
        if (allows(a, *no))
            fail_msg("\"%s\" should refuse %s", text, *no);
    vallow_free(a);
}

static void expect_error(const char *text, const char *want)
{
    char *err = NULL;
    vallow_t *a = vallow_parse(text, &err);

    assert_null(a);
    assert_non_null(err);
    assert_string_equal(err, want);
    free(err);
}

#define LIST(...) ((const char *const[]){__VA_ARGS__, NULL})

static void test_mosparo_default(void **state)
{
    (void)state;
    expect("127.0.0.1,::1", LIST("127.0.0.1", "::1", "0:0:0:0:0:0:0:1",
                                 "::ffff:127.0.0.1"),
           LIST("127.0.0.2", "10.0.0.1", "::2", "fe80::1"));
}

static void test_ipv4(void **state)
{
    (void)state;
    expect("192.168.1.10", LIST("192.168.1.10"),
           LIST("192.168.1.11", "192.168.1.1", "::192.168.1.10",
                "::ffff:192.168.1.11"));
    expect("10.0.0.0/8", LIST("10.0.0.0", "10.255.255.255", "10.1.2.3"),
           LIST("11.0.0.0", "9.255.255.255"));
    expect("172.16.0.0/12", LIST("172.16.0.1", "172.31.255.255"),
           LIST("172.32.0.0", "172.15.255.255"));
    expect("192.168.1.128/25", LIST("192.168.1.128", "192.168.1.255"),
           LIST("192.168.1.127", "192.168.2.128"));
    expect("192.168.1.7/32", LIST("192.168.1.7"), LIST("192.168.1.6"));
    expect("192.168.1.7/31", LIST("192.168.1.6", "192.168.1.7"),
           LIST("192.168.1.8", "192.168.1.5"));
    /* /0: every IPv4 client, including mapped ones, but no IPv6 one. */
    expect("0.0.0.0/0", LIST("0.0.0.0", "255.255.255.255", "8.8.8.8",
                             "::ffff:8.8.8.8"),
           LIST("::1", "2001:db8::1"));
    /* Host bits are masked: 10.0.0.1/8 is 10.0.0.0/8. */
    expect("10.9.8.7/8", LIST("10.0.0.0", "10.200.0.1"), LIST("11.9.8.7"));
    /* A leading zero in the prefix is still decimal. */
    expect("10.0.0.0/08", LIST("10.1.1.1"), LIST("11.1.1.1"));
}

static void test_ipv6(void **state)
{
    (void)state;
    /* Compared as addresses, whatever the spelling on either side. */
    expect("0:0:0:0:0:0:0:1", LIST("::1"), LIST("::2", "127.0.0.1"));
    expect("2001:DB8:0:0:0:0:0:A", LIST("2001:db8::a"), LIST("2001:db8::b"));
    expect("2001:db8::/32", LIST("2001:db8::", "2001:db8:ffff:ffff::1"),
           LIST("2001:db9::", "2001:db7:ffff::1", "32.1.13.184"));
    expect("fe80::/10", LIST("fe80::1", "febf::1"), LIST("fec0::1"));
    expect("2001:db8::1/128", LIST("2001:db8::1"), LIST("2001:db8::2"));
    expect("2001:db8::1/127", LIST("2001:db8::", "2001:db8::1"),
           LIST("2001:db8::2"));
    expect("2001:db8::8000/113", LIST("2001:db8::8000", "2001:db8::ffff"),
           LIST("2001:db8::7fff", "2001:db8::1:0"));
    /* ::/0 is every IPv6 client; mapped clients are IPv4 clients, so it
     * does not quietly allow the IPv4 Internet too. */
    expect("::/0", LIST("::1", "2001:db8::1", "::"),
           LIST("10.0.0.1", "::ffff:10.0.0.1"));
    /* Host bits masked. */
    expect("2001:db8::dead:beef/64", LIST("2001:db8::1"),
           LIST("2001:db8:0:1::1"));
}

static void test_mapped(void **state)
{
    (void)state;
    /* A dual-stack listener sees IPv4 clients as ::ffff:a.b.c.d: they
     * match IPv4 entries and ranges. */
    expect("10.0.0.0/8", LIST("::ffff:10.1.2.3", "::FFFF:a01:203"),
           LIST("::ffff:11.1.2.3", "::10.1.2.3", "64:ff9b::10.1.2.3"));
    expect("127.0.0.1", LIST("::ffff:127.0.0.1"), LIST("::1"));
    /* Mapped entries are IPv4 entries: an IPv4 client matches them. */
    expect("::ffff:10.0.0.0/104", LIST("10.1.2.3", "::ffff:10.1.2.3"),
           LIST("11.1.2.3", "::ffff:11.1.2.3"));
    expect("::ffff:192.0.2.1", LIST("192.0.2.1", "::ffff:192.0.2.1"),
           LIST("192.0.2.2"));
    expect("::ffff:0:0/96", LIST("1.2.3.4", "255.255.255.255"),
           LIST("::1", "::1.2.3.4"));
    expect("::ffff:192.0.2.0/128", LIST("192.0.2.0"), LIST("192.0.2.1"));
    /* Shorter than /96 it is an IPv6 range, and IPv4 clients are not
     * IPv6 clients. */
    expect("::ffff:0:0/95", LIST("::fffe:0:1"), LIST("1.2.3.4"));
}

static void test_separators_and_spaces(void **state)
{
    static const char *const texts[] = {
        "10.0.0.1,10.0.0.2,2001:db8::/48",
        "10.0.0.1, 10.0.0.2 ,\t2001:db8::/48 ",
        "10.0.0.1\n10.0.0.2\n2001:db8::/48\n",
        "10.0.0.1\r\n10.0.0.2\r\n2001:db8::/48\r\n",
        "10.0.0.1\r10.0.0.2\r2001:db8::/48",
        "\n  10.0.0.1 ,\r\n\r\n 10.0.0.2,,\n,2001:db8::/48,",
        ",,,10.0.0.1,10.0.0.2\n\n\n2001:db8::/48,,,",
    };

    (void)state;
    for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++)
        expect(texts[i], LIST("10.0.0.1", "10.0.0.2", "2001:db8:0:1::1"),
               LIST("10.0.0.3", "2001:db8:1::1"));
}

static void test_empty_allows_everyone(void **state)
{
    static const char *const texts[] = {"", " ", ",", ",,\n, \r\n\t,",
                                        "\n\n"};
    struct sockaddr_un un;

    (void)state;
    memset(&un, 0, sizeof(un));
    un.sun_family = AF_UNIX;
    for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
        vallow_t *a = parse(texts[i]);

        assert_true(vallow_is_empty(a));
        assert_true(allows(a, "10.0.0.1"));
        assert_true(allows(a, "2001:db8::1"));
        assert_true(vallow_match(a, (const struct sockaddr *)&un));
        assert_true(vallow_match(a, NULL));
        vallow_free(a);
    }
    /* NULL text: the same as "". */
    vallow_t *a = vallow_parse(NULL, NULL);
    assert_non_null(a);
    assert_true(vallow_is_empty(a));
    vallow_free(a);
}

static void test_other_families_and_null(void **state)
{
    struct sockaddr_un un;
    vallow_t *a = parse("0.0.0.0/0,::/0");

    (void)state;
    memset(&un, 0, sizeof(un));
    un.sun_family = AF_UNIX;
    /* A non-empty list only ever matches IP clients. */
    assert_false(vallow_match(a, (const struct sockaddr *)&un));
    assert_false(vallow_match(a, NULL));
    assert_true(allows(a, "203.0.113.9"));
    assert_true(allows(a, "2001:db8::9"));
    vallow_free(a);
    /* A failed parse fails closed. */
    assert_false(vallow_match(NULL, NULL));
    assert_false(allows(NULL, "127.0.0.1"));
    assert_false(vallow_is_empty(NULL));
    vallow_free(NULL);
}

static void test_errors(void **state)
{
    (void)state;
    expect_error("127.0.0.1,10.0.0.0/33",
                 "invalid address or CIDR range \"10.0.0.0/33\" (entry 2)");
    expect_error("::1/129",
                 "invalid address or CIDR range \"::1/129\" (entry 1)");
    /* Entries are counted without the empty ones, and shown trimmed. */
    expect_error(",,\n 10.0.0.1 ,\r\n\r\n  localhost  ,",
                 "invalid address or CIDR range \"localhost\" (entry 2)");
    expect_error("10.0.0.1/", "invalid address or CIDR range \"10.0.0.1/\" "
                              "(entry 1)");
    expect_error("/8", "invalid address or CIDR range \"/8\" (entry 1)");
    expect_error("10.0.0.0/-1",
                 "invalid address or CIDR range \"10.0.0.0/-1\" (entry 1)");
    expect_error("10.0.0.0/+8",
                 "invalid address or CIDR range \"10.0.0.0/+8\" (entry 1)");
    expect_error("10.0.0.0/ 8",
                 "invalid address or CIDR range \"10.0.0.0/ 8\" (entry 1)");
    expect_error("10.0.0.0 /8",
                 "invalid address or CIDR range \"10.0.0.0 /8\" (entry 1)");
    expect_error("10.0.0.0/0008",
                 "invalid address or CIDR range \"10.0.0.0/0008\" (entry 1)");
    expect_error("10.0.0.0/8/8",
                 "invalid address or CIDR range \"10.0.0.0/8/8\" (entry 1)");
    expect_error("10.0.0.0/8x",
                 "invalid address or CIDR range \"10.0.0.0/8x\" (entry 1)");
    /* Space is not a separator: two addresses in one entry. */
    expect_error("10.0.0.1 10.0.0.2",
                 "invalid address or CIDR range \"10.0.0.1 10.0.0.2\" "
                 "(entry 1)");
    /* What inet_pton refuses: short, out of range, leading zeros, a zone,
     * a port, brackets, a wildcard. */
    expect_error("10.0.0", "invalid address or CIDR range \"10.0.0\" "
                           "(entry 1)");
    expect_error("256.0.0.1", "invalid address or CIDR range \"256.0.0.1\" "
                              "(entry 1)");
    expect_error("010.0.0.1", "invalid address or CIDR range \"010.0.0.1\" "
                              "(entry 1)");
    expect_error("fe80::1%eth0",
                 "invalid address or CIDR range \"fe80::1%eth0\" (entry 1)");
    expect_error("10.0.0.1:80",
                 "invalid address or CIDR range \"10.0.0.1:80\" (entry 1)");
    expect_error("[::1]", "invalid address or CIDR range \"[::1]\" "
                          "(entry 1)");
    expect_error("10.0.0.*", "invalid address or CIDR range \"10.0.0.*\" "
                             "(entry 1)");
    expect_error("1:2:3:4:5:6:7:8:9",
                 "invalid address or CIDR range \"1:2:3:4:5:6:7:8:9\" "
                 "(entry 1)");
    /* Quotes, backslashes and control bytes are escaped in the message. */
    expect_error("a\"b\\c\x01\xff",
                 "invalid address or CIDR range \"a\\\"b\\\\c\\x01\\xff\" "
                 "(entry 1)");
    /* Too long to be an address: still reported in full. */
    expect_error("11111111112222222222333333333344444444445555555555"
                 "6666666666777777777",
                 "invalid address or CIDR range \"11111111112222222222333333"
                 "3333444444444455555555556666666666777777777\" (entry 1)");
    /* err may be NULL. */
    assert_null(vallow_parse("nope", NULL));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mosparo_default),
        cmocka_unit_test(test_ipv4),
        cmocka_unit_test(test_ipv6),
        cmocka_unit_test(test_mapped),
        cmocka_unit_test(test_separators_and_spaces),
        cmocka_unit_test(test_empty_allows_everyone),
        cmocka_unit_test(test_other_families_and_null),
        cmocka_unit_test(test_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
