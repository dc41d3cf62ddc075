/* push.c - the "push" check type: the component reports its own status
 * (PUT /health/<name>, or vitals_push), and the check is unhealthy when no
 * report came within its ttl - a dead man's switch for cron jobs, batch
 * workers and anything that cannot be polled. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "util/clock.h"
#include "engine/result.h"
#include "checks/push.h"

typedef struct push {
    pthread_mutex_t mu;
    int64_t ttl_ms;
    int reported;
    vitals_status_t status;
    char *output;
    int64_t at_mono;
} push_t;

static void *push_configure(vnode_t *s, verrs_t *e)
{
    push_t *p;
    int64_t ttl = 0;
    int rc = vnode_duration(s, "ttl", &ttl, e);

    if (rc == 0)
        verrs_add(e, s, "missing required key 'ttl'");
    if (rc == 1 && ttl <= 0)
        verrs_add(e, vnode_get(s, "ttl"), "'ttl': must be longer than 0");
    if (rc != 1 || ttl <= 0 || (p = calloc(1, sizeof(*p))) == NULL)
        return NULL;
    pthread_mutex_init(&p->mu, NULL);
    p->ttl_ms = ttl;
    return p;
}

static void push_free(void *state)
{
    push_t *p = state;

    if (p == NULL)
        return;
    pthread_mutex_destroy(&p->mu);
    free(p->output);
    free(p);
}

int vpush_report(void *state, vitals_status_t status, const char *output,
                 int64_t now_mono)
{
    push_t *p = state;
    char *copy = output ? strdup(output) : NULL;

    if (output != NULL && copy == NULL)
        return VITALS_ENOMEM;
    pthread_mutex_lock(&p->mu);
    free(p->output);
    p->output = copy;
    p->status = status;
    p->reported = 1;
    p->at_mono = now_mono;
    pthread_mutex_unlock(&p->mu);
    return VITALS_OK;
}

static void push_run(void *state, vitals_result_t *r)
{
    push_t *p = state;
    int64_t age_ms;
    char ttl[32];

    vitals_format_duration(p->ttl_ms, ttl, sizeof(ttl));
    pthread_mutex_lock(&p->mu);
    age_ms = (vclock_mono(r->clock) - p->at_mono) / VCLOCK_MS;
    if (!p->reported) {
        vitals_result_set_error(r, "no report yet (expected within %s)", ttl);
    } else if (age_ms > p->ttl_ms) {
        vitals_result_set_error(r, "no report for %s", ttl);
        vitals_result_set_int(r, "ageSeconds", age_ms / 1000);
    } else {
        vitals_result_set_status(r, p->status);
        if (p->output != NULL) {
            vitals_result_set_description(r, "%s", p->output);
            vitals_result_set_string(r, "output", p->output);
            if (p->status == VITALS_UNHEALTHY)
                vitals_result_set_error(r, "%s", p->output);
        }
        vitals_result_set_int(r, "ageSeconds", age_ms / 1000);
    }
    pthread_mutex_unlock(&p->mu);
}

const vcheck_type_t vcheck_push = {
    .name = "push",
    .component_type = "component",
    .configure = push_configure,
    .run = push_run,
    .free = push_free,
};
