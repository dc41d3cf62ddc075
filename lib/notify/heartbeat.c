/* heartbeat.c - the "heartbeat" target: an outgoing dead man's switch. A
 * URL (healthchecks.io, Uptime Kuma's push monitor, Better Stack, a
 * Prometheus Pushgateway...) is requested every interval, but only while
 * the scheduler is healthy: when it stops publishing snapshots, the pings
 * stop, and the service at the other end raises the alarm. It answers
 * "who watches the watcher". */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "notify/notify.h"
#include "util/clock.h"

static const vsetting_t heartbeat_settings[] = {
    VNOTIFY_HTTP_SETTINGS,
    {.key = "interval", .kind = VSET_DURATION,
     .offset = offsetof(vnotify_conf_t, interval_ms), .min = 1000,
     .max = 86400000, .def = "1m", .doc = "between two pings"},
    {.key = "method", .kind = VSET_STR,
     .offset = offsetof(vnotify_conf_t, method), .def = "GET",
     .doc = "GET, HEAD or POST"},
    {0}};

static int heartbeat_prepare(vnotify_conf_t *c, vnode_t *m, verrs_t *e)
{
    if (strcmp(c->method, "GET") == 0 || strcmp(c->method, "HEAD") == 0 ||
        strcmp(c->method, "POST") == 0)
        return 0;
    verrs_add(e, vnode_get(m, "method"),
              "'method': expected GET, HEAD or POST, got \"%s\"", c->method);
    return -1;
}

/* 1 when the scheduler published lately (it does at least every
 * VSNAP_HEARTBEAT_NS, even when nothing changed). */
static int scheduler_alive(const vitals_snapshot_t *s, int64_t now)
{
    return s != NULL && now - s->mono_ns <= VNOTIFY_STALE_NS;
}

static int64_t heartbeat_tick(vnotifier_t *n, vnotify_target_t *t,
                              int64_t now)
{
    const vitals_snapshot_t *s = vnotifier_snapshot(n);
    char why[256];

    if (!scheduler_alive(s, now)) {
        if (!t->run.stale_logged)
            vnotifier_log(n, VITALS_LOG_ERROR,
                          "notify %s: no snapshot published for %lld s: "
                          "the scheduler is stuck; pings stop",
                          t->label,
                          s ? (long long)((now - s->mono_ns) / VCLOCK_S)
                            : 0LL);
        t->run.stale_logged = 1;
    } else {
        if (t->run.stale_logged)
            vnotifier_log(n, VITALS_LOG_INFO,
                          "notify %s: the scheduler publishes again; pings "
                          "resume",
                          t->label);
        t->run.stale_logged = 0;
        why[0] = '\0';
        if (!vnotify_send(t, t->conf.method, NULL, 0, why, sizeof(why)))
            vnotifier_log(n, VITALS_LOG_WARN, "notify %s: ping failed: %s",
                          t->label, why);
    }
    return now + t->conf.interval_ms * VCLOCK_MS;
}

const vnotify_type_t vnotify_heartbeat = {
    .name = "heartbeat",
    .settings = heartbeat_settings,
    .prepare = heartbeat_prepare,
    .tick = heartbeat_tick,
};
