/* jose.h - keys and signatures for the JWT fuzz targets, made with OpenSSL
 * at start-up: tokens signed here are valid, so the fuzzer reaches the
 * claims checks, and keys made fresh for each run can never be matched by
 * an input, so any token they accept that was not signed here is a
 * forgery. */
#ifndef VITALS_FUZZ_JOSE_H
#define VITALS_FUZZ_JOSE_H

#include <openssl/evp.h>
#include <stddef.h>

#include "access/bearer.h"

/* The fixed HS256 secret (40 bytes). */
extern const char vfuzz_secret[];

/* A new RSA 2048 or EC P-256 key pair. Aborts on failure. */
EVP_PKEY *vfuzz_rsa_key(void);
EVP_PKEY *vfuzz_ec_key(void);

/* The PEM public key of k (new string). */
char *vfuzz_public_pem(EVP_PKEY *k);
/* The JWK of k's public key with kid (new string, a JSON object). */
char *vfuzz_jwk(EVP_PKEY *k, const char *kid);

/* base64url of n bytes, unpadded, appended to out at *o (out has room for
 * 4 * n / 3 + 4 more bytes). */
void vfuzz_b64url(const unsigned char *p, size_t n, char *out, size_t *o);

/* "header.payload.signature" of the two JSON texts, signed with k (NULL:
 * the HS256 secret): HS256, RS256 or ES256 by the key, whatever the header
 * says. New string, or NULL when OpenSSL fails. */
char *vfuzz_sign(EVP_PKEY *k, const char *header, size_t hlen,
                 const char *payload, size_t plen);

/* access.bearer settings as YAML text (key_line, e.g. "secret_file: X",
 * plus issuer, audience, scope and leeway) into a verifier. Aborts when the
 * settings are refused. */
vbearer_t *vfuzz_bearer(const char *key_line);

/* The issuer, audience and scope vfuzz_bearer sets. */
#define VFUZZ_ISSUER "https://idp.example/"
#define VFUZZ_AUDIENCE "health-api"
#define VFUZZ_SCOPE "get.health"
#define VFUZZ_NOW 1700000000 /* the verify clock, seconds */

#endif
