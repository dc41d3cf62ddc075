/* rules.c - Accept negotiation: what each range admits, q=0, and types
 * that carry parameters of their own (Prometheus' text format). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "listen/rules.h"

#define PROM_TEXT "text/plain; version=0.0.4; charset=utf-8"
#define OPENMETRICS                                                           \
    "application/openmetrics-text; version=1.0.0; charset=utf-8"

static void test_ranges(void **state)
{
    (void)state;
    assert_true(vrule_accepts(NULL, "application/health+json"));
    assert_true(vrule_accepts("", "application/health+json"));
    assert_true(vrule_accepts("*/*", "application/health+json"));
    assert_true(vrule_accepts("application/*", "application/health+json"));
    assert_true(vrule_accepts("application/json", "application/health+json"));
    assert_true(vrule_accepts("text/html, application/health+json;q=0.9",
                              "application/health+json"));
    assert_false(vrule_accepts("text/html", "application/health+json"));
    assert_false(vrule_accepts("application/json", "text/plain"));
    assert_false(vrule_accepts("*/*;q=0", "text/plain"));
    assert_false(vrule_accepts("text/plain; q=0.0", "text/plain"));
}

static void test_type_parameters(void **state)
{
    (void)state;
    /* A range names a media type; the type's own parameters do not have
     * to be repeated. */
    assert_true(vrule_accepts("text/plain", PROM_TEXT));
    assert_true(vrule_accepts("text/plain;version=0.0.4", PROM_TEXT));
    assert_true(vrule_accepts("text/*", PROM_TEXT));
    assert_true(vrule_accepts("application/openmetrics-text", OPENMETRICS));
    assert_false(vrule_accepts("application/openmetrics-text", PROM_TEXT));
    assert_false(vrule_accepts("text/plain-ish", PROM_TEXT));
    /* Prometheus 2's scrape header accepts both. */
    assert_true(vrule_accepts(
        "application/openmetrics-text;version=1.0.0,application/"
        "openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;"
        "q=0.5,*/*;q=0.1",
        PROM_TEXT));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ranges),
        cmocka_unit_test(test_type_parameters),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
