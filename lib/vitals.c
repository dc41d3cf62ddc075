/* vitals.c - the instance: an engine and an HTTP server composed, and the
 * public functions that act on both, in the order that keeps requests
 * answered (the scheduler first, then the listeners; stopping, the other
 * way round). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "checks/check_type.h"
#include "config/vnode.h"
#include "instance.h"
#include "listen/kind.h"
#include "listen/tlsfiles.h"
#include "notify/notify.h"
#include "util/addr.h"

struct vitals {
    vengine_t *engine;
    vserver_t *server;
    vroutes_t *routes; /* what the server serves (and will, before start) */
    vlisten_t *listen;
    size_t nlisten;
    void **running; /* per listen entry of another kind than HTTP */
    int started;
    char *state_dir;
    int64_t shutdown_delay_ms; /* how long vitals_drain says to serve */
    int drain_fails_all;       /* draining fails every aggregate view */
    vnotifier_t *notifier;     /* alerts: its thread runs while started
                                  with targets */
    size_t ntargets;
    vitals_publish_fn publish_fn; /* the application's, or NULL */
    void *publish_data;
    vinst_history_t *hist;
};

const char *vitals_strerror(int err)
{
    switch ((vitals_errno_t)err) {
    case VITALS_OK:
        return "success";
#define XX(name, value, text)                                                 \
    case VITALS_##name:                                                       \
        return text;
        VITALS_ERRNO_MAP(XX)
#undef XX
    }
    return "unknown error";
}

const char *vitals_status_name(vitals_status_t s)
{
    switch (s) {
    case VITALS_HEALTHY:
        return "healthy";
    case VITALS_DEGRADED:
        return "degraded";
    case VITALS_UNHEALTHY:
        return "unhealthy";
    }
    return "unknown";
}

/* ------------------------------------------------------------------------
 * The instance
 */

/* The engine's subscriber: a new snapshot wakes the notifier's thread. */
static void on_publish(vitals_snapshot_t *s, void *data)
{
    (void)s;
    vnotifier_wake(data);
}

static int notifier_new(vitals_t *v)
{
    vsource_t src = vinstance_source(v->engine);

    if ((v->notifier = vnotifier_new(src.snapshot, src.log, src.ctx)) ==
        NULL)
        return VITALS_ENOMEM;
    return vengine_subscribe(v->engine, on_publish, v->notifier);
}

vitals_t *vitals_new(void)
{
    vitals_t *v = calloc(1, sizeof(*v));

    if (v == NULL)
        return NULL;
    v->shutdown_delay_ms = VITALS_SHUTDOWN_DELAY_MS;
    if ((v->engine = vengine_new()) == NULL ||
        (v->routes = vroutes_default()) == NULL ||
        notifier_new(v) != VITALS_OK ||
        (v->hist = vih_new()) == NULL ||
        vitals_set_instance(v, NULL) != VITALS_OK) {
        vitals_free(v);
        return NULL;
    }
    return v;
}

void vitals_free(vitals_t *v)
{
    if (v == NULL)
        return;
    vitals_stop(v, 0);
    if (v->notifier != NULL)
        vengine_unsubscribe(v->engine, on_publish, v->notifier);
    vnotifier_free(v->notifier);
    vih_free(v->hist);
    vengine_free(v->engine);
    vlisten_free(v->listen, v->nlisten);
    vroutes_unref(v->routes);
    free(v->state_dir);
    free(v);
}

vengine_t *vitals_engine(vitals_t *v)
{
    return v->engine;
}

vinst_history_t *vinstance_hist(vitals_t *v)
{
    return v->hist;
}

void vinstance_log(vitals_t *v, vitals_log_level_t level, const char *fmt,
                   ...)
{
    char buf[1024];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    vengine_log(v->engine, level, "%s", buf);
}

int vitals_set_service(vitals_t *v, const char *id, const char *description,
                       const char *version, const char *release_id)
{
    if (v == NULL)
        return VITALS_EINVAL;
    return vengine_set_service(v->engine, id, description, version,
                               release_id);
}

int vitals_set_instance(vitals_t *v, const char *instance)
{
    char host[256];

    if (v == NULL)
        return VITALS_EINVAL;
    if (instance == NULL) {
        if (gethostname(host, sizeof(host)) != 0)
            snprintf(host, sizeof(host), "localhost");
        host[sizeof(host) - 1] = '\0';
        instance = host;
    }
    return vengine_set_instance(v->engine, instance);
}

void vitals_set_log(vitals_t *v, vitals_log_fn fn, void *data)
{
    if (v != NULL)
        vengine_set_log(v->engine, fn, data);
}

int64_t vitals_drain(vitals_t *v)
{
    if (v == NULL)
        return 0;
    vengine_drain(v->engine, v->drain_fails_all);
    return v->shutdown_delay_ms;
}

int vitals_maintenance(vitals_t *v, const char *reason, int64_t for_ms)
{
    int rc;

    if (v == NULL)
        return VITALS_EINVAL;
    if ((rc = vengine_maintenance(v->engine, reason, for_ms)) == VITALS_OK)
        vih_maintenance(v->hist, reason, for_ms); /* survives a restart */
    return rc;
}

int vitals_set_max_workers(vitals_t *v, unsigned n)
{
    if (v == NULL || n == 0)
        return VITALS_EINVAL;
    vengine_set_max_workers(v->engine, n);
    return VITALS_OK;
}

int vitals_set_state_dir(vitals_t *v, const char *path)
{
    char *copy;

    if (v == NULL || path == NULL || path[0] == '\0')
        return VITALS_EINVAL;
    if ((copy = strdup(path)) == NULL)
        return VITALS_ENOMEM;
    free(v->state_dir);
    v->state_dir = copy;
    return VITALS_OK;
}

const char *vitals_state_dir(const vitals_t *v)
{
    const char *env;

    if (v == NULL)
        return NULL;
    if (v->state_dir != NULL)
        return v->state_dir;
    /* systemd's StateDirectory= may list several, separated by ':'. */
    env = getenv("STATE_DIRECTORY");
    return env != NULL && env[0] != '\0' && strchr(env, ':') == NULL
               ? env
               : VITALS_STATE_DIR;
}

void vinstance_set_shutdown(vitals_t *v, int64_t delay_ms, int fails_all)
{
    v->shutdown_delay_ms = delay_ms;
    v->drain_fails_all = fails_all != 0;
}

/* The engine's subscriber that hands each snapshot to the application's
 * callback (e->lock held, as the engine's subscribers are). */
static void publish_to_app(vitals_snapshot_t *s, void *data)
{
    vitals_t *v = data;

    v->publish_fn(s, v->publish_data);
}

int vitals_on_publish(vitals_t *v, vitals_publish_fn fn, void *data)
{
    if (v == NULL)
        return VITALS_EINVAL;
    /* Once unsubscribed no call is in flight (calls run under the engine
     * lock that unsubscribing takes), so the fields can change. */
    if (v->publish_fn != NULL)
        vengine_unsubscribe(v->engine, publish_to_app, v);
    v->publish_fn = fn;
    v->publish_data = data;
    if (fn == NULL)
        return VITALS_OK;
    return vengine_subscribe(v->engine, publish_to_app, v);
}

vitals_snapshot_t *vitals_snapshot_get(vitals_t *v)
{
    return v != NULL ? vengine_snapshot(v->engine) : NULL;
}

/* ------------------------------------------------------------------------
 * Serving
 */

static int check_address(vitals_t *v, const char *address)
{
    char *host = NULL;
    int port;

    if (v == NULL || vaddr_parse(address, VADDR_LISTEN, &host, &port) != 0)
        return VITALS_EINVAL;
    free(host);
    return v->started ? VITALS_EBUSY : VITALS_OK;
}

int vitals_listen(vitals_t *v, const char *address)
{
    int rc = check_address(v, address);

    return rc != VITALS_OK ? rc
                           : vlisten_add(&v->listen, &v->nlisten, address,
                                         NULL, NULL);
}

int vitals_listen_tls(vitals_t *v, const char *address, const char *cert_file,
                      const char *key_file, char **err)
{
    char *cert = NULL, *key = NULL, *why = NULL;
    int rc = check_address(v, address);

    if (err != NULL)
        *err = NULL;
    if (rc != VITALS_OK)
        return rc;
    if (cert_file == NULL || key_file == NULL)
        return VITALS_EINVAL;
    if (vtls_load(cert_file, key_file, &cert, &key, &why) != 0) {
        if (err != NULL)
            *err = why;
        else
            free(why);
        return VITALS_ECONFIG;
    }
    rc = vlisten_add(&v->listen, &v->nlisten, address, cert, key);
    free(cert);
    free(key);
    return rc;
}

static int listen_differs(const vitals_t *v, const vlisten_t *l, size_t n)
{
    if (v->nlisten != n)
        return 1;
    for (size_t i = 0; i < n; i++) {
        const vlisten_t *a = &v->listen[i], *b = &l[i];

        if (strcmp(a->address, b->address) != 0 || a->kind != b->kind ||
            !a->fingerprint != !b->fingerprint ||
            (a->fingerprint && strcmp(a->fingerprint, b->fingerprint)) ||
            !a->cert_pem != !b->cert_pem ||
            (a->cert_pem && (strcmp(a->cert_pem, b->cert_pem) != 0 ||
                             strcmp(a->key_pem, b->key_pem) != 0)))
            return 1;
    }
    return 0;
}

int vitals_listen_fd(vitals_t *v, int fd, const char *name)
{
    int listening = 0, type = 0;
    socklen_t len = sizeof(listening);
    long i;

    if (v == NULL || fd < 0)
        return VITALS_EINVAL;
    if (v->started)
        return VITALS_EBUSY;
    if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &len) != 0 ||
        !listening)
        return VITALS_EINVAL;
    len = sizeof(type);
    if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) != 0 ||
        type != SOCK_STREAM)
        return VITALS_EINVAL;
    if ((i = vlisten_match(v->listen, v->nlisten, fd, name)) < 0)
        return VITALS_ENOENT;
    v->listen[i].fd = fd;
    return VITALS_OK;
}

void vinstance_set_listen(vitals_t *v, vlisten_t *l, size_t n)
{
    if (!v->started) {
        vlisten_free(v->listen, v->nlisten);
        v->listen = l;
        v->nlisten = n;
        return;
    }
    if (listen_differs(v, l, n))
        vinstance_log(v, VITALS_LOG_WARN,
                      "listen addresses changed: restart vitalsd to apply "
                      "them");
    vlisten_free(l, n);
}

/* The limits the listeners were started with (max_uri_bytes is read per
 * request, so it changes without a restart). */
static int limits_differ(const vlimits_t *a, const vlimits_t *b)
{
    return a->read_timeout_ms != b->read_timeout_ms ||
           a->max_connections != b->max_connections ||
           a->max_connections_per_ip != b->max_connections_per_ip ||
           a->max_header_bytes != b->max_header_bytes;
}

void vinstance_set_routes(vitals_t *v, vroutes_t *routes)
{
    if (routes->allow_all_warning)
        vinstance_log(v, VITALS_LOG_WARN,
                      "the health allow list is empty: every client may "
                      "read the mosparo endpoint");
    if (v->started && limits_differ(&v->routes->limits, &routes->limits))
        vinstance_log(v, VITALS_LOG_WARN,
                      "limits changed: restart vitalsd to apply them "
                      "(max_uri_bytes applies now)");
    if (v->server != NULL)
        vserver_set_routes(v->server, routes);
    vroutes_unref(v->routes);
    v->routes = routes;
}

void vinstance_set_notify(vitals_t *v, struct vnotify_targets *ts)
{
    v->ntargets = ts != NULL ? ts->n : 0;
    vnotifier_set_targets(v->notifier, ts);
    if (v->started && v->ntargets > 0 &&
        vnotifier_start(v->notifier) != VITALS_OK)
        vinstance_log(v, VITALS_LOG_ERROR,
                      "cannot start the notifier thread: alerts are off");
}

int vitals_set_notify(vitals_t *v, const char *settings_json, char **err)
{
    verrs_t *e = verrs_new();
    vnotify_targets_t *ts = NULL;
    vnode_t *root = NULL;
    int rc = VITALS_ECONFIG;

    if (err != NULL)
        *err = NULL;
    if (v == NULL || e == NULL) {
        vitals_errors_free(e);
        return v == NULL ? VITALS_EINVAL : VITALS_ENOMEM;
    }
    if ((root = vnode_from_json(settings_json ? settings_json : "{}", e))) {
        ts = vnotify_read(vnode_get(root, "notify"), e);
        vnode_map_done(root, "the notify settings", e);
    }
    if (e->n == 0 && ts != NULL) {
        vinstance_set_notify(v, ts);
        ts = NULL;
        rc = VITALS_OK;
    } else if (err != NULL) {
        *err = verrs_join(e);
    }
    vnotify_targets_free(ts);
    vnode_free(root);
    vitals_errors_free(e);
    return rc;
}

vroutes_t *vinstance_routes(vitals_t *v)
{
    return vroutes_ref(v->routes);
}

int vinstance_add_listen(vitals_t *v, vlisten_t *l)
{
    int rc = v->started ? VITALS_EBUSY
                        : vlisten_append(&v->listen, &v->nlisten, l);

    if (rc != VITALS_OK)
        vlisten_free(l, 1);
    return rc;
}

int vitals_start(vitals_t *v)
{
    vsource_t src;
    int rc;

    if (v == NULL)
        return VITALS_EINVAL;
    if (v->started)
        return VITALS_EBUSY;
    /* Before the first run: the streaks it restores are what that run
     * continues, and the first snapshot shows. */
    if ((rc = vih_start(v->hist, v->engine, vitals_state_dir(v))) !=
        VITALS_OK)
        return rc;
    /* Serve the registered checks ("not yet run") from the first request,
     * never the empty snapshot of a new instance. */
    pthread_mutex_lock(&v->engine->lock);
    vengine_publish(v->engine, vclock_mono(v->engine->clock));
    pthread_mutex_unlock(&v->engine->lock);
    if ((rc = vrunner_start(v->engine)) != VITALS_OK) {
        vih_stop(v->hist, v->engine);
        return rc;
    }
    v->started = 1;
    if (v->ntargets > 0 && (rc = vnotifier_start(v->notifier)) != VITALS_OK) {
        vitals_stop(v, 0);
        return rc;
    }
    src = vinstance_source(v->engine);
    src.history = vih_reader(v->hist);
    /* The HTTP listeners as one server, then each of another kind. */
    if ((v->server = vserver_start(&src, v->routes, v->listen, v->nlisten,
                                   &rc)) == NULL ||
        (v->running = vkinds_start(&src, v->listen, v->nlisten, &rc)) ==
            NULL) {
        vitals_stop(v, 0);
        return rc;
    }
    return VITALS_OK;
}

struct MHD_Daemon *vinstance_serve_unbound(vitals_t *v)
{
    vsource_t src = vinstance_source(v->engine);

    src.history = vih_reader(v->hist);
    if (v->server != NULL ||
        (v->server = vserver_start_unbound(&src, v->routes)) == NULL)
        return NULL;
    return vserver_daemon(v->server);
}

int vitals_listen_port(const vitals_t *v, size_t i)
{
    return v != NULL ? vkinds_port(v->listen, v->nlisten, v->running,
                                   v->server, i)
                     : -1;
}

void vitals_stop(vitals_t *v, int64_t grace_ms)
{
    if (v == NULL)
        return;
    vkinds_stop(v->listen, v->nlisten, v->running);
    v->running = NULL;
    vserver_stop(v->server, grace_ms);
    v->server = NULL;
    vnotifier_stop(v->notifier);
    if (!v->started)
        return;
    vrunner_stop(v->engine);
    vih_stop(v->hist, v->engine);
    v->started = 0;
}
