/* vnode.h - a positioned settings tree (from YAML or JSON), typed getters
 * that report errors at the node's file:line:column, and the error list.
 *
 * Sections are read by tables (config/settings.h), whose reader goes
 * through these getters, so every bad value gets the same kind of message
 * in the same place. A map remembers which keys were read; vnode_map_done
 * then reports every key nobody read as unknown. (vnode.c: the tree;
 * getters.c: typed reads; scalars.c: number, duration and size syntax;
 * errors.c: the error list.)
 */
#ifndef VITALS_VNODE_H
#define VITALS_VNODE_H

#include <stddef.h>
#include <stdint.h>

#include "util/duration.h"
#include "vitals.h"

typedef enum { VNODE_SCALAR, VNODE_SEQ, VNODE_MAP } vnode_kind_t;

typedef struct vnode vnode_t;
struct vnode {
    vnode_kind_t kind;
    const char *file; /* owned by the tree's root; NULL for JSON settings */
    int line, col;    /* 1-based; 0 when unknown */
    char *str;        /* scalar text, after ${ENV} expansion */
    int quoted;       /* the scalar was quoted (so "true" is a string) */
    int null;         /* a YAML/JSON null (~, null, empty) */
    size_t n;         /* items in a seq, pairs in a map */
    vnode_t **items;  /* seq items, or map values */
    vnode_t **keys;   /* map keys (scalars) */
    unsigned char *used; /* map: 1 where a getter read the key */
    char *owned_file;    /* the root's own copy of the string file points
                            to (set by the YAML loader); vnode_free frees it */
};

/* Errors collected while reading, as "FILE:LINE:COLUMN: message". */
struct vitals_errors {
    char **msgs;
    size_t n, cap;
    int oom;
    /* Optional: where verrs_warn and verrs_lint put warnings (NULL: they
     * are dropped), and whether verrs_lint adds errors instead. */
    struct vitals_errors *warnings;
    int strict;
};
typedef struct vitals_errors verrs_t;

verrs_t *verrs_new(void);
/* Adds a message about node (which may be NULL: no position). */
void verrs_add(verrs_t *e, const vnode_t *node, const char *fmt, ...)
    VITALS_PRINTF(3, 4);
/* Adds an already positioned message. */
void verrs_add_at(verrs_t *e, const char *file, int line, int col,
                  const char *fmt, ...) VITALS_PRINTF(5, 6);
/* A list whose warnings are kept (e->warnings), strict or not; NULL when
 * out of memory. */
verrs_t *verrs_new_linting(int strict);
/* A warning about node: valid, but likely a mistake. Kept in e->warnings as
 * "FILE:LINE:COL: warning: msg"; dropped when e has no warnings list. */
void verrs_warn(verrs_t *e, const vnode_t *node, const char *fmt, ...)
    VITALS_PRINTF(3, 4);
/* A fact of the machine rather than of the file (a command that is not
 * installed): an error when e->strict (vitalsd --check-config), else a
 * warning, since it may be put right before the check runs. */
void verrs_lint(verrs_t *e, const vnode_t *node, const char *fmt, ...)
    VITALS_PRINTF(3, 4);
/* Joins all messages with "; " (new string, free()); NULL when none. */
char *verrs_join(const verrs_t *e);
/* Sorts the messages about path by "PATH:LINE:COLUMN:" (stable): the
 * loader and the readers find errors in different passes, and a user reads
 * the file top to bottom. */
void verrs_sort(verrs_t *e, const char *path);

vnode_t *vnode_new(vnode_kind_t kind, const char *file, int line, int col);
void vnode_free(vnode_t *n);
/* Appends to a seq or map (the map key is a scalar node). 0 or ENOMEM. */
int vnode_seq_push(vnode_t *seq, vnode_t *item);
int vnode_map_put(vnode_t *map, vnode_t *key, vnode_t *value);

/* Parses a JSON object text into a map tree without positions. NULL and an
 * error in e when it is not a JSON object. */
vnode_t *vnode_from_json(const char *text, verrs_t *e);

/* A stable text form of a node (for telling whether settings changed).
 * New string, free(). */
char *vnode_dump(const vnode_t *n);

/* The value of key in map, marking it read; NULL when absent or when map is
 * not a map. */
vnode_t *vnode_get(vnode_t *map, const char *key);
/* Marks key as read without fetching it. */
void vnode_touch(vnode_t *map, const char *key);
/* Marks every key of map as read. */
void vnode_touch_all(vnode_t *map);
/* Reports every key of map that no getter read, as "unknown key 'k' in
 * <what>". */
void vnode_map_done(const vnode_t *map, const char *what, verrs_t *e);

/* Typed reads of a node v (present, not NULL) that key names in messages.
 * Each returns 0 with *out set, or -1 after adding an error about v. */
int vnode_as_str(const vnode_t *v, const char *key, const char **out,
                 verrs_t *e);
int vnode_as_bool(const vnode_t *v, const char *key, int *out, verrs_t *e);
int vnode_as_int(const vnode_t *v, const char *key, int64_t min,
                 int64_t max, int64_t *out, verrs_t *e);
int vnode_as_double(const vnode_t *v, const char *key, double *out,
                    verrs_t *e);
int vnode_as_duration(const vnode_t *v, const char *key, int64_t *out_ms,
                      verrs_t *e);
int vnode_as_size(const vnode_t *v, const char *key, uint64_t *out_bytes,
                  verrs_t *e);
int vnode_as_strlist(const vnode_t *v, const char *key, char ***out,
                     size_t *count, verrs_t *e);

/* Typed getters by key. Each returns 1 when the key was present and valid
 * (*out set), 0 when absent (*out untouched), -1 when present but invalid (an
 * error naming the key was added to e). */
int vnode_str(vnode_t *map, const char *key, const char **out, verrs_t *e);
int vnode_bool(vnode_t *map, const char *key, int *out, verrs_t *e);
int vnode_int(vnode_t *map, const char *key, int64_t min, int64_t max,
              int64_t *out, verrs_t *e);
int vnode_double(vnode_t *map, const char *key, double *out, verrs_t *e);
/* Durations: numbers with units, ms s m h d, largest first and each unit
 * once ("1500ms", "30s", "1h", "1m30s", "1h15m"). */
int vnode_duration(vnode_t *map, const char *key, int64_t *out_ms,
                   verrs_t *e);
/* Sizes: B, kB MB GB TB (powers of 10), KiB MiB GiB TiB (powers of 2). */
int vnode_size(vnode_t *map, const char *key, uint64_t *out_bytes,
               verrs_t *e);
/* A list of strings (a single string counts as a list of one). *out is a
 * new NULL-terminated array of new strings; free with vnode_strv_free. */
int vnode_strlist(vnode_t *map, const char *key, char ***out, size_t *count,
                  verrs_t *e);
void vnode_strv_free(char **v);

/* Parsers behind the getters, for callers that have only text. 0 or -1. */
int vitals_parse_duration(const char *s, int64_t *out_ms);
int vitals_parse_size(const char *s, uint64_t *out_bytes);

#endif
