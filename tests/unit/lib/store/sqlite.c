/* sqlite.c - unit tests for the "sqlite" history store (lib/store/
 * sqlite.c) on a real file in a temporary directory: the cases every store
 * shares (tests/support/storecases.c), WAL mode, the schema version and
 * its migration on reopening, and the errors of a file that cannot be
 * opened or is newer than this vitals. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sqlite3.h>
#include <unistd.h>

#include "storecases.h"

typedef struct fixture {
    char dir[64], path[96];
    vstore_t *a, *b;
} fixture_t;

static vstore_t *open_store(const char *path, const char *instance)
{
    vstore_t *s = vstore_new(VSTORE_SQLITE, "svc", instance, path, NULL);

    assert_non_null(s);
    if (s->ops->connect(s) != 0)
        fail_msg("connect: %s", s->err);
    return s;
}

static int setup(void **state)
{
    fixture_t *f = calloc(1, sizeof(*f));

    snprintf(f->dir, sizeof(f->dir), "/tmp/vitals-sqlite-XXXXXX");
    if (f == NULL || mkdtemp(f->dir) == NULL)
        return -1;
    snprintf(f->path, sizeof(f->path), "%s/history.db", f->dir);
    f->a = open_store(f->path, "a");
    f->b = open_store(f->path, "b");
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture_t *f = *state;
    char cmd[128];

    vstore_free(f->a);
    vstore_free(f->b);
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
    if (system(cmd) != 0)
        return -1;
    free(f);
    return 0;
}

static void test_write_and_query(void **state)
{
    store_case_write_and_query(((fixture_t *)*state)->a);
}

static void test_streaks(void **state)
{
    store_case_streaks(((fixture_t *)*state)->a);
}

static void test_retention(void **state)
{
    store_case_retention(((fixture_t *)*state)->a);
}

static void test_state(void **state)
{
    store_case_state(((fixture_t *)*state)->a);
}

static void test_instances(void **state)
{
    fixture_t *f = *state;

    store_case_instances(f->a, f->b);
}

/* One value of sql on the file, as text (static). */
static const char *scalar(const char *path, const char *sql)
{
    static char out[64];
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;

    out[0] = '\0';
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
    if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
        snprintf(out, sizeof(out), "%s", sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    sqlite3_close(db);
    return out;
}

static void test_wal_and_version(void **state)
{
    fixture_t *f = *state;

    assert_string_equal(scalar(f->path, "PRAGMA journal_mode"), "wal");
    assert_string_equal(scalar(f->path, "SELECT group_concat(version) FROM "
                                        "vitals_schema"),
                        "1");
    /* Connecting again migrates nothing and keeps the rows. */
    store_case_streaks(f->a);
    assert_int_equal(f->a->ops->connect(f->a), 0);
    assert_string_equal(scalar(f->path, "SELECT group_concat(version) FROM "
                                        "vitals_schema"),
                        "1");
    assert_string_equal(scalar(f->path, "SELECT count(*) FROM vitals_runs"),
                        "7");
}

static void test_newer_schema(void **state)
{
    fixture_t *f = *state;
    char want[256];
    vstore_t *s;

    assert_string_equal(scalar(f->path, "INSERT INTO vitals_schema VALUES "
                                        "(2) RETURNING version"),
                        "2");
    s = vstore_new(VSTORE_SQLITE, "svc", "c", f->path, NULL);
    assert_int_equal(s->ops->connect(s), -1);
    snprintf(want, sizeof(want),
             "%s has history schema version 2, newer than this vitals "
             "knows (1)",
             f->path);
    assert_string_equal(s->err, want);
    vstore_free(s);
}

static void test_cannot_open(void **state)
{
    vstore_t *s = vstore_new(VSTORE_SQLITE, NULL, NULL,
                             "/nonexistent-dir/history.db", NULL);
    (void)state;

    assert_int_equal(s->ops->connect(s), -1);
    assert_string_equal(s->err, "cannot open /nonexistent-dir/history.db: "
                                "unable to open database file");
    /* Nothing written, nothing read. */
    assert_int_equal(s->ops->write(s, NULL, NULL, 0), -1);
    vstore_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_write_and_query, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_streaks, setup, teardown),
        cmocka_unit_test_setup_teardown(test_retention, setup, teardown),
        cmocka_unit_test_setup_teardown(test_state, setup, teardown),
        cmocka_unit_test_setup_teardown(test_instances, setup, teardown),
        cmocka_unit_test_setup_teardown(test_wal_and_version, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_newer_schema, setup, teardown),
        cmocka_unit_test(test_cannot_open),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
