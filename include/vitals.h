/* vitals.h - the public interface of libvitals: health checks run in the
 * background, aggregated, and served over HTTP.
 *
 * The model: an instance (vitals_t) holds named checks. Each check runs on
 * its own schedule in a background worker, under a timeout, and reports a
 * result (status, description, error, data). After each round of results the
 * scheduler publishes an immutable snapshot; readers (the HTTP server, or the
 * application through vitals_snapshot_get) only ever read snapshots, so a
 * request never runs a check and a slow check never slows a request.
 *
 * Ownership, everywhere below:
 *   - "borrowed": the caller keeps ownership; the library copies what it needs.
 *   - "new": the caller owns the returned object and frees it with the named
 *     function.
 *   - "owned by X": valid as long as X is alive; do not free.
 * Every *_free and *_release function accepts NULL and does nothing.
 *
 * Errors are negative integers from VITALS_ERRNO_MAP; 0 is success.
 * The library never prints, never exits and installs no signal handlers: it
 * reports through the log callback set with vitals_set_log.
 */
#ifndef VITALS_H
#define VITALS_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define VITALS_EXTERN __attribute__((visibility("default")))
#define VITALS_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define VITALS_EXTERN
#define VITALS_PRINTF(f, a)
#endif

/* VITALS_VERSION ("0.1.0"), VITALS_VERSION_MAJOR, _MINOR, _PATCH: from
 * the one version in CMakeLists.txt. */
#include "vitals_version.h"

/* Error codes. Append only: never renumber. */
#define VITALS_ERRNO_MAP(XX)                                                  \
    XX(EINVAL, -1, "invalid argument")                                        \
    XX(ENOMEM, -2, "out of memory")                                           \
    XX(EEXIST, -3, "a check with this name already exists")                   \
    XX(ENOENT, -4, "no such check")                                           \
    XX(EBUSY, -5, "the instance is already running")                          \
    XX(ECONFIG, -6, "the configuration has errors")                           \
    XX(ELISTEN, -7, "cannot listen on the address")                           \
    XX(ETYPE, -8, "unknown check type")                                       \
    XX(ESYS, -9, "a system call failed")

typedef enum {
    VITALS_OK = 0,
#define XX(name, value, text) VITALS_##name = value,
    VITALS_ERRNO_MAP(XX)
#undef XX
} vitals_errno_t;

/* A static string describing err. Never NULL. */
VITALS_EXTERN const char *vitals_strerror(int err);

/* Status, ordered from best to worst: the aggregate is the maximum. */
typedef enum {
    VITALS_HEALTHY = 0,
    VITALS_DEGRADED = 1,
    VITALS_UNHEALTHY = 2
} vitals_status_t;

/* "healthy", "degraded" or "unhealthy" (static). */
VITALS_EXTERN const char *vitals_status_name(vitals_status_t s);

typedef struct vitals vitals_t;

/* ------------------------------------------------------------------------
 * Instance
 */

/* A new, stopped instance with no checks. Free with vitals_free. Returns
 * NULL when out of memory. */
VITALS_EXTERN vitals_t *vitals_new(void);

/* Stops the instance if it runs (see vitals_stop) and frees everything it
 * owns, including the data of callback checks (through their free_data). */
VITALS_EXTERN void vitals_free(vitals_t *v);

/* Describes the service in every format (IETF serviceId, description,
 * version, releaseId; mosparo's service). All borrowed; NULL leaves a field
 * unset. */
VITALS_EXTERN int vitals_set_service(vitals_t *v, const char *id,
                                     const char *description,
                                     const char *version,
                                     const char *release_id);

/* Names this instance among a fleet's (history rows, alerts' `instance`
 * label): by default the host name. NULL restores the default. */
VITALS_EXTERN int vitals_set_instance(vitals_t *v, const char *instance);

typedef enum {
    VITALS_LOG_DEBUG = 0,
    VITALS_LOG_INFO = 1,
    VITALS_LOG_WARN = 2,
    VITALS_LOG_ERROR = 3
} vitals_log_level_t;

/* Receives one line per event (no trailing newline; msg borrowed for the
 * call). Called from library threads; must be thread-safe. With no
 * callback, nothing is logged. */
typedef void (*vitals_log_fn)(vitals_log_level_t level, const char *msg,
                              void *data);
VITALS_EXTERN void vitals_set_log(vitals_t *v, vitals_log_fn fn, void *data);

/* ------------------------------------------------------------------------
 * Checks
 */

/* How a check is scheduled and counted. Initialise with
 * vitals_check_opts_init, then change what you need. */
typedef struct vitals_check_opts {
    int64_t interval_ms;      /* between runs; default 30000 */
    int64_t timeout_ms;       /* a run longer than this fails; default 10000 */
    int64_t initial_delay_ms; /* before the first run; default 0 */
    const char *const *tags;  /* borrowed array of ntags strings */
    size_t ntags;
    int critical;               /* 0: a failure counts as degraded; default 1 */
    unsigned failure_threshold; /* contiguous failures to report one; 1 */
    unsigned success_threshold; /* contiguous successes to recover; 1 */
    const char *description;    /* shown when the check gives none; NULL */
} vitals_check_opts_t;

VITALS_EXTERN void vitals_check_opts_init(vitals_check_opts_t *o);

/* What a running check reports into. Owned by the library; valid only
 * until the check function returns. */
typedef struct vitals_result vitals_result_t;

/* A check. Runs in a library worker thread, never concurrently with itself.
 * It should return within vitals_result_remaining_ms(r); if it does not, the
 * check is reported unhealthy ("timed out after <timeout>") at the deadline
 * and whatever it reports later is discarded. A check that reports nothing
 * is healthy. */
typedef void (*vitals_check_fn)(vitals_result_t *r, void *data);

/* Registers a check that calls fn(r, data). name and opts are borrowed.
 * data is owned by the instance from now on: free_data(data) is called when
 * the check is removed or the instance freed, and also when this call fails.
 * Names are 1-128 characters of [A-Za-z0-9._-], other than "." and "..".
 * Returns 0, VITALS_EEXIST, VITALS_EINVAL or VITALS_ENOMEM. */
VITALS_EXTERN int vitals_add_check(vitals_t *v, const char *name,
                                   const vitals_check_opts_t *opts,
                                   vitals_check_fn fn, void *data,
                                   void (*free_data)(void *));

/* Registers a built-in check type ("disk", "tcp", "exec", ...) with its
 * settings as a JSON object text, e.g. {"path": "/", "degraded_below":
 * "512MB"} (the same keys as the YAML configuration). All arguments
 * borrowed. On VITALS_ECONFIG or VITALS_ETYPE, *err (when err is not NULL)
 * receives a new message to free(). */
VITALS_EXTERN int vitals_add_builtin(vitals_t *v, const char *name,
                                     const vitals_check_opts_t *opts,
                                     const char *type,
                                     const char *settings_json, char **err);

/* Reports the status of a push check (type "push"): what the component
 * says of itself, with output (borrowed, may be NULL) as its description.
 * The check is re-evaluated at once; without a new report within its ttl it
 * turns unhealthy. VITALS_ENOENT when there is no such check, VITALS_ETYPE
 * when it is not a push check. */
VITALS_EXTERN int vitals_push(vitals_t *v, const char *name,
                              vitals_status_t status, const char *output);

/* Removes a check; a run in progress finishes and is discarded. */
VITALS_EXTERN int vitals_remove_check(vitals_t *v, const char *name);

/* Reporting, from inside a check function. Each setter overrides the
 * previous value. Setting an error without a status makes the result
 * unhealthy. */
VITALS_EXTERN void vitals_result_set_status(vitals_result_t *r,
                                            vitals_status_t s);
VITALS_EXTERN void vitals_result_set_description(vitals_result_t *r,
                                                 const char *fmt, ...)
    VITALS_PRINTF(2, 3);
VITALS_EXTERN void vitals_result_set_error(vitals_result_t *r,
                                           const char *fmt, ...)
    VITALS_PRINTF(2, 3);
/* Facts about the check, shown as its data object. key borrowed. */
VITALS_EXTERN int vitals_result_set_int(vitals_result_t *r, const char *key,
                                        int64_t value);
VITALS_EXTERN int vitals_result_set_double(vitals_result_t *r,
                                           const char *key, double value);
VITALS_EXTERN int vitals_result_set_string(vitals_result_t *r,
                                           const char *key,
                                           const char *value);
VITALS_EXTERN int vitals_result_set_bool(vitals_result_t *r, const char *key,
                                         int value);
/* value is JSON text; VITALS_EINVAL when it does not parse. */
VITALS_EXTERN int vitals_result_set_json(vitals_result_t *r, const char *key,
                                         const char *value);
/* The check's main reading, for formats that have one (IETF observedValue,
 * observedUnit; the key becomes "name:measurement"). unit may be NULL. */
VITALS_EXTERN void vitals_result_observe(vitals_result_t *r,
                                         const char *measurement,
                                         double value, const char *unit);
/* A nested result (a group member, a remote service's check), reported the
 * same way. Owned by r. NULL when out of memory. */
VITALS_EXTERN vitals_result_t *vitals_result_child(vitals_result_t *r,
                                                   const char *key);
/* Milliseconds left before this run's deadline (never below 0). */
VITALS_EXTERN int64_t vitals_result_remaining_ms(const vitals_result_t *r);

/* ------------------------------------------------------------------------
 * Running
 */

/* Adds an HTTP listener: "host:port" or "[v6]:port"; port 0 picks a free
 * port (see vitals_listen_port). Only before vitals_start. */
VITALS_EXTERN int vitals_listen(vitals_t *v, const char *address);

/* Adds an HTTPS listener with a certificate (PEM, chain after it) and its
 * private key (PEM), read and checked now. All borrowed. On VITALS_ECONFIG
 * (unreadable, unparsable or mismatched files), *err (when err is not NULL)
 * receives a new message to free(). Only before vitals_start. */
VITALS_EXTERN int vitals_listen_tls(vitals_t *v, const char *address,
                                    const char *cert_file,
                                    const char *key_file, char **err);

/* Adds a listener as one entry of `listen:` in the YAML configuration
 * writes it (docs/config.md), given as a JSON object text: the HTTP(S)
 * keys {"address", "tls"}, or {"address": "127.0.0.1:5555", "kind":
 * "agent", "degraded_weight": 30} for HAProxy's agent-check, or {"kind":
 * "grpc", ...} for gRPC health checking. Before vitals_start only
 * (VITALS_EBUSY after). On VITALS_ECONFIG, *err (when err is not NULL)
 * receives a new message to free(). */
VITALS_EXTERN int vitals_add_listener(vitals_t *v, const char *settings_json,
                                      char **err);

/* Serves on fd, a listening stream socket the application was handed
 * (systemd socket activation, sd_listen_fds_with_names), instead of
 * binding one of the listen addresses: the listener named name (systemd's
 * FileDescriptorName=, `name:` of a listen entry in the configuration),
 * else the one whose address fd is bound to. Call it after the listen addresses are set
 * (vitals_listen, vitals_config_load) and before vitals_start; a TLS
 * listener keeps its certificate. On success fd is owned by v (closed by
 * vitals_free; it stays open across vitals_stop, so a new vitals_start
 * serves it again); otherwise the caller keeps it. name borrowed, may be
 * NULL. VITALS_ENOENT when no listener without a socket matches,
 * VITALS_EINVAL when fd is not a listening stream socket, VITALS_EBUSY
 * once started. */
VITALS_EXTERN int vitals_listen_fd(vitals_t *v, int fd, const char *name);

/* Configures how checks are served, with the keys `endpoints`, `access`,
 * `limits` and `access_log` of the YAML configuration (docs/config.md) as
 * a JSON object text, e.g. {"endpoints": {"report": {"status_codes":
 * {"Unhealthy": 503}}, "mosparo": false}}. Applies at once, also while
 * running; keys left out take their defaults. On VITALS_ECONFIG, *err (when
 * err is not NULL) receives a new message to free(). */
VITALS_EXTERN int vitals_set_http(vitals_t *v, const char *settings_json,
                                  char **err);

/* Configures alerts with the key `notify` of the YAML configuration
 * (docs/config.md#notify, docs/operations.md#alerts) as a JSON object
 * text, e.g. {"notify": [{"type": "alertmanager", "url":
 * "http://127.0.0.1:9093", "after": 3}]}: webhooks, Alertmanager and an
 * outgoing heartbeat, delivered by a thread of their own. Replaces the
 * targets at once, also while running (a target with the same type, name
 * and url keeps its firing alerts); {} or an empty list turns alerts off.
 * On VITALS_ECONFIG, *err (when err is not NULL) receives a new message to
 * free(). */
VITALS_EXTERN int vitals_set_notify(vitals_t *v, const char *settings_json,
                                    char **err);

/* The directory where the instance keeps what outlives it (the history
 * store, the control socket of vitalsd): `state_dir` in the YAML; by
 * default $STATE_DIRECTORY (set by systemd's StateDirectory=) or
 * /var/lib/vitals. path borrowed. */
VITALS_EXTERN int vitals_set_state_dir(vitals_t *v, const char *path);
/* The state directory (owned by v, until the next vitals_set_state_dir). */
VITALS_EXTERN const char *vitals_state_dir(const vitals_t *v);

/* The most worker threads that run checks at once (`max_workers` in the
 * YAML; default 256, at least 1). The pool grows only for runs that wait
 * and shrinks when idle; at the cap a due run waits for a free worker, its
 * timeout counting. Applies from the next run on. VITALS_EINVAL for 0. */
VITALS_EXTERN int vitals_set_max_workers(vitals_t *v, unsigned n);

/* Starts the scheduler and the listeners. VITALS_ELISTEN when an address
 * cannot be bound; VITALS_EBUSY when already started. */
VITALS_EXTERN int vitals_start(vitals_t *v);

/* The port the i-th listener (in the order they were added, of any kind)
 * is bound to after vitals_start, or -1. */
VITALS_EXTERN int vitals_listen_port(const vitals_t *v, size_t i);

/* Stops accepting connections, lets requests in flight finish (up to
 * grace_ms), stops the scheduler. Checks hung in their callback are
 * abandoned, not waited for. Safe to call twice. */
VITALS_EXTERN void vitals_stop(vitals_t *v, int64_t grace_ms);

/* Marks the instance as shutting down, for good: from now on readiness
 * fails with "shutting down" (and, with `shutdown_fails: all`, every
 * aggregate format) while every endpoint keeps answering and liveness
 * keeps passing, so that load balancers and orchestrators stop routing to
 * it before its listeners close. Call it first on SIGTERM (vitalsd does),
 * keep serving for the returned delay, then vitals_stop. Returns the
 * configured shutdown delay in ms (`shutdown_delay`, default 5000; 0 when
 * v is NULL). */
VITALS_EXTERN int64_t vitals_drain(vitals_t *v);

/* Takes the instance out of rotation for maintenance: readiness fails,
 * with reason (borrowed, shown to callers who may see details) until
 * vitals_maintenance(v, NULL, 0) turns it off, or for for_ms when it is
 * above 0. Every format and the page show it. VITALS_EINVAL for a negative
 * or absurd duration. */
VITALS_EXTERN int vitals_maintenance(vitals_t *v, const char *reason,
                                     int64_t for_ms);

/* Runs every registered check once, now (initial delays ignored), in
 * parallel and each under its own timeout, as the daemon does, but without
 * listening even when listeners were added; returns when every check has a
 * result (at the latest by the longest timeout; a check hung past its
 * deadline is reported as timed out and abandoned). The results are then
 * in vitals_snapshot_get. For one-shot programs (vitals check): call it on
 * an instance that was never started, then read and free it; do not start
 * it afterwards. VITALS_EBUSY when the instance is running. */
VITALS_EXTERN int vitals_run_once(vitals_t *v);

/* ------------------------------------------------------------------------
 * Reading results
 */

/* One check as of a snapshot. All pointers owned by the snapshot. */
typedef struct vitals_check_state {
    const char *name;
    const char *type;        /* "callback" or a built-in type name */
    vitals_status_t status;  /* reported: after thresholds and criticality */
    const char *description; /* NULL when none */
    const char *error;       /* NULL while passing */
    const char *data_json;   /* a JSON object, "{}" when empty */
    int64_t timestamp_ns;    /* wall clock of the last run's start; 0: none */
    int64_t duration_ns;     /* of the last run */
    uint64_t contiguous_failures;
    int64_t first_failure_ns; /* start of the current failure streak; 0 */
    int64_t last_success_ns;  /* 0 when it never passed */
    int critical;
    const char *const *tags;
    size_t ntags;
    const struct vitals_check_state *children; /* nested results */
    size_t nchildren;
} vitals_check_state_t;

typedef struct vitals_snapshot vitals_snapshot_t;

/* The latest published snapshot: new reference, release with
 * vitals_snapshot_release. Never NULL for a live instance (before the first
 * run every check is unhealthy with the error "not yet run"). */
VITALS_EXTERN vitals_snapshot_t *vitals_snapshot_get(vitals_t *v);
VITALS_EXTERN void vitals_snapshot_release(vitals_snapshot_t *s);
/* Worst status of all checks; healthy when there are none. */
VITALS_EXTERN vitals_status_t vitals_snapshot_status(
    const vitals_snapshot_t *s);
VITALS_EXTERN size_t vitals_snapshot_count(const vitals_snapshot_t *s);
/* The i-th check in registration order, or NULL past the end. */
VITALS_EXTERN const vitals_check_state_t *vitals_snapshot_check(
    const vitals_snapshot_t *s, size_t i);
/* A counter that grows with every publication. */
VITALS_EXTERN uint64_t vitals_snapshot_generation(const vitals_snapshot_t *s);

/* Milliseconds since s was published (CLOCK_MONOTONIC). The scheduler
 * republishes at least every 10 s even when nothing changed, so an age
 * well past that means it is stuck (vitalsd stops the systemd watchdog
 * pings past 30 s). INT64_MAX for NULL. */
VITALS_EXTERN int64_t vitals_snapshot_age_ms(const vitals_snapshot_t *s);
/* The maintenance reason as of s (owned by s), or NULL when not in
 * maintenance; *until_ns (when until_ns is not NULL) receives the wall
 * clock time it ends at, 0 when it lasts until turned off. */
VITALS_EXTERN const char *vitals_snapshot_maintenance(
    const vitals_snapshot_t *s, int64_t *until_ns);
/* 1 when s was published after vitals_drain. */
VITALS_EXTERN int vitals_snapshot_draining(const vitals_snapshot_t *s);

/* Called after every publication, from the thread that published (the
 * scheduler's, or one that changed the instance), with the instance's
 * lock held: it must return quickly and must not call any vitals_*
 * function on the instance; reading s with the vitals_snapshot_*
 * functions is fine. s is borrowed for the call (to keep one, take
 * vitals_snapshot_get later from another thread). For side effects
 * (systemd status, a status LED): signal your own thread. */
typedef void (*vitals_publish_fn)(const vitals_snapshot_t *s, void *data);

/* Sets the publication callback of v (one per instance; it replaces the
 * previous one; fn NULL removes it). fn is called once at once with the
 * current snapshot. Once this returns, the previous callback is never
 * called again, so its data may be freed. Returns 0, VITALS_EINVAL or
 * VITALS_ENOMEM. */
VITALS_EXTERN int vitals_on_publish(vitals_t *v, vitals_publish_fn fn,
                                    void *data);

/* The snapshot as an endpoint serves it, with every detail: format is the
 * endpoint's id, "ietf" (the IETF health+json draft, /health), "report"
 * (the ASP.NET Core HealthReport, /api/v2/health) or "jsonrpc"
 * (avalanchego's health API, GET /ext/health). New string to free(); NULL
 * for another format or when out of memory. */
VITALS_EXTERN char *vitals_snapshot_format(const vitals_snapshot_t *s,
                                           const char *format);

/* ------------------------------------------------------------------------
 * History: every run and every status change, kept in memory (the newest
 * runs of each check) and in a store (SQLite, PostgreSQL), so that streaks
 * survive restarts (docs/config.md, `history`)
 */

/* Configures the history with the keys of the YAML `history` section as a
 * JSON object text, e.g. {"store": "sqlite", "path": "/var/lib/app/h.db",
 * "retention": "7d"}. Only before vitals_start (VITALS_EBUSY after). An
 * instance not configured so keeps its history in memory only. On
 * VITALS_ECONFIG, *err (when err is not NULL) receives a new message to
 * free(). */
VITALS_EXTERN int vitals_set_history(vitals_t *v, const char *settings_json,
                                     char **err);

/* One run of a check. Strings owned by the vitals_history_t holding it. */
typedef struct vitals_run {
    int64_t time_ns;        /* wall clock of the run's start */
    int64_t duration_ns;
    vitals_status_t status; /* reported after the run (thresholds and
                               criticality applied) */
    vitals_status_t result; /* the run's own status */
    const char *error;      /* NULL when the run passed */
} vitals_run_t;

/* A change of a check's reported status. has_from is 0 for the first
 * result of a check that has no earlier status (not even one restored
 * from the store). Strings borrowed for the callback, or owned by the
 * vitals_history_t holding it. */
typedef struct vitals_transition {
    const char *check;
    int64_t time_ns; /* wall clock of the run that caused it */
    int has_from;
    vitals_status_t from, to;
    const char *error; /* why, when to is not healthy; else NULL */
} vitals_transition_t;

/* Called once per transition, in order, from the history's thread (never
 * from a check's or the scheduler's: a slow callback delays only other
 * callbacks and the store's writes). fn NULL turns it off. t is borrowed
 * for the call. Set it before vitals_start. */
typedef void (*vitals_transition_fn)(const vitals_transition_t *t,
                                     void *data);
VITALS_EXTERN int vitals_on_transition(vitals_t *v, vitals_transition_fn fn,
                                       void *data);

/* A list of runs or of transitions, newest first. */
typedef struct vitals_history vitals_history_t;

/* The runs (or transitions) of check at or after since_ns (wall clock ns;
 * 0: any time), newest first, at most limit (1 to 10000). *out is new:
 * free it with vitals_history_free. Answered from memory when the newest
 * runs cover the question, else from the store. VITALS_EINVAL for bad
 * arguments, VITALS_ENOMEM. An unknown check has an empty history. */
VITALS_EXTERN int vitals_history_runs(vitals_t *v, const char *check,
                                      int64_t since_ns, size_t limit,
                                      vitals_history_t **out);
VITALS_EXTERN int vitals_history_transitions(vitals_t *v, const char *check,
                                             int64_t since_ns, size_t limit,
                                             vitals_history_t **out);
VITALS_EXTERN size_t vitals_history_count(const vitals_history_t *h);
/* The i-th entry (owned by h), or NULL past the end or for the other
 * kind of list. */
VITALS_EXTERN const vitals_run_t *vitals_history_run(
    const vitals_history_t *h, size_t i);
VITALS_EXTERN const vitals_transition_t *vitals_history_transition(
    const vitals_history_t *h, size_t i);
VITALS_EXTERN void vitals_history_free(vitals_history_t *h);

/* The share of check's runs in the last window_ms whose reported status
 * was healthy, in *ratio (NaN when it has no runs in the window), and how
 * many runs that is in *runs (either may be NULL). */
VITALS_EXTERN int vitals_history_uptime(vitals_t *v, const char *check,
                                        int64_t window_ms, double *ratio,
                                        uint64_t *runs);

/* ------------------------------------------------------------------------
 * Configuration (the YAML file of vitalsd; docs/config.md)
 */

/* Messages "FILE:LINE:COLUMN: message", in file order. */
typedef struct vitals_errors vitals_errors_t;
VITALS_EXTERN size_t vitals_errors_count(const vitals_errors_t *e);
/* Owned by e. */
VITALS_EXTERN const char *vitals_errors_get(const vitals_errors_t *e,
                                            size_t i);
VITALS_EXTERN void vitals_errors_free(vitals_errors_t *e);

/* Reads a configuration file and applies it to v: the first time, before
 * vitals_start; again at any time to reload. A reload adds, removes and
 * changes checks; a check whose settings did not change keeps its history.
 * Nothing is applied when the file has any error: VITALS_ECONFIG, and *errs
 * (new, when errs is not NULL) lists every error found. path borrowed. */
VITALS_EXTERN int vitals_config_load(vitals_t *v, const char *path,
                                     vitals_errors_t **errs);

/* Validates a configuration file without applying it. Same results. */
VITALS_EXTERN int vitals_config_check(const char *path,
                                      vitals_errors_t **errs);

/* Validates a configuration file as `vitalsd --check-config` does: as
 * vitals_config_check, and strict about what only this machine can tell:
 * an exec check whose command does not exist or is not executable is an
 * error here, while vitals_config_load only logs it as a warning (it may be
 * installed before the check runs). *warnings (new, when warnings is not
 * NULL; left NULL when there are none) lists what is valid but likely a
 * mistake, "FILE:LINE:COLUMN: warning: message" (no listener, for one);
 * vitals_config_load logs those through the log callback. path borrowed. */
VITALS_EXTERN int vitals_config_lint(const char *path, vitals_errors_t **errs,
                                     vitals_errors_t **warnings);

#ifdef __cplusplus
}
#endif
#endif /* VITALS_H */
