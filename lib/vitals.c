/* lifecycle.c - starting and stopping an instance: the scheduler, the
 * workers and the listeners, in the order that keeps requests answered. */
#include <stdlib.h>
#include <string.h>

#include "engine/engine.h"
#include "listen/http.h"
#include "listen/tlsfiles.h"
#include "util/addr.h"

static void listen_clear(vlisten_t *l)
{
    free(l->address);
    free(l->cert_pem);
    free(l->key_pem);
}

int vlisten_add(vlisten_t **a, size_t *n, const char *address,
                const char *cert_pem, const char *key_pem)
{
    vlisten_t *grown = realloc(*a, (*n + 1) * sizeof(**a)), *l;

    if (grown == NULL)
        return VITALS_ENOMEM;
    *a = grown;
    l = &grown[*n];
    memset(l, 0, sizeof(*l));
    l->address = strdup(address);
    l->cert_pem = cert_pem ? strdup(cert_pem) : NULL;
    l->key_pem = key_pem ? strdup(key_pem) : NULL;
    if (l->address == NULL || (cert_pem && !l->cert_pem) ||
        (key_pem && !l->key_pem)) {
        listen_clear(l);
        return VITALS_ENOMEM;
    }
    (*n)++;
    return VITALS_OK;
}

void vlisten_free(vlisten_t *a, size_t n)
{
    for (size_t i = 0; a != NULL && i < n; i++)
        listen_clear(&a[i]);
    free(a);
}

static int check_address(vitals_t *v, const char *address)
{
    char *host = NULL;
    int port;

    if (v == NULL || vaddr_parse(address, VADDR_LISTEN, &host, &port) != 0)
        return VITALS_EINVAL;
    free(host);
    return v->started ? VITALS_EBUSY : VITALS_OK;
}

int vitals_listen(vitals_t *v, const char *address)
{
    int rc = check_address(v, address);

    return rc != VITALS_OK ? rc
                           : vlisten_add(&v->listen, &v->nlisten, address,
                                         NULL, NULL);
}

int vitals_listen_tls(vitals_t *v, const char *address, const char *cert_file,
                      const char *key_file, char **err)
{
    char *cert = NULL, *key = NULL, *why = NULL;
    int rc = check_address(v, address);

    if (err != NULL)
        *err = NULL;
    if (rc != VITALS_OK)
        return rc;
    if (cert_file == NULL || key_file == NULL)
        return VITALS_EINVAL;
    if (vtls_load(cert_file, key_file, &cert, &key, &why) != 0) {
        if (err != NULL)
            *err = why;
        else
            free(why);
        return VITALS_ECONFIG;
    }
    rc = vlisten_add(&v->listen, &v->nlisten, address, cert, key);
    free(cert);
    free(key);
    return rc;
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
