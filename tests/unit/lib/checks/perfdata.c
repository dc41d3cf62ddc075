/* perfdata.c - unit tests for the Nagios plugin output parser
 * (lib/checks/perfdata.c): splitting, item formats, and garbage. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "checks/perfdata.h"

/* Parses len bytes of text and compares the object with want (JSON text,
 * key order ignored; 0 and 0.0 differ, as they should). */
static void check_parse_n(const char *text, size_t len, int count,
                          const char *want)
{
    json_t *out = json_object(), *expected = json_loads(want, 0, NULL);
    char *got;
    int n;

    assert_non_null(out);
    if (!expected)
        fail_msg("bad expected JSON in the test: %s", want);
    n = vperfdata_parse(text, len, out);
    if (n != count || !json_equal(out, expected)) {
        got = json_dumps(out, JSON_COMPACT | JSON_PRESERVE_ORDER);
        fail_msg("perfdata \"%.*s\"\n  got  %d %s\n  want %d %s", (int)len,
                 text, n, got ? got : "?", count, want);
    }
    json_decref(out);
    json_decref(expected);
}

static void check_parse(const char *text, int count, const char *want)
{
    check_parse_n(text, strlen(text), count, want);
}

static void check_split_n(const char *output, size_t len,
                          const char *want_summary, const char *want_perf)
{
    char *summary = NULL, *perf = NULL;

    assert_int_equal(vperfdata_split(output, len, &summary, &perf), 0);
    assert_string_equal(summary, want_summary);
    assert_string_equal(perf, want_perf);
    free(summary);
    free(perf);
}

static void check_split(const char *output, const char *want_summary,
                        const char *want_perf)
{
    check_split_n(output, strlen(output), want_summary, want_perf);
}

/* ------------------------------------------------------------------------
 * Splitting
 */

static void test_split_single_line(void **state)
{
    (void)state;
    check_split("OK - load average: 0.39 | load1=0.39;5;10;0;",
                "OK - load average: 0.39", " load1=0.39;5;10;0;");
    check_split("OK", "OK", "");
    check_split("OK\n", "OK", "");
    check_split("", "", "");
    check_split("|a=1", "", "a=1");
    check_split("   PING OK   |", "PING OK", "");
}

/* The plugin guidelines' own example of long output. */
static void test_split_long_output(void **state)
{
    static const char out[] =
        "DISK OK - free space: / 3326 MB (56%); | /=2643MB;5948;5958;0;5968\n"
        "/ 15272 MB (77%);\n"
        "/boot 68 MB (69%);\n"
        "/home 69357 MB (27%);\n"
        "/var/log 819 MB (84%); | /boot=68MB;88;93;0;98\n"
        "/home=69357MB;253404;253409;0;253414 \n"
        "/var/log=818MB;970;975;0;980\n";
    char *summary = NULL, *perf = NULL;
    json_t *items = json_object();
    (void)state;

    assert_int_equal(vperfdata_split(out, strlen(out), &summary, &perf), 0);
    assert_string_equal(summary, "DISK OK - free space: / 3326 MB (56%);");
    assert_string_equal(perf, " /=2643MB;5948;5958;0;5968\n"
                              " /boot=68MB;88;93;0;98\n"
                              "/home=69357MB;253404;253409;0;253414 \n"
                              "/var/log=818MB;970;975;0;980\n");
    assert_int_equal(vperfdata_parse(perf, strlen(perf), items), 4);
    check_parse(perf, 4,
                "{\"/\": {\"value\": 2643, \"unit\": \"MB\", \"warn\": "
                "\"5948\", \"crit\": \"5958\", \"min\": 0, \"max\": 5968},"
                " \"/boot\": {\"value\": 68, \"unit\": \"MB\", \"warn\": "
                "\"88\", \"crit\": \"93\", \"min\": 0, \"max\": 98},"
                " \"/home\": {\"value\": 69357, \"unit\": \"MB\", \"warn\": "
                "\"253404\", \"crit\": \"253409\", \"min\": 0, \"max\": "
                "253414},"
                " \"/var/log\": {\"value\": 818, \"unit\": \"MB\", \"warn\": "
                "\"970\", \"crit\": \"975\", \"min\": 0, \"max\": 980}}");
    json_decref(items);
    free(summary);
    free(perf);
}

static void test_split_long_output_without_perfdata(void **state)
{
    (void)state;
    check_split("WARNING: two problems\nfirst\nsecond\n",
                "WARNING: two problems", "");
    /* Only the long text has performance data. */
    check_split("OK\nlong text | x=1\ny=2", "OK", "\n x=1\ny=2");
}

static void test_split_cleans_the_summary(void **state)
{
    (void)state;
    check_split("OK\r\n", "OK", "");
    check_split("a\tb\x01" "c\x7f", "a b c", "");
    /* Invalid UTF-8 becomes U+FFFD; valid UTF-8 stays. */
    check_split("OK \xff!", "OK \xef\xbf\xbd!", "");
    check_split("Licencia exspiruje za 196 dn\xc3\xad.",
                "Licencia exspiruje za 196 dn\xc3\xad.", "");
    /* Overlong and surrogate encodings are not valid UTF-8. */
    check_split("\xc0\xaf", "\xef\xbf\xbd\xef\xbf\xbd", "");
    check_split("\xed\xa0\x80", "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd", "");
    /* A truncated sequence at the end. */
    check_split("ok \xe2\x82", "ok \xef\xbf\xbd\xef\xbf\xbd", "");
}

static void test_split_nul_bytes(void **state)
{
    (void)state;
    check_split_n("O\0K|a=1\0b=2", 11, "O K", "a=1 b=2");
}

static void test_split_bad_arguments(void **state)
{
    char *summary, *perf;
    (void)state;

    assert_int_equal(vperfdata_split(NULL, 3, &summary, &perf), -1);
    assert_int_equal(vperfdata_split("x", 1, NULL, &perf), -1);
    assert_int_equal(vperfdata_split("x", 1, &summary, NULL), -1);
    assert_int_equal(vperfdata_split(NULL, 0, &summary, &perf), 0);
    assert_string_equal(summary, "");
    assert_string_equal(perf, "");
    free(summary);
    free(perf);
}

/* ------------------------------------------------------------------------
 * Items
 */

static void test_parse_check_load(void **state)
{
    (void)state;
    check_parse("load1=0.390;5.000;10.000;0; load5=0.420;5.000;10.000;0; "
                "load15=0.450;5.000;10.000;0; ",
                3,
                "{\"load1\": {\"value\": 0.39, \"warn\": \"5.000\", "
                "\"crit\": \"10.000\", \"min\": 0},"
                " \"load5\": {\"value\": 0.42, \"warn\": \"5.000\", "
                "\"crit\": \"10.000\", \"min\": 0},"
                " \"load15\": {\"value\": 0.45, \"warn\": \"5.000\", "
                "\"crit\": \"10.000\", \"min\": 0}}");
}

static void test_parse_all_fields(void **state)
{
    (void)state;
    check_parse("time=0.39s;5;10;0;100", 1,
                "{\"time\": {\"value\": 0.39, \"unit\": \"s\", \"warn\": "
                "\"5\", \"crit\": \"10\", \"min\": 0, \"max\": 100}}");
    check_parse("rta=0.050000ms;100.000000;500.000000;0.000000", 1,
                "{\"rta\": {\"value\": 0.05, \"unit\": \"ms\", \"warn\": "
                "\"100.000000\", \"crit\": \"500.000000\", \"min\": 0.0}}");
}

static void test_parse_missing_fields(void **state)
{
    (void)state;
    check_parse("a=1", 1, "{\"a\": {\"value\": 1}}");
    check_parse("a=1;;;;", 1, "{\"a\": {\"value\": 1}}");
    check_parse("procs=66;;;0;", 1,
                "{\"procs\": {\"value\": 66, \"min\": 0}}");
    check_parse("a=1;;7", 1, "{\"a\": {\"value\": 1, \"crit\": \"7\"}}");
    check_parse("a=1;;;;9", 1, "{\"a\": {\"value\": 1, \"max\": 9}}");
}

static void test_parse_units(void **state)
{
    (void)state;
    check_parse("a=1s b=2ms c=3us d=4% e=5B f=6KB g=7MB h=8TB i=9c "
                "j=10KiB k=11GB l=12MB/s",
                12,
                "{\"a\": {\"value\": 1, \"unit\": \"s\"},"
                " \"b\": {\"value\": 2, \"unit\": \"ms\"},"
                " \"c\": {\"value\": 3, \"unit\": \"us\"},"
                " \"d\": {\"value\": 4, \"unit\": \"%\"},"
                " \"e\": {\"value\": 5, \"unit\": \"B\"},"
                " \"f\": {\"value\": 6, \"unit\": \"KB\"},"
                " \"g\": {\"value\": 7, \"unit\": \"MB\"},"
                " \"h\": {\"value\": 8, \"unit\": \"TB\"},"
                " \"i\": {\"value\": 9, \"unit\": \"c\"},"
                " \"j\": {\"value\": 10, \"unit\": \"KiB\"},"
                " \"k\": {\"value\": 11, \"unit\": \"GB\"},"
                " \"l\": {\"value\": 12, \"unit\": \"MB/s\"}}");
    check_parse("temp=21.5\xc2\xb0" "C", 1,
                "{\"temp\": {\"value\": 21.5, \"unit\": \"\xc2\xb0" "C\"}}");
}

static void test_parse_quoted_labels(void **state)
{
    (void)state;
    check_parse("'label with spaces'=5MB", 1,
                "{\"label with spaces\": {\"value\": 5, \"unit\": \"MB\"}}");
    check_parse("'it''s'=1", 1, "{\"it's\": {\"value\": 1}}");
    check_parse("''''=1", 1, "{\"'\": {\"value\": 1}}");
    check_parse("'a=b'=2 'C:\\ used space'=10GB;20;30;0;40", 2,
                "{\"a=b\": {\"value\": 2},"
                " \"C:\\\\ used space\": {\"value\": 10, \"unit\": \"GB\","
                " \"warn\": \"20\", \"crit\": \"30\", \"min\": 0, \"max\": "
                "40}}");
    /* Quoted labels can hold what would end an unquoted one. */
    check_parse("'a\tb'=1", 0, "{}"); /* but not control characters */
    check_parse("'x y' =1 z=2", 1, "{\"z\": {\"value\": 2}}");
}

static void test_parse_unknown_value(void **state)
{
    (void)state;
    check_parse("x=U;1;2", 1,
                "{\"x\": {\"value\": null, \"warn\": \"1\", \"crit\": "
                "\"2\"}}");
    check_parse("x=U", 1, "{\"x\": {\"value\": null}}");
    check_parse("x=Us y=u", 0, "{}");
}

static void test_parse_numbers(void **state)
{
    (void)state;
    check_parse("a=-1.5e3 b=+2 c=1. d=.5 e=0 f=-0 g=2E-2", 7,
                "{\"a\": {\"value\": -1500.0}, \"b\": {\"value\": 2},"
                " \"c\": {\"value\": 1.0}, \"d\": {\"value\": 0.5},"
                " \"e\": {\"value\": 0}, \"f\": {\"value\": 0},"
                " \"g\": {\"value\": 0.02}}");
    /* Too big for an integer: a real. */
    check_parse("a=123456789012345678901234567890", 1,
                "{\"a\": {\"value\": 1.2345678901234568e29}}");
    /* Not numbers a plugin writes. */
    check_parse("a=1e999 b=nan c=inf d=0x10 e=. f=- g=--1 h=1e5e5", 0, "{}");
    /* A number longer than any plugin writes. */
    check_parse("a=0.00000000000000000000000000000000000000000000000000000000"
                "0000000001",
                0, "{}");
}

static void test_parse_ranges(void **state)
{
    (void)state;
    check_parse("a=1;@10:20;~:5 b=2;10:;5: c=3;-5:-1;@~:0.5", 3,
                "{\"a\": {\"value\": 1, \"warn\": \"@10:20\", \"crit\": "
                "\"~:5\"},"
                " \"b\": {\"value\": 2, \"warn\": \"10:\", \"crit\": "
                "\"5:\"},"
                " \"c\": {\"value\": 3, \"warn\": \"-5:-1\", \"crit\": "
                "\"@~:0.5\"}}");
    check_parse("a=1;x b=1;@ c=1;: d=1;1:2:3 e=1;;~ f=1;10 g=1;:5", 2,
                "{\"f\": {\"value\": 1, \"warn\": \"10\"},"
                " \"g\": {\"value\": 1, \"warn\": \":5\"}}");
}

static void test_parse_malformed_items_are_skipped(void **state)
{
    (void)state;
    check_parse("junk a=1 =5 b= c=x d=1;2;3;4;5;6 e=1;2;3;4;x f='x g=2", 2,
                "{\"a\": {\"value\": 1}, \"g\": {\"value\": 2}}");
    check_parse("a=1m3 b=1;2;3;4;5 c=5 %", 2,
                "{\"b\": {\"value\": 1, \"warn\": \"2\", \"crit\": \"3\","
                " \"min\": 4, \"max\": 5}, \"c\": {\"value\": 5}}");
    /* An unterminated quote swallows the rest: no item can follow. */
    check_parse("a=1 'unterminated=1 b=2", 1, "{\"a\": {\"value\": 1}}");
    check_parse("'", 0, "{}");
    check_parse("=", 0, "{}");
    check_parse("''=1", 0, "{}");
    check_parse(";;;;", 0, "{}");
    check_parse("a==1", 0, "{}");
}

static void test_parse_whitespace_and_nul(void **state)
{
    (void)state;
    check_parse("  \ta=1\n\nb=2\r\n", 2,
                "{\"a\": {\"value\": 1}, \"b\": {\"value\": 2}}");
    check_parse_n("a=1\0b=2", 7, 2,
                  "{\"a\": {\"value\": 1}, \"b\": {\"value\": 2}}");
    check_parse("", 0, "{}");
    check_parse("   \n ", 0, "{}");
}

static void test_parse_duplicates_keep_the_first(void **state)
{
    (void)state;
    check_parse("a=1 a=2s", 1, "{\"a\": {\"value\": 1}}");
}

static void test_parse_keeps_input_order(void **state)
{
    json_t *out = json_object();
    char *text;
    (void)state;

    assert_int_equal(vperfdata_parse("z=1 a=2 m=3", 11, out), 3);
    text = json_dumps(out, JSON_COMPACT | JSON_PRESERVE_ORDER);
    assert_string_equal(text, "{\"z\":{\"value\":1},\"a\":{\"value\":2},"
                              "\"m\":{\"value\":3}}");
    free(text);
    json_decref(out);
}

static void test_parse_invalid_utf8_labels(void **state)
{
    (void)state;
    check_parse("\xff=1 'b\xc3('=2 ok=3 \xc3\xa9t\xc3\xa9=4", 2,
                "{\"ok\": {\"value\": 3}, \"\xc3\xa9t\xc3\xa9\": "
                "{\"value\": 4}}");
    check_parse("a=1\xff", 0, "{}");
}

static void test_parse_limits(void **state)
{
    char label[VPERFDATA_MAX_LABEL + 2], text[2 * VPERFDATA_MAX_LABEL + 64];
    size_t cap = (VPERFDATA_MAX_ITEMS + 50) * 16, len = 0;
    char *many = malloc(cap);
    json_t *out = json_object();
    int i;
    (void)state;

    /* Labels: the longest kept, one byte more skipped. */
    memset(label, 'x', sizeof(label) - 1);
    label[VPERFDATA_MAX_LABEL] = '\0';
    snprintf(text, sizeof(text), "%s=1", label);
    assert_int_equal(vperfdata_parse(text, strlen(text), out), 1);
    label[VPERFDATA_MAX_LABEL] = 'x';
    label[VPERFDATA_MAX_LABEL + 1] = '\0';
    snprintf(text, sizeof(text), "%s=1 '%s'=2 b=3", label, label);
    json_object_clear(out);
    assert_int_equal(vperfdata_parse(text, strlen(text), out), 1);
    assert_non_null(json_object_get(out, "b"));

    /* Items: at most VPERFDATA_MAX_ITEMS. */
    assert_non_null(many);
    for (i = 0; i < VPERFDATA_MAX_ITEMS + 50; i++)
        len += (size_t)snprintf(many + len, cap - len, "i%d=%d ", i, i);
    json_object_clear(out);
    assert_int_equal(vperfdata_parse(many, len, out), VPERFDATA_MAX_ITEMS);
    assert_int_equal(json_object_size(out), VPERFDATA_MAX_ITEMS);
    assert_null(json_object_get(out, "i256"));

    /* Units longer than VPERFDATA_MAX_UNIT. */
    json_object_clear(out);
    assert_int_equal(vperfdata_parse("a=1abcdefghijklmnopq", 20, out), 0);
    free(many);
    json_decref(out);
}

static void test_parse_bad_arguments(void **state)
{
    json_t *arr = json_array(), *obj = json_object();
    (void)state;

    assert_int_equal(vperfdata_parse("a=1", 3, NULL), -1);
    assert_int_equal(vperfdata_parse("a=1", 3, arr), -1);
    assert_int_equal(vperfdata_parse(NULL, 3, obj), -1);
    assert_int_equal(vperfdata_parse(NULL, 0, obj), 0);
    json_decref(arr);
    json_decref(obj);
}

/* Every prefix of a valid text, and a few byte patterns, parse without
 * reading outside the buffer (ASan checks) and give a sane count. */
static void test_parse_every_prefix(void **state)
{
    static const char text[] =
        "'a b'=1.5s;@1:2;~:3;0;10 'it''s'=U c=-2e3%;;;; d=7KiB;5;6";
    size_t len;
    json_t *out = json_object();
    char *copy;
    int n;
    (void)state;

    for (len = 0; len <= sizeof(text) - 1; len++) {
        /* An exact-size heap copy, so that a read past len is caught. */
        copy = malloc(len ? len : 1);
        assert_non_null(copy);
        memcpy(copy, text, len);
        json_object_clear(out);
        n = vperfdata_parse(copy, len, out);
        assert_true(n >= 0 && n <= 4);
        free(copy);
    }
    json_decref(out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_split_single_line),
        cmocka_unit_test(test_split_long_output),
        cmocka_unit_test(test_split_long_output_without_perfdata),
        cmocka_unit_test(test_split_cleans_the_summary),
        cmocka_unit_test(test_split_nul_bytes),
        cmocka_unit_test(test_split_bad_arguments),
        cmocka_unit_test(test_parse_check_load),
        cmocka_unit_test(test_parse_all_fields),
        cmocka_unit_test(test_parse_missing_fields),
        cmocka_unit_test(test_parse_units),
        cmocka_unit_test(test_parse_quoted_labels),
        cmocka_unit_test(test_parse_unknown_value),
        cmocka_unit_test(test_parse_numbers),
        cmocka_unit_test(test_parse_ranges),
        cmocka_unit_test(test_parse_malformed_items_are_skipped),
        cmocka_unit_test(test_parse_whitespace_and_nul),
        cmocka_unit_test(test_parse_duplicates_keep_the_first),
        cmocka_unit_test(test_parse_keeps_input_order),
        cmocka_unit_test(test_parse_invalid_utf8_labels),
        cmocka_unit_test(test_parse_limits),
        cmocka_unit_test(test_parse_bad_arguments),
        cmocka_unit_test(test_parse_every_prefix),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
