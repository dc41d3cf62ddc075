/* fuzz_jwt.c - bearer tokens: vbearer_verify against four fixed verifiers
 * (an HS256 secret, an RSA public key, an EC P-256 public key, and a JWK
 * Set of both with kids), all with issuer, audience, scope and leeway.
 *
 * The first input byte picks the verifier (bits 0-1) and the mode:
 *   bit 2 clear: the rest is the Authorization header, verbatim;
 *   bit 2 set:   the rest is "HEADER\nCLAIMS" (two JSON texts) that this
 *                target signs with the verifier's key (with the JWKS, the
 *                EC key when bit 3 is set, else the RSA one), so the
 *                claims checks are reached.
 *
 * Asserts what bearer.h promises: the RSA and EC keys are made fresh for
 * each run, so a verbatim token they accept is a forgery; a signed token is
 * accepted only when its alg is the key's own (never "none", never HS256
 * with a public key), its kid (with the JWKS) names the signing key, and
 * its claims carry the issuer and an exp not past. */
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fixture.h"
#include "jose.h"

enum { V_SECRET, V_RSA, V_EC, V_JWKS };

static vbearer_t *verifiers[4];
static EVP_PKEY *rsa, *ec;

/* A verifier from a file of text, through a memfd. */
static vbearer_t *from_file(const char *key, const char *text)
{
    char path[64], line[128];
    vbearer_t *b;
    int fd;

    vfuzz_memfile(text, strlen(text), path, sizeof(path), &fd);
    snprintf(line, sizeof(line), "%s: %s", key, path);
    b = vfuzz_bearer(line);
    close(fd);
    return b;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    char *pem, *jwk_rsa, *jwk_ec, *jwks = NULL;

    (void)argc;
    (void)argv;
    rsa = vfuzz_rsa_key();
    ec = vfuzz_ec_key();
    verifiers[V_SECRET] = from_file("secret_file", vfuzz_secret);
    pem = vfuzz_public_pem(rsa);
    verifiers[V_RSA] = from_file("public_key_file", pem);
    free(pem);
    pem = vfuzz_public_pem(ec);
    verifiers[V_EC] = from_file("public_key_file", pem);
    free(pem);
    jwk_rsa = vfuzz_jwk(rsa, "rsa-1");
    jwk_ec = vfuzz_jwk(ec, "ec-1");
    if (asprintf(&jwks, "{\"keys\": [%s, %s]}", jwk_rsa, jwk_ec) < 0)
        abort();
    verifiers[V_JWKS] = from_file("jwks_file", jwks);
    free(jwk_rsa);
    free(jwk_ec);
    free(jwks);
    return 0;
}

/* 1 when the JSON object text j has member key equal to the string s. */
static int member_is(json_t *j, const char *key, const char *s)
{
    json_t *v = json_object_get(j, key);

    return json_is_string(v) && strcmp(json_string_value(v), s) == 0 &&
           strlen(s) == json_string_length(v);
}

/* JSON text up to its first NUL, as libjwt reads a decoded part. */
static json_t *parse(const char *s, size_t len)
{
    char *copy = strndup(s, len);
    json_t *j = copy ? json_loads(copy, 0, NULL) : NULL;

    free(copy);
    return j;
}

/* A signed token was accepted: was it right to? */
static void check_accepted(const char *h, size_t hlen, const char *c,
                           size_t clen, const char *alg, const char *kid)
{
    json_t *header = parse(h, hlen), *claims = parse(c, clen);
    json_t *exp = json_object_get(claims, "exp");

    if (!member_is(header, "alg", alg))
        abort(); /* an alg other than the key's */
    if (kid != NULL && json_object_get(header, "kid") != NULL &&
        !member_is(header, "kid", kid))
        abort(); /* verified by a key it does not name */
    if (!member_is(claims, "iss", VFUZZ_ISSUER))
        abort();
    if (exp != NULL &&
        (!json_is_number(exp) || json_number_value(exp) + 30 <= VFUZZ_NOW))
        abort();
    json_decref(header);
    json_decref(claims);
}

static void signed_mode(int which, int use_ec, const char *text, size_t len)
{
    const char *nl = memchr(text, '\n', len);
    size_t hlen = nl ? (size_t)(nl - text) : len;
    const char *claims = nl ? nl + 1 : "{}";
    size_t clen = nl ? len - hlen - 1 : 2;
    EVP_PKEY *k = which == V_SECRET ? NULL
                  : which == V_RSA  ? rsa
                  : which == V_EC   ? ec
                  : use_ec          ? ec
                                    : rsa;
    const char *alg = k == NULL ? "HS256" : k == ec ? "ES256" : "RS256";
    const char *kid = which != V_JWKS ? NULL : k == ec ? "ec-1" : "rsa-1";
    char *tok = vfuzz_sign(k, text, hlen, claims, clen), *auth;
    vbearer_result_t res;

    if (tok == NULL)
        return;
    if ((auth = malloc(strlen(tok) + 8)) != NULL) {
        strcpy(auth, "Bearer ");
        strcat(auth, tok);
        int rc = vbearer_verify(verifiers[which], auth, VFUZZ_NOW, &res);

        if (rc == VBEARER_OK || rc == VBEARER_INSUFFICIENT_SCOPE)
            check_accepted(text, hlen, claims, clen, alg, kid);
        free(auth);
    }
    free(tok);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    vbearer_result_t res;
    char *text;
    int which, rc;

    if (size == 0)
        return 0;
    which = data[0] & 3;
    if ((text = malloc(size)) == NULL)
        return 0;
    memcpy(text, data + 1, size - 1);
    text[size - 1] = '\0';
    if (data[0] & 4) {
        signed_mode(which, data[0] & 8, text, size - 1);
    } else {
        rc = vbearer_verify(verifiers[which], text, VFUZZ_NOW, &res);
        if (rc != (int)res.status || res.reason == NULL)
            abort();
        if (which != V_SECRET &&
            (rc == VBEARER_OK || rc == VBEARER_INSUFFICIENT_SCOPE))
            abort(); /* a forgery: these keys are new in this run */
    }
    free(text);
    return 0;
}
