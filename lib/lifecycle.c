/* lifecycle.c - starting and stopping an instance: the scheduler, the
 * workers and the listeners, in the order that keeps requests answered. */
#include <stdlib.h>
#include <string.h>

#include "engine.h"
#include "http/server.h"

int vitals_listen(vitals_t *v, const char *address)
{
    char *host = NULL, **a, *copy;
    int port;

    if (v == NULL || vaddr_split(address, &host, &port) != 0)
        return VITALS_EINVAL;
    free(host);
    if (v->started)
        return VITALS_EBUSY;
    if ((copy = strdup(address)) == NULL)
        return VITALS_ENOMEM;
    if ((a = realloc(v->listen, (v->nlisten + 1) * sizeof(*a))) == NULL) {
        free(copy);
        return VITALS_ENOMEM;
    }
    v->listen = a;
    v->listen[v->nlisten++] = copy;
    return VITALS_OK;
}

int vitals_start(vitals_t *v)
{
    int rc;

    if (v == NULL)
        return VITALS_EINVAL;
    if (v->started)
        return VITALS_EBUSY;
    /* Serve the registered checks ("not yet run") from the first request,
     * never the empty snapshot of a new instance. */
    pthread_mutex_lock(&v->lock);
    engine_publish(v, vclock_mono(v->clock));
    pthread_mutex_unlock(&v->lock);
    if ((rc = runner_start(v)) != VITALS_OK)
        return rc;
    v->started = 1;
    if ((rc = vserver_start(v)) != VITALS_OK) {
        vitals_stop(v, 0);
        return rc;
    }
    return VITALS_OK;
}

int vitals_listen_port(const vitals_t *v, size_t i)
{
    return v != NULL ? vserver_port(v, i) : -1;
}

void vitals_stop(vitals_t *v, int64_t grace_ms)
{
    if (v == NULL || !v->started)
        return;
    vserver_stop(v, grace_ms);
    runner_stop(v);
    v->started = 0;
}
