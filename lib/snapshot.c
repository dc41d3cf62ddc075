/* snapshot.c - reading immutable snapshots, and their cache of bodies. */
#include "snapshot.h"
#include "util/clock.h"

#include <stdlib.h>
#include <string.h>

vitals_snapshot_t *vsnap_new(size_t n)
{
    vitals_snapshot_t *s = calloc(1, sizeof(*s));

    if (s == NULL)
        return NULL;
    atomic_init(&s->refs, 1);
    if (n > 0 && (s->entries = calloc(n, sizeof(*s->entries))) == NULL) {
        free(s);
        return NULL;
    }
    s->n = n;
    return s;
}

static void snap_destroy(vitals_snapshot_t *s)
{
    if (s->release != NULL)
        s->release(s);
    for (vvariant_t *v = atomic_load(&s->variants), *next; v; v = next) {
        next = v->next;
        vbody_free(v->body);
        free(v->key);
        free(v);
    }
    free(s->entries);
    free(s->service_id);
    free(s->service_description);
    free(s->service_version);
    free(s->service_release);
    free(s->service_instance);
    free(s->maintenance_reason);
    free(s);
}

vitals_snapshot_t *vsnap_ref(vitals_snapshot_t *s)
{
    atomic_fetch_add_explicit(&s->refs, 1, memory_order_relaxed);
    return s;
}

void vitals_snapshot_release(vitals_snapshot_t *s)
{
    if (s != NULL &&
        atomic_fetch_sub_explicit(&s->refs, 1, memory_order_acq_rel) == 1)
        snap_destroy(s);
}

vitals_status_t vitals_snapshot_status(const vitals_snapshot_t *s)
{
    return s != NULL ? s->status : VITALS_UNHEALTHY;
}

size_t vitals_snapshot_count(const vitals_snapshot_t *s)
{
    return s != NULL ? s->n : 0;
}

const vitals_check_state_t *vitals_snapshot_check(const vitals_snapshot_t *s,
                                                  size_t i)
{
    return s != NULL && i < s->n ? &s->entries[i].pub : NULL;
}

uint64_t vitals_snapshot_generation(const vitals_snapshot_t *s)
{
    return s != NULL ? s->generation : 0;
}

int64_t vitals_snapshot_age_ms(const vitals_snapshot_t *s)
{
    int64_t age;

    if (s == NULL)
        return INT64_MAX;
    /* The engine stamps mono_ns with CLOCK_MONOTONIC (vclock_system). */
    age = vclock_mono(&vclock_system) - s->mono_ns;
    return age > 0 ? age / VCLOCK_MS : 0;
}

const char *vitals_snapshot_maintenance(const vitals_snapshot_t *s,
                                        int64_t *until_ns)
{
    if (until_ns != NULL)
        *until_ns = s != NULL && s->maintenance ? s->maintenance_until_ns : 0;
    return s != NULL ? s->maintenance : NULL;
}

int vitals_snapshot_draining(const vitals_snapshot_t *s)
{
    return s != NULL && s->draining;
}

int vsnap_entry_has_tag(const vsnap_entry_t *e, const char *tag)
{
    for (size_t i = 0; i < e->pub.ntags; i++)
        if (strcmp(e->pub.tags[i], tag) == 0)
            return 1;
    return 0;
}

const vsnap_entry_t *vsnap_find(const vitals_snapshot_t *s, const char *name)
{
    for (size_t i = 0; i < s->n; i++)
        if (strcmp(s->entries[i].pub.name, name) == 0)
            return &s->entries[i];
    return NULL;
}

vbody_t *vbody_new(char *data, size_t len)
{
    vbody_t *b;

    if (data == NULL || (b = malloc(sizeof(*b))) == NULL) {
        free(data);
        return NULL;
    }
    b->data = data;
    b->len = len;
    b->health = VITALS_HEALTHY;
    b->status = 0;
    return b;
}

void vbody_free(vbody_t *b)
{
    if (b == NULL)
        return;
    free(b->data);
    free(b);
}

static vbody_t *find_variant(vitals_snapshot_t *s, const char *key)
{
    for (vvariant_t *v = atomic_load_explicit(&s->variants,
                                              memory_order_acquire);
         v != NULL; v = v->next)
        if (strcmp(v->key, key) == 0)
            return v->body;
    return NULL;
}

vbody_t *vsnap_body(vitals_snapshot_t *s, const char *key, vrender_fn render,
                    void *arg, int *owned)
{
    vbody_t *b = find_variant(s, key);
    vvariant_t *v;

    *owned = 0;
    if (b != NULL)
        return b;
    if ((b = render(arg)) == NULL)
        return NULL;
    v = atomic_fetch_add(&s->nvariants, 1) < VSNAP_MAX_VARIANTS
            ? calloc(1, sizeof(*v))
            : NULL;
    if (v == NULL || (v->key = strdup(key)) == NULL) {
        free(v); /* the cache is full (or no memory): serve uncached */
        *owned = 1;
        return b;
    }
    v->body = b;
    /* Lock-free push: two readers may render the same key at once; both
     * entries stay, and the first one found is served. */
    v->next = atomic_load(&s->variants);
    while (!atomic_compare_exchange_weak(&s->variants, &v->next, v))
        ;
    return b;
}
