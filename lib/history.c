/* history.c - the instance's history: opening the store at start,
 * restoring streaks and maintenance from it before the first run, hooking
 * the engine's runs into it, and the public history functions
 * (vitals_on_transition, vitals_history_*). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "instance.h"
#include "store/history.h"

#define STOP_FLUSH_MS 2000
#define MAINTENANCE_KEY "maintenance"

struct vinst_history {
    vhist_conf_t conf; /* memory, unless configured */
    vhistory_t *h;     /* from the first start on */
    int started;
    vitals_transition_fn fn;
    void *data;
};

vinst_history_t *vih_new(void)
{
    vinst_history_t *ih = calloc(1, sizeof(*ih));

    if (ih != NULL)
        vhist_conf_default(&ih->conf);
    return ih;
}

void vih_free(vinst_history_t *ih)
{
    if (ih == NULL)
        return;
    vhistory_free(ih->h);
    vhist_conf_clear(&ih->conf);
    free(ih);
}

static int same_str(const char *a, const char *b)
{
    return a == b || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

static int same_conf(const vhist_conf_t *a, const vhist_conf_t *b)
{
    return a->store == b->store && same_str(a->path, b->path) &&
           same_str(a->dsn, b->dsn) && a->retention_ms == b->retention_ms &&
           a->max_rows_per_check == b->max_rows_per_check &&
           a->ring == b->ring && a->buffer == b->buffer &&
           a->batch == b->batch && a->flush_ms == b->flush_ms;
}

int vinstance_set_history(vitals_t *v, vhist_conf_t *c)
{
    vinst_history_t *ih = vinstance_hist(v);

    if (ih->h != NULL) {
        if (same_conf(&ih->conf, c))
            return VITALS_OK;
        vinstance_log(v, VITALS_LOG_WARN,
                      "history settings changed: restart vitalsd to apply "
                      "them");
        return VITALS_EBUSY;
    }
    vhist_conf_clear(&ih->conf);
    ih->conf = *c;
    c->path = c->dsn = NULL;
    return VITALS_OK;
}

/* ------------------------------------------------------------------------
 * Start and stop
 */

static void log_to_engine(vitals_log_level_t level, const char *msg,
                          void *data)
{
    vengine_log(data, level, "%s", msg);
}

static void on_run(const vhist_rec_t *r, void *data)
{
    vhistory_record(data, r);
}

typedef struct restoring {
    vengine_t *e;
    size_t n;
} restoring_t;

static void restore_one(const char *check, const vstreak_t *s, void *data)
{
    restoring_t *r = data;

    if (vengine_restore(r->e, check, s) == VITALS_OK)
        r->n++;
}

/* Maintenance as stored: "<until, wall clock ns; 0: none> <reason>". */
static void restore_maintenance(vinst_history_t *ih, vengine_t *e)
{
    char *text = NULL;
    long long until;
    int off = 0;

    if (vhistory_get_state(ih->h, MAINTENANCE_KEY, &text) != 0 ||
        text == NULL)
        return;
    if (sscanf(text, "%lld %n", &until, &off) == 1 && off > 0) {
        int64_t left = until - vclock_real(&vclock_system);

        if (until == 0 || left > VCLOCK_MS)
            vengine_maintenance(e, text + off,
                                until == 0 ? 0 : left / VCLOCK_MS);
    }
    free(text);
}

/* A new history for e's service and instance. */
static vhistory_t *make(vinst_history_t *ih, vengine_t *e,
                        const char *state_dir)
{
    char *service, *instance;
    vhistory_t *h;

    pthread_mutex_lock(&e->lock);
    service = e->service_id ? strdup(e->service_id) : NULL;
    instance = e->service_instance ? strdup(e->service_instance) : NULL;
    pthread_mutex_unlock(&e->lock);
    h = vhistory_new(&ih->conf, service, instance, state_dir, log_to_engine,
                     e);
    free(service);
    free(instance);
    return h;
}

/* Opens the store; the default sqlite store that cannot be opened (a
 * state directory that is not writable, as for a user without root)
 * falls back to memory with one warning. */
static int open_store(vinst_history_t *ih, vengine_t *e)
{
    char *why = NULL;

    if (vhistory_open(ih->h, &why) == 0)
        return VITALS_OK;
    if (ih->conf.store == VSTORE_SQLITE && !ih->conf.store_set) {
        vengine_log(e, VITALS_LOG_WARN,
                    "history: %s: keeping it in memory only (set state_dir "
                    "or history.path to a writable place to keep it across "
                    "restarts)",
                    why ? why : "out of memory");
        free(why);
        vhistory_use_memory(ih->h);
        return VITALS_OK;
    }
    vengine_log(e, VITALS_LOG_ERROR, "history: %s",
                why ? why : "out of memory");
    free(why);
    return VITALS_ESYS;
}

int vih_start(vinst_history_t *ih, vengine_t *e, const char *state_dir)
{
    restoring_t r = {e, 0};
    int rc;

    if (ih->h == NULL) {
        if ((ih->h = make(ih, e, state_dir)) == NULL)
            return VITALS_ENOMEM;
        if ((rc = open_store(ih, e)) != VITALS_OK) {
            vhistory_free(ih->h);
            ih->h = NULL;
            return rc;
        }
        if (vhistory_streaks(ih->h, restore_one, &r) == 0 && r.n > 0)
            vengine_log(e, VITALS_LOG_INFO,
                        "history: restored the streaks of %zu checks from "
                        "the %s store",
                        r.n, vhq_store_name(ih->h));
        restore_maintenance(ih, e);
    }
    vhistory_on_transition(ih->h, ih->fn, ih->data);
    if ((rc = vhistory_start(ih->h)) != VITALS_OK)
        return rc;
    vengine_on_run(e, on_run, ih->h);
    ih->started = 1;
    return VITALS_OK;
}

void vih_stop(vinst_history_t *ih, vengine_t *e)
{
    if (!ih->started)
        return;
    vengine_on_run(e, NULL, NULL);
    vhistory_stop(ih->h, STOP_FLUSH_MS);
    ih->started = 0;
}

const vhistory_t *vih_reader(const vinst_history_t *ih)
{
    return ih->h;
}

void vih_maintenance(vinst_history_t *ih, const char *reason, int64_t for_ms)
{
    char *text = NULL;
    int64_t until = for_ms > 0 ? vclock_real(&vclock_system) +
                                     for_ms * VCLOCK_MS
                               : 0;

    if (ih->h == NULL)
        return;
    if (reason != NULL && asprintf(&text, "%lld %s", (long long)until,
                                   reason) < 0)
        return;
    vhistory_put_state(ih->h, MAINTENANCE_KEY, text);
    free(text);
}

/* ------------------------------------------------------------------------
 * The public functions
 */

int vitals_on_transition(vitals_t *v, vitals_transition_fn fn, void *data)
{
    vinst_history_t *ih;

    if (v == NULL)
        return VITALS_EINVAL;
    ih = vinstance_hist(v);
    ih->fn = fn;
    ih->data = data;
    if (ih->h != NULL)
        vhistory_on_transition(ih->h, fn, data);
    return VITALS_OK;
}

typedef int (*list_fn)(const vhistory_t *h, const char *check,
                       int64_t since_ns, size_t limit, vitals_history_t *out);

static int list(vitals_t *v, const char *check, int64_t since_ns,
                size_t limit, vitals_history_t **out, list_fn fn, int trans)
{
    vitals_history_t *l;
    const vhistory_t *h;
    int rc = VITALS_OK;

    if (out != NULL)
        *out = NULL;
    if (v == NULL || check == NULL || out == NULL || since_ns < 0 ||
        limit == 0 || limit > VHQ_MAX_LIMIT)
        return VITALS_EINVAL;
    if ((l = calloc(1, sizeof(*l))) == NULL)
        return VITALS_ENOMEM;
    l->transitions = trans;
    if ((h = vih_reader(vinstance_hist(v))) != NULL &&
        (rc = fn(h, check, since_ns, limit, l)) != VITALS_OK) {
        vitals_history_free(l);
        return rc;
    }
    l->transitions = trans;
    *out = l;
    return VITALS_OK;
}

int vitals_history_runs(vitals_t *v, const char *check, int64_t since_ns,
                        size_t limit, vitals_history_t **out)
{
    return list(v, check, since_ns, limit, out, vhq_runs, 0);
}

int vitals_history_transitions(vitals_t *v, const char *check,
                               int64_t since_ns, size_t limit,
                               vitals_history_t **out)
{
    return list(v, check, since_ns, limit, out, vhq_transitions, 1);
}

size_t vitals_history_count(const vitals_history_t *h)
{
    return h != NULL ? h->n : 0;
}

const vitals_run_t *vitals_history_run(const vitals_history_t *h, size_t i)
{
    return h != NULL && !h->transitions && i < h->n ? &h->runs[i] : NULL;
}

const vitals_transition_t *vitals_history_transition(
    const vitals_history_t *h, size_t i)
{
    return h != NULL && h->transitions && i < h->n ? &h->trans[i] : NULL;
}

void vitals_history_free(vitals_history_t *h)
{
    if (h == NULL)
        return;
    vhlist_clear(h);
    free(h);
}

int vitals_history_uptime(vitals_t *v, const char *check, int64_t window_ms,
                          double *ratio, uint64_t *runs)
{
    const vhistory_t *h;
    uint64_t healthy = 0, total = 0;

    if (v == NULL || check == NULL || window_ms <= 0 ||
        window_ms > INT64_MAX / VCLOCK_MS / 2)
        return VITALS_EINVAL;
    if ((h = vih_reader(vinstance_hist(v))) != NULL)
        vhq_uptime(h, check,
                   vclock_real(&vclock_system) - window_ms * VCLOCK_MS,
                   &healthy, &total);
    if (ratio != NULL)
        *ratio = total > 0 ? (double)healthy / (double)total : NAN;
    if (runs != NULL)
        *runs = total;
    return VITALS_OK;
}
