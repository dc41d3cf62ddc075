/* vnode.c - the positioned settings tree: building and freeing it,
 * looking keys up (and remembering which were read, to report the rest as
 * unknown), JSON import, and the stable dump that tells whether settings
 * changed. */
#include "config/vnode.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "config/scalars.h"

/* ------------------------------------------------------------------------
 * Building and freeing trees
 */

vnode_t *vnode_new(vnode_kind_t kind, const char *file, int line, int col)
{
    vnode_t *n = calloc(1, sizeof(*n));
    if (n == NULL)
        return NULL;
    n->kind = kind;
    n->file = file;
    n->line = line;
    n->col = col;
    return n;
}

void vnode_free(vnode_t *n)
{
    if (n == NULL)
        return;
    for (size_t i = 0; i < n->n; i++) {
        vnode_free(n->items[i]);
        if (n->keys != NULL)
            vnode_free(n->keys[i]);
    }
    free(n->items);
    free(n->keys);
    free(n->used);
    free(n->str);
    free(n->owned_file);
    free(n);
}

/* Arrays hold 4, 8, 16, ... slots, so the capacity follows from the count
 * and the node needs no field for it. Returns arr with room for slot n
 * (perhaps moved), or NULL with arr untouched. */
static void *reserve(void *arr, size_t n, size_t size)
{
    int full = n == 0 || (n >= 4 && (n & (n - 1)) == 0);
    if (arr != NULL && !full)
        return arr;
    size_t cap = n < 4 ? 4 : n * 2;
    if (cap > SIZE_MAX / size)
        return NULL;
    return realloc(arr, cap * size);
}

int vnode_seq_push(vnode_t *seq, vnode_t *item)
{
    if (seq == NULL || seq->kind != VNODE_SEQ || item == NULL)
        return VITALS_EINVAL;
    vnode_t **items = reserve(seq->items, seq->n, sizeof(*items));
    if (items == NULL)
        return VITALS_ENOMEM;
    seq->items = items;
    seq->items[seq->n++] = item;
    return 0;
}

/* The three arrays grow one by one; one that grew before another failed
 * is merely larger than needed, so a failure leaves the map consistent. */
int vnode_map_put(vnode_t *map, vnode_t *key, vnode_t *value)
{
    if (map == NULL || map->kind != VNODE_MAP || key == NULL ||
        key->kind != VNODE_SCALAR || value == NULL)
        return VITALS_EINVAL;
    vnode_t **keys = reserve(map->keys, map->n, sizeof(*keys));
    if (keys == NULL)
        return VITALS_ENOMEM;
    map->keys = keys;
    vnode_t **items = reserve(map->items, map->n, sizeof(*items));
    if (items == NULL)
        return VITALS_ENOMEM;
    map->items = items;
    unsigned char *used = reserve(map->used, map->n, sizeof(*used));
    if (used == NULL)
        return VITALS_ENOMEM;
    map->used = used;
    map->keys[map->n] = key;
    map->items[map->n] = value;
    map->used[map->n] = 0;
    map->n++;
    return 0;
}

/* ------------------------------------------------------------------------
 * JSON import
 */

static vnode_t *scalar_new(const char *text, int quoted, int null)
{
    vnode_t *n = vnode_new(VNODE_SCALAR, NULL, 0, 0);
    if (n == NULL)
        return NULL;
    n->str = strdup(text);
    if (n->str == NULL) {
        free(n);
        return NULL;
    }
    n->quoted = quoted;
    n->null = null;
    return n;
}

/* The shortest text that reads back as d, so 0.1 stays "0.1". */
static void format_real(double d, char *buf, size_t len)
{
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(buf, len, "%.*g", prec, d);
        if (strtod(buf, NULL) == d)
            break;
    }
    /* %g writes 2500 as "2.5e+03". Below 1e15 a double that round-trips
     * through few digits is that integer exactly: write it out. */
    if (strchr(buf, 'e') != NULL && fabs(d) >= 1 && fabs(d) < 1e15)
        snprintf(buf, len, "%.0f", d);
}

static vnode_t *from_json(json_t *j);

static vnode_t *from_json_object(json_t *j)
{
    vnode_t *map = vnode_new(VNODE_MAP, NULL, 0, 0);
    const char *k;
    json_t *v;
    if (map == NULL)
        return NULL;
    /* Objects keep insertion order (jansson >= 2.8), i.e. text order. */
    json_object_foreach(j, k, v) {
        vnode_t *key = scalar_new(k, 1, 0);
        vnode_t *value = key != NULL ? from_json(v) : NULL;
        if (value == NULL || vnode_map_put(map, key, value) != 0) {
            vnode_free(key);
            vnode_free(value);
            vnode_free(map);
            return NULL;
        }
    }
    return map;
}

static vnode_t *from_json_array(json_t *j)
{
    vnode_t *seq = vnode_new(VNODE_SEQ, NULL, 0, 0);
    size_t i;
    json_t *v;
    if (seq == NULL)
        return NULL;
    json_array_foreach(j, i, v) {
        vnode_t *item = from_json(v);
        if (item == NULL || vnode_seq_push(seq, item) != 0) {
            vnode_free(item);
            vnode_free(seq);
            return NULL;
        }
    }
    return seq;
}

/* NULL only when out of memory. */
static vnode_t *from_json(json_t *j)
{
    char buf[64];
    switch (json_typeof(j)) {
    case JSON_OBJECT:
        return from_json_object(j);
    case JSON_ARRAY:
        return from_json_array(j);
    case JSON_STRING:
        return scalar_new(json_string_value(j), 1, 0);
    case JSON_INTEGER:
        snprintf(buf, sizeof(buf), "%" JSON_INTEGER_FORMAT,
                 json_integer_value(j));
        return scalar_new(buf, 0, 0);
    case JSON_REAL:
        format_real(json_real_value(j), buf, sizeof(buf));
        return scalar_new(buf, 0, 0);
    case JSON_TRUE:
        return scalar_new("true", 0, 0);
    case JSON_FALSE:
        return scalar_new("false", 0, 0);
    case JSON_NULL:
        break;
    }
    return scalar_new("null", 0, 1);
}

vnode_t *vnode_from_json(const char *text, verrs_t *e)
{
    json_error_t err;
    /* No settings at all reads as no keys, like an empty YAML map. */
    json_t *j = json_loads(text != NULL ? text : "{}",
                           JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &err);
    if (j == NULL) {
        verrs_add_at(e, "settings", 0, 0,
                     "invalid JSON: %s (line %d, column %d)", err.text,
                     err.line, err.column);
        return NULL;
    }
    if (!json_is_object(j)) {
        verrs_add_at(e, "settings", 0, 0, "expected a JSON object");
        json_decref(j);
        return NULL;
    }
    vnode_t *map = from_json(j);
    json_decref(j);
    if (map == NULL)
        verrs_add_at(e, "settings", 0, 0, "out of memory");
    return map;
}

/* ------------------------------------------------------------------------
 * Lookup
 */

static int find_key(const vnode_t *map, const char *key, size_t *idx)
{
    if (map == NULL || map->kind != VNODE_MAP || key == NULL)
        return 0;
    for (size_t i = 0; i < map->n; i++) {
        const char *k = map->keys[i]->str;
        if (k != NULL && strcmp(k, key) == 0) {
            *idx = i;
            return 1;
        }
    }
    return 0;
}

static void mark_used(vnode_t *map, size_t i)
{
    if (map->used != NULL)
        map->used[i] = 1;
}

/* An explicit null ("key: ~", "key:") reads as absent, but still counts as
 * read, so it is never reported as unknown. */
vnode_t *vnode_get(vnode_t *map, const char *key)
{
    size_t i;
    if (!find_key(map, key, &i))
        return NULL;
    mark_used(map, i);
    vnode_t *v = map->items[i];
    return v->kind == VNODE_SCALAR && v->null ? NULL : v;
}

void vnode_touch(vnode_t *map, const char *key)
{
    size_t i;
    if (find_key(map, key, &i))
        mark_used(map, i);
}

void vnode_touch_all(vnode_t *map)
{
    for (size_t i = 0; map != NULL && map->kind == VNODE_MAP && i < map->n;
         i++)
        mark_used(map, i);
}

void vnode_map_done(const vnode_t *map, const char *what, verrs_t *e)
{
    if (map == NULL || map->kind != VNODE_MAP)
        return;
    for (size_t i = 0; i < map->n; i++) {
        if (map->used != NULL && map->used[i])
            continue;
        const vnode_t *k = map->keys[i];
        if (what != NULL)
            verrs_add(e, k, "unknown key '%s' in %s", k->str, what);
        else
            verrs_add(e, k, "unknown key '%s'", k->str);
    }
}

/* ------------------------------------------------------------------------
 * Dump
 */

typedef struct sbuf {
    char *s;
    size_t len, cap;
    int oom;
} sbuf_t;

static void sb_add(sbuf_t *b, const char *s, size_t n)
{
    if (b->oom)
        return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap != 0 ? b->cap : 64;
        while (cap < b->len + n + 1)
            cap *= 2;
        char *p = realloc(b->s, cap);
        if (p == NULL) {
            b->oom = 1;
            return;
        }
        b->s = p;
        b->cap = cap;
    }
    memcpy(b->s + b->len, s, n);
    b->len += n;
    b->s[b->len] = '\0';
}

static void sb_str(sbuf_t *b, const char *s)
{
    sb_add(b, s, strlen(s));
}

/* s as a JSON string. */
static void sb_quoted(sbuf_t *b, const char *s)
{
    sb_add(b, "\"", 1);
    for (const char *p = s; *p != '\0'; p++) {
        unsigned char c = (unsigned char)*p;
        char esc[8];
        if (c == '"' || c == '\\') {
            esc[0] = '\\';
            esc[1] = (char)c;
            sb_add(b, esc, 2);
        } else if (c == '\n' || c == '\t') {
            esc[0] = '\\';
            esc[1] = c == '\n' ? 'n' : 't';
            sb_add(b, esc, 2);
        } else if (c < 0x20) {
            snprintf(esc, sizeof(esc), "\\u%04x", c);
            sb_add(b, esc, 6);
        } else {
            sb_add(b, p, 1);
        }
    }
    sb_add(b, "\"", 1);
}

/* Plain scalars that a boolean or number getter would accept are written
 * bare, every other scalar as a JSON string: two dumps are equal exactly
 * when every getter reads the same from both trees. */
static void dump_node(sbuf_t *b, const vnode_t *n)
{
    int ignored_bool;
    if (n == NULL || (n->kind == VNODE_SCALAR && n->null)) {
        sb_str(b, "null");
    } else if (n->kind == VNODE_SCALAR) {
        const char *s = n->str != NULL ? n->str : "";
        if (!n->quoted &&
            (vscalar_is_bool(s, &ignored_bool) || vscalar_is_real(s)))
            sb_str(b, s);
        else
            sb_quoted(b, s);
    } else if (n->kind == VNODE_SEQ) {
        sb_str(b, "[");
        for (size_t i = 0; i < n->n; i++) {
            if (i > 0)
                sb_str(b, ",");
            dump_node(b, n->items[i]);
        }
        sb_str(b, "]");
    } else {
        sb_str(b, "{");
        for (size_t i = 0; i < n->n; i++) {
            if (i > 0)
                sb_str(b, ",");
            sb_quoted(b, n->keys[i]->str != NULL ? n->keys[i]->str : "");
            sb_str(b, ":");
            dump_node(b, n->items[i]);
        }
        sb_str(b, "}");
    }
}

char *vnode_dump(const vnode_t *n)
{
    sbuf_t b = {0};
    dump_node(&b, n);
    if (b.oom) {
        free(b.s);
        return NULL;
    }
    return b.s;
}
