/* group.c - the "group" check type: a set of member checks of any type, run
 * in parallel under the group's deadline, reported as one check with its
 * members nested (seed 001's fiscalPrinters) and percentConnected (seed
 * 002's fraction of healthy members).
 *
 * policy worst: the worst member. policy quorum: all members healthy is
 * healthy; at least min_healthy of them (a fraction) is degraded; fewer is
 * unhealthy. A member still running at the deadline is reported as timed
 * out; its thread finishes on its own and drops what it reports.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "util/clock.h"
#include "engine/result.h"
#include "checks/check_type.h"

typedef struct member {
    char *name;
    const vcheck_type_t *type;
    void *state;
} member_t;

typedef struct group {
    member_t *m;
    size_t n;
    int quorum;
    double min_healthy;
    atomic_int refs; /* the configuration's, plus one per running member */
} group_t;

static void group_unref(group_t *g)
{
    if (g == NULL || atomic_fetch_sub(&g->refs, 1) != 1)
        return;
    for (size_t i = 0; i < g->n; i++) {
        if (g->m[i].type != NULL)
            vcheck_state_free(g->m[i].type, g->m[i].state);
        free(g->m[i].name);
    }
    free(g->m);
    free(g);
}

static void group_free(void *state)
{
    group_unref(state);
}

static int read_member(group_t *g, vnode_t *key, vnode_t *m, verrs_t *e)
{
    member_t *mb = &g->m[g->n];
    char what[200];

    snprintf(what, sizeof(what), "group member '%s'", key->str);
    if (m->kind != VNODE_MAP) {
        verrs_add(e, m, "%s: expected a map of keys", what);
        return -1;
    }
    if ((mb->type = vcheck_type_read(m, what, e)) == NULL)
        return -1;
    if ((mb->name = strdup(key->str)) == NULL)
        return -1;
    g->n++; /* from here group_free cleans up this member */
    if ((mb->state = vcheck_configure(mb->type, m, what, e)) == NULL)
        return -1;
    vnode_map_done(m, what, e);
    return 0;
}

/* The group's own keys; its members are read from checks afterwards. */
typedef struct group_conf {
    vnode_t *checks; /* borrowed: a map of one or more members */
    int quorum;
    double min_healthy;
} group_conf_t;

static int parse_checks(vnode_t *node, void *field, verrs_t *e)
{
    if (node->kind != VNODE_MAP || node->n == 0) {
        verrs_add(e, node, "'checks': a group needs a map of one or more "
                           "member checks");
        return -1;
    }
    *(vnode_t **)field = node;
    return 0;
}

static int parse_policy(vnode_t *node, void *field, verrs_t *e)
{
    const char *policy;

    if (vnode_as_str(node, "policy", &policy, e) != 0)
        return -1;
    *(int *)field = strcmp(policy, "quorum") == 0;
    if (*(int *)field || strcmp(policy, "worst") == 0)
        return 0;
    verrs_add(e, node, "'policy': expected worst or quorum, got \"%s\"",
              policy);
    return -1;
}

static const vsetting_t group_settings[] = {
    {.key = "checks", .kind = VSET_CUSTOM,
     .offset = offsetof(group_conf_t, checks), .flags = VSET_REQUIRED,
     .parse = parse_checks},
    {.key = "policy", .kind = VSET_CUSTOM,
     .offset = offsetof(group_conf_t, quorum), .def = "worst",
     .parse = parse_policy},
    {.key = "min_healthy", .kind = VSET_DOUBLE,
     .offset = offsetof(group_conf_t, min_healthy), .min = 0, .max = 1,
     .def = "0.5"},
    {0}};

static void *group_configure(vnode_t *s, const char *what, verrs_t *e)
{
    group_conf_t conf = {0};
    size_t before = e->n;
    group_t *g;

    vset_read(group_settings, s, &conf, what, e);
    if (!conf.quorum && vnode_get(s, "min_healthy") != NULL)
        verrs_add(e, vnode_get(s, "min_healthy"),
                  "'min_healthy' goes with policy: quorum");
    if (conf.checks == NULL)
        return NULL;
    if ((g = calloc(1, sizeof(*g))) == NULL ||
        (g->m = calloc(conf.checks->n, sizeof(*g->m))) == NULL) {
        free(g);
        verrs_add(e, s, "out of memory");
        return NULL;
    }
    atomic_init(&g->refs, 1);
    g->quorum = conf.quorum;
    g->min_healthy = conf.min_healthy;
    for (size_t i = 0; i < conf.checks->n; i++) {
        conf.checks->used[i] = 1;
        read_member(g, conf.checks->keys[i], conf.checks->items[i], e);
    }
    if (e->n > before) {
        group_unref(g);
        return NULL;
    }
    return g;
}

/* One member's run, in its own thread. */
typedef struct job {
    group_t *g;
    const member_t *m;
    vitals_result_t *r;
    pthread_mutex_t *mu;
    pthread_cond_t *cv;
    size_t *done;
    int *finished;
    atomic_int refs; /* the group run's and the thread's */
} job_t;

static void job_unref(job_t *j)
{
    if (atomic_fetch_sub(&j->refs, 1) != 1)
        return;
    vresult_unref(j->r);
    group_unref(j->g);
    free(j);
}

static void *member_main(void *arg)
{
    job_t *j = arg;

    j->m->type->run(j->m->state, j->r);
    pthread_mutex_lock(j->mu);
    if (j->finished != NULL) { /* the group still waits */
        *j->finished = 1;
        (*j->done)++;
        pthread_cond_signal(j->cv);
    }
    pthread_mutex_unlock(j->mu);
    job_unref(j);
    return NULL;
}

static vitals_result_t *member_result(const vitals_result_t *r,
                                      const member_t *m)
{
    vitals_result_t *c = vresult_new(r->clock, r->deadline_ns);

    if (c != NULL && (c->key = strdup(m->name)) == NULL) {
        vresult_unref(c);
        c = NULL;
    }
    return c;
}

static void summarize(const group_t *g, vitals_result_t *r, size_t healthy)
{
    vitals_status_t worst = VITALS_HEALTHY, s;
    double share = g->n ? (double)healthy / (double)g->n : 1.0;

    for (size_t i = 0; i < r->nchildren; i++) {
        vresult_freeze(r->children[i]);
        if (r->children[i]->status > worst)
            worst = r->children[i]->status;
    }
    if (!g->quorum)
        s = worst;
    else if (healthy == g->n)
        s = VITALS_HEALTHY;
    else
        s = share >= g->min_healthy ? VITALS_DEGRADED : VITALS_UNHEALTHY;
    vitals_result_set_status(r, s);
    vitals_result_set_double(r, "percentConnected", share);
    vitals_result_set_description(r, "%zu of %zu members healthy", healthy,
                                  g->n);
    if (s == VITALS_UNHEALTHY)
        vitals_result_set_error(r, "%zu of %zu members healthy", healthy,
                                g->n);
}

static void group_run(void *state, vitals_result_t *r)
{
    group_t *g = state;
    pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
    pthread_cond_t cv;
    pthread_condattr_t ca;
    job_t **jobs = calloc(g->n, sizeof(*jobs));
    int *finished = calloc(g->n, sizeof(*finished));
    size_t done = 0, healthy = 0;

    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&cv, &ca);
    pthread_condattr_destroy(&ca);
    for (size_t i = 0; jobs && finished && i < g->n; i++) {
        job_t *j = calloc(1, sizeof(*j));
        pthread_t t;

        if (j == NULL || (j->r = member_result(r, &g->m[i])) == NULL) {
            free(j);
            finished[i] = -1;
            continue;
        }
        atomic_init(&j->refs, 2);
        atomic_fetch_add(&g->refs, 1);
        j->g = g;
        j->m = &g->m[i];
        j->mu = &mu;
        j->cv = &cv;
        j->done = &done;
        j->finished = &finished[i];
        jobs[i] = j;
        if (pthread_create(&t, NULL, member_main, j) != 0) {
            atomic_fetch_sub(&j->refs, 1);
            finished[i] = -1;
            continue;
        }
        pthread_detach(t);
    }
    /* Wait for every member, but never past the group's deadline. */
    pthread_mutex_lock(&mu);
    for (;;) {
        size_t started = 0;
        for (size_t i = 0; jobs && finished && i < g->n; i++)
            started += finished[i] != -1;
        if (done >= started || vitals_result_remaining_ms(r) <= 0)
            break;
        int64_t until = r->deadline_ns;
        struct timespec ts = {(time_t)(until / VCLOCK_S),
                              (long)(until % VCLOCK_S)};
        pthread_cond_timedwait(&cv, &mu, &ts);
    }
    for (size_t i = 0; jobs && finished && i < g->n; i++) {
        vitals_result_t *c;

        if (jobs[i] == NULL)
            continue;
        if (finished[i] == 1) {
            c = vresult_ref(jobs[i]->r);
        } else {
            /* Still running: report a timeout, let the thread finish. */
            jobs[i]->finished = NULL;
            c = member_result(r, &g->m[i]);
            if (c != NULL)
                vitals_result_set_error(c, "timed out");
        }
        if (c != NULL) {
            vresult_freeze(c);
            healthy += c->status == VITALS_HEALTHY;
            vresult_adopt(r, c);
        }
    }
    pthread_mutex_unlock(&mu);
    for (size_t i = 0; jobs && i < g->n; i++)
        if (jobs[i] != NULL)
            job_unref(jobs[i]);
    /* A thread that outlives us must not touch mu or cv: it saw finished
     * cleared under mu, so it never will. */
    if (jobs == NULL || finished == NULL)
        vitals_result_set_error(r, "out of memory");
    else
        summarize(g, r, healthy);
    free(jobs);
    free(finished);
    pthread_cond_destroy(&cv);
}

/* The instance stops or starts again: so do the members' runs. */
static void group_halt(void *state, int on)
{
    group_t *g = state;

    for (size_t i = 0; i < g->n; i++)
        if (g->m[i].type != NULL && g->m[i].type->halt != NULL)
            g->m[i].type->halt(g->m[i].state, on);
}

const vcheck_type_t vcheck_group = {
    .name = "group",
    .component_type = "component",
    .configure = group_configure,
    .run = group_run,
    .free = group_free,
    .halt = group_halt,
};
