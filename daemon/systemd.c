/* systemd.c - vitalsd under systemd, through libsystemd: READY, STATUS,
 * RELOADING and STOPPING notifications, watchdog pings that stop when the
 * scheduler is stuck, and listening sockets passed by socket activation. */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-daemon.h>
#include <time.h>
#include <unistd.h>

#include "daemon.h"

struct vsd {
    vitals_t *v;
    int64_t stale_ms;
    uint64_t watchdog_usec; /* 0: no watchdog */
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t cond; /* on CLOCK_MONOTONIC */
    int published;       /* a snapshot came out since the thread looked */
    int stop;
    char status[256]; /* the STATUS= last sent (the thread's) */
    int stale;        /* pings withheld: logged once per episode */
};

static int64_t mono_us(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

char *vitalsd_summary(const vitals_snapshot_t *s, char *buf, size_t len)
{
    size_t count[3] = {0, 0, 0}, n = vitals_snapshot_count(s), off = 0;
    const char *reason = vitals_snapshot_maintenance(s, NULL);

    for (size_t i = 0; i < n; i++)
        count[vitals_snapshot_check(s, i)->status]++;
    buf[0] = '\0';
    for (int st = VITALS_HEALTHY; st <= VITALS_UNHEALTHY; st++) {
        if (count[st] == 0 || off >= len)
            continue;
        off += (size_t)snprintf(buf + off, len - off, "%s%zu %s",
                                off ? ", " : "", count[st],
                                vitals_status_name((vitals_status_t)st));
    }
    if (n == 0)
        off = (size_t)snprintf(buf, len, "no checks");
    if (reason != NULL && off < len)
        off += (size_t)snprintf(buf + off, len - off, "; maintenance: %s",
                                reason);
    if (vitals_snapshot_draining(s) && off < len)
        snprintf(buf + off, len - off, "; draining");
    return buf;
}

/* ------------------------------------------------------------------------
 * Socket activation
 */

int vsd_listen(vitals_t *v)
{
    char **names = NULL;
    int n = sd_listen_fds_with_names(1, &names), used = 0;

    if (n < 0) {
        /* LISTEN_FDNAMES does not match LISTEN_FDS: the sockets are there
         * even so, and can still be matched by address. */
        vitalsd_log(VITALS_LOG_WARN, "socket activation: LISTEN_FDNAMES: "
                                     "%s; matching by address only",
                    strerror(-n));
        names = NULL;
        n = sd_listen_fds(1);
    }
    if (n < 0)
        vitalsd_log(VITALS_LOG_ERROR, "socket activation: %s",
                    strerror(-n));
    for (int i = 0; i < n; i++) {
        int fd = SD_LISTEN_FDS_START + i, rc;
        const char *name = names && names[i] ? names[i] : "unknown";

        rc = vitals_listen_fd(v, fd, name);
        if (rc == VITALS_OK) {
            used++;
        } else {
            vitalsd_log(VITALS_LOG_WARN,
                        "socket activation: socket %d (FileDescriptorName=%s) "
                        "%s: closed, not served",
                        fd, name,
                        rc == VITALS_ENOENT
                            ? "matches no 'listen' entry by name or address"
                            : "is not a listening stream socket");
            close(fd);
        }
        free(names ? names[i] : NULL);
    }
    free(names);
    return used;
}

/* ------------------------------------------------------------------------
 * Notifications
 */

static void notify(const char *fmt, ...) VITALS_PRINTF(1, 2);
static void notify(const char *fmt, ...)
{
    static atomic_int failing;
    char msg[512];
    va_list ap;
    int rc;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    /* The notification socket may be gone (systemd restarting): it only
     * costs a log line, once until it works again. */
    rc = sd_notify(0, msg);
    if (rc < 0 && atomic_exchange(&failing, 1) == 0)
        vitalsd_log(VITALS_LOG_WARN, "sd_notify to %s: %s",
                    getenv("NOTIFY_SOCKET"), strerror(-rc));
    else if (rc >= 0)
        atomic_store(&failing, 0);
}

/* The publication callback (the instance's lock held): only wakes the
 * thread. */
static void published(const vitals_snapshot_t *s, void *data)
{
    vsd_t *d = data;

    (void)s;
    pthread_mutex_lock(&d->lock);
    d->published = 1;
    pthread_cond_signal(&d->cond);
    pthread_mutex_unlock(&d->lock);
}

/* Sends STATUS= when the summary changed, and a watchdog ping when due
 * and the scheduler is alive. */
static void look(vsd_t *d, int ping)
{
    vitals_snapshot_t *s = vitals_snapshot_get(d->v);
    char status[sizeof(d->status)];
    int64_t age = vitals_snapshot_age_ms(s);

    vitalsd_summary(s, status, sizeof(status));
    if (strcmp(status, d->status) != 0) {
        notify("STATUS=%s", status);
        memcpy(d->status, status, sizeof(status));
    }
    if (ping && age <= d->stale_ms) {
        notify("WATCHDOG=1");
        if (d->stale)
            vitalsd_log(VITALS_LOG_INFO, "watchdog: the scheduler is "
                                         "publishing again; pinging");
        d->stale = 0;
    } else if (ping && !d->stale) {
        vitalsd_log(VITALS_LOG_ERROR,
                    "watchdog: no snapshot for %lld ms (the scheduler is "
                    "stuck): no more pings, systemd will restart vitalsd",
                    (long long)age);
        d->stale = 1;
    }
    vitals_snapshot_release(s);
}

static void *run(void *arg)
{
    vsd_t *d = arg;
    /* Without a watchdog the thread only waits for publications. */
    int64_t every = d->watchdog_usec ? (int64_t)d->watchdog_usec / 2
                                     : 3600LL * 1000000;
    int64_t next = mono_us();

    pthread_mutex_lock(&d->lock);
    while (!d->stop) {
        int64_t now = mono_us();
        int ping = d->watchdog_usec && now >= next;

        if (!d->published && !ping) {
            struct timespec until = {(time_t)(next / 1000000),
                                     (long)(next % 1000000) * 1000};

            pthread_cond_timedwait(&d->cond, &d->lock, &until);
            continue;
        }
        d->published = 0;
        if (ping)
            next = now + every;
        pthread_mutex_unlock(&d->lock);
        look(d, ping);
        pthread_mutex_lock(&d->lock);
    }
    pthread_mutex_unlock(&d->lock);
    return NULL;
}

vsd_t *vsd_start(vitals_t *v, int64_t stale_ms)
{
    const char *sock = getenv("NOTIFY_SOCKET");
    pthread_condattr_t attr;
    uint64_t usec = 0;
    vsd_t *d;

    if (sock == NULL || sock[0] == '\0')
        return NULL;
    notify("READY=1");
    if ((d = calloc(1, sizeof(*d))) == NULL)
        return NULL;
    d->v = v;
    d->stale_ms = stale_ms;
    if (sd_watchdog_enabled(0, &usec) > 0)
        d->watchdog_usec = usec;
    pthread_mutex_init(&d->lock, NULL);
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&d->cond, &attr);
    pthread_condattr_destroy(&attr);
    if (pthread_create(&d->thread, NULL, run, d) != 0) {
        vitalsd_log(VITALS_LOG_ERROR, "systemd: cannot start the status "
                                      "thread: no STATUS= or watchdog");
        pthread_cond_destroy(&d->cond);
        pthread_mutex_destroy(&d->lock);
        free(d);
        return NULL;
    }
    if (vitals_on_publish(v, published, d) != VITALS_OK) {
        vitalsd_log(VITALS_LOG_ERROR, "systemd: cannot follow publications: "
                                      "no STATUS= or watchdog");
        vsd_stop(d);
        return NULL;
    }
    if (d->watchdog_usec)
        vitalsd_log(VITALS_LOG_INFO,
                    "systemd watchdog: pinging every %llu ms while the "
                    "scheduler publishes",
                    (unsigned long long)(d->watchdog_usec / 2000));
    return d;
}

void vsd_reloading(vsd_t *d)
{
    /* MONOTONIC_USEC: systemd 253 and later want it with RELOADING=1
     * (Type=notify-reload); older ones ignore it. */
    if (d != NULL)
        notify("RELOADING=1\nMONOTONIC_USEC=%lld", (long long)mono_us());
}

void vsd_reloaded(vsd_t *d)
{
    if (d != NULL)
        notify("READY=1");
}

void vsd_stopping(vsd_t *d)
{
    if (d != NULL)
        notify("STOPPING=1");
}

void vsd_stop(vsd_t *d)
{
    if (d == NULL)
        return;
    vitals_on_publish(d->v, NULL, NULL);
    pthread_mutex_lock(&d->lock);
    d->stop = 1;
    pthread_cond_signal(&d->cond);
    pthread_mutex_unlock(&d->lock);
    pthread_join(d->thread, NULL);
    pthread_cond_destroy(&d->cond);
    pthread_mutex_destroy(&d->lock);
    free(d);
}
