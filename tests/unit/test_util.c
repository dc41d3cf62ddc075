/* test_util.c - the shared helpers of lib/util/: the growable buffer (its
 * cap, its sticky out-of-memory, handing over its data) and the host:port
 * parser in both flavours. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "util/addr.h"
#include "util/buf.h"

static void test_buf_grows(void **state)
{
    vbuf_t b = VBUF_INIT(0);
    char *data;
    size_t len = 0;

    (void)state;
    assert_null(b.data);
    for (int i = 0; i < 1000; i++)
        assert_int_equal(vbuf_add(&b, "0123456789", 10), 0);
    assert_int_equal(vbuf_printf(&b, "%s=%d", "n", 42), 0);
    assert_int_equal(vbuf_str(&b, "!"), 0);
    assert_int_equal(b.len, 10005);
    assert_string_equal(b.data + 10000, "n=42!");
    data = vbuf_take(&b, &len);
    assert_int_equal(len, 10005);
    assert_null(b.data);
    assert_int_equal(b.len, 0);
    free(data);
}

static void test_buf_cap(void **state)
{
    vbuf_t b = VBUF_INIT(8);
    char *data;
    size_t len = 0;

    (void)state;
    assert_int_equal(vbuf_add(&b, "12345", 5), 0);
    assert_int_equal(vbuf_add(&b, "67890", 5), -2);
    assert_true(b.full);
    assert_string_equal(b.data, "12345678");
    assert_int_equal(vbuf_add(&b, "x", 1), -2);
    assert_int_equal(b.len, 8);
    data = vbuf_take(&b, &len);
    assert_int_equal(len, 8);
    assert_int_equal(b.max, 8); /* kept for reuse */
    free(data);
    vbuf_clear(&b);
    vbuf_clear(NULL);
}

static void test_buf_empty_take(void **state)
{
    vbuf_t b = VBUF_INIT(0);
    size_t len = 1;

    (void)state;
    assert_int_equal(vbuf_add(&b, "", 0), 0);
    assert_null(vbuf_take(&b, &len));
    assert_int_equal(len, 0);
}

/* vaddr_parse of s: its return, and the host and port when 0. */
static void expect_addr(const char *s, vaddr_flavour_t f, int rc,
                        const char *host, int port)
{
    char *h = NULL;
    int p = -1;

    assert_int_equal(vaddr_parse(s, f, &h, &p), rc);
    if (rc == 0) {
        assert_string_equal(h, host);
        assert_int_equal(p, port);
    } else {
        assert_null(h);
    }
    free(h);
}

static void test_addr(void **state)
{
    (void)state;
    expect_addr("localhost:8080", VADDR_PEER, 0, "localhost", 8080);
    expect_addr("127.0.0.1:1", VADDR_PEER, 0, "127.0.0.1", 1);
    expect_addr("[::1]:65535", VADDR_PEER, 0, "::1", 65535);
    expect_addr("[fe80::1%eth0]:443", VADDR_PEER, 0, "fe80::1%eth0", 443);
    expect_addr("localhost:0", VADDR_PEER, -1, NULL, 0);
    expect_addr("localhost:0", VADDR_LISTEN, 0, "localhost", 0);
    expect_addr("[::]:0", VADDR_LISTEN, 0, "::", 0);
    expect_addr("localhost:65536", VADDR_LISTEN, -1, NULL, 0);
    expect_addr("localhost:008080", VADDR_LISTEN, -1, NULL, 0);
    expect_addr("localhost:+80", VADDR_LISTEN, -1, NULL, 0);
    expect_addr("localhost", VADDR_PEER, -1, NULL, 0);
    expect_addr("localhost:", VADDR_PEER, -1, NULL, 0);
    expect_addr(":80", VADDR_LISTEN, -1, NULL, 0);
    expect_addr("::1:80", VADDR_PEER, -1, NULL, 0);
    expect_addr("[::1]80", VADDR_PEER, -1, NULL, 0);
    expect_addr("[localhost]:80", VADDR_PEER, -1, NULL, 0);
    expect_addr("a b:80", VADDR_PEER, -1, NULL, 0);
    expect_addr("a/b:80", VADDR_PEER, -1, NULL, 0);
    expect_addr(NULL, VADDR_LISTEN, -1, NULL, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_buf_grows),
        cmocka_unit_test(test_buf_cap),
        cmocka_unit_test(test_buf_empty_take),
        cmocka_unit_test(test_addr),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
