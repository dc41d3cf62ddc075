/* result.h - what a check run reports (vitals_result_t), and how it becomes
 * immutable once the run ends.
 *
 * A result is built by one thread (the check's), then frozen by the engine
 * and shared, reference-counted, by every snapshot that shows it. Nothing
 * changes a frozen result.
 */
#ifndef VITALS_RESULT_H
#define VITALS_RESULT_H

#include <jansson.h>
#include <stdatomic.h>

#include "util/clock.h"
#include "snapshot.h"
#include "vitals.h"

struct vitals_result {
    atomic_int refs;
    const vclock_t *clock;
    int64_t deadline_ns; /* monotonic */
    vitals_status_t status;
    int status_set;
    char *key; /* a child's name; NULL at the top */
    char *description;
    char *error;
    json_t *data;
    char *measurement; /* vitals_result_observe */
    char *unit;
    double observed;
    int observed_set;
    int timed_out; /* the engine's timeout result, not the check's own */
    struct vitals_result **children;
    size_t nchildren, cap;
    /* Set by vresult_freeze. */
    int frozen;
    char *data_json;
    vitals_check_state_t *child_states; /* the C API's view of children */
    vsnap_entry_t *child_entries;       /* the outputs' view of them */
};

/* A new empty result (refs 1). NULL when out of memory. */
vitals_result_t *vresult_new(const vclock_t *clock, int64_t deadline_ns);
/* Settles the status (an error without a status is unhealthy), renders
 * data_json and the children's states and snapshot entries. After this, r is read-only. */
void vresult_freeze(vitals_result_t *r);
/* Makes child (built on its own, key set) a nested result of r, taking
 * the reference. 0, or VITALS_ENOMEM (child is released). */
int vresult_adopt(vitals_result_t *r, vitals_result_t *child);
vitals_result_t *vresult_ref(vitals_result_t *r);
void vresult_unref(vitals_result_t *r);

#endif
