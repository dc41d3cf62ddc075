/* sqlite.c - the "sqlite" store: one file (state_dir/history.db by
 * default) in WAL mode with synchronous=NORMAL, written by the history's
 * one writer thread in one transaction per batch, read through a second
 * connection. A kill -9 at any moment loses at most the batch being
 * written and never corrupts the file: that is what WAL with NORMAL
 * guarantees (only a power loss may lose the last commits). */
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/schema.h"
#include "store/store.h"

#define BUSY_TIMEOUT_MS 5000

enum { ST_RUN, ST_TRANSITION, ST_STREAK, ST_N };

static const char *const write_sql[ST_N] = {
    "INSERT INTO vitals_runs (service, instance, check_name, time_ns, "
    "duration_ns, status, result, error) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, "
    "?8)",
    "INSERT INTO vitals_transitions (service, instance, check_name, time_ns, "
    "from_status, to_status, error) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    "INSERT INTO vitals_streaks (service, instance, check_name, "
    "contiguous_failures, first_failure_ns, last_success_ns, since_ns, "
    "status) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) ON CONFLICT (service, "
    "instance, check_name) DO UPDATE SET contiguous_failures = "
    "excluded.contiguous_failures, first_failure_ns = "
    "excluded.first_failure_ns, last_success_ns = excluded.last_success_ns, "
    "since_ns = excluded.since_ns, status = excluded.status",
};

typedef struct lite {
    sqlite3 *w;             /* the writer's */
    sqlite3_stmt *st[ST_N]; /* prepared on w */
    pthread_mutex_t rmu;    /* guards r */
    sqlite3 *r;             /* queries' */
} lite_t;

static int fail(vstore_t *s, sqlite3 *db, const char *what)
{
    vstore_errf(s, "%s %s: %s", what, s->path,
                db != NULL ? sqlite3_errmsg(db) : "out of memory");
    return -1;
}

static void disconnect(lite_t *l)
{
    for (size_t i = 0; i < ST_N; i++) {
        sqlite3_finalize(l->st[i]);
        l->st[i] = NULL;
    }
    sqlite3_close(l->w);
    l->w = NULL;
    pthread_mutex_lock(&l->rmu);
    sqlite3_close(l->r);
    l->r = NULL;
    pthread_mutex_unlock(&l->rmu);
}

static int schema_version(sqlite3 *db)
{
    sqlite3_stmt *st = NULL;
    int v = -1;

    if (sqlite3_prepare_v2(db, "SELECT max(version) FROM vitals_schema", -1,
                           &st, NULL) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    return v;
}

/* Brings the schema to the newest version, one transaction per step. */
static int migrate(vstore_t *s, sqlite3 *db)
{
    char sql[64];
    int v;

    if (sqlite3_exec(db, VSCHEMA_VERSION_TABLE, NULL, NULL, NULL) !=
        SQLITE_OK)
        return fail(s, db, "cannot create the schema in");
    if ((v = schema_version(db)) < 0)
        return fail(s, db, "cannot read the schema version of");
    for (; v < VSCHEMA_VERSION; v++) {
        snprintf(sql, sizeof(sql), "INSERT INTO vitals_schema VALUES (%d)",
                 v + 1);
        if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) !=
                SQLITE_OK ||
            sqlite3_exec(db, vschema_steps[v], NULL, NULL, NULL) !=
                SQLITE_OK ||
            sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK ||
            sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
            fail(s, db, "cannot migrate the schema of");
            sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
            return -1;
        }
    }
    if (v > VSCHEMA_VERSION) {
        vstore_errf(s, "%s has history schema version %d, newer than this "
                       "vitals knows (%d)",
                    s->path, v, VSCHEMA_VERSION);
        return -1;
    }
    return 0;
}

static int lite_connect(vstore_t *s)
{
    lite_t *l = s->impl;
    sqlite3 *r = NULL;

    if (l == NULL) {
        if ((l = calloc(1, sizeof(*l))) == NULL)
            return fail(s, NULL, "cannot open");
        pthread_mutex_init(&l->rmu, NULL);
        s->impl = l;
    }
    disconnect(l);
    if (sqlite3_open_v2(s->path, &l->w,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
                        NULL) != SQLITE_OK)
        return fail(s, l->w, "cannot open");
    sqlite3_busy_timeout(l->w, BUSY_TIMEOUT_MS);
    if (sqlite3_exec(l->w, "PRAGMA journal_mode=WAL", NULL, NULL, NULL) !=
            SQLITE_OK ||
        sqlite3_exec(l->w, "PRAGMA synchronous=NORMAL", NULL, NULL, NULL) !=
            SQLITE_OK)
        return fail(s, l->w, "cannot set WAL mode on");
    if (migrate(s, l->w) != 0)
        return -1;
    for (size_t i = 0; i < ST_N; i++)
        if (sqlite3_prepare_v3(l->w, write_sql[i], -1,
                               SQLITE_PREPARE_PERSISTENT, &l->st[i],
                               NULL) != SQLITE_OK)
            return fail(s, l->w, "cannot prepare statements on");
    if (sqlite3_open_v2(s->path, &r, SQLITE_OPEN_READONLY, NULL) !=
        SQLITE_OK) {
        fail(s, r, "cannot open for reading");
        sqlite3_close(r);
        return -1;
    }
    sqlite3_busy_timeout(r, BUSY_TIMEOUT_MS);
    pthread_mutex_lock(&l->rmu);
    l->r = r;
    pthread_mutex_unlock(&l->rmu);
    return 0;
}

static void bind_keys(vstore_t *s, sqlite3_stmt *st, const char *check)
{
    sqlite3_bind_text(st, 1, s->service, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, s->instance, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, check, -1, SQLITE_STATIC);
}

static void bind_status(sqlite3_stmt *st, int i, int has, vitals_status_t v)
{
    if (has)
        sqlite3_bind_text(st, i, vitals_status_name(v), -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(st, i);
}

static int step(sqlite3_stmt *st)
{
    int rc = sqlite3_step(st);

    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return rc == SQLITE_DONE ? 0 : -1;
}

static int write_one(vstore_t *s, lite_t *l, const vhist_rec_t *r,
                     int latest)
{
    sqlite3_stmt *st = l->st[ST_RUN];

    bind_keys(s, st, r->check);
    sqlite3_bind_int64(st, 4, r->time_ns);
    sqlite3_bind_int64(st, 5, r->duration_ns);
    bind_status(st, 6, 1, r->status);
    bind_status(st, 7, 1, r->result);
    sqlite3_bind_text(st, 8, r->error, -1, SQLITE_STATIC);
    if (step(st) != 0)
        return -1;
    if (r->transition) {
        st = l->st[ST_TRANSITION];
        bind_keys(s, st, r->check);
        sqlite3_bind_int64(st, 4, r->time_ns);
        bind_status(st, 5, r->has_from, r->from);
        bind_status(st, 6, 1, r->status);
        sqlite3_bind_text(st, 7, r->error, -1, SQLITE_STATIC);
        if (step(st) != 0)
            return -1;
    }
    if (!latest)
        return 0;
    st = l->st[ST_STREAK];
    bind_keys(s, st, r->check);
    sqlite3_bind_int64(st, 4, (sqlite3_int64)r->streak.contiguous_failures);
    sqlite3_bind_int64(st, 5, r->streak.first_failure_ns);
    sqlite3_bind_int64(st, 6, r->streak.last_success_ns);
    sqlite3_bind_int64(st, 7, r->streak.since_ns);
    bind_status(st, 8, r->streak.has_status, r->streak.status);
    return step(st);
}

static int lite_write(vstore_t *s, const vhist_rec_t *recs, const int *latest,
                      size_t n)
{
    lite_t *l = s->impl;

    if (l == NULL || l->w == NULL) {
        vstore_errf(s, "%s is not open", s->path);
        return -1;
    }
    if (sqlite3_exec(l->w, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
        return fail(s, l->w, "cannot write to");
    for (size_t i = 0; i < n; i++) {
        if (write_one(s, l, &recs[i], latest[i]) != 0) {
            fail(s, l->w, "cannot write to");
            sqlite3_exec(l->w, "ROLLBACK", NULL, NULL, NULL);
            return -1;
        }
    }
    if (sqlite3_exec(l->w, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
        fail(s, l->w, "cannot commit to");
        sqlite3_exec(l->w, "ROLLBACK", NULL, NULL, NULL);
        return -1;
    }
    return 0;
}

/* ------------------------------------------------------------------------
 * Queries, on the reader's connection
 */

/* Prepares sql on the reader (rmu held), binding the keys, check, since,
 * until and limit as ?1..?6. NULL when it fails. */
static sqlite3_stmt *query(vstore_t *s, lite_t *l, const char *sql,
                           const char *check, int64_t since, int64_t until,
                           int64_t limit)
{
    sqlite3_stmt *st = NULL;

    if (l == NULL || l->r == NULL ||
        sqlite3_prepare_v2(l->r, sql, -1, &st, NULL) != SQLITE_OK) {
        if (l != NULL && l->r != NULL)
            fail(s, l->r, "cannot query");
        sqlite3_finalize(st);
        return NULL;
    }
    bind_keys(s, st, check);
    sqlite3_bind_int64(st, 4, since);
    sqlite3_bind_int64(st, 5, until);
    if (limit > 0)
        sqlite3_bind_int64(st, 6, limit);
    return st;
}

static const char *col_text(sqlite3_stmt *st, int i)
{
    return (const char *)sqlite3_column_text(st, i);
}

/* The runs (trans 0) or transitions (1) of check in [since, until),
 * newest first. */
static int lite_list(vstore_t *s, int trans, const char *check,
                     int64_t since, int64_t until, size_t limit,
                     vitals_history_t *out)
{
    static const char *const sql[] = {
        "SELECT time_ns, duration_ns, status, result, error FROM vitals_runs "
        "WHERE service = ?1 AND instance = ?2 AND check_name = ?3 AND "
        "time_ns >= ?4 AND time_ns < ?5 ORDER BY time_ns DESC LIMIT ?6",
        "SELECT time_ns, from_status, to_status, error FROM "
        "vitals_transitions WHERE service = ?1 AND instance = ?2 AND "
        "check_name = ?3 AND time_ns >= ?4 AND time_ns < ?5 ORDER BY time_ns "
        "DESC LIMIT ?6"};
    lite_t *l = s->impl;
    sqlite3_stmt *st;
    int rc = 0, step_rc = SQLITE_DONE;

    if (l == NULL)
        return -1;
    out->transitions = trans;
    pthread_mutex_lock(&l->rmu);
    st = query(s, l, sql[trans], check, since, until, (int64_t)limit);
    while (st != NULL && rc == 0 &&
           (step_rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *col[5];

        for (int j = 0; j < 5 && j < sqlite3_column_count(st); j++)
            col[j] = col_text(st, j);
        rc = vhlist_add_row(out, check, col) == VITALS_OK ? 0 : -1;
    }
    if (st == NULL || (rc == 0 && step_rc != SQLITE_DONE))
        rc = -1;
    sqlite3_finalize(st);
    pthread_mutex_unlock(&l->rmu);
    return rc;
}

static int lite_runs(vstore_t *s, const char *check, int64_t since,
                     int64_t until, size_t limit, vitals_history_t *out)
{
    return lite_list(s, 0, check, since, until, limit, out);
}

static int lite_transitions(vstore_t *s, const char *check, int64_t since,
                            int64_t until, size_t limit,
                            vitals_history_t *out)
{
    return lite_list(s, 1, check, since, until, limit, out);
}

static int lite_uptime(vstore_t *s, const char *check, int64_t since,
                       int64_t until, uint64_t *healthy, uint64_t *total)
{
    lite_t *l = s->impl;
    sqlite3_stmt *st;
    int rc = -1;

    if (l == NULL)
        return -1;
    pthread_mutex_lock(&l->rmu);
    st = query(s, l,
               "SELECT count(*), coalesce(sum(status = 'healthy'), 0) FROM "
               "vitals_runs WHERE service = ?1 AND instance = ?2 AND "
               "check_name = ?3 AND time_ns >= ?4 AND time_ns < ?5",
               check, since, until, 0);
    if (st != NULL && sqlite3_step(st) == SQLITE_ROW) {
        *total = (uint64_t)sqlite3_column_int64(st, 0);
        *healthy = (uint64_t)sqlite3_column_int64(st, 1);
        rc = 0;
    }
    sqlite3_finalize(st);
    pthread_mutex_unlock(&l->rmu);
    return rc;
}

/* ------------------------------------------------------------------------
 * The writer's other work: streaks, retention, state
 */

static int lite_streaks(vstore_t *s, vstore_streak_fn fn, void *data)
{
    lite_t *l = s->impl;
    sqlite3_stmt *st = NULL;
    int rc;

    if (sqlite3_prepare_v2(l->w,
                           "SELECT check_name, contiguous_failures, "
                           "first_failure_ns, last_success_ns, since_ns, "
                           "status FROM vitals_streaks WHERE service = ?1 "
                           "AND instance = ?2",
                           -1, &st, NULL) != SQLITE_OK)
        return fail(s, l->w, "cannot read streaks from");
    bind_keys(s, st, NULL);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        vstreak_t k = {(uint64_t)sqlite3_column_int64(st, 1),
                       sqlite3_column_int64(st, 2),
                       sqlite3_column_int64(st, 3),
                       sqlite3_column_int64(st, 4),
                       sqlite3_column_type(st, 5) != SQLITE_NULL,
                       vschema_status(col_text(st, 5))};

        fn(col_text(st, 0), &k, data);
    }
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? 0 : fail(s, l->w, "cannot read streaks from");
}

/* Runs sql with the keys, a (?3) and b (?4) bound; adds the rows it
 * changed to *deleted. */
static int exec_delete(vstore_t *s, lite_t *l, const char *sql,
                       const char *check, int64_t a, int64_t b,
                       size_t *deleted)
{
    sqlite3_stmt *st = NULL;
    int rc;

    if (sqlite3_prepare_v2(l->w, sql, -1, &st, NULL) != SQLITE_OK)
        return fail(s, l->w, "cannot apply retention to");
    sqlite3_bind_text(st, 1, s->service, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, s->instance, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, a);
    sqlite3_bind_int64(st, 4, b);
    if (check != NULL)
        sqlite3_bind_text(st, 5, check, -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return fail(s, l->w, "cannot apply retention to");
    *deleted += (size_t)sqlite3_changes(l->w);
    return 0;
}

/* The runs of each check beyond the newest max_rows, up to chunk rows. */
static int trim_checks(vstore_t *s, lite_t *l, unsigned max_rows,
                       size_t chunk, size_t *deleted)
{
    sqlite3_stmt *st = NULL;
    int rc = 0;

    if (sqlite3_prepare_v2(l->w,
                           "SELECT check_name FROM vitals_streaks WHERE "
                           "service = ?1 AND instance = ?2",
                           -1, &st, NULL) != SQLITE_OK)
        return fail(s, l->w, "cannot apply retention to");
    bind_keys(s, st, NULL);
    while (rc == 0 && *deleted < chunk && sqlite3_step(st) == SQLITE_ROW)
        rc = exec_delete(
            s, l,
            "DELETE FROM vitals_runs WHERE rowid IN (SELECT rowid FROM "
            "vitals_runs WHERE service = ?1 AND instance = ?2 AND "
            "check_name = ?5 AND time_ns < (SELECT time_ns FROM vitals_runs "
            "WHERE service = ?1 AND instance = ?2 AND check_name = ?5 ORDER "
            "BY time_ns DESC LIMIT 1 OFFSET ?3 - 1) ORDER BY time_ns LIMIT "
            "?4)",
            col_text(st, 0), max_rows, (int64_t)(chunk - *deleted),
            deleted);
    sqlite3_finalize(st);
    return rc;
}

static int lite_retain(vstore_t *s, int64_t before_ns, unsigned max_rows,
                       size_t chunk, size_t *deleted)
{
    lite_t *l = s->impl;

    *deleted = 0;
    if (l == NULL || l->w == NULL)
        return -1;
    if (exec_delete(s, l,
                    "DELETE FROM vitals_runs WHERE rowid IN (SELECT rowid "
                    "FROM vitals_runs WHERE time_ns < ?3 AND service = ?1 "
                    "AND instance = ?2 LIMIT ?4)",
                    NULL, before_ns, (int64_t)chunk, deleted) != 0 ||
        exec_delete(s, l,
                    "DELETE FROM vitals_transitions WHERE rowid IN (SELECT "
                    "rowid FROM vitals_transitions WHERE time_ns < ?3 AND "
                    "service = ?1 AND instance = ?2 LIMIT ?4)",
                    NULL, before_ns, (int64_t)chunk, deleted) != 0)
        return -1;
    if (max_rows > 0 && *deleted < chunk)
        return trim_checks(s, l, max_rows, chunk, deleted);
    return 0;
}

static int lite_put_state(vstore_t *s, const char *key, const char *value)
{
    lite_t *l = s->impl;
    sqlite3_stmt *st = NULL;
    int rc;

    if (l == NULL || l->w == NULL)
        return -1;
    if (sqlite3_prepare_v2(l->w,
                           value != NULL
                               ? "INSERT INTO vitals_state VALUES (?1, ?2, "
                                 "?3, ?4) ON CONFLICT (service, instance, "
                                 "key) DO UPDATE SET value = excluded.value"
                               : "DELETE FROM vitals_state WHERE service = "
                                 "?1 AND instance = ?2 AND key = ?3",
                           -1, &st, NULL) != SQLITE_OK)
        return fail(s, l->w, "cannot write state to");
    bind_keys(s, st, key);
    if (value != NULL)
        sqlite3_bind_text(st, 4, value, -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? 0 : fail(s, l->w, "cannot write state to");
}

static int lite_get_state(vstore_t *s, const char *key, char **value)
{
    lite_t *l = s->impl;
    sqlite3_stmt *st = NULL;
    int rc;

    *value = NULL;
    if (l == NULL || l->w == NULL ||
        sqlite3_prepare_v2(l->w,
                           "SELECT value FROM vitals_state WHERE service = "
                           "?1 AND instance = ?2 AND key = ?3",
                           -1, &st, NULL) != SQLITE_OK)
        return -1;
    bind_keys(s, st, key);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW && (*value = strdup(col_text(st, 0))) == NULL)
        rc = SQLITE_ERROR;
    sqlite3_finalize(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : -1;
}

static void lite_close(vstore_t *s)
{
    lite_t *l = s->impl;

    disconnect(l);
    pthread_mutex_destroy(&l->rmu);
    free(l);
    s->impl = NULL;
}

const vstore_ops_t vstore_sqlite = {
    .name = "sqlite", .persistent = 1, .connect = lite_connect,
    .write = lite_write, .runs = lite_runs, .transitions = lite_transitions,
    .uptime = lite_uptime, .streaks = lite_streaks, .retain = lite_retain,
    .put_state = lite_put_state, .get_state = lite_get_state,
    .close = lite_close};
