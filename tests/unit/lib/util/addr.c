/* addr.c - tests of lib/util/addr.c: the one host:port parser, in both
 * flavours. */
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
        cmocka_unit_test(test_addr),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
