/* history.h - the history: every run and transition of every check, kept
 * as a bounded ring per check in memory (ring.c) and written to a store
 * (store.h) by one writer thread from a bounded queue, in batches.
 *
 * The engine hands each run over with vhistory_record, from a worker or
 * the scheduler with the engine's lock held: it copies the record into the
 * ring and the queue and returns, never waiting for the store. When the
 * queue is full (the store is unreachable or too slow for longer than
 * the buffer lasts), the oldest queued run is dropped and counted
 * (vhq_dropped, vitals_history_dropped_total). A failed write keeps the
 * batch, logs once per outage, and retries with exponential back-off
 * after reconnecting. Retention runs on the writer in bounded chunks.
 * Transition callbacks (vitals_on_transition) are called on the writer
 * thread too, from a queue of their own, before any store work.
 *
 * Reading is query.h. */
#ifndef VITALS_STORE_HISTORY_H
#define VITALS_STORE_HISTORY_H

#include "store/query.h"
#include "store/record.h"
#include "store/store.h"

/* The defaults of the `history` section. */
#define VHIST_RING 32
#define VHIST_BUFFER 100000
#define VHIST_BATCH 1000
#define VHIST_FLUSH_MS 200
#define VHIST_RETENTION_MS (30LL * 86400 * 1000)
#define VHIST_MAX_ROWS 100000
/* The file of the sqlite store in the state directory. */
#define VHIST_FILE "history.db"

/* A history with conf (copied) for service and instance (borrowed; rows
 * are keyed by them), logging through log(level, msg, log_data). state_dir
 * (borrowed) holds the sqlite file when conf has no path. Nothing is
 * opened yet. NULL when out of memory. */
vhistory_t *vhistory_new(const vhist_conf_t *conf, const char *service,
                         const char *instance, const char *state_dir,
                         vitals_log_fn log, void *log_data);
/* Opens the store (creating or migrating its schema). A store that
 * cannot be opened: -1 with *err (new) saying why. A postgres server that
 * is down is not an error: its outage is logged once and the writer keeps
 * trying. */
int vhistory_open(vhistory_t *h, char **err);
/* Replaces the store by memory (the fallback when the default sqlite
 * store cannot be opened). */
void vhistory_use_memory(vhistory_t *h);
/* Calls fn for the last streak of each check in the store (before the
 * writer starts). 0, or -1 (logged). */
int vhistory_streaks(vhistory_t *h, vstore_streak_fn fn, void *data);
/* A value of this instance's key/value state: *value new, or NULL. */
int vhistory_get_state(vhistory_t *h, const char *key, char **value);
/* Writes key = value (NULL deletes) on the writer, soon. */
void vhistory_put_state(vhistory_t *h, const char *key, const char *value);
/* Calls fn(t, data) for each transition from now on (fn NULL: none). */
void vhistory_on_transition(vhistory_t *h, vitals_transition_fn fn,
                            void *data);
/* Starts the writer thread. 0 or VITALS_ESYS. */
int vhistory_start(vhistory_t *h);
/* Keeps r (borrowed): never blocks on the store. */
void vhistory_record(vhistory_t *h, const vhist_rec_t *r);
/* Writes what is queued (trying for at most flush_ms), stops the writer.
 * Safe to call twice, or without a start. */
void vhistory_stop(vhistory_t *h, int64_t flush_ms);
/* Stops and frees. NULL is fine. */
void vhistory_free(vhistory_t *h);

/* ring.c: the newest runs and transitions of each check, in memory. */
typedef struct vrings vrings_t;
vrings_t *vrings_new(unsigned per_check);
void vrings_free(vrings_t *r);
/* Keeps r; 0 or VITALS_ENOMEM. */
int vrings_add(vrings_t *rs, const vhist_rec_t *r);
/* As vhq_runs and vhq_transitions. *covers is set when the ring holds
 * every run of the check since since_ns or limit of them, so that the
 * store need not be asked; else it holds every run it returned, and the
 * store is asked for older ones. */
int vrings_runs(vrings_t *rs, const char *check, int64_t since_ns,
                size_t limit, vitals_history_t *out, int *covers);
int vrings_transitions(vrings_t *rs, const char *check, int64_t since_ns,
                       size_t limit, vitals_history_t *out, int *covers);
/* Counts the runs kept since since_ns; *oldest: the oldest run kept (at
 * or before since_ns when the ring covers the window), INT64_MAX when
 * none. */
void vrings_uptime(vrings_t *rs, const char *check, int64_t since_ns,
                   uint64_t *healthy, uint64_t *total, int64_t *oldest);

#endif
