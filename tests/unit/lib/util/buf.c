/* buf.c - tests of lib/util/buf.c: the growable buffer grows, keeps its
 * cap and hands over its data. */
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_buf_grows),
        cmocka_unit_test(test_buf_cap),
        cmocka_unit_test(test_buf_empty_take),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
