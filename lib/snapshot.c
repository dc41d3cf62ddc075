/* snapshot.c - building, publishing and reading immutable snapshots. */
#include "snapshot.h"

#include <stdlib.h>
#include <string.h>

#include "outputs/output.h"

static char *dup_or_null(const char *s)
{
    return s != NULL ? strdup(s) : NULL;
}

/* What a reader sees of c right now (v->lock held). */
static int fill_entry(vsnap_entry_t *e, vcheck_t *c)
{
    vitals_check_state_t *p = &e->pub;
    vitals_result_t *r = c->last;

    e->check = vcheck_ref(c);
    e->result = vresult_ref(r);
    p->name = c->name;
    p->type = c->type_name;
    p->critical = c->critical;
    p->tags = (const char *const *)c->tags;
    p->ntags = c->ntags;
    p->data_json = "{}";
    if (!c->has_reported) {
        p->status = VITALS_UNHEALTHY;
        p->error = "not yet run";
        p->description = c->default_description;
        return 0;
    }
    p->status = c->reported;
    p->description = r->description ? r->description : c->default_description;
    p->data_json = r->data_json;
    p->timestamp_ns = c->timestamp_ns;
    p->duration_ns = c->duration_ns;
    p->contiguous_failures = c->contiguous_failures;
    p->first_failure_ns = c->first_failure_ns;
    p->last_success_ns = c->last_success_ns;
    p->children = r->child_states;
    p->nchildren = r->child_states != NULL ? r->nchildren : 0;
    if (p->status == VITALS_HEALTHY)
        return 0;
    /* Held in a failing state by success_threshold, the latest result may
     * be a success: show the failure that is still being reported. */
    if (r->error != NULL && r->status != VITALS_HEALTHY) {
        p->error = r->error;
        return 0;
    }
    e->error = dup_or_null(c->last_error ? c->last_error : r->description);
    p->error = e->error;
    return e->error == NULL && (c->last_error || r->description) ? -1 : 0;
}

static void snap_destroy(vitals_snapshot_t *s)
{
    for (size_t i = 0; i < s->n; i++) {
        vcheck_unref(s->entries[i].check);
        vresult_unref(s->entries[i].result);
        free(s->entries[i].error);
    }
    for (vvariant_t *v = atomic_load(&s->variants), *next; v; v = next) {
        next = v->next;
        vbody_free(v->body);
        free(v->key);
        free(v);
    }
    vroutes_unref(s->routes);
    free(s->entries);
    free(s->service_id);
    free(s->service_description);
    free(s->service_version);
    free(s->service_release);
    free(s);
}

vitals_snapshot_t *vsnap_build(vitals_t *v)
{
    vitals_snapshot_t *s = calloc(1, sizeof(*s));
    int failed = 0;

    if (s == NULL)
        return NULL;
    atomic_init(&s->refs, 1);
    s->generation = ++v->generation;
    s->entries = v->n ? calloc(v->n, sizeof(*s->entries)) : NULL;
    if (v->n > 0 && s->entries == NULL) {
        free(s);
        return NULL;
    }
    for (s->n = 0; s->n < v->n; s->n++) {
        vsnap_entry_t *e = &s->entries[s->n];

        failed |= fill_entry(e, v->checks[s->n]);
        if (e->pub.status > s->status)
            s->status = e->pub.status;
    }
    s->routes = v->routes ? vroutes_ref(v->routes) : NULL;
    s->service_id = dup_or_null(v->service_id);
    s->service_description = dup_or_null(v->service_description);
    s->service_version = dup_or_null(v->service_version);
    s->service_release = dup_or_null(v->service_release);
    if (failed || (v->service_id && !s->service_id) ||
        (v->service_description && !s->service_description) ||
        (v->service_version && !s->service_version) ||
        (v->service_release && !s->service_release)) {
        snap_destroy(s);
        return NULL;
    }
    return s;
}

void vsnap_swap(vitals_t *v, vitals_snapshot_t *s)
{
    vitals_snapshot_t *old;

    pthread_mutex_lock(&v->snap_lock);
    old = v->snap;
    v->snap = s;
    atomic_store_explicit(&v->snap_gen, s->generation, memory_order_release);
    pthread_mutex_unlock(&v->snap_lock);
    vitals_snapshot_release(old);
}

vitals_snapshot_t *vsnap_ref(vitals_snapshot_t *s)
{
    atomic_fetch_add_explicit(&s->refs, 1, memory_order_relaxed);
    return s;
}

vitals_snapshot_t *vitals_snapshot_get(vitals_t *v)
{
    vitals_snapshot_t *s;

    if (v == NULL)
        return NULL;
    pthread_mutex_lock(&v->snap_lock);
    s = vsnap_ref(v->snap);
    pthread_mutex_unlock(&v->snap_lock);
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
