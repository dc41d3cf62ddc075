/* bearer.c - verifying OAuth2 bearer JWTs against the keys of access.bearer:
 * a JWK Set (file or https URL), a PEM public key, or an HS256 secret (see
 * bearer.h).
 *
 * Who does what: libjwt decodes the token (jwt_decode without a key, which
 * libjwt 1.10 documents as "formatting checks only"), and OpenSSL verifies
 * the signature with a key built once at configure time (EVP_PKEY from the
 * JWK's numbers, or from the PEM file). Verifying ourselves rather than
 * handing libjwt a PEM key is what lets the key decide the algorithm:
 * libjwt takes it from the token's header, and an HS256 header with an RSA
 * public key PEM as the "secret" is the classic forgery. It also keeps PEM
 * parsing out of the request path.
 *
 * Order of checks, cheapest and least revealing first: the header's shape
 * and length, the token's syntax, the algorithm, the key, the signature,
 * and only then the claims, so nothing about the claims of an unsigned or
 * forged token is ever looked at.
 */
#include "access/bearer.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>
#include <jansson.h>
#include <jwt.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "util/fetch.h"

/* Key files, CA files and JWKS documents: far larger than any real one. */
#define MAX_DOCUMENT (1024 * 1024)
/* Entries of a JWK Set looked at; an identity provider publishes a few. */
#define MAX_JWKS_ENTRIES 64
/* RFC 7518 section 3.2: an HS256 key at least as long as the hash. */
#define MIN_SECRET 32
/* Shorter RSA keys are breakable; every identity provider uses 2048+. */
#define MIN_RSA_BITS 2048
#define FETCH_TIMEOUT_MS 5000L
#define CONNECT_TIMEOUT_MS 3000L
#define FETCH_MAX_REDIRS 3L

/* ------------------------------------------------------------------------
 * Keys and key sets
 */

typedef enum { KEY_RSA, KEY_EC, KEY_HMAC } key_kind_t;

/* The one algorithm each kind of key verifies. */
static const char *const kind_alg[] = {"RS256", "ES256", "HS256"};

typedef struct bkey {
    key_kind_t kind;
    char *kid;      /* NULL: none */
    EVP_PKEY *pkey; /* KEY_RSA, KEY_EC */
    unsigned char *secret;
    size_t secret_len; /* KEY_HMAC */
} bkey_t;

/* Immutable once published, except for the stamp (guarded by the
 * vbearer's mutex like refs). */
typedef struct keyset {
    int refs;
    int any_kid;     /* a single configured key: the token's kid is moot */
    int stamped;     /* stamp_s is set */
    int64_t stamp_s; /* when it was fetched, by the verify clock */
    size_t n;
    bkey_t k[]; /* n used */
} keyset_t;

struct vbearer {
    char *issuer, *audience, *scope; /* NULL: not checked */
    double leeway_s;
    char *jwks_url, *ca_file; /* jwks_url: the set is refetched */

    pthread_mutex_t mu; /* guards everything below */
    pthread_cond_t fetched;
    keyset_t *keys;     /* never NULL: an empty set until a fetch works */
    int fetching;       /* a thread is fetching; others may wait */
    int attempted;      /* last_attempt_s is set */
    int64_t last_attempt_s;
    const char *fetch_error; /* static text: why the last fetch failed */
};

static void key_clear(bkey_t *k)
{
    free(k->kid);
    EVP_PKEY_free(k->pkey);
    if (k->secret != NULL) {
        OPENSSL_cleanse(k->secret, k->secret_len);
        free(k->secret);
    }
    memset(k, 0, sizeof(*k));
}

static keyset_t *keyset_new(size_t cap)
{
    keyset_t *ks = calloc(1, sizeof(*ks) + cap * sizeof(ks->k[0]));

    if (ks != NULL)
        ks->refs = 1;
    return ks;
}

static void keyset_free(keyset_t *ks)
{
    if (ks == NULL)
        return;
    for (size_t i = 0; i < ks->n; i++)
        key_clear(&ks->k[i]);
    free(ks);
}

/* A mutex or condition variable that fails is a bug (an uninitialised or
 * destroyed object), not a condition to handle: abort, as libuv does. */
static void lock(vbearer_t *b)
{
    if (pthread_mutex_lock(&b->mu) != 0)
        abort();
}

static void unlock(vbearer_t *b)
{
    if (pthread_mutex_unlock(&b->mu) != 0)
        abort();
}

/* The current key set, with a reference for the caller. *stale: it came
 * from the URL more than VBEARER_MAX_AGE_S ago. */
static keyset_t *acquire(vbearer_t *b, int64_t now_s, int *stale)
{
    keyset_t *ks;

    lock(b);
    ks = b->keys;
    ks->refs++;
    /* The set fetched at configure time has no verify-clock time: it is
     * as old as the first token that uses it. */
    if (!ks->stamped) {
        ks->stamped = 1;
        ks->stamp_s = now_s;
    }
    *stale = b->jwks_url != NULL && now_s - ks->stamp_s >= VBEARER_MAX_AGE_S;
    unlock(b);
    return ks;
}

static void release(vbearer_t *b, keyset_t *ks)
{
    int last;

    lock(b);
    last = --ks->refs == 0;
    unlock(b);
    if (last)
        keyset_free(ks);
}

/* ------------------------------------------------------------------------
 * base64url (RFC 4648 section 5)
 */

static int b64url_value(unsigned char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '-')
        return 62;
    if (c == '_')
        return 63;
    return -1;
}

/* Decodes unpadded base64url s[0..len) into a new buffer. Text that is not
 * the canonical spelling of some bytes (4n+1 characters, or bits set past
 * the last byte) is refused, so a signature has exactly one spelling.
 * 0, EINVAL or ENOMEM. */
static int b64url_decode(const char *s, size_t len, unsigned char **out,
                         size_t *out_len)
{
    unsigned char *buf;
    unsigned acc = 0, bits = 0;
    size_t o = 0;

    if (len % 4 == 1)
        return EINVAL;
    if ((buf = malloc(len / 4 * 3 + 3)) == NULL)
        return ENOMEM;
    for (size_t i = 0; i < len; i++) {
        int v = b64url_value((unsigned char)s[i]);

        if (v < 0) {
            free(buf);
            return EINVAL;
        }
        acc = (acc << 6) | (unsigned)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            buf[o++] = (unsigned char)(acc >> bits);
            acc &= (1u << bits) - 1;
        }
    }
    if (acc != 0) {
        free(buf);
        return EINVAL;
    }
    *out = buf;
    *out_len = o;
    return 0;
}

/* ------------------------------------------------------------------------
 * Building and checking OpenSSL keys
 */

/* Checks that pk is a key we verify with, and which kind. 0, or -1 with
 * why set. */
static int check_pkey(EVP_PKEY *pk, key_kind_t *kind, char *why,
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
        *kind = KEY_RSA;
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
        *kind = KEY_EC;
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
    rc = b64url_decode(s, n, out, len);
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
static int parse_jwk(json_t *jwk, bkey_t *k, char *why, size_t whylen)
{
    const char *kty, *alg, *want;
    json_t *kid;
    EVP_PKEY *pk;
    key_kind_t kind;

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
        want = kind_alg[KEY_RSA];
    } else if (strcmp(kty, "EC") == 0) {
        const char *crv = json_string_value(json_object_get(jwk, "crv"));

        if (crv == NULL || strcmp(crv, "P-256") != 0)
            return 0;
        want = kind_alg[KEY_EC];
    } else {
        return 0;
    }
    if ((alg != NULL && strcmp(alg, want) != 0) || !jwk_usable(jwk))
        return 0;
    pk = strcmp(kty, "RSA") == 0 ? rsa_from_jwk(jwk, why, whylen)
                                 : ec_from_jwk(jwk, why, whylen);
    if (pk == NULL)
        return -1;
    if (check_pkey(pk, &kind, why, whylen) != 0) {
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

/* A new key set from a JWK Set document, or NULL with why set. */
static keyset_t *parse_jwks(const char *text, size_t len, char *why,
                            size_t whylen)
{
    json_error_t jerr;
    json_t *doc, *keys;
    keyset_t *ks = NULL;
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
    if ((ks = keyset_new(n)) == NULL) {
        snprintf(why, whylen, "out of memory");
        goto done;
    }
    for (size_t i = 0; i < n; i++) {
        char detail[160];
        int rc = parse_jwk(json_array_get(keys, i), &ks->k[ks->n], detail,
                           sizeof(detail));

        if (rc < 0) {
            snprintf(why, whylen, "key %zu: %s", i + 1, detail);
            keyset_free(ks);
            ks = NULL;
            goto done;
        }
        ks->n += (size_t)rc;
    }
    if (ks->n == 0) {
        snprintf(why, whylen, "no usable key (RSA or EC P-256 keys for "
                              "signatures)");
        keyset_free(ks);
        ks = NULL;
    }
done:
    json_decref(doc);
    return ks;
}

/* ------------------------------------------------------------------------
 * Files
 */

/* Reads path whole into a new NUL-terminated buffer. 0, or an errno value
 * (EFBIG past MAX_DOCUMENT). */
static int read_file(const char *path, char **out, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    size_t n = 0;
    int err = 0;

    if (f == NULL)
        return errno;
    if ((buf = malloc(MAX_DOCUMENT + 1)) == NULL) {
        fclose(f);
        return ENOMEM;
    }
    errno = 0;
    n = fread(buf, 1, MAX_DOCUMENT + 1, f);
    if (ferror(f))
        err = errno != 0 ? errno : EIO; /* EISDIR for a directory */
    else if (n > MAX_DOCUMENT)
        err = EFBIG;
    if (fclose(f) != 0 && err == 0)
        err = errno;
    if (err != 0) {
        free(buf);
        return err;
    }
    buf[n] = '\0';
    *out = buf;
    *len = n;
    return 0;
}

/* "cannot read FILE: why", for errors at the key that named the file. */
static void file_error(verrs_t *e, vnode_t *at, const char *key,
                       const char *path, int err)
{
    if (err == EFBIG)
        verrs_add(e, at, "'%s': cannot read %s: larger than 1 MiB", key,
                  path);
    else
        verrs_add(e, at, "'%s': cannot read %s: %s", key, path,
                  strerror(err));
}

/* A key set of the PEM public key (or certificate) in path. */
static keyset_t *load_pem(const char *path, vnode_t *at, verrs_t *e)
{
    char *text = NULL, why[160];
    size_t len = 0;
    BIO *bio;
    EVP_PKEY *pk = NULL;
    keyset_t *ks;
    key_kind_t kind;
    int rc;

    if ((rc = read_file(path, &text, &len)) != 0) {
        file_error(e, at, "public_key_file", path, rc);
        return NULL;
    }
    if ((bio = BIO_new_mem_buf(text, (int)len)) != NULL)
        pk = PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL);
    BIO_free(bio);
    if (pk == NULL && (bio = BIO_new_mem_buf(text, (int)len)) != NULL) {
        /* A certificate is how some identity providers hand out keys. */
        X509 *cert = PEM_read_bio_X509(bio, NULL, NULL, NULL);

        if (cert != NULL)
            pk = X509_get_pubkey(cert);
        X509_free(cert);
        BIO_free(bio);
    }
    ERR_clear_error();
    if (pk == NULL) {
        verrs_add(e, at, "'public_key_file': %s: %s", path,
                  strstr(text, "PRIVATE KEY") != NULL
                      ? "a private key; give the public key (openssl pkey "
                        "-pubout)"
                      : "no PEM public key (BEGIN PUBLIC KEY) or "
                        "certificate in it");
        free(text);
        return NULL;
    }
    free(text);
    if (check_pkey(pk, &kind, why, sizeof(why)) != 0) {
        verrs_add(e, at, "'public_key_file': %s: %s", path, why);
        EVP_PKEY_free(pk);
        return NULL;
    }
    if ((ks = keyset_new(1)) == NULL) {
        verrs_add(e, at, "'public_key_file': out of memory");
        EVP_PKEY_free(pk);
        return NULL;
    }
    ks->any_kid = 1;
    ks->k[0].kind = kind;
    ks->k[0].pkey = pk;
    ks->n = 1;
    return ks;
}

/* A key set of the HS256 secret in path: its bytes, less one trailing
 * newline (what `echo` and editors add). */
static keyset_t *load_secret(const char *path, vnode_t *at, verrs_t *e)
{
    char *text = NULL;
    size_t len = 0;
    keyset_t *ks;
    int rc;

    if ((rc = read_file(path, &text, &len)) != 0) {
        file_error(e, at, "secret_file", path, rc);
        return NULL;
    }
    if (len > 0 && text[len - 1] == '\n')
        len--;
    if (len > 0 && text[len - 1] == '\r')
        len--;
    if (len < MIN_SECRET) {
        verrs_add(e, at, "'secret_file': %s: the secret is %zu bytes; "
                         "HS256 needs at least %d",
                  path, len, MIN_SECRET);
        OPENSSL_cleanse(text, len);
        free(text);
        return NULL;
    }
    if ((ks = keyset_new(1)) == NULL) {
        verrs_add(e, at, "'secret_file': out of memory");
        OPENSSL_cleanse(text, len);
        free(text);
        return NULL;
    }
    ks->any_kid = 1;
    ks->k[0].kind = KEY_HMAC;
    ks->k[0].secret = (unsigned char *)text;
    ks->k[0].secret_len = len;
    ks->n = 1;
    return ks;
}

static keyset_t *load_jwks_file(const char *path, vnode_t *at, verrs_t *e)
{
    char *text = NULL, why[256];
    size_t len = 0;
    keyset_t *ks;
    int rc;

    if ((rc = read_file(path, &text, &len)) != 0) {
        file_error(e, at, "jwks_file", path, rc);
        return NULL;
    }
    if ((ks = parse_jwks(text, len, why, sizeof(why))) == NULL)
        verrs_add(e, at, "'jwks_file': %s: %s", path, why);
    free(text);
    return ks;
}

/* ------------------------------------------------------------------------
 * Fetching a JWKS URL
 */

/* Fetches and parses the JWKS URL: a new key set, or NULL with *why set
 * to a static text. Runs without the mutex. */
static keyset_t *fetch_jwks(const char *url, const char *ca_file,
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
        .body_max = MAX_DOCUMENT,
    };
    vfetch_resp_t resp;
    vfetch_status_t rc;
    keyset_t *ks = NULL;
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
    else if ((ks = parse_jwks(resp.body ? resp.body : "", resp.len, detail,
                              sizeof(detail))) == NULL)
        *why = "the JWKS URL answered with no usable JWK Set";
    vfetch_resp_clear(&resp);
    return ks;
}

/* Fetches the JWKS URL again, unless a fetch started less than
 * VBEARER_REFETCH_S ago (a clock that went back allows one). When another
 * thread is fetching already, waits for it if wait is set. The mutex is
 * released during the fetch: verifications with the current set go on. */
static void refresh(vbearer_t *b, int64_t now_s, int wait)
{
    keyset_t *fresh, *old = NULL;
    const char *why = NULL;

    lock(b);
    if (b->fetching) {
        while (wait && b->fetching)
            if (pthread_cond_wait(&b->fetched, &b->mu) != 0)
                abort();
        unlock(b);
        return;
    }
    if (b->attempted && now_s >= b->last_attempt_s &&
        now_s - b->last_attempt_s < VBEARER_REFETCH_S) {
        unlock(b);
        return;
    }
    b->fetching = 1;
    b->attempted = 1;
    b->last_attempt_s = now_s;
    unlock(b);

    fresh = fetch_jwks(b->jwks_url, b->ca_file, &why);

    lock(b);
    if (fresh != NULL) {
        fresh->stamped = 1;
        fresh->stamp_s = now_s;
        old = b->keys;
        b->keys = fresh;
        b->fetch_error = NULL;
        if (--old->refs != 0)
            old = NULL; /* still in use: its last user frees it */
    } else {
        b->fetch_error = why; /* keep the set we had */
    }
    b->fetching = 0;
    if (pthread_cond_broadcast(&b->fetched) != 0)
        abort();
    unlock(b);
    keyset_free(old);
}

/* ------------------------------------------------------------------------
 * Configuration
 */

static const char *const sources[] = {"jwks_file", "jwks_url",
                                      "public_key_file", "secret_file"};

/* An optional non-empty string setting, copied into *out. */
static void read_string(vnode_t *map, const char *key, char **out,
                        verrs_t *e)
{
    const char *s = NULL;

    if (vnode_str(map, key, &s, e) != 1)
        return;
    if (*s == '\0')
        verrs_add(e, vnode_get(map, key), "'%s': must not be empty", key);
    else if ((*out = strdup(s)) == NULL)
        verrs_add(e, vnode_get(map, key), "'%s': out of memory", key);
}

/* 1 when url is an https:// URL with a host, as libcurl parses it. */
static int is_https_url(const char *url)
{
    CURLU *u;
    char *scheme = NULL, *host = NULL;
    int ok;

    if (vfetch_init() != CURLE_OK || (u = curl_url()) == NULL)
        return 0;
    ok = curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
         curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK &&
         strcasecmp(scheme, "https") == 0 &&
         curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK &&
         *host != '\0';
    curl_free(scheme);
    curl_free(host);
    curl_url_cleanup(u);
    return ok;
}

/* Checks ca_file holds at least one PEM certificate, so that a typo is a
 * configuration error rather than every fetch failing later. */
static int check_ca_file(const char *path, vnode_t *at, verrs_t *e)
{
    char *text = NULL;
    size_t len = 0;
    BIO *bio;
    X509 *cert = NULL;
    int rc;

    if ((rc = read_file(path, &text, &len)) != 0) {
        file_error(e, at, "ca_file", path, rc);
        return -1;
    }
    if ((bio = BIO_new_mem_buf(text, (int)len)) != NULL)
        cert = PEM_read_bio_X509(bio, NULL, NULL, NULL);
    BIO_free(bio);
    ERR_clear_error();
    free(text);
    if (cert == NULL) {
        verrs_add(e, at, "'ca_file': %s: no PEM certificate in it", path);
        return -1;
    }
    X509_free(cert);
    return 0;
}

/* Reads the key source: exactly one of sources[]. Returns its index and
 * sets *path, or -1 (an error was added unless a getter already did). */
static int read_source(vnode_t *map, const char **path, verrs_t *e)
{
    int found = -1, bad = 0;

    for (int i = 0; i < 4; i++) {
        const char *s = NULL;
        int rc = vnode_str(map, sources[i], &s, e);

        if (rc < 0)
            bad = 1;
        if (rc == 0)
            continue;
        if (found >= 0) {
            verrs_add(e, vnode_get(map, sources[i]),
                      "'%s': only one key source may be set ('%s' is set "
                      "too)",
                      sources[i], sources[found]);
            bad = 1;
            continue;
        }
        found = i;
        if (rc == 1 && *s == '\0') {
            verrs_add(e, vnode_get(map, sources[i]),
                      "'%s': must not be empty", sources[i]);
            bad = 1;
        }
        *path = s;
    }
    if (found < 0 && !bad)
        verrs_add(e, map, "'bearer': needs one key source: jwks_file, "
                          "jwks_url, public_key_file or secret_file");
    return bad ? -1 : found;
}

vbearer_t *vbearer_configure(vnode_t *map, verrs_t *e)
{
    size_t before = e->n;
    const char *path = NULL, *ca = NULL;
    vbearer_t *b;
    int64_t leeway_ms = 0;
    int source;

    if (map == NULL || map->kind != VNODE_MAP) {
        verrs_add(e, map, "'bearer': expected a map of keys");
        return NULL;
    }
    if ((b = calloc(1, sizeof(*b))) == NULL) {
        verrs_add(e, map, "'bearer': out of memory");
        return NULL;
    }
    if (pthread_mutex_init(&b->mu, NULL) != 0) {
        free(b);
        verrs_add(e, map, "'bearer': cannot create a mutex");
        return NULL;
    }
    if (pthread_cond_init(&b->fetched, NULL) != 0) {
        pthread_mutex_destroy(&b->mu);
        free(b);
        verrs_add(e, map, "'bearer': cannot create a condition variable");
        return NULL;
    }
    read_string(map, "issuer", &b->issuer, e);
    read_string(map, "audience", &b->audience, e);
    read_string(map, "scope", &b->scope, e);
    if (b->scope != NULL && strpbrk(b->scope, " \t") != NULL)
        verrs_add(e, vnode_get(map, "scope"),
                  "'scope': one scope, without spaces");
    if (vnode_duration(map, "leeway", &leeway_ms, e) == 1)
        b->leeway_s = (double)leeway_ms / 1000.0;
    source = read_source(map, &path, e);
    /* With a broken key source, whether ca_file fits is moot. */
    if (vnode_str(map, "ca_file", &ca, e) == 1 && source >= 0) {
        vnode_t *at = vnode_get(map, "ca_file");

        if (source != 1)
            verrs_add(e, at, "'ca_file' goes with jwks_url");
        else if (*ca == '\0')
            verrs_add(e, at, "'ca_file': must not be empty");
        else if (check_ca_file(ca, at, e) == 0 &&
                 (b->ca_file = strdup(ca)) == NULL)
            verrs_add(e, at, "'ca_file': out of memory");
    }
    if (e->n == before) {
        vnode_t *at = vnode_get(map, sources[source]);

        switch (source) {
        case 0:
            b->keys = load_jwks_file(path, at, e);
            break;
        case 1:
            if (!is_https_url(path)) {
                verrs_add(e, at, "'jwks_url': expected an https:// URL, "
                                 "got \"%s\"",
                          path);
                break;
            }
            if ((b->jwks_url = strdup(path)) == NULL) {
                verrs_add(e, at, "'jwks_url': out of memory");
                break;
            }
            /* A failed fetch is no error: the identity provider may be
             * down while vitalsd starts. The first token fetches again. */
            b->keys = fetch_jwks(b->jwks_url, b->ca_file, &b->fetch_error);
            if (b->keys == NULL && (b->keys = keyset_new(0)) == NULL)
                verrs_add(e, at, "'jwks_url': out of memory");
            break;
        case 2:
            b->keys = load_pem(path, at, e);
            break;
        default:
            b->keys = load_secret(path, at, e);
            break;
        }
    }
    if (e->n > before || e->oom || b->keys == NULL) {
        if (e->n == before && !e->oom)
            verrs_add(e, map, "'bearer': out of memory");
        vbearer_free(b);
        return NULL;
    }
    return b;
}

void vbearer_free(vbearer_t *b)
{
    if (b == NULL)
        return;
    keyset_free(b->keys);
    pthread_cond_destroy(&b->fetched);
    pthread_mutex_destroy(&b->mu);
    free(b->issuer);
    free(b->audience);
    free(b->scope);
    free(b->jwks_url);
    free(b->ca_file);
    free(b);
}

/* ------------------------------------------------------------------------
 * Verification
 */

static int result(vbearer_result_t *out, vbearer_status_t status,
                  const char *reason)
{
    out->status = status;
    out->reason = reason;
    return (int)status;
}

/* Finds the token in "Bearer <token>" (the scheme in any case, RFC 7235).
 * 0 with *tok and *len set, or the status to answer (out filled). */
static int find_token(const char *h, const char **tok, size_t *len,
                      vbearer_result_t *out)
{
    const char *p;
    size_t n;

    if (h == NULL)
        return result(out, VBEARER_MISSING, "no Authorization header");
    while (*h == ' ' || *h == '\t')
        h++;
    if (strncasecmp(h, "Bearer", 6) != 0 ||
        (h[6] != ' ' && h[6] != '\t' && h[6] != '\0'))
        return result(out, VBEARER_MISSING, "not a Bearer authorization");
    for (p = h + 6; *p == ' ' || *p == '\t'; p++)
        ;
    n = strlen(p);
    while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\t'))
        n--;
    if (n == 0)
        return result(out, VBEARER_MISSING, "a Bearer authorization "
                                            "without a token");
    if (n > VBEARER_MAX_TOKEN)
        return result(out, VBEARER_INVALID, "token longer than 8 KiB");
    *tok = p;
    *len = n;
    return 0;
}

/* The token as JSON Web Signature parts. */
typedef struct jws {
    char *text;        /* the token, NUL-terminated */
    size_t signed_len; /* header.payload: what the signature covers */
    unsigned char *sig;
    size_t sig_len;
    json_t *header, *claims;
} jws_t;

static void jws_clear(jws_t *t)
{
    free(t->text);
    free(t->sig);
    json_decref(t->header);
    json_decref(t->claims);
}

/* A JSON object from libjwt's text of a header or the claims. */
static json_t *object_from(char *text)
{
    json_t *j = text != NULL ? json_loads(text, 0, NULL) : NULL;

    free(text);
    if (j != NULL && !json_is_object(j)) {
        json_decref(j);
        j = NULL;
    }
    return j;
}

/* Splits and decodes the compact JWS tok[0..len). 0, or the status to
 * answer. */
static int decode(const char *tok, size_t len, jws_t *t,
                  vbearer_result_t *out)
{
    const char *dot1 = NULL, *dot2 = NULL;
    jwt_t *jwt = NULL;
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
                return result(out, VBEARER_INVALID,
                              "malformed token (more than three parts)");
        } else if (b64url_value((unsigned char)tok[i]) < 0) {
            return result(out, VBEARER_INVALID,
                          "malformed token (not base64url)");
        }
    }
    if (dot2 == NULL || dot1 == tok || dot2 == dot1 + 1)
        return result(out, VBEARER_INVALID,
                      "malformed token (not three parts)");
    if ((t->text = malloc(len + 1)) == NULL)
        return result(out, VBEARER_INVALID, "out of memory");
    memcpy(t->text, tok, len);
    t->text[len] = '\0';
    t->signed_len = (size_t)(dot2 - tok);
    /* No key: libjwt only decodes; the signature is ours to check. */
    rc = jwt_decode(&jwt, t->text, NULL, 0);
    if (rc != 0)
        return result(out, VBEARER_INVALID, rc == ENOMEM
                                                ? "out of memory"
                                                : "malformed token");
    t->header = object_from(jwt_get_headers_json(jwt, NULL));
    t->claims = object_from(jwt_get_grants_json(jwt, NULL));
    jwt_free(jwt);
    if (t->header == NULL || t->claims == NULL)
        return result(out, VBEARER_INVALID,
                      "malformed token (header or claims not a JSON "
                      "object)");
    rc = b64url_decode(dot2 + 1, len - t->signed_len - 1, &t->sig,
                       &t->sig_len);
    if (rc != 0)
        return result(out, VBEARER_INVALID, rc == ENOMEM
                                                ? "out of memory"
                                                : "malformed signature");
    return 0;
}

/* 1 when the signature is good, 0 when not, -1 when OpenSSL failed. */
static int verify_signature(const bkey_t *k, const jws_t *t)
{
    const unsigned char *data = (const unsigned char *)t->text;
    unsigned char *der = NULL;
    const unsigned char *sig = t->sig;
    size_t sig_len = t->sig_len;
    EVP_MD_CTX *ctx;
    int rc;

    if (k->kind == KEY_HMAC) {
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
    if (k->kind == KEY_EC) {
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

typedef enum {
    FOUND_OK,       /* a key verified the signature */
    FOUND_BAD_SIG,  /* keys for the token's algorithm, none verified */
    FOUND_MISMATCH, /* the key(s) the token names are of another kind */
    FOUND_NO_KEY,   /* no key with the token's kid (or no key at all) */
    FOUND_ERROR
} found_t;

/* Verifies t with the keys of ks that it may be signed with: those with
 * its kid (every key when it has none, or for a single configured key),
 * and of the kind of its algorithm. */
static found_t verify_with(const keyset_t *ks, key_kind_t kind,
                           const char *kid, const jws_t *t)
{
    int named = 0, tried = 0;

    for (size_t i = 0; i < ks->n; i++) {
        const bkey_t *k = &ks->k[i];
        int rc;

        if (!ks->any_kid && kid != NULL &&
            (k->kid == NULL || strcmp(k->kid, kid) != 0))
            continue;
        named = 1;
        if (k->kind != kind)
            continue;
        tried = 1;
        if ((rc = verify_signature(k, t)) != 0)
            return rc > 0 ? FOUND_OK : FOUND_ERROR;
    }
    return tried ? FOUND_BAD_SIG : named ? FOUND_MISMATCH : FOUND_NO_KEY;
}

/* A string JSON value equal to s, NULs and all. */
static int json_equals(const json_t *v, const char *s)
{
    size_t n = strlen(s);

    return json_is_string(v) && json_string_length(v) == n &&
           memcmp(json_string_value(v), s, n) == 0;
}

/* 1 when the space-delimited list v (RFC 6749 section 3.3) has word. */
static int has_word(const json_t *v, const char *word)
{
    const char *p = json_string_value(v);
    size_t n = strlen(word), len;

    if (p == NULL)
        return 0;
    len = json_string_length(v);
    for (size_t i = 0; i < len;) {
        size_t j = i;

        while (j < len && p[j] != ' ')
            j++;
        if (j - i == n && memcmp(p + i, word, n) == 0)
            return 1;
        i = j + 1;
    }
    return 0;
}

/* "scope": "a b c", or "scp": ["a", "b"] (Azure AD and Okta; some issue
 * "scp" as a space-delimited string too). */
static int has_scope(json_t *claims, const char *scope)
{
    json_t *scp = json_object_get(claims, "scp"), *v;
    size_t i;

    if (has_word(json_object_get(claims, "scope"), scope) ||
        has_word(scp, scope))
        return 1;
    json_array_foreach(scp, i, v) {
        if (json_equals(v, scope))
            return 1;
    }
    return 0;
}

static int has_audience(json_t *claims, const char *audience)
{
    json_t *aud = json_object_get(claims, "aud"), *v;
    size_t i;

    if (json_equals(aud, audience))
        return 1;
    json_array_foreach(aud, i, v) {
        if (json_equals(v, audience))
            return 1;
    }
    return 0;
}

/* A NumericDate claim: 1 set, 0 absent, -1 not a number. */
static int claim_time(json_t *claims, const char *name, double *out)
{
    json_t *v = json_object_get(claims, name);

    if (v == NULL)
        return 0;
    if (!json_is_number(v))
        return -1;
    *out = json_number_value(v);
    return 1;
}

static int check_claims(const vbearer_t *b, json_t *claims, int64_t now_s,
                        vbearer_result_t *out)
{
    double now = (double)now_s, t = 0;
    int rc;

    /* RFC 7519: valid before exp and from nbf on, each widened by the
     * leeway for clocks that disagree. */
    if ((rc = claim_time(claims, "exp", &t)) < 0)
        return result(out, VBEARER_INVALID, "exp is not a number");
    if (rc > 0 && now >= t + b->leeway_s)
        return result(out, VBEARER_INVALID, "token expired");
    if ((rc = claim_time(claims, "nbf", &t)) < 0)
        return result(out, VBEARER_INVALID, "nbf is not a number");
    if (rc > 0 && now + b->leeway_s < t)
        return result(out, VBEARER_INVALID, "token not yet valid");
    if (b->issuer != NULL &&
        !json_equals(json_object_get(claims, "iss"), b->issuer))
        return result(out, VBEARER_INVALID, "wrong issuer");
    if (b->audience != NULL && !has_audience(claims, b->audience))
        return result(out, VBEARER_INVALID, "wrong audience");
    if (b->scope != NULL && !has_scope(claims, b->scope))
        return result(out, VBEARER_INSUFFICIENT_SCOPE,
                      "the token lacks the required scope");
    return result(out, VBEARER_OK, "valid token");
}

/* The key kind that the token's alg needs, or -1 with out filled. The
 * kind then picks the key, so the header's alg can only ever narrow the
 * keys tried, never choose how a key is used. */
static int alg_kind(json_t *header, vbearer_result_t *out)
{
    json_t *alg = json_object_get(header, "alg");
    const char *why = "unsupported algorithm";

    if (json_object_get(header, "crit") != NULL) {
        why = "unsupported critical header parameters";
    } else if (!json_is_string(alg)) {
        why = "no alg in the header";
    } else if (strcasecmp(json_string_value(alg), "none") == 0) {
        why = "alg none";
    } else {
        for (int i = 0; i < 3; i++)
            if (json_equals(alg, kind_alg[i]))
                return i;
    }
    result(out, VBEARER_INVALID, why);
    return -1;
}

int vbearer_verify(vbearer_t *b, const char *authorization, int64_t now_s,
                   vbearer_result_t *out)
{
    jws_t t;
    const char *tok = NULL, *kid = NULL;
    size_t len = 0;
    keyset_t *ks;
    json_t *kidv;
    found_t found;
    int kind, stale;

    memset(&t, 0, sizeof(t));
    if (b == NULL)
        return result(out, VBEARER_INVALID, "no bearer settings");
    if (find_token(authorization, &tok, &len, out) != 0)
        return (int)out->status;
    if (decode(tok, len, &t, out) != 0 ||
        (kind = alg_kind(t.header, out)) < 0) {
        jws_clear(&t);
        return (int)out->status;
    }
    kidv = json_object_get(t.header, "kid");
    if (kidv != NULL && (kid = json_string_value(kidv)) == NULL) {
        jws_clear(&t);
        return result(out, VBEARER_INVALID, "kid is not a string");
    }

    ks = acquire(b, now_s, &stale);
    if (stale) {
        release(b, ks);
        refresh(b, now_s, 0);
        ks = acquire(b, now_s, &stale);
    }
    found = verify_with(ks, (key_kind_t)kind, kid, &t);
    if (found == FOUND_NO_KEY && b->jwks_url != NULL) {
        /* A new kid: the identity provider may have rotated its keys. */
        release(b, ks);
        refresh(b, now_s, 1);
        ks = acquire(b, now_s, &stale);
        found = verify_with(ks, (key_kind_t)kind, kid, &t);
    }
    release(b, ks);

    switch (found) {
    case FOUND_OK:
        check_claims(b, t.claims, now_s, out);
        break;
    case FOUND_BAD_SIG:
        result(out, VBEARER_INVALID, "bad signature");
        break;
    case FOUND_MISMATCH:
        result(out, VBEARER_INVALID, "the algorithm does not match the key");
        break;
    case FOUND_NO_KEY: {
        const char *why;

        lock(b);
        why = b->fetch_error; /* static text: safe after unlocking */
        unlock(b);
        result(out, VBEARER_INVALID,
               why != NULL ? why
               : kid != NULL ? "unknown kid"
                             : "no key");
        break;
    }
    default:
        result(out, VBEARER_INVALID, "signature check failed (OpenSSL)");
        break;
    }
    jws_clear(&t);
    return (int)out->status;
}
