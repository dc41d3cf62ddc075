/* jose.c - keys and JWS signatures for the JWT fuzz targets (jose.h). */
#include "jose.h"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/yaml.h"

const char vfuzz_secret[] = "fuzzing-secret-of-forty-bytes-0123456789";

EVP_PKEY *vfuzz_rsa_key(void)
{
    EVP_PKEY *k = EVP_RSA_gen(2048);

    if (k == NULL)
        abort();
    return k;
}

EVP_PKEY *vfuzz_ec_key(void)
{
    EVP_PKEY *k = EVP_EC_gen("P-256");

    if (k == NULL)
        abort();
    return k;
}

char *vfuzz_public_pem(EVP_PKEY *k)
{
    BIO *bio = BIO_new(BIO_s_mem());
    char *data, *pem;
    long len;

    if (bio == NULL || PEM_write_bio_PUBKEY(bio, k) != 1)
        abort();
    len = BIO_get_mem_data(bio, &data);
    if ((pem = strndup(data, (size_t)len)) == NULL)
        abort();
    BIO_free(bio);
    return pem;
}

void vfuzz_b64url(const unsigned char *p, size_t n, char *out, size_t *o)
{
    static const char abc[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                              "0123456789-_";
    unsigned acc = 0, bits = 0;

    for (size_t i = 0; i < n; i++) {
        acc = (acc << 8) | p[i];
        bits += 8;
        while (bits >= 6) {
            bits -= 6;
            out[(*o)++] = abc[(acc >> bits) & 63];
        }
    }
    if (bits > 0)
        out[(*o)++] = abc[(acc << (6 - bits)) & 63];
    out[*o] = '\0';
}

/* base64url of a BIGNUM parameter of k, into out (room for 400 bytes). */
static void bn_param(EVP_PKEY *k, const char *name, char *out)
{
    BIGNUM *bn = NULL;
    unsigned char buf[512];
    size_t o = 0;
    int n;

    if (EVP_PKEY_get_bn_param(k, name, &bn) != 1 ||
        (n = BN_bn2bin(bn, buf)) <= 0)
        abort();
    vfuzz_b64url(buf, (size_t)n, out, &o);
    BN_free(bn);
}

char *vfuzz_jwk(EVP_PKEY *k, const char *kid)
{
    char *jwk = NULL;

    if (EVP_PKEY_is_a(k, "RSA")) {
        char n[400], e[16];

        bn_param(k, OSSL_PKEY_PARAM_RSA_N, n);
        bn_param(k, OSSL_PKEY_PARAM_RSA_E, e);
        if (asprintf(&jwk, "{\"kty\": \"RSA\", \"kid\": \"%s\", \"use\": "
                           "\"sig\", \"alg\": \"RS256\", \"n\": \"%s\", "
                           "\"e\": \"%s\"}",
                     kid, n, e) < 0)
            abort();
    } else {
        unsigned char point[65];
        char x[64], y[64];
        size_t len = 0, ox = 0, oy = 0;

        if (EVP_PKEY_get_octet_string_param(k, OSSL_PKEY_PARAM_PUB_KEY,
                                            point, sizeof(point),
                                            &len) != 1 ||
            len != 65)
            abort();
        vfuzz_b64url(point + 1, 32, x, &ox);
        vfuzz_b64url(point + 33, 32, y, &oy);
        if (asprintf(&jwk, "{\"kty\": \"EC\", \"kid\": \"%s\", \"crv\": "
                           "\"P-256\", \"x\": \"%s\", \"y\": \"%s\"}",
                     kid, x, y) < 0)
            abort();
    }
    return jwk;
}

/* The JWS signature of data[0..n) with k: R || S for EC. */
static int sign_bytes(EVP_PKEY *k, const unsigned char *data, size_t n,
                      unsigned char *sig, size_t *sig_len)
{
    EVP_MD_CTX *ctx;
    unsigned char der[600];
    size_t der_len = sizeof(der);
    const unsigned char *p = der;
    ECDSA_SIG *es;
    int ok;

    if (k == NULL) {
        unsigned len = 0;

        if (HMAC(EVP_sha256(), vfuzz_secret, (int)strlen(vfuzz_secret), data,
                 n, sig, &len) == NULL)
            return -1;
        *sig_len = len;
        return 0;
    }
    if ((ctx = EVP_MD_CTX_new()) == NULL)
        return -1;
    ok = EVP_DigestSignInit(ctx, NULL, EVP_sha256(), NULL, k) == 1 &&
         EVP_DigestSign(ctx, der, &der_len, data, n) == 1;
    EVP_MD_CTX_free(ctx);
    if (!ok)
        return -1;
    if (EVP_PKEY_is_a(k, "RSA")) {
        memcpy(sig, der, der_len);
        *sig_len = der_len;
        return 0;
    }
    if ((es = d2i_ECDSA_SIG(NULL, &p, (long)der_len)) == NULL)
        return -1;
    ok = BN_bn2binpad(ECDSA_SIG_get0_r(es), sig, 32) == 32 &&
         BN_bn2binpad(ECDSA_SIG_get0_s(es), sig + 32, 32) == 32;
    ECDSA_SIG_free(es);
    *sig_len = 64;
    return ok ? 0 : -1;
}

char *vfuzz_sign(EVP_PKEY *k, const char *header, size_t hlen,
                 const char *payload, size_t plen)
{
    unsigned char sig[600];
    size_t o = 0, sig_len = 0;
    char *tok = malloc(2 * (hlen + plen) + 1024);

    if (tok == NULL)
        return NULL;
    vfuzz_b64url((const unsigned char *)header, hlen, tok, &o);
    tok[o++] = '.';
    vfuzz_b64url((const unsigned char *)payload, plen, tok, &o);
    if (sign_bytes(k, (unsigned char *)tok, o, sig, &sig_len) != 0) {
        free(tok);
        return NULL;
    }
    tok[o++] = '.';
    vfuzz_b64url(sig, sig_len, tok, &o);
    return tok;
}

vbearer_t *vfuzz_bearer(const char *key_line)
{
    verrs_t *e = verrs_new();
    char *text = NULL;
    vnode_t *root;
    vbearer_t *b = NULL;

    if (e == NULL ||
        asprintf(&text, "%s\nissuer: \"" VFUZZ_ISSUER "\"\naudience: "
                        VFUZZ_AUDIENCE "\nscope: " VFUZZ_SCOPE
                        "\nleeway: 30s\n",
                 key_line) < 0)
        abort();
    root = vyaml_load_string(text, strlen(text), "bearer", e);
    if (root != NULL)
        b = vbearer_configure(root, e);
    if (b == NULL || e->n > 0) {
        char *why = verrs_join(e);

        fprintf(stderr, "fuzz: bearer settings refused: %s\n",
                why ? why : "?");
        abort();
    }
    vnode_free(root);
    vitals_errors_free(e);
    free(text);
    return b;
}
