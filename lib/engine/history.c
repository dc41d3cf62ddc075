/* history.c - the engine's seam with the history: the hook that hands
 * over every run, and the streaks restored from before a restart. */
#include "engine/engine.h"

void vengine_on_run(vengine_t *e, vengine_run_fn fn, void *data)
{
    pthread_mutex_lock(&e->lock);
    e->on_run = fn;
    e->on_run_data = data;
    pthread_mutex_unlock(&e->lock);
}

int vengine_restore(vengine_t *e, const char *name, const vstreak_t *s)
{
    vcheck_t *c;
    int rc = VITALS_OK;

    pthread_mutex_lock(&e->lock);
    if ((c = vengine_find(e, name)) == NULL) {
        rc = VITALS_ENOENT;
    } else if (c->has_reported) {
        rc = VITALS_EBUSY;
    } else {
        c->streak = *s;
        e->dirty = 1;
    }
    pthread_mutex_unlock(&e->lock);
    return rc;
}
