/* snapshot.h - the seam between checking and serving: an immutable,
 * reference-counted view of every check that carries all an output needs,
 * and its cache of rendered bodies.
 *
 * The engine builds snapshots (engine/publish.c); outputs and listeners only
 * read them. This header includes nothing of the engine, so an output sees
 * a check's name, status, texts, times, component type, observed reading,
 * counters and nested members, and never a check or a result object.
 */
#ifndef VITALS_SNAPSHOT_H
#define VITALS_SNAPSHOT_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "vitals.h"

typedef struct vsnap_entry vsnap_entry_t;

/* One check (or one nested member of a group or remote check) as of the
 * snapshot. Every pointer is owned by the snapshot. */
struct vsnap_entry {
    vitals_check_state_t pub;   /* what the C API shows */
    const char *component_type; /* IETF componentType ("system", ...) */
    const char *measurement;    /* the observed reading, or NULL */
    const char *unit;           /* its unit, or NULL */
    double observed;
    int timed_out;  /* the latest run hit its deadline */
    int has_run;    /* 0 before the first result */
    int own_error;  /* pub.error is the latest run's own error, not a
                       failure still held by success_threshold */
    int64_t since_ns; /* wall clock of the last status change; 0: none */
    /* Counters since the check was configured (kept across reloads for
     * unchanged checks). */
    uint64_t runs[3]; /* by status of the run */
    uint64_t timeouts, transitions;
    const vsnap_entry_t *children; /* nested members, same shape */
    size_t nchildren;
};

/* A rendered body. Immutable once published in a snapshot's cache. */
typedef struct vbody {
    char *data;
    size_t len;
    vitals_status_t health; /* of the view it shows, for the HTTP status */
    unsigned status;        /* an HTTP status the output chose, or 0 */
} vbody_t;

/* One cached rendering: an output and a selection, named by key. */
typedef struct vvariant {
    struct vvariant *next;
    char *key;
    vbody_t *body;
} vvariant_t;

/* Bodies cached per snapshot; past this many variants (a client cycling
 * through tag filters, say) bodies are rendered per request instead. */
#define VSNAP_MAX_VARIANTS 64

struct vitals_snapshot {
    atomic_int refs;
    uint64_t generation;
    int64_t time_ns; /* wall clock of publication */
    int64_t mono_ns; /* the monotonic clock at publication */
    vitals_status_t status;
    /* The lifecycle: readiness fails while draining or in maintenance. */
    int started_up; /* every check has completed a run (latched) */
    int draining;   /* shutting down (SIGTERM, vitals_drain) */
    int drain_fails_all; /* ...and every aggregate view fails, not only
                            readiness */
    const char *maintenance; /* the reason, while in maintenance; else
                                NULL */
    int64_t maintenance_until_ns; /* wall clock; 0: until turned off */
    size_t n;
    vsnap_entry_t *entries;
    char *service_id, *service_description, *service_version,
        *service_release, *maintenance_reason;
    char *service_instance; /* this instance among a fleet's: host name by
                               default */
    _Atomic(vvariant_t *) variants;
    atomic_int nvariants;
    /* The builder's: releases what the entries point into (check and
     * result references), called once when the last reference goes. */
    void (*release)(vitals_snapshot_t *s);
    void *keep;
};

/* Snapshots are published at least this often, even when nothing
 * changed: a listener that sees an older one knows the scheduler is stuck
 * (liveness, the systemd watchdog). */
#define VSNAP_HEARTBEAT_NS (10 * 1000000000LL)

/* A new snapshot of n entries (zeroed, refs 1), or NULL. */
vitals_snapshot_t *vsnap_new(size_t n);
vitals_snapshot_t *vsnap_ref(vitals_snapshot_t *s);
/* 1 when e carries tag. */
int vsnap_entry_has_tag(const vsnap_entry_t *e, const char *tag);
/* The top-level entry called name, or NULL. */
const vsnap_entry_t *vsnap_find(const vitals_snapshot_t *s, const char *name);

typedef vbody_t *(*vrender_fn)(void *arg);

/* The body cached under key, or render(arg) cached under key from now on.
 * The body is owned by s, unless *owned is set (the cache is full): then
 * the caller frees it with vbody_free. NULL only when out of memory. */
vbody_t *vsnap_body(vitals_snapshot_t *s, const char *key, vrender_fn render,
                    void *arg, int *owned);
vbody_t *vbody_new(char *data, size_t len); /* takes data */
void vbody_free(vbody_t *b);

#endif
