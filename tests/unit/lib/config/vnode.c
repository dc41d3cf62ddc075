/* vnode.c - the settings tree: error list formatting, typed getters and
 * their messages, duration and size parsing, JSON import and the dump. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/vnode.h"

/* ------------------------------------------------------------------------
 * Helpers
 */

static vnode_t *scalar(const char *text, int quoted, int line, int col)
{
    vnode_t *n = vnode_new(VNODE_SCALAR, "c.yaml", line, col);
    assert_non_null(n);
    n->str = strdup(text);
    assert_non_null(n->str);
    n->quoted = quoted;
    return n;
}

/* Adds key: value (a plain scalar) at line, with the value at column 10. */
static void put(vnode_t *map, const char *key, const char *value, int line)
{
    vnode_t *v = scalar(value, 0, line, 10);
    assert_int_equal(vnode_map_put(map, scalar(key, 0, line, 3), v), 0);
}

static void put_node(vnode_t *map, const char *key, vnode_t *value)
{
    assert_int_equal(
        vnode_map_put(map, scalar(key, 0, value->line, 3), value), 0);
}

static vnode_t *json(const char *text)
{
    verrs_t *e = verrs_new();
    vnode_t *n = vnode_from_json(text, e);
    assert_non_null(n);
    assert_int_equal(e->n, 0);
    vitals_errors_free(e);
    return n;
}

/* e holds exactly the one message want; then it is emptied. */
static void expect_error(verrs_t *e, const char *want)
{
    assert_int_equal(e->n, 1);
    assert_string_equal(e->msgs[0], want);
    free(e->msgs[0]);
    e->n = 0;
}

/* ------------------------------------------------------------------------
 * The error list
 */

static void test_verrs_formats(void **state)
{
    (void)state;
    verrs_t *e = verrs_new();
    vnode_t *yaml = scalar("x", 0, 3, 5);
    vnode_t *js = vnode_new(VNODE_SCALAR, NULL, 0, 0);

    verrs_add(e, yaml, "bad %s %d", "value", 1);
    verrs_add(e, js, "from json");
    verrs_add(e, NULL, "no position");
    verrs_add_at(e, "f.yaml", 0, 0, "file only");
    verrs_add_at(e, NULL, 2, 7, "position only");
    verrs_add_at(e, "f.yaml", 9, 1, "all");
    verrs_add(NULL, yaml, "ignored"); /* no list: nothing happens */

    assert_int_equal(vitals_errors_count(e), 6);
    assert_string_equal(vitals_errors_get(e, 0), "c.yaml:3:5: bad value 1");
    assert_string_equal(vitals_errors_get(e, 1), "settings: from json");
    assert_string_equal(vitals_errors_get(e, 2), "no position");
    assert_string_equal(vitals_errors_get(e, 3), "f.yaml: file only");
    assert_string_equal(vitals_errors_get(e, 4), "2:7: position only");
    assert_string_equal(vitals_errors_get(e, 5), "f.yaml:9:1: all");
    assert_null(vitals_errors_get(e, 6));
    assert_int_equal(e->oom, 0);

    char *all = verrs_join(e);
    assert_string_equal(all, "c.yaml:3:5: bad value 1; settings: from json; "
                             "no position; f.yaml: file only; "
                             "2:7: position only; f.yaml:9:1: all");
    free(all);

    vnode_free(yaml);
    vnode_free(js);
    vitals_errors_free(e);
}

static void test_verrs_join_empty_and_oom(void **state)
{
    (void)state;
    verrs_t *e = verrs_new();
    assert_null(verrs_join(e));
    assert_null(verrs_join(NULL));
    assert_int_equal(vitals_errors_count(NULL), 0);
    assert_null(vitals_errors_get(NULL, 0));

    e->oom = 1; /* as after a failed allocation */
    char *s = verrs_join(e);
    assert_string_equal(s, "out of memory (some errors are missing)");
    free(s);
    verrs_add_at(e, "f", 1, 2, "first");
    s = verrs_join(e);
    assert_string_equal(s,
                        "f:1:2: first; out of memory (some errors are missing)");
    free(s);
    vitals_errors_free(e);
    vitals_errors_free(NULL);
}

static void test_verrs_many_in_order(void **state)
{
    (void)state;
    verrs_t *e = verrs_new();
    for (int i = 0; i < 100; i++)
        verrs_add_at(e, "f", i + 1, 1, "message %d", i);
    assert_int_equal(e->n, 100);
    for (int i = 0; i < 100; i++) {
        char want[64];
        snprintf(want, sizeof(want), "f:%d:1: message %d", i + 1, i);
        assert_string_equal(e->msgs[i], want);
    }
    vitals_errors_free(e);
}

/* ------------------------------------------------------------------------
 * Durations, sizes
 */

static void test_parse_duration(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        int64_t ms;
    } good[] = {
        {"0", 0},
        {"0ms", 0},
        {"0s", 0},
        {"1500ms", 1500},
        {"30s", 30000},
        {"5m", 300000},
        {"2h", 7200000},
        {"1d", 86400000},
        {"1.5s", 1500},
        {"2.5m", 150000},
        {"0.5ms", 1},     /* halves round up */
        {"0.4ms", 0},
        {"1.0005s", 1001}, /* 1000.5 ms */
        {"1.0004999s", 1000},
        {"0.0000000059d", 1}, /* 0.50976 ms: every digit counts */
        {"00010s", 10000},
        {"9223372036854775807ms", INT64_MAX},
        {"106751991167d", INT64_C(9223372036828800000)},
    };
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        int64_t ms = -1;
        if (vitals_parse_duration(good[i].text, &ms) != 0)
            fail_msg("rejected \"%s\"", good[i].text);
        if (ms != good[i].ms)
            fail_msg("\"%s\" gave %lld", good[i].text, (long long)ms);
    }

    static const char *const bad[] = {
        "", "-5s", "-0", "5", "1.5", "5x", "s", "ms", "1.s", ".5s", "5 s",
        " 5s", "5s ", "5S", "5MS", "1e3s", "+5s", "0x10s", "5sec",
        "9223372036854775808ms",  /* one past INT64_MAX */
        "106751991168d",          /* days past INT64_MAX ms */
        "99999999999999999999s",  /* past UINT64_MAX before the unit */
        "9223372036854775807.5ms" /* the fraction rounds past the limit */
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        int64_t ms = 42;
        if (vitals_parse_duration(bad[i], &ms) != -1)
            fail_msg("accepted \"%s\"", bad[i]);
        assert_int_equal(ms, 42); /* untouched */
    }
    int64_t ms = 42;
    assert_int_equal(vitals_parse_duration(NULL, &ms), -1);
}

static void test_parse_size(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        uint64_t bytes;
    } good[] = {
        {"0", 0},
        {"100", 100},
        {"100B", 100},
        {"1kB", 1000},
        {"1KB", 1000},
        {"512MB", 512000000},
        {"1GB", 1000000000},
        {"2TB", UINT64_C(2000000000000)},
        {"1KiB", 1024},
        {"1MiB", 1048576},
        {"1GiB", UINT64_C(1073741824)},
        {"1TiB", UINT64_C(1099511627776)},
        {"1.5GB", 1500000000},
        {"0.5KiB", 512},
        {"1.5B", 2},
        {"18446744073709551615", UINT64_MAX},
        {"16777215TiB", UINT64_C(16777215) << 40},
    };
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        uint64_t b = 1;
        if (vitals_parse_size(good[i].text, &b) != 0)
            fail_msg("rejected \"%s\"", good[i].text);
        if (b != good[i].bytes)
            fail_msg("\"%s\" gave %llu", good[i].text, (unsigned long long)b);
    }

    static const char *const bad[] = {
        "", "-1", "-1MB", "1.5", "1 MB", "1mb", "1Mb", "1PB", "1K", "MB",
        "1e3", "0x10",
        "18446744073709551616", /* UINT64_MAX + 1 */
        "17179869184GiB",       /* 2^64 */
        "16777216TiB",          /* 2^64 */
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        uint64_t b = 7;
        if (vitals_parse_size(bad[i], &b) != -1)
            fail_msg("accepted \"%s\"", bad[i]);
        assert_int_equal(b, 7);
    }
}

static void test_format_duration(void **state)
{
    (void)state;
    static const struct {
        int64_t ms;
        const char *text;
    } cases[] = {
        {0, "0s"},
        {1, "1ms"},
        {1500, "1500ms"},
        {30000, "30s"},
        {90000, "90s"},
        {300000, "5m"},
        {7200000, "2h"},
        {5400000, "90m"},
        {172800000, "2d"},
        {86400001, "86400001ms"},
        {-5000, "-5s"},
        {INT64_MIN, "-9223372036854775808ms"},
    };
    char buf[32];
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        assert_ptr_equal(vitals_format_duration(cases[i].ms, buf, sizeof(buf)),
                         buf);
        assert_string_equal(buf, cases[i].text);
        if (cases[i].ms >= 0) { /* what it writes reads back */
            int64_t back = -1;
            assert_int_equal(vitals_parse_duration(buf, &back), 0);
            assert_int_equal(back, cases[i].ms);
        }
    }
    char small[3];
    vitals_format_duration(1500, small, sizeof(small));
    assert_string_equal(small, "15"); /* truncated, still terminated */
    assert_null(vitals_format_duration(5, NULL, 0));
}

/* ------------------------------------------------------------------------
 * Getters
 */

static void test_getters_read_values(void **state)
{
    (void)state;
    verrs_t *e = verrs_new();
    vnode_t *m = json("{\"name\": \"db\", \"on\": true, \"off\": false,"
                      " \"port\": 5432, \"ratio\": 0.25, \"neg\": -3,"
                      " \"interval\": \"1.5s\", \"zero\": 0,"
                      " \"min_free\": \"512MB\", \"tags\": [\"a\", \"b\"],"
                      " \"one\": \"solo\", \"none\": [], \"big\": 1e300}");
    const char *s = NULL;
    int b = -1;
    int64_t i = 0;
    double d = 0;
    uint64_t u = 0;
    char **list = NULL;
    size_t count = 99;

    assert_int_equal(vnode_str(m, "name", &s, e), 1);
    assert_string_equal(s, "db");
    assert_int_equal(vnode_bool(m, "on", &b, e), 1);
    assert_int_equal(b, 1);
    assert_int_equal(vnode_bool(m, "off", &b, e), 1);
    assert_int_equal(b, 0);
    assert_int_equal(vnode_int(m, "port", 1, 65535, &i, e), 1);
    assert_int_equal(i, 5432);
    assert_int_equal(vnode_int(m, "neg", INT64_MIN, INT64_MAX, &i, e), 1);
    assert_int_equal(i, -3);
    assert_int_equal(vnode_double(m, "ratio", &d, e), 1);
    assert_true(d == 0.25);
    assert_int_equal(vnode_double(m, "big", &d, e), 1);
    assert_true(d == 1e300);
    assert_int_equal(vnode_duration(m, "interval", &i, e), 1);
    assert_int_equal(i, 1500);
    assert_int_equal(vnode_duration(m, "zero", &i, e), 1);
    assert_int_equal(i, 0);
    assert_int_equal(vnode_size(m, "min_free", &u, e), 1);
    assert_int_equal(u, 512000000);
    assert_int_equal(vnode_strlist(m, "tags", &list, &count, e), 1);
    assert_int_equal(count, 2);
    assert_string_equal(list[0], "a");
    assert_string_equal(list[1], "b");
    assert_null(list[2]);
    vnode_strv_free(list);
    assert_int_equal(vnode_strlist(m, "one", &list, NULL, e), 1);
    assert_string_equal(list[0], "solo"); /* a string is a list of one */
    assert_null(list[1]);
    vnode_strv_free(list);
    assert_int_equal(vnode_strlist(m, "none", &list, &count, e), 1);
    assert_int_equal(count, 0);
    assert_null(list[0]);
    vnode_strv_free(list);

    /* Absent: 0, output untouched. */
    s = "keep";
    assert_int_equal(vnode_str(m, "missing", &s, e), 0);
    assert_string_equal(s, "keep");
    assert_int_equal(vnode_int(m, "missing", 0, 1, &i, e), 0);
    assert_int_equal(vnode_str(NULL, "name", &s, e), 0);

    assert_int_equal(e->n, 0);
    vnode_map_done(m, "check 'db'", e); /* everything was read */
    assert_int_equal(e->n, 0);
    vnode_free(m);
    vitals_errors_free(e);
}

static void test_bool_is_strict(void **state)
{
    (void)state;
    verrs_t *e = verrs_new();
    vnode_t *m = vnode_new(VNODE_MAP, "c.yaml", 1, 1);
    put(m, "a", "TRUE", 1);
    put(m, "b", "False", 2);
    put(m, "c", "yes", 3);
    put(m, "d", "yes please", 4);
    put(m, "e", "1", 5);
    put_node(m, "f", scalar("true", 1, 6, 10));
    int b = -1;

    assert_int_equal(vnode_bool(m, "a", &b, e), 1);
    assert_int_equal(b, 1);
    assert_int_equal(vnode_bool(m, "b", &b, e), 1);
    assert_int_equal(b, 0);
    b = 7;
    assert_int_equal(vnode_bool(m, "c", &b, e), -1);
    expect_error(e, "c.yaml:3:10: 'c': expected true or false, got \"yes\"");
    assert_int_equal(vnode_bool(m, "d", &b, e), -1);
    expect_error(e, "c.yaml:4:10: 'd': expected true or false, "
                    "got \"yes please\"");
    assert_int_equal(vnode_bool(m, "e", &b, e), -1);
    expect_error(e, "c.yaml:5:10: 'e': expected true or false, got \"1\"");
    assert_int_equal(vnode_bool(m, "f", &b, e), -1);
    expect_error(e, "c.yaml:6:10: 'f': expected true or false, "
                    "got the string \"true\"");
    assert_int_equal(b, 7);
    vnode_free(m);
    vitals_errors_free(e);
}

static void test_getter_messages(void **state)
{
    (void)state;
    verrs_t *e = verrs_new();
    vnode_t *m = vnode_new(VNODE_MAP, "c.yaml", 1, 1);
    vnode_t *list = vnode_new(VNODE_SEQ, "c.yaml", 20, 10);
    vnode_t *map = vnode_new(VNODE_MAP, "c.yaml", 21, 10);
    vnode_t *tags = vnode_new(VNODE_SEQ, "c.yaml", 22, 10);
    assert_int_equal(vnode_seq_push(tags, scalar("a", 0, 22, 11)), 0);
    assert_int_equal(
        vnode_seq_push(tags, vnode_new(VNODE_MAP, "c.yaml", 22, 14)), 0);
    vnode_t *nul = scalar("~", 0, 22, 20);
    nul->null = 1;
    assert_int_equal(vnode_seq_push(tags, nul), 0);
    put(m, "interval", "5x", 1);
    put(m, "neg", "-5s", 2);
    put(m, "huge", "999999999999d", 3);
    put(m, "port", "70000", 4);
    put(m, "port2", "80x", 5);
    put(m, "min1", "0", 6);
    put(m, "max5", "6", 7);
    put(m, "any", "99999999999999999999", 8);
    put(m, "ratio", "abc", 9);
    put(m, "inf", "1e999", 10);
    put(m, "size", "5XB", 11);
    put(m, "nsize", "-1MB", 12);
    put(m, "bigsize", "99999999TiB", 13);
    put_node(m, "qport", scalar("8080", 1, 14, 10));
    put(m, "odd", "a\"b\\c\td\x01", 15);
    put(m, "long", "0123456789012345678901234567890123456789"
                   "0123456789xyz", 16);
    /* 47 bytes, then a two-byte character cut in the middle at 48. */
    put(m, "utf8", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\xc3\xa9zz",
        17);
    put_node(m, "timeout", list);
    put_node(m, "name", map);
    put_node(m, "tags", tags);

    int64_t i = 11;
    uint64_t u = 11;
    double d = 11;
    const char *s = "keep";
    char **sv = NULL;
    int b = 11;

    assert_int_equal(vnode_duration(m, "interval", &i, e), -1);
    expect_error(e, "c.yaml:1:10: 'interval': invalid duration \"5x\" "
                    "(use a number and a unit: ms, s, m, h, d)");
    assert_int_equal(vnode_duration(m, "neg", &i, e), -1);
    expect_error(e, "c.yaml:2:10: 'neg': invalid duration \"-5s\" "
                    "(must not be negative)");
    assert_int_equal(vnode_duration(m, "huge", &i, e), -1);
    expect_error(e, "c.yaml:3:10: 'huge': invalid duration \"999999999999d\" "
                    "(too large)");
    assert_int_equal(vnode_duration(m, "timeout", &i, e), -1);
    expect_error(e, "c.yaml:20:10: 'timeout': expected a duration, got a list");
    assert_int_equal(vnode_int(m, "port", 1, 65535, &i, e), -1);
    expect_error(e, "c.yaml:4:10: 'port': expected an integer between 1 and "
                    "65535, got 70000");
    assert_int_equal(vnode_int(m, "port2", 1, 65535, &i, e), -1);
    expect_error(e, "c.yaml:5:10: 'port2': expected an integer between 1 and "
                    "65535, got \"80x\"");
    assert_int_equal(vnode_int(m, "min1", 1, INT64_MAX, &i, e), -1);
    expect_error(e, "c.yaml:6:10: 'min1': expected an integer of at least 1, "
                    "got 0");
    assert_int_equal(vnode_int(m, "max5", INT64_MIN, 5, &i, e), -1);
    expect_error(e, "c.yaml:7:10: 'max5': expected an integer of at most 5, "
                    "got 6");
    assert_int_equal(vnode_int(m, "any", INT64_MIN, INT64_MAX, &i, e), -1);
    expect_error(e, "c.yaml:8:10: 'any': expected an integer, "
                    "got 99999999999999999999");
    assert_int_equal(vnode_int(m, "qport", 1, 65535, &i, e), -1);
    expect_error(e, "c.yaml:14:10: 'qport': expected an integer between 1 "
                    "and 65535, got the string \"8080\"");
    assert_int_equal(vnode_int(m, "timeout", 0, 1, &i, e), -1);
    expect_error(e, "c.yaml:20:10: 'timeout': expected an integer between 0 "
                    "and 1, got a list");
    assert_int_equal(vnode_double(m, "ratio", &d, e), -1);
    expect_error(e, "c.yaml:9:10: 'ratio': expected a number, got \"abc\"");
    assert_int_equal(vnode_double(m, "inf", &d, e), -1);
    expect_error(e, "c.yaml:10:10: 'inf': 1e999 is out of range");
    assert_int_equal(vnode_size(m, "size", &u, e), -1);
    expect_error(e, "c.yaml:11:10: 'size': invalid size \"5XB\" (use a number "
                    "and a unit: B, kB, MB, GB, TB, KiB, MiB, GiB, TiB)");
    assert_int_equal(vnode_size(m, "nsize", &u, e), -1);
    expect_error(e, "c.yaml:12:10: 'nsize': invalid size \"-1MB\" "
                    "(must not be negative)");
    assert_int_equal(vnode_size(m, "bigsize", &u, e), -1);
    expect_error(e, "c.yaml:13:10: 'bigsize': invalid size \"99999999TiB\" "
                    "(too large)");
    assert_int_equal(vnode_size(m, "name", &u, e), -1);
    expect_error(e, "c.yaml:21:10: 'name': expected a size, got a map");
    assert_int_equal(vnode_str(m, "name", &s, e), -1);
    expect_error(e, "c.yaml:21:10: 'name': expected a string, got a map");
    assert_int_equal(vnode_bool(m, "odd", &b, e), -1);
    expect_error(e, "c.yaml:15:10: 'odd': expected true or false, "
                    "got \"a\\\"b\\\\c\\td\\x01\"");
    assert_int_equal(vnode_double(m, "long", &d, e), -1);
    expect_error(e, "c.yaml:16:10: 'long': expected a number, got "
                    "\"012345678901234567890123456789012345678901234567...\"");
    assert_int_equal(vnode_double(m, "utf8", &d, e), -1);
    expect_error(e, "c.yaml:17:10: 'utf8': expected a number, got "
                    "\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa...\"");
    assert_int_equal(vnode_strlist(m, "name", &sv, NULL, e), -1);
    expect_error(e, "c.yaml:21:10: 'name': expected a string or a list of "
                    "strings, got a map");

    /* Every bad item is reported, at the item. */
    assert_int_equal(vnode_strlist(m, "tags", &sv, NULL, e), -1);
    assert_int_equal(e->n, 2);
    assert_string_equal(e->msgs[0], "c.yaml:22:14: 'tags': item 2: expected "
                                    "a string, got a map");
    assert_string_equal(e->msgs[1], "c.yaml:22:20: 'tags': item 3: expected "
                                    "a string, got null");
    assert_null(sv);

    /* Outputs untouched on errors. */
    assert_int_equal(i, 11);
    assert_int_equal(u, 11);
    assert_true(d == 11);
    assert_int_equal(b, 11);
    assert_string_equal(s, "keep");

    vnode_free(m);
    vitals_errors_free(e);
}

static void test_json_messages_say_settings(void **state)
{
    (void)state;
    verrs_t *e = verrs_new();
    vnode_t *m = json("{\"interval\": \"5x\", \"critical\": \"yes please\","
                      " \"timeout\": [1]}");
    int64_t ms;
    int b;
    assert_int_equal(vnode_duration(m, "interval", &ms, e), -1);
    expect_error(e, "settings: 'interval': invalid duration \"5x\" "
                    "(use a number and a unit: ms, s, m, h, d)");
    assert_int_equal(vnode_bool(m, "critical", &b, e), -1);
    expect_error(e, "settings: 'critical': expected true or false, "
                    "got the string \"yes please\"");
    assert_int_equal(vnode_duration(m, "timeout", &ms, e), -1);
    expect_error(e, "settings: 'timeout': expected a duration, got a list");
    vnode_free(m);
    vitals_errors_free(e);
}

static void test_null_is_absent_but_read(void **state)
{
    (void)state;
    verrs_t *e = verrs_new();
    vnode_t *m = json("{\"a\": null, \"b\": null, \"c\": 1}");
    const char *s = "keep";
    int64_t ms = 5;
    assert_int_equal(vnode_str(m, "a", &s, e), 0);
    assert_string_equal(s, "keep");
    assert_int_equal(vnode_duration(m, "b", &ms, e), 0);
    assert_int_equal(ms, 5);
    assert_null(vnode_get(m, "b"));
    assert_int_equal(e->n, 0);
    vnode_map_done(m, "x", e); /* a and b were read; c was not */
    expect_error(e, "settings: unknown key 'c' in x");
    vnode_free(m);
    vitals_errors_free(e);
}

static void test_map_done_reports_unread_keys(void **state)
{
    (void)state;
    verrs_t *e = verrs_new();
    vnode_t *m = vnode_new(VNODE_MAP, "c.yaml", 1, 1);
    put(m, "name", "x", 2);
    put(m, "intervall", "5s", 3);
    put(m, "type", "tcp", 4);
    put(m, "extra", "1", 5);
    const char *s;
    assert_int_equal(vnode_str(m, "name", &s, e), 1);
    assert_non_null(vnode_get(m, "type"));
    vnode_touch(m, "extra");
    vnode_touch(m, "missing"); /* harmless */
    vnode_map_done(m, "check 'x'", e);
    expect_error(e, "c.yaml:3:3: unknown key 'intervall' in check 'x'");

    vnode_t *m2 = vnode_new(VNODE_MAP, "c.yaml", 1, 1);
    put(m2, "a", "1", 7);
    put(m2, "b", "2", 8);
    vnode_map_done(m2, NULL, e);
    assert_int_equal(e->n, 2);
    assert_string_equal(e->msgs[0], "c.yaml:7:3: unknown key 'a'");
    assert_string_equal(e->msgs[1], "c.yaml:8:3: unknown key 'b'");
    vnode_map_done(NULL, "x", e);
    assert_int_equal(e->n, 2);
    vnode_free(m);
    vnode_free(m2);
    vitals_errors_free(e);
}

/* ------------------------------------------------------------------------
 * Building, JSON, dump
 */

static void test_push_put(void **state)
{
    (void)state;
    vnode_t *seq = vnode_new(VNODE_SEQ, NULL, 0, 0);
    vnode_t *map = vnode_new(VNODE_MAP, NULL, 0, 0);
    vnode_t *s = scalar("x", 0, 1, 1);
    assert_int_equal(vnode_seq_push(map, s), VITALS_EINVAL);
    assert_int_equal(vnode_map_put(seq, s, s), VITALS_EINVAL);
    assert_int_equal(vnode_map_put(map, seq, s), VITALS_EINVAL); /* key */
    vnode_free(s);
    for (int i = 0; i < 1000; i++) {
        char k[16];
        snprintf(k, sizeof(k), "k%d", i);
        assert_int_equal(vnode_seq_push(seq, scalar(k, 0, i, 1)), 0);
        assert_int_equal(vnode_map_put(map, scalar(k, 0, i, 1),
                                       scalar(k, 1, i, 5)),
                         0);
    }
    assert_int_equal(seq->n, 1000);
    assert_int_equal(map->n, 1000);
    assert_string_equal(seq->items[999]->str, "k999");
    assert_non_null(vnode_get(map, "k500"));
    assert_int_equal(map->used[500], 1);
    assert_int_equal(map->used[499], 0);
    vnode_free(seq);
    vnode_free(map);
    vnode_free(NULL);
}

static void test_from_json_shapes(void **state)
{
    (void)state;
    vnode_t *m = json("{\"z\": \"s\", \"a\": 42, \"m\": 0.1, \"big\": 1e20,"
                      " \"t\": true, \"f\": false, \"n\": null,"
                      " \"list\": [1, [2], {\"k\": \"v\"}], \"obj\": {}}");
    static const char *const order[] = {"z", "a", "m", "big", "t", "f",
                                        "n", "list", "obj"};
    assert_int_equal(m->kind, VNODE_MAP);
    assert_int_equal(m->n, 9);
    for (size_t i = 0; i < 9; i++) { /* text order, not sorted */
        assert_string_equal(m->keys[i]->str, order[i]);
        assert_null(m->items[i]->file);
        assert_int_equal(m->items[i]->line, 0);
    }
    assert_string_equal(m->items[0]->str, "s");
    assert_int_equal(m->items[0]->quoted, 1);
    assert_string_equal(m->items[1]->str, "42");
    assert_int_equal(m->items[1]->quoted, 0);
    assert_string_equal(m->items[2]->str, "0.1");
    assert_string_equal(m->items[3]->str, "1e+20");
    assert_string_equal(m->items[4]->str, "true");
    assert_string_equal(m->items[5]->str, "false");
    assert_int_equal(m->items[6]->null, 1);
    assert_int_equal(m->items[7]->kind, VNODE_SEQ);
    assert_int_equal(m->items[7]->n, 3);
    assert_int_equal(m->items[7]->items[1]->kind, VNODE_SEQ);
    assert_int_equal(m->items[7]->items[2]->kind, VNODE_MAP);
    assert_int_equal(m->items[8]->kind, VNODE_MAP);
    assert_int_equal(m->items[8]->n, 0);
    vnode_free(m);

    vnode_t *empty = json(NULL); /* no settings: no keys */
    assert_int_equal(empty->kind, VNODE_MAP);
    assert_int_equal(empty->n, 0);
    vnode_free(empty);
}

static void test_from_json_errors(void **state)
{
    (void)state;
    verrs_t *e = verrs_new();
    assert_null(vnode_from_json("[1, 2]", e));
    expect_error(e, "settings: expected a JSON object");
    assert_null(vnode_from_json("\"text\"", e));
    expect_error(e, "settings: expected a JSON object");
    assert_null(vnode_from_json("{\"a\": 1, \"a\": 2}", e));
    assert_int_equal(e->n, 1);
    assert_non_null(strstr(e->msgs[0], "duplicate object key"));
    free(e->msgs[0]);
    e->n = 0;
    assert_null(vnode_from_json("{\"a\": ", e));
    assert_int_equal(e->n, 1);
    assert_true(strncmp(e->msgs[0], "settings: invalid JSON: ", 24) == 0);
    assert_non_null(strstr(e->msgs[0], "(line 1, column"));
    vitals_errors_free(e);
}

static void test_dump(void **state)
{
    (void)state;
    vnode_t *m = json("{\"b\": [1, \"x\", true, null, -2.5e3],"
                      " \"a\": {\"k\": \"v\\\"q\\\\\\n\\u0001\"}, \"s\": \"1\"}");
    char *d = vnode_dump(m);
    assert_string_equal(d, "{\"b\":[1,\"x\",true,null,-2500],"
                           "\"a\":{\"k\":\"v\\\"q\\\\\\n\\u0001\"},"
                           "\"s\":\"1\"}");
    char *again = vnode_dump(m);
    assert_string_equal(d, again); /* stable */
    free(again);
    free(d);
    vnode_free(m);

    /* Quoting changes what the number getters read: the dump tells. */
    vnode_t *q = json("{\"port\": \"80\"}");
    vnode_t *p = json("{\"port\": 80}");
    char *dq = vnode_dump(q), *dp = vnode_dump(p);
    assert_string_equal(dq, "{\"port\":\"80\"}");
    assert_string_equal(dp, "{\"port\":80}");
    free(dq);
    free(dp);
    vnode_free(q);
    vnode_free(p);

    /* Positions do not count; plain and quoted text that every getter reads
     * the same way dump the same. */
    vnode_t *x = vnode_new(VNODE_MAP, "c.yaml", 1, 1);
    vnode_t *y = vnode_new(VNODE_MAP, "other.yaml", 7, 3);
    put(x, "interval", "30s", 1);
    put_node(y, "interval", scalar("30s", 1, 9, 4));
    put(x, "flag", "True", 2);
    put(y, "flag", "True", 30);
    char *dx = vnode_dump(x), *dy = vnode_dump(y);
    assert_string_equal(dx, "{\"interval\":\"30s\",\"flag\":True}");
    assert_string_equal(dx, dy);
    free(dx);
    free(dy);
    vnode_free(x);
    vnode_free(y);

    d = vnode_dump(NULL);
    assert_string_equal(d, "null");
    free(d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_verrs_formats),
        cmocka_unit_test(test_verrs_join_empty_and_oom),
        cmocka_unit_test(test_verrs_many_in_order),
        cmocka_unit_test(test_parse_duration),
        cmocka_unit_test(test_parse_size),
        cmocka_unit_test(test_format_duration),
        cmocka_unit_test(test_getters_read_values),
        cmocka_unit_test(test_bool_is_strict),
        cmocka_unit_test(test_getter_messages),
        cmocka_unit_test(test_json_messages_say_settings),
        cmocka_unit_test(test_null_is_absent_but_read),
        cmocka_unit_test(test_map_done_reports_unread_keys),
        cmocka_unit_test(test_push_put),
        cmocka_unit_test(test_from_json_shapes),
        cmocka_unit_test(test_from_json_errors),
        cmocka_unit_test(test_dump),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
