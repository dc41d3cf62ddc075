/* jws.c - a bearer token's JSON Web Signature: decoding its parts (base64url
 * and jansson) and verifying its signature with OpenSSL (see jws.h).
 * Verifying ourselves rather than handing a JWT library a key is what lets
 * the key decide the algorithm (see bearer.c). */
#include "access/jws.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "access/base64url.h"

void vjws_clear(vjws_t *t)
{
    free(t->text);
    free(t->sig);
    json_decref(t->header);
    json_decref(t->claims);
}

/* The JSON object spelled in base64url by p[0..len) into *out. NULL, or
 * why not (static). */
static const char *part_object(const char *p, size_t len, json_t **out)
{
    unsigned char *raw = NULL;
    size_t raw_len = 0;
    int rc = vb64url_decode(p, len, &raw, &raw_len);

    if (rc != 0)
        return rc == ENOMEM ? "out of memory" : "malformed token";
    *out = json_loadb((const char *)raw, raw_len, 0, NULL);
    free(raw);
    if (*out == NULL)
        return "malformed token";
    if (!json_is_object(*out))
        return "malformed token (header or claims not a JSON object)";
    return NULL;
}

const char *vjws_decode(const char *tok, size_t len, vjws_t *t)
{
    const char *dot1 = NULL, *dot2 = NULL, *why;
    int rc;

    /* Only base64url and two dots: anything else is no JWS, and stopping
     * here keeps odd bytes away from the parsers. */
    for (size_t i = 0; i < len; i++) {
        if (tok[i] == '.') {
            if (dot1 == NULL)
                dot1 = tok + i;
            else if (dot2 == NULL)
                dot2 = tok + i;
            else
                return "malformed token (more than three parts)";
        } else if (vb64url_value((unsigned char)tok[i]) < 0) {
            return "malformed token (not base64url)";
        }
    }
    if (dot2 == NULL || dot1 == tok || dot2 == dot1 + 1)
        return "malformed token (not three parts)";
    if ((t->text = malloc(len + 1)) == NULL)
        return "out of memory";
    memcpy(t->text, tok, len);
    t->text[len] = '\0';
    t->signed_len = (size_t)(dot2 - tok);
    /* Decoded here rather than by libjwt, which refuses any "typ" but
     * "JWT" and so the access tokens of RFC 9068 ("at+jwt"); the type is
     * no security property, the key and the claims are. */
    if ((why = part_object(tok, (size_t)(dot1 - tok), &t->header)) != NULL ||
        (why = part_object(dot1 + 1, (size_t)(dot2 - dot1 - 1),
                           &t->claims)) != NULL)
        return why;
    rc = vb64url_decode(dot2 + 1, len - t->signed_len - 1, &t->sig,
                        &t->sig_len);
    if (rc != 0)
        return rc == ENOMEM ? "out of memory" : "malformed signature";
    return NULL;
}

/* 1 when the signature is good, 0 when not, -1 when OpenSSL failed. */
static int verify_signature(const vkey_t *k, const vjws_t *t)
{
    const unsigned char *data = (const unsigned char *)t->text;
    unsigned char *der = NULL;
    const unsigned char *sig = t->sig;
    size_t sig_len = t->sig_len;
    EVP_MD_CTX *ctx;
    int rc;

    if (k->kind == VKEY_HMAC) {
        unsigned char mac[EVP_MAX_MD_SIZE];
        unsigned mac_len = 0;

        if (HMAC(EVP_sha256(), k->secret, (int)k->secret_len, data,
                 t->signed_len, mac, &mac_len) == NULL) {
            ERR_clear_error();
            return -1;
        }
        /* Constant time: how many leading bytes matched must not show. */
        return sig_len == mac_len && CRYPTO_memcmp(sig, mac, mac_len) == 0;
    }
    if (k->kind == VKEY_EC) {
        /* JWS carries R || S (RFC 7518 section 3.4); OpenSSL wants DER. */
        ECDSA_SIG *es;
        BIGNUM *r, *s;
        int der_len;

        if (sig_len != 64)
            return 0;
        es = ECDSA_SIG_new();
        r = BN_bin2bn(sig, 32, NULL);
        s = BN_bin2bn(sig + 32, 32, NULL);
        if (es == NULL || r == NULL || s == NULL ||
            ECDSA_SIG_set0(es, r, s) != 1) {
            ECDSA_SIG_free(es);
            BN_free(r);
            BN_free(s);
            ERR_clear_error();
            return -1;
        }
        der_len = i2d_ECDSA_SIG(es, &der);
        ECDSA_SIG_free(es);
        if (der_len <= 0) {
            ERR_clear_error();
            return -1;
        }
        sig = der;
        sig_len = (size_t)der_len;
    }
    if ((ctx = EVP_MD_CTX_new()) == NULL) {
        OPENSSL_free(der);
        return -1;
    }
    rc = EVP_DigestVerifyInit(ctx, NULL, EVP_sha256(), NULL, k->pkey) == 1
             ? EVP_DigestVerify(ctx, sig, sig_len, data, t->signed_len) == 1
             : -1;
    EVP_MD_CTX_free(ctx);
    OPENSSL_free(der);
    /* A bad signature leaves errors on this thread's queue: drop them, or
     * they pile up and confuse the next OpenSSL user in the thread. */
    ERR_clear_error();
    return rc;
}

vjws_found_t vjws_verify_with(const vkeyset_t *ks, vkey_kind_t kind,
                              const char *kid, const vjws_t *t)
{
    int named = 0, tried = 0;

    for (size_t i = 0; i < ks->n; i++) {
        const vkey_t *k = &ks->k[i];
        int rc;

        if (!ks->any_kid && kid != NULL &&
            (k->kid == NULL || strcmp(k->kid, kid) != 0))
            continue;
        named = 1;
        if (k->kind != kind)
            continue;
        tried = 1;
        if ((rc = verify_signature(k, t)) != 0)
            return rc > 0 ? VJWS_OK : VJWS_ERROR;
    }
    return tried ? VJWS_BAD_SIG : named ? VJWS_MISMATCH : VJWS_NO_KEY;
}
