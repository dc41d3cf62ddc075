/* keyring.c - the key set in use by a bearer verifier, shared between
 * threads, and fetching it from a JWKS URL (see keyring.h). */
#include "access/keyring.h"

#include <stdlib.h>
#include <string.h>

#include "access/bearer.h"
#include "util/fetch.h"

#define FETCH_TIMEOUT_MS 5000L
#define CONNECT_TIMEOUT_MS 3000L
#define FETCH_MAX_REDIRS 3L

/* ------------------------------------------------------------------------
 * The current set
 */

int vkeyring_init(vkeyring_t *k)
{
    memset(k, 0, sizeof(*k));
    if (pthread_mutex_init(&k->mu, NULL) != 0)
        return -1;
    if (pthread_cond_init(&k->fetched, NULL) != 0) {
        pthread_mutex_destroy(&k->mu);
        return -2;
    }
    return 0;
}

void vkeyring_destroy(vkeyring_t *k)
{
    vkeyset_free(k->keys);
    pthread_cond_destroy(&k->fetched);
    pthread_mutex_destroy(&k->mu);
    free(k->jwks_url);
    free(k->ca_file);
    memset(k, 0, sizeof(*k));
}

/* A mutex or condition variable that fails is a bug (an uninitialised or
 * destroyed object), not a condition to handle: abort, as libuv does. */
static void lock(vkeyring_t *k)
{
    if (pthread_mutex_lock(&k->mu) != 0)
        abort();
}

static void unlock(vkeyring_t *k)
{
    if (pthread_mutex_unlock(&k->mu) != 0)
        abort();
}

vkeyset_t *vkeyring_acquire(vkeyring_t *k, int64_t now_s, int *stale)
{
    vkeyset_t *ks;

    lock(k);
    ks = k->keys;
    ks->refs++;
    /* The set fetched at configure time has no verify-clock time: it is
     * as old as the first token that uses it. */
    if (!ks->stamped) {
        ks->stamped = 1;
        ks->stamp_s = now_s;
    }
    *stale = k->jwks_url != NULL && now_s - ks->stamp_s >= VBEARER_MAX_AGE_S;
    unlock(k);
    return ks;
}

void vkeyring_release(vkeyring_t *k, vkeyset_t *ks)
{
    int last;

    lock(k);
    last = --ks->refs == 0;
    unlock(k);
    if (last)
        vkeyset_free(ks);
}

const char *vkeyring_fetch_error(vkeyring_t *k)
{
    const char *why;

    lock(k);
    why = k->fetch_error;
    unlock(k);
    return why;
}

/* ------------------------------------------------------------------------
 * Fetching a JWKS URL
 */

vkeyset_t *vkeyring_fetch(const char *url, const char *ca_file,
                          const char **why)
{
    /* https only, redirects included: a key set fetched over plain HTTP
     * could be anyone's. */
    vfetch_req_t req = {
        .url = url,
        .verify = 1,
        .ca_file = ca_file,
        .https_only = 1,
        .max_redirs = FETCH_MAX_REDIRS,
        .timeout_ms = FETCH_TIMEOUT_MS,
        .connect_timeout_ms = CONNECT_TIMEOUT_MS,
        .body_max = VKEY_MAX_DOCUMENT,
    };
    vfetch_resp_t resp;
    vfetch_status_t rc;
    vkeyset_t *ks = NULL;
    char detail[256];

    rc = vfetch(&req, &resp, detail, sizeof(detail));
    if (rc == VFETCH_INIT)
        *why = "the JWKS URL could not be fetched (libcurl failed to start)";
    else if (resp.truncated)
        *why = "the JWKS URL answered with more than 1 MiB";
    else if (rc != VFETCH_OK)
        *why = "the JWKS URL could not be fetched";
    else if (resp.status != 200)
        *why = "the JWKS URL answered with an HTTP status other than 200";
    else if ((ks = vjwks_parse(resp.body ? resp.body : "", resp.len, detail,
                              sizeof(detail))) == NULL)
        *why = "the JWKS URL answered with no usable JWK Set";
    vfetch_resp_clear(&resp);
    return ks;
}

/* The mutex is released during the fetch: verifications with the current
 * set go on. */
void vkeyring_refresh(vkeyring_t *k, int64_t now_s, int wait)
{
    vkeyset_t *fresh, *old = NULL;
    const char *why = NULL;

    lock(k);
    if (k->fetching) {
        while (wait && k->fetching)
            if (pthread_cond_wait(&k->fetched, &k->mu) != 0)
                abort();
        unlock(k);
        return;
    }
    if (k->attempted && now_s >= k->last_attempt_s &&
        now_s - k->last_attempt_s < VBEARER_REFETCH_S) {
        unlock(k);
        return;
    }
    k->fetching = 1;
    k->attempted = 1;
    k->last_attempt_s = now_s;
    unlock(k);

    fresh = vkeyring_fetch(k->jwks_url, k->ca_file, &why);

    lock(k);
    if (fresh != NULL) {
        fresh->stamped = 1;
        fresh->stamp_s = now_s;
        old = k->keys;
        k->keys = fresh;
        k->fetch_error = NULL;
        if (--old->refs != 0)
            old = NULL; /* still in use: its last user frees it */
    } else {
        k->fetch_error = why; /* keep the set we had */
    }
    k->fetching = 0;
    if (pthread_cond_broadcast(&k->fetched) != 0)
        abort();
    unlock(k);
    vkeyset_free(old);
}
