/* settings.h - settings as data: one table of typed keys per section (a
 * check type, an output, a top-level section), read by one reader.
 *
 * A table says, per key, its name, its kind, where it goes in the section's
 * struct (offsetof), its flags, its bounds and its default, written once as
 * the configuration would write it ("30s", "512MB", "true"). vset_read
 * applies the defaults, reads every key present, checks kinds and bounds,
 * reports every error at the node's FILE:LINE:COLUMN naming the section
 * ("check 'db': missing required key 'dsn'"), and leaves unknown keys to
 * vnode_map_done. In the spirit of redis' static_configs[] and nginx's
 * offsetof directive tables.
 *
 * A row without a default leaves its field as the caller set it, so that
 * sections can be layered (the engine's defaults, then the `defaults:`
 * section, then a check's own keys).
 */
#ifndef VITALS_SETTINGS_H
#define VITALS_SETTINGS_H

#include <stddef.h>
#include <stdint.h>

#include "config/vnode.h"

typedef enum {
    VSET_STR,      /* char *: a new string */
    VSET_BOOL,     /* int: 0 or 1 */
    VSET_INT,      /* int64_t, within [min, max] (both 0: any) */
    VSET_UINT,     /* unsigned, within [min, max] (both 0: any) */
    VSET_DOUBLE,   /* double, within [min, max] unless both are 0 */
    VSET_DURATION, /* int64_t ms ("1m30s"), within [min, max] unless both
                      are 0 */
    VSET_SIZE,     /* uint64_t bytes ("512MB", "1GiB") */
    VSET_STRLIST,  /* char **: NULL-terminated, new (a string is a list) */
    VSET_CUSTOM    /* read by the row's parse function */
} vset_kind_t;

/* Flags of a row. */
#define VSET_REQUIRED 0x1u /* missing: "missing required key 'k'" */
#define VSET_NONEMPTY 0x2u /* strings and lists: "must not be empty" */
#define VSET_SECRET 0x4u   /* wiped when freed; never shown in messages */
#define VSET_POSITIVE 0x8u /* numbers, durations, sizes: "must be more
                              than 0" */
/* Exactly one of the rows so flagged must be given: "missing required key
 * 'date' or 'file'", "'date' and 'file' exclude each other: give one".
 * One such group per table. */
#define VSET_ONEOF 0x10u

typedef struct vsetting vsetting_t;
struct vsetting {
    const char *key;  /* mandatory; NULL ends a table */
    vset_kind_t kind; /* mandatory */
    size_t offset;    /* mandatory: offsetof(section struct, field) */
    unsigned flags;   /* optional: VSET_* */
    int64_t min, max; /* optional: bounds (both 0: none) */
    const char *def;  /* optional: the default, as the YAML would say it;
                         read like a value given (VSET_CUSTOM: by parse) */
    /* VSET_CUSTOM only: reads node (present, not null) into field, and may
     * validate a value of another kind. Returns 0, or -1 after adding an
     * error about node to e. Called at most once per field. */
    int (*parse)(vnode_t *node, void *field, verrs_t *e);
    /* VSET_CUSTOM only, optional: frees what parse stored in field. */
    void (*free)(void *field);
    const char *doc; /* optional: one line for --help and the docs */
};

/* Sets every default of table in out (a struct the table describes). 0,
 * VITALS_ENOMEM, or VITALS_EINVAL for a default that does not read (a bug
 * in the table). */
int vset_defaults(const vsetting_t *table, void *out);

/* Applies the defaults, then reads every key of table present in map (a
 * map node; NULL reads nothing) into out, marking them read. what names the
 * section in messages ("check 'db'", "output 'report'"). Returns the number
 * of errors added to e (0: out is complete). On errors, out still owns what
 * was read: free it with vset_free. */
size_t vset_read(const vsetting_t *table, vnode_t *map, void *out,
                 const char *what, verrs_t *e);

/* The text of key as written in map, or else its default, for messages
 * that compare two settings ("'unhealthy_below' (1GB) must be below
 * 'degraded_below' (512MB)"). "?" when neither. Static or borrowed. */
const char *vset_text(const vsetting_t *table, vnode_t *map, const char *key);

/* Overwrites the VSET_SECRET strings and lists of out with zeros, in
 * place (vset_free does it before freeing). */
void vset_wipe(const vsetting_t *table, void *out);

/* Frees what vset_defaults and vset_read stored in out (strings, lists,
 * custom fields; secrets wiped first), not out itself. */
void vset_free(const vsetting_t *table, void *out);

#endif
