/* publish.c - building a snapshot from the engine's checks and publishing
 * it: a pointer swap that readers see at their next request. */
#include <stdlib.h>
#include <string.h>

#include "engine/engine.h"

/* What a snapshot holds on to for its entries: the check (name, tags), the
 * result (texts, data, children), and an error text of its own. */
typedef struct vkeep {
    vcheck_t *check;
    vitals_result_t *result;
    char *error;
} vkeep_t;

static char *dup_or_null(const char *s)
{
    return s != NULL ? strdup(s) : NULL;
}

/* The error a failing check shows. Held in a failing state by
 * success_threshold, the latest result may be a success: show the failure
 * that is still being reported. */
static int fill_error(vsnap_entry_t *e, vkeep_t *k, const vcheck_t *c)
{
    const vitals_result_t *r = c->last;

    if (r->error != NULL && r->status != VITALS_HEALTHY) {
        e->pub.error = r->error;
        e->own_error = 1;
        return 0;
    }
    k->error = dup_or_null(c->last_error ? c->last_error : r->description);
    e->pub.error = k->error;
    return k->error == NULL && (c->last_error || r->description) ? -1 : 0;
}

/* What a reader sees of c right now (e->lock held). */
static int fill_entry(vsnap_entry_t *e, vkeep_t *k, vcheck_t *c)
{
    vitals_check_state_t *p = &e->pub;
    vitals_result_t *r = c->last;

    k->check = vcheck_ref(c);
    k->result = vresult_ref(r);
    p->name = c->name;
    p->type = c->type_name;
    p->critical = c->critical;
    p->tags = (const char *const *)c->tags;
    p->ntags = c->ntags;
    p->data_json = "{}";
    e->component_type = c->type ? c->type->component_type : "component";
    e->since_ns = c->streak.since_ns;
    memcpy(e->runs, c->runs, sizeof(e->runs));
    e->timeouts = c->timeouts;
    e->transitions = c->transitions;
    if (!c->has_reported) {
        p->status = VITALS_UNHEALTHY;
        p->error = "not yet run";
        p->description = c->default_description;
        e->own_error = 1;
        return 0;
    }
    e->has_run = 1;
    e->timed_out = r->timed_out;
    if (r->observed_set) {
        e->measurement = r->measurement;
        e->unit = r->unit;
        e->observed = r->observed;
    }
    p->status = c->streak.status;
    p->description = r->description ? r->description : c->default_description;
    p->data_json = r->data_json;
    p->timestamp_ns = c->timestamp_ns;
    p->duration_ns = c->duration_ns;
    p->contiguous_failures = c->streak.contiguous_failures;
    p->first_failure_ns = c->streak.first_failure_ns;
    p->last_success_ns = c->streak.last_success_ns;
    p->children = r->child_states;
    p->nchildren = r->child_states != NULL ? r->nchildren : 0;
    e->children = r->child_entries;
    e->nchildren = r->child_entries != NULL ? r->nchildren : 0;
    return p->status == VITALS_HEALTHY ? 0 : fill_error(e, k, c);
}

static void release(vitals_snapshot_t *s)
{
    vkeep_t *keep = s->keep;

    for (size_t i = 0; keep != NULL && i < s->n; i++) {
        vcheck_unref(keep[i].check);
        vresult_unref(keep[i].result);
        free(keep[i].error);
    }
    free(keep);
}

/* The lifecycle as of now: startup latches once every check has run. */
static int copy_lifecycle(vitals_snapshot_t *s, vengine_t *e)
{
    int all_ran = 1;

    for (size_t i = 0; i < s->n && all_ran; i++)
        all_ran = s->entries[i].has_run;
    /* Latch only once there are checks: an instance gets its checks after
     * its first (empty) snapshot. */
    if (all_ran && s->n > 0)
        e->started_up = 1;
    s->started_up = e->started_up || all_ran;
    s->draining = e->draining;
    s->drain_fails_all = e->drain_fails_all;
    /* The wall clock time the monotonic deadline falls on, as of now. */
    s->maintenance_until_ns =
        e->maint_until ? s->time_ns + (e->maint_until - s->mono_ns) : 0;
    if (e->maint_reason != NULL &&
        (s->maintenance = s->maintenance_reason = strdup(e->maint_reason)) ==
            NULL)
        return -1;
    return 0;
}

static int copy_service(vitals_snapshot_t *s, const vengine_t *e)
{
    s->service_id = dup_or_null(e->service_id);
    s->service_description = dup_or_null(e->service_description);
    s->service_version = dup_or_null(e->service_version);
    s->service_release = dup_or_null(e->service_release);
    s->service_instance = dup_or_null(e->service_instance);
    return (e->service_id && !s->service_id) ||
                   (e->service_description && !s->service_description) ||
                   (e->service_version && !s->service_version) ||
                   (e->service_release && !s->service_release) ||
                   (e->service_instance && !s->service_instance)
               ? -1
               : 0;
}

/* A snapshot of every check (e->lock held), or NULL out of memory. */
static vitals_snapshot_t *build(vengine_t *e)
{
    vitals_snapshot_t *s = vsnap_new(e->n);
    vkeep_t *keep;
    int failed = 0;

    if (s == NULL)
        return NULL;
    s->release = release;
    if ((keep = calloc(e->n ? e->n : 1, sizeof(*keep))) == NULL) {
        s->n = 0;
        vitals_snapshot_release(s);
        return NULL;
    }
    s->keep = keep;
    s->generation = ++e->generation;
    s->time_ns = vclock_real(e->clock);
    s->mono_ns = vclock_mono(e->clock);
    for (size_t i = 0; i < s->n; i++) {
        vsnap_entry_t *en = &s->entries[i];

        failed |= fill_entry(en, &keep[i], e->checks[i]);
        if (en->pub.status > s->status)
            s->status = en->pub.status;
    }
    if (failed || copy_service(s, e) != 0 || copy_lifecycle(s, e) != 0) {
        vitals_snapshot_release(s);
        return NULL;
    }
    return s;
}

static void swap(vengine_t *e, vitals_snapshot_t *s)
{
    vitals_snapshot_t *old;

    pthread_mutex_lock(&e->snap_lock);
    old = e->snap;
    e->snap = s;
    atomic_store_explicit(&e->snap_gen, s->generation, memory_order_release);
    pthread_mutex_unlock(&e->snap_lock);
    vitals_snapshot_release(old);
}

void vengine_publish(vengine_t *e, int64_t now)
{
    vitals_snapshot_t *s;

    if (!e->dirty)
        return;
    if ((s = build(e)) == NULL)
        return; /* out of memory: the old snapshot keeps serving */
    e->dirty = 0;
    e->urgent = 0;
    e->last_publish = now;
    swap(e, s);
    for (size_t i = 0; i < e->nsubs; i++)
        e->subs[i].fn(s, e->subs[i].data);
}

int vengine_subscribe(vengine_t *e, vengine_publish_fn fn, void *data)
{
    int rc = VITALS_OK;

    pthread_mutex_lock(&e->lock);
    if (e->nsubs == VENGINE_MAX_SUBSCRIBERS) {
        rc = VITALS_ENOMEM;
    } else {
        e->subs[e->nsubs].fn = fn;
        e->subs[e->nsubs++].data = data;
        fn(e->snap, data);
    }
    pthread_mutex_unlock(&e->lock);
    return rc;
}

void vengine_unsubscribe(vengine_t *e, vengine_publish_fn fn, void *data)
{
    pthread_mutex_lock(&e->lock);
    for (size_t i = 0; i < e->nsubs; i++) {
        if (e->subs[i].fn != fn || e->subs[i].data != data)
            continue;
        memmove(&e->subs[i], &e->subs[i + 1],
                (e->nsubs - i - 1) * sizeof(e->subs[0]));
        e->nsubs--;
        break;
    }
    pthread_mutex_unlock(&e->lock);
}

vitals_snapshot_t *vengine_snapshot(vengine_t *e)
{
    vitals_snapshot_t *s;

    pthread_mutex_lock(&e->snap_lock);
    s = vsnap_ref(e->snap);
    pthread_mutex_unlock(&e->snap_lock);
    return s;
}

uint64_t vengine_generation(vengine_t *e)
{
    return atomic_load_explicit(&e->snap_gen, memory_order_acquire);
}
