/* checktest.h - unit test support for check types: configure a type from
 * JSON settings and run it once, or expect its configuration errors. */
#ifndef VITALS_CHECKTEST_H
#define VITALS_CHECKTEST_H

#include <jansson.h>
#include <stdint.h>

#include "checks/check_type.h"
#include "engine/result.h"

/* Configures t from JSON settings and runs it once with a deadline
 * timeout_ms away. Returns the frozen result (vresult_unref). */
vitals_result_t *run_check(const vcheck_type_t *t, const char *json,
                           int64_t timeout_ms);
/* Configures t from JSON settings, which must fail, and compares the
 * errors, joined with "; ", with want. */
void check_config_error(const vcheck_type_t *t, const char *json,
                        const char *want);
/* The result's data as JSON (new reference); fails when it is not. */
json_t *data_of(const vitals_result_t *r);

#endif
