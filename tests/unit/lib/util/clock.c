/* clock.c - unit tests for lib/util/clock.c: RFC 3339 times written and
 * read back, offsets, fractions, and what is not RFC 3339 (the `since`
 * of GET /history). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "util/clock.h"

static void test_round_trip(void **state)
{
    char buf[40];
    int64_t ns = 0;
    (void)state;

    assert_int_equal(vclock_parse_rfc3339("2020-10-14T14:04:20.577596620Z",
                                          &ns),
                     0);
    assert_int_equal(ns, 1602684260577596620LL);
    assert_string_equal(vclock_rfc3339(ns, buf, sizeof(buf)),
                        "2020-10-14T14:04:20.577596620Z");
    assert_int_equal(vclock_parse_rfc3339("2020-10-14T16:04:20+02:00", &ns),
                     0);
    assert_int_equal(ns, 1602684260000000000LL);
    assert_int_equal(vclock_parse_rfc3339("2020-10-14t14:04:20.5z", &ns), 0);
    assert_int_equal(ns, 1602684260500000000LL);
    /* More than nine fraction digits: the rest is dropped. */
    assert_int_equal(vclock_parse_rfc3339("1970-01-01T00:00:01.0000000019-00:00",
                                          &ns),
                     0);
    assert_int_equal(ns, 1000000001LL);
}

static void test_rejects(void **state)
{
    static const char *const bad[] = {
        "", "yesterday", "2020-10-14", "2020-10-14T14:04:20",
        "2020-10-14 14:04:20Z", "2020-13-14T14:04:20Z",
        "2020-10-14T24:04:20Z", "2020-10-14T14:04:20.Z",
        "2020-10-14T14:04:20+0200", "2020-10-14T14:04:20Zjunk",
        "1969-12-31T23:59:59Z"};
    int64_t ns = 7;
    (void)state;

    for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
        if (vclock_parse_rfc3339(bad[i], &ns) != -1)
            fail_msg("accepted \"%s\"", bad[i]);
    }
    assert_int_equal(ns, 7);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_rejects),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
