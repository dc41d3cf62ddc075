/* jws.h - a bearer token as a JSON Web Signature (RFC 7515, compact form):
 * its parts decoded, and its signature verified with the keys of a key
 * set. Internal to access/. */
#ifndef VITALS_JWS_H
#define VITALS_JWS_H

#include <stddef.h>

#include <jansson.h>

#include "access/jwk.h"

/* The token's parts. Zero it before vjws_decode; free with vjws_clear. */
typedef struct vjws {
    char *text;        /* the token, NUL-terminated */
    size_t signed_len; /* header.payload: what the signature covers */
    unsigned char *sig;
    size_t sig_len;
    json_t *header, *claims;
} vjws_t;

/* Splits and decodes the compact JWS tok[0..len) into t: only base64url
 * and two dots, a header and claims that are JSON objects, a canonical
 * signature. NULL, or why not (static text: "malformed token (...)", "out
 * of memory"); either way free t with vjws_clear. The header's "typ" is
 * not looked at (RFC 9068's "at+jwt" is as good as "JWT"), nor is the
 * signature. */
const char *vjws_decode(const char *tok, size_t len, vjws_t *t);
void vjws_clear(vjws_t *t);

typedef enum {
    VJWS_OK,       /* a key verified the signature */
    VJWS_BAD_SIG,  /* keys for the token's algorithm, none verified */
    VJWS_MISMATCH, /* the key(s) the token names are of another kind */
    VJWS_NO_KEY,   /* no key with the token's kid (or no key at all) */
    VJWS_ERROR     /* OpenSSL failed */
} vjws_found_t;

/* Verifies t with the keys of ks that it may be signed with: those with
 * its kid (every key when it has none, or for a single configured key),
 * and of kind, the kind of its algorithm. */
vjws_found_t vjws_verify_with(const vkeyset_t *ks, vkey_kind_t kind,
                              const char *kid, const vjws_t *t);

#endif
