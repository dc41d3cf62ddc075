/* schema.h - the history's tables, one text for SQLite and PostgreSQL
 * (both read BIGINT and TEXT the same way), and the version each step of
 * the migration brings the schema to. Append a step to migrate; never
 * change one that shipped. */
#ifndef VITALS_STORE_SCHEMA_H
#define VITALS_STORE_SCHEMA_H

#include "vitals.h"

/* Statuses are stored as their names ("healthy", ...), times as
 * nanoseconds since the Unix epoch, so that the rows read the same from
 * psql, sqlite3 and vitals. */
static const char *const vschema_steps[] = {
    /* version 1 */
    "CREATE TABLE vitals_runs (service TEXT NOT NULL, instance TEXT NOT "
    "NULL, check_name TEXT NOT NULL, time_ns BIGINT NOT NULL, duration_ns "
    "BIGINT NOT NULL, status TEXT NOT NULL, result TEXT NOT NULL, error "
    "TEXT);"
    "CREATE INDEX vitals_runs_by_check ON vitals_runs (service, instance, "
    "check_name, time_ns);"
    "CREATE INDEX vitals_runs_by_time ON vitals_runs (time_ns);"
    "CREATE TABLE vitals_transitions (service TEXT NOT NULL, instance TEXT "
    "NOT NULL, check_name TEXT NOT NULL, time_ns BIGINT NOT NULL, "
    "from_status TEXT, to_status TEXT NOT NULL, error TEXT);"
    "CREATE INDEX vitals_transitions_by_check ON vitals_transitions "
    "(service, instance, check_name, time_ns);"
    "CREATE INDEX vitals_transitions_by_time ON vitals_transitions "
    "(time_ns);"
    "CREATE TABLE vitals_streaks (service TEXT NOT NULL, instance TEXT NOT "
    "NULL, check_name TEXT NOT NULL, contiguous_failures BIGINT NOT NULL, "
    "first_failure_ns BIGINT NOT NULL, last_success_ns BIGINT NOT NULL, "
    "since_ns BIGINT NOT NULL, status TEXT, PRIMARY KEY (service, "
    "instance, check_name));"
    "CREATE TABLE vitals_state (service TEXT NOT NULL, instance TEXT NOT "
    "NULL, key TEXT NOT NULL, value TEXT NOT NULL, PRIMARY KEY (service, "
    "instance, key));",
};

#define VSCHEMA_VERSION                                                       \
    ((int)(sizeof(vschema_steps) / sizeof(vschema_steps[0])))

#define VSCHEMA_VERSION_TABLE                                                 \
    "CREATE TABLE IF NOT EXISTS vitals_schema (version INTEGER NOT NULL)"

/* Statuses as stored. */
static inline vitals_status_t vschema_status(const char *s)
{
    if (s != NULL && s[0] == 'd')
        return VITALS_DEGRADED;
    if (s != NULL && s[0] == 'u')
        return VITALS_UNHEALTHY;
    return VITALS_HEALTHY;
}

#endif
