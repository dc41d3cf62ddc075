/* check.c - a check as configured: its name, options, type or callback,
 * and the state the engine keeps for it; reference-counted. */
#include "engine/engine.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#define NO_HEAP SIZE_MAX

static void free_strv(char **s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(s[i]);
    free(s);
}

void vitals_check_opts_init(vitals_check_opts_t *o)
{
    memset(o, 0, sizeof(*o));
    o->interval_ms = 30000;
    o->timeout_ms = 10000;
    o->critical = 1;
    o->failure_threshold = 1;
    o->success_threshold = 1;
}

int vcheck_name_valid(const char *name)
{
    size_t len = name != NULL ? strlen(name) : 0;

    /* "." and ".." are path segments: a client or proxy that normalises
     * /health/.. would reach another resource. */
    if (len == 0 || len > 128 || strcmp(name, ".") == 0 ||
        strcmp(name, "..") == 0)
        return 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char ch = (unsigned char)name[i];

        if (!isalnum(ch) && ch != '.' && ch != '_' && ch != '-')
            return 0;
    }
    return 1;
}

int vcheck_opts_valid(const vitals_check_opts_t *o)
{
    return o->interval_ms > 0 && o->timeout_ms > 0 &&
           o->initial_delay_ms >= 0 && o->failure_threshold >= 1 &&
           o->success_threshold >= 1 && (o->ntags == 0 || o->tags != NULL) &&
           o->interval_ms <= INT64_MAX / VCLOCK_MS &&
           o->timeout_ms <= INT64_MAX / VCLOCK_MS &&
           o->initial_delay_ms <= INT64_MAX / VCLOCK_MS;
}

vcheck_t *vcheck_new(const char *name, const vitals_check_opts_t *opts)
{
    vitals_check_opts_t defaults;
    const vitals_check_opts_t *o = opts;
    vcheck_t *c;

    if (o == NULL) {
        vitals_check_opts_init(&defaults);
        o = &defaults;
    }
    if (!vcheck_name_valid(name) || !vcheck_opts_valid(o))
        return NULL;
    if ((c = calloc(1, sizeof(*c))) == NULL)
        return NULL;
    atomic_init(&c->refs, 1);
    c->type_name = "callback";
    c->heap_pos = NO_HEAP;
    c->interval_ns = o->interval_ms * VCLOCK_MS;
    c->timeout_ns = o->timeout_ms * VCLOCK_MS;
    c->initial_delay_ns = o->initial_delay_ms * VCLOCK_MS;
    c->critical = o->critical != 0;
    c->failure_threshold = o->failure_threshold;
    c->success_threshold = o->success_threshold;
    c->name = strdup(name);
    c->tags = calloc(o->ntags + 1, sizeof(*c->tags));
    if (c->name == NULL || c->tags == NULL)
        goto fail;
    for (c->ntags = 0; c->ntags < o->ntags; c->ntags++)
        if ((c->tags[c->ntags] = strdup(o->tags[c->ntags])) == NULL)
            goto fail;
    if (o->description != NULL &&
        (c->default_description = strdup(o->description)) == NULL)
        goto fail;
    return c;
fail:
    vcheck_unref(c);
    return NULL;
}

vcheck_t *vcheck_ref(vcheck_t *c)
{
    atomic_fetch_add_explicit(&c->refs, 1, memory_order_relaxed);
    return c;
}

void vcheck_unref(vcheck_t *c)
{
    if (c == NULL ||
        atomic_fetch_sub_explicit(&c->refs, 1, memory_order_acq_rel) != 1)
        return;
    if (c->type != NULL)
        vcheck_state_free(c->type, c->type_state);
    if (c->free_data != NULL)
        c->free_data(c->data);
    free_strv(c->tags, c->ntags);
    vresult_unref(c->last);
    free(c->name);
    free(c->default_description);
    free(c->fingerprint);
    free(c->last_error);
    free(c);
}

