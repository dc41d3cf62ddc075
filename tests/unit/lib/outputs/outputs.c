/* test_outputs.c - the output table: lookups, the names error messages
 * list, and the table in docs/endpoints.md, which must say exactly what
 * the descriptors say. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "outputs/output.h"

/* The repository root, from this file's path (.../tests/unit/...). */
static void source_root(char *buf, size_t len)
{
    const char *cut = strstr(__FILE__, "/tests/unit/");

    assert_non_null(cut);
    snprintf(buf, len, "%.*s", (int)(cut - __FILE__), __FILE__);
}

/* The paths column of one output. */
static void paths(const voutput_t *o, char *buf, size_t len)
{
    if (o->doc_paths != NULL)
        snprintf(buf, len, "%s", o->doc_paths);
    else if (o->subpaths == 2)
        snprintf(buf, len, "`%s/{name}`", o->path);
    else if (o->subpaths == 1)
        snprintf(buf, len, "`%s`, `%s/{name}`", o->path, o->path);
    else
        snprintf(buf, len, "`%s`", o->path);
}

static char *table(void)
{
    static char out[8192];
    size_t used = (size_t)snprintf(out, sizeof(out),
                                   "| endpoint id | default path | methods | "
                                   "format | HTTP status |\n"
                                   "|---|---|---|---|---|\n");

    for (size_t i = 0; voutputs[i] != NULL; i++) {
        const voutput_t *o = voutputs[i];
        char p[256];

        assert_non_null(o->doc_format);
        assert_non_null(o->doc_codes);
        paths(o, p, sizeof(p));
        used += (size_t)snprintf(out + used, sizeof(out) - used,
                                 "| `%s` | %s | %s | %s | %s |\n", o->id, p,
                                 o->allow, o->doc_format, o->doc_codes);
    }
    return out;
}

static void test_docs_table(void **state)
{
    char root[512], path[600], *doc;
    const char *want = table();
    FILE *f;
    long len;
    int found;

    (void)state;
    source_root(root, sizeof(root));
    snprintf(path, sizeof(path), "%s/docs/endpoints.md", root);
    assert_non_null(f = fopen(path, "rb"));
    fseek(f, 0, SEEK_END);
    len = ftell(f);
    rewind(f);
    doc = calloc(1, (size_t)len + 1);
    assert_int_equal(fread(doc, 1, (size_t)len, f), (size_t)len);
    fclose(f);
    found = strstr(doc, want) != NULL;
    free(doc);
    if (!found)
        fail_msg("docs/endpoints.md must contain the output table:\n%s",
                 want);
}

static void test_lookup_and_names(void **state)
{
    (void)state;
    assert_ptr_equal(voutput_find("ietf"), voutputs[0]);
    assert_null(voutput_find("nope"));
    assert_string_equal(voutput_names(), "ietf, check, report, jsonrpc, "
                                         "mosparo, livez, readyz, startupz, "
                                         "status, metrics, history");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_docs_table),
        cmocka_unit_test(test_lookup_and_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
