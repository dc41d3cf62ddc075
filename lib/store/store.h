/* store.h - where the history outlives the process: one const table of
 * functions per backend (memory.c, sqlite.c, postgres.c), in the manner of
 * h2o's status handlers, and the settings they share.
 *
 * A store belongs to the history (history.c). Writes, retention and state
 * puts come from the history's one writer thread; queries come from any
 * thread, so a backend that queries a database keeps a second connection
 * for them behind its own lock. Rows are keyed by service id, instance and
 * check name, so that a fleet shares one PostgreSQL database and each
 * instance reads its own.
 */
#ifndef VITALS_STORE_H
#define VITALS_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "store/query.h"
#include "store/record.h"

typedef enum { VSTORE_MEMORY, VSTORE_SQLITE, VSTORE_POSTGRES } vstore_kind_t;

/* The `history` section (docs/config.md), read by config/history.c. */
typedef struct vhist_conf {
    vstore_kind_t store;
    int store_set;   /* `store` was given: failing to open it is an error,
                        not a fallback to memory */
    char *path;      /* sqlite: the file; NULL: state_dir/history.db */
    char *dsn;       /* postgres: a libpq connection string or URI */
    int64_t retention_ms;
    unsigned max_rows_per_check; /* in the store; 0: no limit */
    unsigned ring;   /* runs and transitions kept in memory per check */
    unsigned buffer; /* runs queued for the store at most */
    unsigned batch;  /* runs written per transaction at most */
    int64_t flush_ms; /* a partial batch waits at most this long */
} vhist_conf_t;

typedef struct vstore vstore_t;

/* Sets c to the defaults (the memory store; history.c). */
void vhist_conf_default(vhist_conf_t *c);
/* Frees what c holds (path, dsn), not c. */
void vhist_conf_clear(vhist_conf_t *c);

/* Appends a row of a store's query, its columns as text (NULL: SQL NULL):
 * a run (time_ns, duration_ns, status, result, error) or, when
 * l->transitions, a transition (time_ns, from_status, to_status, error).
 * 0 or VITALS_ENOMEM. */
int vhlist_add_row(vitals_history_t *l, const char *check,
                   const char *const *col);

/* Called once per check by streaks. */
typedef void (*vstore_streak_fn)(const char *check, const vstreak_t *s,
                                 void *data);

typedef struct vstore_ops {
    const char *name; /* mandatory: "sqlite", ... */
    int persistent;   /* 0: queries are answered from memory */
    /* mandatory: (re)connects and creates or migrates the schema. 0, or
     * -1 with s->err set. Called again after a failed write. */
    int (*connect)(vstore_t *s);
    /* mandatory: writes recs[0..n) in one transaction: their runs, their
     * transitions, and the streak of each record flagged latest. 0, or -1
     * with s->err set (nothing written; the caller reconnects). */
    int (*write)(vstore_t *s, const vhist_rec_t *recs, const int *latest,
                 size_t n);
    /* The persistent ones: as vhq_runs, vhq_transitions and vhq_uptime,
     * for times in [since_ns, until_ns) (0, or -1): the history asks the
     * store only for what its rings no longer hold. */
    int (*runs)(vstore_t *s, const char *check, int64_t since_ns,
                int64_t until_ns, size_t limit, vitals_history_t *out);
    int (*transitions)(vstore_t *s, const char *check, int64_t since_ns,
                       int64_t until_ns, size_t limit,
                       vitals_history_t *out);
    int (*uptime)(vstore_t *s, const char *check, int64_t since_ns,
                  int64_t until_ns, uint64_t *healthy, uint64_t *total);
    /* mandatory: calls fn for each check's last streak. 0, or -1. */
    int (*streaks)(vstore_t *s, vstore_streak_fn fn, void *data);
    /* Deletes up to chunk rows older than before_ns, or beyond the newest
     * max_rows of a check (0: no limit); *deleted says how many. */
    int (*retain)(vstore_t *s, int64_t before_ns, unsigned max_rows,
                  size_t chunk, size_t *deleted);
    /* mandatory: a small key/value of this instance (maintenance, ...);
     * value NULL deletes. get: *value new, or NULL when unset. */
    int (*put_state)(vstore_t *s, const char *key, const char *value);
    int (*get_state)(vstore_t *s, const char *key, char **value);
    /* mandatory: frees impl. */
    void (*close)(vstore_t *s);
} vstore_ops_t;

struct vstore {
    const vstore_ops_t *ops;
    char *service, *instance; /* the keys of this instance's rows */
    char *path, *dsn;
    void *impl;
    char err[512]; /* the last failure, for the log */
};

extern const vstore_ops_t vstore_memory, vstore_sqlite, vstore_postgres;

/* A store of kind for service and instance (borrowed; NULL is ""), not
 * connected yet, or NULL when out of memory. */
vstore_t *vstore_new(vstore_kind_t kind, const char *service,
                     const char *instance, const char *path,
                     const char *dsn);
/* Closes and frees. NULL is fine. */
void vstore_free(vstore_t *s);
/* Sets s->err (printf-like). */
void vstore_errf(vstore_t *s, const char *fmt, ...) VITALS_PRINTF(2, 3);

#endif
