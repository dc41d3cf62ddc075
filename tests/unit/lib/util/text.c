/* text.c - tests of lib/util/text.c: control characters escaped, text and
 * UTF-8 kept, never cut inside an escape. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "util/text.h"

static void expect(const char *in, size_t cap, const char *want)
{
    char out[256];

    assert_int_equal(vtext_escape(out, cap, in), strlen(want));
    assert_string_equal(out, want);
}

static void test_escapes(void **state)
{
    (void)state;
    expect("plain text, caf\xc3\xa9", 256, "plain text, caf\xc3\xa9");
    /* A forged log line and a terminal escape, as a pushed report could
     * carry them. */
    expect("ok\n2026-12-04 ERROR forged\x1b[31mred", 256,
           "ok\\n2026-12-04 ERROR forged\\x1b[31mred");
    expect("a\rb\tc\x7f", 256, "a\\rb\\tc\\x7f");
    expect("back\\slash", 256, "back\\slash");
}

static void test_bounds(void **state)
{
    char out[4];

    (void)state;
    expect("abcdef", 4, "abc");
    /* "\x1b" needs 4 bytes: it is left out rather than cut. */
    expect("a\x1b", 4, "a");
    assert_int_equal(vtext_escape(out, 0, "x"), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_escapes),
        cmocka_unit_test(test_bounds),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
