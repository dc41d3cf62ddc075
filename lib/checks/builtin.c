/* builtin.c - the one table of built-in check types, lookups in it, and
 * the generic configure that reads a type's settings table.
 *
 * Types are listed here by hand rather than registered by constructors:
 * a static link would silently drop a file that nothing references. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "checks/check_type.h"

extern const vcheck_type_t vcheck_disk;
extern const vcheck_type_t vcheck_dns;
extern const vcheck_type_t vcheck_exec;
extern const vcheck_type_t vcheck_expiry;
extern const vcheck_type_t vcheck_file;
extern const vcheck_type_t vcheck_group;
extern const vcheck_type_t vcheck_http;
extern const vcheck_type_t vcheck_mysql;
extern const vcheck_type_t vcheck_postgres;
extern const vcheck_type_t vcheck_process;
extern const vcheck_type_t vcheck_push;
extern const vcheck_type_t vcheck_redis;
extern const vcheck_type_t vcheck_remote;
extern const vcheck_type_t vcheck_sqlite;
extern const vcheck_type_t vcheck_system;
extern const vcheck_type_t vcheck_tcp;
extern const vcheck_type_t vcheck_tls;

/* Keep sorted by name: vcheck_type_names lists them in this order. */
static const vcheck_type_t *const types[] = {
    &vcheck_disk,
    &vcheck_dns,
    &vcheck_exec,
    &vcheck_expiry,
    &vcheck_file,
    &vcheck_group,
    &vcheck_http,
    &vcheck_mysql,
    &vcheck_postgres,
    &vcheck_process,
    &vcheck_push,
    &vcheck_redis,
    &vcheck_remote,
    &vcheck_sqlite,
    &vcheck_system,
    &vcheck_tcp,
    &vcheck_tls,
};

#define NTYPES (sizeof(types) / sizeof(types[0]))

const vcheck_type_t *vcheck_type_find(const char *name)
{
    size_t i;

    if (!name)
        return NULL;
    for (i = 0; i < NTYPES; i++) {
        if (strcmp(types[i]->name, name) == 0)
            return types[i];
    }
    return NULL;
}

/* Room for every name and its ", ": type names are short words. */
static char names[NTYPES * 32];
static pthread_once_t names_once = PTHREAD_ONCE_INIT;

static void names_init(void)
{
    size_t i, len = 0, n;

    for (i = 0; i < NTYPES; i++) {
        n = strlen(types[i]->name);
        if (len + n + 3 > sizeof(names))
            break; /* cannot happen with short names; never overflow */
        if (i > 0) {
            memcpy(names + len, ", ", 2);
            len += 2;
        }
        memcpy(names + len, types[i]->name, n);
        len += n;
    }
    names[len] = '\0';
}

const char *vcheck_type_names(void)
{
    pthread_once(&names_once, names_init);
    return names;
}

typedef struct type_conf {
    char *type;
} type_conf_t;

static const vsetting_t type_settings[] = {
    {.key = "type", .kind = VSET_STR, .offset = offsetof(type_conf_t, type),
     .flags = VSET_REQUIRED},
    {0}};

const vcheck_type_t *vcheck_type_read(vnode_t *settings, const char *what,
                                      verrs_t *e)
{
    const vcheck_type_t *t = NULL;
    type_conf_t tc = {0};

    if (vset_read(type_settings, settings, &tc, what, e) == 0 &&
        (t = vcheck_type_find(tc.type)) == NULL)
        verrs_add(e, vnode_get(settings, "type"),
                  "%s: unknown check type '%s' (known: %s)", what, tc.type,
                  vcheck_type_names());
    /* Without a type its keys are unknown too, and saying so for each
     * would bury the one real error. */
    if (t == NULL)
        vnode_touch_all(settings);
    vset_free(type_settings, &tc);
    return t;
}

void *vcheck_configure(const vcheck_type_t *t, vnode_t *settings,
                       const char *what, verrs_t *e)
{
    void *state;

    if (t->configure != NULL)
        return t->configure(settings, what, e);
    if ((state = calloc(1, t->state_size)) == NULL) {
        verrs_add(e, settings, "out of memory");
        return NULL;
    }
    /* Cross-key checks only on keys that read well: one error each. */
    if (vset_read(t->settings, settings, state, what, e) != 0 ||
        (t->prepare != NULL && t->prepare(state, settings, e) != 0)) {
        vcheck_state_free(t, state);
        return NULL;
    }
    return state;
}

void vcheck_state_free(const vcheck_type_t *t, void *state)
{
    if (state == NULL)
        return;
    if (t->configure != NULL) {
        if (t->free != NULL)
            t->free(state);
        return;
    }
    if (t->clear != NULL)
        t->clear(state);
    vset_free(t->settings, state);
    free(state);
}
