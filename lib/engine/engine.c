/* engine.c - the engine's checks and the scheduling state machine: which
 * check runs when, what a result or a timeout does to a check's reported
 * status, and when a new snapshot is due. */
#include "engine/engine.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "checks/push.h"
#include "util/duration.h"
#include "util/text.h"
#include "util/utf8.h"

#define NO_HEAP SIZE_MAX

/* Every message reaches the log callback as one line of printable text:
 * a check's output or a pushed report may carry newlines and terminal
 * escapes that would otherwise forge log lines. */
void vengine_log(vengine_t *e, vitals_log_level_t level, const char *fmt, ...)
{
    char buf[1024], line[2048];
    va_list ap;

    if (e->log_fn == NULL)
        return;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    vtext_escape(line, sizeof(line), buf);
    e->log_fn(level, line, e->log_data);
}

/* ------------------------------------------------------------------------
 * The engine
 */

vengine_t *vengine_new(void)
{
    vengine_t *e = calloc(1, sizeof(*e));
    pthread_condattr_t ca;

    if (e == NULL)
        return NULL;
    e->clock = &vclock_system;
    e->publish_interval_ns = 100 * VCLOCK_MS;
    atomic_init(&e->max_workers, VENGINE_MAX_WORKERS);
    pthread_mutex_init(&e->lock, NULL);
    pthread_mutex_init(&e->snap_lock, NULL);
    /* The scheduler sleeps against the monotonic clock: a wall clock jump
     * must not stall or rush the checks. */
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&e->wake, &ca);
    pthread_condattr_destroy(&ca);
    e->dirty = 1;
    vengine_publish(e, vclock_mono(e->clock));
    if (e->snap == NULL) {
        vengine_free(e);
        return NULL;
    }
    return e;
}

void vengine_free(vengine_t *e)
{
    if (e == NULL)
        return;
    vrunner_stop(e);
    for (size_t i = 0; i < e->n; i++) {
        e->checks[i]->removed = 1;
        vcheck_unref(e->checks[i]);
    }
    free(e->checks);
    free(e->heap);
    vitals_snapshot_release(e->snap);
    free(e->service_id);
    free(e->service_description);
    free(e->service_version);
    free(e->service_release);
    free(e->service_instance);
    free(e->maint_reason);
    pthread_cond_destroy(&e->wake);
    pthread_mutex_destroy(&e->snap_lock);
    pthread_mutex_destroy(&e->lock);
    free(e);
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

int vengine_set_service(vengine_t *e, const char *id, const char *description,
                        const char *version, const char *release_id)
{
    int rc = VITALS_OK;

    pthread_mutex_lock(&e->lock);
    if (replace_str(&e->service_id, id) ||
        replace_str(&e->service_description, description) ||
        replace_str(&e->service_version, version) ||
        replace_str(&e->service_release, release_id))
        rc = VITALS_ENOMEM;
    e->dirty = 1;
    pthread_cond_signal(&e->wake);
    pthread_mutex_unlock(&e->lock);
    return rc;
}

int vengine_set_instance(vengine_t *e, const char *instance)
{
    int rc;

    pthread_mutex_lock(&e->lock);
    rc = replace_str(&e->service_instance, instance);
    e->dirty = 1;
    pthread_cond_signal(&e->wake);
    pthread_mutex_unlock(&e->lock);
    return rc;
}

void vengine_set_log(vengine_t *e, vitals_log_fn fn, void *data)
{
    pthread_mutex_lock(&e->lock);
    e->log_fn = fn;
    e->log_data = data;
    pthread_mutex_unlock(&e->lock);
}

/* ------------------------------------------------------------------------
 * Registration
 */

static int reserve_checks(vengine_t *e, size_t n)
{
    vcheck_t **a;
    size_t cap;

    if (n <= e->cap)
        return vheap_reserve(e, n);
    cap = e->cap ? e->cap * 2 : 16;
    while (cap < n)
        cap *= 2;
    if ((a = realloc(e->checks, cap * sizeof(*a))) == NULL)
        return VITALS_ENOMEM;
    e->checks = a;
    e->cap = cap;
    return vheap_reserve(e, n);
}

vcheck_t *vengine_find(vengine_t *e, const char *name)
{
    for (size_t i = 0; i < e->n; i++)
        if (strcmp(e->checks[i]->name, name) == 0)
            return e->checks[i];
    return NULL;
}

int vengine_add_locked(vengine_t *e, vcheck_t *c, int64_t now)
{
    int rc;

    if (vengine_find(e, c->name) != NULL) {
        vcheck_unref(c);
        return VITALS_EEXIST;
    }
    if ((rc = reserve_checks(e, e->n + 1)) != VITALS_OK) {
        vcheck_unref(c);
        return rc;
    }
    e->checks[e->n++] = c;
    vheap_schedule(e, c, now + c->initial_delay_ns);
    e->dirty = 1;
    return VITALS_OK;
}

static void engine_drop(vengine_t *e, vcheck_t *c)
{
    vheap_remove(e, c);
    c->removed = 1; /* a run still out sees this and is discarded */
    vcheck_unref(c);
}

static int remove_locked(vengine_t *e, const char *name)
{
    for (size_t i = 0; i < e->n; i++) {
        vcheck_t *c = e->checks[i];

        if (strcmp(c->name, name) != 0)
            continue;
        memmove(&e->checks[i], &e->checks[i + 1],
                (e->n - i - 1) * sizeof(*e->checks));
        e->n--;
        engine_drop(e, c);
        e->dirty = 1;
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

size_t vengine_replace(vengine_t *e, vcheck_t **cs, size_t n, int64_t now)
{
    vcheck_t **old = e->checks;
    size_t nold = e->n, kept = 0;

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
            engine_drop(e, old[j]);
    e->n = 0;
    if (reserve_checks(e, n) != VITALS_OK) {
        /* Only reachable out of memory: keep what fits in the old array. */
        n = n < e->cap ? n : e->cap;
    }
    for (size_t i = 0; i < n; i++) {
        e->checks[e->n++] = cs[i];
        if (cs[i]->heap_pos == NO_HEAP && !cs[i]->running)
            vheap_schedule(e, cs[i], now + cs[i]->initial_delay_ns);
    }
    e->dirty = 1;
    return kept;
}

int vengine_add(vengine_t *e, vcheck_t *c)
{
    int rc;

    pthread_mutex_lock(&e->lock);
    rc = vengine_add_locked(e, c, vclock_mono(e->clock));
    pthread_cond_signal(&e->wake);
    pthread_mutex_unlock(&e->lock);
    return rc;
}

int vengine_remove(vengine_t *e, const char *name)
{
    int rc;

    pthread_mutex_lock(&e->lock);
    rc = remove_locked(e, name);
    pthread_cond_signal(&e->wake);
    pthread_mutex_unlock(&e->lock);
    return rc;
}

size_t vengine_apply(vengine_t *e, vcheck_t **cs, size_t n)
{
    size_t kept;

    pthread_mutex_lock(&e->lock);
    kept = vengine_replace(e, cs, n, vclock_mono(e->clock));
    /* Publish now: a removed check must not be served a moment longer. */
    vengine_publish(e, vclock_mono(e->clock));
    pthread_cond_signal(&e->wake);
    pthread_mutex_unlock(&e->lock);
    return kept;
}

int vengine_push(vengine_t *e, const char *name, vitals_status_t status,
                 const char *output)
{
    vcheck_t *c;
    int rc;

    if (name == NULL || status < VITALS_HEALTHY ||
        status > VITALS_UNHEALTHY)
        return VITALS_EINVAL;
    pthread_mutex_lock(&e->lock);
    if ((c = vengine_find(e, name)) == NULL) {
        rc = VITALS_ENOENT;
    } else if (c->type != &vcheck_push) {
        rc = VITALS_ETYPE;
    } else {
        int64_t now = vclock_mono(e->clock);

        rc = vpush_report(c->type_state, status, output, now);
        /* Show the report now rather than at the next interval. */
        if (rc == VITALS_OK && !c->running)
            vheap_schedule(e, c, now);
        pthread_cond_signal(&e->wake);
    }
    pthread_mutex_unlock(&e->lock);
    return rc;
}

/* ------------------------------------------------------------------------
 * The lifecycle
 */

void vengine_drain(vengine_t *e, int fails_all)
{
    pthread_mutex_lock(&e->lock);
    if (!e->draining)
        vengine_log(e, VITALS_LOG_INFO, "draining: readiness fails from now "
                                        "on");
    e->draining = 1;
    e->drain_fails_all = fails_all != 0;
    e->dirty = e->urgent = 1;
    vengine_publish(e, vclock_mono(e->clock));
    pthread_cond_signal(&e->wake);
    pthread_mutex_unlock(&e->lock);
}

int vengine_maintenance(vengine_t *e, const char *reason, int64_t for_ms)
{
    char *copy = NULL;
    int64_t now;

    if (for_ms < 0 || for_ms > INT64_MAX / VCLOCK_MS / 2)
        return VITALS_EINVAL;
    if (reason != NULL &&
        (copy = vutf8_clean(reason, strlen(reason), 1)) == NULL)
        return VITALS_ENOMEM;
    pthread_mutex_lock(&e->lock);
    now = vclock_mono(e->clock);
    free(e->maint_reason);
    e->maint_reason = copy;
    e->maint_until = copy != NULL && for_ms > 0 ? now + for_ms * VCLOCK_MS
                                                 : 0;
    vengine_log(e, VITALS_LOG_INFO, copy ? "maintenance on: %s" : "maintenance off%s",
                copy ? copy : "");
    e->dirty = e->urgent = 1;
    vengine_publish(e, now);
    pthread_cond_signal(&e->wake);
    pthread_mutex_unlock(&e->lock);
    return VITALS_OK;
}

/* Ends a timed maintenance and keeps snapshots coming (e->lock held). */
int64_t vengine_tick(vengine_t *e, int64_t now)
{
    int64_t next = e->last_publish + VSNAP_HEARTBEAT_NS;

    if (e->maint_until != 0 && now >= e->maint_until) {
        vengine_log(e, VITALS_LOG_INFO, "maintenance over: %s",
                    e->maint_reason);
        free(e->maint_reason);
        e->maint_reason = NULL;
        e->maint_until = 0;
        e->dirty = e->urgent = 1;
    }
    if (now >= next) {
        e->dirty = 1; /* a heartbeat: the scheduler is alive */
        next = now + VSNAP_HEARTBEAT_NS;
    }
    if (e->maint_until != 0 && e->maint_until < next)
        next = e->maint_until;
    return next;
}

/* ------------------------------------------------------------------------
 * The state machine
 */

static const char *status_word(int has, vitals_status_t s)
{
    return has ? vitals_status_name(s) : "not yet run";
}

static void set_reported(vengine_t *e, vcheck_t *c, vitals_status_t s,
                         const char *why)
{
    vitals_log_level_t level = s == VITALS_HEALTHY ? VITALS_LOG_INFO
                                                   : VITALS_LOG_WARN;
    vstreak_t *k = &c->streak;

    vengine_log(e, level, "check %s: %s -> %s%s%s", c->name,
         status_word(c->has_reported, k->status), vitals_status_name(s),
         why ? ": " : "", why ? why : "");
    if (c->has_reported)
        c->transitions++;
    /* The same status as before a restart: it has held since then. */
    if (c->has_reported || !k->has_status || s != k->status ||
        k->since_ns == 0)
        k->since_ns = vclock_real(e->clock);
    k->status = s;
    k->has_status = 1;
    c->has_reported = 1;
    /* A status change is what readers wait for: publish it at once
     * rather than at the next publish interval. */
    e->urgent = 1;
}

/* Hands the run just applied to the history (e->lock held). has_from and
 * from: the reported status before the run, of this process or restored. */
static void emit_run(vengine_t *e, const vcheck_t *c, vitals_status_t result,
                     const char *why, int64_t start_real, int64_t duration,
                     int has_from, vitals_status_t from)
{
    vhist_rec_t h = {
        .check = c->name, .time_ns = start_real, .duration_ns = duration,
        .status = c->streak.status, .result = result,
        .error = result != VITALS_HEALTHY ? why : NULL,
        .transition = !has_from || from != c->streak.status,
        .has_from = has_from, .from = from, .streak = c->streak};

    if (e->on_run != NULL)
        e->on_run(&h, e->on_run_data);
}

/* Applies one finished (frozen) result to c; takes the reference on r. */
static void apply_result(vengine_t *e, vcheck_t *c, vitals_result_t *r,
                         int64_t start_real, int64_t duration)
{
    vstreak_t *k = &c->streak;
    vitals_status_t s = r->status, before = k->status;
    const char *why = r->error != NULL ? r->error : r->description;
    int had = k->has_status;

    c->runs[r->status]++;
    /* A non-critical check can make the whole degraded, never unhealthy. */
    if (!c->critical && s == VITALS_UNHEALTHY)
        s = VITALS_DEGRADED;
    if (r->status != VITALS_HEALTHY) {
        if (k->contiguous_failures++ == 0)
            k->first_failure_ns = start_real;
        free(c->last_error);
        c->last_error = why != NULL ? strdup(why) : NULL;
    } else {
        k->contiguous_failures = 0;
        k->first_failure_ns = 0;
        k->last_success_ns = start_real;
    }
    if (c->has_reported && s == c->streak_status) {
        c->streak_len++;
    } else {
        c->streak_status = s;
        c->streak_len = 1;
    }
    if (!c->has_reported) {
        set_reported(e, c, s, s != VITALS_HEALTHY ? why : NULL);
    } else if (s != k->status) {
        unsigned need = s == VITALS_HEALTHY ? c->success_threshold
                                            : c->failure_threshold;

        if (c->streak_len >= need)
            set_reported(e, c, s, s != VITALS_HEALTHY ? why : NULL);
    }
    emit_run(e, c, r->status, why, start_real, duration, had, before);
    vresult_unref(c->last);
    c->last = r;
    c->timestamp_ns = start_real;
    c->duration_ns = duration;
    e->dirty = 1;
}

static void apply_timeout(vengine_t *e, vcheck_t *c)
{
    vitals_result_t *r = vresult_new(e->clock, 0);
    char d[32];

    if (r == NULL)
        return;
    vitals_format_duration(c->timeout_ns / VCLOCK_MS, d, sizeof(d));
    vitals_result_set_error(r, "timed out after %s", d);
    r->timed_out = 1;
    c->timeouts++;
    vresult_freeze(r);
    apply_result(e, c, r, c->run_start_real, c->timeout_ns);
}

static vrun_t *start_run(vengine_t *e, vcheck_t *c, int64_t now)
{
    vrun_t *run = calloc(1, sizeof(*run));

    if (run == NULL)
        return NULL;
    run->start_mono = now;
    run->start_real = vclock_real(e->clock);
    run->result = vresult_new(e->clock, now + c->timeout_ns);
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

vrun_t *vengine_due(vengine_t *e, int64_t now)
{
    vrun_t *head = NULL, **tail = &head;

    while (e->heap_n > 0 && e->heap[0]->wake <= now) {
        vcheck_t *c = e->heap[0];

        if (c->running) {
            /* The deadline passed: report it now, and wait for the run to
             * come back before scheduling the next one, so that a hung
             * check never runs twice at once. */
            vheap_remove(e, c);
            c->timed_out = 1;
            apply_timeout(e, c);
            continue;
        }
        vrun_t *run = start_run(e, c, now);
        if (run == NULL) { /* out of memory: try again next interval */
            vheap_schedule(e, c, now + c->interval_ns);
            continue;
        }
        vheap_schedule(e, c, now + c->timeout_ns);
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

void vengine_finish(vengine_t *e, vrun_t *run, int64_t now)
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
        apply_timeout(e, c);
    } else if (!c->timed_out) {
        vresult_freeze(run->result);
        apply_result(e, c, vresult_ref(run->result), run->start_real,
                     now - run->start_mono);
    }
    c->timed_out = 0;
    /* Keep the cadence of the schedule; a late run starts now. */
    next = run->start_mono + c->interval_ns;
    vheap_schedule(e, c, next > now ? next : now);
    vrun_free(run);
}

void vengine_execute(vrun_t *run)
{
    vcheck_t *c = run->check;

    if (c->type != NULL)
        c->type->run(c->type_state, run->result);
    else
        c->fn(run->result, c->data);
}

