/* postgres.c - the "postgres" store: a fleet's history in one PostgreSQL
 * database, through libpq. The writer's connection creates or migrates
 * the schema (versioned, under an advisory lock, so that instances
 * starting together do not race) and writes each batch as multi-row
 * INSERTs in one transaction; queries use a second connection behind a
 * lock. When the server is unreachable every call fails fast and the
 * history (history.c) buffers, backs off and reconnects. */
#include <libpq-fe.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "store/pgparams.h"
#include "store/schema.h"
#include "store/store.h"
#include "util/clock.h"

/* Seconds a connection attempt may take (the DSN may say otherwise). */
#define CONNECT_TIMEOUT "3"
/* A reader whose connection failed does not try again for this long, so
 * that requests during an outage fall back to memory at once. */
#define READER_RETRY_NS (5 * VCLOCK_S)
/* An arbitrary key of the advisory lock that serialises migrations. */
#define MIGRATE_LOCK "7236810529"

typedef struct pg {
    PGconn *w;
    pthread_mutex_t rmu; /* guards r and r_failed */
    PGconn *r;
    int64_t r_failed; /* monotonic ns of the reader's last failure */
} pg_t;

/* A message of libpq's without its trailing newline. */
static void set_err(vstore_t *s, const char *what, PGconn *c)
{
    const char *m = c != NULL ? PQerrorMessage(c) : "out of memory";
    size_t n = strlen(m);

    while (n > 0 && (m[n - 1] == '\n' || m[n - 1] == ' '))
        n--;
    vstore_errf(s, "%s: %.*s", what, (int)n, m);
}

/* libpq prints notices ("relation ... already exists, skipping") on
 * stderr by default; the library never prints. */
static void quiet(void *arg, const char *message)
{
    (void)arg;
    (void)message;
}

static PGconn *open_conn(vstore_t *s)
{
    const char *const keys[] = {"connect_timeout", "application_name",
                                "dbname", NULL};
    const char *const vals[] = {CONNECT_TIMEOUT, "vitals", s->dsn, NULL};
    PGconn *c = PQconnectdbParams(keys, vals, 1);

    if (c == NULL || PQstatus(c) != CONNECTION_OK) {
        set_err(s, "cannot connect to postgres", c);
        PQfinish(c);
        return NULL;
    }
    PQsetNoticeProcessor(c, quiet, NULL);
    return c;
}

/* Runs sql (no parameters); 0 when it succeeded. */
static int run(vstore_t *s, PGconn *c, const char *sql, const char *what)
{
    PGresult *r = PQexec(c, sql);
    ExecStatusType st = PQresultStatus(r);
    int ok = st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK;

    if (!ok)
        set_err(s, what, c);
    PQclear(r);
    return ok ? 0 : -1;
}

static int schema_version(PGconn *c)
{
    PGresult *r = PQexec(c, "SELECT coalesce(max(version), 0) FROM "
                            "vitals_schema");
    int v = -1;

    if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1)
        v = atoi(PQgetvalue(r, 0, 0));
    PQclear(r);
    return v;
}

static int migrate(vstore_t *s, PGconn *c)
{
    char sql[64];
    int v;

    if (run(s, c, "BEGIN", "cannot migrate the history schema") != 0)
        return -1;
    if (run(s, c, "SELECT pg_advisory_xact_lock(" MIGRATE_LOCK ")",
            "cannot migrate the history schema") != 0 ||
        run(s, c, VSCHEMA_VERSION_TABLE,
            "cannot migrate the history schema") != 0 ||
        (v = schema_version(c)) < 0)
        goto fail;
    if (v > VSCHEMA_VERSION) {
        vstore_errf(s, "the postgres history has schema version %d, newer "
                       "than this vitals knows (%d)",
                    v, VSCHEMA_VERSION);
        goto fail;
    }
    for (; v < VSCHEMA_VERSION; v++) {
        snprintf(sql, sizeof(sql), "INSERT INTO vitals_schema VALUES (%d)",
                 v + 1);
        if (run(s, c, vschema_steps[v], "cannot migrate the history "
                                        "schema") != 0 ||
            run(s, c, sql, "cannot migrate the history schema") != 0)
            goto fail;
    }
    return run(s, c, "COMMIT", "cannot migrate the history schema");
fail:
    PQclear(PQexec(c, "ROLLBACK"));
    return -1;
}

static int pg_connect(vstore_t *s)
{
    pg_t *p = s->impl;

    if (p == NULL) {
        if ((p = calloc(1, sizeof(*p))) == NULL) {
            vstore_errf(s, "out of memory");
            return -1;
        }
        pthread_mutex_init(&p->rmu, NULL);
        s->impl = p;
    }
    PQfinish(p->w);
    if ((p->w = open_conn(s)) == NULL)
        return -1;
    if (migrate(s, p->w) != 0) {
        PQfinish(p->w);
        p->w = NULL;
        return -1;
    }
    return 0;
}

/* Runs "head VALUES ($1, ..), (..) tail" for the p->n / ncols rows in p. */
static int insert(vstore_t *s, PGconn *c, const char *head, size_t ncols,
                  const params_t *p, const char *tail)
{
    char *sql = NULL;
    size_t len = 0;
    FILE *f;
    PGresult *r;
    int rc;

    if (p->n == 0)
        return 0;
    if (p->oom || (f = open_memstream(&sql, &len)) == NULL) {
        vstore_errf(s, "out of memory");
        return -1;
    }
    fprintf(f, "%s VALUES ", head);
    for (size_t i = 0; i < p->n; i++)
        fprintf(f, "%s$%zu%s", i % ncols == 0 ? (i ? ", (" : "(") : ", ",
                i + 1, i % ncols == ncols - 1 ? ")" : "");
    fprintf(f, " %s", tail);
    if (fclose(f) != 0) {
        free(sql);
        vstore_errf(s, "out of memory");
        return -1;
    }
    r = PQexecParams(c, sql, (int)p->n, NULL, p->v, NULL, NULL, 0);
    rc = PQresultStatus(r) == PGRES_COMMAND_OK ? 0 : -1;
    if (rc != 0)
        set_err(s, "cannot write to postgres", c);
    PQclear(r);
    free(sql);
    return rc;
}

static int write_batch(vstore_t *s, PGconn *c, const vhist_rec_t *recs,
                       const int *latest, size_t n)
{
    params_t runs = {0}, trans = {0}, streaks = {0};
    int rc;

    for (size_t i = 0; i < n; i++) {
        const vhist_rec_t *r = &recs[i];

        p_keys(&runs, s, r->check);
        p_int(&runs, r->time_ns);
        p_int(&runs, r->duration_ns);
        p_status(&runs, 1, r->status);
        p_status(&runs, 1, r->result);
        p_str(&runs, r->error);
        if (r->transition) {
            p_keys(&trans, s, r->check);
            p_int(&trans, r->time_ns);
            p_status(&trans, r->has_from, r->from);
            p_status(&trans, 1, r->status);
            p_str(&trans, r->error);
        }
        if (latest[i]) {
            p_keys(&streaks, s, r->check);
            p_int(&streaks, (int64_t)r->streak.contiguous_failures);
            p_int(&streaks, r->streak.first_failure_ns);
            p_int(&streaks, r->streak.last_success_ns);
            p_int(&streaks, r->streak.since_ns);
            p_status(&streaks, r->streak.has_status, r->streak.status);
        }
    }
    rc = insert(s, c,
                "INSERT INTO vitals_runs (service, instance, check_name, "
                "time_ns, duration_ns, status, result, error)",
                8, &runs, "");
    if (rc == 0)
        rc = insert(s, c,
                    "INSERT INTO vitals_transitions (service, instance, "
                    "check_name, time_ns, from_status, to_status, error)",
                    7, &trans, "");
    if (rc == 0)
        rc = insert(s, c,
                    "INSERT INTO vitals_streaks (service, instance, "
                    "check_name, contiguous_failures, first_failure_ns, "
                    "last_success_ns, since_ns, status)",
                    8, &streaks,
                    "ON CONFLICT (service, instance, check_name) DO UPDATE "
                    "SET contiguous_failures = "
                    "excluded.contiguous_failures, first_failure_ns = "
                    "excluded.first_failure_ns, last_success_ns = "
                    "excluded.last_success_ns, since_ns = "
                    "excluded.since_ns, status = excluded.status");
    p_free(&runs);
    p_free(&trans);
    p_free(&streaks);
    return rc;
}

static int pg_write(vstore_t *s, const vhist_rec_t *recs, const int *latest,
                    size_t n)
{
    pg_t *p = s->impl;

    if (p == NULL || p->w == NULL || PQstatus(p->w) != CONNECTION_OK) {
        vstore_errf(s, "not connected to postgres");
        return -1;
    }
    if (run(s, p->w, "BEGIN", "cannot write to postgres") != 0)
        return -1;
    if (write_batch(s, p->w, recs, latest, n) != 0) {
        PQclear(PQexec(p->w, "ROLLBACK"));
        return -1;
    }
    return run(s, p->w, "COMMIT", "cannot write to postgres");
}

/* ------------------------------------------------------------------------
 * Queries, on the reader's connection
 */

/* Runs sql with params on the reader, connecting it when needed (rmu
 * held). NULL when it failed. */
static PGresult *read_query(vstore_t *s, pg_t *p, const char *sql,
                            const params_t *prm)
{
    int64_t now = vclock_mono(&vclock_system);
    PGresult *r;

    if (p->r != NULL && PQstatus(p->r) != CONNECTION_OK) {
        PQfinish(p->r);
        p->r = NULL;
    }
    if (p->r == NULL) {
        if (p->r_failed != 0 && now - p->r_failed < READER_RETRY_NS)
            return NULL;
        if ((p->r = open_conn(s)) == NULL) {
            p->r_failed = now;
            return NULL;
        }
    }
    r = PQexecParams(p->r, sql, (int)prm->n, NULL, prm->v, NULL, NULL, 0);
    if (PQresultStatus(r) != PGRES_TUPLES_OK) {
        set_err(s, "cannot query postgres", p->r);
        PQclear(r);
        p->r_failed = now;
        return NULL;
    }
    return r;
}

/* The rows of a query about check in [since, until), limit (0: none). */
static PGresult *check_query(vstore_t *s, const char *sql, const char *check,
                             int64_t since, int64_t until, size_t limit)
{
    pg_t *p = s->impl;
    params_t prm = {0};
    PGresult *r = NULL;

    if (p == NULL)
        return NULL;
    p_keys(&prm, s, check);
    p_int(&prm, since);
    p_int(&prm, until);
    if (limit > 0)
        p_int(&prm, (int64_t)limit);
    if (!prm.oom) {
        pthread_mutex_lock(&p->rmu);
        r = read_query(s, p, sql, &prm);
        pthread_mutex_unlock(&p->rmu);
    }
    p_free(&prm);
    return r;
}

static const char *val(PGresult *r, int row, int col)
{
    return PQgetisnull(r, row, col) ? NULL : PQgetvalue(r, row, col);
}

/* The runs (trans 0) or transitions (1) of check in [since, until),
 * newest first. */
static int pg_list(vstore_t *s, int trans, const char *check, int64_t since,
                   int64_t until, size_t limit, vitals_history_t *out)
{
    static const char *const sql[] = {
        "SELECT time_ns, duration_ns, status, result, error FROM vitals_runs "
        "WHERE service = $1 AND instance = $2 AND check_name = $3 AND "
        "time_ns >= $4 AND time_ns < $5 ORDER BY time_ns DESC LIMIT $6",
        "SELECT time_ns, from_status, to_status, error FROM "
        "vitals_transitions WHERE service = $1 AND instance = $2 AND "
        "check_name = $3 AND time_ns >= $4 AND time_ns < $5 ORDER BY time_ns "
        "DESC LIMIT $6"};
    PGresult *r = check_query(s, sql[trans], check, since, until, limit);
    int rc = r != NULL ? 0 : -1;

    out->transitions = trans;
    for (int i = 0; rc == 0 && i < PQntuples(r); i++) {
        const char *col[5];

        for (int j = 0; j < 5 && j < PQnfields(r); j++)
            col[j] = val(r, i, j);
        rc = vhlist_add_row(out, check, col) == VITALS_OK ? 0 : -1;
    }
    PQclear(r);
    return rc;
}

static int pg_runs(vstore_t *s, const char *check, int64_t since,
                   int64_t until, size_t limit, vitals_history_t *out)
{
    return pg_list(s, 0, check, since, until, limit, out);
}

static int pg_transitions(vstore_t *s, const char *check, int64_t since,
                          int64_t until, size_t limit,
                          vitals_history_t *out)
{
    return pg_list(s, 1, check, since, until, limit, out);
}

static int pg_uptime(vstore_t *s, const char *check, int64_t since,
                     int64_t until, uint64_t *healthy, uint64_t *total)
{
    PGresult *r = check_query(
        s,
        "SELECT count(*), count(*) FILTER (WHERE status = 'healthy') FROM "
        "vitals_runs WHERE service = $1 AND instance = $2 AND check_name = "
        "$3 AND time_ns >= $4 AND time_ns < $5",
        check, since, until, 0);

    if (r == NULL || PQntuples(r) != 1) {
        PQclear(r);
        return -1;
    }
    *total = strtoull(val(r, 0, 0), NULL, 10);
    *healthy = strtoull(val(r, 0, 1), NULL, 10);
    PQclear(r);
    return 0;
}

/* ------------------------------------------------------------------------
 * The writer's other work
 */

/* Runs sql with p on the writer's connection. */
static PGresult *write_query(vstore_t *s, const char *sql, params_t *prm,
                             ExecStatusType want)
{
    pg_t *p = s->impl;
    PGresult *r;

    if (p == NULL || p->w == NULL || prm->oom) {
        vstore_errf(s, "not connected to postgres");
        return NULL;
    }
    r = PQexecParams(p->w, sql, (int)prm->n, NULL, prm->v, NULL, NULL, 0);
    if (PQresultStatus(r) != want) {
        set_err(s, "postgres", p->w);
        PQclear(r);
        return NULL;
    }
    return r;
}

static int pg_streaks(vstore_t *s, vstore_streak_fn fn, void *data)
{
    params_t prm = {0};
    PGresult *r;

    p_keys(&prm, s, NULL);
    prm.n = 2;
    r = write_query(s,
                    "SELECT check_name, contiguous_failures, "
                    "first_failure_ns, last_success_ns, since_ns, status "
                    "FROM vitals_streaks WHERE service = $1 AND instance = "
                    "$2",
                    &prm, PGRES_TUPLES_OK);
    p_free(&prm);
    for (int i = 0; r != NULL && i < PQntuples(r); i++) {
        vstreak_t k = {strtoull(val(r, i, 1), NULL, 10),
                       strtoll(val(r, i, 2), NULL, 10),
                       strtoll(val(r, i, 3), NULL, 10),
                       strtoll(val(r, i, 4), NULL, 10), val(r, i, 5) != NULL,
                       vschema_status(val(r, i, 5))};

        fn(val(r, i, 0), &k, data);
    }
    if (r == NULL)
        return -1;
    PQclear(r);
    return 0;
}

static int delete_rows(vstore_t *s, const char *sql, params_t *prm,
                       size_t *deleted)
{
    PGresult *r = write_query(s, sql, prm, PGRES_COMMAND_OK);

    p_free(prm);
    if (r == NULL)
        return -1;
    *deleted += strtoull(PQcmdTuples(r), NULL, 10);
    PQclear(r);
    return 0;
}

static int pg_retain(vstore_t *s, int64_t before_ns, unsigned max_rows,
                     size_t chunk, size_t *deleted)
{
    static const char *const tables[] = {"vitals_runs",
                                         "vitals_transitions"};
    char sql[512];
    params_t prm = {0};

    *deleted = 0;
    for (size_t i = 0; i < 2; i++) {
        snprintf(sql, sizeof(sql),
                 "DELETE FROM %s WHERE ctid IN (SELECT ctid FROM %s WHERE "
                 "service = $1 AND instance = $2 AND time_ns < $3 LIMIT $4)",
                 tables[i], tables[i]);
        p_keys(&prm, s, NULL);
        prm.n = 2;
        p_int(&prm, before_ns);
        p_int(&prm, (int64_t)chunk);
        if (delete_rows(s, sql, &prm, deleted) != 0)
            return -1;
    }
    if (max_rows == 0 || *deleted >= chunk)
        return 0;
    /* Beyond the newest max_rows runs of each check, in one statement. */
    p_keys(&prm, s, NULL);
    prm.n = 2;
    p_int(&prm, max_rows);
    p_int(&prm, (int64_t)(chunk - *deleted));
    return delete_rows(
        s,
        "DELETE FROM vitals_runs WHERE ctid IN (SELECT ctid FROM (SELECT "
        "ctid, row_number() OVER (PARTITION BY check_name ORDER BY time_ns "
        "DESC) AS n FROM vitals_runs WHERE service = $1 AND instance = $2) "
        "AS ranked WHERE n > $3 LIMIT $4)",
        &prm, deleted);
}

static int pg_put_state(vstore_t *s, const char *key, const char *value)
{
    params_t prm = {0};
    PGresult *r;

    p_keys(&prm, s, key);
    if (value != NULL)
        p_str(&prm, value);
    r = write_query(s,
                    value != NULL
                        ? "INSERT INTO vitals_state VALUES ($1, $2, $3, $4) "
                          "ON CONFLICT (service, instance, key) DO UPDATE "
                          "SET value = excluded.value"
                        : "DELETE FROM vitals_state WHERE service = $1 AND "
                          "instance = $2 AND key = $3",
                    &prm, PGRES_COMMAND_OK);
    p_free(&prm);
    PQclear(r);
    return r != NULL ? 0 : -1;
}

static int pg_get_state(vstore_t *s, const char *key, char **value)
{
    params_t prm = {0};
    PGresult *r;

    *value = NULL;
    p_keys(&prm, s, key);
    r = write_query(s,
                    "SELECT value FROM vitals_state WHERE service = $1 AND "
                    "instance = $2 AND key = $3",
                    &prm, PGRES_TUPLES_OK);
    p_free(&prm);
    if (r == NULL)
        return -1;
    if (PQntuples(r) == 1 && (*value = strdup(val(r, 0, 0))) == NULL) {
        PQclear(r);
        return -1;
    }
    PQclear(r);
    return 0;
}

static void pg_close(vstore_t *s)
{
    pg_t *p = s->impl;

    PQfinish(p->w);
    PQfinish(p->r);
    pthread_mutex_destroy(&p->rmu);
    free(p);
    s->impl = NULL;
}

const vstore_ops_t vstore_postgres = {
    .name = "postgres", .persistent = 1, .connect = pg_connect,
    .write = pg_write, .runs = pg_runs, .transitions = pg_transitions,
    .uptime = pg_uptime, .streaks = pg_streaks, .retain = pg_retain,
    .put_state = pg_put_state, .get_state = pg_get_state,
    .close = pg_close};
