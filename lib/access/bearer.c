/* bearer.c - verifying OAuth2 bearer JWTs against the keys of access.bearer:
 * a JWK Set (file or https URL), a PEM public key, or an HS256 secret (see
 * bearer.h).
 *
 * Who does what: jws.c decodes the token (base64url and jansson; libjwt
 * 1.10 refuses the "at+jwt" type of RFC 9068 access tokens), and OpenSSL
 * verifies the signature with a key built once at configure time
 * (EVP_PKEY from the JWK's numbers, or from the PEM file). Verifying
 * ourselves rather than handing a JWT library a PEM key is what lets the
 * key decide the algorithm: libjwt takes it from the token's header, and
 * an HS256 header with an RSA public key PEM as the "secret" is the
 * classic forgery. It also keeps PEM
 * parsing out of the request path.
 *
 * Order of checks, cheapest and least revealing first: the header's shape
 * and length, the token's syntax, the algorithm, the key, the signature,
 * and only then the claims, so nothing about the claims of an unsigned or
 * forged token is ever looked at.
 *
 * This file reads the settings and gives the verdict; the pieces live
 * beside it: jws.c (the token and its signature), jwk.c (keys and JWK
 * Sets), keyfile.c (keys from files), keyring.c (the key set in use, and
 * the JWKS URL it is fetched from) and base64url.c.
 */
#include "access/bearer.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>
#include <jansson.h>

#include "access/jwk.h"
#include "access/jws.h"
#include "access/keyfile.h"
#include "access/keyring.h"
#include "util/fetch.h"

struct vbearer {
    char *issuer, *audience, *scope; /* NULL: not checked */
    double leeway_s;
    int require_exp; /* a token without exp is refused (the default) */
    vkeyring_t ring; /* the keys, and the JWKS URL they come from */
};

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
    int source, rc;

    if (map == NULL || map->kind != VNODE_MAP) {
        verrs_add(e, map, "'bearer': expected a map of keys");
        return NULL;
    }
    if ((b = calloc(1, sizeof(*b))) == NULL) {
        verrs_add(e, map, "'bearer': out of memory");
        return NULL;
    }
    if ((rc = vkeyring_init(&b->ring)) != 0) {
        free(b);
        verrs_add(e, map, rc == -1 ? "'bearer': cannot create a mutex"
                                   : "'bearer': cannot create a condition "
                                     "variable");
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
    /* A token without exp would be good forever: refused unless the
     * identity provider is known to issue such tokens. */
    b->require_exp = 1;
    vnode_bool(map, "require_exp", &b->require_exp, e);
    source = read_source(map, &path, e);
    /* With a broken key source, whether ca_file fits is moot. */
    if (vnode_str(map, "ca_file", &ca, e) == 1 && source >= 0) {
        vnode_t *at = vnode_get(map, "ca_file");

        if (source != 1)
            verrs_add(e, at, "'ca_file' goes with jwks_url");
        else if (*ca == '\0')
            verrs_add(e, at, "'ca_file': must not be empty");
        else if (vkeyfile_check_ca(ca, at, e) == 0 &&
                 (b->ring.ca_file = strdup(ca)) == NULL)
            verrs_add(e, at, "'ca_file': out of memory");
    }
    if (e->n == before) {
        vnode_t *at = vnode_get(map, sources[source]);

        switch (source) {
        case 0:
            b->ring.keys = vkeyfile_jwks(path, at, e);
            break;
        case 1:
            if (!is_https_url(path)) {
                verrs_add(e, at, "'jwks_url': expected an https:// URL, "
                                 "got \"%s\"",
                          path);
                break;
            }
            if ((b->ring.jwks_url = strdup(path)) == NULL) {
                verrs_add(e, at, "'jwks_url': out of memory");
                break;
            }
            /* A failed fetch is no error: the identity provider may be
             * down while vitalsd starts. The first token fetches again. */
            b->ring.keys = vkeyring_fetch(b->ring.jwks_url, b->ring.ca_file, &b->ring.fetch_error);
            if (b->ring.keys == NULL && (b->ring.keys = vkeyset_new(0)) == NULL)
                verrs_add(e, at, "'jwks_url': out of memory");
            break;
        case 2:
            b->ring.keys = vkeyfile_pem(path, at, e);
            break;
        default:
            b->ring.keys = vkeyfile_secret(path, at, e);
            break;
        }
    }
    if (e->n > before || e->oom || b->ring.keys == NULL) {
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
    vkeyring_destroy(&b->ring);
    free(b->issuer);
    free(b->audience);
    free(b->scope);
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
    if (rc == 0 && b->require_exp)
        return result(out, VBEARER_INVALID, "token has no exp");
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
            if (json_equals(alg, vkey_alg[i]))
                return i;
    }
    result(out, VBEARER_INVALID, why);
    return -1;
}

int vbearer_verify(vbearer_t *b, const char *authorization, int64_t now_s,
                   vbearer_result_t *out)
{
    vjws_t t;
    const char *tok = NULL, *kid = NULL, *why;
    size_t len = 0;
    vkeyset_t *ks;
    json_t *kidv;
    vjws_found_t found;
    int kind, stale;

    memset(&t, 0, sizeof(t));
    if (b == NULL)
        return result(out, VBEARER_INVALID, "no bearer settings");
    if (find_token(authorization, &tok, &len, out) != 0)
        return (int)out->status;
    if ((why = vjws_decode(tok, len, &t)) != NULL) {
        vjws_clear(&t);
        return result(out, VBEARER_INVALID, why);
    }
    if ((kind = alg_kind(t.header, out)) < 0) {
        vjws_clear(&t);
        return (int)out->status;
    }
    kidv = json_object_get(t.header, "kid");
    if (kidv != NULL && (kid = json_string_value(kidv)) == NULL) {
        vjws_clear(&t);
        return result(out, VBEARER_INVALID, "kid is not a string");
    }

    ks = vkeyring_acquire(&b->ring, now_s, &stale);
    if (stale) {
        vkeyring_release(&b->ring, ks);
        vkeyring_refresh(&b->ring, now_s, 0);
        ks = vkeyring_acquire(&b->ring, now_s, &stale);
    }
    found = vjws_verify_with(ks, (vkey_kind_t)kind, kid, &t);
    if (found == VJWS_NO_KEY && b->ring.jwks_url != NULL) {
        /* A new kid: the identity provider may have rotated its keys. */
        vkeyring_release(&b->ring, ks);
        vkeyring_refresh(&b->ring, now_s, 1);
        ks = vkeyring_acquire(&b->ring, now_s, &stale);
        found = vjws_verify_with(ks, (vkey_kind_t)kind, kid, &t);
    }
    vkeyring_release(&b->ring, ks);

    switch (found) {
    case VJWS_OK:
        check_claims(b, t.claims, now_s, out);
        break;
    case VJWS_BAD_SIG:
        result(out, VBEARER_INVALID, "bad signature");
        break;
    case VJWS_MISMATCH:
        result(out, VBEARER_INVALID, "the algorithm does not match the key");
        break;
    case VJWS_NO_KEY:
        why = vkeyring_fetch_error(&b->ring);
        result(out, VBEARER_INVALID,
               why != NULL ? why
               : kid != NULL ? "unknown kid"
                             : "no key");
        break;
    default:
        result(out, VBEARER_INVALID, "signature check failed (OpenSSL)");
        break;
    }
    vjws_clear(&t);
    return (int)out->status;
}
