/* settings.c - the settings reader (config/settings.c): every kind,
 * defaults, bounds, required and exclusive keys, non-empty values, secret
 * wiping, and errors at the node's position; and compound durations. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/settings.h"
#include "config/yaml.h"

/* A section with one field of each kind. */
typedef struct sample {
    char *name;
    int on;
    int64_t count;
    unsigned small;
    double ratio;
    int64_t every_ms;
    uint64_t bytes;
    char **tags;
    int custom; /* the length of "custom" */
    char *secret;
} sample_t;

static int custom_parses;

static int parse_len(vnode_t *node, void *field, verrs_t *e)
{
    const char *s;

    custom_parses++;
    if (vnode_as_str(node, "custom", &s, e) != 0)
        return -1;
    if (strcmp(s, "bad") == 0) {
        verrs_add(e, node, "'custom': not that");
        return -1;
    }
    *(int *)field = (int)strlen(s);
    return 0;
}

static const vsetting_t sample_settings[] = {
    {.key = "name", .kind = VSET_STR, .offset = offsetof(sample_t, name),
     .flags = VSET_REQUIRED | VSET_NONEMPTY},
    {.key = "on", .kind = VSET_BOOL, .offset = offsetof(sample_t, on),
     .def = "true"},
    {.key = "count", .kind = VSET_INT, .offset = offsetof(sample_t, count),
     .min = -5, .max = 5, .def = "3"},
    {.key = "small", .kind = VSET_UINT, .offset = offsetof(sample_t, small),
     .flags = VSET_POSITIVE, .def = "7"},
    {.key = "ratio", .kind = VSET_DOUBLE, .offset = offsetof(sample_t, ratio),
     .min = 0, .max = 1, .def = "0.5"},
    {.key = "every", .kind = VSET_DURATION,
     .offset = offsetof(sample_t, every_ms), .min = 1000, .max = 3600000,
     .def = "1m30s"},
    {.key = "bytes", .kind = VSET_SIZE, .offset = offsetof(sample_t, bytes),
     .flags = VSET_POSITIVE, .def = "512MB"},
    {.key = "tags", .kind = VSET_STRLIST, .offset = offsetof(sample_t, tags),
     .flags = VSET_NONEMPTY},
    {.key = "custom", .kind = VSET_CUSTOM,
     .offset = offsetof(sample_t, custom), .def = "abc", .parse = parse_len},
    {.key = "secret", .kind = VSET_STR, .offset = offsetof(sample_t, secret),
     .flags = VSET_SECRET},
    {0}};

static vnode_t *load(const char *text, verrs_t *e)
{
    vnode_t *root = vyaml_load_string(text, strlen(text), "t.yaml", e);

    assert_non_null(root);
    assert_int_equal(e->n, 0);
    return root;
}

/* Reads text's top-level map as a sample; the errors, joined, must be
 * want (NULL: none). */
static void read_sample(const char *text, const char *what, sample_t *s,
                        const char *want)
{
    verrs_t *e = verrs_new();
    vnode_t *root = load(text, e);
    size_t n;
    char *got;

    memset(s, 0, sizeof(*s));
    n = vset_read(sample_settings, root, s, what, e);
    assert_int_equal(n, e->n);
    got = verrs_join(e);
    if (want == NULL && got != NULL)
        fail_msg("unexpected errors: %s", got);
    if (want != NULL) {
        assert_non_null(got);
        assert_string_equal(got, want);
    }
    free(got);
    vnode_free(root);
    vitals_errors_free(e);
}

static void test_every_kind(void **state)
{
    sample_t s;
    (void)state;

    read_sample("name: x\non: false\ncount: -5\nsmall: 9\nratio: 1\n"
                "every: 1h\nbytes: 1GiB\ntags: [a, b]\ncustom: hello\n"
                "secret: s3cr3t\n",
                NULL, &s, NULL);
    assert_string_equal(s.name, "x");
    assert_int_equal(s.on, 0);
    assert_int_equal(s.count, -5);
    assert_int_equal(s.small, 9);
    assert_true(s.ratio == 1.0);
    assert_int_equal(s.every_ms, 3600000);
    assert_int_equal(s.bytes, 1073741824ULL);
    assert_string_equal(s.tags[0], "a");
    assert_string_equal(s.tags[1], "b");
    assert_null(s.tags[2]);
    assert_int_equal(s.custom, 5);
    assert_string_equal(s.secret, "s3cr3t");
    vset_free(sample_settings, &s);
    assert_null(s.name);
    assert_null(s.tags);
    assert_null(s.secret);

    /* A single string is a list of one. */
    read_sample("name: x\ntags: solo\n", NULL, &s, NULL);
    assert_string_equal(s.tags[0], "solo");
    assert_null(s.tags[1]);
    vset_free(sample_settings, &s);
}

static void test_defaults(void **state)
{
    sample_t s;
    (void)state;

    /* Each default is read like a value given, custom rows included. */
    custom_parses = 0;
    read_sample("name: x\n", NULL, &s, NULL);
    assert_int_equal(s.on, 1);
    assert_int_equal(s.count, 3);
    assert_int_equal(s.small, 7);
    assert_true(s.ratio == 0.5);
    assert_int_equal(s.every_ms, 90000);
    assert_int_equal(s.bytes, 512000000ULL);
    assert_null(s.tags);
    assert_int_equal(s.custom, 3);
    assert_int_equal(custom_parses, 1);
    vset_free(sample_settings, &s);

    /* A value given replaces the default: custom parses once. */
    custom_parses = 0;
    read_sample("name: x\ncustom: hello\n", NULL, &s, NULL);
    assert_int_equal(custom_parses, 1);
    vset_free(sample_settings, &s);

    /* vset_defaults alone: no map, no required key. */
    memset(&s, 0, sizeof(s));
    assert_int_equal(vset_defaults(sample_settings, &s), 0);
    assert_int_equal(s.count, 3);
    assert_int_equal(s.every_ms, 90000);
    vset_free(sample_settings, &s);

    /* A row without a default leaves the field as the caller set it
     * (layers: the engine's defaults, then the defaults: section). */
    {
        static const vsetting_t layer[] = {
            {.key = "count", .kind = VSET_INT,
             .offset = offsetof(sample_t, count)},
            {0}};
        verrs_t *e = verrs_new();
        vnode_t *root = load("other: 1\n", e);

        memset(&s, 0, sizeof(s));
        s.count = 42;
        assert_int_equal(vset_read(layer, root, &s, NULL, e), 0);
        assert_int_equal(s.count, 42);
        vnode_free(root);
        vitals_errors_free(e);
    }
}

static void test_bounds(void **state)
{
    sample_t s;
    (void)state;

    read_sample("name: x\ncount: 6\n", NULL, &s,
                "t.yaml:2:8: 'count': expected an integer between -5 and 5, "
                "got 6");
    vset_free(sample_settings, &s);
    read_sample("name: x\nsmall: 0\n", NULL, &s,
                "t.yaml:2:8: 'small': must be more than 0");
    vset_free(sample_settings, &s);
    read_sample("name: x\nsmall: -1\n", NULL, &s,
                "t.yaml:2:8: 'small': expected an integer between 0 and "
                "4294967295, got -1");
    vset_free(sample_settings, &s);
    read_sample("name: x\nratio: 1.5\n", NULL, &s,
                "t.yaml:2:8: 'ratio': expected a number from 0 to 1, got "
                "1.5");
    vset_free(sample_settings, &s);
    read_sample("name: x\nevery: 500ms\n", NULL, &s,
                "t.yaml:2:8: 'every': expected a duration from 1s to 1h, got "
                "\"500ms\"");
    vset_free(sample_settings, &s);
    read_sample("name: x\nbytes: 0\n", NULL, &s,
                "t.yaml:2:8: 'bytes': must be more than 0");
    vset_free(sample_settings, &s);
}

static void test_kinds_checked(void **state)
{
    sample_t s;
    (void)state;

    /* Every error at once, each at its value, in the table's order. */
    read_sample("name: [x]\non: maybe\ncount: \"3\"\ntags: {a: 1}\n"
                "custom: bad\n",
                NULL, &s,
                "t.yaml:1:7: 'name': expected a string, got a list; "
                "t.yaml:2:5: 'on': expected true or false, got \"maybe\"; "
                "t.yaml:3:8: 'count': expected an integer between -5 and 5, "
                "got the string \"3\"; "
                "t.yaml:4:7: 'tags': expected a string or a list of strings, "
                "got a map; "
                "t.yaml:5:9: 'custom': not that");
    vset_free(sample_settings, &s);
}

static void test_required_and_nonempty(void **state)
{
    sample_t s;
    (void)state;

    /* The message names the section and points at its map. */
    read_sample("on: true\n", "check 'db'", &s,
                "t.yaml:1:1: check 'db': missing required key 'name'");
    vset_free(sample_settings, &s);
    read_sample("on: true\n", NULL, &s,
                "t.yaml:1:1: missing required key 'name'");
    vset_free(sample_settings, &s);
    /* An explicit null is absent. */
    read_sample("name: ~\n", "check 'db'", &s,
                "t.yaml:1:1: check 'db': missing required key 'name'");
    vset_free(sample_settings, &s);
    read_sample("name: \"\"\ntags: []\n", NULL, &s,
                "t.yaml:1:7: 'name': must not be empty; "
                "t.yaml:2:7: 'tags': must not be empty");
    vset_free(sample_settings, &s);
}

typedef struct pair {
    char *date, *file;
} pair_t;

static const vsetting_t pair_settings[] = {
    {.key = "date", .kind = VSET_STR, .offset = offsetof(pair_t, date),
     .flags = VSET_ONEOF},
    {.key = "file", .kind = VSET_STR, .offset = offsetof(pair_t, file),
     .flags = VSET_ONEOF},
    {0}};

static void expect_pair(const char *text, const char *want)
{
    verrs_t *e = verrs_new();
    vnode_t *root = load(text, e);
    pair_t p = {0};
    char *got;

    assert_int_equal(vset_read(pair_settings, root, &p, "check 'x'", e), 1);
    got = verrs_join(e);
    assert_string_equal(got, want);
    free(got);
    vset_free(pair_settings, &p);
    vnode_free(root);
    vitals_errors_free(e);
}

static void test_one_of(void **state)
{
    (void)state;
    expect_pair("other: 1\n",
                "t.yaml:1:1: check 'x': missing required key 'date' or "
                "'file'");
    expect_pair("date: a\nfile: b\n",
                "t.yaml:2:7: 'date' and 'file' exclude each other: give "
                "one");
}

/* The reader marks what it read; the rest is left to vnode_map_done. */
static void test_unknown_keys_left(void **state)
{
    verrs_t *e = verrs_new();
    vnode_t *root = load("name: x\nnmae: y\n", e);
    sample_t s = {0};
    (void)state;

    assert_int_equal(vset_read(sample_settings, root, &s, NULL, e), 0);
    vnode_map_done(root, "check 'x'", e);
    assert_int_equal(e->n, 1);
    assert_string_equal(e->msgs[0], "t.yaml:2:1: unknown key 'nmae' in "
                                    "check 'x'");
    vset_free(sample_settings, &s);
    vnode_free(root);
    vitals_errors_free(e);
}

/* Secrets are overwritten before they are freed (vset_free wipes first);
 * other strings are left alone. */
static void test_secret_wiped(void **state)
{
    sample_t s;
    (void)state;

    read_sample("name: x\nsecret: hunter2\n", NULL, &s, NULL);
    vset_wipe(sample_settings, &s);
    assert_non_null(s.secret);
    for (size_t i = 0; i < 7; i++)
        assert_int_equal(s.secret[i], 0);
    assert_string_equal(s.name, "x");
    vset_free(sample_settings, &s);
    assert_null(s.secret);
}

static void test_text_for_messages(void **state)
{
    verrs_t *e = verrs_new();
    vnode_t *root = load("bytes: 1GB\n", e);
    (void)state;

    assert_string_equal(vset_text(sample_settings, root, "bytes"), "1GB");
    assert_string_equal(vset_text(sample_settings, root, "every"), "1m30s");
    assert_string_equal(vset_text(sample_settings, root, "name"), "?");
    vnode_free(root);
    vitals_errors_free(e);
}

static void test_compound_durations(void **state)
{
    static const struct {
        const char *text;
        int64_t ms;
    } good[] = {{"1m30s", 90000},       {"1h15m", 4500000},
                {"2h", 7200000},        {"1500ms", 1500},
                {"1h1m1s1ms", 3661001}, {"1d12h", 129600000},
                {"1.5h30m", 7200000},   {"0", 0}};
    static const char *const bad[] = {"30s1m", "1s1s", "1m30", "1m 30s",
                                      "m30s",  "1m-30s", ""};
    int64_t ms;
    (void)state;

    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        ms = -1;
        if (vitals_parse_duration(good[i].text, &ms) != 0)
            fail_msg("\"%s\" did not parse", good[i].text);
        assert_int_equal(ms, good[i].ms);
    }
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        if (vitals_parse_duration(bad[i], &ms) == 0)
            fail_msg("\"%s\" parsed", bad[i]);

    /* Through a table, with the usual messages. */
    {
        sample_t s;

        read_sample("name: x\nevery: 2m30s\n", NULL, &s, NULL);
        assert_int_equal(s.every_ms, 150000);
        vset_free(sample_settings, &s);
        read_sample("name: x\nevery: -1m30s\n", NULL, &s,
                    "t.yaml:2:8: 'every': invalid duration \"-1m30s\" (must "
                    "not be negative)");
        vset_free(sample_settings, &s);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_kind),
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_bounds),
        cmocka_unit_test(test_kinds_checked),
        cmocka_unit_test(test_required_and_nonempty),
        cmocka_unit_test(test_one_of),
        cmocka_unit_test(test_unknown_keys_left),
        cmocka_unit_test(test_secret_wiped),
        cmocka_unit_test(test_text_for_messages),
        cmocka_unit_test(test_compound_durations),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
