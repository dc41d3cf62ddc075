/* yaml_tree.c - the YAML loader's tree: nodes placed in their parent (a
 * duplicate key refused), anchors, and aliases copied within a node
 * budget, so that a "billion laughs" file cannot exhaust memory. */
#include "config/yaml_loader.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------------
 * Helpers
 */

char *yl_copy_bytes(const char *s, size_t len)
{
    char *c = malloc(len + 1);
    if (c != NULL) {
        memcpy(c, s, len);
        c[len] = '\0';
    }
    return c;
}

char *yl_copy_string(const char *s)
{
    return yl_copy_bytes(s, strlen(s));
}

/* Returns arr with room for need items (perhaps moved, *cap updated), or
 * NULL with arr untouched. */
void *yl_grow(void *arr, size_t *cap, size_t need, size_t size)
{
    if (need <= *cap)
        return arr;
    size_t n = *cap != 0 ? *cap * 2 : 8;
    while (n < need)
        n *= 2;
    if (n > SIZE_MAX / size)
        return NULL;
    void *p = realloc(arr, n * size);
    if (p != NULL)
        *cap = n;
    return p;
}

int yl_line_of(const yaml_mark_t *m)
{
    return (int)m->line + 1; /* libyaml counts from 0 */
}

int yl_col_of(const yaml_mark_t *m)
{
    return (int)m->column + 1;
}

void yl_out_of_memory(loader_t *ld)
{
    verrs_add_at(ld->e, ld->file, 0, 0, "out of memory");
    ld->failed = 1;
}

static const char *kind_name(const vnode_t *n)
{
    return n->kind == VNODE_SEQ ? "a list" : "a map";
}

/* ------------------------------------------------------------------------
 * Nodes
 */

vnode_t *yl_new_node(loader_t *ld, vnode_kind_t kind, const yaml_mark_t *m)
{
    if (ld->nodes >= MAX_NODES) {
        verrs_add_at(ld->e, ld->file, yl_line_of(m), yl_col_of(m),
                     "the document has more than %d nodes", MAX_NODES);
        ld->failed = 1;
        return NULL;
    }
    vnode_t *n = vnode_new(kind, ld->file, yl_line_of(m), yl_col_of(m));
    if (n == NULL) {
        yl_out_of_memory(ld);
        return NULL;
    }
    ld->nodes++;
    return n;
}

/* Keeps n out of the tree but alive, since an anchor may point into it. */
void yl_drop(loader_t *ld, vnode_t *n)
{
    vnode_t **d = yl_grow(ld->dropped, &ld->dropped_cap, ld->ndropped + 1,
                       sizeof(*d));
    if (d == NULL) {
        vnode_free(n); /* reading stops: no alias will look at it */
        yl_out_of_memory(ld);
        return;
    }
    ld->dropped = d;
    ld->dropped[ld->ndropped++] = n;
}

static int has_key(const vnode_t *map, const char *key)
{
    for (size_t i = 0; i < map->n; i++)
        if (strcmp(map->keys[i]->str, key) == 0)
            return 1;
    return 0;
}

/* The next node of an open map: a key, or the value of the pending key. */
static void attach_to_map(loader_t *ld, frame_t *f, vnode_t *n)
{
    if (f->key != NULL) {
        vnode_t *key = f->key;
        f->key = NULL;
        if (vnode_map_put(f->node, key, n) != 0) {
            vnode_free(key);
            vnode_free(n);
            yl_out_of_memory(ld);
        }
        return;
    }
    if (f->drop_value) {
        f->drop_value = 0;
        yl_drop(ld, n);
        return;
    }
    if (n->kind != VNODE_SCALAR) {
        verrs_add(ld->e, n, "a key must be a scalar, not %s", kind_name(n));
        f->drop_value = 1;
        yl_drop(ld, n);
        return;
    }
    if (has_key(f->node, n->str)) {
        verrs_add(ld->e, n, "duplicate key '%s'", n->str);
        f->drop_value = 1;
        yl_drop(ld, n);
        return;
    }
    f->key = n;
}

/* Puts a complete node (taken) where it belongs. */
void yl_attach(loader_t *ld, vnode_t *n)
{
    if (ld->depth == 0) {
        if (ld->root == NULL)
            ld->root = n;
        else
            yl_drop(ld, n); /* cannot happen: one document, one root */
        return;
    }
    frame_t *f = &ld->stack[ld->depth - 1];
    if (f->node->kind == VNODE_MAP) {
        attach_to_map(ld, f, n);
    } else if (vnode_seq_push(f->node, n) != 0) {
        vnode_free(n);
        yl_out_of_memory(ld);
    }
}

/* ------------------------------------------------------------------------
 * Anchors and aliases
 */

/* Takes name. Later definitions of a name win, so search from the end. */
int yl_add_anchor(loader_t *ld, char *name, const vnode_t *node)
{
    anchor_t *a = yl_grow(ld->anchors, &ld->anchors_cap, ld->nanchors + 1,
                       sizeof(*a));
    if (a == NULL) {
        free(name);
        yl_out_of_memory(ld);
        return -1;
    }
    ld->anchors = a;
    ld->anchors[ld->nanchors].name = name;
    ld->anchors[ld->nanchors].node = node;
    ld->nanchors++;
    return 0;
}

static const vnode_t *find_anchor(const loader_t *ld, const char *name)
{
    for (size_t i = ld->nanchors; i-- > 0;)
        if (strcmp(ld->anchors[i].name, name) == 0)
            return ld->anchors[i].node;
    return NULL;
}

static int is_open_anchor(const loader_t *ld, const char *name)
{
    for (size_t i = 0; i < ld->depth; i++)
        if (ld->stack[i].anchor != NULL &&
            strcmp(ld->stack[i].anchor, name) == 0)
            return 1;
    return 0;
}

/* 1 when n has more than *budget nodes; otherwise takes its count off. */
static int exceeds(const vnode_t *n, size_t *budget)
{
    if (*budget == 0)
        return 1;
    (*budget)--;
    for (size_t i = 0; i < n->n; i++) {
        if (n->keys != NULL && exceeds(n->keys[i], budget))
            return 1;
        if (exceeds(n->items[i], budget))
            return 1;
    }
    return 0;
}

/* A deep copy, positions included (they show where the text is). NULL
 * when out of memory. Depth is bounded by MAX_DEPTH of the original. */
static vnode_t *copy_tree(loader_t *ld, const vnode_t *src)
{
    vnode_t *n = vnode_new(src->kind, src->file, src->line, src->col);
    if (n == NULL)
        return NULL;
    ld->nodes++;
    n->quoted = src->quoted;
    n->null = src->null;
    if (src->str != NULL && (n->str = yl_copy_string(src->str)) == NULL)
        goto fail;
    for (size_t i = 0; i < src->n; i++) {
        vnode_t *item = copy_tree(ld, src->items[i]);
        vnode_t *key = NULL;
        int err = item == NULL;
        if (!err && src->kind == VNODE_MAP) {
            key = copy_tree(ld, src->keys[i]);
            err = key == NULL || vnode_map_put(n, key, item) != 0;
        } else if (!err) {
            err = vnode_seq_push(n, item) != 0;
        }
        if (err) {
            vnode_free(item);
            vnode_free(key);
            goto fail;
        }
    }
    return n;
fail:
    vnode_free(n);
    return NULL;
}

/* A null in place of a bad alias keeps keys and values paired. */
static void attach_null(loader_t *ld, const yaml_mark_t *m)
{
    vnode_t *n = yl_new_node(ld, VNODE_SCALAR, m);
    if (n == NULL)
        return;
    n->null = 1;
    if ((n->str = yl_copy_string("")) == NULL) {
        vnode_free(n);
        yl_out_of_memory(ld);
        return;
    }
    yl_attach(ld, n);
}

void yl_on_alias(loader_t *ld, const yaml_event_t *ev)
{
    const char *name = (const char *)ev->data.alias.anchor;
    const yaml_mark_t *m = &ev->start_mark;
    const vnode_t *src = find_anchor(ld, name);
    if (src == NULL) {
        if (is_open_anchor(ld, name))
            verrs_add_at(ld->e, ld->file, yl_line_of(m), yl_col_of(m),
                         "alias '*%s' is inside its own anchor", name);
        else
            verrs_add_at(ld->e, ld->file, yl_line_of(m), yl_col_of(m),
                         "unknown alias '*%s'", name);
        attach_null(ld, m);
        return;
    }
    /* Checked before copying, so an alias bomb costs no memory. */
    size_t budget = MAX_NODES - ld->nodes;
    if (exceeds(src, &budget)) {
        verrs_add_at(ld->e, ld->file, yl_line_of(m), yl_col_of(m),
                     "alias '*%s' makes the document larger than %d nodes",
                     name, MAX_NODES);
        ld->failed = 1;
        return;
    }
    vnode_t *copy = copy_tree(ld, src);
    if (copy == NULL) {
        yl_out_of_memory(ld);
        return;
    }
    yl_attach(ld, copy);
}

