/* jwk.c - the keys access.bearer verifies with: key sets, the checks a
 * public key must pass, and keys built from a JWK Set's JSON Web Keys (see
 * jwk.h). */
#include "access/jwk.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/param_build.h>

#include "access/base64url.h"

/* Entries of a JWK Set looked at; an identity provider publishes a few. */
#define MAX_JWKS_ENTRIES 64
/* Shorter RSA keys are breakable; every identity provider uses 2048+. */
#define MIN_RSA_BITS 2048

const char *const vkey_alg[3] = {"RS256", "ES256", "HS256"};

/* ------------------------------------------------------------------------
 * Keys and key sets
 */

static void key_clear(vkey_t *k)
{
    free(k->kid);
    EVP_PKEY_free(k->pkey);
    if (k->secret != NULL) {
        OPENSSL_cleanse(k->secret, k->secret_len);
        free(k->secret);
    }
    memset(k, 0, sizeof(*k));
}

vkeyset_t *vkeyset_new(size_t cap)
{
    vkeyset_t *ks = calloc(1, sizeof(*ks) + cap * sizeof(ks->k[0]));

    if (ks != NULL)
        ks->refs = 1;
    return ks;
}

void vkeyset_free(vkeyset_t *ks)
{
    if (ks == NULL)
        return;
    for (size_t i = 0; i < ks->n; i++)
        key_clear(&ks->k[i]);
    free(ks);
}

/* ------------------------------------------------------------------------
 * Building and checking OpenSSL keys
 */

int vkey_check_pkey(EVP_PKEY *pk, vkey_kind_t *kind, char *why,
                    size_t whylen)
{
    EVP_PKEY_CTX *ctx;
    int ok;

    if (EVP_PKEY_is_a(pk, "RSA")) {
        int bits = EVP_PKEY_get_bits(pk);

        if (bits < MIN_RSA_BITS) {
            snprintf(why, whylen, "an RSA key of %d bits (at least %d are "
                                  "needed)",
                     bits, MIN_RSA_BITS);
            return -1;
        }
        *kind = VKEY_RSA;
    } else if (EVP_PKEY_is_a(pk, "EC")) {
        char group[64];

        if (EVP_PKEY_get_utf8_string_param(pk, OSSL_PKEY_PARAM_GROUP_NAME,
                                           group, sizeof(group),
                                           NULL) != 1) {
            ERR_clear_error();
            snprintf(why, whylen, "an EC key without a named curve (only "
                                  "P-256 is supported)");
            return -1;
        }
        if (strcmp(group, "prime256v1") != 0) {
            snprintf(why, whylen, "an EC key on curve %s (only P-256 is "
                                  "supported)",
                     group);
            return -1;
        }
        *kind = VKEY_EC;
    } else {
        const char *name = EVP_PKEY_get0_type_name(pk);

        snprintf(why, whylen, "a %s key (only RSA and EC P-256 keys are "
                              "supported)",
                 name != NULL ? name : "unknown");
        return -1;
    }
    /* A modulus that is even or an EC point off the curve would make
     * every verification meaningless: refuse the key instead. */
    if ((ctx = EVP_PKEY_CTX_new_from_pkey(NULL, pk, NULL)) == NULL) {
        snprintf(why, whylen, "out of memory");
        return -1;
    }
    ok = EVP_PKEY_public_check(ctx) == 1;
    EVP_PKEY_CTX_free(ctx);
    ERR_clear_error();
    if (!ok) {
        snprintf(why, whylen, "the public key fails OpenSSL's checks");
        return -1;
    }
    return 0;
}

/* A public key of type ("RSA", "EC") from the parameters in bld. */
static EVP_PKEY *pkey_from_params(const char *type, OSSL_PARAM_BLD *bld)
{
    OSSL_PARAM *params = OSSL_PARAM_BLD_to_param(bld);
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, type, NULL);
    EVP_PKEY *pk = NULL;

    if (params == NULL || ctx == NULL ||
        EVP_PKEY_fromdata_init(ctx) != 1 ||
        EVP_PKEY_fromdata(ctx, &pk, EVP_PKEY_PUBLIC_KEY, params) != 1)
        pk = NULL;
    EVP_PKEY_CTX_free(ctx);
    OSSL_PARAM_free(params);
    ERR_clear_error();
    return pk;
}

/* The bytes of a base64url JWK member (RFC 7518 writes them unpadded;
 * padding is tolerated, as some publishers add it). 0, EINVAL, ENOMEM. */
static int jwk_bytes(json_t *jwk, const char *name, unsigned char **out,
                     size_t *len)
{
    const char *s = json_string_value(json_object_get(jwk, name));
    size_t n;
    int rc;

    if (s == NULL)
        return EINVAL;
    n = strlen(s);
    for (int i = 0; i < 2 && n > 0 && s[n - 1] == '='; i++)
        n--;
    if (n == 0)
        return EINVAL;
    rc = vb64url_decode(s, n, out, len);
    if (rc == 0 && *len == 0) {
        free(*out);
        rc = EINVAL;
    }
    return rc;
}

static EVP_PKEY *rsa_from_jwk(json_t *jwk, char *why, size_t whylen)
{
    unsigned char *n = NULL, *e = NULL;
    size_t nlen = 0, elen = 0;
    BIGNUM *bn_n = NULL, *bn_e = NULL;
    OSSL_PARAM_BLD *bld = NULL;
    EVP_PKEY *pk = NULL;
    int rc;

    if ((rc = jwk_bytes(jwk, "n", &n, &nlen)) != 0 ||
        (rc = jwk_bytes(jwk, "e", &e, &elen)) != 0) {
        snprintf(why, whylen, rc == ENOMEM ? "out of memory"
                                           : "an RSA key without valid "
                                             "\"n\" and \"e\" (base64url)");
        goto done;
    }
    if ((bn_n = BN_bin2bn(n, (int)nlen, NULL)) == NULL ||
        (bn_e = BN_bin2bn(e, (int)elen, NULL)) == NULL ||
        (bld = OSSL_PARAM_BLD_new()) == NULL ||
        !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, bn_n) ||
        !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, bn_e)) {
        snprintf(why, whylen, "out of memory");
        goto done;
    }
    if ((pk = pkey_from_params("RSA", bld)) == NULL)
        snprintf(why, whylen, "OpenSSL refuses the RSA key");
done:
    OSSL_PARAM_BLD_free(bld);
    BN_free(bn_n);
    BN_free(bn_e);
    free(n);
    free(e);
    ERR_clear_error();
    return pk;
}

static EVP_PKEY *ec_from_jwk(json_t *jwk, char *why, size_t whylen)
{
    unsigned char *x = NULL, *y = NULL, point[65];
    size_t xlen = 0, ylen = 0;
    OSSL_PARAM_BLD *bld = NULL;
    EVP_PKEY *pk = NULL;
    int rc;

    if ((rc = jwk_bytes(jwk, "x", &x, &xlen)) != 0 ||
        (rc = jwk_bytes(jwk, "y", &y, &ylen)) != 0 || xlen != 32 ||
        ylen != 32) {
        snprintf(why, whylen, rc == ENOMEM ? "out of memory"
                                           : "a P-256 key without valid "
                                             "\"x\" and \"y\" (32 bytes "
                                             "each, base64url)");
        goto done;
    }
    /* An uncompressed SEC 1 point: 04 || x || y. */
    point[0] = 0x04;
    memcpy(point + 1, x, 32);
    memcpy(point + 33, y, 32);
    if ((bld = OSSL_PARAM_BLD_new()) == NULL ||
        !OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME,
                                         "prime256v1", 0) ||
        !OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY,
                                          point, sizeof(point))) {
        snprintf(why, whylen, "out of memory");
        goto done;
    }
    if ((pk = pkey_from_params("EC", bld)) == NULL)
        snprintf(why, whylen, "OpenSSL refuses the EC key (is the point "
                              "on P-256?)");
done:
    OSSL_PARAM_BLD_free(bld);
    free(x);
    free(y);
    ERR_clear_error();
    return pk;
}

/* ------------------------------------------------------------------------
 * JWK Sets (RFC 7517)
 */

/* 1 when an optional JWK member is absent or says "verify signatures". */
static int jwk_usable(json_t *jwk)
{
    const char *use = json_string_value(json_object_get(jwk, "use"));
    json_t *ops = json_object_get(jwk, "key_ops"), *op;
    size_t i;

    if (use != NULL && strcmp(use, "sig") != 0)
        return 0; /* an encryption key */
    if (json_is_array(ops)) {
        json_array_foreach(ops, i, op) {
            const char *s = json_string_value(op);

            if (s != NULL && strcmp(s, "verify") == 0)
                return 1;
        }
        return 0;
    }
    return 1;
}

/* Turns one JWK into k. 1 when k is set, 0 when the key is not for us
 * (another kty, curve or algorithm, or not for signatures: skipped, as an
 * identity provider may publish those too), -1 with why set when it claims
 * to be an RSA or P-256 signing key but is malformed. */
static int parse_jwk(json_t *jwk, vkey_t *k, char *why, size_t whylen)
{
    const char *kty, *alg, *want;
    json_t *kid;
    EVP_PKEY *pk;
    vkey_kind_t kind;

    if (!json_is_object(jwk)) {
        snprintf(why, whylen, "not a JSON object");
        return -1;
    }
    if ((kty = json_string_value(json_object_get(jwk, "kty"))) == NULL) {
        snprintf(why, whylen, "no \"kty\"");
        return -1;
    }
    kid = json_object_get(jwk, "kid");
    if (kid != NULL && !json_is_string(kid)) {
        snprintf(why, whylen, "\"kid\" is not a string");
        return -1;
    }
    alg = json_string_value(json_object_get(jwk, "alg"));
    if (strcmp(kty, "RSA") == 0) {
        want = vkey_alg[VKEY_RSA];
    } else if (strcmp(kty, "EC") == 0) {
        const char *crv = json_string_value(json_object_get(jwk, "crv"));

        if (crv == NULL || strcmp(crv, "P-256") != 0)
            return 0;
        want = vkey_alg[VKEY_EC];
    } else {
        return 0;
    }
    if ((alg != NULL && strcmp(alg, want) != 0) || !jwk_usable(jwk))
        return 0;
    pk = strcmp(kty, "RSA") == 0 ? rsa_from_jwk(jwk, why, whylen)
                                 : ec_from_jwk(jwk, why, whylen);
    if (pk == NULL)
        return -1;
    if (vkey_check_pkey(pk, &kind, why, whylen) != 0) {
        EVP_PKEY_free(pk);
        return -1;
    }
    k->kind = kind;
    k->pkey = pk;
    if (kid != NULL && (k->kid = strdup(json_string_value(kid))) == NULL) {
        key_clear(k);
        snprintf(why, whylen, "out of memory");
        return -1;
    }
    return 1;
}

vkeyset_t *vjwks_parse(const char *text, size_t len, char *why,
                       size_t whylen)
{
    json_error_t jerr;
    json_t *doc, *keys;
    vkeyset_t *ks = NULL;
    size_t n;

    doc = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
    if (doc == NULL) {
        snprintf(why, whylen, "not JSON: %s (line %d, column %d)", jerr.text,
                 jerr.line, jerr.column);
        return NULL;
    }
    keys = json_object_get(doc, "keys");
    if (!json_is_object(doc) || !json_is_array(keys)) {
        snprintf(why, whylen, "not a JWK Set (a JSON object with a "
                              "\"keys\" array)");
        goto done;
    }
    if ((n = json_array_size(keys)) > MAX_JWKS_ENTRIES) {
        snprintf(why, whylen, "%zu keys (at most %d)", n, MAX_JWKS_ENTRIES);
        goto done;
    }
    if ((ks = vkeyset_new(n)) == NULL) {
        snprintf(why, whylen, "out of memory");
        goto done;
    }
    for (size_t i = 0; i < n; i++) {
        char detail[160];
        int rc = parse_jwk(json_array_get(keys, i), &ks->k[ks->n], detail,
                           sizeof(detail));

        if (rc < 0) {
            snprintf(why, whylen, "key %zu: %s", i + 1, detail);
            vkeyset_free(ks);
            ks = NULL;
            goto done;
        }
        ks->n += (size_t)rc;
    }
    if (ks->n == 0) {
        snprintf(why, whylen, "no usable key (RSA or EC P-256 keys for "
                              "signatures)");
        vkeyset_free(ks);
        ks = NULL;
    }
done:
    json_decref(doc);
    return ks;
}
