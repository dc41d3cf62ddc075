/* dbcases.h - the cases the database check types (mysql, postgres, redis,
 * sqlite) share: what an unhealthy or a healthy result holds, a refused
 * port, a peer that never answers, a run that gives up at its deadline, a
 * fake server that lets the client in and never answers its query, a wrong
 * password, and the settings. Each type's test passes its type, settings
 * and exact messages, and keeps only what is its own. */
#ifndef VITALS_DBCASES_H
#define VITALS_DBCASES_H

#include <jansson.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "checks/check_type.h"
#include "engine/result.h"

/* A database check type, as the shared cases need it. */
typedef struct dbtype {
    const vcheck_type_t *check;
    /* Texts that no error, description or data may show (the password,
     * plain and percent-encoded), NULL-terminated; NULL for none. */
    const char *const *secrets;
    /* Writes settings for a server on 127.0.0.1:port that log in with
     * password (NULL: none). NULL for a type without servers. */
    void (*at_port)(char *buf, size_t len, int port, const char *password);
} dbtype_t;

/* The password the wrong-password cases give. */
#define DB_WRONG_PASSWORD "not-the-password"

/* Fails when a text of r shows one of t's secrets. */
void db_no_secret(const dbtype_t *t, const vitals_result_t *r);

/* r is unhealthy with exactly the error want, no description, data "{}"
 * and no observed value, and shows no secret. */
void db_unhealthy(const dbtype_t *t, const vitals_result_t *r,
                  const char *want);

/* r is healthy, no error, with data d holding exactly two keys, one of
 * them responseTimeMs (0 to 5000), which is also the observed
 * responseTime in ms; it shows no secret. Returns the response time, for
 * the type to check its description. */
double db_healthy(const dbtype_t *t, const vitals_result_t *r, json_t *d);

/* Runs t with settings json and a 5 s deadline, and expects
 * db_unhealthy with want. */
void db_case_unhealthy(const dbtype_t *t, const char *json,
                       const char *want);

/* The same with a wrong password in json: the error is want and does not
 * quote DB_WRONG_PASSWORD. */
void db_case_wrong_password(const dbtype_t *t, const char *json,
                            const char *want);

/* What a stopped server looks like: a port that refuses. Expects the
 * error want_fmt, whose %s is "127.0.0.1:<port>". */
void db_case_refused(const dbtype_t *t, const char *password,
                     const char *want_fmt);

/* How a run that meets its deadline must end. */
typedef struct db_deadline {
    int64_t timeout_ms;       /* the run's deadline */
    const char *marker;       /* what comes before "<budget> ms" in the
                                 error */
    int budget_min, budget_max; /* the budget the error gives, in ms */
    long long took_min;       /* how long the run took, in ms: at least
                                 this (-1: any), */
    long long took_max;       /* and less than this */
} db_deadline_t;

/* 500 ms; "timed out after 450-500 ms"; taking less than 800 ms. */
extern const db_deadline_t db_deadline_500;

/* Runs t with settings json and deadline d, and expects db_unhealthy with
 * the error want_fmt, whose %s is at and whose %d is the budget. */
void db_times_out(const dbtype_t *t, const char *json,
                  const db_deadline_t *d, const char *want_fmt,
                  const char *at);

/* A listener that accepts and never answers: the run gives up at
 * db_deadline_500 with want_fmt (%s "127.0.0.1:<port>", %d the budget). */
void db_case_silent_peer(const dbtype_t *t, const char *password,
                         const char *want_fmt);

/* A fake server on 127.0.0.1: it accepts one client, lets greet speak
 * the protocol up to the point where the client sends its query (0 when it
 * got there), and then holds the connection open, silent, until
 * db_fake_stop. */
typedef struct db_fake {
    int lfd, port;
    int stop[2]; /* the test closes the write end when done */
    int (*greet)(int fd);
    pthread_t tid;
} db_fake_t;

void db_fake_start(db_fake_t *f, int (*greet)(int fd));
void db_fake_stop(db_fake_t *f);

/* Configuring t from json succeeds. */
void db_config_ok(const dbtype_t *t, const char *json);

/* The same for {"dsn": dsn}. */
void db_dsn_ok(const dbtype_t *t, const char *dsn);

/* Configuring t from {"dsn": dsn} fails with "settings: 'dsn': " want. */
void db_dsn_error(const dbtype_t *t, const char *dsn, const char *want);

#endif
