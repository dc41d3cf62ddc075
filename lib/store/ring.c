/* ring.c - the newest runs and transitions of each check, in memory: a
 * fixed-size ring per check, found by name in an open-addressing table.
 * What /history answers without asking the store, and all it answers with
 * the memory store. One lock: adding is a copy, reading a short walk. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "store/history.h"

/* 32 bytes a run: with 10,000 checks, every run kept costs 320 KB. */
typedef struct rrun {
    int64_t time_ns, duration_ns;
    char *error;
    uint8_t status, result;
} rrun_t;

typedef struct rtrans {
    int64_t time_ns;
    char *error;
    uint8_t has_from, from, to;
} rtrans_t;

typedef struct ring {
    char *name;
    rrun_t *runs;     /* per entries, allocated with the first run */
    rtrans_t *trans;  /* per entries, allocated with the first transition */
    unsigned nruns, ntrans; /* kept (at most per) */
    unsigned hruns, htrans; /* where the next one goes */
} ring_t;

struct vrings {
    pthread_mutex_t mu;
    unsigned per;
    ring_t **slots;
    size_t cap, n;
};

vrings_t *vrings_new(unsigned per_check)
{
    vrings_t *rs = calloc(1, sizeof(*rs));

    if (rs == NULL)
        return NULL;
    pthread_mutex_init(&rs->mu, NULL);
    rs->per = per_check > 0 ? per_check : 1;
    return rs;
}

static void ring_free(ring_t *g)
{
    for (unsigned i = 0; i < g->nruns; i++)
        free(g->runs[i].error);
    for (unsigned i = 0; i < g->ntrans; i++)
        free(g->trans[i].error);
    free(g->runs);
    free(g->trans);
    free(g->name);
    free(g);
}

void vrings_free(vrings_t *rs)
{
    if (rs == NULL)
        return;
    for (size_t i = 0; i < rs->cap; i++)
        if (rs->slots[i] != NULL)
            ring_free(rs->slots[i]);
    free(rs->slots);
    pthread_mutex_destroy(&rs->mu);
    free(rs);
}

static size_t hash(const char *s)
{
    size_t h = 14695981039346656037ULL; /* FNV-1a */

    while (*s)
        h = (h ^ (unsigned char)*s++) * 1099511628211ULL;
    return h;
}

/* The slot of name: its ring, or the empty slot where it would go. */
static ring_t **slot(const vrings_t *rs, const char *name)
{
    size_t i = hash(name) & (rs->cap - 1);

    while (rs->slots[i] != NULL && strcmp(rs->slots[i]->name, name) != 0)
        i = (i + 1) & (rs->cap - 1);
    return &rs->slots[i];
}

static int grow(vrings_t *rs)
{
    ring_t **old = rs->slots;
    size_t ocap = rs->cap, cap = ocap ? ocap * 2 : 64;

    if ((rs->slots = calloc(cap, sizeof(*rs->slots))) == NULL) {
        rs->slots = old;
        return VITALS_ENOMEM;
    }
    rs->cap = cap;
    for (size_t i = 0; i < ocap; i++)
        if (old[i] != NULL)
            *slot(rs, old[i]->name) = old[i];
    free(old);
    return VITALS_OK;
}

/* The ring of name, made when missing (mu held); NULL out of memory. */
static ring_t *ring_get(vrings_t *rs, const char *name)
{
    ring_t **p, *g;

    if ((rs->n + 1) * 2 > rs->cap && grow(rs) != VITALS_OK)
        return NULL;
    if (*(p = slot(rs, name)) != NULL)
        return *p;
    if ((g = calloc(1, sizeof(*g))) == NULL ||
        (g->name = strdup(name)) == NULL) {
        free(g);
        return NULL;
    }
    rs->n++;
    return *p = g;
}

static const ring_t *ring_find(const vrings_t *rs, const char *name)
{
    return rs->cap > 0 ? *slot(rs, name) : NULL;
}

static char *dup_error(const char *e, int *failed)
{
    char *d = e != NULL ? strdup(e) : NULL;

    *failed |= e != NULL && d == NULL;
    return d;
}

/* Adds a transition to g (mu held). */
static int add_transition(const vrings_t *rs, ring_t *g, const vhist_rec_t *r)
{
    rtrans_t *t;
    int failed = 0;

    if (g->trans == NULL &&
        (g->trans = calloc(rs->per, sizeof(*g->trans))) == NULL)
        return VITALS_ENOMEM;
    t = &g->trans[g->htrans];
    if (g->ntrans == rs->per)
        free(t->error);
    else
        g->ntrans++;
    *t = (rtrans_t){r->time_ns, dup_error(r->error, &failed),
                    (uint8_t)r->has_from, (uint8_t)r->from,
                    (uint8_t)r->status};
    g->htrans = (g->htrans + 1) % rs->per;
    return failed ? VITALS_ENOMEM : VITALS_OK;
}

int vrings_add(vrings_t *rs, const vhist_rec_t *r)
{
    ring_t *g;
    rrun_t *e;
    int failed = 0, rc = VITALS_OK;

    pthread_mutex_lock(&rs->mu);
    if ((g = ring_get(rs, r->check)) == NULL ||
        (g->runs == NULL &&
         (g->runs = calloc(rs->per, sizeof(*g->runs))) == NULL)) {
        pthread_mutex_unlock(&rs->mu);
        return VITALS_ENOMEM;
    }
    e = &g->runs[g->hruns];
    if (g->nruns == rs->per)
        free(e->error);
    else
        g->nruns++;
    *e = (rrun_t){r->time_ns, r->duration_ns, dup_error(r->error, &failed),
                  (uint8_t)r->status, (uint8_t)r->result};
    g->hruns = (g->hruns + 1) % rs->per;
    if (r->transition)
        rc = add_transition(rs, g, r);
    pthread_mutex_unlock(&rs->mu);
    return failed ? VITALS_ENOMEM : rc;
}

/* The i-th newest of n entries in a ring of per whose next slot is head. */
static unsigned newest(unsigned head, unsigned i, unsigned per)
{
    return (head + per - 1 - i) % per;
}

int vrings_runs(vrings_t *rs, const char *check, int64_t since_ns,
                size_t limit, vitals_history_t *out, int *covers)
{
    const ring_t *g;
    int rc = VITALS_OK;
    unsigned i = 0;

    pthread_mutex_lock(&rs->mu);
    g = ring_find(rs, check);
    for (; g != NULL && i < g->nruns && out->n < limit; i++) {
        const rrun_t *e = &g->runs[newest(g->hruns, i, rs->per)];
        vitals_run_t r = {e->time_ns, e->duration_ns, e->status, e->result,
                          e->error};

        if (e->time_ns < since_ns)
            break;
        if ((rc = vhlist_add_run(out, &r)) != VITALS_OK)
            break;
    }
    /* Stopped early (limit or since) or at an older run than since. */
    *covers = out->n >= limit ||
              (g != NULL && i < g->nruns) ||
              (g != NULL && g->nruns > 0 &&
               g->runs[newest(g->hruns, g->nruns - 1, rs->per)].time_ns <
                   since_ns);
    pthread_mutex_unlock(&rs->mu);
    return rc;
}

int vrings_transitions(vrings_t *rs, const char *check, int64_t since_ns,
                       size_t limit, vitals_history_t *out, int *covers)
{
    const ring_t *g;
    int rc = VITALS_OK;
    unsigned i = 0;

    out->transitions = 1;
    pthread_mutex_lock(&rs->mu);
    g = ring_find(rs, check);
    for (; g != NULL && i < g->ntrans && out->n < limit; i++) {
        const rtrans_t *e = &g->trans[newest(g->htrans, i, rs->per)];
        vitals_transition_t t = {check, e->time_ns, e->has_from, e->from,
                                 e->to, e->error};

        if (e->time_ns < since_ns)
            break;
        if ((rc = vhlist_add_transition(out, &t)) != VITALS_OK)
            break;
    }
    *covers = out->n >= limit || (g != NULL && i < g->ntrans);
    pthread_mutex_unlock(&rs->mu);
    return rc;
}

void vrings_uptime(vrings_t *rs, const char *check, int64_t since_ns,
                   uint64_t *healthy, uint64_t *total, int64_t *oldest)
{
    const ring_t *g;

    *healthy = *total = 0;
    *oldest = INT64_MAX;
    pthread_mutex_lock(&rs->mu);
    g = ring_find(rs, check);
    for (unsigned i = 0; g != NULL && i < g->nruns; i++) {
        const rrun_t *e = &g->runs[newest(g->hruns, i, rs->per)];

        *oldest = e->time_ns;
        if (e->time_ns < since_ns)
            break;
        ++*total;
        *healthy += e->status == VITALS_HEALTHY;
    }
    pthread_mutex_unlock(&rs->mu);
}
