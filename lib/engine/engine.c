/* engine.c - the instance, its checks, and the scheduling state machine:
 * which check runs when, what a result or a timeout does to a check's
 * reported status, and when a new snapshot is due. */
#include "engine/engine.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "checks/push.h"
#include "outputs/output.h"
#include "util/utf8.h"
#include "config/vnode.h"

#define NO_HEAP SIZE_MAX

const char *vitals_strerror(int err)
{
    switch ((vitals_errno_t)err) {
    case VITALS_OK:
        return "success";
#define XX(name, value, text)                                                 \
    case VITALS_##name:                                                       \
        return text;
        VITALS_ERRNO_MAP(XX)
#undef XX
    }
    return "unknown error";
}

const char *vitals_status_name(vitals_status_t s)
{
    switch (s) {
    case VITALS_HEALTHY:
        return "healthy";
    case VITALS_DEGRADED:
        return "degraded";
    case VITALS_UNHEALTHY:
        return "unhealthy";
    }
    return "unknown";
}

void vlog(vitals_t *v, vitals_log_level_t level, const char *fmt, ...)
{
    char buf[1024];
    va_list ap;

    if (v->log_fn == NULL)
        return;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    v->log_fn(level, buf, v->log_data);
}

/* ------------------------------------------------------------------------
 * The instance
 */

vitals_t *vitals_new(void)
{
    vitals_t *v = calloc(1, sizeof(*v));
    pthread_condattr_t ca;

    if (v == NULL)
        return NULL;
    v->clock = &vclock_system;
    v->publish_interval_ns = 100 * VCLOCK_MS;
    if ((v->routes = vroutes_default()) == NULL) {
        free(v);
        return NULL;
    }
    pthread_mutex_init(&v->lock, NULL);
    pthread_mutex_init(&v->snap_lock, NULL);
    /* The scheduler sleeps against the monotonic clock: a wall clock jump
     * must not stall or rush the checks. */
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&v->wake, &ca);
    pthread_condattr_destroy(&ca);
    v->dirty = 1;
    engine_publish(v, vclock_mono(v->clock));
    if (v->snap == NULL) {
        vitals_free(v);
        return NULL;
    }
    return v;
}

static void free_strv(char **s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(s[i]);
    free(s);
}

void vitals_free(vitals_t *v)
{
    if (v == NULL)
        return;
    vitals_stop(v, 0);
    for (size_t i = 0; i < v->n; i++) {
        v->checks[i]->removed = 1;
        vcheck_unref(v->checks[i]);
    }
    free(v->checks);
    free(v->heap);
    vitals_snapshot_release(v->snap);
    free(v->service_id);
    free(v->service_description);
    free(v->service_version);
    free(v->service_release);
    vlisten_free(v->listen, v->nlisten);
    vroutes_unref(v->routes);
    pthread_cond_destroy(&v->wake);
    pthread_mutex_destroy(&v->snap_lock);
    pthread_mutex_destroy(&v->lock);
    free(v);
}

/* A copy of src for the service fields, made valid UTF-8 (they end up in
 * JSON strings). */
static int replace_str(char **dst, const char *src)
{
    char *copy = NULL;

    if (src != NULL && (copy = vutf8_clean(src, strlen(src), 1)) == NULL)
        return VITALS_ENOMEM;
    free(*dst);
    *dst = copy;
    return VITALS_OK;
}

int vitals_set_service(vitals_t *v, const char *id, const char *description,
                       const char *version, const char *release_id)
{
    int rc = VITALS_OK;

    if (v == NULL)
        return VITALS_EINVAL;
    pthread_mutex_lock(&v->lock);
    if (replace_str(&v->service_id, id) || 
        replace_str(&v->service_description, description) ||
        replace_str(&v->service_version, version) ||
        replace_str(&v->service_release, release_id))
        rc = VITALS_ENOMEM;
    v->dirty = 1;
    pthread_cond_signal(&v->wake);
    pthread_mutex_unlock(&v->lock);
    return rc;
}

void vitals_set_log(vitals_t *v, vitals_log_fn fn, void *data)
{
    if (v == NULL)
        return;
    pthread_mutex_lock(&v->lock);
    v->log_fn = fn;
    v->log_data = data;
    pthread_mutex_unlock(&v->lock);
}

/* ------------------------------------------------------------------------
 * Checks
 */

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

    if (len == 0 || len > 128)
        return 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char ch = (unsigned char)name[i];

        if (!isalnum(ch) && ch != '.' && ch != '_' && ch != '-')
            return 0;
    }
    return 1;
}

static int opts_valid(const vitals_check_opts_t *o)
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
    if (!vcheck_name_valid(name) || !opts_valid(o))
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

/* ------------------------------------------------------------------------
 * The heap of next events
 */

static void heap_set(vitals_t *v, size_t i, vcheck_t *c)
{
    v->heap[i] = c;
    c->heap_pos = i;
}

static void heap_up(vitals_t *v, size_t i)
{
    vcheck_t *c = v->heap[i];

    while (i > 0) {
        size_t parent = (i - 1) / 2;

        if (v->heap[parent]->wake <= c->wake)
            break;
        heap_set(v, i, v->heap[parent]);
        i = parent;
    }
    heap_set(v, i, c);
}

static void heap_down(vitals_t *v, size_t i)
{
    vcheck_t *c = v->heap[i];

    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        int64_t best = c->wake;

        if (l < v->heap_n && v->heap[l]->wake < best) {
            m = l;
            best = v->heap[l]->wake;
        }
        if (r < v->heap_n && v->heap[r]->wake < best)
            m = r;
        if (m == i)
            break;
        heap_set(v, i, v->heap[m]);
        i = m;
    }
    heap_set(v, i, c);
}

static void heap_remove(vitals_t *v, vcheck_t *c)
{
    size_t i = c->heap_pos;

    if (i == NO_HEAP)
        return;
    c->heap_pos = NO_HEAP;
    if (--v->heap_n == i)
        return;
    heap_set(v, i, v->heap[v->heap_n]);
    heap_down(v, i);
    heap_up(v, v->heap[i]->heap_pos);
}

/* Reserves room so that the push below cannot fail. */
static int heap_reserve(vitals_t *v, size_t n)
{
    vcheck_t **h;
    size_t cap;

    if (n <= v->heap_cap)
        return VITALS_OK;
    cap = v->heap_cap ? v->heap_cap : 16;
    while (cap < n)
        cap *= 2;
    if ((h = realloc(v->heap, cap * sizeof(*h))) == NULL)
        return VITALS_ENOMEM;
    v->heap = h;
    v->heap_cap = cap;
    return VITALS_OK;
}

static void heap_schedule(vitals_t *v, vcheck_t *c, int64_t wake)
{
    heap_remove(v, c);
    c->wake = wake;
    v->heap[v->heap_n] = c;
    c->heap_pos = v->heap_n++;
    heap_up(v, c->heap_pos);
}

int64_t engine_next_wake(const vitals_t *v)
{
    return v->heap_n > 0 ? v->heap[0]->wake : INT64_MAX;
}

/* ------------------------------------------------------------------------
 * Registration
 */

static int reserve_checks(vitals_t *v, size_t n)
{
    vcheck_t **a;
    size_t cap;

    if (n <= v->cap)
        return heap_reserve(v, n);
    cap = v->cap ? v->cap * 2 : 16;
    while (cap < n)
        cap *= 2;
    if ((a = realloc(v->checks, cap * sizeof(*a))) == NULL)
        return VITALS_ENOMEM;
    v->checks = a;
    v->cap = cap;
    return heap_reserve(v, n);
}

vcheck_t *engine_find(vitals_t *v, const char *name)
{
    for (size_t i = 0; i < v->n; i++)
        if (strcmp(v->checks[i]->name, name) == 0)
            return v->checks[i];
    return NULL;
}

int engine_add(vitals_t *v, vcheck_t *c, int64_t now)
{
    int rc;

    if (engine_find(v, c->name) != NULL) {
        vcheck_unref(c);
        return VITALS_EEXIST;
    }
    if ((rc = reserve_checks(v, v->n + 1)) != VITALS_OK) {
        vcheck_unref(c);
        return rc;
    }
    v->checks[v->n++] = c;
    heap_schedule(v, c, now + c->initial_delay_ns);
    v->dirty = 1;
    return VITALS_OK;
}

static void engine_drop(vitals_t *v, vcheck_t *c)
{
    heap_remove(v, c);
    c->removed = 1; /* a run still out sees this and is discarded */
    vcheck_unref(c);
}

int engine_remove(vitals_t *v, const char *name)
{
    for (size_t i = 0; i < v->n; i++) {
        vcheck_t *c = v->checks[i];

        if (strcmp(c->name, name) != 0)
            continue;
        memmove(&v->checks[i], &v->checks[i + 1],
                (v->n - i - 1) * sizeof(*v->checks));
        v->n--;
        engine_drop(v, c);
        v->dirty = 1;
        return VITALS_OK;
    }
    return VITALS_ENOENT;
}

static int same_config(const vcheck_t *a, const vcheck_t *b)
{
    return a->fingerprint != NULL && b->fingerprint != NULL &&
           strcmp(a->name, b->name) == 0 &&
           strcmp(a->fingerprint, b->fingerprint) == 0;
}

size_t engine_replace(vitals_t *v, vcheck_t **cs, size_t n, int64_t now)
{
    vcheck_t **old = v->checks;
    size_t nold = v->n, kept = 0;

    /* Keep an unchanged check by moving the old one into the new list. */
    for (size_t i = 0; i < n; i++) {
        for (size_t j = 0; j < nold; j++) {
            if (old[j] != NULL && same_config(old[j], cs[i])) {
                vcheck_unref(cs[i]);
                cs[i] = old[j];
                old[j] = NULL;
                kept++;
                break;
            }
        }
    }
    for (size_t j = 0; j < nold; j++)
        if (old[j] != NULL)
            engine_drop(v, old[j]);
    v->n = 0;
    if (reserve_checks(v, n) != VITALS_OK) {
        /* Only reachable out of memory: keep what fits in the old array. */
        n = n < v->cap ? n : v->cap;
    }
    for (size_t i = 0; i < n; i++) {
        v->checks[v->n++] = cs[i];
        if (cs[i]->heap_pos == NO_HEAP && !cs[i]->running)
            heap_schedule(v, cs[i], now + cs[i]->initial_delay_ns);
    }
    v->dirty = 1;
    return kept;
}

static int add_locked(vitals_t *v, vcheck_t *c)
{
    int rc;

    pthread_mutex_lock(&v->lock);
    rc = engine_add(v, c, vclock_mono(v->clock));
    pthread_cond_signal(&v->wake);
    pthread_mutex_unlock(&v->lock);
    return rc;
}

int vitals_add_check(vitals_t *v, const char *name,
                     const vitals_check_opts_t *opts, vitals_check_fn fn,
                     void *data, void (*free_data)(void *))
{
    vcheck_t *c;

    int invalid = v == NULL || fn == NULL || !vcheck_name_valid(name) ||
                  (opts != NULL && !opts_valid(opts));

    if (invalid || (c = vcheck_new(name, opts)) == NULL) {
        if (free_data != NULL)
            free_data(data);
        return invalid ? VITALS_EINVAL : VITALS_ENOMEM;
    }
    c->fn = fn;
    c->data = data;
    c->free_data = free_data;
    return add_locked(v, c);
}

int vitals_add_builtin(vitals_t *v, const char *name,
                       const vitals_check_opts_t *opts, const char *type,
                       const char *settings_json, char **err)
{
    const vcheck_type_t *t = type != NULL ? vcheck_type_find(type) : NULL;
    verrs_t *e = NULL;
    vnode_t *settings = NULL;
    vcheck_t *c = NULL;
    int rc = VITALS_ECONFIG;

    if (err != NULL)
        *err = NULL;
    if (v == NULL || name == NULL)
        return VITALS_EINVAL;
    if (t == NULL) {
        if (err != NULL && asprintf(err, "unknown check type '%s' (known: %s)",
                                    type ? type : "", vcheck_type_names()) < 0)
            *err = NULL;
        return VITALS_ETYPE;
    }
    if ((c = vcheck_new(name, opts)) == NULL)
        return VITALS_EINVAL;
    if ((e = verrs_new()) == NULL) {
        vcheck_unref(c);
        return VITALS_ENOMEM;
    }
    settings = vnode_from_json(settings_json ? settings_json : "{}", e);
    if (settings != NULL) {
        c->type = t;
        c->type_name = t->name;
        c->type_state = vcheck_configure(t, settings, NULL, e);
        vnode_map_done(settings, "settings", e);
    }
    if (e->n == 0 && c->type_state != NULL) {
        rc = add_locked(v, c);
        c = NULL;
    } else if (err != NULL) {
        *err = verrs_join(e);
    }
    vcheck_unref(c);
    vnode_free(settings);
    vitals_errors_free(e);
    return rc;
}

int vitals_push(vitals_t *v, const char *name, vitals_status_t status,
                const char *output)
{
    vcheck_t *c;
    int rc;

    if (v == NULL || name == NULL || status < VITALS_HEALTHY ||
        status > VITALS_UNHEALTHY)
        return VITALS_EINVAL;
    pthread_mutex_lock(&v->lock);
    if ((c = engine_find(v, name)) == NULL) {
        rc = VITALS_ENOENT;
    } else if (c->type != &vcheck_push) {
        rc = VITALS_ETYPE;
    } else {
        int64_t now = vclock_mono(v->clock);

        rc = vpush_report(c->type_state, status, output, now);
        /* Show the report now rather than at the next interval. */
        if (rc == VITALS_OK && !c->running)
            heap_schedule(v, c, now);
        pthread_cond_signal(&v->wake);
    }
    pthread_mutex_unlock(&v->lock);
    return rc;
}

int vitals_remove_check(vitals_t *v, const char *name)
{
    int rc;

    if (v == NULL || name == NULL)
        return VITALS_EINVAL;
    pthread_mutex_lock(&v->lock);
    rc = engine_remove(v, name);
    pthread_cond_signal(&v->wake);
    pthread_mutex_unlock(&v->lock);
    return rc;
}

/* ------------------------------------------------------------------------
 * The state machine
 */

static const char *status_word(int has, vitals_status_t s)
{
    return has ? vitals_status_name(s) : "not yet run";
}

static void set_reported(vitals_t *v, vcheck_t *c, vitals_status_t s,
                         const char *why)
{
    vitals_log_level_t level = s == VITALS_HEALTHY ? VITALS_LOG_INFO
                                                   : VITALS_LOG_WARN;

    vlog(v, level, "check %s: %s -> %s%s%s", c->name,
         status_word(c->has_reported, c->reported), vitals_status_name(s),
         why ? ": " : "", why ? why : "");
    c->reported = s;
    c->has_reported = 1;
    /* A status change is what readers wait for: publish it at once
     * rather than at the next publish interval. */
    v->urgent = 1;
}

/* Applies one finished (frozen) result to c; takes the reference on r. */
static void apply_result(vitals_t *v, vcheck_t *c, vitals_result_t *r,
                         int64_t start_real, int64_t duration)
{
    vitals_status_t s = r->status;
    const char *why = r->error != NULL ? r->error : r->description;

    /* A non-critical check can make the whole degraded, never unhealthy. */
    if (!c->critical && s == VITALS_UNHEALTHY)
        s = VITALS_DEGRADED;
    if (r->status != VITALS_HEALTHY) {
        if (c->contiguous_failures++ == 0)
            c->first_failure_ns = start_real;
        free(c->last_error);
        c->last_error = why != NULL ? strdup(why) : NULL;
    } else {
        c->contiguous_failures = 0;
        c->first_failure_ns = 0;
        c->last_success_ns = start_real;
    }
    if (c->has_reported && s == c->streak_status) {
        c->streak_len++;
    } else {
        c->streak_status = s;
        c->streak_len = 1;
    }
    if (!c->has_reported) {
        set_reported(v, c, s, s != VITALS_HEALTHY ? why : NULL);
    } else if (s != c->reported) {
        unsigned need = s == VITALS_HEALTHY ? c->success_threshold
                                            : c->failure_threshold;

        if (c->streak_len >= need)
            set_reported(v, c, s, s != VITALS_HEALTHY ? why : NULL);
    }
    vresult_unref(c->last);
    c->last = r;
    c->timestamp_ns = start_real;
    c->duration_ns = duration;
    v->dirty = 1;
}

static void apply_timeout(vitals_t *v, vcheck_t *c)
{
    vitals_result_t *r = vresult_new(v->clock, 0);
    char d[32];

    if (r == NULL)
        return;
    vitals_format_duration(c->timeout_ns / VCLOCK_MS, d, sizeof(d));
    vitals_result_set_error(r, "timed out after %s", d);
    r->timed_out = 1;
    vresult_freeze(r);
    apply_result(v, c, r, c->run_start_real, c->timeout_ns);
}

static vrun_t *start_run(vitals_t *v, vcheck_t *c, int64_t now)
{
    vrun_t *run = calloc(1, sizeof(*run));

    if (run == NULL)
        return NULL;
    run->start_mono = now;
    run->start_real = vclock_real(v->clock);
    run->result = vresult_new(v->clock, now + c->timeout_ns);
    if (run->result == NULL) {
        free(run);
        return NULL;
    }
    run->check = vcheck_ref(c);
    run->seq = ++c->run_seq;
    c->running = 1;
    c->timed_out = 0;
    c->run_start_mono = now;
    c->run_start_real = run->start_real;
    return run;
}

vrun_t *engine_due(vitals_t *v, int64_t now)
{
    vrun_t *head = NULL, **tail = &head;

    while (v->heap_n > 0 && v->heap[0]->wake <= now) {
        vcheck_t *c = v->heap[0];

        if (c->running) {
            /* The deadline passed: report it now, and wait for the run to
             * come back before scheduling the next one, so that a hung
             * check never runs twice at once. */
            heap_remove(v, c);
            c->timed_out = 1;
            apply_timeout(v, c);
            continue;
        }
        vrun_t *run = start_run(v, c, now);
        if (run == NULL) { /* out of memory: try again next interval */
            heap_schedule(v, c, now + c->interval_ns);
            continue;
        }
        heap_schedule(v, c, now + c->timeout_ns);
        *tail = run;
        tail = &run->next;
    }
    return head;
}

void vrun_free(vrun_t *run)
{
    if (run == NULL)
        return;
    vresult_unref(run->result);
    vcheck_unref(run->check);
    free(run);
}

void engine_finish(vitals_t *v, vrun_t *run, int64_t now)
{
    vcheck_t *c = run->check;
    int64_t next;

    if (c->removed || run->seq != c->run_seq || !c->running) {
        vrun_free(run);
        return;
    }
    c->running = 0;
    if (!c->timed_out && now - run->start_mono >= c->timeout_ns) {
        /* It came back at or after its deadline before the scheduler
         * noticed (an exec check kills its command right then): a timeout
         * all the same, whatever it reported. */
        apply_timeout(v, c);
    } else if (!c->timed_out) {
        vresult_freeze(run->result);
        apply_result(v, c, vresult_ref(run->result), run->start_real,
                     now - run->start_mono);
    }
    c->timed_out = 0;
    /* Keep the cadence of the schedule; a late run starts now. */
    next = run->start_mono + c->interval_ns;
    heap_schedule(v, c, next > now ? next : now);
    vrun_free(run);
}

void engine_execute(vrun_t *run)
{
    vcheck_t *c = run->check;

    if (c->type != NULL)
        c->type->run(c->type_state, run->result);
    else
        c->fn(run->result, c->data);
}

void engine_publish(vitals_t *v, int64_t now)
{
    vitals_snapshot_t *s;

    if (!v->dirty)
        return;
    if ((s = vsnap_build(v)) == NULL)
        return; /* out of memory: the old snapshot keeps serving */
    v->dirty = 0;
    v->urgent = 0;
    v->last_publish = now;
    vsnap_swap(v, s);
}
