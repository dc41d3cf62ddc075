/* getters.c - typed reads of settings nodes: each value checked against
 * what the key expects, and every mismatch reported at the node as
 * "'key': expected ..., got ...". The settings reader (settings.c) and the
 * few hand-written readers go through these. */
#include "config/vnode.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/scalars.h"

#define SHOW_MAX 48  /* bytes of a value quoted in a message */
#define SHOW_BUF 160 /* enough for SHOW_MAX escaped bytes and a prefix */

/* s in double quotes, escaped, cut after SHOW_MAX bytes (at a character
 * boundary) with "...". len must be at least SHOW_BUF - 16. */
static const char *show(const char *s, char *buf, size_t len)
{
    size_t o = 0, i = 0;
    buf[o++] = '"';
    for (; s[i] != '\0' && i < SHOW_MAX && o + 8 < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\') {
            buf[o++] = '\\';
            buf[o++] = (char)c;
        } else if (c == '\n') {
            buf[o++] = '\\';
            buf[o++] = 'n';
        } else if (c == '\t') {
            buf[o++] = '\\';
            buf[o++] = 't';
        } else if (c < 0x20 || c == 0x7f) {
            o += (size_t)snprintf(buf + o, len - o, "\\x%02x", c);
        } else {
            buf[o++] = (char)c;
        }
    }
    if (s[i] != '\0') {
        /* Bytes >= 0x80 were copied one for one: step back over a cut
         * multibyte character. */
        while (i > 0 && ((unsigned char)s[i] & 0xC0) == 0x80) {
            i--;
            o--;
        }
        memcpy(buf + o, "...", 3);
        o += 3;
    }
    buf[o++] = '"';
    buf[o] = '\0';
    return buf;
}

/* What a value is, for "got ...": a list, a map, null, or its text; "the
 * string" tells that quotes made it a string where a number or a boolean
 * was wanted. */
static const char *describe(const vnode_t *v, char *buf, size_t len)
{
    static const char str[] = "the string ";
    if (v->kind == VNODE_SEQ)
        return "a list";
    if (v->kind == VNODE_MAP)
        return "a map";
    if (v->null)
        return "null";
    if (!v->quoted)
        return show(v->str, buf, len);
    memcpy(buf, str, sizeof(str) - 1);
    show(v->str, buf + sizeof(str) - 1, len - (sizeof(str) - 1));
    return buf;
}

static int expected(verrs_t *e, const vnode_t *v, const char *key,
                    const char *what)
{
    char buf[SHOW_BUF];
    verrs_add(e, v, "'%s': expected %s, got %s", key, what,
              describe(v, buf, sizeof(buf)));
    return -1;
}

/* The scalar text that a number or boolean getter may read: plain only. */
static const char *plain_text(const vnode_t *v)
{
    return v->kind == VNODE_SCALAR && !v->quoted ? v->str : NULL;
}



static void describe_range(int64_t min, int64_t max, char *buf, size_t len)
{
    if (min == INT64_MIN && max == INT64_MAX)
        snprintf(buf, len, "an integer");
    else if (max == INT64_MAX)
        snprintf(buf, len, "an integer of at least %" PRId64, min);
    else if (min == INT64_MIN)
        snprintf(buf, len, "an integer of at most %" PRId64, max);
    else
        snprintf(buf, len, "an integer between %" PRId64 " and %" PRId64,
                 min, max);
}



/* The message for a duration or size that did not parse (r). */
static int bad_quantity(verrs_t *e, const vnode_t *v, const char *key,
                        const char *kind, const char *units, int r)
{
    char buf[SHOW_BUF];
    const char *text = show(v->str, buf, sizeof(buf));
    if (r == NUM_NEGATIVE)
        verrs_add(e, v, "'%s': invalid %s %s (must not be negative)", key,
                  kind, text);
    else if (r == NUM_RANGE)
        verrs_add(e, v, "'%s': invalid %s %s (too large)", key, kind, text);
    else
        verrs_add(e, v, "'%s': invalid %s %s (use a number and a unit: %s)",
                  key, kind, text, units);
    return -1;
}



void vnode_strv_free(char **v)
{
    if (v == NULL)
        return;
    for (char **p = v; *p != NULL; p++)
        free(*p);
    free(v);
}

/* Reports every item of seq that is not a string. 0 when all are. */
static int check_string_items(const vnode_t *seq, const char *key,
                              verrs_t *e)
{
    int bad = 0;
    for (size_t i = 0; i < seq->n; i++) {
        const vnode_t *it = seq->items[i];
        if (it->kind == VNODE_SCALAR && !it->null)
            continue;
        char buf[SHOW_BUF];
        verrs_add(e, it, "'%s': item %zu: expected a string, got %s", key,
                  i + 1, describe(it, buf, sizeof(buf)));
        bad = 1;
    }
    return bad ? -1 : 0;
}

int vnode_as_str(const vnode_t *v, const char *key, const char **out,
                 verrs_t *e)
{
    if (v->kind != VNODE_SCALAR)
        return expected(e, v, key, "a string");
    *out = v->str;
    return 0;
}

int vnode_as_bool(const vnode_t *v, const char *key, int *out, verrs_t *e)
{
    const char *s = plain_text(v);
    int b;
    if (s == NULL || !vscalar_is_bool(s, &b))
        return expected(e, v, key, "true or false");
    *out = b;
    return 0;
}

int vnode_as_int(const vnode_t *v, const char *key, int64_t min,
                 int64_t max, int64_t *out, verrs_t *e)
{
    const char *s = plain_text(v);
    char what[96];
    int64_t x = 0;
    int r = s != NULL ? vscalar_int(s, &x) : NUM_SYNTAX;
    if (r == NUM_OK && x >= min && x <= max) {
        *out = x;
        return 0;
    }
    describe_range(min, max, what, sizeof(what));
    if (r == NUM_SYNTAX)
        return expected(e, v, key, what);
    /* A well-formed integer out of range reads better without quotes. */
    verrs_add(e, v, "'%s': expected %s, got %s", key, what, s);
    return -1;
}

int vnode_as_double(const vnode_t *v, const char *key, double *out,
                    verrs_t *e)
{
    const char *s = plain_text(v);
    double x;
    int r = s != NULL ? vscalar_real(s, &x) : NUM_SYNTAX;
    if (r == NUM_RANGE) {
        verrs_add(e, v, "'%s': %s is out of range", key, s);
        return -1;
    }
    if (r != NUM_OK)
        return expected(e, v, key, "a number");
    *out = x;
    return 0;
}

/* Durations and sizes are text even when quoted ("30s" must be quoted in
 * JSON anyway). */
int vnode_as_duration(const vnode_t *v, const char *key, int64_t *out_ms,
                      verrs_t *e)
{
    int64_t ms;
    if (v->kind != VNODE_SCALAR)
        return expected(e, v, key, "a duration");
    int r = vscalar_duration(v->str, &ms);
    if (r != NUM_OK)
        return bad_quantity(e, v, key, "duration", "ms, s, m, h, d", r);
    *out_ms = ms;
    return 0;
}

int vnode_as_size(const vnode_t *v, const char *key, uint64_t *out_bytes,
                  verrs_t *e)
{
    uint64_t bytes;
    if (v->kind != VNODE_SCALAR)
        return expected(e, v, key, "a size");
    int r = vscalar_size(v->str, &bytes);
    if (r != NUM_OK)
        return bad_quantity(e, v, key, "size",
                            "B, kB, MB, GB, TB, KiB, MiB, GiB, TiB", r);
    *out_bytes = bytes;
    return 0;
}

int vnode_as_strlist(const vnode_t *v, const char *key, char ***out,
                     size_t *count, verrs_t *e)
{
    if (v->kind == VNODE_MAP)
        return expected(e, v, key, "a string or a list of strings");
    if (v->kind == VNODE_SEQ && check_string_items(v, key, e) != 0)
        return -1;
    /* A single string is a list of one. */
    size_t n = v->kind == VNODE_SEQ ? v->n : 1;
    const vnode_t *const *items =
        v->kind == VNODE_SEQ ? (const vnode_t *const *)v->items : &v;
    char **arr = calloc(n + 1, sizeof(*arr));
    for (size_t i = 0; arr != NULL && i < n; i++) {
        if ((arr[i] = strdup(items[i]->str)) == NULL) {
            vnode_strv_free(arr);
            arr = NULL;
        }
    }
    if (arr == NULL) {
        verrs_add(e, v, "'%s': out of memory", key);
        return -1;
    }
    *out = arr;
    if (count != NULL)
        *count = n;
    return 0;
}

/* ------------------------------------------------------------------------
 * The same, by key in a map: 1 read, 0 absent, -1 invalid
 */

int vnode_str(vnode_t *map, const char *key, const char **out, verrs_t *e)
{
    vnode_t *v = vnode_get(map, key);
    return v == NULL ? 0 : vnode_as_str(v, key, out, e) == 0 ? 1 : -1;
}

int vnode_bool(vnode_t *map, const char *key, int *out, verrs_t *e)
{
    vnode_t *v = vnode_get(map, key);
    return v == NULL ? 0 : vnode_as_bool(v, key, out, e) == 0 ? 1 : -1;
}

int vnode_int(vnode_t *map, const char *key, int64_t min, int64_t max,
              int64_t *out, verrs_t *e)
{
    vnode_t *v = vnode_get(map, key);
    return v == NULL                                      ? 0
           : vnode_as_int(v, key, min, max, out, e) == 0 ? 1
                                                          : -1;
}

int vnode_double(vnode_t *map, const char *key, double *out, verrs_t *e)
{
    vnode_t *v = vnode_get(map, key);
    return v == NULL ? 0 : vnode_as_double(v, key, out, e) == 0 ? 1 : -1;
}

int vnode_duration(vnode_t *map, const char *key, int64_t *out_ms,
                   verrs_t *e)
{
    vnode_t *v = vnode_get(map, key);
    return v == NULL ? 0 : vnode_as_duration(v, key, out_ms, e) == 0 ? 1 : -1;
}

int vnode_size(vnode_t *map, const char *key, uint64_t *out_bytes,
               verrs_t *e)
{
    vnode_t *v = vnode_get(map, key);
    return v == NULL ? 0 : vnode_as_size(v, key, out_bytes, e) == 0 ? 1 : -1;
}

int vnode_strlist(vnode_t *map, const char *key, char ***out, size_t *count,
                  verrs_t *e)
{
    vnode_t *v = vnode_get(map, key);
    return v == NULL                                          ? 0
           : vnode_as_strlist(v, key, out, count, e) == 0 ? 1
                                                              : -1;
}
