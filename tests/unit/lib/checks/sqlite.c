/* sqlite.c - unit tests for the "sqlite" check type
 * (lib/checks/sqlite.c) on databases that the tests make with the SQLite
 * C API in a temporary directory: sound, corrupt, locked, large, missing;
 * the cases every database type shares run from tests/support/dbcases.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <fcntl.h>
#include <limits.h>
#include <ftw.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>
#include <sqlite3.h>

#include "checks/check_type.h"
#include "checktest.h"
#include "engine/result.h"
#include "dbcases.h"

extern const vcheck_type_t vcheck_sqlite;

static char dir[PATH_MAX];

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof(dir), "/tmp/vitals-sqlite-XXXXXX");
    return mkdtemp(dir) ? 0 : -1;
}

static int remove_entry(const char *path, const struct stat *st, int flag,
                        struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path) == 0 ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    return nftw(dir, remove_entry, 8, FTW_DEPTH | FTW_PHYS);
}

static void path_of(char *buf, size_t len, const char *name)
{
    if ((size_t)snprintf(buf, len, "%s/%s", dir, name) >= len)
        fail_msg("path too long: %s/%s", dir, name);
}

static void exec_sql(sqlite3 *db, const char *sql)
{
    char *err = NULL;

    if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK) {
        fail_msg("%s: %s", sql, err ? err : "?");
    }
}

/* A database at path with rows rows of size bytes each (plus an index on
 * a text column when indexed). Fast: no journal, no fsync. */
static void make_db(const char *path, int rows, int size)
{
    char sql[512];
    sqlite3 *db = NULL;

    unlink(path);
    assert_int_equal(sqlite3_open_v2(path, &db,
                                     SQLITE_OPEN_READWRITE |
                                         SQLITE_OPEN_CREATE,
                                     NULL),
                     SQLITE_OK);
    exec_sql(db, "PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF; "
                 "PRAGMA page_size=4096;");
    exec_sql(db, "CREATE TABLE t(a INTEGER PRIMARY KEY, b TEXT, c BLOB);"
                 "CREATE INDEX tb ON t(b);");
    snprintf(sql, sizeof(sql),
             "WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n "
             "WHERE x < %d) INSERT INTO t SELECT x, printf('row %%08d', x), "
             "zeroblob(%d) FROM n;",
             rows, size);
    exec_sql(db, sql);
    assert_int_equal(sqlite3_close(db), SQLITE_OK);
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");

    assert_non_null(f);
    assert_true(fputs(text, f) >= 0);
    assert_int_equal(fclose(f), 0);
}

/* {"path": "<path>"} */
static void path_json(char *buf, size_t len, const char *path)
{
    snprintf(buf, len, "{\"path\": \"%s\"}", path);
}

static vitals_result_t *run_on(const char *path, int64_t timeout_ms)
{
    char json[PATH_MAX + 32];

    path_json(json, sizeof(json), path);
    return run_check(&vcheck_sqlite, json, timeout_ms);
}

/* A file, not a server: no port, no password. */
static const dbtype_t sqlite = {.check = &vcheck_sqlite};

static void check_unhealthy(const vitals_result_t *r, const char *want)
{
    db_unhealthy(&sqlite, r, want);
}

/* ------------------------------------------------------------------------
 * Runs
 */

/* A sound database: healthy, its size in data, and the file untouched
 * (read-only: no journal, same bytes, same time). */
static void test_healthy(void **state)
{
    char path[PATH_MAX], journal[PATH_MAX + 16], want[PATH_MAX + 128];
    struct stat before, after;
    vitals_result_t *r;
    json_t *d;
    double ms;
    (void)state;

    path_of(path, sizeof(path), "good.db");
    make_db(path, 100, 100);
    assert_int_equal(stat(path, &before), 0);

    r = run_on(path, 5000);
    assert_int_equal(r->status, VITALS_HEALTHY);
    assert_null(r->error);
    d = data_of(r);
    assert_int_equal(json_object_size(d), 2);
    assert_int_equal(json_integer_value(json_object_get(d, "sizeBytes")),
                     before.st_size);
    ms = json_real_value(json_object_get(d, "responseTimeMs"));
    assert_true(ms > 0 && ms < 5000);
    snprintf(want, sizeof(want), "quick_check ok on %s (%lld bytes) in %.1f ms",
             path, (long long)before.st_size, ms);
    assert_string_equal(r->description, want);
    assert_true(r->observed_set);
    assert_string_equal(r->measurement, "responseTime");
    assert_true(r->observed == ms);
    json_decref(d);
    vresult_unref(r);

    assert_int_equal(stat(path, &after), 0);
    assert_int_equal(after.st_size, before.st_size);
    assert_true(after.st_mtim.tv_sec == before.st_mtim.tv_sec &&
                after.st_mtim.tv_nsec == before.st_mtim.tv_nsec);
    snprintf(journal, sizeof(journal), "%s-journal", path);
    assert_int_equal(access(journal, F_OK), -1);
}

/* Missing: unhealthy, naming the path, and not created. */
static void test_missing(void **state)
{
    char path[PATH_MAX], want[PATH_MAX + 64];
    vitals_result_t *r;
    (void)state;

    path_of(path, sizeof(path), "missing.db");
    snprintf(want, sizeof(want), "cannot open %s: No such file or directory",
             path);
    r = run_on(path, 5000);
    check_unhealthy(r, want);
    vresult_unref(r);
    assert_int_equal(access(path, F_OK), -1);
}

static void test_directory(void **state)
{
    char want[PATH_MAX + 64];
    vitals_result_t *r;
    (void)state;

    snprintf(want, sizeof(want), "cannot open %s: not a regular file", dir);
    r = run_on(dir, 5000);
    check_unhealthy(r, want);
    vresult_unref(r);
}

static void test_not_a_database(void **state)
{
    char path[PATH_MAX], want[PATH_MAX + 64];
    vitals_result_t *r;
    (void)state;

    path_of(path, sizeof(path), "text.db");
    write_file(path, "this is not a SQLite database, but it is long enough "
                     "to hold a header: 0123456789012345678901234567890123"
                     "45678901234567890123456789\n");
    snprintf(want, sizeof(want), "quick_check of %s failed: file is not a "
                                 "database",
             path);
    r = run_on(path, 5000);
    check_unhealthy(r, want);
    vresult_unref(r);
}

/* Pages of the table's b-tree overwritten with garbage: quick_check's
 * first finding is the error. */
static void test_corrupt(void **state)
{
    char path[PATH_MAX], want[PATH_MAX + 128];
    unsigned char junk[4096];
    vitals_result_t *r;
    int fd;
    (void)state;

    path_of(path, sizeof(path), "corrupt.db");
    make_db(path, 400, 200);
    memset(junk, 0xa5, sizeof(junk));
    fd = open(path, O_WRONLY);
    assert_true(fd >= 0);
    /* Page 3 onwards (pages are 1-based; 1 is the header and schema). */
    assert_int_equal(pwrite(fd, junk, sizeof(junk), 2 * 4096),
                     (ssize_t)sizeof(junk));
    assert_int_equal(close(fd), 0);

    snprintf(want, sizeof(want), "quick_check of %s failed: %s", path,
             "Page 3: btreeInitPage() returns error code 11");
    r = run_on(path, 5000);
    check_unhealthy(r, want);
    vresult_unref(r);
}

/* A writer holds the database: the check waits for it, but not past the
 * deadline. */
static void test_locked(void **state)
{
    static const db_deadline_t locked = {
        .timeout_ms = 500,
        .marker = "(for ",
        .budget_min = 450,
        .budget_max = 500,
        .took_min = 400,
        .took_max = 500 + 300,
    };
    char path[PATH_MAX], json[PATH_MAX + 32];
    sqlite3 *writer = NULL;
    (void)state;

    path_of(path, sizeof(path), "locked.db");
    make_db(path, 10, 10);
    assert_int_equal(sqlite3_open_v2(path, &writer, SQLITE_OPEN_READWRITE,
                                     NULL),
                     SQLITE_OK);
    exec_sql(writer, "PRAGMA journal_mode=DELETE; BEGIN EXCLUSIVE;");

    path_json(json, sizeof(json), path);
    db_times_out(&sqlite, json, &locked,
                 "quick_check of %s: database is locked (for %d ms)", path);

    exec_sql(writer, "ROLLBACK;");
    assert_int_equal(sqlite3_close(writer), SQLITE_OK);
}

/* A check that takes longer than the deadline (some 20 ms on a quiet
 * machine, here given 2 ms) is interrupted there. */
static void test_interrupted(void **state)
{
    static const db_deadline_t short_deadline = {
        .timeout_ms = 2,
        .marker = "timed out after ",
        .budget_min = 0,
        .budget_max = 2,
        .took_min = -1,
        .took_max = 2 + 300,
    };
    char path[PATH_MAX], json[PATH_MAX + 32];
    vitals_result_t *r;
    (void)state;

    path_of(path, sizeof(path), "big.db");
    make_db(path, 8000, 1000);

    path_json(json, sizeof(json), path);
    db_times_out(&sqlite, json, &short_deadline,
                 "quick_check of %s timed out after %d ms", path);

    /* The same file, with time enough, is sound. */
    r = run_on(path, 5000);
    assert_int_equal(r->status, VITALS_HEALTHY);
    vresult_unref(r);
}

/* ------------------------------------------------------------------------
 * Configuration
 */

static void test_config_errors(void **state)
{
    (void)state;
    check_config_error(&vcheck_sqlite, "{}",
                       "settings: missing required key 'path'");
    check_config_error(&vcheck_sqlite, "{\"path\": \"\"}",
                       "settings: 'path': must not be empty");
    check_config_error(&vcheck_sqlite, "{\"path\": \":memory:\"}",
                       "settings: 'path': expected the path of a database "
                       "file, got \":memory:\"");
    check_config_error(&vcheck_sqlite, "{\"path\": [\"/a.db\"]}",
                       "settings: 'path': expected a string, got a list");
}

/* "file:x.db" is a file of that name, not a SQLite URI. */
static void test_file_colon_name(void **state)
{
    char cwd[PATH_MAX];
    vitals_result_t *r;
    (void)state;

    assert_non_null(getcwd(cwd, sizeof(cwd)));
    assert_int_equal(chdir(dir), 0);
    make_db("./file:x.db", 5, 5); /* ./: never a URI, whatever the build */
    r = run_on("file:x.db", 5000);
    assert_int_equal(r->status, VITALS_HEALTHY);
    assert_non_null(strstr(r->description, "quick_check ok on file:x.db ("));
    vresult_unref(r);
    assert_int_equal(chdir(cwd), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_healthy),
        cmocka_unit_test(test_missing),
        cmocka_unit_test(test_directory),
        cmocka_unit_test(test_not_a_database),
        cmocka_unit_test(test_corrupt),
        cmocka_unit_test(test_locked),
        cmocka_unit_test(test_interrupted),
        cmocka_unit_test(test_config_errors),
        cmocka_unit_test(test_file_colon_name),
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}
