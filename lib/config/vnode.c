/* vnode.c - the positioned settings tree: building and freeing it, the
 * typed getters and their messages, JSON import, the stable dump, the
 * duration and size parsers, and the error list (vitals_errors_t).
 */
#include "config/vnode.h"

#include <inttypes.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

/* ------------------------------------------------------------------------
 * Small helpers
 */

static char *vformat(const char *fmt, va_list ap) VITALS_PRINTF(1, 0);
static char *format(const char *fmt, ...) VITALS_PRINTF(1, 2);

/* A new string from a printf format, or NULL when out of memory. */
static char *vformat(const char *fmt, va_list ap)
{
    va_list copy;
    va_copy(copy, ap);
    int len = vsnprintf(NULL, 0, fmt, copy);
    va_end(copy);
    if (len < 0)
        return NULL;
    char *s = malloc((size_t)len + 1);
    if (s != NULL)
        vsnprintf(s, (size_t)len + 1, fmt, ap);
    return s;
}

static char *format(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *s = vformat(fmt, ap);
    va_end(ap);
    return s;
}

static char *copy_string(const char *s)
{
    size_t len = strlen(s) + 1;
    char *c = malloc(len);
    if (c != NULL)
        memcpy(c, s, len);
    return c;
}

/* ASCII-only, so the locale cannot change what "true" means. */
static int eq_nocase(const char *a, const char *b)
{
    for (; *a != '\0' && *b != '\0'; a++, b++) {
        char x = (*a >= 'A' && *a <= 'Z') ? (char)(*a - 'A' + 'a') : *a;
        char y = (*b >= 'A' && *b <= 'Z') ? (char)(*b - 'A' + 'a') : *b;
        if (x != y)
            return 0;
    }
    return *a == *b;
}

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* ------------------------------------------------------------------------
 * Errors
 */

verrs_t *verrs_new(void)
{
    return calloc(1, sizeof(verrs_t));
}

/* Takes msg (NULL means it could not be built). A message that cannot be
 * stored sets oom: the list then says that some messages are missing. */
static void verrs_push(verrs_t *e, char *msg)
{
    if (msg == NULL) {
        e->oom = 1;
        return;
    }
    if (e->n == e->cap) {
        size_t cap = e->cap != 0 ? e->cap * 2 : 8;
        char **msgs = realloc(e->msgs, cap * sizeof(*msgs));
        if (msgs == NULL) {
            free(msg);
            e->oom = 1;
            return;
        }
        e->msgs = msgs;
        e->cap = cap;
    }
    e->msgs[e->n++] = msg;
}

static void verrs_addv(verrs_t *e, const char *file, int line, int col,
                       const char *fmt, va_list ap) VITALS_PRINTF(5, 0);

/* "FILE:LINE:COL: msg", "FILE: msg" without a line, "LINE:COL: msg"
 * without a file, or just "msg". */
static void verrs_addv(verrs_t *e, const char *file, int line, int col,
                       const char *fmt, va_list ap)
{
    if (e == NULL)
        return;
    char *msg = vformat(fmt, ap);
    char *full = NULL;
    if (msg != NULL) {
        if (file != NULL && line > 0)
            full = format("%s:%d:%d: %s", file, line, col, msg);
        else if (file != NULL)
            full = format("%s: %s", file, msg);
        else if (line > 0)
            full = format("%d:%d: %s", line, col, msg);
        else {
            full = msg;
            msg = NULL;
        }
    }
    free(msg);
    verrs_push(e, full);
}

void verrs_add(verrs_t *e, const vnode_t *node, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    if (node == NULL)
        verrs_addv(e, NULL, 0, 0, fmt, ap);
    else if (node->file == NULL) /* JSON settings: no file, no positions */
        verrs_addv(e, "settings", 0, 0, fmt, ap);
    else
        verrs_addv(e, node->file, node->line, node->col, fmt, ap);
    va_end(ap);
}

void verrs_add_at(verrs_t *e, const char *file, int line, int col,
                  const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    verrs_addv(e, file, line, col, fmt, ap);
    va_end(ap);
}

char *verrs_join(const verrs_t *e)
{
    static const char lost[] = "out of memory (some errors are missing)";
    if (e == NULL || (e->n == 0 && !e->oom))
        return NULL;
    size_t len = e->oom ? sizeof(lost) : 1;
    for (size_t i = 0; i < e->n; i++)
        len += strlen(e->msgs[i]) + 2;
    char *s = malloc(len);
    if (s == NULL)
        return NULL;
    char *p = s;
    for (size_t i = 0; i < e->n; i++) {
        size_t l = strlen(e->msgs[i]);
        if (p != s) {
            memcpy(p, "; ", 2);
            p += 2;
        }
        memcpy(p, e->msgs[i], l);
        p += l;
    }
    if (e->oom) {
        if (p != s) {
            memcpy(p, "; ", 2);
            p += 2;
        }
        memcpy(p, lost, sizeof(lost) - 1);
        p += sizeof(lost) - 1;
    }
    *p = '\0';
    return s;
}

size_t vitals_errors_count(const vitals_errors_t *e)
{
    return e != NULL ? e->n : 0;
}

const char *vitals_errors_get(const vitals_errors_t *e, size_t i)
{
    return e != NULL && i < e->n ? e->msgs[i] : NULL;
}

void vitals_errors_free(vitals_errors_t *e)
{
    if (e == NULL)
        return;
    for (size_t i = 0; i < e->n; i++)
        free(e->msgs[i]);
    free(e->msgs);
    free(e);
}

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
    n->str = copy_string(text);
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
 * Number syntax, shared by the getters and the dump
 */

enum { NUM_OK = 0, NUM_SYNTAX = -1, NUM_RANGE = -2, NUM_NEGATIVE = -3 };

/* YAML 1.2 core integers: [-+]?[0-9]+ (no hex, octal or underscores). */
static int is_int_text(const char *s)
{
    if (*s == '-' || *s == '+')
        s++;
    if (!is_digit(*s))
        return 0;
    while (is_digit(*s))
        s++;
    return *s == '\0';
}

/* [-+]?(digits[.digits?] | .digits)([eE][-+]?digits)? - no inf or nan. */
static int is_real_text(const char *s)
{
    int digits = 0;
    if (*s == '-' || *s == '+')
        s++;
    for (; is_digit(*s); s++)
        digits++;
    if (*s == '.')
        for (s++; is_digit(*s); s++)
            digits++;
    if (digits == 0)
        return 0;
    if (*s == 'e' || *s == 'E') {
        s++;
        if (*s == '-' || *s == '+')
            s++;
        if (!is_digit(*s))
            return 0;
        while (is_digit(*s))
            s++;
    }
    return *s == '\0';
}

static int parse_int(const char *s, int64_t *out)
{
    if (!is_int_text(s))
        return NUM_SYNTAX;
    errno = 0;
    long long v = strtoll(s, NULL, 10);
    if (errno == ERANGE) /* long long is 64 bits wherever we build */
        return NUM_RANGE;
    *out = (int64_t)v;
    return NUM_OK;
}

static int parse_real(const char *s, double *out)
{
    if (!is_real_text(s))
        return NUM_SYNTAX;
    double v = strtod(s, NULL);
    if (!isfinite(v))
        return NUM_RANGE; /* an underflow to 0 or a denormal is fine */
    *out = v;
    return NUM_OK;
}

static int is_bool_text(const char *s, int *out)
{
    if (eq_nocase(s, "true"))
        *out = 1;
    else if (eq_nocase(s, "false"))
        *out = 0;
    else
        return 0;
    return 1;
}

/* ------------------------------------------------------------------------
 * Durations and sizes
 */

typedef struct unit {
    const char *name;
    uint64_t factor;
} unit_t;

static const unit_t duration_units[] = {
    {"ms", 1}, {"s", 1000}, {"m", 60000}, {"h", 3600000}, {"d", 86400000},
    {NULL, 0}};

static const unit_t size_units[] = {
    {"B", 1},
    {"kB", 1000},
    {"KB", 1000},
    {"MB", 1000000},
    {"GB", 1000000000},
    {"TB", 1000000000000},
    {"KiB", (uint64_t)1 << 10},
    {"MiB", (uint64_t)1 << 20},
    {"GiB", (uint64_t)1 << 30},
    {"TiB", (uint64_t)1 << 40},
    {NULL, 0}};

/* round(0.<digits> * factor) without overflow or floating point: divide by
 * ten once per digit, from the last digit to the first. Each quotient is
 * exact (a fraction below one cannot carry past a multiple of ten), and the
 * final remainder decides the rounding, half up. */
static uint64_t scale_fraction(const char *digits, size_t n, uint64_t factor)
{
    uint64_t acc = 0, rem = 0;
    for (size_t i = n; i-- > 0;) {
        uint64_t m = (uint64_t)(digits[i] - '0') * factor + acc;
        acc = m / 10;
        rem = m % 10;
    }
    return acc + (rem >= 5);
}

/* "<digits>[.<digits>]<unit>", the unit from units, the result at most
 * limit. unitless: a plain integer without unit is allowed (factor 1). */
static int parse_quantity(const char *s, const unit_t *units, int unitless,
                          uint64_t limit, uint64_t *out)
{
    if (s == NULL)
        return NUM_SYNTAX;
    if (*s == '-') {
        uint64_t ignored;
        int r = parse_quantity(s + 1, units, unitless, UINT64_MAX, &ignored);
        return r == NUM_SYNTAX ? NUM_SYNTAX : NUM_NEGATIVE;
    }
    if (!is_digit(*s))
        return NUM_SYNTAX;
    uint64_t whole = 0;
    int overflow = 0;
    for (; is_digit(*s); s++) {
        uint64_t d = (uint64_t)(*s - '0');
        if (whole > (UINT64_MAX - d) / 10)
            overflow = 1;
        else
            whole = whole * 10 + d;
    }
    const char *frac = s;
    size_t nfrac = 0;
    if (*s == '.') {
        frac = ++s;
        while (is_digit(*s))
            s++;
        nfrac = (size_t)(s - frac);
        if (nfrac == 0)
            return NUM_SYNTAX;
    }
    uint64_t factor = 0;
    if (*s == '\0' && unitless && nfrac == 0)
        factor = 1;
    for (const unit_t *u = units; factor == 0 && u->name != NULL; u++)
        if (strcmp(s, u->name) == 0)
            factor = u->factor;
    if (factor == 0)
        return NUM_SYNTAX;
    if (overflow || whole > limit / factor)
        return NUM_RANGE;
    uint64_t v = whole * factor;
    uint64_t f = scale_fraction(frac, nfrac, factor);
    if (f > limit - v)
        return NUM_RANGE;
    *out = v + f;
    return NUM_OK;
}

static int parse_duration(const char *s, int64_t *out_ms)
{
    uint64_t v;
    if (s != NULL && strcmp(s, "0") == 0) { /* zero needs no unit */
        *out_ms = 0;
        return NUM_OK;
    }
    int r = parse_quantity(s, duration_units, 0, INT64_MAX, &v);
    if (r == NUM_OK)
        *out_ms = (int64_t)v;
    return r;
}

int vitals_parse_duration(const char *s, int64_t *out_ms)
{
    return parse_duration(s, out_ms) == NUM_OK ? 0 : -1;
}

int vitals_parse_size(const char *s, uint64_t *out_bytes)
{
    return parse_quantity(s, size_units, 1, UINT64_MAX, out_bytes) == NUM_OK
               ? 0
               : -1;
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
 * Getters
 */

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

int vnode_str(vnode_t *map, const char *key, const char **out, verrs_t *e)
{
    vnode_t *v = vnode_get(map, key);
    if (v == NULL)
        return 0;
    if (v->kind != VNODE_SCALAR)
        return expected(e, v, key, "a string");
    *out = v->str;
    return 1;
}

int vnode_bool(vnode_t *map, const char *key, int *out, verrs_t *e)
{
    vnode_t *v = vnode_get(map, key);
    const char *s;
    int b;
    if (v == NULL)
        return 0;
    if ((s = plain_text(v)) == NULL || !is_bool_text(s, &b))
        return expected(e, v, key, "true or false");
    *out = b;
    return 1;
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

int vnode_int(vnode_t *map, const char *key, int64_t min, int64_t max,
              int64_t *out, verrs_t *e)
{
    vnode_t *v = vnode_get(map, key);
    const char *s;
    char what[96];
    int64_t x = 0;
    if (v == NULL)
        return 0;
    int r = (s = plain_text(v)) != NULL ? parse_int(s, &x) : NUM_SYNTAX;
    if (r == NUM_OK && x >= min && x <= max) {
        *out = x;
        return 1;
    }
    describe_range(min, max, what, sizeof(what));
    if (r == NUM_SYNTAX)
        return expected(e, v, key, what);
    /* A well-formed integer out of range reads better without quotes. */
    verrs_add(e, v, "'%s': expected %s, got %s", key, what, s);
    return -1;
}

int vnode_double(vnode_t *map, const char *key, double *out, verrs_t *e)
{
    vnode_t *v = vnode_get(map, key);
    const char *s;
    double x;
    if (v == NULL)
        return 0;
    int r = (s = plain_text(v)) != NULL ? parse_real(s, &x) : NUM_SYNTAX;
    if (r == NUM_RANGE) {
        verrs_add(e, v, "'%s': %s is out of range", key, s);
        return -1;
    }
    if (r != NUM_OK)
        return expected(e, v, key, "a number");
    *out = x;
    return 1;
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

/* Durations and sizes are text even when quoted ("30s" must be quoted in
 * JSON anyway). */
int vnode_duration(vnode_t *map, const char *key, int64_t *out_ms,
                   verrs_t *e)
{
    vnode_t *v = vnode_get(map, key);
    int64_t ms;
    if (v == NULL)
        return 0;
    if (v->kind != VNODE_SCALAR)
        return expected(e, v, key, "a duration");
    int r = parse_duration(v->str, &ms);
    if (r != NUM_OK)
        return bad_quantity(e, v, key, "duration", "ms, s, m, h, d", r);
    *out_ms = ms;
    return 1;
}

int vnode_size(vnode_t *map, const char *key, uint64_t *out_bytes,
               verrs_t *e)
{
    vnode_t *v = vnode_get(map, key);
    uint64_t bytes;
    if (v == NULL)
        return 0;
    if (v->kind != VNODE_SCALAR)
        return expected(e, v, key, "a size");
    int r = parse_quantity(v->str, size_units, 1, UINT64_MAX, &bytes);
    if (r != NUM_OK)
        return bad_quantity(e, v, key, "size",
                            "B, kB, MB, GB, TB, KiB, MiB, GiB, TiB", r);
    *out_bytes = bytes;
    return 1;
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

int vnode_strlist(vnode_t *map, const char *key, char ***out, size_t *count,
                  verrs_t *e)
{
    vnode_t *v = vnode_get(map, key);
    if (v == NULL)
        return 0;
    if (v->kind == VNODE_MAP)
        return expected(e, v, key, "a string or a list of strings");
    if (v->kind == VNODE_SEQ && check_string_items(v, key, e) != 0)
        return -1;
    /* A single string is a list of one. */
    size_t n = v->kind == VNODE_SEQ ? v->n : 1;
    vnode_t *const *items = v->kind == VNODE_SEQ ? v->items : &v;
    char **arr = calloc(n + 1, sizeof(*arr));
    for (size_t i = 0; arr != NULL && i < n; i++) {
        if ((arr[i] = copy_string(items[i]->str)) == NULL) {
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
    return 1;
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
            (is_bool_text(s, &ignored_bool) || is_real_text(s)))
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
