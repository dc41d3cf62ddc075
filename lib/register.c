/* register.c - registering checks with an instance: C callbacks, the
 * built-in types with their settings as JSON, push reports, removal. */
#include <stdio.h>
#include <stdlib.h>

#include "checks/check_type.h"
#include "config/vnode.h"
#include "instance.h"

int vitals_add_check(vitals_t *v, const char *name,
                     const vitals_check_opts_t *opts, vitals_check_fn fn,
                     void *data, void (*free_data)(void *))
{
    vcheck_t *c;
    int invalid = v == NULL || fn == NULL || !vcheck_name_valid(name) ||
                  (opts != NULL && !vcheck_opts_valid(opts));

    if (invalid || (c = vcheck_new(name, opts)) == NULL) {
        if (free_data != NULL)
            free_data(data);
        return invalid ? VITALS_EINVAL : VITALS_ENOMEM;
    }
    c->fn = fn;
    c->data = data;
    c->free_data = free_data;
    return vengine_add(vitals_engine(v), c);
}

/* The check type t configured from settings_json into c. 0, or the
 * errors (new string) in *err. */
static int configure_builtin(vcheck_t *c, const vcheck_type_t *t,
                             const char *settings_json, char **err)
{
    verrs_t *e = verrs_new();
    vnode_t *settings;
    int rc = VITALS_ECONFIG;

    if (e == NULL)
        return VITALS_ENOMEM;
    settings = vnode_from_json(settings_json ? settings_json : "{}", e);
    if (settings != NULL) {
        c->type = t;
        c->type_name = t->name;
        c->type_state = vcheck_configure(t, settings, NULL, e);
        vnode_map_done(settings, "settings", e);
    }
    if (e->n == 0 && c->type_state != NULL)
        rc = VITALS_OK;
    else if (err != NULL)
        *err = verrs_join(e);
    vnode_free(settings);
    vitals_errors_free(e);
    return rc;
}

int vitals_add_builtin(vitals_t *v, const char *name,
                       const vitals_check_opts_t *opts, const char *type,
                       const char *settings_json, char **err)
{
    const vcheck_type_t *t = type != NULL ? vcheck_type_find(type) : NULL;
    vcheck_t *c;
    int rc;

    if (err != NULL)
        *err = NULL;
    if (v == NULL || name == NULL)
        return VITALS_EINVAL;
    if (t == NULL) {
        if (err != NULL && asprintf(err, "unknown check type '%s' (known: %s)",
                                    type ? type : "", vcheck_type_names()) < 0)
            *err = NULL;
        return VITALS_ETYPE;
    }
    if ((c = vcheck_new(name, opts)) == NULL)
        return VITALS_EINVAL;
    if ((rc = configure_builtin(c, t, settings_json, err)) != VITALS_OK) {
        vcheck_unref(c);
        return rc;
    }
    return vengine_add(vitals_engine(v), c);
}

int vitals_push(vitals_t *v, const char *name, vitals_status_t status,
                const char *output)
{
    if (v == NULL)
        return VITALS_EINVAL;
    return vengine_push(vitals_engine(v), name, status, output);
}

int vitals_remove_check(vitals_t *v, const char *name)
{
    if (v == NULL || name == NULL)
        return VITALS_EINVAL;
    return vengine_remove(vitals_engine(v), name);
}

