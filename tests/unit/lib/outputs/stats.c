/* stats.c - the server's response counters: one cell per output and
 * status code, other codes together, no output in the last row, and a
 * row for every output in the table. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>

#include <cmocka.h>

#include "outputs/output.h"

static void test_rows(void **state)
{
    size_t n = 0;

    (void)state;
    while (voutputs[n] != NULL)
        n++;
    /* The last row is for requests no output answered. */
    assert_true(n < VSTATS_ROWS);
}

static void test_count(void **state)
{
    vstats_t *s = calloc(1, sizeof(*s));

    (void)state;
    vstats_count(s, voutputs[1], 200);
    vstats_count(s, voutputs[1], 200);
    vstats_count(s, voutputs[1], 503);
    vstats_count(s, voutputs[1], 299);
    vstats_count(s, NULL, 404);
    vstats_count(NULL, NULL, 404); /* no table: nothing */
    assert_int_equal(vstats_get(s, 1, VSTATS_200), 2);
    assert_int_equal(vstats_get(s, 1, VSTATS_503), 1);
    assert_int_equal(vstats_get(s, 1, VSTATS_OTHER), 1);
    assert_int_equal(vstats_get(s, 0, VSTATS_200), 0);
    assert_int_equal(vstats_get(s, VSTATS_ROWS - 1, VSTATS_404), 1);
    assert_int_equal(vstats_get(s, VSTATS_ROWS, 0), 0);
    assert_int_equal(vstats_code(VSTATS_429), 429);
    assert_int_equal(vstats_code(VSTATS_OTHER), 0);
    free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rows),
        cmocka_unit_test(test_count),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
