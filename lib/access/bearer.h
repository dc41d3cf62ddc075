/* bearer.h - OAuth2 bearer tokens (signed JWTs, RFC 6750 and RFC 7519):
 * the access.bearer settings and the verification of one Authorization
 * header.
 *
 * Settings (access.bearer), read through the vnode getters:
 *   exactly one key source:
 *     jwks_file        a JWK Set file (RSA keys and EC P-256 keys)
 *     jwks_url         an https:// URL of a JWK Set, fetched with libcurl
 *     public_key_file  a PEM public key or certificate: RSA or EC P-256
 *     secret_file      an HS256 secret: the file's bytes, less one
 *                      trailing newline; at least 32 bytes
 *   ca_file            CA certificates (PEM) to trust for jwks_url
 *                      instead of the system's (only with jwks_url)
 *   issuer             required "iss", compared exactly (optional)
 *   audience           required "aud" (a string, or one of an array)
 *   scope              required scope (one, without spaces; optional)
 *   leeway             clock skew allowed for exp and nbf (default 0s)
 *
 * The algorithm comes from the key, never from the token alone: an RSA key
 * verifies RS256 only, an EC P-256 key ES256 only, a secret HS256 only. A
 * token whose header names another algorithm (alg none, or an HS256 token
 * "signed" with the RSA public key as its secret) is invalid before any
 * signature is computed.
 *
 * Keys: a JWKS file, a PEM key or a secret is loaded once at configure
 * time. A JWKS URL is fetched at configure time too; when that fails (the
 * identity provider may be down while vitalsd starts) the key set stays
 * empty and the first token fetches it again. The set is then refetched
 * when a token names a kid it does not hold, and when it is an hour old,
 * but at most once per 30 s whatever the tokens say, so that tokens with
 * made-up kids cannot make vitalsd hammer the identity provider.
 *
 * Thread safety: vbearer_verify may run in any number of threads at once.
 * The key set is immutable and reference counted; a mutex guards only the
 * pointer to the current set and the fetch bookkeeping and is never held
 * during a network fetch. One thread fetches; threads that need a key the
 * current set lacks wait for that fetch (at most its 5 s timeout), the
 * others go on with the set they have.
 */
#ifndef VITALS_BEARER_H
#define VITALS_BEARER_H

#include <stdint.h>

#include "config/vnode.h"

/* Tokens longer than this are invalid without being parsed. */
#define VBEARER_MAX_TOKEN 8192
/* A JWKS URL is fetched at most once per this many seconds. */
#define VBEARER_REFETCH_S 30
/* A fetched key set older than this is refetched on next use (and kept if
 * that fails): keys the identity provider withdrew stop working. */
#define VBEARER_MAX_AGE_S 3600

typedef enum {
    VBEARER_OK = 0,
    VBEARER_MISSING,            /* no header, or not "Bearer <token>" */
    VBEARER_INVALID,            /* 401 invalid_token */
    VBEARER_INSUFFICIENT_SCOPE  /* 403 insufficient_scope */
} vbearer_status_t;

typedef struct vbearer_result {
    vbearer_status_t status;
    /* Why, for logs only ("token expired", "unknown kid"): a static
     * string, never NULL. The HTTP layer sends clients the category, not
     * this, so that a caller cannot probe which check failed. */
    const char *reason;
} vbearer_result_t;

typedef struct vbearer vbearer_t;

/* Reads the access.bearer map and loads its keys. Errors go to e at the
 * position of the key they are about (a bad key file names the file and
 * why). Returns NULL when it added an error. Keys of map it does not know
 * are left for the caller's vnode_map_done. */
vbearer_t *vbearer_configure(vnode_t *map, verrs_t *e);

/* Verifies an Authorization header value (may be NULL) at now_s, seconds
 * since the epoch by the wall clock (exp and nbf are wall-clock times).
 * Fills *out and returns out->status. May fetch a JWKS URL (see above). */
int vbearer_verify(vbearer_t *b, const char *authorization, int64_t now_s,
                   vbearer_result_t *out);

/* Nobody may be verifying with b any more. */
void vbearer_free(vbearer_t *b);

#endif
