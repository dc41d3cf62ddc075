/* history.c - the history's writer: a bounded queue of runs, one thread
 * that writes them to the store in batches, reconnects with back-off and
 * applies retention, and the read side (query.h) that chooses between the
 * rings and the store. See history.h for the contract. */
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/history.h"
#include "store/queue.h"
#include "util/clock.h"

#define BACKOFF_MIN_NS (100 * VCLOCK_MS)
#define BACKOFF_MAX_NS (5 * VCLOCK_S)
#define RETAIN_EVERY_NS (60 * VCLOCK_S)
#define RETAIN_CHUNK 5000
/* Transitions waiting for the callback at most (each is also a run). */
#define TQ_MAX 4096
#define MAX_STATES 8

struct vhistory {
    vhist_conf_t conf;
    vstore_t *store;
    vrings_t *rings;
    vitals_log_fn log;
    void *log_data;

    pthread_mutex_t mu; /* everything below */
    pthread_cond_t cv;
    qlist_t q;  /* runs for the store */
    qlist_t tq; /* transitions for the callback */
    struct {
        char *key, *value;
        int del;
    } states[MAX_STATES];
    size_t nstates;
    vitals_transition_fn on_transition;
    void *on_transition_data;
    int started, stopping;
    int64_t flush_until; /* monotonic: stop trying to flush after this */
    pthread_t thread;

    atomic_uint_fast64_t dropped;
    /* The writer's own. */
    int down;            /* in an outage (logged once) */
    uint64_t down_drops; /* dropped when the outage began */
    int64_t backoff, retry_at, retain_at;
    int retaining;
};

static void hlog(vhistory_t *h, vitals_log_level_t level, const char *fmt,
                 ...) VITALS_PRINTF(3, 4);
static void hlog(vhistory_t *h, vitals_log_level_t level, const char *fmt,
                 ...)
{
    char buf[1024];
    va_list ap;

    if (h->log == NULL)
        return;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    h->log(level, buf, h->log_data);
}

void vhist_conf_default(vhist_conf_t *c)
{
    memset(c, 0, sizeof(*c));
    c->store = VSTORE_MEMORY;
    c->retention_ms = VHIST_RETENTION_MS;
    c->max_rows_per_check = VHIST_MAX_ROWS;
    c->ring = VHIST_RING;
    c->buffer = VHIST_BUFFER;
    c->batch = VHIST_BATCH;
    c->flush_ms = VHIST_FLUSH_MS;
}

void vhist_conf_clear(vhist_conf_t *c)
{
    free(c->path);
    if (c->dsn != NULL)
        memset(c->dsn, 0, strlen(c->dsn));
    free(c->dsn);
    c->path = c->dsn = NULL;
}

/* ------------------------------------------------------------------------
 * Life
 */

vhistory_t *vhistory_new(const vhist_conf_t *conf, const char *service,
                         const char *instance, const char *state_dir,
                         vitals_log_fn log, void *log_data)
{
    vhistory_t *h = calloc(1, sizeof(*h));
    char *path = NULL;

    if (h == NULL)
        return NULL;
    h->conf = *conf;
    h->conf.path = h->conf.dsn = NULL;
    h->log = log;
    h->log_data = log_data;
    pthread_mutex_init(&h->mu, NULL);
    pthread_cond_init(&h->cv, NULL);
    ql_init(&h->q);
    ql_init(&h->tq);
    if (conf->store == VSTORE_SQLITE && conf->path == NULL &&
        asprintf(&path, "%s/%s", state_dir ? state_dir : ".", VHIST_FILE) < 0)
        path = NULL;
    h->rings = vrings_new(conf->ring);
    h->store = vstore_new(conf->store, service, instance,
                          path != NULL ? path : conf->path, conf->dsn);
    free(path);
    if (h->rings == NULL || h->store == NULL) {
        vhistory_free(h);
        return NULL;
    }
    return h;
}

int vhistory_open(vhistory_t *h, char **err)
{
    *err = NULL;
    if (h->store->ops->connect(h->store) == 0)
        return 0;
    if (h->store->ops == &vstore_postgres) {
        /* The database may come later: keep checking and buffering. */
        hlog(h, VITALS_LOG_WARN,
             "history: %s: keeping up to %u runs in memory until it can be "
             "written",
             h->store->err, h->conf.buffer);
        h->down = 1;
        h->retry_at = vclock_mono(&vclock_system) + BACKOFF_MIN_NS;
        h->backoff = BACKOFF_MIN_NS;
        return 0;
    }
    if ((*err = strdup(h->store->err)) == NULL)
        return -1;
    return -1;
}

void vhistory_use_memory(vhistory_t *h)
{
    vstore_t *m = vstore_new(VSTORE_MEMORY, h->store->service,
                             h->store->instance, NULL, NULL);

    if (m == NULL)
        return;
    vstore_free(h->store);
    h->store = m;
    h->conf.store = VSTORE_MEMORY;
}

int vhistory_streaks(vhistory_t *h, vstore_streak_fn fn, void *data)
{
    if (h->down)
        return -1;
    if (h->store->ops->streaks(h->store, fn, data) != 0) {
        hlog(h, VITALS_LOG_WARN, "history: streaks not restored: %s",
             h->store->err);
        return -1;
    }
    return 0;
}

int vhistory_get_state(vhistory_t *h, const char *key, char **value)
{
    *value = NULL;
    return h->down ? -1 : h->store->ops->get_state(h->store, key, value);
}

void vhistory_put_state(vhistory_t *h, const char *key, const char *value)
{
    size_t i;

    pthread_mutex_lock(&h->mu);
    for (i = 0; i < h->nstates && strcmp(h->states[i].key, key) != 0; i++)
        continue;
    if (i == h->nstates && i < MAX_STATES &&
        (h->states[i].key = strdup(key)) != NULL) {
        h->states[i].value = NULL; /* a new slot holds nothing yet */
        h->nstates++;
    }
    if (i < h->nstates) {
        free(h->states[i].value);
        h->states[i].value = value != NULL ? strdup(value) : NULL;
        h->states[i].del = value == NULL;
    }
    pthread_cond_signal(&h->cv);
    pthread_mutex_unlock(&h->mu);
}

void vhistory_on_transition(vhistory_t *h, vitals_transition_fn fn,
                            void *data)
{
    pthread_mutex_lock(&h->mu);
    h->on_transition = fn;
    h->on_transition_data = data;
    pthread_mutex_unlock(&h->mu);
}

void vhistory_record(vhistory_t *h, const vhist_rec_t *r)
{
    qrec_t *q = NULL, *t = NULL, *old;

    /* The rings first: what /history reads is current at once. */
    if (vrings_add(h->rings, r) != VITALS_OK)
        atomic_fetch_add(&h->dropped, 1);
    if (h->store->ops->persistent && (q = qrec_copy(r)) == NULL)
        atomic_fetch_add(&h->dropped, 1);
    if (r->transition) /* rare: whether anyone listens is read below */
        t = qrec_copy(r);
    pthread_mutex_lock(&h->mu);
    if (q != NULL) {
        ql_push(&h->q, q);
        /* Full: the oldest goes, so that the newest (and the streaks the
         * store restores) are kept. */
        while (h->q.n > h->conf.buffer && (old = ql_pop(&h->q)) != NULL) {
            free(old);
            atomic_fetch_add(&h->dropped, 1);
        }
    }
    if (t != NULL && h->on_transition != NULL && h->tq.n < TQ_MAX)
        ql_push(&h->tq, t);
    else
        free(t);
    if (h->q.n >= h->conf.batch || h->tq.n > 0)
        pthread_cond_signal(&h->cv);
    pthread_mutex_unlock(&h->mu);
}

/* ------------------------------------------------------------------------
 * The writer thread
 */

/* Marks in latest[] the last record of each check in recs[0..n), whose
 * streak is the one to store, with a small hash set on the names. */
static int mark_latest(const vhist_rec_t *recs, int *latest, size_t n)
{
    size_t cap = 16, *set;

    while (cap < n * 2)
        cap *= 2;
    if ((set = malloc(cap * sizeof(*set))) == NULL)
        return -1;
    for (size_t i = 0; i < cap; i++)
        set[i] = SIZE_MAX;
    for (size_t i = n; i-- > 0;) {
        size_t k = 14695981039346656037ULL;

        for (const char *p = recs[i].check; *p; p++)
            k = (k ^ (unsigned char)*p) * 1099511628211ULL;
        k &= cap - 1;
        while (set[k] != SIZE_MAX &&
               strcmp(recs[set[k]].check, recs[i].check) != 0)
            k = (k + 1) & (cap - 1);
        latest[i] = set[k] == SIZE_MAX;
        set[k] = i;
    }
    free(set);
    return 0;
}

/* Connects when in an outage, then writes b in one transaction (mu not
 * held). 0, or -1 with the store's error set. */
static int store_batch(vhistory_t *h, const qlist_t *b)
{
    vhist_rec_t *recs = malloc(b->n * sizeof(*recs));
    int *latest = malloc(b->n * sizeof(*latest)), rc = -1;
    size_t i = 0;

    if (recs == NULL || latest == NULL) {
        vstore_errf(h->store, "out of memory");
        goto out;
    }
    for (const qrec_t *q = b->head; q != NULL; q = q->next)
        recs[i++] = q->r;
    if (mark_latest(recs, latest, b->n) != 0) {
        vstore_errf(h->store, "out of memory");
        goto out;
    }
    if (h->down && h->store->ops->connect(h->store) != 0)
        goto out;
    rc = h->store->ops->write(h->store, recs, latest, b->n);
out:
    free(recs);
    free(latest);
    return rc;
}

static void went_down(vhistory_t *h, int64_t now)
{
    h->backoff = h->backoff ? h->backoff * 2 : BACKOFF_MIN_NS;
    if (h->backoff > BACKOFF_MAX_NS)
        h->backoff = BACKOFF_MAX_NS;
    h->retry_at = now + h->backoff;
    if (h->down)
        return;
    h->down = 1;
    h->down_drops = atomic_load(&h->dropped);
    hlog(h, VITALS_LOG_WARN,
         "history: cannot write to the %s store (%s): keeping up to %u runs "
         "in memory and retrying",
         h->store->ops->name, h->store->err, h->conf.buffer);
}

static void came_back(vhistory_t *h)
{
    if (h->down)
        hlog(h, VITALS_LOG_INFO,
             "history: the %s store is back: buffered runs written, %llu "
             "dropped meanwhile",
             h->store->ops->name,
             (unsigned long long)(atomic_load(&h->dropped) - h->down_drops));
    h->down = 0;
    h->backoff = 0;
}

/* Writes one batch from the queue (mu held, released meanwhile). */
static void write_some(vhistory_t *h)
{
    qlist_t b;
    qrec_t *q, *old;
    int rc;

    ql_init(&b);
    while (b.n < h->conf.batch && (q = ql_pop(&h->q)) != NULL)
        ql_push(&b, q);
    pthread_mutex_unlock(&h->mu);
    rc = store_batch(h, &b);
    pthread_mutex_lock(&h->mu);
    if (rc == 0) {
        ql_free(&b);
        came_back(h);
        return;
    }
    ql_prepend(&h->q, &b);
    while (h->q.n > h->conf.buffer && (old = ql_pop(&h->q)) != NULL) {
        free(old);
        atomic_fetch_add(&h->dropped, 1);
    }
    went_down(h, vclock_mono(&vclock_system));
}

/* Calls the transition callback for each queued transition (mu held,
 * released meanwhile). */
static void notify(vhistory_t *h)
{
    qlist_t t = h->tq;
    vitals_transition_fn fn = h->on_transition;
    void *data = h->on_transition_data;
    qrec_t *q;

    if (h->tq.head == NULL)
        return;
    ql_init(&h->tq);
    pthread_mutex_unlock(&h->mu);
    while ((q = ql_pop(&t)) != NULL) {
        vitals_transition_t v = {q->r.check, q->r.time_ns, q->r.has_from,
                                 q->r.from, q->r.status, q->r.error};

        if (fn != NULL)
            fn(&v, data);
        free(q);
    }
    pthread_mutex_lock(&h->mu);
}

/* Writes the state puts (mu held, released meanwhile); kept on failure. */
static void put_states(vhistory_t *h)
{
    for (size_t i = 0; i < h->nstates;) {
        char *key = h->states[i].key, *value = h->states[i].value;
        int rc;

        h->states[i] = h->states[--h->nstates];
        /* The vacated slot must not keep pointers this loop now owns. */
        memset(&h->states[h->nstates], 0, sizeof(h->states[0]));
        pthread_mutex_unlock(&h->mu);
        rc = h->store->ops->put_state(h->store, key, value);
        pthread_mutex_lock(&h->mu);
        if (rc != 0 && h->nstates < MAX_STATES) { /* again, later */
            h->states[h->nstates].key = key;
            h->states[h->nstates].value = value;
            h->states[h->nstates++].del = value == NULL;
            return;
        }
        free(key);
        free(value);
    }
}

/* One bounded chunk of retention (mu held, released meanwhile). */
static void retain(vhistory_t *h, int64_t now)
{
    int64_t before = vclock_real(&vclock_system) -
                     h->conf.retention_ms * VCLOCK_MS;
    size_t deleted = 0;
    int rc;

    pthread_mutex_unlock(&h->mu);
    rc = h->store->ops->retain(h->store, before, h->conf.max_rows_per_check,
                               RETAIN_CHUNK, &deleted);
    pthread_mutex_lock(&h->mu);
    if (rc != 0)
        hlog(h, VITALS_LOG_WARN, "history: retention: %s", h->store->err);
    /* A full chunk: more to delete, after the next batch. */
    h->retain_at = rc == 0 && deleted >= RETAIN_CHUNK ? now
                                                      : now + RETAIN_EVERY_NS;
}

static void wait_ns(vhistory_t *h, int64_t ns)
{
    struct timespec until = vclock_timespec(vclock_real(&vclock_system) + ns);

    pthread_cond_timedwait(&h->cv, &h->mu, &until);
}

static void *writer_main(void *arg)
{
    vhistory_t *h = arg;
    int persistent = h->store->ops->persistent;

    pthread_mutex_lock(&h->mu);
    for (;;) {
        int64_t now = vclock_mono(&vclock_system);
        int may_write = !h->down || now >= h->retry_at;

        notify(h);
        if (h->stopping && (h->q.n == 0 || now >= h->flush_until ||
                            (h->down && h->retry_at >= h->flush_until)))
            break;
        if (persistent && h->nstates > 0 && !h->down)
            put_states(h);
        if (persistent && h->q.n > 0 && may_write) {
            write_some(h);
            continue;
        }
        if (persistent && !h->down && h->store->ops->retain != NULL &&
            now >= h->retain_at) {
            retain(h, now);
            continue;
        }
        if (h->tq.head == NULL && h->q.n < h->conf.batch && !h->stopping)
            wait_ns(h, h->down ? h->retry_at - now
                               : h->conf.flush_ms * VCLOCK_MS);
        else if (h->stopping && h->down)
            wait_ns(h, h->retry_at - now);
    }
    if (h->q.n > 0)
        hlog(h, VITALS_LOG_WARN,
             "history: %zu runs not written to the %s store at exit (%s)",
             h->q.n, h->store->ops->name, h->store->err);
    pthread_mutex_unlock(&h->mu);
    return NULL;
}

int vhistory_start(vhistory_t *h)
{
    h->retain_at = vclock_mono(&vclock_system) + RETAIN_EVERY_NS / 6;
    if (pthread_create(&h->thread, NULL, writer_main, h) != 0)
        return VITALS_ESYS;
    h->started = 1;
    return VITALS_OK;
}

void vhistory_stop(vhistory_t *h, int64_t flush_ms)
{
    if (h == NULL || !h->started)
        return;
    pthread_mutex_lock(&h->mu);
    h->stopping = 1;
    h->flush_until = vclock_mono(&vclock_system) + flush_ms * VCLOCK_MS;
    pthread_cond_signal(&h->cv);
    pthread_mutex_unlock(&h->mu);
    pthread_join(h->thread, NULL);
    h->started = 0;
}

void vhistory_free(vhistory_t *h)
{
    if (h == NULL)
        return;
    vhistory_stop(h, 0);
    ql_free(&h->q);
    ql_free(&h->tq);
    for (size_t i = 0; i < h->nstates; i++) {
        free(h->states[i].key);
        free(h->states[i].value);
    }
    vstore_free(h->store);
    vrings_free(h->rings);
    pthread_cond_destroy(&h->cv);
    pthread_mutex_destroy(&h->mu);
    free(h);
}

/* ------------------------------------------------------------------------
 * Reading (query.h)
 */

/* The time before which the store must add to l (the ring's oldest
 * entry returned), or INT64_MAX when the ring returned nothing. */
static int64_t ring_oldest(const vitals_history_t *l)
{
    if (l->n == 0)
        return INT64_MAX;
    return l->transitions ? l->trans[l->n - 1].time_ns
                          : l->runs[l->n - 1].time_ns;
}

/* Appends what the store holds before the ring's entries in out, up to
 * limit in all; a store that cannot answer leaves what memory had. */
static int add_older(const vhistory_t *h, const char *check, int64_t since,
                     size_t limit, vitals_history_t *out, int trans)
{
    vstore_t *s = h->store;
    vitals_history_t older = {0};
    int64_t until = ring_oldest(out);
    int rc = VITALS_OK, failed;

    failed = trans ? s->ops->transitions(s, check, since, until,
                                         limit - out->n, &older)
                   : s->ops->runs(s, check, since, until, limit - out->n,
                                  &older);
    for (size_t i = 0; !failed && rc == VITALS_OK && i < older.n; i++)
        rc = trans ? vhlist_add_transition(out, &older.trans[i])
                   : vhlist_add_run(out, &older.runs[i]);
    vhlist_clear(&older);
    return rc;
}

int vhq_runs(const vhistory_t *h, const char *check, int64_t since_ns,
             size_t limit, vitals_history_t *out)
{
    int covers = 0,
        rc = vrings_runs(h->rings, check, since_ns, limit, out, &covers);

    if (rc != VITALS_OK || covers || !h->store->ops->persistent)
        return rc;
    return add_older(h, check, since_ns, limit, out, 0);
}

int vhq_transitions(const vhistory_t *h, const char *check, int64_t since_ns,
                    size_t limit, vitals_history_t *out)
{
    int covers = 0, rc = vrings_transitions(h->rings, check, since_ns, limit,
                                            out, &covers);

    if (rc != VITALS_OK || covers || !h->store->ops->persistent)
        return rc;
    return add_older(h, check, since_ns, limit, out, 1);
}

/* The ring's runs in the window, and the store's before them: one count,
 * even while the newest runs wait for their batch. */
int vhq_uptime(const vhistory_t *h, const char *check, int64_t since_ns,
               uint64_t *healthy, uint64_t *total)
{
    vstore_t *s = h->store;
    uint64_t ok = 0, n = 0;
    int64_t oldest;

    vrings_uptime(h->rings, check, since_ns, healthy, total, &oldest);
    if (s->ops->persistent && oldest > since_ns &&
        s->ops->uptime(s, check, since_ns, oldest, &ok, &n) == 0) {
        *healthy += ok;
        *total += n;
    }
    return VITALS_OK;
}

uint64_t vhq_dropped(const vhistory_t *h)
{
    return atomic_load(&((vhistory_t *)h)->dropped);
}

const char *vhq_store_name(const vhistory_t *h)
{
    return h->store->ops->name;
}
