/* routes.c - which endpoints an instance serves, at which paths, with which
 * settings and access rules: the `endpoints:`, `access:` and `limits:` of
 * the configuration, built into an immutable table that snapshots carry. */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "access/access.h"
#include "listen/routes.h"

/* `limits:`, each default written here once. */
static const vsetting_t limit_settings[] = {
    {.key = "max_uri_bytes", .kind = VSET_INT,
     .offset = offsetof(vlimits_t, max_uri_bytes), .min = 64,
     .max = 1 << 20, .def = "2048"},
    {.key = "read_timeout", .kind = VSET_DURATION,
     .offset = offsetof(vlimits_t, read_timeout_ms), .def = "10s"},
    {.key = "max_connections", .kind = VSET_UINT,
     .offset = offsetof(vlimits_t, max_connections), .min = 1,
     .max = 1 << 20, .def = "1024"},
    {.key = "max_connections_per_ip", .kind = VSET_UINT,
     .offset = offsetof(vlimits_t, max_connections_per_ip), .min = 1,
     .max = 1 << 20, .def = "64"},
    {.key = "max_header_bytes", .kind = VSET_INT,
     .offset = offsetof(vlimits_t, max_header_bytes), .min = 1024,
     .max = 1 << 20, .def = "8192"},
    {0}};

static vroutes_t *routes_new(void)
{
    vroutes_t *rs = calloc(1, sizeof(*rs));
    size_t n = 0;

    if (rs == NULL)
        return NULL;
    while (voutputs[n] != NULL)
        n++;
    if ((rs->r = calloc(n, sizeof(*rs->r))) == NULL) {
        free(rs);
        return NULL;
    }
    atomic_init(&rs->refs, 1);
    vset_defaults(limit_settings, &rs->limits);
    return rs;
}

vroutes_t *vroutes_ref(vroutes_t *rs)
{
    atomic_fetch_add(&rs->refs, 1);
    return rs;
}

static void conf_free(const voutput_t *t, void *conf)
{
    if (conf != NULL && t->settings != NULL)
        vset_free(t->settings, conf);
    free(conf);
}

/* The output's own settings from map (NULL: defaults only), into a new
 * struct; NULL after adding errors (or out of memory). An output without
 * settings gets NULL and no error. */
static void *conf_read(const voutput_t *t, vnode_t *map, verrs_t *e,
                       int *failed)
{
    char what[64];
    void *conf;

    *failed = 0;
    if (t->settings == NULL)
        return NULL;
    if ((conf = calloc(1, t->conf_size)) == NULL) {
        verrs_add(e, map, "out of memory");
        *failed = 1;
        return NULL;
    }
    snprintf(what, sizeof(what), "endpoint '%s'", t->id);
    if (vset_read(t->settings, map, conf, what, e) != 0) {
        conf_free(t, conf);
        *failed = 1;
        return NULL;
    }
    return conf;
}

void vroutes_unref(vroutes_t *rs)
{
    if (rs == NULL || atomic_fetch_sub(&rs->refs, 1) != 1)
        return;
    for (size_t i = 0; i < rs->n; i++) {
        vroute_t *r = &rs->r[i];

        conf_free(r->output, r->conf);
        free(r->path);
    }
    vaccess_free(rs->access);
    free(rs->r);
    free(rs);
}

static int add_route(vroutes_t *rs, const voutput_t *t,
                     const char *path, void *conf, unsigned auth)
{
    vroute_t *r = &rs->r[rs->n];

    if ((r->path = strdup(path)) == NULL) {
        conf_free(t, conf);
        return -1;
    }
    r->output = t;
    r->conf = conf;
    r->auth = auth;
    rs->n++;
    if (auth & VAUTH_BEARER)
        rs->protected = 1;
    if ((auth & VAUTH_ALLOW_LIST) && rs->access->allow_is_empty)
        rs->allow_all_warning = 1;
    return 0;
}

/* Seed 000: the mosparo endpoint is behind the allow list unless told. */
static unsigned default_auth(const voutput_t *t)
{
    return t->allow_list ? VAUTH_ALLOW_LIST : VAUTH_OPEN;
}

vroutes_t *vroutes_default(void)
{
    vroutes_t *rs = routes_new();
    verrs_t *e = verrs_new();
    int failed = rs == NULL || e == NULL ||
                 (rs->access = vaccess_configure(NULL, e)) == NULL;

    for (size_t i = 0; !failed && voutputs[i] != NULL; i++) {
        const voutput_t *t = voutputs[i];
        void *conf = conf_read(t, NULL, e, &failed);

        failed = failed || add_route(rs, t, t->path, conf, default_auth(t)) != 0;
    }
    vitals_errors_free(e);
    if (failed) {
        vroutes_unref(rs);
        return NULL;
    }
    return rs;
}

/* "/x" or "/x/y", not ending with '/'; or "/" itself for an output
 * without subpaths (the page), which then answers "/" only. */
static int path_valid(const voutput_t *t, const char *p)
{
    size_t len = strlen(p);

    if (strcmp(p, "/") == 0)
        return t->subpaths == 0;
    return len > 1 && p[0] == '/' && p[len - 1] != '/' &&
           strpbrk(p, "?# \t") == NULL;
}

/* Two routes clash when both answer the same URL. */
static int clash(const vroute_t *a, const vroute_t *b)
{
    if (strcmp(a->path, b->path) != 0)
        return 0;
    return (a->output->subpaths != 2 && b->output->subpaths != 2) ||
           (a->output->subpaths != 0 && b->output->subpaths != 0);
}

/* One `endpoints:` entry: a path, false, or a map with path, auth and the
 * endpoint's own keys. */
static void read_endpoint(vroutes_t *rs, const voutput_t *t,
                          vnode_t *key, vnode_t *val, verrs_t *e)
{
    const char *path = t->path;
    unsigned auth = default_auth(t);
    void *conf = NULL;
    char what[64];
    int failed;

    if (val != NULL && val->kind == VNODE_SCALAR && !val->quoted &&
        strcmp(val->str, "false") == 0)
        return; /* switched off */
    if (val != NULL && val->kind == VNODE_SCALAR && !val->null) {
        path = val->str;
    } else if (val != NULL && val->kind == VNODE_MAP) {
        vnode_str(val, "path", &path, e);
        if (vnode_get(val, "auth") != NULL &&
            vauth_read(vnode_get(val, "auth"), rs->access, &auth, e) != 0)
            return;
    } else if (val != NULL && !val->null) {
        verrs_add(e, val, "endpoint '%s': expected a path, false, or a map "
                          "with path and settings",
                  t->id);
        return;
    }
    if (!path_valid(t, path)) {
        verrs_add(e, val ? val : key,
                  "endpoint '%s': invalid path \"%s\" (it starts with '/' "
                  "and does not end with one)",
                  t->id, path);
        return;
    }
    conf = conf_read(t, val && val->kind == VNODE_MAP ? val : NULL, e,
                     &failed);
    if (failed)
        return;
    snprintf(what, sizeof(what), "endpoint '%s'", t->id);
    if (val != NULL && val->kind == VNODE_MAP)
        vnode_map_done(val, what, e);
    if (add_route(rs, t, path, conf, auth) != 0)
        verrs_add(e, key, "out of memory");
}

static vnode_t *find_key(vnode_t *map, const char *id)
{
    for (size_t i = 0; map != NULL && i < map->n; i++)
        if (strcmp(map->keys[i]->str, id) == 0)
            return map->keys[i];
    return NULL;
}

static void read_limits(vlimits_t *l, vnode_t *m, verrs_t *e)
{
    if (m == NULL)
        return;
    if (vset_read(limit_settings, m, l, "limits", e) == 0 &&
        (l->read_timeout_ms < 1000 || l->read_timeout_ms % 1000 != 0))
        verrs_add(e, vnode_get(m, "read_timeout"),
                  "'read_timeout': whole seconds of at least 1s");
}

vroutes_t *vroutes_configure(vnode_t *endpoints, vnode_t *access,
                             vnode_t *limits, verrs_t *e)
{
    vroutes_t *rs = routes_new();
    size_t before = e->n;

    if (rs == NULL)
        return NULL;
    read_limits(&rs->limits, limits, e);
    if ((rs->access = vaccess_configure(access, e)) == NULL) {
        vroutes_unref(rs);
        return NULL;
    }
    if (endpoints != NULL && endpoints->kind != VNODE_MAP) {
        verrs_add(e, endpoints, "'endpoints': expected a map of endpoints");
        endpoints = NULL;
    }
    for (size_t i = 0; endpoints != NULL && i < endpoints->n; i++) {
        if (voutput_find(endpoints->keys[i]->str) == NULL)
            verrs_add(e, endpoints->keys[i], "unknown endpoint '%s' (known: %s)",
                      endpoints->keys[i]->str, voutput_names());
    }
    for (size_t i = 0; voutputs[i] != NULL; i++) {
        const voutput_t *t = voutputs[i];
        vnode_t *key = find_key(endpoints, t->id);

        read_endpoint(rs, t, key, key ? vnode_get(endpoints, t->id) : NULL,
                      e);
    }
    for (size_t i = 0; i < rs->n; i++)
        for (size_t j = i + 1; j < rs->n; j++)
            if (clash(&rs->r[i], &rs->r[j]))
                verrs_add(e, find_key(endpoints, rs->r[j].output->id),
                          "endpoints '%s' and '%s' both answer %s",
                          rs->r[i].output->id, rs->r[j].output->id,
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
        if (path[len] == '\0' && r->output->subpaths != 2) {
            *rest = path + len;
            return r;
        }
        /* "/health/x" but not "/healthz" nor "/health/" nor "/health/a/b" */
        if (path[len] == '/' && path[len + 1] != '\0' &&
            strchr(path + len + 1, '/') == NULL && r->output->subpaths != 0 &&
            prefix == NULL)
            prefix = r;
    }
    if (prefix != NULL)
        *rest = path + strlen(prefix->path);
    return prefix;
}
