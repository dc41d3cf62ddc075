/* record.h - one run of a check as the history keeps it, and the streak
 * facts restored across restarts: plain data shared by the engine (which
 * fills a record after each run) and the history (which copies it). */
#ifndef VITALS_STORE_RECORD_H
#define VITALS_STORE_RECORD_H

#include <stdint.h>

#include "vitals.h"

/* What a check's failure streak looks like after a run: the facts the
 * formats show (avalanche's contiguousFailures and timeOfFirstFailure,
 * the last success, the time of the last status change), restored from
 * the store at start. Times are wall clock ns; 0 means none. */
typedef struct vstreak {
    uint64_t contiguous_failures;
    int64_t first_failure_ns, last_success_ns, since_ns;
    int has_status;         /* status below is the last reported one */
    vitals_status_t status; /* reported after the last run */
} vstreak_t;

/* One run. Every pointer is borrowed for the call that hands it over. */
typedef struct vhist_rec {
    const char *check;
    int64_t time_ns;     /* wall clock of the run's start */
    int64_t duration_ns;
    vitals_status_t status; /* reported after this run (thresholds and
                               criticality applied) */
    vitals_status_t result; /* the run's own status */
    const char *error;      /* the run's error, or NULL when it passed */
    int transition;         /* the reported status changed with this run */
    int has_from;           /* ...from a known status (from) */
    vitals_status_t from;
    vstreak_t streak; /* after this run */
} vhist_rec_t;

#endif
