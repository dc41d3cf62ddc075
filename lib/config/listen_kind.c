/* listen_kind.c - `listen:` entries of another kind than HTTP: `kind:`,
 * the kind's own keys, and vitals_add_listener, which reads one entry
 * given as JSON. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/listen_kind.h"
#include "config/settings.h"
#include "instance.h"

int vconf_parse_kind(vnode_t *node, void *field, verrs_t *e)
{
    const char *s;

    if (vnode_as_str(node, "kind", &s, e) != 0)
        return -1;
    if (strcmp(s, "http") == 0)
        return 0;
    if ((*(const vlistener_kind_t **)field = vlistener_kind_find(s)) == NULL) {
        verrs_add(e, node, "'kind': expected %s, got \"%s\"",
                  vlistener_kind_names(), s);
        return -1;
    }
    return 0;
}

void vconf_free_kind(const vlistener_kind_t *kind, void *conf)
{
    if (kind != NULL && conf != NULL)
        vset_free(kind->settings, conf);
    free(conf);
}

void *vconf_read_kind(const vlistener_kind_t *kind, int tls, vnode_t *item,
                      verrs_t *e)
{
    char what[64];
    void *conf;

    if ((conf = calloc(1, kind->conf_size)) == NULL) {
        verrs_add(e, item, "out of memory");
        return NULL;
    }
    snprintf(what, sizeof(what), "the %s listener", kind->name);
    if (tls && !kind->tls)
        verrs_add(e, vnode_get(item, "tls"), "'tls': %s listeners take no tls",
                  kind->name);
    else if (vset_read(kind->settings, item, conf, what, e) == 0)
        return conf;
    vconf_free_kind(kind, conf);
    return NULL;
}

int vitals_add_listener(vitals_t *v, const char *settings_json, char **err)
{
    verrs_t *e = verrs_new();
    vlisten_t *l = NULL;
    size_t n = 0;
    vnode_t *root;
    int rc = VITALS_ECONFIG;

    if (err != NULL)
        *err = NULL;
    if (v == NULL || e == NULL || settings_json == NULL) {
        vitals_errors_free(e);
        return e == NULL ? VITALS_ENOMEM : VITALS_EINVAL;
    }
    if ((root = vnode_from_json(settings_json, e)) != NULL)
        vconf_read_listener(root, &l, &n, e);
    if (e->n == 0 && n == 1) {
        rc = vinstance_add_listen(v, l); /* takes l */
        l = NULL;
        n = 0;
    } else if (err != NULL) {
        *err = verrs_join(e);
    }
    vlisten_free(l, n);
    vnode_free(root);
    vitals_errors_free(e);
    return rc;
}
