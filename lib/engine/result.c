/* result.c - building a check's result, and freezing it for sharing. */
#include "engine/result.h"

#include "util/utf8.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

vitals_result_t *vresult_new(const vclock_t *clock, int64_t deadline_ns)
{
    vitals_result_t *r = calloc(1, sizeof(*r));

    if (r == NULL)
        return NULL;
    atomic_init(&r->refs, 1);
    r->clock = clock;
    r->deadline_ns = deadline_ns;
    return r;
}

vitals_result_t *vresult_ref(vitals_result_t *r)
{
    if (r != NULL)
        atomic_fetch_add_explicit(&r->refs, 1, memory_order_relaxed);
    return r;
}

static void result_destroy(vitals_result_t *r)
{
    for (size_t i = 0; i < r->nchildren; i++)
        vresult_unref(r->children[i]);
    free(r->children);
    free(r->child_states);
    free(r->child_entries);
    free(r->key);
    free(r->description);
    free(r->error);
    free(r->measurement);
    free(r->unit);
    free(r->data_json);
    json_decref(r->data);
    free(r);
}

void vresult_unref(vitals_result_t *r)
{
    if (r == NULL)
        return;
    if (atomic_fetch_sub_explicit(&r->refs, 1, memory_order_acq_rel) == 1)
        result_destroy(r);
}

/* The frozen form of a result, as the public state struct (for children). */
static void fill_state(vitals_check_state_t *st, const vitals_result_t *r)
{
    memset(st, 0, sizeof(*st));
    st->name = r->key;
    st->type = "child";
    st->status = r->status;
    st->description = r->description;
    st->error = r->status == VITALS_HEALTHY ? NULL : r->error;
    st->data_json = r->data_json;
    st->critical = 1;
    st->children = r->child_states;
    st->nchildren = r->child_states != NULL ? r->nchildren : 0;
}

/* A frozen child as outputs see it. */
static void fill_entry(vsnap_entry_t *e, const vitals_result_t *r)
{
    fill_state(&e->pub, r);
    e->component_type = "component";
    e->has_run = 1;
    e->own_error = 1;
    if (r->observed_set) {
        e->measurement = r->measurement;
        e->unit = r->unit;
        e->observed = r->observed;
    }
    e->children = r->child_entries;
    e->nchildren = r->child_entries != NULL ? r->nchildren : 0;
}

/* Check text ends up in JSON strings, which must be UTF-8; a check reports
 * whatever its plugin, locale or device printed. Repair it once, here,
 * so that every format can trust it. */
static void make_utf8(char **s)
{
    char *clean;

    if (*s == NULL || vutf8_valid(*s, strlen(*s)))
        return;
    if ((clean = vutf8_clean(*s, strlen(*s), 0)) != NULL) {
        free(*s);
        *s = clean;
    }
}

void vresult_freeze(vitals_result_t *r)
{
    if (r->frozen)
        return;
    r->frozen = 1;
    make_utf8(&r->description);
    make_utf8(&r->error);
    make_utf8(&r->key);
    if (!r->status_set)
        r->status = r->error != NULL ? VITALS_UNHEALTHY : VITALS_HEALTHY;
    if (r->data != NULL)
        r->data_json = json_dumps(r->data, JSON_COMPACT | JSON_PRESERVE_ORDER |
                                              JSON_REAL_PRECISION(15));
    /* Formats read data_json; the tree would only cost memory (with
     * 10,000 checks, most of the daemon's). */
    json_decref(r->data);
    r->data = NULL;
    if (r->data_json == NULL)
        r->data_json = strdup("{}");
    if (r->nchildren > 0) {
        r->child_states = calloc(r->nchildren, sizeof(*r->child_states));
        r->child_entries = calloc(r->nchildren, sizeof(*r->child_entries));
        if (r->child_states == NULL || r->child_entries == NULL) {
            free(r->child_states); /* show no children rather than some */
            free(r->child_entries);
            r->child_states = NULL;
            r->child_entries = NULL;
        }
    }
    for (size_t i = 0; i < r->nchildren; i++) {
        vresult_freeze(r->children[i]);
        if (r->child_states != NULL) {
            fill_state(&r->child_states[i], r->children[i]);
            fill_entry(&r->child_entries[i], r->children[i]);
        }
    }
}

void vitals_result_set_status(vitals_result_t *r, vitals_status_t s)
{
    if (r == NULL || r->frozen || s < VITALS_HEALTHY || s > VITALS_UNHEALTHY)
        return;
    r->status = s;
    r->status_set = 1;
}

static char *vformat(const char *fmt, va_list ap)
{
    char *s = NULL;

    if (vasprintf(&s, fmt, ap) < 0)
        return NULL;
    return s;
}

void vitals_result_set_description(vitals_result_t *r, const char *fmt, ...)
{
    va_list ap;

    if (r == NULL || r->frozen || fmt == NULL)
        return;
    va_start(ap, fmt);
    free(r->description);
    r->description = vformat(fmt, ap);
    va_end(ap);
}

void vitals_result_set_error(vitals_result_t *r, const char *fmt, ...)
{
    va_list ap;

    if (r == NULL || r->frozen || fmt == NULL)
        return;
    va_start(ap, fmt);
    free(r->error);
    r->error = vformat(fmt, ap);
    va_end(ap);
}

/* Takes ownership of value (jansson's "_new" convention). */
static int set_data(vitals_result_t *r, const char *key, json_t *value)
{
    if (r == NULL || r->frozen || key == NULL || value == NULL) {
        json_decref(value);
        return VITALS_EINVAL;
    }
    if (r->data == NULL && (r->data = json_object()) == NULL) {
        json_decref(value);
        return VITALS_ENOMEM;
    }
    return json_object_set_new(r->data, key, value) == 0 ? VITALS_OK
                                                         : VITALS_ENOMEM;
}

int vitals_result_set_int(vitals_result_t *r, const char *key, int64_t value)
{
    return set_data(r, key, json_integer((json_int_t)value));
}

int vitals_result_set_double(vitals_result_t *r, const char *key,
                             double value)
{
    return set_data(r, key, json_real(value));
}

int vitals_result_set_string(vitals_result_t *r, const char *key,
                             const char *value)
{
    return set_data(r, key, value != NULL ? json_string(value) : json_null());
}

int vitals_result_set_bool(vitals_result_t *r, const char *key, int value)
{
    return set_data(r, key, json_boolean(value));
}

int vitals_result_set_json(vitals_result_t *r, const char *key,
                           const char *value)
{
    json_t *j;

    if (value == NULL)
        return VITALS_EINVAL;
    j = json_loads(value, JSON_DECODE_ANY, NULL);
    if (j == NULL)
        return VITALS_EINVAL;
    return set_data(r, key, j);
}

void vitals_result_observe(vitals_result_t *r, const char *measurement,
                           double value, const char *unit)
{
    if (r == NULL || r->frozen || measurement == NULL)
        return;
    free(r->measurement);
    free(r->unit);
    r->measurement = strdup(measurement);
    r->unit = unit != NULL ? strdup(unit) : NULL;
    r->observed = value;
    r->observed_set = r->measurement != NULL;
}

int vresult_adopt(vitals_result_t *r, vitals_result_t *child)
{
    if (r->nchildren == r->cap) {
        size_t cap = r->cap ? r->cap * 2 : 4;
        vitals_result_t **n = realloc(r->children, cap * sizeof(*n));

        if (n == NULL) {
            vresult_unref(child);
            return VITALS_ENOMEM;
        }
        r->children = n;
        r->cap = cap;
    }
    r->children[r->nchildren++] = child;
    return VITALS_OK;
}

vitals_result_t *vitals_result_child(vitals_result_t *r, const char *key)
{
    vitals_result_t *c;

    if (r == NULL || r->frozen || key == NULL)
        return NULL;
    c = vresult_new(r->clock, r->deadline_ns);
    if (c == NULL)
        return NULL;
    if ((c->key = strdup(key)) == NULL) {
        vresult_unref(c);
        return NULL;
    }
    return vresult_adopt(r, c) == VITALS_OK ? c : NULL;
}

int64_t vitals_result_remaining_ms(const vitals_result_t *r)
{
    int64_t left;

    if (r == NULL || r->clock == NULL)
        return 0;
    /* Round up: 0 must mean the deadline has passed, or a check that
     * stops "at 0 ms left" would stop before it and be reported as its own
     * failure rather than as a timeout. */
    left = r->deadline_ns - vclock_mono(r->clock);
    return left > 0 ? (left + VCLOCK_MS - 1) / VCLOCK_MS : 0;
}
