/* config.c - the YAML configuration of vitalsd: reads the settings tree,
 * checks every key (collecting all errors, each at its file:line:column),
 * and applies the result to an instance in one step, so that a broken file
 * changes nothing. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "instance.h"
#include "listen/tlsfiles.h"
#include "util/addr.h"
#include "config/vnode.h"
#include "config/yaml.h"
#include "util/addr.h"

typedef struct vconf {
    const char *service[4]; /* id, description, version, release_id */
    vlisten_t *listen;
    size_t nlisten;
    vcheck_t **checks;
    size_t n, cap;
    vroutes_t *routes;
} vconf_t;

typedef struct vdefaults {
    int64_t interval_ms, timeout_ms, initial_delay_ms;
} vdefaults_t;

static void conf_clear(vconf_t *c)
{
    for (size_t i = 0; i < c->n; i++)
        vcheck_unref(c->checks[i]);
    free(c->checks);
    vlisten_free(c->listen, c->nlisten);
    vroutes_unref(c->routes);
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

static void read_service(vnode_t *root, vconf_t *c, verrs_t *e)
{
    static const char *const keys[] = {"id", "description", "version",
                                       "release_id"};
    vnode_t *svc = get_map(root, "service", e);

    if (svc == NULL)
        return;
    for (size_t i = 0; i < 4; i++)
        vnode_str(svc, keys[i], &c->service[i], e);
    vnode_map_done(svc, "service", e);
}

/* One listener: "host:port", or {address, tls: {cert_file, key_file}}. */
static void read_listener(vnode_t *item, vconf_t *c, verrs_t *e)
{
    const char *address = item->str, *cert = NULL, *key = NULL;
    char *host = NULL, *cert_pem = NULL, *key_pem = NULL, *why = NULL;
    vnode_t *tls = NULL, *where = item;
    int port;

    if (item->kind == VNODE_MAP) {
        if (vnode_str(item, "address", &address, e) == 0)
            verrs_add(e, item, "'listen': missing required key 'address'");
        if ((tls = vnode_get(item, "tls")) != NULL) {
            if (tls->kind != VNODE_MAP) {
                verrs_add(e, tls, "'tls': expected {cert_file, key_file}");
                tls = NULL;
            } else {
                if (vnode_str(tls, "cert_file", &cert, e) == 0)
                    verrs_add(e, tls, "'tls': missing required key "
                                      "'cert_file'");
                if (vnode_str(tls, "key_file", &key, e) == 0)
                    verrs_add(e, tls, "'tls': missing required key "
                                      "'key_file'");
                vnode_map_done(tls, "listen.tls", e);
            }
        }
        vnode_map_done(item, "a listener", e);
        where = vnode_get(item, "address");
    } else if (item->kind != VNODE_SCALAR) {
        verrs_add(e, item, "'listen': expected host:port or {address, tls}");
        return;
    }
    if (address == NULL)
        return;
    if (vaddr_parse(address, VADDR_LISTEN, &host, &port) != 0) {
        verrs_add(e, where ? where : item,
                  "'listen': expected host:port or [v6]:port, got \"%s\"",
                  address);
        return;
    }
    free(host);
    if (cert != NULL && key != NULL &&
        vtls_load(cert, key, &cert_pem, &key_pem, &why) != 0) {
        verrs_add(e, tls, "'tls': %s", why ? why : "out of memory");
        free(why);
        return;
    }
    if (tls == NULL || (cert_pem && key_pem))
        if (vlisten_add(&c->listen, &c->nlisten, address, cert_pem,
                        key_pem) != VITALS_OK)
            verrs_add(e, item, "out of memory");
    free(cert_pem);
    free(key_pem);
}

static void read_listen(vnode_t *root, vconf_t *c, verrs_t *e)
{
    vnode_t *node = vnode_get(root, "listen");

    if (node == NULL || node->null)
        return;
    if (node->kind != VNODE_SEQ) {
        read_listener(node, c, e);
        return;
    }
    for (size_t i = 0; i < node->n; i++)
        read_listener(node->items[i], c, e);
}

static void read_defaults(vnode_t *root, vdefaults_t *d, verrs_t *e)
{
    vnode_t *m = get_map(root, "defaults", e);

    d->interval_ms = 30000;
    d->timeout_ms = 10000;
    d->initial_delay_ms = 0;
    if (m == NULL)
        return;
    vnode_duration(m, "interval", &d->interval_ms, e);
    vnode_duration(m, "timeout", &d->timeout_ms, e);
    vnode_duration(m, "initial_delay", &d->initial_delay_ms, e);
    vnode_map_done(m, "defaults", e);
}

static int positive(vnode_t *m, const char *key, int64_t *ms, verrs_t *e)
{
    vnode_t *n = vnode_get(m, key);

    if (n != NULL && !n->null && *ms <= 0) {
        verrs_add(e, n, "'%s': must be longer than 0", key);
        return -1;
    }
    return 0;
}

/* The generic keys every check has, into opts. */
static void read_check_opts(vnode_t *m, const vdefaults_t *d,
                            vitals_check_opts_t *o, char ***tags,
                            verrs_t *e)
{
    int64_t n;

    vitals_check_opts_init(o);
    o->interval_ms = d->interval_ms;
    o->timeout_ms = d->timeout_ms;
    o->initial_delay_ms = d->initial_delay_ms;
    vnode_duration(m, "interval", &o->interval_ms, e);
    vnode_duration(m, "timeout", &o->timeout_ms, e);
    vnode_duration(m, "initial_delay", &o->initial_delay_ms, e);
    positive(m, "interval", &o->interval_ms, e);
    positive(m, "timeout", &o->timeout_ms, e);
    vnode_bool(m, "critical", &o->critical, e);
    if (vnode_int(m, "failure_threshold", 1, 1000, &n, e) == 1)
        o->failure_threshold = (unsigned)n;
    if (vnode_int(m, "success_threshold", 1, 1000, &n, e) == 1)
        o->success_threshold = (unsigned)n;
    vnode_str(m, "description", &o->description, e);
    if (vnode_strlist(m, "tags", tags, &o->ntags, e) == 1)
        o->tags = (const char *const *)*tags;
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

static void read_check(vconf_t *c, vnode_t *key, vnode_t *m,
                       const vdefaults_t *d, verrs_t *e)
{
    const char *name = key->str, *type_name = NULL;
    const vcheck_type_t *type = NULL;
    vitals_check_opts_t o;
    char **tags = NULL, what[160];
    size_t before = e->n;
    vcheck_t *ch = NULL;
    void *state = NULL;

    if (m->kind != VNODE_MAP) {
        verrs_add(e, m, "check '%s': expected a map of keys", name);
        return;
    }
    if (!vcheck_name_valid(name))
        verrs_add(e, key,
                  "invalid check name '%s': use 1 to 128 letters, digits, "
                  "'.', '_' or '-'",
                  name);
    read_check_opts(m, d, &o, &tags, e);
    if (vnode_str(m, "type", &type_name, e) == 0)
        verrs_add(e, m, "check '%s': missing required key 'type'", name);
    if (type_name != NULL && (type = vcheck_type_find(type_name)) == NULL)
        verrs_add(e, vnode_get(m, "type"),
                  "check '%s': unknown check type '%s' (known: %s)", name,
                  type_name, vcheck_type_names());
    if (type != NULL)
        state = type->configure(m, e);
    snprintf(what, sizeof(what), "check '%s'", name);
    vnode_map_done(m, what, e);
    if (e->n == before && state != NULL &&
        (ch = vcheck_new(vcheck_name_valid(name) ? name : "x", &o)) != NULL) {
        ch->type = type;
        ch->type_name = type->name;
        ch->type_state = state;
        state = NULL;
        ch->fingerprint = fingerprint(m, &o);
        if (ch->fingerprint == NULL || conf_push(c, ch) != 0) {
            verrs_add(e, key, "out of memory");
            vcheck_unref(ch);
        }
    }
    if (state != NULL && type->free != NULL)
        type->free(state);
    vnode_strv_free(tags);
}

static void read_checks(vnode_t *root, vconf_t *c, const vdefaults_t *d,
                        verrs_t *e)
{
    vnode_t *m = get_map(root, "checks", e);

    if (m == NULL)
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
    vdefaults_t d;

    memset(c, 0, sizeof(*c));
    if (root == NULL)
        return e->n ? e->n : 1;
    read_service(root, c, e);
    read_listen(root, c, e);
    read_defaults(root, &d, e);
    read_checks(root, c, &d, e);
    read_http(root, c, e);
    vnode_map_done(root, "the configuration", e);
    /* The service strings point into the tree: copy them out first. */
    for (size_t i = 0; i < 4; i++)
        c->service[i] = c->service[i] ? strdup(c->service[i]) : NULL;
    vnode_free(root);
    return e->n + (size_t)e->oom;
}

static void service_free(vconf_t *c)
{
    for (size_t i = 0; i < 4; i++)
        free((char *)c->service[i]);
}

static void apply(vitals_t *v, vconf_t *c)
{
    size_t kept, n = c->n;

    vinstance_set_listen(v, c->listen, c->nlisten);
    c->listen = NULL;
    c->nlisten = 0;
    vitals_set_service(v, c->service[0], c->service[1], c->service[2],
                       c->service[3]);
    vinstance_set_routes(v, c->routes);
    c->routes = NULL;
    kept = vengine_apply(vitals_engine(v), c->checks, n);
    free(c->checks); /* the checks now belong to the engine */
    c->checks = NULL;
    c->n = 0;
    vinstance_log(v, VITALS_LOG_INFO,
                  "configuration applied: %zu checks (%zu unchanged, %zu "
                  "new or changed)",
                  n, kept, n - kept);
}

typedef struct {
    long line, col;
    size_t index;
    char *msg;
} vpos_msg_t;

static int by_position(const void *a, const void *b)
{
    const vpos_msg_t *x = a, *y = b;

    if (x->line != y->line)
        return x->line < y->line ? -1 : 1;
    if (x->col != y->col)
        return x->col < y->col ? -1 : 1;
    return x->index < y->index ? -1 : x->index > y->index;
}

/* The loader and the readers find errors in different passes; a user reads
 * the file top to bottom, so sort by "PATH:LINE:COLUMN:" (stable). */
static void sort_errors(verrs_t *e, const char *path)
{
    size_t plen = strlen(path);
    vpos_msg_t *m = calloc(e->n, sizeof(*m));

    if (m == NULL)
        return;
    for (size_t i = 0; i < e->n; i++) {
        const char *p = e->msgs[i];

        m[i].index = i;
        m[i].msg = e->msgs[i];
        if (strncmp(p, path, plen) == 0 && p[plen] == ':')
            sscanf(p + plen + 1, "%ld:%ld", &m[i].line, &m[i].col);
    }
    qsort(m, e->n, sizeof(*m), by_position);
    for (size_t i = 0; i < e->n; i++)
        e->msgs[i] = m[i].msg;
    free(m);
}

static int load(vitals_t *v, const char *path, vitals_errors_t **errs)
{
    verrs_t *e = verrs_new();
    vconf_t c;
    int rc = VITALS_OK;

    if (errs != NULL)
        *errs = NULL;
    if (e == NULL)
        return VITALS_ENOMEM;
    if (path == NULL) {
        vitals_errors_free(e);
        return VITALS_EINVAL;
    }
    if (conf_read(path, &c, e) > 0) {
        rc = VITALS_ECONFIG;
        sort_errors(e, path);
    }
    else if (v != NULL)
        apply(v, &c);
    service_free(&c);
    conf_clear(&c);
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
    return load(v, path, errs);
}

int vitals_config_check(const char *path, vitals_errors_t **errs)
{
    return load(NULL, path, errs);
}
