/* keyring.h - the key set a bearer verifier uses, shared by the threads
 * that verify, and its refetching from a JWKS URL (see bearer.h for the
 * policy: on an unknown kid, when an hour old, at most once per 30 s).
 * Internal to access/.
 *
 * Sets are immutable and reference counted; the mutex guards only the
 * pointer to the current set and the fetch bookkeeping, and is never held
 * during a network fetch. */
#ifndef VITALS_KEYRING_H
#define VITALS_KEYRING_H

#include <pthread.h>
#include <stdint.h>

#include "access/jwk.h"

typedef struct vkeyring {
    char *jwks_url, *ca_file; /* jwks_url: the set is refetched */

    pthread_mutex_t mu; /* guards everything below */
    pthread_cond_t fetched;
    vkeyset_t *keys;    /* never NULL once configured: an empty set until
                         * a fetch works */
    int fetching;       /* a thread is fetching; others may wait */
    int attempted;      /* last_attempt_s is set */
    int64_t last_attempt_s;
    const char *fetch_error; /* static text: why the last fetch failed */
} vkeyring_t;

/* Zeroes k and makes its mutex and condition variable. 0; -1 when the
 * mutex, -2 when the condition variable cannot be made (nothing to free
 * then). */
int vkeyring_init(vkeyring_t *k);
/* Frees what k holds. Nobody may be using it any more. */
void vkeyring_destroy(vkeyring_t *k);

/* The current key set, with a reference for the caller to give back with
 * vkeyring_release. *stale: it came from the URL more than
 * VBEARER_MAX_AGE_S ago. */
vkeyset_t *vkeyring_acquire(vkeyring_t *k, int64_t now_s, int *stale);
void vkeyring_release(vkeyring_t *k, vkeyset_t *ks);

/* Fetches the JWKS URL again, unless a fetch started less than
 * VBEARER_REFETCH_S ago (a clock that went back allows one). When another
 * thread is fetching already, waits for it if wait is set. */
void vkeyring_refresh(vkeyring_t *k, int64_t now_s, int wait);

/* Why the last fetch failed (static text), or NULL. */
const char *vkeyring_fetch_error(vkeyring_t *k);

/* Fetches and parses the JWKS URL (https only, redirects included): a new
 * key set, or NULL with *why set to a static text. Takes no lock. */
vkeyset_t *vkeyring_fetch(const char *url, const char *ca_file,
                          const char **why);

#endif
