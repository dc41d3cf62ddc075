/* notifier.c - the notifier's thread: it wakes on a new snapshot, a due
 * retry, a held-back notification or a target's periodic work, compares
 * the latest snapshot with the one before for every alert target, and
 * delivers each target's queue in order, retrying with back-off. It is the
 * only thread that touches targets once they are handed over. */
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "notify/notify.h"
#include "util/clock.h"
#include "util/fetch.h"
#include "util/text.h"

struct vnotifier {
    pthread_mutex_t mu;
    pthread_cond_t cond; /* on CLOCK_MONOTONIC */
    vnotify_latest_fn latest;
    vnotify_log_fn log;
    void *ctx;
    /* Under mu. */
    int woken;
    int has_incoming;
    vnotify_targets_t *incoming;
    /* The thread's. */
    atomic_int stop;
    int running;
    pthread_t thread;
    vnotify_targets_t *targets;
    vitals_snapshot_t *snap;
    int observed; /* snap was compared already */
};

/* ------------------------------------------------------------------------
 * For the types
 */

const vitals_snapshot_t *vnotifier_snapshot(const vnotifier_t *n)
{
    return n->snap;
}

void vnotifier_log(vnotifier_t *n, vitals_log_level_t level,
                   const char *fmt, ...)
{
    char buf[1024];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    n->log(n->ctx, level, buf);
}

int vnotify_enqueue(vnotifier_t *n, vnotify_target_t *t, char *body,
                    const char *what, int retry, int64_t now)
{
    vnotify_run_t *r = &t->run;
    vnotify_msg_t *m = calloc(1, sizeof(*m));

    if (m == NULL || body == NULL) {
        free(m);
        free(body);
        vnotifier_log(n, VITALS_LOG_ERROR,
                      "notify %s: out of memory: %s not sent", t->label,
                      what);
        return -1;
    }
    if (r->queued == VNOTIFY_QUEUE_MAX) {
        vnotify_msg_t *old = r->head;

        vnotifier_log(n, VITALS_LOG_WARN,
                      "notify %s: %d notifications waiting: dropped the "
                      "oldest (%s)",
                      t->label, VNOTIFY_QUEUE_MAX, old->what);
        r->head = old->next;
        r->queued--;
        free(old->body);
        free(old);
    }
    m->body = body;
    m->len = strlen(body);
    snprintf(m->what, sizeof(m->what), "%s", what);
    m->retry = retry;
    m->due = now;
    if (r->head == NULL)
        r->head = m;
    else
        r->tail->next = m;
    r->tail = m;
    r->queued++;
    return 0;
}

/* The status and the first line of the answer, which says why a receiver
 * refused (Alertmanager names the bad label), escaped for a log line. */
static void refusal(const vfetch_resp_t *resp, char *why, size_t whylen)
{
    char line[128], esc[256];
    size_t k = resp->body ? strcspn(resp->body, "\r\n") : 0;

    if (k > sizeof(line) - 1)
        k = sizeof(line) - 1;
    memcpy(line, resp->body ? resp->body : "", k);
    line[k] = '\0';
    vtext_escape(esc, sizeof(esc), line);
    snprintf(why, whylen, "HTTP %ld%s%s", resp->status, k ? ": " : "", esc);
}

int vnotify_send(const vnotify_target_t *t, const char *method,
                 const char *body, size_t len, char *why, size_t whylen)
{
    const vnotify_conf_t *c = &t->conf;
    vfetch_req_t req = {
        .url = c->post_url,
        .method = method,
        .body = body,
        .body_len = len,
        .headers = c->http.headers,
        .verify = c->http.verify,
        .ca_file = c->http.ca_file,
        .timeout_ms = c->timeout_ms,
        .body_max = 512,
    };
    vfetch_resp_t resp;
    int ok = 0;

    if (vfetch(&req, &resp, why, whylen) == VFETCH_OK) {
        ok = resp.status >= 200 && resp.status < 300;
        if (!ok)
            refusal(&resp, why, whylen);
    }
    vfetch_resp_clear(&resp);
    return ok;
}

/* ------------------------------------------------------------------------
 * Delivery
 */

/* Worth another try: no answer, or one that says "later". */
static int transient(const char *why)
{
    long status;

    if (sscanf(why, "HTTP %ld", &status) != 1)
        return 1;
    return status >= 500 || status == 429 || status == 408;
}

static int64_t backoff_ns(const vnotify_conf_t *c, unsigned attempts)
{
    int64_t ms = c->backoff_ms;

    for (unsigned i = 1; i < attempts && ms < VNOTIFY_BACKOFF_MAX_MS; i++)
        ms *= 2;
    return (ms < VNOTIFY_BACKOFF_MAX_MS ? ms : VNOTIFY_BACKOFF_MAX_MS) *
           VCLOCK_MS;
}

static void pop(vnotify_run_t *r)
{
    vnotify_msg_t *m = r->head;

    r->head = m->next;
    if (r->head == NULL)
        r->tail = NULL;
    r->queued--;
    free(m->body);
    free(m);
}

/* Sends the head of t's queue; on a transient failure with retries left,
 * schedules it again (in order: what follows waits). */
static void deliver(vnotifier_t *n, vnotify_target_t *t, int64_t now)
{
    vnotify_msg_t *m = t->run.head;
    unsigned retries = m->retry ? t->conf.retries : 0;
    char why[256];

    why[0] = '\0';
    m->attempts++;
    if (vnotify_send(t, "POST", m->body, m->len, why, sizeof(why))) {
        vnotifier_log(n, VITALS_LOG_INFO, "notify %s: sent %s", t->label,
                      m->what);
        pop(&t->run);
        return;
    }
    if (m->attempts <= retries && transient(why)) {
        m->due = now + backoff_ns(&t->conf, m->attempts);
        vnotifier_log(n, VITALS_LOG_WARN,
                      "notify %s: %s failed (%s); retrying in %lld ms (%u "
                      "left)",
                      t->label, m->what, why,
                      (long long)((m->due - now) / VCLOCK_MS),
                      retries + 1 - m->attempts);
        return;
    }
    vnotifier_log(n, VITALS_LOG_ERROR, "notify %s: %s not sent: %s",
                  t->label, m->what, why);
    pop(&t->run);
}

/* The due head messages of t, in order. Returns when the next is due. */
static int64_t deliver_due(vnotifier_t *n, vnotify_target_t *t)
{
    int64_t now = vclock_mono(&vclock_system);

    while (t->run.head != NULL && t->run.head->due <= now &&
           !atomic_load(&n->stop)) {
        deliver(n, t, now);
        now = vclock_mono(&vclock_system);
    }
    return t->run.head != NULL ? t->run.head->due : INT64_MAX;
}

/* ------------------------------------------------------------------------
 * Alert transitions
 */

static void emit(vnotify_target_t *t, const vnotify_event_t *ev, void *arg)
{
    vnotifier_t *n = arg;
    char what[96];

    snprintf(what, sizeof(what), "%s %s", ev->alert->check,
             ev->firing ? "firing" : "resolved");
    vnotify_enqueue(n, t, t->type->render(t, ev), what, 1,
                    vclock_mono(&vclock_system));
}

/* Takes the latest snapshot, and compares it once with the one before. */
static void refresh(vnotifier_t *n)
{
    vitals_snapshot_t *s = n->latest(n->ctx);

    if (s == NULL)
        return;
    /* The one held is never freed, so no newer one has its address. */
    if (s == n->snap) {
        vitals_snapshot_release(s);
        return;
    }
    vitals_snapshot_release(n->snap);
    n->snap = s;
    n->observed = 0;
}

/* Everything due at now for every target; returns the next due time. */
static int64_t work(vnotifier_t *n)
{
    int64_t next = INT64_MAX, now = vclock_mono(&vclock_system);
    int64_t now_ns = vclock_real(&vclock_system), due;
    vnotify_targets_t *ts = n->targets;

    for (size_t i = 0; ts != NULL && i < ts->n; i++) {
        vnotify_target_t *t = ts->v[i];

        if (t->type->alerts && !n->observed && n->snap != NULL &&
            vnotify_observe(t, n->snap, now_ns) != 0)
            vnotifier_log(n, VITALS_LOG_ERROR,
                          "notify %s: out of memory", t->label);
        if (t->type->alerts &&
            (due = vnotify_flush(t, n->snap, now, now_ns, emit, n)) < next)
            next = due;
        if (t->type->tick != NULL && t->run.next_tick <= now)
            t->run.next_tick = t->type->tick(n, t, now);
        if (t->type->tick != NULL && t->run.next_tick < next)
            next = t->run.next_tick;
        if ((due = deliver_due(n, t)) < next)
            next = due;
    }
    n->observed = 1;
    return next;
}

/* ------------------------------------------------------------------------
 * Targets handed over
 */

static int same_target(const vnotify_target_t *a, const vnotify_target_t *b)
{
    const char *an = a->conf.name ? a->conf.name : "";
    const char *bn = b->conf.name ? b->conf.name : "";

    return a->type == b->type && strcmp(an, bn) == 0 &&
           strcmp(a->conf.http.url, b->conf.http.url) == 0;
}

/* The new targets keep the state of the old ones they match; the old
 * targets (with what they did not hand on) are freed. */
static void adopt(vnotifier_t *n, vnotify_targets_t *ts)
{
    vnotify_targets_t *old = n->targets;

    for (size_t i = 0; ts != NULL && old != NULL && i < ts->n; i++) {
        for (size_t j = 0; j < old->n; j++) {
            vnotify_run_t r;

            if (old->v[j] == NULL || !same_target(ts->v[i], old->v[j]))
                continue;
            r = ts->v[i]->run;
            ts->v[i]->run = old->v[j]->run;
            old->v[j]->run = r;
            break;
        }
    }
    vnotify_targets_free(old);
    n->targets = ts;
    n->observed = 0; /* new targets see the latest snapshot too */
}

/* ------------------------------------------------------------------------
 * The thread
 */

static void wait_until(vnotifier_t *n, int64_t due)
{
    struct timespec ts = vclock_timespec(due);

    if (due == INT64_MAX)
        pthread_cond_wait(&n->cond, &n->mu);
    else
        pthread_cond_timedwait(&n->cond, &n->mu, &ts);
}

static void *thread_main(void *arg)
{
    vnotifier_t *n = arg;
    vnotify_targets_t *ts;
    int has;
    int64_t next;

    while (!atomic_load(&n->stop)) {
        pthread_mutex_lock(&n->mu);
        has = n->has_incoming;
        ts = n->incoming;
        n->incoming = NULL;
        n->has_incoming = 0;
        n->woken = 0;
        pthread_mutex_unlock(&n->mu);
        if (has)
            adopt(n, ts);
        refresh(n);
        next = work(n);
        pthread_mutex_lock(&n->mu);
        if (!n->woken && !n->has_incoming && !atomic_load(&n->stop) &&
            next > vclock_mono(&vclock_system))
            wait_until(n, next);
        pthread_mutex_unlock(&n->mu);
    }
    return NULL;
}

vnotifier_t *vnotifier_new(vnotify_latest_fn latest, vnotify_log_fn log,
                           void *ctx)
{
    vnotifier_t *n = calloc(1, sizeof(*n));
    pthread_condattr_t attr;

    if (n == NULL)
        return NULL;
    n->latest = latest;
    n->log = log;
    n->ctx = ctx;
    atomic_init(&n->stop, 0);
    pthread_mutex_init(&n->mu, NULL);
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&n->cond, &attr);
    pthread_condattr_destroy(&attr);
    return n;
}

int vnotifier_start(vnotifier_t *n)
{
    if (n->running)
        return VITALS_OK;
    atomic_store(&n->stop, 0);
    if (pthread_create(&n->thread, NULL, thread_main, n) != 0)
        return VITALS_ESYS;
    n->running = 1;
    return VITALS_OK;
}

void vnotifier_stop(vnotifier_t *n)
{
    if (n == NULL || !n->running)
        return;
    pthread_mutex_lock(&n->mu);
    atomic_store(&n->stop, 1);
    pthread_cond_signal(&n->cond);
    pthread_mutex_unlock(&n->mu);
    pthread_join(n->thread, NULL);
    n->running = 0;
}

void vnotifier_wake(vnotifier_t *n)
{
    pthread_mutex_lock(&n->mu);
    n->woken = 1;
    pthread_cond_signal(&n->cond);
    pthread_mutex_unlock(&n->mu);
}

void vnotifier_set_targets(vnotifier_t *n, vnotify_targets_t *ts)
{
    vnotify_targets_t *dropped;

    pthread_mutex_lock(&n->mu);
    dropped = n->incoming;
    n->incoming = ts;
    n->has_incoming = 1;
    pthread_cond_signal(&n->cond);
    pthread_mutex_unlock(&n->mu);
    vnotify_targets_free(dropped);
}

void vnotifier_free(vnotifier_t *n)
{
    if (n == NULL)
        return;
    vnotifier_stop(n);
    vnotify_targets_free(n->incoming);
    vnotify_targets_free(n->targets);
    vitals_snapshot_release(n->snap);
    pthread_cond_destroy(&n->cond);
    pthread_mutex_destroy(&n->mu);
    free(n);
}
