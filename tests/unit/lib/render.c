/* render.c - unit tests for vitals_snapshot_format (lib/render.c): each
 * documented format renders, anything else is NULL. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "vitals.h"

static void test_formats(void **state)
{
    static const char *const ids[] = {"ietf", "report", "jsonrpc"};
    vitals_t *v = vitals_new();
    vitals_snapshot_t *s = vitals_snapshot_get(v);
    (void)state;

    for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
        char *text = vitals_snapshot_format(s, ids[i]);

        assert_non_null(text);
        assert_int_equal(text[0], '{');
        free(text);
    }
    assert_null(vitals_snapshot_format(s, "metrics"));
    assert_null(vitals_snapshot_format(s, NULL));
    assert_null(vitals_snapshot_format(NULL, "ietf"));
    vitals_snapshot_release(s);
    vitals_free(v);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_formats),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
