/* push.h - reports into push checks, from HTTP or the C API. */
#ifndef VITALS_PUSH_H
#define VITALS_PUSH_H

#include "checks/check_type.h"

extern const vcheck_type_t vcheck_push;

/* Records what the component says of itself (output may be NULL), as of
 * now_mono. 0 or VITALS_ENOMEM. */
int vpush_report(void *state, vitals_status_t status, const char *output,
                 int64_t now_mono);

#endif
