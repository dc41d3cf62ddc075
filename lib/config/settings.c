/* settings.c - the one reader of settings tables (settings.h): defaults,
 * kinds, bounds, required and exclusive keys, and the freeing of what was
 * read, with secrets wiped. */
#include "config/settings.h"

#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FIELD(out, row, type) ((type *)(void *)((char *)(out) + (row)->offset))

/* ------------------------------------------------------------------------
 * Checks on a value read
 */

static int bounded(const vsetting_t *row)
{
    return row->min != 0 || row->max != 0;
}

/* VSET_POSITIVE: "must be more than 0" unless the value read is. */
static int positive_ok(const vsetting_t *row, const vnode_t *v, int positive,
                       verrs_t *e)
{
    if (!(row->flags & VSET_POSITIVE) || positive)
        return 0;
    verrs_add(e, v, "'%s': must be more than 0", row->key);
    return -1;
}

/* A duration out of the row's bounds, written as the configuration would
 * write the bounds. */
static int duration_in_bounds(const vsetting_t *row, const vnode_t *v,
                              int64_t ms, verrs_t *e)
{
    char lo[32], hi[32];

    if (!bounded(row) || (ms >= row->min && ms <= row->max))
        return 0;
    verrs_add(e, v, "'%s': expected a duration from %s to %s, got \"%s\"",
              row->key, vitals_format_duration(row->min, lo, sizeof(lo)),
              vitals_format_duration(row->max, hi, sizeof(hi)), v->str);
    return -1;
}

static int double_in_bounds(const vsetting_t *row, const vnode_t *v,
                            double x, verrs_t *e)
{
    if (!bounded(row) || (x >= (double)row->min && x <= (double)row->max))
        return 0;
    verrs_add(e, v, "'%s': expected a number from %" PRId64 " to %" PRId64
              ", got %s", row->key, row->min, row->max, v->str);
    return -1;
}

/* ------------------------------------------------------------------------
 * Reading one value of each kind into its field
 */

static int read_str(const vsetting_t *row, const vnode_t *v, void *out,
                    verrs_t *e)
{
    const char *s;
    char **field = FIELD(out, row, char *), *copy;

    if (vnode_as_str(v, row->key, &s, e) != 0)
        return -1;
    if ((row->flags & VSET_NONEMPTY) && s[0] == '\0') {
        verrs_add(e, v, "'%s': must not be empty", row->key);
        return -1;
    }
    if ((copy = strdup(s)) == NULL) {
        verrs_add(e, v, "out of memory");
        return -1;
    }
    free(*field); /* a value from an earlier layer */
    *field = copy;
    return 0;
}

static int read_strlist(const vsetting_t *row, const vnode_t *v, void *out,
                        verrs_t *e)
{
    char ***field = FIELD(out, row, char **), **list;
    size_t n;

    if (vnode_as_strlist(v, row->key, &list, &n, e) != 0)
        return -1;
    if ((row->flags & VSET_NONEMPTY) && n == 0) {
        vnode_strv_free(list);
        verrs_add(e, v, "'%s': must not be empty", row->key);
        return -1;
    }
    vnode_strv_free(*field);
    *field = list;
    return 0;
}

static int read_int(const vsetting_t *row, const vnode_t *v, void *out,
                    verrs_t *e)
{
    int64_t lo = bounded(row) ? row->min : INT64_MIN;
    int64_t hi = bounded(row) ? row->max : INT64_MAX;
    int64_t x;

    if (row->kind == VSET_UINT && !bounded(row)) {
        lo = 0;
        hi = UINT_MAX;
    }
    if (vnode_as_int(v, row->key, lo, hi, &x, e) != 0 ||
        positive_ok(row, v, x > 0, e) != 0)
        return -1;
    if (row->kind == VSET_UINT)
        *FIELD(out, row, unsigned) = (unsigned)x;
    else
        *FIELD(out, row, int64_t) = x;
    return 0;
}

static int read_double(const vsetting_t *row, const vnode_t *v, void *out,
                       verrs_t *e)
{
    double *x = FIELD(out, row, double), y;

    if (vnode_as_double(v, row->key, &y, e) != 0 ||
        double_in_bounds(row, v, y, e) != 0 || positive_ok(row, v, y > 0, e))
        return -1;
    *x = y;
    return 0;
}

static int read_duration(const vsetting_t *row, const vnode_t *v, void *out,
                         verrs_t *e)
{
    int64_t *ms = FIELD(out, row, int64_t), y;

    if (vnode_as_duration(v, row->key, &y, e) != 0 ||
        duration_in_bounds(row, v, y, e) != 0 || positive_ok(row, v, y > 0, e))
        return -1;
    *ms = y;
    return 0;
}

static int read_size(const vsetting_t *row, const vnode_t *v, void *out,
                     verrs_t *e)
{
    uint64_t *bytes = FIELD(out, row, uint64_t), y;

    if (vnode_as_size(v, row->key, &y, e) != 0 ||
        positive_ok(row, v, y > 0, e) != 0)
        return -1;
    *bytes = y;
    return 0;
}

static int read_bool(const vsetting_t *row, const vnode_t *v, void *out,
                     verrs_t *e)
{
    return vnode_as_bool(v, row->key, FIELD(out, row, int), e);
}

/* v is present and not null. */
static int read_value(const vsetting_t *row, vnode_t *v, void *out,
                      verrs_t *e)
{
    switch (row->kind) {
    case VSET_STR:
        return read_str(row, v, out, e);
    case VSET_BOOL:
        return read_bool(row, v, out, e);
    case VSET_INT:
    case VSET_UINT:
        return read_int(row, v, out, e);
    case VSET_DOUBLE:
        return read_double(row, v, out, e);
    case VSET_DURATION:
        return read_duration(row, v, out, e);
    case VSET_SIZE:
        return read_size(row, v, out, e);
    case VSET_STRLIST:
        return read_strlist(row, v, out, e);
    case VSET_CUSTOM:
        return row->parse(v, FIELD(out, row, char), e);
    }
    return -1;
}

/* The default reads as a plain scalar would, without a position. */
static int read_default(const vsetting_t *row, void *out, verrs_t *e)
{
    vnode_t v = {.kind = VNODE_SCALAR, .str = (char *)row->def};

    return read_value(row, &v, out, e);
}

/* ------------------------------------------------------------------------
 * Tables
 */

/* A default that does not read is a bug in the table (EINVAL); the kinds'
 * readers say "out of memory" when that is what failed. */
int vset_defaults(const vsetting_t *table, void *out)
{
    verrs_t *e = verrs_new();
    int rc = VITALS_OK;

    if (e == NULL)
        return VITALS_ENOMEM;
    for (const vsetting_t *row = table; row->key != NULL; row++)
        if (row->def != NULL && read_default(row, out, e) != 0)
            rc = e->oom || strstr(e->msgs[e->n - 1], "out of memory")
                     ? VITALS_ENOMEM
                     : VITALS_EINVAL;
    vitals_errors_free(e);
    return rc;
}

static void missing(verrs_t *e, const vnode_t *map, const char *what,
                    const char *keys)
{
    if (what != NULL)
        verrs_add(e, map, "%s: missing required key %s", what, keys);
    else
        verrs_add(e, map, "missing required key %s", keys);
}

/* "'a' or 'b'" (sep " or "), or "'a' and 'b'", of the VSET_ONEOF rows. */
static void oneof_names(const vsetting_t *table, const char *sep, char *buf,
                        size_t len)
{
    size_t o = 0;

    buf[0] = '\0';
    for (const vsetting_t *row = table; row->key != NULL; row++) {
        if (!(row->flags & VSET_ONEOF) || o >= len)
            continue;
        o += (size_t)snprintf(buf + o, len - o, "%s'%s'", o ? sep : "",
                              row->key);
    }
}

/* Exactly one of the VSET_ONEOF rows must be present. */
static void check_oneof(const vsetting_t *table, vnode_t *map,
                        const char *what, verrs_t *e)
{
    vnode_t *second = NULL;
    size_t given = 0, rows = 0;
    char names[160];

    for (const vsetting_t *row = table; row->key != NULL; row++) {
        if (!(row->flags & VSET_ONEOF))
            continue;
        rows++;
        vnode_t *v = vnode_get(map, row->key);
        if (v != NULL && ++given == 2)
            second = v;
    }
    if (rows == 0 || given == 1)
        return;
    if (given == 0) {
        oneof_names(table, " or ", names, sizeof(names));
        missing(e, map, what, names);
    } else {
        oneof_names(table, " and ", names, sizeof(names));
        verrs_add(e, second, "%s exclude each other: give one", names);
    }
}

size_t vset_read(const vsetting_t *table, vnode_t *map, void *out,
                 const char *what, verrs_t *e)
{
    size_t before = e->n + (size_t)e->oom;
    char quoted[96];

    if (map != NULL && map->kind != VNODE_MAP)
        map = NULL;
    for (const vsetting_t *row = table; row->key != NULL; row++) {
        vnode_t *v = vnode_get(map, row->key);

        if (v != NULL) {
            read_value(row, v, out, e);
        } else if (row->def != NULL) {
            read_default(row, out, e);
        } else if (row->flags & VSET_REQUIRED) {
            snprintf(quoted, sizeof(quoted), "'%s'", row->key);
            missing(e, map, what, quoted);
        }
    }
    check_oneof(table, map, what, e);
    return e->n + (size_t)e->oom - before;
}

const char *vset_text(const vsetting_t *table, vnode_t *map, const char *key)
{
    vnode_t *v = vnode_get(map, key);

    if (v != NULL && v->kind == VNODE_SCALAR && v->str != NULL)
        return v->str;
    for (const vsetting_t *row = table; row->key != NULL; row++)
        if (strcmp(row->key, key) == 0 && row->def != NULL)
            return row->def;
    return "?";
}

/* ------------------------------------------------------------------------
 * Freeing
 */

static void wipe_string(char *s)
{
    if (s != NULL)
        explicit_bzero(s, strlen(s));
}

void vset_wipe(const vsetting_t *table, void *out)
{
    if (out == NULL)
        return;
    for (const vsetting_t *row = table; row->key != NULL; row++) {
        if (!(row->flags & VSET_SECRET))
            continue;
        if (row->kind == VSET_STR)
            wipe_string(*FIELD(out, row, char *));
        else if (row->kind == VSET_STRLIST)
            for (char **p = *FIELD(out, row, char **); p && *p; p++)
                wipe_string(*p);
    }
}

/* Custom fields wipe their own secrets in their free function. */
void vset_free(const vsetting_t *table, void *out)
{
    if (out == NULL)
        return;
    vset_wipe(table, out);
    for (const vsetting_t *row = table; row->key != NULL; row++) {
        if (row->kind == VSET_STR) {
            char **s = FIELD(out, row, char *);
            free(*s);
            *s = NULL;
        } else if (row->kind == VSET_STRLIST) {
            char ***list = FIELD(out, row, char **);
            vnode_strv_free(*list);
            *list = NULL;
        } else if (row->kind == VSET_CUSTOM && row->free != NULL) {
            row->free(FIELD(out, row, char));
        }
    }
}
