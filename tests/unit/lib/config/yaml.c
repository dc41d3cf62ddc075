/* yaml.c - the YAML loader: positions, error messages and where they
 * point, environment expansion, aliases and their limits, scalar flags. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config/yaml.h"
#include "config/vnode.h"

/* ------------------------------------------------------------------------
 * Helpers
 */

/* A new temporary file holding text; remove with drop_file. */
static char *temp_file(const char *text)
{
    char tmpl[] = "/tmp/vitals_test_yaml_XXXXXX";
    int fd = mkstemp(tmpl);
    assert_true(fd >= 0);
    size_t len = strlen(text);
    assert_int_equal(write(fd, text, len), (ssize_t)len);
    assert_int_equal(close(fd), 0);
    char *path = strdup(tmpl);
    assert_non_null(path);
    return path;
}

static void drop_file(char *path)
{
    assert_int_equal(unlink(path), 0);
    free(path);
}

/* Loads text from a real file; the file is gone again on return, which
 * also shows that the tree owns its copy of the name. */
static vnode_t *load(const char *text, verrs_t *e, char **path_out)
{
    char *path = temp_file(text);
    vnode_t *root = vyaml_load_file(path, e);
    *path_out = strdup(path);
    drop_file(path);
    return root;
}

static vnode_t *load_string(const char *text, verrs_t *e)
{
    return vyaml_load_string(text, strlen(text), "t.yaml", e);
}

/* The only message in e is "<path>:<rest>"; e is emptied. */
static void expect_error_at(verrs_t *e, const char *path, const char *rest)
{
    char want[512];
    snprintf(want, sizeof(want), "%s:%s", path, rest);
    assert_int_equal(e->n, 1);
    assert_string_equal(e->msgs[0], want);
    free(e->msgs[0]);
    e->n = 0;
}

/* ------------------------------------------------------------------------
 * Tests
 */

static void test_unknown_key_position(void **state)
{
    (void)state;
    verrs_t *e = verrs_new();
    char *path;
    vnode_t *root = load("checks:\n"
                         "- name: x\n"
                         "  intervall: 5s\n",
                         e, &path);
    assert_non_null(root);
    assert_int_equal(e->n, 0);
    vnode_t *checks = vnode_get(root, "checks");
    assert_non_null(checks);
    assert_int_equal(checks->kind, VNODE_SEQ);
    vnode_t *check = checks->items[0];
    const char *name;
    assert_int_equal(vnode_str(check, "name", &name, e), 1);
    assert_string_equal(name, "x");
    vnode_map_done(check, "check 'x'", e);
    expect_error_at(e, path, "3:3: unknown key 'intervall' in check 'x'");
    vnode_map_done(root, "the configuration", e);
    assert_int_equal(e->n, 0);
    vnode_free(root);
    free(path);
    vitals_errors_free(e);
}

static void test_positions_and_file(void **state)
{
    (void)state;
    verrs_t *e = verrs_new();
    char *path;
    vnode_t *root = load("# a comment\n"
                         "listen: \"127.0.0.1:8080\"\n"
                         "service:\n"
                         "    id: shop\n"
                         "checks: [a, b]\n",
                         e, &path);
    assert_non_null(root);
    assert_int_equal(e->n, 0);
    assert_string_equal(root->file, path);
    assert_ptr_equal(root->owned_file, root->file);
    assert_int_equal(root->n, 3);

    vnode_t *listen = vnode_get(root, "listen");
    assert_int_equal(root->keys[0]->line, 2);
    assert_int_equal(root->keys[0]->col, 1);
    assert_int_equal(listen->line, 2);
    assert_int_equal(listen->col, 9);
    assert_ptr_equal(listen->file, root->file); /* one shared copy */
    assert_int_equal(listen->quoted, 1);

    vnode_t *service = vnode_get(root, "service");
    assert_int_equal(service->kind, VNODE_MAP);
    assert_int_equal(service->keys[0]->line, 4);
    assert_int_equal(service->keys[0]->col, 5);
    assert_int_equal(service->items[0]->col, 9);

    vnode_t *checks = vnode_get(root, "checks");
    assert_int_equal(checks->line, 5);
    assert_int_equal(checks->col, 9);
    assert_int_equal(checks->items[1]->line, 5);
    assert_int_equal(checks->items[1]->col, 13);
    vnode_free(root);
    free(path);
    vitals_errors_free(e);
}

static void test_getter_errors_point_at_values(void **state)
{
    (void)state;
    verrs_t *e = verrs_new();
    char *path;
    vnode_t *root = load("checks:\n"
                         "  - name: db\n"
                         "    interval: 5x\n"
                         "    critical: yes please\n"
                         "    timeout: [1, 2]\n"
                         "    tags: [a, {b: c}]\n"
                         "    port: 70000\n"
                         "    degraded_below: 512MB\n"
                         "    size: 1MiB\n",
                         e, &path);
    assert_non_null(root);
    vnode_t *check = vnode_get(root, "checks")->items[0];
    int64_t ms, port;
    int b;
    char **tags;
    uint64_t bytes;
    assert_int_equal(vnode_duration(check, "interval", &ms, e), -1);
    expect_error_at(e, path, "3:15: 'interval': invalid duration \"5x\" "
                             "(use a number and a unit: ms, s, m, h, d)");
    assert_int_equal(vnode_bool(check, "critical", &b, e), -1);
    expect_error_at(e, path, "4:15: 'critical': expected true or false, "
                             "got \"yes please\"");
    assert_int_equal(vnode_duration(check, "timeout", &ms, e), -1);
    expect_error_at(e, path,
                    "5:14: 'timeout': expected a duration, got a list");
    assert_int_equal(vnode_strlist(check, "tags", &tags, NULL, e), -1);
    expect_error_at(e, path, "6:15: 'tags': item 2: expected a string, "
                             "got a map");
    assert_int_equal(vnode_int(check, "port", 1, 65535, &port, e), -1);
    expect_error_at(e, path, "7:11: 'port': expected an integer between 1 "
                             "and 65535, got 70000");
    assert_int_equal(vnode_size(check, "degraded_below", &bytes, e), 1);
    assert_int_equal(bytes, 512000000);
    assert_int_equal(vnode_size(check, "size", &bytes, e), 1);
    assert_int_equal(bytes, 1048576);
    vnode_free(root);
    free(path);
    vitals_errors_free(e);
}

static void test_duplicate_keys(void **state)
{
    (void)state;
    verrs_t *e = verrs_new();
    char *path;
    vnode_t *root = load("a: 1\n"
                         "b:\n"
                         "  x: first\n"
                         "  x: second\n"
                         "a: 2\n"
                         "c: {k: 1, k: 2}\n",
                         e, &path);
    assert_non_null(root); /* reported, and reading went on */
    assert_int_equal(e->n, 3);
    char want[256];
    snprintf(want, sizeof(want), "%s:4:3: duplicate key 'x'", path);
    assert_string_equal(e->msgs[0], want);
    snprintf(want, sizeof(want), "%s:5:1: duplicate key 'a'", path);
    assert_string_equal(e->msgs[1], want);
    snprintf(want, sizeof(want), "%s:6:11: duplicate key 'k'", path);
    assert_string_equal(e->msgs[2], want);
    /* The first occurrence stays; the later one is kept out. */
    assert_int_equal(root->n, 3);
    assert_string_equal(vnode_get(root, "a")->str, "1");
    vnode_t *b = vnode_get(root, "b");
    assert_int_equal(b->n, 1);
    assert_string_equal(b->items[0]->str, "first");
    vnode_free(root);
    free(path);
    vitals_errors_free(e);
}

static void test_env_expansion(void **state)
{
    (void)state;
    verrs_t *e = verrs_new();
    assert_int_equal(setenv("VITALS_TEST_HOST", "db.local", 1), 0);
    assert_int_equal(setenv("VITALS_TEST_PORT", "5432", 1), 0);
    assert_int_equal(setenv("VITALS_TEST_EMPTY", "", 1), 0);
    vnode_t *root = load_string("addr: ${VITALS_TEST_HOST}:${VITALS_TEST_PORT}\n"
                                "port: ${VITALS_TEST_PORT}\n"
                                "quoted: \"x${VITALS_TEST_HOST}\"\n"
                                "literal: $${VITALS_TEST_HOST}\n"
                                "dollars: a$b $$c $\n"
                                "empty: '${VITALS_TEST_EMPTY}'\n"
                                "${VITALS_TEST_HOST}: key\n",
                                e);
    assert_non_null(root);
    assert_int_equal(e->n, 0);
    const char *s;
    int64_t port;
    assert_int_equal(vnode_str(root, "addr", &s, e), 1);
    assert_string_equal(s, "db.local:5432");
    /* Plain stays plain: the expanded value reads as a number. */
    assert_int_equal(vnode_int(root, "port", 1, 65535, &port, e), 1);
    assert_int_equal(port, 5432);
    assert_int_equal(vnode_str(root, "quoted", &s, e), 1);
    assert_string_equal(s, "xdb.local");
    assert_int_equal(vnode_str(root, "literal", &s, e), 1);
    assert_string_equal(s, "${VITALS_TEST_HOST}");
    assert_int_equal(vnode_str(root, "dollars", &s, e), 1);
    assert_string_equal(s, "a$b $$c $");
    assert_int_equal(vnode_str(root, "empty", &s, e), 1);
    assert_string_equal(s, "");
    assert_int_equal(vnode_str(root, "db.local", &s, e), 1); /* keys too */
    assert_string_equal(s, "key");
    assert_int_equal(e->n, 0);
    vnode_free(root);
    vitals_errors_free(e);
}

static void test_env_errors(void **state)
{
    (void)state;
    verrs_t *e = verrs_new();
    assert_int_equal(unsetenv("VITALS_TEST_UNSET"), 0);
    vnode_t *root = load_string("a: 1\n"
                                "host: ${VITALS_TEST_UNSET}\n"
                                "b: \"${VITALS_TEST_UNSET\"\n"
                                "c: ${1BAD}\n"
                                "d: ${}\n",
                                e);
    assert_non_null(root);
    assert_int_equal(e->n, 4);
    assert_string_equal(e->msgs[0], "t.yaml:2:7: environment variable "
                                    "VITALS_TEST_UNSET is not set");
    assert_string_equal(e->msgs[1], "t.yaml:3:4: unterminated ${ "
                                    "(write $${ for a literal ${)");
    assert_string_equal(e->msgs[2], "t.yaml:4:4: invalid environment "
                                    "variable name '1BAD'");
    assert_string_equal(e->msgs[3], "t.yaml:5:4: invalid environment "
                                    "variable name ''");
    vnode_free(root);
    vitals_errors_free(e);
}

static void test_syntax_errors(void **state)
{
    (void)state;
    verrs_t *e = verrs_new();
    char *path;
    assert_null(load("a: b\n  c: d\n", e, &path));
    expect_error_at(e, path,
                    "2:4: mapping values are not allowed in this context");
    free(path);
    assert_null(load("a: 1\nb: \"open\n", e, &path));
    expect_error_at(e, path, "3:1: found unexpected end of stream "
                             "(while scanning a quoted scalar)");
    free(path);
    assert_null(load("a: [1, 2\nb: 3\n", e, &path));
    expect_error_at(e, path, "2:2: did not find expected ',' or ']' "
                             "(while parsing a flow sequence)");
    free(path);
    assert_null(load("a: \x01\n", e, &path));
    expect_error_at(e, path,
                    "1:4: control characters are not allowed (byte 0x01)");
    free(path);
    vitals_errors_free(e);
}

static void test_cannot_read(void **state)
{
    (void)state;
    verrs_t *e = verrs_new();
    assert_null(vyaml_load_file("/nonexistent/vitals.yaml", e));
    expect_error_at(e, "/nonexistent/vitals.yaml",
                    " cannot read: No such file or directory");
    assert_null(vyaml_load_file("/tmp", e));
    expect_error_at(e, "/tmp", " cannot read: Is a directory");
    vitals_errors_free(e);
}

static void test_empty_documents_are_empty_maps(void **state)
{
    (void)state;
    static const char *const texts[] = {"", "\n\n", "# only a comment\n",
                                        "---\n", "~\n"};
    verrs_t *e = verrs_new();
    for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
        char *path;
        vnode_t *root = load(texts[i], e, &path);
        assert_non_null(root);
        assert_int_equal(e->n, 0);
        assert_int_equal(root->kind, VNODE_MAP);
        assert_int_equal(root->n, 0);
        assert_string_equal(root->file, path);
        vnode_free(root);
        free(path);
    }
    vitals_errors_free(e);
}

static void test_top_level_must_be_a_map(void **state)
{
    (void)state;
    verrs_t *e = verrs_new();
    char *path;
    assert_null(load("- a\n- b\n", e, &path));
    expect_error_at(e, path, "1:1: the configuration must be a map of keys");
    free(path);
    assert_null(load("just text\n", e, &path));
    expect_error_at(e, path, "1:1: the configuration must be a map of keys");
    free(path);
    vitals_errors_free(e);
}

static void test_one_document_only(void **state)
{
    (void)state;
    verrs_t *e = verrs_new();
    assert_null(load_string("a: 1\n---\nb: 2\n", e));
    assert_int_equal(e->n, 1);
    assert_string_equal(e->msgs[0], "t.yaml:2:1: a configuration file holds "
                                    "one YAML document");
    vitals_errors_free(e);
}

static void test_keys_must_be_scalars(void **state)
{
    (void)state;
    verrs_t *e = verrs_new();
    vnode_t *root = load_string("? [a, b]\n: 1\nok: 2\n? {x: y}\n: 3\n", e);
    assert_non_null(root);
    assert_int_equal(e->n, 2);
    assert_string_equal(e->msgs[0],
                        "t.yaml:1:3: a key must be a scalar, not a list");
    assert_string_equal(e->msgs[1],
                        "t.yaml:4:3: a key must be a scalar, not a map");
    assert_int_equal(root->n, 1); /* the pairs are kept out */
    assert_string_equal(root->keys[0]->str, "ok");
    vnode_free(root);
    vitals_errors_free(e);
}

static void test_aliases_copy(void **state)
{
    (void)state;
    verrs_t *e = verrs_new();
    vnode_t *root = load_string("defaults: &d\n"
                                "  interval: 30s\n"
                                "  timeout: 5s\n"
                                "a: *d\n"
                                "b: *d\n"
                                "name: &n web\n"
                                "same: *n\n",
                                e);
    assert_non_null(root);
    assert_int_equal(e->n, 0);
    vnode_t *a = vnode_get(root, "a");
    vnode_t *b = vnode_get(root, "b");
    vnode_t *d = vnode_get(root, "defaults");
    assert_true(a != b && a != d); /* copies, each its own */
    int64_t ms;
    assert_int_equal(vnode_duration(a, "interval", &ms, e), 1);
    assert_int_equal(ms, 30000);
    /* Reading a's keys does not mark b's or the anchor's. */
    vnode_map_done(a, "a", e);
    expect_error_at(e, "t.yaml", "3:3: unknown key 'timeout' in a");
    vnode_map_done(b, "b", e);
    assert_int_equal(e->n, 2);
    assert_string_equal(e->msgs[0], "t.yaml:2:3: unknown key 'interval' in b");
    /* Positions are the anchored text's. */
    assert_int_equal(a->items[0]->line, 2);
    assert_string_equal(vnode_get(root, "same")->str, "web");
    vnode_free(root);
    vitals_errors_free(e);
}

static void test_alias_errors(void **state)
{
    (void)state;
    verrs_t *e = verrs_new();
    vnode_t *root = load_string("a: *nope\nb: &s [1, *s]\nc: 3\n", e);
    assert_non_null(root);
    assert_int_equal(e->n, 2);
    assert_string_equal(e->msgs[0], "t.yaml:1:4: unknown alias '*nope'");
    assert_string_equal(e->msgs[1],
                        "t.yaml:2:11: alias '*s' is inside its own anchor");
    assert_null(vnode_get(root, "a")); /* a null stands in */
    assert_non_null(vnode_get(root, "c"));
    vnode_free(root);
    vitals_errors_free(e);
}

static void test_alias_bomb(void **state)
{
    (void)state;
    verrs_t *e = verrs_new();
    /* 11, 111, 1111, 11111 nodes; e would be 111111. */
    vnode_t *root = load_string(
        "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
        "b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
        "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\n"
        "d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
        "e: [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\n",
        e);
    assert_null(root);
    assert_int_equal(e->n, 1);
    /* 12350 nodes before e's items, 11111 per copy: the 8th goes over. */
    assert_string_equal(e->msgs[0], "t.yaml:5:33: alias '*d' makes the "
                                    "document larger than 100000 nodes");
    vitals_errors_free(e);
}

static void test_depth_limit(void **state)
{
    (void)state;
    char text[256] = "a: ";
    for (int i = 0; i < 100; i++)
        strcat(text, "[");
    for (int i = 0; i < 100; i++)
        strcat(text, "]");
    verrs_t *e = verrs_new();
    assert_null(vyaml_load_string(text, strlen(text), NULL, e));
    assert_int_equal(e->n, 1);
    /* The root map and 99 lists fit; the 100th list does not. */
    assert_string_equal(e->msgs[0],
                        "<string>:1:103: nesting deeper than 100 levels");
    vitals_errors_free(e);
}

static void test_scalar_flags(void **state)
{
    (void)state;
    static const struct {
        const char *key;
        int quoted, null;
        const char *str;
    } want[] = {
        {"plain", 0, 0, "true"},  {"single", 1, 0, "true"},
        {"double", 1, 0, "1"},    {"block", 1, 0, "x\n"},
        {"str", 1, 0, "123"},     {"tilde", 0, 1, "~"},
        {"null", 0, 1, "null"},   {"Null", 0, 1, "Null"},
        {"NULL", 0, 1, "NULL"},   {"empty", 0, 1, ""},
        {"qnull", 1, 0, "null"},  {"nUll", 0, 0, "nUll"},
    };
    verrs_t *e = verrs_new();
    vnode_t *root = load_string("plain: true\n"
                                "single: 'true'\n"
                                "double: \"1\"\n"
                                "block: |\n"
                                "  x\n"
                                "str: !!str 123\n"
                                "tilde: ~\n"
                                "null: null\n"
                                "Null: Null\n"
                                "NULL: NULL\n"
                                "empty:\n"
                                "qnull: \"null\"\n"
                                "nUll: nUll\n",
                                e);
    assert_non_null(root);
    assert_int_equal(e->n, 0);
    assert_int_equal(root->n, sizeof(want) / sizeof(want[0]));
    for (size_t i = 0; i < root->n; i++) {
        assert_string_equal(root->keys[i]->str, want[i].key);
        assert_int_equal(root->items[i]->quoted, want[i].quoted);
        assert_int_equal(root->items[i]->null, want[i].null);
        assert_string_equal(root->items[i]->str, want[i].str);
    }
    vnode_free(root);
    vitals_errors_free(e);
}

/* The dump ignores layout, comments and positions, and sees values. */
static void test_dump_between_loads(void **state)
{
    (void)state;
    verrs_t *e = verrs_new();
    vnode_t *one = load_string("# first\n"
                               "name: db\n"
                               "interval: 30s\n"
                               "tags:\n"
                               "  - a\n"
                               "  - b\n"
                               "opts:\n"
                               "  port: 5432\n"
                               "  tls: true\n",
                               e);
    vnode_t *two = load_string("\n\nname: \"db\"\n"
                               "interval: '30s'\n"
                               "tags: [a, b]\n"
                               "opts: {port: 5432, tls: true}  # same\n",
                               e);
    vnode_t *three = load_string("name: db\n"
                                 "interval: 30s\n"
                                 "tags: [a, b]\n"
                                 "opts: {port: \"5432\", tls: true}\n",
                                 e);
    assert_int_equal(e->n, 0);
    char *d1 = vnode_dump(one), *d2 = vnode_dump(two), *d3 = vnode_dump(three);
    assert_string_equal(d1, "{\"name\":\"db\",\"interval\":\"30s\","
                            "\"tags\":[\"a\",\"b\"],"
                            "\"opts\":{\"port\":5432,\"tls\":true}}");
    assert_string_equal(d1, d2);
    assert_string_not_equal(d1, d3); /* "5432" is a string now */
    free(d1);
    free(d2);
    free(d3);
    vnode_free(one);
    vnode_free(two);
    vnode_free(three);
    vitals_errors_free(e);
}

static void test_load_string_names(void **state)
{
    (void)state;
    verrs_t *e = verrs_new();
    assert_null(vyaml_load_string("[1]", 3, NULL, e));
    assert_string_equal(e->msgs[0],
                        "<string>:1:1: the configuration must be a map of keys");
    vnode_t *root = vyaml_load_string(NULL, 0, "none", e);
    assert_non_null(root);
    assert_int_equal(root->n, 0);
    vnode_free(root);
    /* Only len bytes count. */
    root = vyaml_load_string("a: 1\nb: [", 5, "cut", e);
    assert_non_null(root);
    assert_int_equal(root->n, 1);
    vnode_free(root);
    assert_int_equal(e->n, 1);
    vitals_errors_free(e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_unknown_key_position),
        cmocka_unit_test(test_positions_and_file),
        cmocka_unit_test(test_getter_errors_point_at_values),
        cmocka_unit_test(test_duplicate_keys),
        cmocka_unit_test(test_env_expansion),
        cmocka_unit_test(test_env_errors),
        cmocka_unit_test(test_syntax_errors),
        cmocka_unit_test(test_cannot_read),
        cmocka_unit_test(test_empty_documents_are_empty_maps),
        cmocka_unit_test(test_top_level_must_be_a_map),
        cmocka_unit_test(test_one_document_only),
        cmocka_unit_test(test_keys_must_be_scalars),
        cmocka_unit_test(test_aliases_copy),
        cmocka_unit_test(test_alias_errors),
        cmocka_unit_test(test_alias_bomb),
        cmocka_unit_test(test_depth_limit),
        cmocka_unit_test(test_scalar_flags),
        cmocka_unit_test(test_dump_between_loads),
        cmocka_unit_test(test_load_string_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
