/* test_access.c - access control against a running vitalsd: bearer JWTs
 * minted by jose (RS256 keys made by openssl), detail visibility, the
 * client id header, rate limits, trusted proxies, connection limits and
 * stalled clients, and an HTTPS listener with a real TLS client. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"

static char dir[] = "/tmp/vitals-access-XXXXXX";
static char priv[128], pub[128], cert[128], key[128], other_key[128];
static int closed;

#define ISS "https://idp.example/"

static int setup(void **state)
{
    (void)state;
    assert_non_null(mkdtemp(dir));
    snprintf(priv, sizeof(priv), "%s/priv.pem", dir);
    snprintf(pub, sizeof(pub), "%s/pub.pem", dir);
    snprintf(cert, sizeof(cert), "%s/cert.pem", dir);
    snprintf(key, sizeof(key), "%s/key.pem", dir);
    snprintf(other_key, sizeof(other_key), "%s/other.pem", dir);
    sh("openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 "
       "-out %s 2>/dev/null", priv);
    sh("openssl pkey -in %s -pubout -out %s", priv, pub);
    sh("openssl req -x509 -newkey rsa:2048 -nodes -keyout %s -out %s "
       "-days 2 -subj /CN=localhost -addext subjectAltName=IP:127.0.0.1 "
       "2>/dev/null", key, cert);
    sh("openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 "
       "-out %s 2>/dev/null", other_key);
    closed = closed_port();
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    sh("rm -rf %s", dir);
    return 0;
}

/* A token from jose, signed with keyfile. */
static char *mint(const char *alg, const char *keyfile, const char *claims)
{
    char path[512], *out = NULL, *err = NULL;
    const char *src = getenv("VITALS_SRC");

    snprintf(path, sizeof(path), "%s/tests/support/mint.mjs",
             src ? src : ".");
    char *argv[] = {"/usr/bin/env", "node", path, (char *)alg,
                    (char *)keyfile, (char *)claims, NULL};
    if (run_cmd(argv, &out, &err) != 0)
        fail_msg("mint.mjs failed (npm ci --prefix tests/support?): %s",
                 err ? err : "");
    free(err);
    out[strcspn(out, "\n")] = '\0';
    return out;
}

static char *claims(const char *extra, long exp_in)
{
    char *c = NULL;

    assert_true(asprintf(&c, "{\"iss\":\"" ISS "\",\"aud\":\"health-api\","
                             "\"exp\":%ld%s%s}",
                         (long)time(NULL) + exp_in, extra[0] ? "," : "",
                         extra) > 0);
    return c;
}

static char *token(const char *extra, long exp_in)
{
    char *c = claims(extra, exp_in), *t = mint("RS256", priv, c);

    free(c);
    return t;
}

static vresp_t get_as(vd_t *d, const char *path, const char *tok)
{
    char auth[4096];
    const char *h[] = {auth, NULL};

    if (tok == NULL)
        return vd_get(d, path);
    snprintf(auth, sizeof(auth), "Authorization: Bearer %s", tok);
    return vd_request(d, NULL, path, NULL, h);
}

static void expect_denied(vd_t *d, const char *tok, long status,
                          const char *authenticate, const char *code)
{
    vresp_t r = get_as(d, "/api/v2/health", tok);
    char *h = vresp_header(&r, "WWW-Authenticate");
    json_t *j = vresp_json(&r), *e;

    if (r.status != status)
        fail_msg("token %.40s...: got %ld, want %ld: %s", tok ? tok : "-",
                 r.status, status, r.body);
    assert_non_null(h);
    assert_string_equal(h, authenticate);
    e = json_array_get(json_object_get(j, "errors"), 0);
    assert_string_equal(json_string_value(json_object_get(e, "code")), code);
    free(h);
    json_decref(j);
    vresp_free(&r);
}

static int has_run(json_t *j, void *arg)
{
    (void)arg;
    return json_object_size(json_object_get(j, "entries")) > 0 &&
           json_object_get(json_object_get(json_object_get(j, "entries"),
                                           "db"),
                           "exception") != NULL;
}

static vd_t *start_protected(const char *details)
{
    vd_t *d = vd_start(
        "service: {id: bank-api}\n"
        "listen: [\"127.0.0.1:0\"]\n"
        "access:\n"
        "  %s"
        "  bearer: {public_key_file: %s, issuer: \"" ISS "\", audience: "
        "health-api, scope: get.health, leeway: 30s}\n"
        "endpoints:\n"
        "  report: {auth: bearer}\n"
        "checks:\n"
        "  db: {type: tcp, address: \"127.0.0.1:%d\", tags: [ready]}\n",
        details, pub, closed);
    return d;
}

static void test_bearer(void **state)
{
    vd_t *d = start_protected("");
    char *good = token("\"scope\":\"openid get.health\"", 300);

    (void)state;
    json_t *j = NULL;
    for (int64_t until = now_ms() + 5000; now_ms() < until;) {
        vresp_t r = get_as(d, "/api/v2/health", good);
        json_decref(j);
        j = vresp_json(&r);
        assert_int_equal(r.status, 200);
        vresp_free(&r);
        if (has_run(j, NULL))
            break;
        usleep(20000);
    }
    assert_true(has_run(j, NULL));
    json_decref(j);

    const char *inv = "Bearer error=\"invalid_token\"";
    expect_denied(d, NULL, 401, inv, "UNAUTHORIZED");
    char *t;
    t = token("\"scope\":\"get.health\"", -120); /* expired past leeway */
    expect_denied(d, t, 401, inv, "UNAUTHORIZED");
    free(t);
    t = token("\"scope\":\"get.health\"", -10); /* within the leeway */
    vresp_t r = get_as(d, "/api/v2/health", t);
    assert_int_equal(r.status, 200);
    vresp_free(&r);
    free(t);
    char nbf[64];
    snprintf(nbf, sizeof(nbf), "\"scope\":\"get.health\",\"nbf\":%ld",
             (long)time(NULL) + 120);
    t = token(nbf, 300);
    expect_denied(d, t, 401, inv, "UNAUTHORIZED");
    free(t);

    char *c = claims("\"scope\":\"get.health\"", 300);
    t = mint("none", priv, c);
    expect_denied(d, t, 401, inv, "UNAUTHORIZED");
    free(t);
    /* HS256 "signed" with the RSA public key as the secret. */
    t = mint("HS256", pub, c);
    expect_denied(d, t, 401, inv, "UNAUTHORIZED");
    free(t);
    t = mint("RS256", other_key, c); /* someone else's key */
    expect_denied(d, t, 401, inv, "UNAUTHORIZED");
    free(t);
    free(c);

    t = strdup(good);
    t[strlen(t) - 5] = t[strlen(t) - 5] == 'A' ? 'B' : 'A';
    expect_denied(d, t, 401, inv, "UNAUTHORIZED");
    free(t);

    c = NULL;
    assert_true(asprintf(&c, "{\"iss\":\"https://evil/\",\"aud\":\"health-"
                             "api\",\"scope\":\"get.health\",\"exp\":%ld}",
                         (long)time(NULL) + 300) > 0);
    t = mint("RS256", priv, c);
    expect_denied(d, t, 401, inv, "UNAUTHORIZED");
    free(t);
    free(c);
    assert_true(asprintf(&c, "{\"iss\":\"" ISS "\",\"aud\":[\"x\",\"y\"],"
                             "\"scope\":\"get.health\",\"exp\":%ld}",
                         (long)time(NULL) + 300) > 0);
    t = mint("RS256", priv, c);
    expect_denied(d, t, 401, inv, "UNAUTHORIZED");
    free(t);
    free(c);
    assert_true(asprintf(&c, "{\"iss\":\"" ISS "\",\"aud\":[\"x\",\"health-"
                             "api\"],\"scp\":[\"get.health\"],\"exp\":%ld}",
                         (long)time(NULL) + 300) > 0);
    t = mint("RS256", priv, c);
    r = get_as(d, "/api/v2/health", t);
    assert_int_equal(r.status, 200);
    vresp_free(&r);
    free(t);
    free(c);

    t = token("\"scope\":\"openid\"", 300);
    expect_denied(d, t, 403, "Bearer error=\"insufficient_scope\"",
                  "FORBIDDEN");
    free(t);

    const char *basic[] = {"Authorization: Basic dXNlcjpwYXNz", NULL};
    r = vd_request(d, NULL, "/api/v2/health", NULL, basic);
    assert_int_equal(r.status, 401);
    vresp_free(&r);
    free(good);
    assert_int_equal(vd_stop(d), 0);
}

/* Nothing a check says reaches an anonymous caller of a protected
 * deployment; a caller with a valid token sees everything. */
static void test_details_when_authorized(void **state)
{
    vd_t *d = start_protected("");
    char *good = token("\"scope\":\"get.health\"", 300), port[16];
    const char *paths[] = {"/health", "/health/db", "/ext/health",
                           "/readyz?verbose", "/api/v1/health/check"};

    (void)state;
    snprintf(port, sizeof(port), "%d", closed);
    /* Wait for the first run. */
    for (int64_t until = now_ms() + 5000; now_ms() < until;) {
        vresp_t r = get_as(d, "/health", good);
        int ran = strstr(r.body, "Connection refused") != NULL;
        vresp_free(&r);
        if (ran)
            break;
        usleep(20000);
    }
    for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
        vresp_t r = get_as(d, paths[i], NULL);

        if (strstr(r.body, port) != NULL ||
            strstr(r.body, "refused") != NULL)
            fail_msg("anonymous %s leaks: %s", paths[i], r.body);
        vresp_free(&r);
        r = get_as(d, paths[i], good);
        if (strcmp(paths[i], "/api/v1/health/check") != 0 &&
            strstr(r.body, "refused") == NULL)
            fail_msg("authorized %s shows no details: %s", paths[i], r.body);
        vresp_free(&r);
    }
    vresp_t r = get_as(d, "/health", NULL);
    assert_int_equal(r.status, 503); /* the status is still the truth */
    assert_string_equal(r.body, "{\"status\":\"fail\",\"serviceId\":"
                                "\"bank-api\"}");
    vresp_free(&r);
    /* No check names for anonymous callers, not even with ?verbose. */
    r = get_as(d, "/readyz?verbose", NULL);
    assert_string_equal(r.body, "readyz check failed\n");
    vresp_free(&r);
    /* Per-check paths answer alike for existing and unknown names. */
    r = get_as(d, "/readyz/db", NULL);
    assert_int_equal(r.status, 404);
    vresp_free(&r);
    r = get_as(d, "/readyz/nope", NULL);
    assert_int_equal(r.status, 404);
    vresp_free(&r);
    r = get_as(d, "/ext/health", NULL);
    assert_string_equal(r.body, "{\"checks\":{},\"healthy\":false}");
    vresp_free(&r);
    assert_int_equal(vd_stop(d), 0);

    /* never: not even with a token. */
    d = start_protected("details: never\n");
    usleep(200000);
    r = get_as(d, "/health", good);
    assert_string_equal(r.body, "{\"status\":\"fail\",\"serviceId\":"
                                "\"bank-api\"}");
    vresp_free(&r);
    assert_int_equal(vd_stop(d), 0);
    free(good);
}

static void expect_400(vd_t *d, const char *hdr, const char *description)
{
    const char *h[] = {hdr, NULL};
    vresp_t r = vd_request(d, NULL, "/health", NULL, hdr ? h : NULL);
    json_t *j = vresp_json(&r), *e;

    assert_int_equal(r.status, 400);
    e = json_array_get(json_object_get(j, "errors"), 0);
    assert_string_equal(json_string_value(json_object_get(e, "description")),
                        description);
    json_decref(j);
    vresp_free(&r);
}

static void test_client_id_and_rate_limit(void **state)
{
    vd_t *d = vd_start("listen: [\"127.0.0.1:0\"]\n"
                       "access:\n"
                       "  client_id_header: x-santander-client-id\n"
                       "  rate_limit: {per_second: 0.2, burst: 3}\n"
                       "checks:\n  d: {type: disk, path: /}\n");
    const char *ok[] = {"x-santander-client-id: "
                        "a1b30a84-7bf3-442e-84a0-e935d8163b5a",
                        NULL};
    vresp_t r;
    char *h;

    (void)state;
    expect_400(d, NULL, "Missing header x-santander-client-id: expected a "
                        "UUID");
    expect_400(d, "x-santander-client-id: a1b30a84", "Invalid header "
               "x-santander-client-id: expected a UUID");
    r = vd_request(d, NULL, "/health", NULL, ok);
    assert_true(r.status == 200 || r.status == 503);
    vresp_free(&r);
    /* The burst of 3 is spent: 429 with Retry-After. */
    r = vd_request(d, NULL, "/health", NULL, ok);
    assert_int_equal(r.status, 429);
    h = vresp_header(&r, "Retry-After");
    assert_non_null(h);
    assert_true(atoi(h) >= 1 && atoi(h) <= 5);
    free(h);
    json_t *j = vresp_json(&r);
    assert_string_equal(
        json_string_value(json_object_get(
            json_array_get(json_object_get(j, "errors"), 0), "code")),
        "TOO_MANY_REQUESTS");
    json_decref(j);
    vresp_free(&r);
    /* Another client has its own bucket. */
    d->source = "127.0.0.2";
    r = vd_request(d, NULL, "/health", NULL, ok);
    assert_true(r.status == 200 || r.status == 503);
    vresp_free(&r);
    assert_int_equal(vd_stop(d), 0);
}

static void test_trusted_proxies(void **state)
{
    vd_t *d = vd_start("listen: [\"127.0.0.1:0\"]\n"
                       "access:\n"
                       "  health_allow_list: \"10.0.0.0/8\"\n"
                       "  trusted_proxies: [\"127.0.0.1/32\"]\n"
                       "checks:\n  d: {type: disk, path: /}\n");
    const char *inside[] = {"X-Forwarded-For: 10.1.2.3", NULL};
    const char *spoof[] = {"X-Forwarded-For: 10.1.2.3, 192.168.1.1", NULL};
    vresp_t r;

    (void)state;
    unsetenv("MOSPARO_HEALTH_ALLOW_LIST");
    r = vd_request(d, NULL, "/api/v1/health/check", NULL, inside);
    assert_true(r.status == 200 || r.status == 500);
    vresp_free(&r);
    r = vd_get(d, "/api/v1/health/check");
    assert_int_equal(r.status, 403);
    vresp_free(&r);
    /* The right-most untrusted hop is the client. */
    r = vd_request(d, NULL, "/api/v1/health/check", NULL, spoof);
    assert_int_equal(r.status, 403);
    vresp_free(&r);
    /* 127.0.0.2 is no trusted proxy: its X-Forwarded-For is ignored. */
    d->source = "127.0.0.2";
    r = vd_request(d, NULL, "/api/v1/health/check", NULL, inside);
    assert_int_equal(r.status, 403);
    vresp_free(&r);
    assert_int_equal(vd_stop(d), 0);
}

static int connect_from(const char *src, int port)
{
    struct sockaddr_in sa = {0}, me = {0};
    int fd = socket(AF_INET, SOCK_STREAM, 0);

    me.sin_family = AF_INET;
    inet_pton(AF_INET, src, &me.sin_addr);
    bind(fd, (struct sockaddr *)&me, sizeof(me));
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)port);
    inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
    if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

/* Milliseconds until the server closes fd (reads hit EOF), or -1. */
static int64_t until_closed(int fd, int max_ms)
{
    int64_t t0 = now_ms();
    char buf[256];

    while (now_ms() - t0 < max_ms) {
        struct pollfd p = {fd, POLLIN, 0};

        if (poll(&p, 1, 100) > 0) {
            ssize_t n = read(fd, buf, sizeof(buf));
            if (n <= 0)
                return now_ms() - t0;
        }
    }
    return -1;
}

static void test_limits_and_stalled_clients(void **state)
{
    vd_t *d = vd_start("listen: [\"127.0.0.1:0\"]\n"
                       "limits: {read_timeout: 1s, max_header_bytes: 1024}\n"
                       "checks:\n  d: {type: disk, path: /}\n");
    int fds[500], n = 0, fd;
    int64_t took;
    char big[3000], resp[64] = "";

    (void)state;
    /* Connects and sends nothing: closed after the read timeout. */
    fd = connect_from("127.0.0.1", d->port);
    took = until_closed(fd, 5000);
    assert_true(took >= 800 && took < 3000);
    close(fd);

    /* Trickles a header: closed all the same. */
    fd = connect_from("127.0.0.1", d->port);
    assert_true(write(fd, "GET /health HTTP/1.1\r\nHost: x\r\n", 31) == 31);
    int64_t t0 = now_ms();
    while (now_ms() - t0 < 4000) {
        if (write(fd, "X", 1) != 1)
            break;
        struct pollfd p = {fd, POLLIN, 0};
        if (poll(&p, 1, 200) > 0 && read(fd, resp, sizeof(resp)) <= 0)
            break;
    }
    assert_true(now_ms() - t0 < 3000);
    close(fd);

    /* A head over max_header_bytes is refused. */
    fd = connect_from("127.0.0.1", d->port);
    memset(big, 'a', sizeof(big));
    memcpy(big, "GET /health HTTP/1.1\r\nHost: x\r\nX-Big: ", 38);
    memcpy(big + sizeof(big) - 4, "\r\n\r\n", 4);
    assert_true(write(fd, big, sizeof(big)) == (ssize_t)sizeof(big));
    struct pollfd p = {fd, POLLIN, 0};
    assert_true(poll(&p, 1, 3000) > 0);
    assert_true(read(fd, resp, sizeof(resp) - 1) > 12);
    assert_true(strncmp(resp, "HTTP/1.1 431", 12) == 0);
    close(fd);

    /* 500 stalled connections: the endpoint still answers others. */
    for (int i = 0; i < 500; i++)
        if ((fds[n] = connect_from("127.0.0.1", d->port)) >= 0)
            n++;
    d->source = "127.0.0.2";
    for (int i = 0; i < 5; i++) {
        int64_t t = now_ms();
        vresp_t r = vd_get(d, "/health");

        assert_true(r.status == 200 || r.status == 503);
        assert_true(now_ms() - t < 1000);
        vresp_free(&r);
    }
    for (int i = 0; i < n; i++)
        close(fds[i]);
    assert_int_equal(vd_stop(d), 0);
}

static void test_https(void **state)
{
    char path[160], *out, *err;
    vd_t *d = vd_start("listen:\n"
                       "  - {address: \"127.0.0.1:0\", tls: {cert_file: %s, "
                       "key_file: %s}}\n"
                       "checks:\n  d: {type: disk, path: /, degraded_below: "
                       "1B}\n",
                       cert, key);
    json_t *j;

    (void)state;
    assert_true(vd_log_wait(d, "https)", 1000));
    d->cafile = cert;
    usleep(200000);
    vresp_t r = vd_get(d, "/health");
    assert_int_equal(r.status, 200);
    j = vresp_json(&r);
    assert_string_equal(json_string_value(json_object_get(j, "status")),
                        "pass");
    json_decref(j);
    vresp_free(&r);
    assert_int_equal(vd_stop(d), 0);

    /* A key that does not match the certificate: a config error. */
    snprintf(path, sizeof(path), "%s/bad.yaml", dir);
    char text[1024];
    snprintf(text, sizeof(text),
             "listen:\n  - {address: \"127.0.0.1:0\", tls: {cert_file: %s, "
             "key_file: %s}}\n",
             cert, other_key);
    write_file(path, text);
    char *argv[] = {(char *)vitalsd_path(), "--check-config", path, NULL};
    assert_int_equal(run_cmd(argv, &out, &err), 2);
    char want[512];
    snprintf(want, sizeof(want), "%s:2:35: 'tls': %s does not match the "
             "certificate in %s",
             path, other_key, cert);
    if (strstr(err, want) == NULL)
        fail_msg("missing \"%s\" in:\n%s", want, err);
    free(out);
    free(err);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bearer),
        cmocka_unit_test(test_details_when_authorized),
        cmocka_unit_test(test_client_id_and_rate_limit),
        cmocka_unit_test(test_trusted_proxies),
        cmocka_unit_test(test_limits_and_stalled_clients),
        cmocka_unit_test(test_https),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
