/* notify.h - alerts: the `notify:` targets (webhook, alertmanager,
 * heartbeat), the per-target alert state machine over snapshots, and the
 * notifier, whose one thread delivers everything from its queues.
 *
 * Input is the snapshot only: the instance subscribes the notifier to
 * publication, and the subscriber just wakes the thread, which takes the
 * latest snapshot through a callback and compares it with what it saw
 * before. So a check never waits for a notification, a request never
 * does, and this directory knows nothing of the engine.
 *
 * A target type is one file exporting a const vnotify_type_t (its keys as
 * a settings table, how it renders an alert transition, its periodic
 * work), listed in the one table of targets.c.
 *
 * Secrets: the URL (a Slack webhook's path is its token) and the header
 * values (${ENV} or header_files) are never put in a message. Messages
 * name a target as "notify webhook #1" or by its `name`.
 */
#ifndef VITALS_NOTIFY_H
#define VITALS_NOTIFY_H

#include <stddef.h>
#include <stdint.h>

#include "checks/http_target.h"
#include "config/settings.h"
#include "config/vnode.h"
#include "snapshot.h"
#include "vitals.h"

/* Delivery defaults. */
#define VNOTIFY_QUEUE_MAX 100 /* messages waiting per target; past it the
                                 oldest is dropped (and logged) */
#define VNOTIFY_BACKOFF_MAX_MS 60000 /* retries never wait longer */
/* The heartbeat skips its ping when the latest snapshot is older than
 * this: the scheduler republishes at least every VSNAP_HEARTBEAT_NS. */
#define VNOTIFY_STALE_NS (3 * VSNAP_HEARTBEAT_NS)

/* ------------------------------------------------------------------------
 * Alert state: one per check and target (alert.c)
 */

typedef struct vnotify_alert {
    char *check;
    int present;  /* in the latest snapshot, and covered by the target */
    int critical; /* severity: critical, else warning */
    uint64_t seen[3]; /* the check's runs[] as last seen */
    uint64_t fails, passes; /* the current streak of runs (one is 0) */
    int firing;   /* the hysteresis state: after/recover_after applied */
    vitals_status_t status; /* of the latest run, criticality applied */
    char *output;           /* the latest failure's text (or NULL) */
    char *text;             /* the latest run's text, for resolutions */
    int64_t since_ns; /* wall: when the current state began */
    /* What was last notified (min_interval holds back the rest). */
    int notified;
    vitals_status_t notified_status;
    int64_t sent_mono; /* 0: never */
} vnotify_alert_t;

/* One transition to notify. Pointers borrowed for the call. */
typedef struct vnotify_event {
    const vnotify_alert_t *alert; /* check, output, since, critical */
    int firing;                   /* 1: fired; 0: resolved */
    vitals_status_t old_status, new_status;
    const vitals_snapshot_t *snap; /* service, instance; may be NULL */
    int64_t now_ns;                /* wall */
} vnotify_event_t;

/* Applies entry e (one check of a newer snapshot) to a, counting the runs
 * that happened since the last look (several may be coalesced into one
 * publication): after consecutive failing (not healthy) runs it fires,
 * recover_after consecutive passing runs resolve it. now_ns (wall) stamps
 * the change. Returns 1 when a->firing changed, 0 when not, -1 when out
 * of memory (a unchanged). */
int vnotify_alert_observe(vnotify_alert_t *a, const vsnap_entry_t *e,
                          unsigned after, unsigned recover_after,
                          int64_t now_ns);
/* Frees what a holds, not a itself. */
void vnotify_alert_clear(vnotify_alert_t *a);

/* ------------------------------------------------------------------------
 * Targets (targets.c) and their types
 */

typedef struct vnotify_target vnotify_target_t;
typedef struct vnotifier vnotifier_t;

/* Every key of every type, read by the types' settings tables. */
typedef struct vnotify_conf {
    vcheck_target_t http; /* url, headers, verify, ca_file */
    char *name;
    int64_t timeout_ms, backoff_ms;
    unsigned retries;
    /* Alerts: webhook and alertmanager. */
    unsigned after, recover_after;
    int64_t min_interval_ms;
    char **checks, **tags; /* NULL: every check */
    char *page_url;
    int slack;             /* webhook: format slack */
    int64_t resend_ms;     /* alertmanager */
    char *alertname;
    char **labels;         /* alertmanager: name, value, name, value... */
    int64_t interval_ms;   /* heartbeat */
    char *method;
    char *post_url;        /* derived: where requests go */
} vnotify_conf_t;

/* A message waiting in a target's queue. */
typedef struct vnotify_msg vnotify_msg_t;
struct vnotify_msg {
    vnotify_msg_t *next;
    char *body;
    size_t len;
    char what[96];  /* for the log: "db firing" */
    int retry;      /* 0: one attempt (a resend the next one replaces) */
    unsigned attempts;
    int64_t due;    /* mono */
};

typedef struct vnotify_type {
    const char *name;           /* the `type:` of a target */
    const vsetting_t *settings; /* its keys, read into vnotify_conf_t */
    int alerts;                 /* follows checks: after, recover_after... */
    /* optional: what the table cannot say; 0, or -1 after an error. */
    int (*prepare)(vnotify_conf_t *c, vnode_t *m, verrs_t *e);
    /* alert types: the body of one transition (new), or NULL when out of
     * memory. */
    char *(*render)(const vnotify_target_t *t, const vnotify_event_t *ev);
    /* optional: periodic work at now (mono); returns when it is next due,
     * or INT64_MAX. */
    int64_t (*tick)(vnotifier_t *n, vnotify_target_t *t, int64_t now);
} vnotify_type_t;

/* The notifier thread's state of a target, kept across a reload that
 * keeps the target (same type, name and url). */
typedef struct vnotify_run {
    vnotify_alert_t *alerts;
    size_t nalerts;
    vnotify_msg_t *head, *tail;
    size_t queued;
    int64_t next_tick;  /* mono; 0: at once */
    int stale_logged;   /* heartbeat: the skip was said */
} vnotify_run_t;

struct vnotify_target {
    const vnotify_type_t *type;
    char *label; /* "webhook #1" or "webhook 'ops'", for messages */
    vnotify_conf_t conf;
    vnotify_run_t run; /* the notifier thread's only */
};

/* The rows every HTTP target has: url, headers, verify, ca_file (as the
 * http check type has them), header_files, name and timeout. */
#define VNOTIFY_HTTP_SETTINGS                                                \
    VCHECK_TARGET_SETTINGS(vnotify_conf_t, http),                            \
    {.key = "header_files", .kind = VSET_CUSTOM,                             \
     .offset = offsetof(vnotify_conf_t, http), .flags = VSET_SECRET,         \
     .parse = vnotify_parse_header_files},                                   \
    {.key = "name", .kind = VSET_STR, .offset = offsetof(vnotify_conf_t, name), \
     .flags = VSET_NONEMPTY},                                                \
    {.key = "timeout", .kind = VSET_DURATION,                                \
     .offset = offsetof(vnotify_conf_t, timeout_ms), .flags = VSET_POSITIVE, \
     .max = 300000, .def = "5s"}

/* The rows of targets that retry: how often, and the first wait (doubled
 * for each retry after it). */
#define VNOTIFY_RETRY_SETTINGS                                               \
    {.key = "retries", .kind = VSET_UINT,                                    \
     .offset = offsetof(vnotify_conf_t, retries), .max = 20, .def = "3"},    \
    {.key = "backoff", .kind = VSET_DURATION,                                \
     .offset = offsetof(vnotify_conf_t, backoff_ms), .flags = VSET_POSITIVE, \
     .max = VNOTIFY_BACKOFF_MAX_MS, .def = "1s"}

/* The rows of alert targets: hysteresis, pacing, coverage, the link. */
#define VNOTIFY_ALERT_SETTINGS                                               \
    {.key = "after", .kind = VSET_UINT,                                      \
     .offset = offsetof(vnotify_conf_t, after), .min = 1, .max = 1000,       \
     .def = "1"},                                                            \
    {.key = "recover_after", .kind = VSET_UINT,                              \
     .offset = offsetof(vnotify_conf_t, recover_after), .min = 1,            \
     .max = 1000, .def = "1"},                                               \
    {.key = "min_interval", .kind = VSET_DURATION,                           \
     .offset = offsetof(vnotify_conf_t, min_interval_ms), .def = "0s"},      \
    {.key = "checks", .kind = VSET_STRLIST,                                  \
     .offset = offsetof(vnotify_conf_t, checks), .flags = VSET_NONEMPTY},    \
    {.key = "tags", .kind = VSET_STRLIST,                                    \
     .offset = offsetof(vnotify_conf_t, tags), .flags = VSET_NONEMPTY},      \
    {.key = "page_url", .kind = VSET_STR,                                    \
     .offset = offsetof(vnotify_conf_t, page_url), .flags = VSET_NONEMPTY}

/* header_files: a map of header names to files holding their values (a
 * mounted secret), read now and added like `headers`. */
int vnotify_parse_header_files(vnode_t *node, void *field, verrs_t *e);

/* The targets of a configuration, in order. */
typedef struct vnotify_targets {
    vnotify_target_t **v;
    size_t n;
} vnotify_targets_t;

/* Reads the `notify:` list (node; NULL or null: none) into new targets.
 * Returns them (free with vnotify_targets_free), or NULL after adding at
 * least one error to e. */
vnotify_targets_t *vnotify_read(vnode_t *node, verrs_t *e);
void vnotify_targets_free(vnotify_targets_t *ts);
/* 1 when t covers check e (its `checks` and `tags`). */
int vnotify_covers(const vnotify_target_t *t, const vsnap_entry_t *e);
/* The type called name, or NULL; "alertmanager, heartbeat, webhook". */
const vnotify_type_t *vnotify_type_find(const char *name);
const char *vnotify_type_names(void);

/* Observes snapshot s for an alert target: updates every check's alert
 * state (a check gone from s, or no longer covered, resolves). now_ns is
 * the wall clock. 0, or -1 when out of memory. */
int vnotify_observe(vnotify_target_t *t, const vitals_snapshot_t *s,
                    int64_t now_ns);
/* Calls emit for every alert of t whose state differs from what was last
 * notified, unless min_interval since its last notification has not
 * passed (mono now); forgets alerts of vanished checks once resolved.
 * Returns when the next held-back one is due, or INT64_MAX. */
int64_t vnotify_flush(vnotify_target_t *t, const vitals_snapshot_t *s,
                      int64_t now, int64_t now_ns,
                      void (*emit)(vnotify_target_t *t,
                                   const vnotify_event_t *ev, void *arg),
                      void *arg);

/* ------------------------------------------------------------------------
 * The notifier (notifier.c)
 */

/* A new reference to the latest snapshot (or NULL). */
typedef vitals_snapshot_t *(*vnotify_latest_fn)(void *ctx);
typedef void (*vnotify_log_fn)(void *ctx, vitals_log_level_t level,
                               const char *msg);

/* A notifier with no targets and no thread yet, or NULL. latest and log
 * are called from its thread; ctx must outlive it. */
vnotifier_t *vnotifier_new(vnotify_latest_fn latest, vnotify_log_fn log,
                           void *ctx);
/* Stops the thread (waiting for a request in flight, at most its
 * timeout) and frees everything. NULL is fine. */
void vnotifier_free(vnotifier_t *n);
/* Hands ts (taken; NULL: none) to the thread, which adopts them at once:
 * a target with the same type, name and url as a current one keeps its
 * alert states and queue. Never blocks on a delivery. */
void vnotifier_set_targets(vnotifier_t *n, vnotify_targets_t *ts);
/* Starts the thread. 0, or VITALS_ESYS. Safe to call twice. */
int vnotifier_start(vnotifier_t *n);
/* Stops the thread; targets and state are kept for a later start. */
void vnotifier_stop(vnotifier_t *n);
/* "There is a newer snapshot": the engine's subscriber. Only signals. */
void vnotifier_wake(vnotifier_t *n);

/* For the types' tick functions, on the notifier's thread: */
/* The latest snapshot the thread took (borrowed; may be NULL). */
const vitals_snapshot_t *vnotifier_snapshot(const vnotifier_t *n);
void vnotifier_log(vnotifier_t *n, vitals_log_level_t level,
                   const char *fmt, ...) VITALS_PRINTF(3, 4);
/* Queues body (taken) for t's URL, due at now (mono); retry 0 tries once.
 * Returns 0, or -1 when out of memory (body freed). */
int vnotify_enqueue(vnotifier_t *n, vnotify_target_t *t, char *body,
                    const char *what, int retry, int64_t now);
/* Sends one request to t's URL now (method; body may be NULL), within its
 * timeout. 1 when answered 2xx, else 0 with the reason in why (never the
 * URL or a header). */
int vnotify_send(const vnotify_target_t *t, const char *method,
                 const char *body, size_t len, char *why, size_t whylen);

#endif
