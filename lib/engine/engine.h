/* engine.h - the engine: checks, their scheduling state machine, results
 * and snapshot publication. It knows nothing of listeners or outputs.
 *
 * The state machine is pure: every function takes "now" and runs under
 * e->lock, and none of them sleeps or runs a check. runner.c drives it with
 * real threads and the system clock; unit tests drive it with a fake clock
 * and run checks inline, so scheduling, timeouts and thresholds are tested
 * without sleeping.
 */
#ifndef VITALS_ENGINE_H
#define VITALS_ENGINE_H

#include <pthread.h>
#include <stdatomic.h>

#include "checks/check_type.h"
#include "util/clock.h"
#include "engine/result.h"
#include "snapshot.h"
#include "store/record.h"
#include "vitals.h"

typedef struct vcheck vcheck_t;
struct vcheck {
    atomic_int refs;
    char *name;
    const char *type_name; /* "callback" or the type's (static) name */
    const vcheck_type_t *type; /* NULL for callbacks */
    void *type_state;
    vitals_check_fn fn;
    void *data;
    void (*free_data)(void *);
    int64_t interval_ns, timeout_ns, initial_delay_ns;
    char **tags; /* NULL-terminated */
    size_t ntags;
    int critical;
    unsigned failure_threshold, success_threshold;
    char *default_description;
    char *fingerprint; /* how it was configured; NULL from the C API */

    /* Everything below is guarded by the instance's lock. */
    int removed;
    int running;   /* a run is out (queued or executing) */
    int timed_out; /* ...and it passed its deadline and was reported */
    uint64_t run_seq;
    int64_t run_start_mono, run_start_real;
    int64_t wake;    /* next event: the due time, or the running deadline */
    size_t heap_pos; /* index in v->heap, or SIZE_MAX */
    vitals_result_t *last; /* frozen; NULL before the first result */
    int has_reported; /* a run of this process reported streak.status */
    /* The failure streak and the reported status (streak.status), as the
     * history stores them. Before the first run, what vengine_restore
     * brought back from before a restart (if anything): the first result
     * is a transition only when it differs. */
    vstreak_t streak;
    vitals_status_t streak_status; /* of the latest results, in a row */
    unsigned streak_len;
    int64_t timestamp_ns, duration_ns;
    char *last_error;
    uint64_t runs[3], timeouts, transitions;
};

/* One run of a check, handed to a worker. */
typedef struct vrun vrun_t;
struct vrun {
    vrun_t *next; /* worker queue */
    vcheck_t *check; /* a reference */
    uint64_t seq;
    vitals_result_t *result;
    int64_t start_mono, start_real;
};

typedef struct vpool vpool_t;

typedef struct vengine vengine_t;

/* Called after each publication with e->lock held (on the scheduler
 * thread, or a thread that changed the engine): it must only hand the
 * snapshot on (take a reference, queue it, signal its own thread), never
 * block or call back into the engine. History, notifications, systemd
 * status and gRPC Watch streams hang off this. */
typedef void (*vengine_publish_fn)(vitals_snapshot_t *s, void *data);

#define VENGINE_MAX_SUBSCRIBERS 8

/* Called after every run (and every timeout) with e->lock held, on the
 * thread that applied it: it must only copy the record (borrowed for the
 * call) and return, never block or call back into the engine. */
typedef void (*vengine_run_fn)(const vhist_rec_t *r, void *data);

struct vengine {
    pthread_mutex_t lock; /* checks, heap, per-check state */
    pthread_cond_t wake;  /* the scheduler thread sleeps on it */
    const vclock_t *clock;
    vitals_log_fn log_fn;
    void *log_data;

    vcheck_t **checks; /* registration order */
    size_t n, cap;
    vcheck_t **heap; /* min-heap on ->wake */
    size_t heap_n, heap_cap;

    char *service_id, *service_description, *service_version,
        *service_release;
    char *service_instance; /* this instance among a fleet's */

    int dirty;  /* results changed since the last snapshot */
    int urgent; /* ...and a reported status changed: publish at once */
    int64_t last_publish;
    int64_t publish_interval_ns;
    uint64_t generation;
    struct {
        vengine_publish_fn fn;
        void *data;
    } subs[VENGINE_MAX_SUBSCRIBERS];
    size_t nsubs;
    vengine_run_fn on_run; /* the history's, or NULL */
    void *on_run_data;

    /* The lifecycle, shown in every snapshot. */
    int started_up; /* every check completed a run once: latched */
    int draining;
    int drain_fails_all;
    char *maint_reason;      /* non-NULL: in maintenance */
    int64_t maint_until;     /* monotonic; 0: until turned off */

    pthread_mutex_t snap_lock; /* only for swapping and taking snap */
    vitals_snapshot_t *snap;
    atomic_uint_fast64_t snap_gen;

    /* runner.c */
    atomic_uint max_workers; /* the pool's cap (vengine_set_max_workers) */
    int started, stopping;
    pthread_t thread;
    vpool_t *pool;
};

/* A new engine with no checks and an empty snapshot published, or NULL. */
vengine_t *vengine_new(void);
/* Stops the runner if it runs and frees everything. NULL is fine. */
void vengine_free(vengine_t *e);
void vengine_log(vengine_t *e, vitals_log_level_t level, const char *fmt, ...)
    VITALS_PRINTF(3, 4);
int vengine_set_service(vengine_t *e, const char *id,
                        const char *description, const char *version,
                        const char *release_id);
void vengine_set_log(vengine_t *e, vitals_log_fn fn, void *data);
int vengine_set_instance(vengine_t *e, const char *instance);
/* Calls fn(snapshot, data) after every publication from now on, starting
 * with the current snapshot. VITALS_ENOMEM past VENGINE_MAX_SUBSCRIBERS.
 * Unsubscribe before data goes away. */
int vengine_subscribe(vengine_t *e, vengine_publish_fn fn, void *data);
void vengine_unsubscribe(vengine_t *e, vengine_publish_fn fn, void *data);
/* Calls fn(record, data) after every run from now on (fn NULL: none). */
void vengine_on_run(vengine_t *e, vengine_run_fn fn, void *data);
/* Restores the streak of check name from before a restart (the store's):
 * contiguous failures, first failure, last success, the time of the last
 * change and the status then. The check still counts as not yet run (so
 * readiness and startup wait for a real run); its first result continues
 * the streak. VITALS_ENOENT for an unknown check, VITALS_EBUSY once it
 * has a result. */
int vengine_restore(vengine_t *e, const char *name, const vstreak_t *s);
/* The latest snapshot: a new reference. */
vitals_snapshot_t *vengine_snapshot(vengine_t *e);
/* Grows with every publication; a cheap "is there a newer snapshot". */
uint64_t vengine_generation(vengine_t *e);

/* Checks. */
vcheck_t *vcheck_new(const char *name, const vitals_check_opts_t *o);
vcheck_t *vcheck_ref(vcheck_t *c);
void vcheck_unref(vcheck_t *c);
int vcheck_name_valid(const char *name);
int vcheck_opts_valid(const vitals_check_opts_t *o);

/* Registration, each taking e->lock. */
/* Adds c (taking the reference) at the end, scheduled from now. */
int vengine_add(vengine_t *e, vcheck_t *c);
int vengine_remove(vengine_t *e, const char *name);
/* Replaces the whole set of checks by cs[0..n) (taking the references)
 * and publishes at once: a check whose name and non-NULL fingerprint match
 * a current one keeps the current one (and its history); the rest start
 * anew. Returns how many checks were kept. */
size_t vengine_apply(vengine_t *e, vcheck_t **cs, size_t n);
/* A push check's report (see vitals_push). */
int vengine_push(vengine_t *e, const char *name, vitals_status_t status,
                 const char *output);

/* The lifecycle: draining (for good) and maintenance (reason NULL: off;
 * for_ms 0: until turned off). Both publish at once. */
void vengine_drain(vengine_t *e, int fails_all);
int vengine_maintenance(vengine_t *e, const char *reason, int64_t for_ms);

/* The state machine (e->lock held). */
/* Ends a timed maintenance when due, marks a heartbeat snapshot due, and
 * returns when it next has to look. */
int64_t vengine_tick(vengine_t *e, int64_t now);
int vengine_add_locked(vengine_t *e, vcheck_t *c, int64_t now);
size_t vengine_replace(vengine_t *e, vcheck_t **cs, size_t n, int64_t now);
vcheck_t *vengine_find(vengine_t *e, const char *name);
/* Starts every run that is due at now, reports every run past its
 * deadline, and returns the new runs as a list (through ->next). */
vrun_t *vengine_due(vengine_t *e, int64_t now);
/* Applies a run's result (or drops it when it is stale) and frees run. */
void vengine_finish(vengine_t *e, vrun_t *run, int64_t now);
/* The earliest time vengine_due has work, or INT64_MAX. */
int64_t vengine_next_wake(const vengine_t *e);
/* Publishes a snapshot if results changed. */
void vengine_publish(vengine_t *e, int64_t now);
/* Runs the check of run in the calling thread and fills run->result. */
void vengine_execute(vrun_t *run);
void vrun_free(vrun_t *run);

/* heap.c: the min-heap of next events (e->lock held). */
void vheap_remove(vengine_t *e, vcheck_t *c);
int vheap_reserve(vengine_t *e, size_t n);
void vheap_schedule(vengine_t *e, vcheck_t *c, int64_t wake);

/* runner.c: the scheduler thread and the worker pool. */
/* Worker threads at most (VENGINE_MAX_WORKERS by default); applies from
 * the next run on. n is at least 1. */
#define VENGINE_MAX_WORKERS 256
void vengine_set_max_workers(vengine_t *e, unsigned n);
static inline unsigned vengine_max_workers(vengine_t *e)
{
    return atomic_load_explicit(&e->max_workers, memory_order_relaxed);
}
int vrunner_start(vengine_t *e);
void vrunner_stop(vengine_t *e);

#endif
