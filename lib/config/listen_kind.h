/* listen_kind.h - `listen:` entries of another kind than HTTP (the HAProxy
 * agent, gRPC health): reading `kind:` and the kind's own keys. */
#ifndef VITALS_LISTEN_KIND_H
#define VITALS_LISTEN_KIND_H

#include "config/vnode.h"
#include "listen/kind.h"

/* A VSET_CUSTOM parse for `kind`: http (leaves the field NULL), or a
 * listener kind (sets it). */
int vconf_parse_kind(vnode_t *node, void *field, verrs_t *e);
/* The settings of kind read from item (a map): a new struct of the kind's
 * conf_size, or NULL after adding errors. tls: the entry has `tls`. */
void *vconf_read_kind(const vlistener_kind_t *kind, int tls, vnode_t *item,
                      verrs_t *e);
/* Frees what vconf_read_kind returned. NULL is fine. */
void vconf_free_kind(const vlistener_kind_t *kind, void *conf);
/* Reads one `listen:` entry and appends it to *listen (config.c). */
void vconf_read_listener(vnode_t *item, vlisten_t **listen, size_t *n,
                         verrs_t *e);

#endif
