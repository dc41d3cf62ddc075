/* tls.c - unit tests for the "tls" check type
 * (lib/checks/tls.c): certificates made in the test (a CA, and leaves
 * valid, expiring in 5 days, expired, not yet valid, for another name,
 * self-signed), served by `openssl s_server` on 127.0.0.1, and read from
 * files. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "checks/check_type.h"
#include "checktest.h"
#include "util/clock.h"
#include "engine/result.h"
#include "config/vnode.h"

extern const vcheck_type_t vcheck_tls;
extern char **environ;

#define DAY 86400L
#define HOUR 3600L

static int64_t now_ms(void)
{
    return vclock_mono(&vclock_system) / VCLOCK_MS;
}

/* ------------------------------------------------------------------------
 * Certificates, made with the OpenSSL API so that their dates are exact
 * (the openssl command of Debian 12 cannot backdate one)
 */

static char dir[64];

/* What a leaf is, and what the test expects of it. */
typedef struct leaf {
    const char *name; /* files dir/<name>.pem and dir/<name>.key */
    long not_before;  /* seconds from now */
    long not_after;
    const char *san;
    int self_signed;
    char not_after_iso[32];
    char not_before_iso[32];
    long long remaining_days;
} leaf_t;

#define LEAF(n, nb, na, s, self)                                             \
    {.name = n, .not_before = nb, .not_after = na, .san = s,                 \
     .self_signed = self}

static leaf_t leaves[] = {
    LEAF("valid", -HOUR, 90 * DAY + HOUR, "DNS:localhost,IP:127.0.0.1", 0),
    LEAF("soon", -HOUR, 5 * DAY + HOUR, "DNS:localhost,IP:127.0.0.1", 0),
    LEAF("expired", -30 * DAY, -(3 * DAY + HOUR),
         "DNS:localhost,IP:127.0.0.1", 0),
    LEAF("future", 2 * DAY, 90 * DAY, "DNS:localhost,IP:127.0.0.1", 0),
    LEAF("other", -HOUR, 90 * DAY + HOUR, "DNS:other.example,IP:10.0.0.1", 0),
    LEAF("self", -HOUR, 90 * DAY + HOUR, "DNS:localhost,IP:127.0.0.1", 1),
};

#define NLEAVES (sizeof(leaves) / sizeof(leaves[0]))

static leaf_t *leaf(const char *name)
{
    size_t i;

    for (i = 0; i < NLEAVES; i++) {
        if (strcmp(leaves[i].name, name) == 0)
            return &leaves[i];
    }
    fail_msg("no leaf %s", name);
    return NULL;
}

static void iso(const ASN1_TIME *a, char *buf, size_t len)
{
    struct tm tm;

    assert_int_equal(ASN1_TIME_to_tm(a, &tm), 1);
    assert_true(strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm) > 0);
}

static void add_ext(X509 *x, X509 *issuer, int nid, const char *value)
{
    X509V3_CTX ctx;
    X509_EXTENSION *ext;

    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, issuer, x, NULL, NULL, 0);
    ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
    assert_non_null(ext);
    assert_int_equal(X509_add_ext(x, ext, -1), 1);
    X509_EXTENSION_free(ext);
}

static X509 *make_cert(const char *cn, EVP_PKEY *key, X509 *issuer,
                       EVP_PKEY *issuer_key, long not_before, long not_after,
                       const char *san)
{
    static long serial = 1;
    X509 *x = X509_new();
    X509_NAME *name;

    assert_non_null(x);
    assert_int_equal(X509_set_version(x, 2), 1);
    assert_int_equal(ASN1_INTEGER_set(X509_get_serialNumber(x), serial++), 1);
    assert_non_null(X509_gmtime_adj(X509_getm_notBefore(x), not_before));
    assert_non_null(X509_gmtime_adj(X509_getm_notAfter(x), not_after));
    assert_int_equal(X509_set_pubkey(x, key), 1);
    name = X509_get_subject_name(x);
    assert_int_equal(X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC,
                                                (const unsigned char *)
                                                "Vitals Test",
                                                -1, -1, 0),
                     1);
    assert_int_equal(X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                                                (const unsigned char *)cn, -1,
                                                -1, 0),
                     1);
    assert_int_equal(
        X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer) : name),
        1);
    add_ext(x, issuer ? issuer : x, NID_basic_constraints,
            san ? "critical,CA:FALSE" : "critical,CA:TRUE");
    if (san)
        add_ext(x, issuer ? issuer : x, NID_subject_alt_name, san);
    assert_true(X509_sign(x, issuer_key ? issuer_key : key, EVP_sha256()) > 0);
    return x;
}

static void write_pem(const char *name, const char *ext, X509 *x,
                      EVP_PKEY *key)
{
    char path[128];
    FILE *f;

    snprintf(path, sizeof(path), "%s/%s.%s", dir, name, ext);
    f = fopen(path, "w");
    assert_non_null(f);
    if (x)
        assert_int_equal(PEM_write_X509(f, x), 1);
    else
        assert_int_equal(PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL,
                                              NULL),
                         1);
    assert_int_equal(fclose(f), 0);
}

static int make_certs(void **state)
{
    EVP_PKEY *ca_key, *key;
    X509 *ca, *x;
    size_t i;
    (void)state;

    snprintf(dir, sizeof(dir), "/tmp/vitals-tls-XXXXXX");
    if (!mkdtemp(dir))
        return -1;
    ca_key = EVP_EC_gen("P-256");
    assert_non_null(ca_key);
    ca = make_cert("Vitals Test CA", ca_key, NULL, NULL, -DAY, 3650 * DAY,
                   NULL);
    write_pem("ca", "pem", ca, NULL);
    for (i = 0; i < NLEAVES; i++) {
        leaf_t *l = &leaves[i];
        key = EVP_EC_gen("P-256");
        assert_non_null(key);
        x = make_cert("localhost", key, l->self_signed ? NULL : ca,
                      l->self_signed ? NULL : ca_key, l->not_before,
                      l->not_after, l->san);
        write_pem(l->name, "pem", x, NULL);
        write_pem(l->name, "key", NULL, key);
        iso(X509_get0_notAfter(x), l->not_after_iso,
            sizeof(l->not_after_iso));
        iso(X509_get0_notBefore(x), l->not_before_iso,
            sizeof(l->not_before_iso));
        /* Floor of the days left, as the check counts them. */
        l->remaining_days = l->not_after >= 0 ? l->not_after / DAY
                                              : -((-l->not_after + DAY - 1) /
                                                  DAY);
        X509_free(x);
        EVP_PKEY_free(key);
    }
    X509_free(ca);
    EVP_PKEY_free(ca_key);
    return 0;
}

static int remove_certs(void **state)
{
    char cmd[128];
    (void)state;

    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

/* ------------------------------------------------------------------------
 * openssl s_server, one per test
 */

typedef struct sserver {
    pid_t pid;
    int out; /* its stdout, kept open: it writes there */
    int port;
} sserver_t;

/* Starts s_server with leaf name on 127.0.0.1, port chosen by the kernel,
 * and waits for its "ACCEPT 127.0.0.1:PORT" line, which it prints once it
 * listens. */
static void s_server_start(sserver_t *s, const char *name)
{
    char cert[128], key[128], buf[512];
    char *argv[] = {"openssl", "s_server", "-accept", "127.0.0.1:0",
                    "-cert", cert, "-key", key, "-www", NULL};
    posix_spawn_file_actions_t fa;
    struct pollfd p;
    size_t len = 0;
    ssize_t n;
    char *at;
    int pipefd[2];

    snprintf(cert, sizeof(cert), "%s/%s.pem", dir, name);
    snprintf(key, sizeof(key), "%s/%s.key", dir, name);
    assert_int_equal(pipe2(pipefd, O_CLOEXEC), 0);
    assert_int_equal(posix_spawn_file_actions_init(&fa), 0);
    assert_int_equal(posix_spawn_file_actions_addopen(&fa, 0, "/dev/null",
                                                      O_RDONLY, 0),
                     0);
    assert_int_equal(posix_spawn_file_actions_adddup2(&fa, pipefd[1], 1), 0);
    assert_int_equal(posix_spawn_file_actions_addopen(&fa, 2, "/dev/null",
                                                      O_WRONLY, 0),
                     0);
    assert_int_equal(posix_spawnp(&s->pid, "openssl", &fa, NULL, argv,
                                  environ),
                     0);
    posix_spawn_file_actions_destroy(&fa);
    close(pipefd[1]);
    s->out = pipefd[0];
    p = (struct pollfd){.fd = s->out, .events = POLLIN};
    for (;;) {
        assert_int_equal(poll(&p, 1, 5000), 1);
        n = read(s->out, buf + len, sizeof(buf) - 1 - len);
        assert_true(n > 0);
        len += (size_t)n;
        buf[len] = '\0';
        if ((at = strstr(buf, "ACCEPT 127.0.0.1:")) && strchr(at, '\n'))
            break;
    }
    s->port = atoi(at + 17);
    assert_true(s->port > 0);
}

static void s_server_stop(sserver_t *s)
{
    int status;

    kill(s->pid, SIGTERM);
    while (waitpid(s->pid, &status, 0) < 0 && errno == EINTR)
        ;
    close(s->out);
}

/* ------------------------------------------------------------------------
 * Helpers
 */

/* Runs the check against s_server serving leaf name, at host. */
static vitals_result_t *run_server(const char *name, const char *host,
                                   const char *extra, int *port)
{
    char json[512];
    sserver_t s;
    vitals_result_t *r;

    s_server_start(&s, name);
    snprintf(json, sizeof(json), "{\"address\": \"%s:%d\"%s}", host, s.port,
             extra ? extra : "");
    r = run_check(&vcheck_tls, json, 5000);
    s_server_stop(&s);
    if (port)
        *port = s.port;
    return r;
}

/* The data a certificate gives, exactly. */
static void check_data(const vitals_result_t *r, const leaf_t *l)
{
    char want[512];

    snprintf(want, sizeof(want),
             "{\"subject\":\"CN=localhost,O=Vitals Test\",\"issuer\":\"%s\","
             "\"notAfter\":\"%s\",\"remainingDays\":%lld}",
             l->self_signed ? "CN=localhost,O=Vitals Test"
                            : "CN=Vitals Test CA,O=Vitals Test",
             l->not_after_iso, l->remaining_days);
    assert_string_equal(r->data_json, want);
}

static void expires_text(const char *what, const leaf_t *l, char *buf,
                         size_t len)
{
    snprintf(buf, len, "%s expires in %lld days (%s)", what,
             l->remaining_days, l->not_after_iso);
}

static const char *ca_opt(void)
{
    static char opt[128];

    snprintf(opt, sizeof(opt), ", \"ca_file\": \"%s/ca.pem\"", dir);
    return opt;
}

/* ------------------------------------------------------------------------
 * Servers
 */

static void test_valid(void **state)
{
    char want[256];
    vitals_result_t *r;
    (void)state;

    /* By name: SNI and the host name check; localhost may be ::1 first,
     * which refuses, and then 127.0.0.1. */
    r = run_server("valid", "localhost", ca_opt(), NULL);
    assert_int_equal(r->status, VITALS_HEALTHY);
    assert_null(r->error);
    expires_text("certificate for localhost", leaf("valid"), want,
                 sizeof(want));
    assert_string_equal(r->description, want);
    check_data(r, leaf("valid"));
    vresult_unref(r);

    /* By address: checked against the certificate's IP addresses. */
    r = run_server("valid", "127.0.0.1", ca_opt(), NULL);
    assert_int_equal(r->status, VITALS_HEALTHY);
    expires_text("certificate for 127.0.0.1", leaf("valid"), want,
                 sizeof(want));
    assert_string_equal(r->description, want);
    vresult_unref(r);

    r = run_server("valid", "localhost",
                   ", \"verify\": false, \"degraded_within\": \"100d\"", NULL);
    assert_int_equal(r->status, VITALS_DEGRADED);
    vresult_unref(r);
}

/* The system's CAs do not know the test CA: the chain does not verify,
 * and the description still says when it expires. */
static void test_unknown_ca(void **state)
{
    char want[256];
    vitals_result_t *r;
    (void)state;

    r = run_server("valid", "localhost", NULL, NULL);
    assert_int_equal(r->status, VITALS_UNHEALTHY);
    assert_string_equal(r->error, "certificate for localhost does not "
                                  "verify: unable to get local issuer "
                                  "certificate");
    expires_text("certificate for localhost", leaf("valid"), want,
                 sizeof(want));
    assert_string_equal(r->description, want);
    check_data(r, leaf("valid"));
    vresult_unref(r);

    r = run_server("valid", "localhost", ", \"verify\": false", NULL);
    assert_int_equal(r->status, VITALS_HEALTHY);
    vresult_unref(r);
}

static void test_expires_soon(void **state)
{
    char want[256];
    vitals_result_t *r;
    (void)state;

    r = run_server("soon", "localhost", ca_opt(), NULL);
    assert_int_equal(r->status, VITALS_DEGRADED);
    assert_null(r->error);
    snprintf(want, sizeof(want),
             "certificate for localhost expires in 5 days (%s)",
             leaf("soon")->not_after_iso);
    assert_string_equal(r->description, want);
    check_data(r, leaf("soon"));
    vresult_unref(r);

    r = run_server("soon", "localhost",
                   ", \"verify\": false, \"degraded_within\": \"3d\"", NULL);
    assert_int_equal(r->status, VITALS_HEALTHY);
    vresult_unref(r);
}

static void test_expired(void **state)
{
    char want[256];
    vitals_result_t *r;
    (void)state;

    r = run_server("expired", "localhost", ca_opt(), NULL);
    assert_int_equal(r->status, VITALS_UNHEALTHY);
    snprintf(want, sizeof(want),
             "certificate for localhost expired 3 days ago (%s)",
             leaf("expired")->not_after_iso);
    assert_string_equal(r->error, want);
    assert_string_equal(r->description, want);
    check_data(r, leaf("expired"));
    vresult_unref(r);

    /* Expired is expired, verified or not. */
    r = run_server("expired", "localhost", ", \"verify\": false", NULL);
    assert_string_equal(r->error, want);
    vresult_unref(r);
}

static void test_not_yet_valid(void **state)
{
    char want[256];
    vitals_result_t *r;
    (void)state;

    r = run_server("future", "localhost", ca_opt(), NULL);
    assert_int_equal(r->status, VITALS_UNHEALTHY);
    snprintf(want, sizeof(want),
             "certificate for localhost is not yet valid (valid from %s)",
             leaf("future")->not_before_iso);
    assert_string_equal(r->error, want);
    vresult_unref(r);
}

static void test_wrong_host(void **state)
{
    vitals_result_t *r;
    (void)state;

    r = run_server("other", "localhost", ca_opt(), NULL);
    assert_int_equal(r->status, VITALS_UNHEALTHY);
    assert_string_equal(r->error, "certificate for localhost does not "
                                  "verify: hostname mismatch");
    vresult_unref(r);

    r = run_server("other", "127.0.0.1", ca_opt(), NULL);
    assert_string_equal(r->error, "certificate for 127.0.0.1 does not "
                                  "verify: IP address mismatch");
    vresult_unref(r);

    /* Without verification the names are not looked at. */
    r = run_server("other", "localhost", ", \"verify\": false", NULL);
    assert_int_equal(r->status, VITALS_HEALTHY);
    vresult_unref(r);
}

static void test_self_signed(void **state)
{
    vitals_result_t *r;
    (void)state;

    r = run_server("self", "localhost", ca_opt(), NULL);
    assert_int_equal(r->status, VITALS_UNHEALTHY);
    assert_string_equal(r->error, "certificate for localhost does not "
                                  "verify: self-signed certificate");
    check_data(r, leaf("self"));
    vresult_unref(r);
}

/* A socket on 127.0.0.1, port chosen by the kernel; listening (backlog
 * >= 0) or merely bound, which refuses connections. */
static int loopback(int backlog, int *port)
{
    struct sockaddr_in a = {.sin_family = AF_INET};
    socklen_t len = sizeof(a);
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

    assert_true(fd >= 0);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
    if (backlog >= 0)
        assert_int_equal(listen(fd, backlog), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
    *port = ntohs(a.sin_port);
    return fd;
}

/* A listener that accepts (the kernel does) and never says a word: the
 * handshake gives up at the deadline. */
static void test_handshake_timeout(void **state)
{
    char json[128], want[256];
    vitals_result_t *r;
    int64_t start, took;
    int port, budget = -1, fd = loopback(8, &port);
    (void)state;

    snprintf(json, sizeof(json), "{\"address\": \"127.0.0.1:%d\"}", port);
    start = now_ms();
    r = run_check(&vcheck_tls, json, 300);
    took = now_ms() - start;
    assert_int_equal(r->status, VITALS_UNHEALTHY);
    assert_non_null(r->error);
    if (sscanf(r->error, "TLS handshake with 127.0.0.1:%*d: timed out after "
                         "%d ms",
               &budget) != 1)
        fail_msg("unexpected error: %s", r->error);
    assert_true(budget >= 250 && budget <= 300);
    snprintf(want, sizeof(want),
             "TLS handshake with 127.0.0.1:%d: timed out after %d ms", port,
             budget);
    assert_string_equal(r->error, want);
    assert_null(r->description);
    assert_string_equal(r->data_json, "{}");
    assert_true(took >= 250 && took < 900);
    vresult_unref(r);
    close(fd);
}

static void test_refused(void **state)
{
    char json[128], want[128];
    vitals_result_t *r;
    int port, fd = loopback(-1, &port);
    (void)state;

    snprintf(json, sizeof(json), "{\"address\": \"127.0.0.1:%d\"}", port);
    r = run_check(&vcheck_tls, json, 2000);
    snprintf(want, sizeof(want),
             "cannot connect to 127.0.0.1:%d: Connection refused", port);
    assert_string_equal(r->error, want);
    vresult_unref(r);
    close(fd);
}

/* A server that is not TLS at all. */
static void test_not_tls(void **state)
{
    char json[128], want[256];
    vitals_result_t *r;
    struct sockaddr_in a;
    socklen_t len = sizeof(a);
    int port, fd = loopback(8, &port), c;
    pid_t pid;
    (void)state;

    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        c = accept(fd, (struct sockaddr *)&a, &len);
        if (c >= 0 &&
            write(c, "HTTP/1.0 400 Bad Request\r\n\r\n", 28) == 28)
            usleep(500 * 1000);
        _exit(0);
    }
    snprintf(json, sizeof(json), "{\"address\": \"127.0.0.1:%d\"}", port);
    r = run_check(&vcheck_tls, json, 2000);
    snprintf(want, sizeof(want),
             "TLS handshake with 127.0.0.1:%d failed: wrong version number",
             port);
    assert_string_equal(r->error, want);
    vresult_unref(r);
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    close(fd);
}

/* A server that reads the hello and resets the connection. */
static void test_reset(void **state)
{
    char json[128], want[256], buf[512];
    vitals_result_t *r;
    struct linger lg = {.l_onoff = 1, .l_linger = 0};
    int port, fd = loopback(8, &port), c;
    pid_t pid;
    (void)state;

    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        c = accept(fd, NULL, NULL);
        if (c >= 0 && read(c, buf, sizeof(buf)) > 0 &&
            setsockopt(c, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)) == 0)
            close(c);
        _exit(0);
    }
    snprintf(json, sizeof(json), "{\"address\": \"127.0.0.1:%d\"}", port);
    r = run_check(&vcheck_tls, json, 2000);
    snprintf(want, sizeof(want),
             "TLS handshake with 127.0.0.1:%d failed: Connection reset by "
             "peer",
             port);
    assert_string_equal(r->error, want);
    vresult_unref(r);
    waitpid(pid, NULL, 0);
    close(fd);
}

static void test_cannot_resolve(void **state)
{
    vitals_result_t *r;
    (void)state;

    r = run_check(&vcheck_tls, "{\"address\": \"nope..invalid:443\"}", 5000);
    assert_string_equal(r->error, "cannot resolve nope..invalid: Name or "
                                  "service not known");
    vresult_unref(r);
}

/* ------------------------------------------------------------------------
 * Files
 */

static vitals_result_t *run_file(const char *name, const char *extra)
{
    char json[512];

    snprintf(json, sizeof(json), "{\"file\": \"%s/%s.pem\"%s}", dir, name,
             extra ? extra : "");
    return run_check(&vcheck_tls, json, 2000);
}

static void test_file(void **state)
{
    char what[256], want[320];
    vitals_result_t *r;
    (void)state;

    /* Not verified by default. */
    r = run_file("valid", NULL);
    assert_int_equal(r->status, VITALS_HEALTHY);
    snprintf(what, sizeof(what), "certificate in %s/valid.pem", dir);
    expires_text(what, leaf("valid"), want, sizeof(want));
    assert_string_equal(r->description, want);
    check_data(r, leaf("valid"));
    vresult_unref(r);

    r = run_file("self", NULL);
    assert_int_equal(r->status, VITALS_HEALTHY);
    vresult_unref(r);

    r = run_file("soon", NULL);
    assert_int_equal(r->status, VITALS_DEGRADED);
    vresult_unref(r);

    r = run_file("expired", NULL);
    snprintf(what, sizeof(what), "certificate in %s/expired.pem", dir);
    snprintf(want, sizeof(want), "%s expired 3 days ago (%s)", what,
             leaf("expired")->not_after_iso);
    assert_string_equal(r->error, want);
    vresult_unref(r);

    /* Verified on request: the chain, no host name. */
    snprintf(want, sizeof(want), ", \"verify\": true%s", ca_opt());
    r = run_file("other", want);
    assert_int_equal(r->status, VITALS_HEALTHY);
    vresult_unref(r);

    r = run_file("self", want);
    snprintf(what, sizeof(what),
             "certificate in %s/self.pem does not verify: self-signed "
             "certificate",
             dir);
    assert_string_equal(r->error, what);
    vresult_unref(r);

    r = run_file("valid", ", \"verify\": true");
    snprintf(what, sizeof(what),
             "certificate in %s/valid.pem does not verify: unable to get "
             "local issuer certificate",
             dir);
    assert_string_equal(r->error, what);
    vresult_unref(r);
}

static void test_file_errors(void **state)
{
    char want[256];
    vitals_result_t *r;
    (void)state;

    r = run_file("missing", NULL);
    snprintf(want, sizeof(want),
             "cannot read %s/missing.pem: No such file or directory", dir);
    assert_string_equal(r->error, want);
    assert_string_equal(r->data_json, "{}");
    vresult_unref(r);

    /* A key is not a certificate. */
    snprintf(want, sizeof(want), "{\"file\": \"%s/valid.key\"}", dir);
    r = run_check(&vcheck_tls, want, 2000);
    snprintf(want, sizeof(want),
             "%s/valid.key holds no PEM certificate (no start line)", dir);
    assert_string_equal(r->error, want);
    vresult_unref(r);

    r = run_check(&vcheck_tls, "{\"file\": \"/tmp\"}", 2000);
    assert_string_equal(r->error, "cannot read /tmp: not a regular file");
    vresult_unref(r);

    snprintf(want, sizeof(want), ", \"verify\": true, \"ca_file\": "
                                 "\"%s/nope.pem\"",
             dir);
    r = run_file("valid", want);
    assert_non_null(r->error);
    snprintf(want, sizeof(want), "cannot load CA file %s/nope.pem: ", dir);
    assert_true(strncmp(r->error, want, strlen(want)) == 0);
    vresult_unref(r);
}

/* ------------------------------------------------------------------------
 * Configuration
 */

static void test_config_errors(void **state)
{
    (void)state;
    check_config_error(&vcheck_tls, "{}",
                       "settings: missing required key 'address' or 'file'");
    check_config_error(&vcheck_tls,
                       "{\"address\": \"a:443\", \"file\": \"/x.pem\"}",
                       "settings: 'address' and 'file' exclude each other: "
                       "give one");
    check_config_error(&vcheck_tls, "{\"address\": \"example.com\"}",
                       "settings: 'address': expected host:port, got "
                       "\"example.com\"");
    check_config_error(&vcheck_tls, "{\"address\": \"https://a:443\"}",
                       "settings: 'address': expected host:port, got "
                       "\"https://a:443\"");
    check_config_error(&vcheck_tls,
                       "{\"address\": \"a:443\", \"verify\": false, "
                       "\"ca_file\": \"/ca.pem\"}",
                       "settings: 'ca_file' goes with verify: true");
    check_config_error(&vcheck_tls,
                       "{\"file\": \"/x.pem\", \"ca_file\": \"/ca.pem\"}",
                       "settings: 'ca_file' goes with verify: true");
    check_config_error(&vcheck_tls,
                       "{\"file\": \"/x.pem\", \"degraded_within\": \"-1d\"}",
                       "settings: 'degraded_within': invalid duration "
                       "\"-1d\" (must not be negative)");
    check_config_error(&vcheck_tls, "{\"file\": \"\"}",
                       "settings: 'file': must not be empty");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid),
        cmocka_unit_test(test_unknown_ca),
        cmocka_unit_test(test_expires_soon),
        cmocka_unit_test(test_expired),
        cmocka_unit_test(test_not_yet_valid),
        cmocka_unit_test(test_wrong_host),
        cmocka_unit_test(test_self_signed),
        cmocka_unit_test(test_handshake_timeout),
        cmocka_unit_test(test_refused),
        cmocka_unit_test(test_not_tls),
        cmocka_unit_test(test_reset),
        cmocka_unit_test(test_cannot_resolve),
        cmocka_unit_test(test_file),
        cmocka_unit_test(test_file_errors),
        cmocka_unit_test(test_config_errors),
    };

    return cmocka_run_group_tests(tests, make_certs, remove_certs);
}
