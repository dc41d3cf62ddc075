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
    int ready; /* mu is initialised */
} push_t;

static const vsetting_t push_settings[] = {
    {.key = "ttl", .kind = VSET_DURATION, .offset = offsetof(push_t, ttl_ms),
     .flags = VSET_REQUIRED | VSET_POSITIVE},
    {0}};

static int push_prepare(void *state, vnode_t *settings, verrs_t *e)
{
    push_t *p = state;

    (void)settings;
    (void)e;
    pthread_mutex_init(&p->mu, NULL);
    p->ready = 1;
    return 0;
}

/* Frees what push_prepare made and the last report. */
static void push_clear(void *state)
{
    push_t *p = state;

    if (p->ready)
        pthread_mutex_destroy(&p->mu);
    free(p->output);
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
    .settings = push_settings,
    .state_size = sizeof(push_t),
    .prepare = push_prepare,
    .clear = push_clear,
    .run = push_run,
};
