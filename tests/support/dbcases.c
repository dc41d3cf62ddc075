/* dbcases.c - the cases the database check types share (see dbcases.h). */
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "checktest.h"
#include "config/vnode.h"
#include "dbcases.h"
#include "servers.h"

const db_deadline_t db_deadline_500 = {
    .timeout_ms = 500,
    .marker = "timed out after ",
    .budget_min = 450, /* what was left when the run began: 500 ms or a
                          hair less */
    .budget_max = 500,
    .took_min = -1,
    .took_max = 500 + 300,
};

void db_no_secret(const dbtype_t *t, const vitals_result_t *r)
{
    const char *texts[] = {r->error, r->description, r->data_json};
    const char *const *s;
    size_t i;

    for (i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
        for (s = t->secrets; s && *s; s++) {
            if (texts[i] && strstr(texts[i], *s))
                fail_msg("the password shows in \"%s\"", texts[i]);
        }
    }
}

void db_unhealthy(const dbtype_t *t, const vitals_result_t *r,
                  const char *want)
{
    assert_int_equal(r->status, VITALS_UNHEALTHY);
    assert_string_equal(r->error, want);
    assert_null(r->description);
    assert_string_equal(r->data_json, "{}");
    assert_false(r->observed_set);
    db_no_secret(t, r);
}

double db_healthy(const dbtype_t *t, const vitals_result_t *r, json_t *d)
{
    double ms;

    assert_int_equal(r->status, VITALS_HEALTHY);
    assert_null(r->error);
    assert_int_equal(json_object_size(d), 2);
    assert_true(json_is_real(json_object_get(d, "responseTimeMs")));
    ms = json_real_value(json_object_get(d, "responseTimeMs"));
    assert_true(ms > 0 && ms < 5000);
    assert_true(r->observed_set);
    assert_string_equal(r->measurement, "responseTime");
    assert_string_equal(r->unit, "ms");
    assert_true(r->observed == ms);
    db_no_secret(t, r);
    return ms;
}

void db_case_unhealthy(const dbtype_t *t, const char *json,
                       const char *want)
{
    vitals_result_t *r = run_check(t->check, json, 5000);

    db_unhealthy(t, r, want);
    vresult_unref(r);
}

void db_case_wrong_password(const dbtype_t *t, const char *json,
                            const char *want)
{
    vitals_result_t *r = run_check(t->check, json, 5000);

    db_unhealthy(t, r, want);
    assert_null(strstr(r->error, DB_WRONG_PASSWORD));
    vresult_unref(r);
}

void db_case_refused(const dbtype_t *t, const char *password,
                     const char *want_fmt)
{
    char json[512], at[64], want[512];
    vitals_result_t *r;
    int port, fd = srv_refusing_port(&port);

    assert_true(fd >= 0);
    t->at_port(json, sizeof(json), port, password);
    snprintf(at, sizeof(at), "127.0.0.1:%d", port);
    snprintf(want, sizeof(want), want_fmt, at);
    r = run_check(t->check, json, 5000);
    db_unhealthy(t, r, want);
    vresult_unref(r);
    close(fd);
}

void db_times_out(const dbtype_t *t, const char *json,
                  const db_deadline_t *d, const char *want_fmt,
                  const char *at)
{
    char want[PATH_MAX + 512], scan[64];
    vitals_result_t *r;
    long long start, took;
    int budget = -1;
    const char *ms;

    start = srv_now_ms();
    r = run_check(t->check, json, d->timeout_ms);
    took = srv_now_ms() - start;

    assert_int_equal(r->status, VITALS_UNHEALTHY);
    assert_non_null(r->error);
    ms = strstr(r->error, d->marker);
    assert_non_null(ms);
    snprintf(scan, sizeof(scan), "%s%%d ms", d->marker);
    assert_int_equal(sscanf(ms, scan, &budget), 1);
    assert_true(budget >= d->budget_min && budget <= d->budget_max);
    snprintf(want, sizeof(want), want_fmt, at, budget);
    db_unhealthy(t, r, want);
    if (d->took_min >= 0)
        assert_true(took >= d->took_min);
    assert_true(took < d->took_max);
    vresult_unref(r);
}

void db_case_silent_peer(const dbtype_t *t, const char *password,
                         const char *want_fmt)
{
    char json[512], at[64];
    int port, fd = srv_silent_listener(&port);

    assert_true(fd >= 0);
    t->at_port(json, sizeof(json), port, password);
    snprintf(at, sizeof(at), "127.0.0.1:%d", port);
    db_times_out(t, json, &db_deadline_500, want_fmt, at);
    close(fd);
}

/* ------------------------------------------------------------------------
 * A fake server that never answers the query
 */

/* Blocks until the test closes the write end of f->stop. */
static void wait_stop(db_fake_t *f)
{
    char c;

    while (read(f->stop[0], &c, 1) > 0)
        ;
}

static void *fake_main(void *arg)
{
    db_fake_t *f = arg;
    int fd = accept(f->lfd, NULL, NULL);

    if (fd < 0)
        return NULL;
    if (f->greet(fd) == 0)
        wait_stop(f); /* until the test is done */
    close(fd);
    return NULL;
}

void db_fake_start(db_fake_t *f, int (*greet)(int fd))
{
    f->greet = greet;
    f->lfd = srv_silent_listener(&f->port);
    assert_true(f->lfd >= 0);
    assert_int_equal(pipe(f->stop), 0);
    assert_int_equal(pthread_create(&f->tid, NULL, fake_main, f), 0);
}

void db_fake_stop(db_fake_t *f)
{
    close(f->stop[1]);
    pthread_join(f->tid, NULL);
    close(f->stop[0]);
    close(f->lfd);
}

/* ------------------------------------------------------------------------
 * Settings
 */

void db_config_ok(const dbtype_t *t, const char *json)
{
    verrs_t *e = verrs_new();
    vnode_t *settings = vnode_from_json(json, e);
    void *st;

    assert_non_null(settings);
    st = vcheck_configure(t->check, settings, NULL, e);
    if (!st)
        fail_msg("configure %s: %s", json, verrs_join(e));
    vcheck_state_free(t->check, st);
    vnode_free(settings);
    vitals_errors_free(e);
}

void db_dsn_ok(const dbtype_t *t, const char *dsn)
{
    char json[512];

    snprintf(json, sizeof(json), "{\"dsn\": \"%s\"}", dsn);
    db_config_ok(t, json);
}

void db_dsn_error(const dbtype_t *t, const char *dsn, const char *want)
{
    char json[512], full[512];

    snprintf(json, sizeof(json), "{\"dsn\": \"%s\"}", dsn);
    snprintf(full, sizeof(full), "settings: 'dsn': %s", want);
    check_config_error(t->check, json, full);
}
