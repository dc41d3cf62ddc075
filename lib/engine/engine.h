/* engine.h - the instance (struct vitals), its checks, and the scheduling
 * state machine.
 *
 * The state machine is pure: every function takes "now" and runs under
 * v->lock, and none of them sleeps or runs a check. runner.c drives it with
 * real threads and the system clock; unit tests drive it with a fake clock
 * and run checks inline, so scheduling, timeouts and thresholds are tested
 * without sleeping.
 */
#ifndef VITALS_ENGINE_H
#define VITALS_ENGINE_H

#include <pthread.h>
#include <stdatomic.h>

#include "checks/check_type.h"
#include "engine/clock.h"
#include "engine/result.h"
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
    int has_reported;
    vitals_status_t reported;
    vitals_status_t streak_status;
    unsigned streak_len;
    uint64_t contiguous_failures;
    int64_t first_failure_ns, last_success_ns, timestamp_ns, duration_ns;
    char *last_error;
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

/* A listener: an address, and for HTTPS the certificate and key (PEM). */
typedef struct vlisten {
    char *address;
    char *cert_pem, *key_pem; /* NULL for plain HTTP */
} vlisten_t;

int vlisten_add(vlisten_t **a, size_t *n, const char *address,
                const char *cert_pem, const char *key_pem);
void vlisten_free(vlisten_t *a, size_t n);
typedef struct vserver vserver_t;

struct vitals {
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

    int dirty;  /* results changed since the last snapshot */
    int urgent; /* ...and a reported status changed: publish at once */
    int64_t last_publish;
    int64_t publish_interval_ns;
    uint64_t generation;

    pthread_mutex_t snap_lock; /* only for swapping and taking snap */
    vitals_snapshot_t *snap;
    atomic_uint_fast64_t snap_gen;

    /* runner.c */
    int started, stopping;
    pthread_t thread;
    vpool_t *pool;

    /* http/ */
    struct vroutes *routes; /* the current endpoints (v->lock) */
    vlisten_t *listen;
    size_t nlisten;
    vserver_t *server;
};

void vlog(vitals_t *v, vitals_log_level_t level, const char *fmt, ...)
    VITALS_PRINTF(3, 4);

/* Checks. */
vcheck_t *vcheck_new(const char *name, const vitals_check_opts_t *o);
vcheck_t *vcheck_ref(vcheck_t *c);
void vcheck_unref(vcheck_t *c);
int vcheck_name_valid(const char *name);
/* Adds c (taking the reference) at the end, scheduled from now. */
int engine_add(vitals_t *v, vcheck_t *c, int64_t now);
/* Replaces the whole set of checks by cs[0..n) (taking the references):
 * a check whose name and non-NULL fingerprint match a current one keeps the
 * current one (and its history); the rest start anew. */
/* Returns how many checks were kept. */
size_t engine_replace(vitals_t *v, vcheck_t **cs, size_t n, int64_t now);
vcheck_t *engine_find(vitals_t *v, const char *name);
int engine_remove(vitals_t *v, const char *name);

/* The state machine (v->lock held). */
/* Starts every run that is due at now, reports every run past its
 * deadline, and returns the new runs as a list (through ->next). */
vrun_t *engine_due(vitals_t *v, int64_t now);
/* Applies a run's result (or drops it when it is stale) and frees run. */
void engine_finish(vitals_t *v, vrun_t *run, int64_t now);
/* The earliest time engine_due has work, or INT64_MAX. */
int64_t engine_next_wake(const vitals_t *v);
/* Publishes a snapshot if results changed. */
void engine_publish(vitals_t *v, int64_t now);
/* Runs the check of run in the calling thread and fills run->result. */
void engine_execute(vrun_t *run);
void vrun_free(vrun_t *run);

/* snapshot.c */
vitals_snapshot_t *vsnap_build(vitals_t *v); /* v->lock held */
void vsnap_swap(vitals_t *v, vitals_snapshot_t *s);

/* runner.c */
int runner_start(vitals_t *v);
void runner_stop(vitals_t *v);

#endif
