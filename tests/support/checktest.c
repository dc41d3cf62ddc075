/* checktest.c - unit test support for check types (see checktest.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "checktest.h"
#include "util/clock.h"
#include "config/vnode.h"

/* Configures t from JSON settings and runs it once with a deadline
 * timeout_ms away. Returns the frozen result (vresult_unref). */
vitals_result_t *run_check(const vcheck_type_t *t, const char *json,
                                  int64_t timeout_ms)
{
    verrs_t *e = verrs_new();
    vnode_t *settings;
    vitals_result_t *r;
    void *state;
    char *msg;

    assert_non_null(e);
    settings = vnode_from_json(json, e);
    assert_non_null(settings);
    state = vcheck_configure(t, settings, NULL, e);
    if (!state) {
        msg = verrs_join(e);
        fail_msg("configure %s: %s", json, msg ? msg : "(no error)");
    }
    assert_int_equal(vitals_errors_count(e), 0);
    r = vresult_new(&vclock_system, vclock_mono(&vclock_system) +
                                        timeout_ms * VCLOCK_MS);
    assert_non_null(r);
    t->run(state, r);
    vresult_freeze(r);
    vcheck_state_free(t, state);
    vnode_free(settings);
    vitals_errors_free(e);
    return r;
}

/* Configures t from JSON settings, which must fail, and compares the
 * errors, joined with "; ", with want. */
void check_config_error(const vcheck_type_t *t, const char *json,
                               const char *want)
{
    verrs_t *e = verrs_new();
    vnode_t *settings;
    void *state;
    char *msg;

    assert_non_null(e);
    settings = vnode_from_json(json, e);
    assert_non_null(settings);
    state = vcheck_configure(t, settings, NULL, e);
    if (state) {
        vcheck_state_free(t, state);
        fail_msg("configure %s: no error, want %s", json, want);
    }
    msg = verrs_join(e);
    assert_non_null(msg);
    if (strcmp(msg, want) != 0)
        fail_msg("configure %s:\n  got  %s\n  want %s", json, msg, want);
    free(msg);
    vnode_free(settings);
    vitals_errors_free(e);
}

json_t *data_of(const vitals_result_t *r)
{
    json_t *d = json_loads(r->data_json, 0, NULL);

    if (!d)
        fail_msg("data_json is not JSON: %s", r->data_json);
    return d;
}
