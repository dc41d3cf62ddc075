/* config.c - the YAML configuration of vitalsd: reads the settings tree,
 * checks every key (collecting all errors, each at its file:line:column),
 * and applies the result to an instance in one step, so that a broken file
 * changes nothing. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "instance.h"
#include "config/listen_kind.h"
#include "listen/kind.h"
#include "listen/tlsfiles.h"
#include "notify/notify.h"
#include "config/history.h"
#include "config/settings.h"
#include "config/vnode.h"
#include "config/yaml.h"
#include "util/addr.h"

typedef struct vconf {
    const char *service[4]; /* id, description, version, release_id */
    char *instance;
    vlisten_t *listen;
    size_t nlisten;
    vcheck_t **checks;
    size_t n, cap;
    vroutes_t *routes;
    int64_t shutdown_delay_ms;
    int shutdown_fails_all;
    char *state_dir;
    vnotify_targets_t *notify;
    vhist_conf_t history;
    unsigned max_workers;
} vconf_t;

static void conf_clear(vconf_t *c)
{
    for (size_t i = 0; i < c->n; i++)
        vcheck_unref(c->checks[i]);
    free(c->checks);
    vlisten_free(c->listen, c->nlisten);
    vroutes_unref(c->routes);
    vnotify_targets_free(c->notify);
    vhist_conf_clear(&c->history);
    memset(c, 0, sizeof(*c));
}

/* A map-valued key: NULL when absent; an error when not a map. */
static vnode_t *get_map(vnode_t *parent, const char *key, verrs_t *e)
{
    vnode_t *n = vnode_get(parent, key);

    if (n == NULL || n->null)
        return NULL;
    if (n->kind != VNODE_MAP) {
        verrs_add(e, n, "'%s': expected a map of keys", key);
        return NULL;
    }
    return n;
}

/* ------------------------------------------------------------------------
 * service
 */

static const vsetting_t service_settings[] = {
    {.key = "id", .kind = VSET_STR, .offset = offsetof(vconf_t, service[0])},
    {.key = "description", .kind = VSET_STR,
     .offset = offsetof(vconf_t, service[1])},
    {.key = "version", .kind = VSET_STR,
     .offset = offsetof(vconf_t, service[2])},
    {.key = "release_id", .kind = VSET_STR,
     .offset = offsetof(vconf_t, service[3])},
    {.key = "instance", .kind = VSET_STR, .flags = VSET_NONEMPTY,
     .offset = offsetof(vconf_t, instance)},
    {0}};

static void read_service(vnode_t *root, vconf_t *c, verrs_t *e)
{
    vnode_t *svc = get_map(root, "service", e);

    if (svc == NULL)
        return;
    vset_read(service_settings, svc, c, "service", e);
    vnode_map_done(svc, "service", e);
}

/* ------------------------------------------------------------------------
 * The process: shutdown and state
 */

/* shutdown_fails: what fails while draining: readiness (the default), or
 * every aggregate format too (/health, the report, ...). */
static int parse_fails(vnode_t *node, void *field, verrs_t *e)
{
    const char *s;

    if (vnode_as_str(node, "shutdown_fails", &s, e) != 0)
        return -1;
    if (strcmp(s, "readiness") != 0 && strcmp(s, "all") != 0) {
        verrs_add(e, node, "'shutdown_fails': expected readiness or all, "
                           "got \"%s\"",
                  s);
        return -1;
    }
    *(int *)field = strcmp(s, "all") == 0;
    return 0;
}

static const vsetting_t process_settings[] = {
    {.key = "shutdown_delay", .kind = VSET_DURATION,
     .offset = offsetof(vconf_t, shutdown_delay_ms), .min = 0,
     .max = 3600000, .def = "5s",
     .doc = "how long to keep serving after SIGTERM, readiness failing"},
    {.key = "shutdown_fails", .kind = VSET_CUSTOM,
     .offset = offsetof(vconf_t, shutdown_fails_all), .parse = parse_fails,
     .doc = "readiness, or all: what fails while draining"},
    {.key = "state_dir", .kind = VSET_STR, .flags = VSET_NONEMPTY,
     .offset = offsetof(vconf_t, state_dir),
     .doc = "where history and the control socket live"},
    {.key = "max_workers", .kind = VSET_UINT,
     .offset = offsetof(vconf_t, max_workers), .min = 1, .max = 4096,
     .def = "256", .doc = "worker threads running checks, at most"},
    {0}};

/* ------------------------------------------------------------------------
 * listen
 */

typedef struct listener {
    char *address;
    char *name; /* systemd's FileDescriptorName= of its socket */
    struct listener_tls {
        char *cert_file, *key_file;
    } tls;
    const vlistener_kind_t *kind; /* NULL: HTTP */
} listener_t;

static const vsetting_t listener_tls_settings[] = {
    {.key = "cert_file", .kind = VSET_STR,
     .offset = offsetof(struct listener_tls, cert_file),
     .flags = VSET_REQUIRED},
    {.key = "key_file", .kind = VSET_STR,
     .offset = offsetof(struct listener_tls, key_file),
     .flags = VSET_REQUIRED},
    {0}};

static int parse_listener_tls(vnode_t *tls, void *field, verrs_t *e)
{
    size_t bad;

    if (tls->kind != VNODE_MAP) {
        verrs_add(e, tls, "'tls': expected {cert_file, key_file}");
        return -1;
    }
    bad = vset_read(listener_tls_settings, tls, field, "'tls'", e);
    vnode_map_done(tls, "listen.tls", e);
    return bad ? -1 : 0;
}

static void free_listener_tls(void *field)
{
    vset_free(listener_tls_settings, field);
}

static const vsetting_t listener_settings[] = {
    {.key = "address", .kind = VSET_STR,
     .offset = offsetof(listener_t, address), .flags = VSET_REQUIRED},
    {.key = "name", .kind = VSET_STR, .offset = offsetof(listener_t, name),
     .flags = VSET_NONEMPTY},
    {.key = "tls", .kind = VSET_CUSTOM, .offset = offsetof(listener_t, tls),
     .parse = parse_listener_tls, .free = free_listener_tls},
    {.key = "kind", .kind = VSET_CUSTOM, .offset = offsetof(listener_t, kind),
     .parse = vconf_parse_kind, .doc = "http, agent or grpc"},
    {0}};

/* Loads the listener's certificate and key, and adds it to the list with
 * conf (taken), the settings of its kind. */
static void add_listener(const listener_t *l, vnode_t *item, void *conf,
                         vlisten_t **listen, size_t *n, verrs_t *e)
{
    char *cert_pem = NULL, *key_pem = NULL, *why = NULL, *fp = NULL;
    vnode_t *tls = vnode_get(item, "tls");

    if (l->tls.cert_file != NULL &&
        vtls_load(l->tls.cert_file, l->tls.key_file, &cert_pem, &key_pem,
                  &why) != 0) {
        verrs_add(e, tls, "'tls': %s", why ? why : "out of memory");
        free(why);
        vconf_free_kind(l->kind, conf);
        return;
    }
    if (l->kind != NULL && (fp = vnode_dump(item)) == NULL)
        verrs_add(e, item, "out of memory");
    if (vlisten_add_kind(listen, n, l->address, cert_pem, key_pem, l->kind,
                         conf, fp) != VITALS_OK)
        verrs_add(e, item, "out of memory");
    else if (l->name != NULL &&
             vlisten_set_name(&(*listen)[*n - 1], l->name) != 0)
        verrs_add(e, vnode_get(item, "name"),
                  "'name': a systemd FileDescriptorName= (1-255 printable "
                  "characters, no ':'), got \"%s\"",
                  l->name);
    free(fp);
    free(cert_pem);
    free(key_pem);
}

/* One listener: "host:port", or {address, kind, tls: {cert_file,
 * key_file}} and the kind's keys. */
void vconf_read_listener(vnode_t *item, vlisten_t **listen, size_t *n,
                         verrs_t *e)
{
    listener_t l = {0};
    vnode_t *where = item;
    char *host = NULL;
    void *conf = NULL;
    size_t bad = 0;
    int port;

    if (item->kind == VNODE_MAP) {
        bad = vset_read(listener_settings, item, &l, "'listen'", e);
        if (!bad && l.kind != NULL &&
            (conf = vconf_read_kind(l.kind, l.tls.cert_file != NULL, item,
                                    e)) == NULL)
            bad = 1;
        vnode_map_done(item, "a listener", e);
        where = vnode_get(item, "address");
    } else if (item->kind == VNODE_SCALAR &&
               (l.address = strdup(item->str)) == NULL) {
        verrs_add(e, item, "out of memory");
        bad = 1;
    } else if (item->kind != VNODE_SCALAR) {
        verrs_add(e, item,
                  "'listen': expected host:port or {address, kind, tls}");
        return;
    }
    if (l.address != NULL &&
        vaddr_parse(l.address, VADDR_LISTEN, &host, &port) != 0) {
        verrs_add(e, where ? where : item,
                  "'listen': expected host:port or [v6]:port, got \"%s\"",
                  l.address);
        bad = 1;
    }
    free(host);
    if (!bad)
        add_listener(&l, item, conf, listen, n, e);
    else
        vconf_free_kind(l.kind, conf);
    vset_free(listener_settings, &l);
}

static void read_listen(vnode_t *root, vconf_t *c, verrs_t *e)
{
    vnode_t *node = vnode_get(root, "listen");

    if (node == NULL || node->null)
        return;
    if (node->kind != VNODE_SEQ) {
        vconf_read_listener(node, &c->listen, &c->nlisten, e);
        return;
    }
    for (size_t i = 0; i < node->n; i++)
        vconf_read_listener(node->items[i], &c->listen, &c->nlisten, e);
}

/* ------------------------------------------------------------------------
 * defaults and checks
 */

/* The generic keys of a check. No row has a default: the engine's
 * vitals_check_opts_init is the one source of them, and the `defaults:`
 * section overrides the timing. */
#define TIMING_SETTINGS                                                      \
    {.key = "interval", .kind = VSET_DURATION,                               \
     .offset = offsetof(vitals_check_opts_t, interval_ms),                   \
     .flags = VSET_POSITIVE},                                                \
    {.key = "timeout", .kind = VSET_DURATION,                                \
     .offset = offsetof(vitals_check_opts_t, timeout_ms),                    \
     .flags = VSET_POSITIVE},                                                \
    {.key = "initial_delay", .kind = VSET_DURATION,                          \
     .offset = offsetof(vitals_check_opts_t, initial_delay_ms)}

static const vsetting_t defaults_settings[] = {TIMING_SETTINGS, {0}};

static const vsetting_t check_settings[] = {
    TIMING_SETTINGS,
    {.key = "critical", .kind = VSET_BOOL,
     .offset = offsetof(vitals_check_opts_t, critical)},
    {.key = "failure_threshold", .kind = VSET_UINT,
     .offset = offsetof(vitals_check_opts_t, failure_threshold), .min = 1,
     .max = 1000},
    {.key = "success_threshold", .kind = VSET_UINT,
     .offset = offsetof(vitals_check_opts_t, success_threshold), .min = 1,
     .max = 1000},
    {.key = "description", .kind = VSET_STR,
     .offset = offsetof(vitals_check_opts_t, description)},
    {.key = "tags", .kind = VSET_STRLIST,
     .offset = offsetof(vitals_check_opts_t, tags)},
    {0}};

static void read_defaults(vnode_t *root, vitals_check_opts_t *d, verrs_t *e)
{
    vnode_t *m = get_map(root, "defaults", e);

    vitals_check_opts_init(d);
    if (m == NULL)
        return;
    vset_read(defaults_settings, m, d, "defaults", e);
    vnode_map_done(m, "defaults", e);
}

static int conf_push(vconf_t *c, vcheck_t *ch)
{
    if (c->n == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 16;
        vcheck_t **a = realloc(c->checks, cap * sizeof(*a));

        if (a == NULL)
            return -1;
        c->checks = a;
        c->cap = cap;
    }
    c->checks[c->n++] = ch;
    return 0;
}

static char *fingerprint(const vnode_t *m, const vitals_check_opts_t *o)
{
    char *dump = vnode_dump(m), *fp = NULL;

    if (dump != NULL &&
        asprintf(&fp, "%lld/%lld/%lld %s", (long long)o->interval_ms,
                 (long long)o->timeout_ms, (long long)o->initial_delay_ms,
                 dump) < 0)
        fp = NULL;
    free(dump);
    return fp;
}


/* Adds the check made of cc and state (taken) to c. */
static void add_check(vconf_t *c, vnode_t *key, vnode_t *m,
                      const vitals_check_opts_t *cc,
                      const vcheck_type_t *type, void *state, verrs_t *e)
{
    vcheck_t *ch = vcheck_new(key->str, cc);

    if (ch == NULL) {
        verrs_add(e, key, "out of memory");
        vcheck_state_free(type, state);
        return;
    }
    ch->type = type;
    ch->type_name = type->name;
    ch->type_state = state;
    ch->fingerprint = fingerprint(m, cc);
    if (ch->fingerprint == NULL || conf_push(c, ch) != 0) {
        verrs_add(e, key, "out of memory");
        vcheck_unref(ch);
    }
}

static void read_check(vconf_t *c, vnode_t *key, vnode_t *m,
                       const vitals_check_opts_t *d, verrs_t *e)
{
    const char *name = key->str;
    const vcheck_type_t *type;
    vitals_check_opts_t cc = *d;
    size_t before = e->n;
    void *state = NULL;
    char what[160];

    snprintf(what, sizeof(what), "check '%s'", name);
    if (m->kind != VNODE_MAP) {
        verrs_add(e, m, "%s: expected a map of keys", what);
        return;
    }
    if (!vcheck_name_valid(name))
        verrs_add(e, key,
                  "invalid check name '%s': use 1 to 128 letters, digits, "
                  "'.', '_' or '-', other than '.' and '..'",
                  name);
    vset_read(check_settings, m, &cc, what, e);
    for (cc.ntags = 0; cc.tags && cc.tags[cc.ntags]; cc.ntags++)
        continue;
    if ((type = vcheck_type_read(m, what, e)) != NULL)
        state = vcheck_configure(type, m, what, e);
    vnode_map_done(m, what, e);
    if (e->n == before && state != NULL)
        add_check(c, key, m, &cc, type, state, e);
    else if (state != NULL)
        vcheck_state_free(type, state);
    vset_free(check_settings, &cc);
}

/* A list of checks is the mistake of a newcomer who read the keys as
 * fields: say how the map is written. */
static void read_checks(vnode_t *root, vconf_t *c,
                        const vitals_check_opts_t *d, verrs_t *e)
{
    vnode_t *m = vnode_get(root, "checks");

    if (m != NULL && m->kind == VNODE_SEQ) {
        verrs_add(e, m,
                  "'checks': expected a map whose keys are the check names "
                  "(e.g. \"checks: {web: {type: http, url: ...}}\"), got a "
                  "list");
        return;
    }
    if ((m = get_map(root, "checks", e)) == NULL)
        return;
    for (size_t i = 0; i < m->n; i++) {
        m->used[i] = 1;
        read_check(c, m->keys[i], m->items[i], d, e);
    }
}

/* endpoints, access, limits and access_log: how the checks are served. */
static void read_http(vnode_t *root, vconf_t *c, verrs_t *e)
{
    vnode_t *endpoints = vnode_get(root, "endpoints");
    vnode_t *access = get_map(root, "access", e);
    vnode_t *limits = get_map(root, "limits", e);
    int access_log = 0;

    vnode_bool(root, "access_log", &access_log, e);
    c->routes = vroutes_configure(endpoints && !endpoints->null ? endpoints
                                                                : NULL,
                                  access, limits, e);
    if (c->routes != NULL)
        c->routes->access_log = access_log;
    if (access != NULL)
        vnode_map_done(access, "access", e);
    if (limits != NULL)
        vnode_map_done(limits, "limits", e);
}

/* Reads path into c. Returns the number of errors. */
static size_t conf_read(const char *path, vconf_t *c, verrs_t *e)
{
    vnode_t *root = vyaml_load_file(path, e);
    vitals_check_opts_t d;

    memset(c, 0, sizeof(*c));
    if (root == NULL)
        return e->n ? e->n : 1;
    read_service(root, c, e);
    vset_read(process_settings, root, c, "the configuration", e);
    read_listen(root, c, e);
    if (c->nlisten == 0)
        verrs_warn(e, vnode_get(root, "listen") ? vnode_get(root, "listen")
                                                : root,
                   "no 'listen': the checks run, but nothing serves them");
    read_defaults(root, &d, e);
    read_checks(root, c, &d, e);
    read_http(root, c, e);
    c->notify = vnotify_read(vnode_get(root, "notify"), e);
    vhist_read(get_map(root, "history", e), &c->history, e);
    vnode_map_done(root, "the configuration", e);
    vnode_free(root);
    return e->n + (size_t)e->oom;
}

static void service_free(vconf_t *c)
{
    vset_free(service_settings, c);
    vset_free(process_settings, c);
}

static void apply(vitals_t *v, vconf_t *c, const verrs_t *warnings)
{
    size_t kept, n = c->n;

    for (size_t i = 0; warnings != NULL && i < warnings->n; i++)
        vinstance_log(v, VITALS_LOG_WARN, "%s", warnings->msgs[i]);
    vinstance_set_listen(v, c->listen, c->nlisten);
    c->listen = NULL;
    c->nlisten = 0;
    vitals_set_service(v, c->service[0], c->service[1], c->service[2],
                       c->service[3]);
    vitals_set_instance(v, c->instance);
    vinstance_set_routes(v, c->routes);
    c->routes = NULL;
    vinstance_set_shutdown(v, c->shutdown_delay_ms, c->shutdown_fails_all);
    if (c->state_dir != NULL)
        vitals_set_state_dir(v, c->state_dir);
    vinstance_set_notify(v, c->notify);
    c->notify = NULL;
    vinstance_set_history(v, &c->history);
    vitals_set_max_workers(v, c->max_workers);
    kept = vengine_apply(vitals_engine(v), c->checks, n);
    free(c->checks); /* the checks now belong to the engine */
    c->checks = NULL;
    c->n = 0;
    vinstance_log(v, VITALS_LOG_INFO,
                  "configuration applied: %zu checks (%zu unchanged, %zu "
                  "new or changed)",
                  n, kept, n - kept);
}

/* strict: as vitalsd --check-config (verrs_lint adds errors). */
static int load(vitals_t *v, const char *path, int strict,
                vitals_errors_t **errs, vitals_errors_t **warnings)
{
    verrs_t *e = verrs_new_linting(strict);
    vconf_t c;
    int rc = VITALS_OK;

    if (errs != NULL)
        *errs = NULL;
    if (warnings != NULL)
        *warnings = NULL;
    if (e == NULL)
        return VITALS_ENOMEM;
    if (path == NULL) {
        vitals_errors_free(e);
        return VITALS_EINVAL;
    }
    if (conf_read(path, &c, e) > 0) {
        rc = VITALS_ECONFIG;
        verrs_sort(e, path);
    }
    else if (v != NULL)
        apply(v, &c, e->warnings);
    service_free(&c);
    conf_clear(&c);
    if (warnings != NULL && e->warnings->n > 0) {
        verrs_sort(e->warnings, path);
        *warnings = e->warnings;
        e->warnings = NULL;
    }
    if (errs != NULL && rc != VITALS_OK)
        *errs = e;
    else
        vitals_errors_free(e);
    return rc;
}

int vitals_set_http(vitals_t *v, const char *settings_json, char **err)
{
    verrs_t *e = verrs_new();
    vnode_t *root;
    vconf_t c;
    int rc = VITALS_ECONFIG;

    if (err != NULL)
        *err = NULL;
    if (v == NULL || e == NULL) {
        vitals_errors_free(e);
        return v == NULL ? VITALS_EINVAL : VITALS_ENOMEM;
    }
    memset(&c, 0, sizeof(c));
    root = vnode_from_json(settings_json ? settings_json : "{}", e);
    if (root != NULL) {
        read_http(root, &c, e);
        vnode_map_done(root, "the HTTP settings", e);
    }
    if (e->n == 0 && c.routes != NULL) {
        vinstance_set_routes(v, c.routes);
        c.routes = NULL;
        rc = VITALS_OK;
    } else if (err != NULL) {
        *err = verrs_join(e);
    }
    vroutes_unref(c.routes);
    vnode_free(root);
    vitals_errors_free(e);
    return rc;
}

int vitals_config_load(vitals_t *v, const char *path, vitals_errors_t **errs)
{
    if (v == NULL)
        return VITALS_EINVAL;
    return load(v, path, 0, errs, NULL);
}

int vitals_config_check(const char *path, vitals_errors_t **errs)
{
    return load(NULL, path, 0, errs, NULL);
}

int vitals_config_lint(const char *path, vitals_errors_t **errs,
                       vitals_errors_t **warnings)
{
    return load(NULL, path, 1, errs, warnings);
}
