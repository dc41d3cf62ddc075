/* history.c - reads the `history` section (docs/config.md) through one
 * settings table, and vitals_set_history, its C API twin. */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "config/history.h"
#include "config/settings.h"
#include "instance.h"
#include "store/history.h"

static int parse_store(vnode_t *node, void *field, verrs_t *e)
{
    static const char *const names[] = {"memory", "sqlite", "postgres"};
    const char *s;

    if (vnode_as_str(node, "store", &s, e) != 0)
        return -1;
    for (int i = 0; i < 3; i++) {
        if (strcmp(s, names[i]) == 0) {
            *(vstore_kind_t *)field = (vstore_kind_t)i;
            return 0;
        }
    }
    verrs_add(e, node, "'store': expected sqlite, postgres or memory, got "
                       "\"%s\"",
              s);
    return -1;
}

static const vsetting_t history_settings[] = {
    {.key = "store", .kind = VSET_CUSTOM,
     .offset = offsetof(vhist_conf_t, store), .parse = parse_store,
     .doc = "sqlite (the default), postgres or memory"},
    {.key = "path", .kind = VSET_STR, .flags = VSET_NONEMPTY,
     .offset = offsetof(vhist_conf_t, path),
     .doc = "sqlite: the database file (default: state_dir/history.db)"},
    {.key = "dsn", .kind = VSET_STR, .flags = VSET_NONEMPTY | VSET_SECRET,
     .offset = offsetof(vhist_conf_t, dsn),
     .doc = "postgres: a libpq connection string or URI"},
    {.key = "retention", .kind = VSET_DURATION, .flags = VSET_POSITIVE,
     .offset = offsetof(vhist_conf_t, retention_ms), .def = "30d",
     .doc = "runs and transitions older than this are deleted"},
    {.key = "max_rows_per_check", .kind = VSET_UINT,
     .offset = offsetof(vhist_conf_t, max_rows_per_check), .def = "100000",
     .doc = "runs kept per check in the store at most (0: no limit)"},
    {.key = "memory_runs", .kind = VSET_UINT,
     .offset = offsetof(vhist_conf_t, ring), .min = 1, .max = 100000,
     .def = "32", .doc = "newest runs and transitions per check in memory"},
    {.key = "buffer", .kind = VSET_UINT,
     .offset = offsetof(vhist_conf_t, buffer), .min = 1, .max = 100000000,
     .def = "100000",
     .doc = "runs waiting for the store at most; beyond, the oldest are "
            "dropped and counted"},
    {.key = "batch", .kind = VSET_UINT,
     .offset = offsetof(vhist_conf_t, batch), .min = 1, .max = 5000,
     .def = "1000", .doc = "runs written per transaction at most"},
    {.key = "flush_interval", .kind = VSET_DURATION, .flags = VSET_POSITIVE,
     .offset = offsetof(vhist_conf_t, flush_ms), .def = "200ms",
     .max = 60000, .min = 1,
     .doc = "how long a run waits for its batch at most"},
    {0}};

void vhist_read(vnode_t *map, vhist_conf_t *c, verrs_t *e)
{
    vnode_t *store = map != NULL ? vnode_get(map, "store") : NULL;

    vhist_conf_default(c);
    c->store = VSTORE_SQLITE;
    c->store_set = store != NULL && !store->null;
    if (map == NULL)
        return;
    vset_read(history_settings, map, c, "history", e);
    vnode_map_done(map, "history", e);
    if (c->store == VSTORE_POSTGRES && c->dsn == NULL)
        verrs_add(e, map, "history: store postgres needs 'dsn' (e.g. "
                          "\"postgresql://vitals@db/vitals\")");
    if (c->store != VSTORE_POSTGRES && c->dsn != NULL)
        verrs_add(e, vnode_get(map, "dsn"),
                  "history: 'dsn' is for store postgres");
    if (c->store != VSTORE_SQLITE && c->path != NULL)
        verrs_add(e, vnode_get(map, "path"),
                  "history: 'path' is for store sqlite");
}

int vitals_set_history(vitals_t *v, const char *settings_json, char **err)
{
    verrs_t *e = verrs_new();
    vnode_t *root;
    vhist_conf_t c;
    int rc = VITALS_ECONFIG;

    if (err != NULL)
        *err = NULL;
    if (v == NULL || e == NULL) {
        vitals_errors_free(e);
        return v == NULL ? VITALS_EINVAL : VITALS_ENOMEM;
    }
    vhist_conf_default(&c);
    root = vnode_from_json(settings_json ? settings_json : "{}", e);
    if (root != NULL)
        vhist_read(root, &c, e);
    if (e->n == 0 && root != NULL) {
        rc = vinstance_set_history(v, &c);
    } else if (err != NULL) {
        *err = verrs_join(e);
    }
    vhist_conf_clear(&c);
    vnode_free(root);
    vitals_errors_free(e);
    return rc;
}
