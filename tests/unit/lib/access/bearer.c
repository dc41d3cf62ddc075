/* bearer.c - bearer JWT verification against tokens minted by jose (a
 * standard JOSE implementation, through tests/support/mint.mjs) with keys
 * made by the openssl command: RS256, ES256, HS256, JWKS keys chosen by
 * kid, alg none and alg confusion, tampered tokens, exp/nbf with leeway,
 * iss, aud, scopes, Authorization header shapes, the settings' errors, and
 * a JWKS URL served over HTTPS by the canned peer (tests/support/peer.c)
 * with its refetch-at-most-every-30-s rule on an injected clock.
 *
 * Without node and jose (npm ci --prefix tests/support) the group setup
 * fails, so every test fails, loudly: a bearer test that skips would
 * leave token checking untested without anyone noticing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "config/yaml.h"
#include "access/bearer.h"
#include "peer.h"

/* The verify clock: an arbitrary wall-clock second. */
#define NOW 1700000000LL

static char dir[64];           /* keys, tokens and settings live here */
static char mint_path[4096];   /* tests/support/mint.mjs */

/* ------------------------------------------------------------------------
 * Processes and files
 */

/* Runs argv (no shell, so no quoting), returns its stdout (new string,
 * trailing newline removed); fails the test when it does not exit 0.
 * Setup calls it with fatal = 0 and checks for NULL instead. */
static char *run(char *const argv[], int fatal)
{
    int fds[2], status = 0;
    pid_t pid;
    size_t len = 0, cap = 4096;
    char *out = malloc(cap);
    ssize_t n;

    if (out == NULL || pipe(fds) != 0) {
        free(out);
        if (fatal)
            fail_msg("out of memory or pipes");
        return NULL;
    }
    if ((pid = fork()) == 0) {
        int null = open("/dev/null", O_WRONLY);

        /* openssl genpkey draws progress dots on stderr. */
        if (!fatal && null >= 0)
            dup2(null, 2);
        dup2(fds[1], 1);
        close(fds[0]);
        close(fds[1]);
        execvp(argv[0], argv);
        fprintf(stderr, "bearer test: cannot run %s\n", argv[0]);
        _exit(127);
    }
    close(fds[1]);
    while ((n = read(fds[0], out + len, cap - len - 1)) > 0) {
        len += (size_t)n;
        if (cap - len < 2) {
            char *p = realloc(out, cap * 2);

            if (p == NULL)
                break;
            out = p;
            cap *= 2;
        }
    }
    close(fds[0]);
    if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
        WEXITSTATUS(status) != 0) {
        free(out);
        if (fatal)
            fail_msg("%s %s failed (status %d)", argv[0],
                     argv[1] ? argv[1] : "", status);
        return NULL;
    }
    out[len] = '\0';
    while (len > 0 && out[len - 1] == '\n')
        out[--len] = '\0';
    return out;
}

/* dir/name, in one of a few rotating buffers (tests use several at once). */
static const char *P(const char *name)
{
    static char bufs[8][512];
    static int next;
    char *b = bufs[next++ % 8];

    snprintf(b, sizeof(bufs[0]), "%s/%s", dir, name);
    return b;
}

static void write_file(const char *path, const void *data, size_t len)
{
    FILE *f = fopen(path, "wb");

    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
}

/* A copy of s with every '@' replaced by the test directory. */
static char *subst(const char *s)
{
    size_t n = 1;
    char *out, *o;

    for (const char *p = s; *p; p++)
        n += *p == '@' ? strlen(dir) : 1;
    o = out = malloc(n);
    assert_non_null(out);
    for (const char *p = s; *p; p++) {
        if (*p == '@') {
            memcpy(o, dir, strlen(dir));
            o += strlen(dir);
        } else {
            *o++ = *p;
        }
    }
    *o = '\0';
    return out;
}

/* ------------------------------------------------------------------------
 * Minting with jose
 */

/* One node process runs mint.mjs in serve mode for the whole test: one
 * JSON array of arguments per line in, one line out ("!" and the error on
 * failure). Starting node per token would take most of the test's time. */
static FILE *mint_in, *mint_out;
static pid_t mint_pid = -1;

static int mint_start(void)
{
    int to[2], from[2];

    if (pipe(to) != 0 || pipe(from) != 0)
        return -1;
    if ((mint_pid = fork()) == 0) {
        dup2(to[0], 0);
        dup2(from[1], 1);
        close(to[0]);
        close(to[1]);
        close(from[0]);
        close(from[1]);
        execlp("node", "node", mint_path, "serve", (char *)NULL);
        fprintf(stderr, "bearer test: cannot run node\n");
        _exit(127);
    }
    close(to[0]);
    close(from[1]);
    if (mint_pid < 0)
        return -1;
    mint_in = fdopen(to[1], "w");
    mint_out = fdopen(from[0], "r");
    return mint_in != NULL && mint_out != NULL ? 0 : -1;
}

static void mint_stop(void)
{
    int status;

    if (mint_in != NULL)
        fclose(mint_in); /* end of input: node exits */
    if (mint_out != NULL)
        fclose(mint_out);
    if (mint_pid > 0)
        waitpid(mint_pid, &status, 0);
}

/* Asks mint.mjs (argv NULL-terminated); its answer as a new string, or
 * NULL with *err set (a static message) when it failed. */
static char *mint_ask(const char *const *argv, char *err, size_t errlen)
{
    json_t *a = json_array();
    char *line = NULL, *req;
    size_t cap = 0;
    ssize_t n;

    for (; *argv != NULL; argv++)
        json_array_append_new(a, json_string(*argv));
    req = json_dumps(a, JSON_COMPACT);
    json_decref(a);
    if (req == NULL || mint_in == NULL ||
        fprintf(mint_in, "%s\n", req) < 0 || fflush(mint_in) != 0 ||
        (n = getline(&line, &cap, mint_out)) <= 0) {
        snprintf(err, errlen, "no answer from node %.400s", mint_path);
        free(req);
        free(line);
        return NULL;
    }
    free(req);
    if (line[n - 1] == '\n')
        line[n - 1] = '\0';
    if (line[0] == '!') {
        snprintf(err, errlen, "%s", line + 1);
        free(line);
        return NULL;
    }
    return line;
}

static char *mint_call(const char *const *argv)
{
    char err[512];
    char *out = mint_ask(argv, err, sizeof(err));

    if (out == NULL)
        fail_msg("mint.mjs %s: %s", argv[0], err);
    return out;
}

/* A token: alg RS256/ES256/HS256/none, signed with the key file (a PKCS#8
 * private key, or the secret's bytes), claims as JSON, kid or NULL. */
static char *mint(const char *alg, const char *keyfile, const char *claims,
                  const char *kid)
{
    const char *argv[] = {alg, keyfile, claims, kid, NULL};

    return mint_call(argv);
}

/* The public key file as a JWK (with alg unless noalg). */
static char *jwk(const char *pubfile, const char *kid, const char *alg,
                 int noalg)
{
    const char *argv[] = {"jwk", pubfile, kid, alg, noalg ? "noalg" : NULL,
                          NULL};

    return mint_call(argv);
}

/* The usual good claims, with exp and nbf around NOW. */
static char *claims_with(const char *extra)
{
    char *s = NULL;

    assert_true(asprintf(&s,
                         "{\"iss\":\"https://idp.example/\","
                         "\"aud\":\"health-api\","
                         "\"scope\":\"openid get.health\","
                         "\"sub\":\"monitor\",\"iat\":%lld,\"nbf\":%lld,"
                         "\"exp\":%lld%s%s}",
                         NOW - 10, NOW - 10, NOW + 300, extra ? "," : "",
                         extra ? extra : "") > 0);
    return s;
}

/* A token with the usual claims, or claims given whole. */
static char *good_token(const char *alg, const char *keyfile,
                        const char *kid)
{
    char *c = claims_with(NULL), *t = mint(alg, keyfile, c, kid);

    free(c);
    return t;
}

/* ------------------------------------------------------------------------
 * Settings and verification
 */

static vbearer_t *configure_errors(const char *yaml_at, verrs_t *e)
{
    char *yaml = subst(yaml_at);
    vnode_t *root = vyaml_load_string(yaml, strlen(yaml), "t.yaml", e);
    vbearer_t *b;

    assert_non_null(root);
    assert_int_equal(e->n, 0);
    b = vbearer_configure(vnode_get(root, "bearer"), e);
    /* The settings tree may go: the verifier keeps copies. */
    vnode_free(root);
    free(yaml);
    return b;
}

/* Configures from YAML ("bearer:" at the top; '@' is the test dir). */
static vbearer_t *configure(const char *yaml_at)
{
    verrs_t *e = verrs_new();
    vbearer_t *b = configure_errors(yaml_at, e);
    char *msg = verrs_join(e);

    if (msg != NULL)
        fail_msg("unexpected errors: %s", msg);
    assert_non_null(b);
    vitals_errors_free(e);
    return b;
}

static void expect_config_error(const char *yaml_at, const char *want_at)
{
    verrs_t *e = verrs_new();
    vbearer_t *b = configure_errors(yaml_at, e);
    char *want = subst(want_at), *got = verrs_join(e);

    assert_null(b);
    assert_non_null(got);
    assert_string_equal(got, want);
    free(got);
    free(want);
    vitals_errors_free(e);
}

static void expect_header(vbearer_t *b, const char *header, int64_t now,
                          vbearer_status_t status, const char *reason)
{
    vbearer_result_t r = {VBEARER_OK, NULL};
    int rc = vbearer_verify(b, header, now, &r);

    if ((int)status != rc || r.status != status ||
        strcmp(r.reason, reason) != 0)
        fail_msg("%.60s...: got %d \"%s\", want %d \"%s\"",
                 header ? header : "(null)", rc, r.reason, status, reason);
}

static void expect_token(vbearer_t *b, const char *token, int64_t now,
                         vbearer_status_t status, const char *reason)
{
    char *h = NULL;

    assert_true(asprintf(&h, "Bearer %s", token) > 0);
    expect_header(b, h, now, status, reason);
    free(h);
}

static void expect_ok(vbearer_t *b, const char *token, int64_t now)
{
    expect_token(b, token, now, VBEARER_OK, "valid token");
}

static void expect_invalid(vbearer_t *b, const char *token, int64_t now,
                           const char *reason)
{
    expect_token(b, token, now, VBEARER_INVALID, reason);
}

/* Mints claims with keyfile and expects status/reason; frees the token. */
static void expect_claims(vbearer_t *b, const char *alg, const char *keyfile,
                          const char *claims, int64_t now,
                          vbearer_status_t status, const char *reason)
{
    char *t = mint(alg, keyfile, claims, NULL);

    expect_token(b, t, now, status, reason);
    free(t);
}

/* The token with one character of its signature changed. */
static char *flip_signature(const char *token)
{
    char *t = strdup(token), *sig = strrchr(t, '.') + 1;
    char *c = sig + strlen(sig) / 2;

    /* A middle character uses all its six bits: still canonical. */
    *c = *c == 'A' ? 'B' : 'A';
    return t;
}

/* ------------------------------------------------------------------------
 * Setup: keys by openssl, the JWKS file, and a check that jose is there
 */

static int openssl_ok(char *const argv[])
{
    char *out = run(argv, 0);

    free(out);
    return out != NULL;
}

static int genkey(const char *name, const char *algorithm, const char *opt)
{
    char priv[512], pub[512];
    char *gen[] = {"openssl", "genpkey", "-algorithm", (char *)algorithm,
                   "-pkeyopt", (char *)opt, "-out", priv, NULL};
    char *pubout[] = {"openssl", "pkey", "-in", priv, "-pubout", "-out", pub,
                      NULL};

    snprintf(priv, sizeof(priv), "%s/%s.pem", dir, name);
    snprintf(pub, sizeof(pub), "%s/%s.pub", dir, name);
    return openssl_ok(gen) && openssl_ok(pubout);
}

/* A self-signed certificate for cert.pem's key and the TLS server. */
static int make_certs(void)
{
    char key[512], crt[512], rsacrt[512], rsakey[512];
    char *tls[] = {"openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                   "ec_paramgen_curve:P-256", "-nodes", "-keyout", key,
                   "-out", crt, "-days", "2", "-subj", "/CN=127.0.0.1",
                   "-addext", "subjectAltName=IP:127.0.0.1", NULL};
    char *rsa[] = {"openssl", "req", "-x509", "-key", rsakey, "-out", rsacrt,
                   "-days", "2", "-subj", "/CN=idp.example", NULL};

    snprintf(key, sizeof(key), "%s/tls.key", dir);
    snprintf(crt, sizeof(crt), "%s/tls.crt", dir);
    snprintf(rsakey, sizeof(rsakey), "%s/rsa1.pem", dir);
    snprintf(rsacrt, sizeof(rsacrt), "%s/rsa1.crt", dir);
    return openssl_ok(tls) && openssl_ok(rsa);
}

static void write_secrets(void);

static int group_setup(void **state)
{
    const char *src = getenv("VITALS_SRC");
    char *probe, err[512] = "cannot start node";
    const char *argv[] = {"jwk", NULL, "probe", "RS256", NULL};

    (void)state;
    /* Tests run from the build tree: find the script by the source. */
    if (src != NULL) {
        snprintf(mint_path, sizeof(mint_path), "%s/tests/support/mint.mjs",
                 src);
    } else {
        char here[2048], *slash;

        snprintf(here, sizeof(here), "%s", __FILE__);
        if ((slash = strstr(here, "tests/unit/lib/access/bearer.c")) != NULL)
            *slash = '\0';
        else
            here[0] = '\0';
        snprintf(mint_path, sizeof(mint_path), "%stests/support/mint.mjs",
                 here);
    }
    snprintf(dir, sizeof(dir), "/tmp/vitals-bearer.XXXXXX");
    if (mkdtemp(dir) == NULL) {
        perror("bearer test: mkdtemp");
        return -1;
    }
    /* curl must reach the test's server directly. */
    setenv("NO_PROXY", "127.0.0.1", 1);
    setenv("no_proxy", "127.0.0.1", 1);
    if (!genkey("rsa1", "RSA", "rsa_keygen_bits:2048") ||
        !genkey("rsa2", "RSA", "rsa_keygen_bits:2048") ||
        !genkey("rsa1024", "RSA", "rsa_keygen_bits:1024") ||
        !genkey("ec1", "EC", "ec_paramgen_curve:P-256") ||
        !genkey("ec2", "EC", "ec_paramgen_curve:P-256") ||
        !genkey("ec384", "EC", "ec_paramgen_curve:P-384") || !make_certs()) {
        fprintf(stderr, "bearer test: the openssl command failed\n");
        return -1;
    }
    /* A dead node must fail a write, not kill the test. */
    signal(SIGPIPE, SIG_IGN);
    argv[1] = P("rsa1.pub");
    if (mint_start() != 0 ||
        (probe = mint_ask(argv, err, sizeof(err))) == NULL) {
        fprintf(stderr,
                "bearer test: cannot mint tokens with %s (%s): node and the "
                "npm package jose are needed (npm ci --prefix "
                "tests/support)\n",
                mint_path, err);
        return -1;
    }
    free(probe);
    write_secrets();
    return 0;
}

static int group_teardown(void **state)
{
    char *argv[] = {"rm", "-rf", dir, NULL};

    (void)state;
    mint_stop();
    free(run(argv, 0));
    return 0;
}

/* HS256 secrets: the configured file ends with a newline (stripped), the
 * minting one has the bare bytes. */
static const char secret[] = "s3cr3t-for-the-bearer-tests-0123456789";

static void write_secrets(void)
{
    char with_nl[sizeof(secret) + 1];

    memcpy(with_nl, secret, sizeof(secret) - 1);
    with_nl[sizeof(secret) - 1] = '\n';
    write_file(P("hs.key"), with_nl, sizeof(secret));
    write_file(P("hs.raw"), secret, sizeof(secret) - 1);
    write_file(P("hs.other"), "another-secret-another-secret-0123", 34);
}

/* ------------------------------------------------------------------------
 * Algorithms and keys
 */

static const char rs_settings[] = "bearer:\n"
                                  "  public_key_file: @/rsa1.pub\n"
                                  "  issuer: \"https://idp.example/\"\n"
                                  "  audience: health-api\n"
                                  "  scope: get.health\n";

static void test_rs256(void **state)
{
    vbearer_t *b = configure(rs_settings);
    char *t = good_token("RS256", P("rsa1.pem"), NULL);
    char *other = good_token("RS256", P("rsa2.pem"), NULL);
    char *kid = good_token("RS256", P("rsa1.pem"), "any-kid");

    (void)state;
    expect_ok(b, t, NOW);
    /* A single configured key: the kid does not matter. */
    expect_ok(b, kid, NOW);
    /* Signed by another RSA key. */
    expect_invalid(b, other, NOW, "bad signature");
    vbearer_free(b);

    /* The key as a certificate works the same. */
    b = configure("bearer:\n  public_key_file: @/rsa1.crt\n");
    expect_ok(b, t, NOW);
    expect_invalid(b, other, NOW, "bad signature");
    vbearer_free(b);
    free(t);
    free(other);
    free(kid);
}

static void test_es256(void **state)
{
    vbearer_t *b = configure("bearer:\n"
                             "  public_key_file: @/ec1.pub\n"
                             "  audience: health-api\n");
    char *t = good_token("ES256", P("ec1.pem"), NULL);
    char *other = good_token("ES256", P("ec2.pem"), NULL);
    char *rs = good_token("RS256", P("rsa1.pem"), NULL);
    char *bad = flip_signature(t);
    char *cut = strdup(t);

    (void)state;
    expect_ok(b, t, NOW);
    expect_invalid(b, other, NOW, "bad signature");
    expect_invalid(b, bad, NOW, "bad signature");
    /* R || S must be 64 bytes: 84 characters are exactly 63. */
    cut[strlen(cut) - 2] = '\0';
    expect_invalid(b, cut, NOW, "bad signature");
    /* An RSA token for an EC key. */
    expect_invalid(b, rs, NOW, "the algorithm does not match the key");
    vbearer_free(b);
    free(t);
    free(other);
    free(rs);
    free(bad);
    free(cut);
}

static void test_hs256(void **state)
{
    vbearer_t *b;
    char *t, *other, *rs, *bad;

    (void)state;
    b = configure("bearer:\n  secret_file: @/hs.key\n  scope: get.health\n");
    t = good_token("HS256", P("hs.raw"), NULL);
    other = good_token("HS256", P("hs.other"), NULL);
    rs = good_token("RS256", P("rsa1.pem"), NULL);
    bad = flip_signature(t);
    expect_ok(b, t, NOW);
    expect_invalid(b, other, NOW, "bad signature");
    expect_invalid(b, bad, NOW, "bad signature");
    expect_invalid(b, rs, NOW, "the algorithm does not match the key");
    vbearer_free(b);
    free(t);
    free(other);
    free(rs);
    free(bad);
}

static void test_alg_none(void **state)
{
    vbearer_t *b = configure(rs_settings);
    char *c = claims_with(NULL), *t = mint("none", "-", c, NULL);

    (void)state;
    expect_invalid(b, t, NOW, "alg none");
    vbearer_free(b);
    free(c);
    free(t);
}

/* The classic forgery: HS256 "signed" with the server's RSA public key
 * as the HMAC secret. A verifier that lets the header pick the algorithm
 * accepts it. */
static void test_alg_confusion(void **state)
{
    vbearer_t *b = configure(rs_settings);
    char *t = good_token("HS256", P("rsa1.pub"), NULL);

    (void)state;
    expect_invalid(b, t, NOW, "the algorithm does not match the key");
    vbearer_free(b);
    /* The same against an EC key. */
    b = configure("bearer:\n  public_key_file: @/ec1.pub\n");
    free(t);
    t = good_token("HS256", P("ec1.pub"), NULL);
    expect_invalid(b, t, NOW, "the algorithm does not match the key");
    vbearer_free(b);
    free(t);
}

static void test_tampered(void **state)
{
    vbearer_t *b = configure(rs_settings);
    char *t = good_token("RS256", P("rsa1.pem"), NULL);
    char *c = claims_with("\"admin\":true");
    char *t2 = mint("RS256", P("rsa1.pem"), c, NULL);
    char *bad = flip_signature(t), *spliced = NULL, *p1, *p2;

    (void)state;
    expect_invalid(b, bad, NOW, "bad signature");
    /* t's header and signature around t2's claims. */
    p1 = strchr(t, '.');
    p2 = strrchr(t, '.');
    *p1 = *p2 = '\0';
    *strrchr(t2, '.') = '\0';
    assert_true(asprintf(&spliced, "%s.%s.%s", t, strchr(t2, '.') + 1,
                         p2 + 1) > 0);
    expect_invalid(b, spliced, NOW, "bad signature");
    /* No signature at all. */
    *strrchr(spliced, '.') = '\0';
    free(bad);
    assert_true(asprintf(&bad, "%s.", spliced) > 0);
    expect_invalid(b, bad, NOW, "bad signature");
    vbearer_free(b);
    free(t);
    free(t2);
    free(c);
    free(bad);
    free(spliced);
}

/* ------------------------------------------------------------------------
 * JWKS files
 */

/* {"keys": [...]} from JWK texts (NULL-terminated). */
static void write_jwks(const char *path, const char *const *jwks)
{
    json_t *set = json_object(), *keys = json_array();
    char *text;

    for (; *jwks != NULL; jwks++) {
        json_t *k = json_loads(*jwks, 0, NULL);

        assert_non_null(k);
        assert_int_equal(json_array_append_new(keys, k), 0);
    }
    assert_int_equal(json_object_set_new(set, "keys", keys), 0);
    text = json_dumps(set, JSON_INDENT(2));
    assert_non_null(text);
    write_file(path, text, strlen(text));
    free(text);
    json_decref(set);
}

/* jwk with "use" changed (an encryption key the set also holds). */
static char *with_member(const char *jwk_text, const char *key,
                         const char *value)
{
    json_t *k = json_loads(jwk_text, 0, NULL);
    char *out;

    assert_non_null(k);
    assert_int_equal(json_object_set_new(k, key, json_string(value)), 0);
    out = json_dumps(k, JSON_COMPACT);
    json_decref(k);
    return out;
}

static void test_jwks_file(void **state)
{
    char *k1 = jwk(P("rsa1.pub"), "k1", "RS256", 0);
    char *k2 = jwk(P("ec1.pub"), "k2", "ES256", 0);
    char *k3 = jwk(P("rsa2.pub"), "k3", "RS256", 1); /* no alg */
    char *enc0 = jwk(P("ec2.pub"), "enc", "ES256", 1);
    char *enc = with_member(enc0, "use", "enc");
    char *rs384 = with_member(k3, "alg", "RS384");
    const char *oct = "{\"kty\":\"oct\",\"kid\":\"oct\",\"k\":\"c2VjcmV0\"}";
    const char *okp = "{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"kid\":\"ed\","
                      "\"x\":\"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo\"}";
    char *rs384b = with_member(rs384, "kid", "rs384");
    vbearer_t *b;
    char *t;

    (void)state;
    write_jwks(P("jwks.json"),
               (const char *const[]){k1, k2, k3, enc, rs384b, oct, okp,
                                     NULL});
    b = configure("bearer:\n  jwks_file: @/jwks.json\n"
                  "  audience: health-api\n");
    /* Each key by its kid, each with its algorithm. */
    t = good_token("RS256", P("rsa1.pem"), "k1");
    expect_ok(b, t, NOW);
    free(t);
    t = good_token("ES256", P("ec1.pem"), "k2");
    expect_ok(b, t, NOW);
    free(t);
    t = good_token("RS256", P("rsa2.pem"), "k3");
    expect_ok(b, t, NOW);
    free(t);
    /* The right algorithm, the wrong key for the kid. */
    t = good_token("RS256", P("rsa2.pem"), "k1");
    expect_invalid(b, t, NOW, "bad signature");
    free(t);
    /* kid k1 is an RSA key: an ES256 or HS256 token naming it fails. */
    t = good_token("ES256", P("ec1.pem"), "k1");
    expect_invalid(b, t, NOW, "the algorithm does not match the key");
    free(t);
    t = good_token("HS256", P("rsa1.pub"), "k1");
    expect_invalid(b, t, NOW, "the algorithm does not match the key");
    free(t);
    /* Unknown kids, including the keys that were skipped: an encryption
     * key, an RS384 key, a symmetric key, an Ed25519 key. */
    t = good_token("RS256", P("rsa1.pem"), "k9");
    expect_invalid(b, t, NOW, "unknown kid");
    free(t);
    t = good_token("ES256", P("ec2.pem"), "enc");
    expect_invalid(b, t, NOW, "unknown kid");
    free(t);
    t = good_token("RS256", P("rsa2.pem"), "rs384");
    expect_invalid(b, t, NOW, "unknown kid");
    free(t);
    t = good_token("HS256", P("hs.raw"), "oct");
    expect_invalid(b, t, NOW, "unknown kid");
    free(t);
    /* No kid: every key of the token's algorithm is tried. */
    t = good_token("RS256", P("rsa2.pem"), NULL);
    expect_ok(b, t, NOW);
    free(t);
    t = good_token("ES256", P("ec1.pem"), NULL);
    expect_ok(b, t, NOW);
    free(t);
    t = good_token("ES256", P("ec2.pem"), NULL);
    expect_invalid(b, t, NOW, "bad signature");
    free(t);
    t = good_token("HS256", P("hs.raw"), NULL);
    expect_invalid(b, t, NOW, "the algorithm does not match the key");
    free(t);
    vbearer_free(b);
    free(k1);
    free(k2);
    free(k3);
    free(enc0);
    free(enc);
    free(rs384);
    free(rs384b);
}

/* ------------------------------------------------------------------------
 * Claims
 */

static void test_exp_nbf_leeway(void **state)
{
    vbearer_t *strict = configure("bearer:\n  public_key_file: @/rsa1.pub\n");
    vbearer_t *lenient = configure("bearer:\n"
                                   "  public_key_file: @/rsa1.pub\n"
                                   "  leeway: 30s\n");
    vbearer_t *forever = configure("bearer:\n"
                                   "  public_key_file: @/rsa1.pub\n"
                                   "  require_exp: false\n");
    const char *k = P("rsa1.pem");
    char c[128];

    (void)state;
    /* exp: valid strictly before it, plus the leeway. */
    snprintf(c, sizeof(c), "{\"exp\":%lld}", NOW - 10);
    expect_claims(strict, "RS256", k, c, NOW, VBEARER_INVALID,
                  "token expired");
    expect_claims(lenient, "RS256", k, c, NOW, VBEARER_OK, "valid token");
    expect_claims(lenient, "RS256", k, c, NOW + 19, VBEARER_OK,
                  "valid token");
    expect_claims(lenient, "RS256", k, c, NOW + 20, VBEARER_INVALID,
                  "token expired");
    snprintf(c, sizeof(c), "{\"exp\":%lld}", NOW);
    expect_claims(strict, "RS256", k, c, NOW, VBEARER_INVALID,
                  "token expired");
    expect_claims(strict, "RS256", k, c, NOW - 1, VBEARER_OK, "valid token");
    /* nbf: valid from it on, minus the leeway. */
    snprintf(c, sizeof(c), "{\"nbf\":%lld,\"exp\":%lld}", NOW + 10,
             NOW + 3600);
    expect_claims(strict, "RS256", k, c, NOW, VBEARER_INVALID,
                  "token not yet valid");
    expect_claims(strict, "RS256", k, c, NOW + 10, VBEARER_OK,
                  "valid token");
    expect_claims(lenient, "RS256", k, c, NOW, VBEARER_OK, "valid token");
    snprintf(c, sizeof(c), "{\"nbf\":%lld,\"exp\":%lld}", NOW + 31,
             NOW + 3600);
    expect_claims(lenient, "RS256", k, c, NOW, VBEARER_INVALID,
                  "token not yet valid");
    /* Fractional NumericDates are allowed (RFC 7519). */
    snprintf(c, sizeof(c), "{\"exp\":%lld.5}", NOW);
    expect_claims(strict, "RS256", k, c, NOW, VBEARER_OK, "valid token");
    expect_claims(strict, "RS256", k, c, NOW + 1, VBEARER_INVALID,
                  "token expired");
    /* Not numbers. */
    expect_claims(strict, "RS256", k, "{\"exp\":\"tomorrow\"}", NOW,
                  VBEARER_INVALID, "exp is not a number");
    expect_claims(strict, "RS256", k, "{\"nbf\":null,\"exp\":1900000000}",
                  NOW, VBEARER_INVALID, "nbf is not a number");
    /* No exp: good forever, so refused unless require_exp is off; then
     * there is nothing to check (no issuer, audience or scope asked). */
    expect_claims(strict, "RS256", k, "{\"sub\":\"x\"}", NOW,
                  VBEARER_INVALID, "token has no exp");
    expect_claims(forever, "RS256", k, "{\"sub\":\"x\"}", NOW, VBEARER_OK,
                  "valid token");
    vbearer_free(strict);
    vbearer_free(lenient);
    vbearer_free(forever);
}

/* RFC 9068 access tokens say "typ": "at+jwt": as good as "JWT". */
static void test_access_token_type(void **state)
{
    vbearer_t *b = configure("bearer:\n  public_key_file: @/rsa1.pub\n");
    char *c = claims_with(NULL);
    const char *argv[] = {"RS256", P("rsa1.pem"), c, "", "at+jwt", NULL};
    char *t = mint_call(argv);

    (void)state;
    assert_non_null(strstr(t, "eyJhbGciOiJSUzI1NiIsInR5cCI6ImF0K2p3dCJ9."));
    expect_ok(b, t, NOW);
    free(t);
    free(c);
    vbearer_free(b);
}

static void test_issuer_audience(void **state)
{
    vbearer_t *b = configure(rs_settings);
    const char *k = P("rsa1.pem");
    char *c;

    (void)state;
#define CLAIMS(extra_iss_aud)                                                 \
    "{\"scope\":\"get.health\",\"exp\":1700000300," extra_iss_aud "}"
    expect_claims(b, "RS256", k,
                  CLAIMS("\"iss\":\"https://idp.example/\","
                         "\"aud\":\"health-api\""),
                  NOW, VBEARER_OK, "valid token");
    /* aud as an array: one of them must be ours. */
    expect_claims(b, "RS256", k,
                  CLAIMS("\"iss\":\"https://idp.example/\","
                         "\"aud\":[\"other\",\"health-api\"]"),
                  NOW, VBEARER_OK, "valid token");
    expect_claims(b, "RS256", k,
                  CLAIMS("\"iss\":\"https://idp.example/\","
                         "\"aud\":[\"other\",\"health-api-2\"]"),
                  NOW, VBEARER_INVALID, "wrong audience");
    expect_claims(b, "RS256", k,
                  CLAIMS("\"iss\":\"https://idp.example/\","
                         "\"aud\":\"health\""),
                  NOW, VBEARER_INVALID, "wrong audience");
    expect_claims(b, "RS256", k,
                  CLAIMS("\"iss\":\"https://idp.example/\","
                         "\"aud\":[]"),
                  NOW, VBEARER_INVALID, "wrong audience");
    expect_claims(b, "RS256", k, CLAIMS("\"iss\":\"https://idp.example/\""),
                  NOW, VBEARER_INVALID, "wrong audience");
    /* iss: exactly, trailing slash and all. */
    expect_claims(b, "RS256", k,
                  CLAIMS("\"iss\":\"https://idp.example\","
                         "\"aud\":\"health-api\""),
                  NOW, VBEARER_INVALID, "wrong issuer");
    expect_claims(b, "RS256", k,
                  CLAIMS("\"iss\":[\"https://idp.example/\"],"
                         "\"aud\":\"health-api\""),
                  NOW, VBEARER_INVALID, "wrong issuer");
    expect_claims(b, "RS256", k, CLAIMS("\"aud\":\"health-api\""), NOW,
                  VBEARER_INVALID, "wrong issuer");
#undef CLAIMS
    /* An expired token is invalid, whatever else is wrong with it. */
    c = claims_with("\"extra\":1");
    expect_claims(b, "RS256", k, c, NOW + 301, VBEARER_INVALID,
                  "token expired");
    free(c);
    vbearer_free(b);
}

static void test_scope(void **state)
{
    vbearer_t *b = configure(rs_settings);
    const char *k = P("rsa1.pem");

    (void)state;
#define CLAIMS(scopes)                                                        \
    "{\"iss\":\"https://idp.example/\",\"aud\":\"health-api\","             \
    "\"exp\":1900000000," scopes "}"
    expect_claims(b, "RS256", k, CLAIMS("\"scope\":\"get.health\""), NOW,
                  VBEARER_OK, "valid token");
    expect_claims(b, "RS256", k,
                  CLAIMS("\"scope\":\"openid get.health profile\""), NOW,
                  VBEARER_OK, "valid token");
    expect_claims(b, "RS256", k, CLAIMS("\"scp\":[\"a\",\"get.health\"]"),
                  NOW, VBEARER_OK, "valid token");
    expect_claims(b, "RS256", k, CLAIMS("\"scp\":\"a get.health\""), NOW,
                  VBEARER_OK, "valid token");
    /* Whole words only. */
    expect_claims(b, "RS256", k, CLAIMS("\"scope\":\"get.healthy get\""),
                  NOW, VBEARER_INSUFFICIENT_SCOPE,
                  "the token lacks the required scope");
    expect_claims(b, "RS256", k, CLAIMS("\"scope\":\"get.health.all\""),
                  NOW, VBEARER_INSUFFICIENT_SCOPE,
                  "the token lacks the required scope");
    expect_claims(b, "RS256", k, CLAIMS("\"scp\":[\"get.health x\"]"), NOW,
                  VBEARER_INSUFFICIENT_SCOPE,
                  "the token lacks the required scope");
    expect_claims(b, "RS256", k, CLAIMS("\"scope\":[\"get.health\"]"), NOW,
                  VBEARER_INSUFFICIENT_SCOPE,
                  "the token lacks the required scope");
    expect_claims(b, "RS256", k, CLAIMS("\"sub\":\"x\""), NOW,
                  VBEARER_INSUFFICIENT_SCOPE,
                  "the token lacks the required scope");
#undef CLAIMS
    vbearer_free(b);
}

/* ------------------------------------------------------------------------
 * The Authorization header
 */

static void test_headers(void **state)
{
    vbearer_t *b = configure(rs_settings);
    char *t = good_token("RS256", P("rsa1.pem"), NULL), *h = NULL, *big;
    char xs[9001], pad[9100];

    (void)state;
    expect_header(b, NULL, NOW, VBEARER_MISSING, "no Authorization header");
    expect_header(b, "", NOW, VBEARER_MISSING, "not a Bearer authorization");
    expect_header(b, "Basic x", NOW, VBEARER_MISSING,
                  "not a Bearer authorization");
    expect_header(b, "Basic dXNlcjpwYXNz", NOW, VBEARER_MISSING,
                  "not a Bearer authorization");
    expect_header(b, "Bearerx", NOW, VBEARER_MISSING,
                  "not a Bearer authorization");
    expect_header(b, "Bearer", NOW, VBEARER_MISSING,
                  "a Bearer authorization without a token");
    expect_header(b, "Bearer  \t ", NOW, VBEARER_MISSING,
                  "a Bearer authorization without a token");
    expect_header(b, "Bearer a.b", NOW, VBEARER_INVALID,
                  "malformed token (not three parts)");
    expect_header(b, "Bearer a.b.c.d", NOW, VBEARER_INVALID,
                  "malformed token (more than three parts)");
    expect_header(b, "Bearer .b.c", NOW, VBEARER_INVALID,
                  "malformed token (not three parts)");
    expect_header(b, "Bearer a..c", NOW, VBEARER_INVALID,
                  "malformed token (not three parts)");
    expect_header(b, "Bearer a+b.c/d.e=", NOW, VBEARER_INVALID,
                  "malformed token (not base64url)");
    expect_header(b, "Bearer e30 .e30.AAAA", NOW, VBEARER_INVALID,
                  "malformed token (not base64url)");
    /* {}.{}: decodes, but names no algorithm. */
    expect_header(b, "Bearer e30.e30.AAAA", NOW, VBEARER_INVALID,
                  "no alg in the header");
    expect_header(b, "Bearer Zm9v.e30.AAAA", NOW, VBEARER_INVALID,
                  "malformed token");
    /* Header {"alg":"RS256"}, claims a JSON array: not a claims set. */
    expect_header(b, "Bearer eyJhbGciOiJSUzI1NiJ9.WyJhIl0.AAAA", NOW,
                  VBEARER_INVALID,
                  "malformed token (header or claims not a JSON object)");
    /* A signature that is not canonical base64url (a 4n+1 length). */
    assert_true(asprintf(&h, "%.*sA", (int)(strrchr(t, '.') - t + 1), t) > 0);
    expect_token(b, h, NOW, VBEARER_INVALID, "malformed signature");
    free(h);
    /* Scheme in any case, spaces around the token. */
    assert_true(asprintf(&h, "bearer %s", t) > 0);
    expect_header(b, h, NOW, VBEARER_OK, "valid token");
    free(h);
    assert_true(asprintf(&h, "BEARER   %s \t", t) > 0);
    expect_header(b, h, NOW, VBEARER_OK, "valid token");
    free(h);
    /* Two tokens are not one. */
    assert_true(asprintf(&h, "Bearer %s %s", t, t) > 0);
    expect_header(b, h, NOW, VBEARER_INVALID,
                  "malformed token (not base64url)");
    free(h);
    /* 8 KiB of token at most, refused before any parsing... */
    big = malloc(VBEARER_MAX_TOKEN + 16);
    memcpy(big, "Bearer ", 7);
    memset(big + 7, 'a', VBEARER_MAX_TOKEN + 1);
    big[7 + VBEARER_MAX_TOKEN + 1] = '\0';
    expect_header(b, big, NOW, VBEARER_INVALID, "token longer than 8 KiB");
    big[7 + VBEARER_MAX_TOKEN] = '\0';
    expect_header(b, big, NOW, VBEARER_INVALID,
                  "malformed token (not three parts)");
    free(big);
    /* ...also when it is a real token, while a large one below the limit
     * is fine. */
    free(t);
    memset(xs, 'x', sizeof(xs) - 1);
    xs[sizeof(xs) - 1] = '\0';
    snprintf(pad, sizeof(pad), "\"pad\":\"%s\"", xs);
    h = claims_with(pad);
    t = mint("RS256", P("rsa1.pem"), h, NULL);
    assert_true(strlen(t) > VBEARER_MAX_TOKEN);
    expect_invalid(b, t, NOW, "token longer than 8 KiB");
    free(t);
    free(h);
    snprintf(pad, sizeof(pad), "\"pad\":\"%.5000s\"", xs);
    h = claims_with(pad);
    t = mint("RS256", P("rsa1.pem"), h, NULL);
    assert_true(strlen(t) > 6000 && strlen(t) <= VBEARER_MAX_TOKEN);
    expect_ok(b, t, NOW);
    free(t);
    free(h);
    vbearer_free(b);
    /* NULL settings fail closed. */
    expect_header(NULL, "Bearer x", NOW, VBEARER_INVALID,
                  "no bearer settings");
}

/* ------------------------------------------------------------------------
 * Settings errors
 */

static void test_config_errors(void **state)
{
    char *k1 = jwk(P("rsa1.pub"), "k1", "RS256", 0);
    char *badn = with_member(k1, "n", "not*base64");
    char *small = jwk(P("rsa1024.pub"), "small", "RS256", 0);
    const char *offcurve =
        "{\"kty\":\"EC\",\"crv\":\"P-256\",\"kid\":\"x\","
        "\"x\":\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\","
        "\"y\":\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAE\"}";
    const char *enc = "{\"kty\":\"RSA\",\"use\":\"enc\",\"n\":\"AQAB\","
                      "\"e\":\"AQAB\"}";

    (void)state;
    write_file(P("short.key"), "0123456789\n", 11);
    write_file(P("notjson.json"), "{\"keys\": [", 10);
    write_file(P("nokeys.json"), "{\"key\": []}", 11);
    write_jwks(P("badn.json"), (const char *const[]){k1, badn, NULL});
    write_jwks(P("small.json"), (const char *const[]){small, NULL});
    write_jwks(P("offcurve.json"), (const char *const[]){offcurve, NULL});
    write_jwks(P("onlyenc.json"), (const char *const[]){enc, NULL});
    write_file(P("garbage.pem"), "hello\n", 6);

    expect_config_error("bearer:\n  issuer: x\n",
                        "t.yaml:2:3: 'bearer': needs one key source: "
                        "jwks_file, jwks_url, public_key_file or "
                        "secret_file");
    expect_config_error("bearer:\n"
                        "  public_key_file: @/rsa1.pub\n"
                        "  secret_file: @/hs.key\n",
                        "t.yaml:3:16: 'secret_file': only one key source "
                        "may be set ('public_key_file' is set too)");
    expect_config_error("bearer:\n  public_key_file: [a, b]\n",
                        "t.yaml:2:20: 'public_key_file': expected a string, "
                        "got a list");
    expect_config_error("bearer:\n  jwks_file: \"\"\n",
                        "t.yaml:2:14: 'jwks_file': must not be empty");
    /* Key files: the file and the reason, at the key. */
    expect_config_error("bearer:\n  public_key_file: @/nope.pem\n",
                        "t.yaml:2:20: 'public_key_file': cannot read "
                        "@/nope.pem: No such file or directory");
    expect_config_error("bearer:\n  public_key_file: @/rsa1.pem\n",
                        "t.yaml:2:20: 'public_key_file': @/rsa1.pem: a "
                        "private key; give the public key (openssl pkey "
                        "-pubout)");
    expect_config_error("bearer:\n  public_key_file: @/garbage.pem\n",
                        "t.yaml:2:20: 'public_key_file': @/garbage.pem: no "
                        "PEM public key (BEGIN PUBLIC KEY) or certificate "
                        "in it");
    expect_config_error("bearer:\n  public_key_file: @/ec384.pub\n",
                        "t.yaml:2:20: 'public_key_file': @/ec384.pub: an EC "
                        "key on curve secp384r1 (only P-256 is supported)");
    expect_config_error("bearer:\n  public_key_file: @/rsa1024.pub\n",
                        "t.yaml:2:20: 'public_key_file': @/rsa1024.pub: an "
                        "RSA key of 1024 bits (at least 2048 are needed)");
    expect_config_error("bearer:\n  public_key_file: @\n",
                        "t.yaml:2:20: 'public_key_file': cannot read @: "
                        "Is a directory");
    expect_config_error("bearer:\n  secret_file: @/short.key\n",
                        "t.yaml:2:16: 'secret_file': @/short.key: the "
                        "secret is 10 bytes; HS256 needs at least 32");
    expect_config_error("bearer:\n  jwks_file: @/notjson.json\n",
                        "t.yaml:2:14: 'jwks_file': @/notjson.json: not "
                        "JSON: ']' expected near end of file (line "
                        "1, column 10)");
    expect_config_error("bearer:\n  jwks_file: @/nokeys.json\n",
                        "t.yaml:2:14: 'jwks_file': @/nokeys.json: not a "
                        "JWK Set (a JSON object with a \"keys\" array)");
    expect_config_error("bearer:\n  jwks_file: @/badn.json\n",
                        "t.yaml:2:14: 'jwks_file': @/badn.json: key 2: an "
                        "RSA key without valid \"n\" and \"e\" "
                        "(base64url)");
    expect_config_error("bearer:\n  jwks_file: @/small.json\n",
                        "t.yaml:2:14: 'jwks_file': @/small.json: key 1: an "
                        "RSA key of 1024 bits (at least 2048 are needed)");
    expect_config_error("bearer:\n  jwks_file: @/offcurve.json\n",
                        "t.yaml:2:14: 'jwks_file': @/offcurve.json: key 1: "
                        "OpenSSL refuses the EC key (is the point on "
                        "P-256?)");
    expect_config_error("bearer:\n  jwks_file: @/onlyenc.json\n",
                        "t.yaml:2:14: 'jwks_file': @/onlyenc.json: no "
                        "usable key (RSA or EC P-256 keys for signatures)");
    /* The URL, and ca_file. */
    expect_config_error("bearer:\n  jwks_url: http://idp.example/jwks\n",
                        "t.yaml:2:13: 'jwks_url': expected an https:// "
                        "URL, got \"http://idp.example/jwks\"");
    expect_config_error("bearer:\n  jwks_url: idp.example/jwks\n",
                        "t.yaml:2:13: 'jwks_url': expected an https:// "
                        "URL, got \"idp.example/jwks\"");
    expect_config_error("bearer:\n"
                        "  public_key_file: @/rsa1.pub\n"
                        "  ca_file: @/tls.crt\n",
                        "t.yaml:3:12: 'ca_file' goes with jwks_url");
    expect_config_error("bearer:\n"
                        "  jwks_url: https://127.0.0.1:1/jwks\n"
                        "  ca_file: @/rsa1.pub\n",
                        "t.yaml:3:12: 'ca_file': @/rsa1.pub: no PEM "
                        "certificate in it");
    /* The other settings. */
    expect_config_error("bearer:\n"
                        "  public_key_file: @/rsa1.pub\n"
                        "  scope: \"get.health admin\"\n",
                        "t.yaml:3:10: 'scope': one scope, without spaces");
    expect_config_error("bearer:\n"
                        "  public_key_file: @/rsa1.pub\n"
                        "  issuer: \"\"\n",
                        "t.yaml:3:11: 'issuer': must not be empty");
    expect_config_error("bearer:\n"
                        "  public_key_file: @/rsa1.pub\n"
                        "  leeway: soon\n",
                        "t.yaml:3:11: 'leeway': invalid duration \"soon\" "
                        "(use a number and a unit: ms, s, m, h, d)");
    expect_config_error("bearer:\n"
                        "  public_key_file: @/rsa1.pub\n"
                        "  audience: [a, b]\n",
                        "t.yaml:3:13: 'audience': expected a string, got a "
                        "list");
    expect_config_error("bearer: [1]\n",
                        "t.yaml:1:9: 'bearer': expected a map of keys");
    free(k1);
    free(badn);
    free(small);
}

/* ------------------------------------------------------------------------
 * A JWKS URL, served over HTTPS by this test
 */

typedef struct jwks_server {
    peer_t *peer;
    int port;
    int status; /* what to answer */
    char *body;
    int delay_ms; /* before answering */
} jwks_server_t;

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    char *buf = calloc(1, 65536);
    size_t n;

    assert_non_null(f);
    assert_non_null(buf);
    n = fread(buf, 1, 65535, f);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

/* Gives the peer what s says to answer. */
static void server_apply(jwks_server_t *s)
{
    peer_set(s->peer, &(peer_answer_t){
                          .path = "/jwks.json",
                          .status = s->status,
                          .headers = "Content-Type: application/json\r\n",
                          .body = s->body,
                          .delay_ms = s->delay_ms});
}

static void server_start(jwks_server_t *s)
{
    memset(s, 0, sizeof(*s));
    s->status = 200;
    s->peer = peer_start_tls(NULL, P("tls.crt"), P("tls.key"));
    assert_non_null(s->peer);
    s->port = peer_port(s->peer);
    server_apply(s);
}

/* Stops the peer; s->port stays, now with nobody listening. */
static void server_stop(jwks_server_t *s)
{
    peer_stop(s->peer);
    s->peer = NULL;
    free(s->body);
}

static void server_set_body(jwks_server_t *s, const char *body)
{
    free(s->body);
    s->body = strdup(body);
    assert_non_null(s->body);
    server_apply(s);
}

static void server_set(jwks_server_t *s, int status,
                       const char *const *jwks)
{
    write_jwks(P("served.json"), jwks);
    free(s->body);
    s->body = slurp(P("served.json"));
    s->status = status;
    server_apply(s);
}

static void server_delay(jwks_server_t *s, int ms)
{
    s->delay_ms = ms;
    server_apply(s);
}

static int server_hits(jwks_server_t *s)
{
    return peer_hits(s->peer);
}

static vbearer_t *configure_url(const jwks_server_t *s)
{
    char yaml[512];

    snprintf(yaml, sizeof(yaml),
             "bearer:\n  jwks_url: https://127.0.0.1:%d/jwks.json\n"
             "  ca_file: @/tls.crt\n  audience: health-api\n",
             s->port);
    return configure(yaml);
}

static const char http_error[] =
    "the JWKS URL answered with an HTTP status other than 200";

static void test_jwks_url_refetch(void **state)
{
    jwks_server_t s;
    char *k1 = jwk(P("rsa1.pub"), "k1", "RS256", 0);
    char *k2 = jwk(P("ec1.pub"), "k2", "ES256", 0);
    /* Valid for the test's two simulated hours. */
    const char *c = "{\"aud\":\"health-api\",\"exp\":1700100000}";
    char *t1 = mint("RS256", P("rsa1.pem"), c, "k1");
    char *t2 = mint("ES256", P("ec1.pem"), c, "k2");
    char *t9 = mint("RS256", P("rsa1.pem"), c, "k9");
    vbearer_t *b;
    const int64_t t0 = NOW;

    (void)state;
    server_start(&s);
    /* The identity provider is down at start: no configuration error,
     * an empty key set. */
    server_set(&s, 503, (const char *const[]){k1, NULL});
    b = configure_url(&s);
    assert_int_equal(server_hits(&s), 1);
    /* The first token fetches again (still down)... */
    expect_invalid(b, t1, t0, http_error);
    assert_int_equal(server_hits(&s), 2);
    /* ...and for 30 s nothing fetches, whatever the tokens say. */
    server_set(&s, 200, (const char *const[]){k1, NULL});
    expect_invalid(b, t1, t0 + 10, http_error);
    expect_invalid(b, t9, t0 + 29, http_error);
    assert_int_equal(server_hits(&s), 2);
    /* 30 s later: fetched, and the token is good. */
    expect_ok(b, t1, t0 + 30);
    assert_int_equal(server_hits(&s), 3);
    expect_ok(b, t1, t0 + 31);
    assert_int_equal(server_hits(&s), 3);

    /* A new kid (rotation) within 30 s of the last fetch: refused, no
     * fetch; from 30 s on, one fetch finds it. */
    server_set(&s, 200, (const char *const[]){k1, k2, NULL});
    expect_invalid(b, t2, t0 + 40, "unknown kid");
    expect_invalid(b, t2, t0 + 59, "unknown kid");
    assert_int_equal(server_hits(&s), 3);
    expect_ok(b, t2, t0 + 60);
    assert_int_equal(server_hits(&s), 4);
    expect_ok(b, t2, t0 + 61);
    expect_ok(b, t1, t0 + 61);
    assert_int_equal(server_hits(&s), 4);
    /* Made-up kids: one fetch per 30 s at most. */
    for (int64_t t = t0 + 61; t < t0 + 90; t++)
        expect_invalid(b, t9, t, "unknown kid");
    assert_int_equal(server_hits(&s), 4);
    expect_invalid(b, t9, t0 + 90, "unknown kid");
    assert_int_equal(server_hits(&s), 5);
    for (int64_t t = t0 + 90; t < t0 + 200; t += 3)
        expect_invalid(b, t9, t, "unknown kid");
    assert_int_equal(server_hits(&s), 8); /* at 120, 150 and 180 */

    /* A failed refetch keeps the keys we had. */
    server_set(&s, 500, (const char *const[]){k1, NULL});
    expect_invalid(b, t9, t0 + 210, http_error);
    assert_int_equal(server_hits(&s), 9);
    expect_ok(b, t1, t0 + 211);
    expect_ok(b, t2, t0 + 211);

    /* After an hour the set is refetched on use: a key the identity
     * provider withdrew stops working. */
    server_set(&s, 200, (const char *const[]){k2, NULL});
    expect_ok(b, t1, t0 + 180 + 3599);
    assert_int_equal(server_hits(&s), 9);
    expect_invalid(b, t1, t0 + 180 + 3600, "unknown kid");
    assert_int_equal(server_hits(&s), 10);
    expect_ok(b, t2, t0 + 180 + 3601);
    vbearer_free(b);

    /* Up at start: the first token needs no fetch. */
    server_set(&s, 200, (const char *const[]){k1, k2, NULL});
    b = configure_url(&s);
    assert_int_equal(server_hits(&s), 11);
    expect_ok(b, t1, t0);
    expect_ok(b, t2, t0);
    assert_int_equal(server_hits(&s), 11);
    vbearer_free(b);

    /* Not a JWK Set, and nobody listening. */
    server_set_body(&s, "<html>sign in</html>");
    b = configure_url(&s);
    expect_invalid(b, t1, t0, "the JWKS URL answered with no usable JWK Set");
    vbearer_free(b);
    server_stop(&s);
    b = configure_url(&s);
    expect_invalid(b, t1, t0, "the JWKS URL could not be fetched");
    vbearer_free(b);
    free(k1);
    free(k2);
    free(t1);
    free(t2);
    free(t9);
}

typedef struct racer {
    vbearer_t *b;
    const char *token;
    vbearer_result_t r;
} racer_t;

static void *race(void *arg)
{
    racer_t *r = arg;
    char *h = NULL;

    if (asprintf(&h, "Bearer %s", r->token) < 0)
        return NULL;
    vbearer_verify(r->b, h, NOW + 100, &r->r);
    free(h);
    return NULL;
}

/* Threads that all need a new key: one fetch, the others wait for it
 * and all succeed; the mutex is not held during the (slow) fetch, so a
 * token with a known key is verified meanwhile. */
static void test_jwks_url_threads(void **state)
{
    jwks_server_t s;
    char *k1 = jwk(P("rsa1.pub"), "k1", "RS256", 0);
    char *k2 = jwk(P("ec1.pub"), "k2", "ES256", 0);
    char *t1 = good_token("RS256", P("rsa1.pem"), "k1");
    char *t2 = good_token("ES256", P("ec1.pem"), "k2");
    racer_t racers[4];
    pthread_t threads[4];
    vbearer_t *b;

    (void)state;
    server_start(&s);
    server_set(&s, 200, (const char *const[]){k1, NULL});
    b = configure_url(&s);
    assert_int_equal(server_hits(&s), 1);
    server_set(&s, 200, (const char *const[]){k1, k2, NULL});
    server_delay(&s, 500);
    for (int i = 0; i < 4; i++) {
        racers[i].b = b;
        racers[i].token = t2;
        racers[i].r.status = VBEARER_INVALID;
        racers[i].r.reason = "not run";
        assert_int_equal(
            pthread_create(&threads[i], NULL, race, &racers[i]), 0);
    }
    /* While they fetch or wait: the known key still works. */
    usleep(100 * 1000);
    expect_ok(b, t1, NOW + 100);
    for (int i = 0; i < 4; i++) {
        assert_int_equal(pthread_join(threads[i], NULL), 0);
        assert_int_equal(racers[i].r.status, VBEARER_OK);
        assert_string_equal(racers[i].r.reason, "valid token");
    }
    assert_int_equal(server_hits(&s), 2);
    vbearer_free(b);
    server_stop(&s);
    free(k1);
    free(k2);
    free(t1);
    free(t2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rs256),
        cmocka_unit_test(test_es256),
        cmocka_unit_test(test_hs256),
        cmocka_unit_test(test_alg_none),
        cmocka_unit_test(test_alg_confusion),
        cmocka_unit_test(test_tampered),
        cmocka_unit_test(test_jwks_file),
        cmocka_unit_test(test_exp_nbf_leeway),
        cmocka_unit_test(test_access_token_type),
        cmocka_unit_test(test_issuer_audience),
        cmocka_unit_test(test_scope),
        cmocka_unit_test(test_headers),
        cmocka_unit_test(test_config_errors),
        cmocka_unit_test(test_jwks_url_refetch),
        cmocka_unit_test(test_jwks_url_threads),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
