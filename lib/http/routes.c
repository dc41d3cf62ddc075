/* routes.c - which endpoints an instance serves, at which paths, with which
 * settings: the `endpoints:`, `access:` and `limits:` of the configuration,
 * built into an immutable table that snapshots carry. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "allowlist.h"
#include "endpoint.h"

#define DEFAULT_MAX_URI 2048
/* mosparo's own default (.env): only the host itself. */
#define DEFAULT_ALLOW_LIST "127.0.0.1,::1"

static vroutes_t *routes_new(void)
{
    vroutes_t *rs = calloc(1, sizeof(*rs));
    size_t n = 0;

    if (rs == NULL)
        return NULL;
    while (vendpoint_types[n] != NULL)
        n++;
    if ((rs->r = calloc(n, sizeof(*rs->r))) == NULL) {
        free(rs);
        return NULL;
    }
    atomic_init(&rs->refs, 1);
    rs->max_uri_bytes = DEFAULT_MAX_URI;
    return rs;
}

vroutes_t *vroutes_ref(vroutes_t *rs)
{
    atomic_fetch_add(&rs->refs, 1);
    return rs;
}

void vroutes_unref(vroutes_t *rs)
{
    if (rs == NULL || atomic_fetch_sub(&rs->refs, 1) != 1)
        return;
    for (size_t i = 0; i < rs->n; i++) {
        vroute_t *r = &rs->r[i];

        if (r->type->free_conf != NULL)
            r->type->free_conf(r->conf);
        vallow_free(r->allow);
        free(r->path);
    }
    free(rs->r);
    free(rs);
}

/* The allow list text in force: MOSPARO_HEALTH_ALLOW_LIST as mosparo reads
 * it, else the configuration's, else mosparo's default. */
static const char *allow_text(const char *configured)
{
    const char *env = getenv("MOSPARO_HEALTH_ALLOW_LIST");

    if (env != NULL)
        return env;
    return configured != NULL ? configured : DEFAULT_ALLOW_LIST;
}

static int add_route(vroutes_t *rs, const vendpoint_type_t *t,
                     const char *path, void *conf, const char *allow,
                     const vnode_t *where, verrs_t *e)
{
    vroute_t *r = &rs->r[rs->n];
    char *err = NULL;

    if ((r->path = strdup(path)) == NULL) {
        if (t->free_conf != NULL)
            t->free_conf(conf);
        return -1;
    }
    r->type = t;
    r->conf = conf;
    rs->n++;
    if (!t->allow_list)
        return 0;
    if ((r->allow = vallow_parse(allow_text(allow), &err)) == NULL) {
        verrs_add(e, where, "health allow list: %s", err ? err : "invalid");
        free(err);
        return -1;
    }
    if (vallow_is_empty(r->allow))
        rs->allow_all_warning = 1;
    return 0;
}

vroutes_t *vroutes_default(void)
{
    vroutes_t *rs = routes_new();
    verrs_t *e = verrs_new();
    int failed = rs == NULL || e == NULL;

    for (size_t i = 0; !failed && vendpoint_types[i] != NULL; i++) {
        const vendpoint_type_t *t = vendpoint_types[i];
        void *conf = t->configure ? t->configure(NULL, e) : NULL;

        failed = (t->configure && conf == NULL) ||
                 add_route(rs, t, t->path, conf, NULL, NULL, e) != 0;
    }
    vitals_errors_free(e);
    if (failed) {
        vroutes_unref(rs);
        return NULL;
    }
    return rs;
}

static const vendpoint_type_t *find_type(const char *id)
{
    for (size_t i = 0; vendpoint_types[i] != NULL; i++)
        if (strcmp(vendpoint_types[i]->id, id) == 0)
            return vendpoint_types[i];
    return NULL;
}

static int path_valid(const char *p)
{
    size_t len = strlen(p);

    return len > 1 && p[0] == '/' && p[len - 1] != '/' &&
           strpbrk(p, "?# \t") == NULL;
}

/* Two routes clash when both answer the same URL. */
static int clash(const vroute_t *a, const vroute_t *b)
{
    if (strcmp(a->path, b->path) != 0)
        return 0;
    return (a->type->subpaths != 2 && b->type->subpaths != 2) ||
           (a->type->subpaths != 0 && b->type->subpaths != 0);
}

/* One `endpoints:` entry: a path, false, or a map with path and own keys. */
static void read_endpoint(vroutes_t *rs, const vendpoint_type_t *t,
                          vnode_t *key, vnode_t *val, const char *allow,
                          verrs_t *e)
{
    const char *path = t->path;
    void *conf = NULL;
    char what[64];

    if (val != NULL && val->kind == VNODE_SCALAR && !val->quoted &&
        strcmp(val->str, "false") == 0)
        return; /* disabled */
    if (val != NULL && val->kind == VNODE_SCALAR && !val->null)
        path = val->str;
    else if (val != NULL && val->kind == VNODE_MAP)
        vnode_str(val, "path", &path, e);
    else if (val != NULL && !val->null) {
        verrs_add(e, val, "endpoint '%s': expected a path, false, or a map "
                          "with path and settings",
                  t->id);
        return;
    }
    if (!path_valid(path)) {
        verrs_add(e, val ? val : key,
                  "endpoint '%s': invalid path \"%s\" (it starts with '/' "
                  "and does not end with one)",
                  t->id, path);
        return;
    }
    if (t->configure != NULL &&
        (conf = t->configure(val && val->kind == VNODE_MAP ? val : NULL,
                             e)) == NULL)
        return;
    snprintf(what, sizeof(what), "endpoint '%s'", t->id);
    if (val != NULL && val->kind == VNODE_MAP)
        vnode_map_done(val, what, e);
    add_route(rs, t, path, conf, allow, val ? val : key, e);
}

static vnode_t *find_key(vnode_t *map, const char *id)
{
    for (size_t i = 0; map != NULL && i < map->n; i++)
        if (strcmp(map->keys[i]->str, id) == 0)
            return map->keys[i];
    return NULL;
}

static void read_limits(vroutes_t *rs, vnode_t *limits, verrs_t *e)
{
    int64_t n;

    if (limits == NULL)
        return;
    if (vnode_int(limits, "max_uri_bytes", 64, 1 << 20, &n, e) == 1)
        rs->max_uri_bytes = (size_t)n;
}

vroutes_t *vroutes_configure(vnode_t *endpoints, vnode_t *access,
                             vnode_t *limits, verrs_t *e)
{
    vroutes_t *rs = routes_new();
    const char *allow = NULL;
    size_t before = e->n;

    if (rs == NULL)
        return NULL;
    if (access != NULL)
        vnode_str(access, "health_allow_list", &allow, e);
    read_limits(rs, limits, e);
    if (endpoints != NULL && endpoints->kind != VNODE_MAP) {
        verrs_add(e, endpoints, "'endpoints': expected a map of endpoints");
        endpoints = NULL;
    }
    for (size_t i = 0; endpoints != NULL && i < endpoints->n; i++) {
        if (find_type(endpoints->keys[i]->str) == NULL)
            verrs_add(e, endpoints->keys[i],
                      "unknown endpoint '%s' (known: ietf, check, report, "
                      "jsonrpc, mosparo, livez, readyz)",
                      endpoints->keys[i]->str);
    }
    for (size_t i = 0; vendpoint_types[i] != NULL; i++) {
        const vendpoint_type_t *t = vendpoint_types[i];
        vnode_t *key = find_key(endpoints, t->id);

        read_endpoint(rs, t, key, key ? vnode_get(endpoints, t->id) : NULL,
                      allow, e);
    }
    for (size_t i = 0; i < rs->n; i++)
        for (size_t j = i + 1; j < rs->n; j++)
            if (clash(&rs->r[i], &rs->r[j]))
                verrs_add(e, find_key(endpoints, rs->r[j].type->id),
                          "endpoints '%s' and '%s' both answer %s",
                          rs->r[i].type->id, rs->r[j].type->id,
                          rs->r[i].path);
    if (e->n > before) {
        vroutes_unref(rs);
        return NULL;
    }
    return rs;
}

const vroute_t *vroutes_find(const vroutes_t *rs, const char *path,
                             const char **rest)
{
    const vroute_t *prefix = NULL;

    for (size_t i = 0; i < rs->n; i++) {
        const vroute_t *r = &rs->r[i];
        size_t len = strlen(r->path);

        if (strncmp(path, r->path, len) != 0)
            continue;
        if (path[len] == '\0' && r->type->subpaths != 2) {
            *rest = path + len;
            return r;
        }
        /* "/health/x" but not "/healthz" nor "/health/" nor "/health/a/b" */
        if (path[len] == '/' && path[len + 1] != '\0' &&
            strchr(path + len + 1, '/') == NULL && r->type->subpaths != 0 &&
            prefix == NULL)
            prefix = r;
    }
    if (prefix != NULL)
        *rest = path + strlen(prefix->path);
    return prefix;
}
