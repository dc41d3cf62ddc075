/* yaml_loader.h - the state of the YAML loader, shared by its two halves:
 * yaml.c (libyaml's events, scalars, collections) and yaml_tree.c (nodes,
 * anchors and aliases). Internal to lib/config. */
#ifndef VITALS_CONFIG_YAML_LOADER_H
#define VITALS_CONFIG_YAML_LOADER_H

#include <stddef.h>

#include <yaml.h> /* libyaml */

#include "config/vnode.h"

#define MAX_NODES 100000            /* alias copies included */
#define MAX_DEPTH 100               /* nested lists and maps */
#define MAX_FILE (16 * 1024 * 1024) /* bytes */

typedef struct frame {
    vnode_t *node;  /* an open seq or map, not yet in the tree */
    char *anchor;   /* its anchor, registered once it is complete */
    vnode_t *key;   /* map: a key waiting for its value */
    int drop_value; /* map: the key was rejected, so its value goes too */
} frame_t;

typedef struct anchor {
    char *name;
    const vnode_t *node; /* in the tree or in dropped: alive until the end */
} anchor_t;

typedef struct loader {
    verrs_t *e;
    char *file;       /* every node points here; handed over to the root */
    const char *text; /* the input, to place reader errors */
    size_t len;
    frame_t *stack;
    size_t depth, stack_cap;
    anchor_t *anchors;
    size_t nanchors, anchors_cap;
    vnode_t **dropped; /* kept out of the tree, but perhaps anchored */
    size_t ndropped, dropped_cap;
    vnode_t *root;
    size_t nodes; /* created so far, alias copies included */
    int documents;
    int failed; /* a fatal error: stop reading */
} loader_t;

/* Helpers: new strings (NULL when out of memory), array growth (arr with
 * room for need items, or NULL with arr untouched), 1-based positions,
 * and the fatal out-of-memory error. */
char *yl_copy_bytes(const char *s, size_t len);
char *yl_copy_string(const char *s);
void *yl_grow(void *arr, size_t *cap, size_t need, size_t size);
int yl_line_of(const yaml_mark_t *m);
int yl_col_of(const yaml_mark_t *m);
void yl_out_of_memory(loader_t *ld);
/* The tree: a new positioned node (counted against MAX_NODES), a node
 * kept out of the tree, a node placed in its open parent, an anchor
 * registered (name taken), and an alias replaced by a copy. */
vnode_t *yl_new_node(loader_t *ld, vnode_kind_t kind, const yaml_mark_t *m);
void yl_drop(loader_t *ld, vnode_t *n);
void yl_attach(loader_t *ld, vnode_t *n);
int yl_add_anchor(loader_t *ld, char *name, const vnode_t *node);
void yl_on_alias(loader_t *ld, const yaml_event_t *ev);

#endif
