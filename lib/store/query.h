/* query.h - the read side of the history: runs, transitions and uptime of
 * a check, and the count of runs it had to drop. Outputs (GET /history,
 * /metrics), the C API and the page read through these functions only,
 * never through the writer; a request reaches the history as the const
 * pointer vreq_t.history that the listener takes from its source.
 *
 * Every function is thread-safe and answers from the newest runs kept in
 * memory when they cover the question, else from the store (falling back
 * to memory when the store cannot answer). None blocks on the writer. */
#ifndef VITALS_STORE_QUERY_H
#define VITALS_STORE_QUERY_H

#include <stddef.h>
#include <stdint.h>

#include "vitals.h"

typedef struct vhistory vhistory_t;

/* A list of runs (transitions 0) or transitions (1); the public
 * vitals_history_t. Every string is owned by the list. */
struct vitals_history {
    int transitions;
    size_t n, cap;
    vitals_run_t *runs;
    vitals_transition_t *trans;
};

/* The most entries one query returns. */
#define VHQ_MAX_LIMIT 10000

/* Fill out (zeroed by the caller, freed with vhlist_clear) with the runs
 * or transitions of check at or after since_ns (0: any time), newest
 * first, at most limit. 0, or VITALS_ENOMEM. */
int vhq_runs(const vhistory_t *h, const char *check, int64_t since_ns,
             size_t limit, vitals_history_t *out);
int vhq_transitions(const vhistory_t *h, const char *check, int64_t since_ns,
                    size_t limit, vitals_history_t *out);
/* Runs of check at or after since_ns: how many, and how many of them with
 * a reported status healthy. 0, or VITALS_ENOMEM. */
int vhq_uptime(const vhistory_t *h, const char *check, int64_t since_ns,
               uint64_t *healthy, uint64_t *total);
/* Runs dropped since start: the queue to the store was full (the store
 * was unreachable or too slow for longer than the buffer lasts). */
uint64_t vhq_dropped(const vhistory_t *h);
/* "memory", "sqlite" or "postgres" (static). */
const char *vhq_store_name(const vhistory_t *h);

/* list.c */
/* Appends a copy of r (or t); 0 or VITALS_ENOMEM. */
int vhlist_add_run(vitals_history_t *l, const vitals_run_t *r);
int vhlist_add_transition(vitals_history_t *l, const vitals_transition_t *t);
/* Frees what l holds and zeroes it. */
void vhlist_clear(vitals_history_t *l);

#endif
