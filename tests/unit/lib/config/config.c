/* config.c - the configuration loader's messages where newcomers trip:
 * a misspelt or missing type, a missing key, checks written as a list; and
 * durations in compound forms. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "checks/check_type.h"
#include "vitals.h"

/* Checks the configuration text; every error, each without its "PATH:"
 * and joined with "; ", must be want (NULL: valid). */
static void expect(const char *text, const char *want)
{
    char path[] = "/tmp/vitals_test_config_XXXXXX";
    int fd = mkstemp(path);
    vitals_errors_t *errs = NULL;
    char got[2048] = "";
    size_t plen = strlen(path), o = 0;

    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    assert_int_equal(close(fd), 0);
    int rc = vitals_config_check(path, &errs);
    unlink(path);
    for (size_t i = 0; i < vitals_errors_count(errs); i++) {
        const char *m = vitals_errors_get(errs, i);

        assert_int_equal(strncmp(m, path, plen), 0);
        o += (size_t)snprintf(got + o, sizeof(got) - o, "%s%s",
                              i ? "; " : "", m + plen + 1);
    }
    vitals_errors_free(errs);
    if (want == NULL) {
        if (rc != VITALS_OK)
            fail_msg("unexpected errors: %s", got);
        return;
    }
    assert_int_equal(rc, VITALS_ECONFIG);
    assert_string_equal(got, want);
}


/* Not also "unknown key 'path'" and "unknown key 'degraded_below'": the
 * keys of an unknown type are unknown only because of the type. */
static void test_misspelt_type(void **state)
{
    char want[512];
    (void)state;

    snprintf(want, sizeof(want),
             "2:13: check 'x': unknown check type 'dsik' (known: %s)",
             vcheck_type_names());
    expect("checks:\n"
           "  x: {type: dsik, path: /, degraded_below: 1GB}\n",
           want);
}

static void test_missing_type(void **state)
{
    (void)state;
    /* Once, and without "unknown key 'path'". */
    expect("checks:\n"
           "  x: {path: /}\n",
           "2:6: check 'x': missing required key 'type'");
}

static void test_missing_key_names_the_check(void **state)
{
    (void)state;
    expect("checks:\n"
           "  db: {type: postgres}\n"
           "  web:\n"
           "    type: http\n",
           "2:7: check 'db': missing required key 'dsn'; "
           "4:5: check 'web': missing required key 'url'");
    /* A group member is named as one. */
    expect("checks:\n"
           "  g:\n"
           "    type: group\n"
           "    checks:\n"
           "      m: {type: tcp}\n",
           "5:10: group member 'm': missing required key 'address'");
}

static void test_checks_as_a_list(void **state)
{
    (void)state;
    expect("checks:\n"
           "  - name: web\n"
           "    type: http\n",
           "2:3: 'checks': expected a map whose keys are the check names "
           "(e.g. \"checks: {web: {type: http, url: ...}}\"), got a list");
}

static void test_compound_durations(void **state)
{
    (void)state;
    expect("defaults: {interval: 1m30s, timeout: 1500ms}\n"
           "checks:\n"
           "  a: {type: disk, path: /, interval: 1h15m, timeout: 2s}\n"
           "  b: {type: file, path: /, max_age: 2h, initial_delay: 1m}\n",
           NULL);
    expect("checks:\n"
           "  a: {type: disk, path: /, interval: 30s1m}\n",
           "2:38: 'interval': invalid duration \"30s1m\" (use a number and "
           "a unit: ms, s, m, h, d)");
    expect("defaults: {interval: 0s}\n",
           "1:22: 'interval': must be more than 0");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_misspelt_type),
        cmocka_unit_test(test_missing_type),
        cmocka_unit_test(test_missing_key_names_the_check),
        cmocka_unit_test(test_checks_as_a_list),
        cmocka_unit_test(test_compound_durations),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
