/* test_grpc.c - gRPC health checking against a real vitalsd, with
 * independent clients: @grpc/grpc-js and grpc-health-check from npm
 * (tests/support/grpc-client.mjs). Check, List, Watch (a transition
 * arrives within one check interval; unknown names; the stream ends
 * cleanly on shutdown), a kubelet-style probe with a 1 s deadline, and
 * TLS with ALPN h2. */
#include <arpa/inet.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"

static char dir[] = "/tmp/vitals-grpc-XXXXXX";
static char cert[160], key[160], client[256];

static int setup(void **state)
{
    (void)state;
    assert_non_null(mkdtemp(dir));
    snprintf(cert, sizeof(cert), "%s/cert.pem", dir);
    snprintf(key, sizeof(key), "%s/key.pem", dir);
    sh("openssl req -x509 -newkey rsa:2048 -nodes -keyout %s -out %s "
       "-days 2 -subj /CN=localhost -addext subjectAltName=IP:127.0.0.1 "
       "2>/dev/null",
       key, cert);
    snprintf(client, sizeof(client), "%s/tests/support/grpc-client.mjs",
             getenv("VITALS_SRC") ? getenv("VITALS_SRC") : ".");
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    sh("rm -rf %s", dir);
    return 0;
}

/* The port of the listener the log names "(port N, what)". */
static int port_of(vd_t *d, const char *what)
{
    char needle[32], *log, *p;
    int port = -1;

    snprintf(needle, sizeof(needle), ", %s)", what);
    assert_true(vd_log_wait(d, needle, 5000));
    log = vd_log(d);
    for (p = strstr(log, needle); p > log && p[-1] != ' '; p--)
        continue;
    port = atoi(p);
    free(log);
    assert_true(port > 0);
    return port;
}

/* Runs the client: its exit status, and its output (new string). */
static int node(char **out, const char *cmd, int port, const char *a1,
                const char *a2, const char *a3)
{
    char p[16];
    char *argv[10] = {"/usr/bin/node", client, (char *)cmd, p, NULL};
    int n = 4, rc;
    char *err = NULL;

    snprintf(p, sizeof(p), "%d", port);
    if (a1)
        argv[n++] = (char *)a1;
    if (a2)
        argv[n++] = (char *)a2;
    if (a3)
        argv[n++] = (char *)a3;
    argv[n] = NULL;
    rc = run_cmd(argv, out, &err);
    if (rc == 127 || (err != NULL && strstr(err, "Cannot find") != NULL))
        fail_msg("node client failed: %s", err ? err : "");
    free(err);
    return rc;
}

static void assert_node(const char *want, const char *cmd, int port,
                        const char *a1, const char *a2, const char *a3)
{
    char *out = NULL;

    assert_int_equal(node(&out, cmd, port, a1, a2, a3), 0);
    assert_string_equal(out, want);
    free(out);
}

static void put(vd_t *d, const char *name, const char *status)
{
    const char *h[] = {"Content-Type: application/json", NULL};
    char path[64], body[64];
    vresp_t r;

    snprintf(path, sizeof(path), "/health/%s", name);
    snprintf(body, sizeof(body), "{\"status\": \"%s\"}", status);
    r = vd_request(d, "PUT", path, body, h);
    assert_int_equal(r.status, 204);
    vresp_free(&r);
}

static int http_status(vd_t *d, const char *path)
{
    vresp_t r = vd_get(d, path);
    int s = (int)r.status;

    vresp_free(&r);
    return s;
}

static void wait_http(vd_t *d, const char *path, int want)
{
    for (int i = 0; i < 100 && http_status(d, path) != want; i++)
        usleep(50000);
    assert_int_equal(http_status(d, path), want);
}

#define CONFIG                                                               \
    "listen:\n"                                                              \
    "  - \"127.0.0.1:0\"\n"                                                  \
    "  - {address: \"127.0.0.1:0\", kind: grpc, details: always}\n"          \
    "checks:\n"                                                              \
    "  job: {type: push, ttl: 1h, interval: 500ms}\n"                        \
    "  disk: {type: disk, path: /, interval: 200ms, tags: [storage]}\n"

static void test_check_and_list(void **state)
{
    vd_t *d = vd_start(CONFIG);
    int port = port_of(d, "grpc");

    (void)state;
    wait_http(d, "/livez", 200);
    /* job has no report yet: the whole service does not serve. */
    assert_node("{\"code\":0,\"status\":\"NOT_SERVING\"}\n", "check", port,
                "", NULL, NULL);
    assert_node("{\"code\":0,\"status\":\"SERVING\"}\n", "check", port,
                "disk", NULL, NULL);
    assert_node("{\"code\":0,\"status\":\"SERVING\"}\n", "check", port,
                "storage", NULL, NULL);
    assert_node("{\"code\":0,\"status\":\"SERVING\"}\n", "check", port,
                "liveness", NULL, NULL);
    assert_node("{\"code\":5,\"details\":\"unknown service\"}\n", "check",
                port, "nope", NULL, NULL);
    /* Degraded still serves. */
    put(d, "job", "warn");
    wait_http(d, "/readyz", 200);
    assert_node("{\"code\":0,\"status\":\"SERVING\"}\n", "check", port, "",
                NULL, NULL);
    assert_node("{\"code\":0,\"statuses\":{\"\":\"SERVING\",\"liveness\":"
                "\"SERVING\",\"readiness\":\"SERVING\",\"startup\":"
                "\"SERVING\",\"job\":\"SERVING\",\"disk\":\"SERVING\"}}\n",
                "list", port, NULL, NULL, NULL);
    put(d, "job", "fail");
    wait_http(d, "/readyz", 500);
    assert_node("{\"code\":0,\"status\":\"NOT_SERVING\"}\n", "check", port,
                "readiness", NULL, NULL);
    assert_node("{\"code\":0,\"status\":\"NOT_SERVING\"}\n", "check", port,
                "job", NULL, NULL);
    assert_int_equal(vd_stop(d), 0);
}

/* A kubelet's gRPC probe: Check with a 1 s deadline, success only on
 * SERVING. Draining fails readiness at once and never liveness. */
static void test_kubernetes_probe(void **state)
{
    vd_t *d = vd_start("shutdown_delay: 10s\n" CONFIG);
    int port = port_of(d, "grpc");
    char *out = NULL;

    (void)state;
    put(d, "job", "pass");
    wait_http(d, "/readyz", 200);
    assert_int_equal(node(&out, "probe", port, "", NULL, NULL), 0);
    assert_string_equal(out, "SERVING\n");
    free(out);
    kill(d->pid, SIGTERM);
    assert_true(vd_log_wait(d, "draining", 2000));
    assert_int_equal(node(&out, "probe", port, "", NULL, NULL), 1);
    assert_string_equal(out, "NOT_SERVING\n");
    free(out);
    assert_int_equal(node(&out, "probe", port, "liveness", NULL, NULL), 0);
    free(out);
    assert_int_equal(vd_stop(d), 0);
}

/* Watch: the current status at once, each change as it is published
 * (within one interval of the report), SERVICE_UNKNOWN for an unknown
 * name, and a clean end (grpc-status UNAVAILABLE) when vitalsd stops. */
static void test_watch(void **state)
{
    vd_t *d = vd_start(CONFIG);
    int port = port_of(d, "grpc");
    char cmd[512], line[128], *out = NULL;
    int64_t t0;
    FILE *w;

    (void)state;
    put(d, "job", "pass");
    wait_http(d, "/readyz", 200);
    snprintf(cmd, sizeof(cmd), "node %s watch %d job 10 20000", client, port);
    assert_non_null(w = popen(cmd, "r"));
    assert_non_null(fgets(line, sizeof(line), w));
    assert_string_equal(line, "SERVING\n");
    t0 = now_ms();
    put(d, "job", "fail");
    assert_non_null(fgets(line, sizeof(line), w));
    assert_string_equal(line, "NOT_SERVING\n");
    /* The check's interval is 500 ms: the report shows at its next run. */
    assert_true(now_ms() - t0 < 500 + 300);
    put(d, "job", "warn");
    assert_non_null(fgets(line, sizeof(line), w));
    assert_string_equal(line, "SERVING\n");

    assert_int_equal(node(&out, "watch", port, "gone", "1", "3000"), 0);
    assert_string_equal(out, "SERVICE_UNKNOWN\n");
    free(out);

    /* Draining fails job's view too, then the stream ends cleanly. */
    assert_int_equal(vd_stop(d), 0);
    assert_non_null(fgets(line, sizeof(line), w));
    assert_string_equal(line, "NOT_SERVING\n");
    assert_non_null(fgets(line, sizeof(line), w));
    assert_string_equal(line, "end 14 the server is stopping\n");
    assert_int_equal(pclose(w), 0);
}

static void test_tls_alpn_h2(void **state)
{
    vd_t *d = vd_start("listen:\n"
                       "  - \"127.0.0.1:0\"\n"
                       "  - {address: \"127.0.0.1:0\", kind: grpc, tls: "
                       "{cert_file: %s, key_file: %s}}\n"
                       "checks:\n  disk: {type: disk, path: /}\n",
                       cert, key);
    int port = port_of(d, "grpc, tls");
    char *out = NULL;

    (void)state;
    wait_http(d, "/readyz", 200);
    assert_node("{\"code\":0,\"status\":\"SERVING\"}\n", "check", port, "",
                "--tls", cert);
    /* Without details, List names only the views. */
    assert_node("{\"code\":0,\"statuses\":{\"\":\"SERVING\",\"liveness\":"
                "\"SERVING\",\"readiness\":\"SERVING\",\"startup\":"
                "\"SERVING\"}}\n",
                "list", port, "--tls", cert, NULL);
    /* A cleartext client gets nowhere (and the listener keeps serving). */
    assert_int_equal(node(&out, "check", port, "", "1000", NULL), 0);
    assert_non_null(strstr(out, "\"code\":14"));
    free(out);
    assert_node("{\"code\":0,\"status\":\"SERVING\"}\n", "check", port,
                "disk", "--tls", cert);
    assert_int_equal(vd_stop(d), 0);
}

/* Reads from fd until EOF (at most 3 s): the ms it took, and whether a
 * GOAWAY frame came. */
static int64_t read_to_eof(int fd, int *goaway)
{
    uint8_t buf[4096];
    size_t len = 0;
    int64_t t0 = now_ms();
    struct timeval tv = {3, 0};
    ssize_t n;

    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    while (len < sizeof(buf) && (n = read(fd, buf + len, sizeof(buf) - len)) > 0)
        len += (size_t)n;
    *goaway = 0;
    for (size_t i = 0; i + 9 <= len; i += 9 + ((size_t)buf[i] << 16 |
                                               (size_t)buf[i + 1] << 8 |
                                               buf[i + 2]))
        *goaway |= buf[i + 3] == 7;
    return now_ms() - t0;
}

static int connect_to(int port)
{
    struct sockaddr_in sa = {.sin_family = AF_INET,
                             .sin_port = htons((uint16_t)port),
                             .sin_addr.s_addr = htonl(0x7f000001)};
    int fd = socket(AF_INET, SOCK_STREAM, 0);

    assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    return fd;
}

/* A client that never sends the preface is closed after
 * handshake_timeout; one that sends it and then no call, after
 * idle_timeout; both with a GOAWAY. */
static void test_timeouts(void **state)
{
    static const char preface[] = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
                                  "\0\0\0\4\0\0\0\0\0";
    vd_t *d = vd_start("listen:\n"
                       "  - \"127.0.0.1:0\"\n"
                       "  - {address: \"127.0.0.1:0\", kind: grpc, "
                       "handshake_timeout: 300ms, idle_timeout: 800ms}\n"
                       "checks:\n  disk: {type: disk, path: /}\n");
    int port = port_of(d, "grpc"), fd, goaway;
    int64_t ms;

    (void)state;
    fd = connect_to(port);
    ms = read_to_eof(fd, &goaway);
    close(fd);
    assert_true(goaway);
    assert_true(ms >= 250 && ms < 1500);
    fd = connect_to(port);
    assert_int_equal(write(fd, preface, sizeof(preface) - 1),
                     (ssize_t)sizeof(preface) - 1);
    ms = read_to_eof(fd, &goaway);
    close(fd);
    assert_true(goaway);
    assert_true(ms >= 700 && ms < 2000);
    assert_int_equal(vd_stop(d), 0);
}

/* What the configuration refuses, with the place. */
static void test_config_errors(void **state)
{
    char path[200], *out = NULL, *err = NULL;
    char *argv[] = {(char *)vitalsd_path(), "--check-config", path, NULL};

    (void)state;
    snprintf(path, sizeof(path), "%s/bad.yaml", dir);
    write_file(path, "listen:\n"
                     "  - {address: \"127.0.0.1:0\", kind: grcp}\n"
                     "  - {address: \"127.0.0.1:0\", kind: agent, tls: "
                     "{cert_file: a, key_file: b}}\n"
                     "  - {address: \"127.0.0.1:0\", kind: grpc, "
                     "degraded_weight: 5, details: some}\n");
    assert_int_equal(run_cmd(argv, &out, &err), 2);
    assert_non_null(strstr(err, "bad.yaml:2:36: 'kind': expected http, "
                                "agent, grpc, got \"grcp\""));
    assert_non_null(strstr(err, "bad.yaml:3:48: 'tls': agent listeners "
                                "take no tls"));
    assert_non_null(strstr(err, "'details': expected always or never, "
                                "got \"some\""));
    assert_non_null(strstr(err, "bad.yaml:4:42: unknown key "
                                "'degraded_weight' in a listener"));
    free(out);
    free(err);
}

/* The examples of docs/endpoints.md are valid configurations: the
 * vitalsd beside HAProxy, and the Kubernetes sidecar's (in its
 * ConfigMap). */
static void test_examples_are_valid(void **state)
{
    const char *src = getenv("VITALS_SRC") ? getenv("VITALS_SRC") : ".";
    char a[256], b[256], *out = NULL, *err = NULL;
    char *check_a[] = {(char *)vitalsd_path(), "--check-config", a, NULL};
    char *check_b[] = {(char *)vitalsd_path(), "--check-config", b, NULL};

    (void)state;
    snprintf(a, sizeof(a), "%s/examples/haproxy/vitals.yaml", src);
    snprintf(b, sizeof(b), "%s/k8s-vitals.yaml", dir);
    sh("sed -n '/vitals.yaml: |/,/^---/{/vitals.yaml: |/d;/^---/d;s/^    "
       "//;p}' %s/examples/kubernetes/grpc-probes.yaml > %s",
       src, b);
    if (run_cmd(check_a, &out, &err) != 0)
        fail_msg("%s: %s", a, err);
    free(out);
    free(err);
    if (run_cmd(check_b, &out, &err) != 0)
        fail_msg("%s: %s", b, err);
    free(out);
    free(err);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_check_and_list),
        cmocka_unit_test(test_kubernetes_probe),
        cmocka_unit_test(test_watch),
        cmocka_unit_test(test_tls_alpn_h2),
        cmocka_unit_test(test_timeouts),
        cmocka_unit_test(test_config_errors),
        cmocka_unit_test(test_examples_are_valid),
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}
