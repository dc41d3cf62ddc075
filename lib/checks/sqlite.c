/* sqlite.c - the "sqlite" check type: open a SQLite database read-only
 * and run PRAGMA quick_check, interrupted at the check's deadline. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* the GNU strerror_r, which returns the text */
#endif

#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <sqlite3.h>

#include "checks/check_type.h"
#include "util/clock.h"

#define MSG_MAX 256
/* Virtual machine instructions between two looks at the clock: cheap
 * enough to be invisible, often enough to stop within a millisecond. */
#define PROGRESS_STEPS 1000

typedef struct sqlite {
    char *path; /* as configured, for messages */
    char *open; /* what sqlite3_open_v2 gets (see sqlite_configure) */
} sqlite_t;

/* Frees what sqlite_prepare derived. */
static void sqlite_clear(void *state)
{
    free(((sqlite_t *)state)->open);
}

static const vsetting_t sqlite_settings[] = {
    {.key = "path", .kind = VSET_STR, .offset = offsetof(sqlite_t, path),
     .flags = VSET_REQUIRED | VSET_NONEMPTY},
    {0}};

static int sqlite_prepare(void *state, vnode_t *settings, verrs_t *e)
{
    sqlite_t *s = state;

    /* sqlite3_open_v2 would take these as an in-memory or a temporary
     * database, which always passes. */
    if (strcmp(s->path, ":memory:") == 0) {
        verrs_add(e, vnode_get(settings, "path"),
                  "'path': expected the path of a database file, got "
                  "\":memory:\"");
        return -1;
    }
    /* A SQLite built with URI filenames on by default would read
     * "file:..." as a URI; "./file:..." is the same file, never one. */
    if (asprintf(&s->open, "%s%s",
                 strncmp(s->path, "file:", 5) == 0 ? "./" : "",
                 s->path) < 0) {
        s->open = NULL;
        verrs_add(e, settings, "out of memory");
        return -1;
    }
    return 0;
}

/* SQLite's progress handler: non-zero interrupts the statement. */
static int past_deadline(void *arg)
{
    return vitals_result_remaining_ms(arg) <= 0;
}

/* The first line of quick_check's first row, past the "*** in database
 * main ***" header that SQLite puts before the first problem. */
static void first_problem(const char *text, char *out, size_t len)
{
    static const char header[] = "*** in database ";
    const char *p = text;

    if (strncmp(p, header, sizeof(header) - 1) == 0 && strchr(p, '\n'))
        p = strchr(p, '\n') + 1;
    snprintf(out, len, "%.*s", (int)strcspn(p, "\r\n"), p);
}

/* Runs quick_check on db. 0 when it answers "ok"; else -1 with the
 * reason in why (SQLITE_INTERRUPT in *code at the deadline). */
static int quick_check(sqlite3 *db, int *code, char *why, size_t len)
{
    sqlite3_stmt *st = NULL;
    const unsigned char *text;
    int rc;

    *code = sqlite3_prepare_v2(db, "PRAGMA quick_check", -1, &st, NULL);
    if (*code != SQLITE_OK) {
        snprintf(why, len, "%s", sqlite3_errmsg(db));
        return -1;
    }
    rc = sqlite3_step(st);
    *code = rc;
    if (rc == SQLITE_ROW) {
        /* Only the first row matters: "ok", or the first problem. */
        text = sqlite3_column_text(st, 0);
        if (text && strcmp((const char *)text, "ok") == 0) {
            sqlite3_finalize(st);
            *code = SQLITE_OK;
            return 0;
        }
        first_problem(text ? (const char *)text : "no answer", why, len);
        *code = SQLITE_CORRUPT;
    } else if (rc == SQLITE_DONE) {
        snprintf(why, len, "no answer");
    } else {
        snprintf(why, len, "%s", sqlite3_errmsg(db));
    }
    sqlite3_finalize(st);
    return -1;
}

static void report_healthy(const sqlite_t *s, vitals_result_t *r,
                           int64_t size, int64_t elapsed_ns)
{
    /* Microsecond precision: below that the number is noise. */
    double ms = (double)((elapsed_ns + 500) / 1000) / 1000.0;

    if (vitals_result_set_int(r, "sizeBytes", size) < 0 ||
        vitals_result_set_double(r, "responseTimeMs", ms) < 0) {
        vitals_result_set_error(r, "out of memory");
        return;
    }
    vitals_result_observe(r, "responseTime", ms, "ms");
    vitals_result_set_status(r, VITALS_HEALTHY);
    vitals_result_set_description(r, "quick_check ok on %s (%lld bytes) in "
                                     "%.1f ms",
                                  s->path, (long long)size, ms);
}

static void sqlite_run(void *state, vitals_result_t *r)
{
    const sqlite_t *s = state;
    int64_t budget = vitals_result_remaining_ms(r);
    int64_t start = vclock_mono(&vclock_system);
    char why[MSG_MAX], ebuf[128];
    sqlite3 *db = NULL;
    struct stat st;
    int rc, code;

    /* A missing file is the common failure: say so plainly, with the
     * path, rather than SQLite's "unable to open database file". */
    if (stat(s->path, &st) != 0) {
        vitals_result_set_error(r, "cannot open %s: %s", s->path,
                                strerror_r(errno, ebuf, sizeof(ebuf)));
        return;
    }
    if (!S_ISREG(st.st_mode)) {
        vitals_result_set_error(r, "cannot open %s: not a regular file",
                                s->path);
        return;
    }
    /* Read-only, never created. The connection is this run's alone. */
    rc = sqlite3_open_v2(s->open, &db,
                         SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, NULL);
    if (rc != SQLITE_OK) {
        vitals_result_set_error(r, "cannot open %s: %s", s->path,
                                db ? sqlite3_errmsg(db)
                                   : sqlite3_errstr(rc));
        sqlite3_close(db);
        return;
    }
    /* A writer's lock is waited for, but not past the deadline; and a
     * long check is interrupted there. */
    rc = sqlite3_busy_timeout(db, budget > INT_MAX ? INT_MAX : (int)budget);
    if (rc != SQLITE_OK) {
        vitals_result_set_error(r, "cannot open %s: %s", s->path,
                                sqlite3_errmsg(db));
        sqlite3_close(db);
        return;
    }
    sqlite3_progress_handler(db, PROGRESS_STEPS, past_deadline, r);

    if (quick_check(db, &code, why, sizeof(why)) == 0)
        report_healthy(s, r, (int64_t)st.st_size,
                       vclock_mono(&vclock_system) - start);
    else if (code == SQLITE_INTERRUPT)
        vitals_result_set_error(r, "quick_check of %s timed out after %lld "
                                   "ms",
                                s->path, (long long)budget);
    else if (code == SQLITE_BUSY)
        vitals_result_set_error(r, "quick_check of %s: %s (for %lld ms)",
                                s->path, why, (long long)budget);
    else
        vitals_result_set_error(r, "quick_check of %s failed: %s", s->path,
                                why);
    sqlite3_close(db);
}

const vcheck_type_t vcheck_sqlite = {
    .name = "sqlite",
    .component_type = "datastore",
    .settings = sqlite_settings,
    .state_size = sizeof(sqlite_t),
    .prepare = sqlite_prepare,
    .clear = sqlite_clear,
    .run = sqlite_run,
};
