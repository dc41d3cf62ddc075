/* jwk.h - the keys access.bearer verifies with, and JSON Web Keys (RFC
 * 7517) turned into them: the key types, key sets, and the parsing of a
 * JWK Set. Internal to access/. */
#ifndef VITALS_JWK_H
#define VITALS_JWK_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

/* Key files, CA files and JWKS documents: far larger than any real one. */
#define VKEY_MAX_DOCUMENT (1024 * 1024)

typedef enum { VKEY_RSA, VKEY_EC, VKEY_HMAC } vkey_kind_t;

/* The one algorithm each kind of key verifies, by vkey_kind_t. */
extern const char *const vkey_alg[3];

typedef struct vkey {
    vkey_kind_t kind;
    char *kid;      /* NULL: none */
    EVP_PKEY *pkey; /* VKEY_RSA, VKEY_EC */
    unsigned char *secret;
    size_t secret_len; /* VKEY_HMAC */
} vkey_t;

/* Immutable once published, except for the stamp (guarded by the key
 * ring's mutex like refs; see keyring.h). */
typedef struct vkeyset {
    int refs;
    int any_kid;     /* a single configured key: the token's kid is moot */
    int stamped;     /* stamp_s is set */
    int64_t stamp_s; /* when it was fetched, by the verify clock */
    size_t n;
    vkey_t k[]; /* n used */
} vkeyset_t;

/* A new empty set with room for cap keys and one reference, or NULL. */
vkeyset_t *vkeyset_new(size_t cap);
/* Frees ks and its keys (secrets overwritten first). NULL is fine. */
void vkeyset_free(vkeyset_t *ks);

/* Checks that pk is a key we verify with (RSA of 2048 bits or more, or EC
 * P-256, passing OpenSSL's public key checks), and which kind. 0, or -1
 * with why set. */
int vkey_check_pkey(EVP_PKEY *pk, vkey_kind_t *kind, char *why,
                    size_t whylen);

/* A new key set (one reference) of the usable keys of the JWK Set
 * document text[0..len), or NULL with why set: not JSON, not a JWK Set,
 * a malformed RSA or P-256 key, or no usable key at all. */
vkeyset_t *vjwks_parse(const char *text, size_t len, char *why,
                       size_t whylen);

#endif
