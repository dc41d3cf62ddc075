/* history.h - the `history` section of the configuration (history.c):
 * which store keeps the runs, where, and for how long. */
#ifndef VITALS_CONFIG_HISTORY_H
#define VITALS_CONFIG_HISTORY_H

#include "config/vnode.h"
#include "store/store.h"

/* Reads the `history` map (NULL: absent) into c, defaults first: the
 * sqlite store in the state directory, which falls back to memory when
 * it cannot be opened unless `store` is given. Errors go to e; c owns
 * what was read either way (vhist_conf_clear). */
void vhist_read(vnode_t *map, vhist_conf_t *c, verrs_t *e);

#endif
