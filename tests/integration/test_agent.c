/* test_agent.c - HAProxy's agent-check against vitals, with a real HAProxy
 * (Debian's haproxy, started here on loopback): its `show servers state`
 * follows the instance from weight 100 to 50 (degraded), DOWN (unhealthy),
 * MAINT (maintenance) and back, and DRAIN (draining), which a restarted
 * instance ends, each within agent-inter plus a second. The instance is
 * libvitals itself, so that the test sets each state exactly (a check's
 * status, vitals_maintenance, vitals_drain). */
#include <arpa/inet.h>
#include <fcntl.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"
#include "vitals.h"

static char dir[] = "/tmp/vitals-agent-XXXXXX";
static atomic_int db_status; /* what the check "db" reports */
static pid_t haproxy = -1;
static int backend; /* the server HAProxy balances to: a socket we hold */

static void db_check(vitals_result_t *r, void *data)
{
    (void)data;
    vitals_result_set_status(r, (vitals_status_t)atomic_load(&db_status));
    if (atomic_load(&db_status) == VITALS_UNHEALTHY)
        vitals_result_set_error(r, "cannot connect to 127.0.0.1:5432:\n"
                                   "Connection refused");
}

static void log_cb(vitals_log_level_t level, const char *msg, void *data)
{
    (void)data;
    if (level >= VITALS_LOG_WARN && strstr(msg, "check db") == NULL)
        fprintf(stderr, "vitals: %s\n", msg);
}

/* A started instance with the check "db" and an agent listener on port
 * (0: any); its port in *bound. */
static vitals_t *instance(int port, int *bound)
{
    vitals_t *v = vitals_new();
    vitals_check_opts_t o;
    char listener[160], *err = NULL;

    assert_non_null(v);
    vitals_set_log(v, log_cb, NULL);
    vitals_check_opts_init(&o);
    o.interval_ms = 100;
    assert_int_equal(vitals_add_check(v, "db", &o, db_check, NULL, NULL), 0);
    snprintf(listener, sizeof(listener),
             "{\"address\": \"127.0.0.1:%d\", \"kind\": \"agent\", "
             "\"details\": \"always\", \"degraded_weight\": 50}",
             port);
    if (vitals_add_listener(v, listener, &err) != 0)
        fail_msg("vitals_add_listener: %s", err ? err : "?");
    assert_int_equal(vitals_start(v), 0);
    *bound = vitals_listen_port(v, 0);
    assert_true(*bound > 0);
    return v;
}

/* One line from the agent, as HAProxy would read it after sending what. */
static char *agent_ask(int port, const char *what)
{
    struct sockaddr_in sa = {.sin_family = AF_INET,
                             .sin_port = htons((uint16_t)port),
                             .sin_addr.s_addr = htonl(0x7f000001)};
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    char buf[512];
    size_t len = 0;
    ssize_t n;

    assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    if (what != NULL)
        assert_int_equal(write(fd, what, strlen(what)), (ssize_t)strlen(what));
    while (len < sizeof(buf) - 1 &&
           (n = read(fd, buf + len, sizeof(buf) - 1 - len)) > 0)
        len += (size_t)n;
    close(fd);
    buf[len] = '\0';
    return strdup(buf);
}

static void assert_line(int port, const char *what, const char *want)
{
    char *got = agent_ask(port, what);

    assert_string_equal(got, want);
    free(got);
}

/* Asks until the answer is want (the check runs every 100 ms; a loaded
 * machine may take longer), then asserts it. */
static void wait_line(int port, const char *what, const char *want)
{
    for (int i = 0; i < 100; i++) {
        char *got = agent_ask(port, what);
        int same = strcmp(got, want) == 0;

        free(got);
        if (same)
            return;
        usleep(20000);
    }
    assert_line(port, what, want);
}

/* ------------------------------------------------------------------------
 * HAProxy
 */

static void start_haproxy(int agent_port)
{
    char cfg[128], log[128], text[1024];
    int port, fd;

    backend = listen_any(&port);
    fcntl(backend, F_SETFL, O_NONBLOCK);
    snprintf(cfg, sizeof(cfg), "%s/haproxy.cfg", dir);
    snprintf(log, sizeof(log), "%s/haproxy.log", dir);
    snprintf(text, sizeof(text),
             "global\n"
             "  stats socket %s/haproxy.sock level admin\n"
             "defaults\n"
             "  mode tcp\n"
             "  timeout connect 1s\n"
             "  timeout client 5s\n"
             "  timeout server 5s\n"
             "  timeout check 1s\n"
             "backend be\n"
             "  server s1 127.0.0.1:%d check inter 500ms agent-check "
             "agent-port %d agent-inter 500ms agent-send \"ready\\n\" "
             "weight 100\n",
             dir, port, agent_port);
    write_file(cfg, text);
    haproxy = fork();
    assert_true(haproxy >= 0);
    if (haproxy == 0) {
        fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        dup2(fd, 1);
        dup2(fd, 2);
        execlp("haproxy", "haproxy", "-f", cfg, "-db", (char *)NULL);
        _exit(127);
    }
}

static void stop_haproxy(void)
{
    if (haproxy <= 0)
        return;
    kill(haproxy, SIGTERM);
    for (int i = 0; i < 100 && waitpid(haproxy, NULL, WNOHANG) == 0; i++)
        usleep(20000);
    kill(haproxy, SIGKILL);
    waitpid(haproxy, NULL, 0);
    haproxy = -1;
}

/* Sends cmd to HAProxy's stats socket: its answer (new string), or NULL
 * while the socket is not up. */
static char *haproxy_cmd(const char *cmd)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    char *out = NULL;
    size_t len = 0;
    FILE *f;
    char buf[1024];
    ssize_t n;

    snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/haproxy.sock", dir);
    if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
        close(fd);
        return NULL;
    }
    assert_true(write(fd, cmd, strlen(cmd)) > 0);
    f = open_memstream(&out, &len);
    while ((n = read(fd, buf, sizeof(buf))) > 0)
        fwrite(buf, 1, (size_t)n, f);
    fclose(f);
    close(fd);
    return out;
}

/* s1's state: operational (0 stopped, 2 running), administrative (bits: 0x01
 * maintenance, 0x08 drain, as the agent sets them) and weight. */
typedef struct state {
    int op, admin, weight;
} state_t;

static int server_state(state_t *st)
{
    char *out = haproxy_cmd("show servers state be\n"), *line;
    int found = 0, c;

    /* HAProxy's health check connects to the backend: take and close. */
    while ((c = accept(backend, NULL, NULL)) >= 0)
        close(c);
    if (out == NULL)
        return 0;
    for (line = strtok(out, "\n"); line != NULL; line = strtok(NULL, "\n"))
        if (line[0] != '#' &&
            sscanf(line, "%*d be %*d s1 %*s %d %d %d", &st->op, &st->admin,
                   &st->weight) == 3)
            found = 1;
    free(out);
    return found;
}

/* Waits until s1 is in want (bounded by agent-inter, 500 ms, the check's
 * interval, 100 ms, plus a second); returns the ms it took. */
static int64_t wait_state(int op, int admin, int weight)
{
    int64_t t0 = now_ms();
    state_t st = {-1, -1, -1};

    while (now_ms() - t0 < 1600) {
        if (server_state(&st) && st.op == op && st.admin == admin &&
            st.weight == weight)
            return now_ms() - t0;
        usleep(20000);
    }
    fail_msg("HAProxy shows s1 as op %d admin %d weight %d, expected op %d "
             "admin %d weight %d",
             st.op, st.admin, st.weight, op, admin, weight);
    return -1;
}

static int setup(void **state)
{
    (void)state;
    assert_non_null(mkdtemp(dir));
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    stop_haproxy();
    sh("rm -rf %s", dir);
    return 0;
}

/* The lines themselves, as HAProxy reads them. */
static void test_agent_lines(void **state)
{
    int port;
    vitals_t *v;

    (void)state;
    atomic_store(&db_status, VITALS_HEALTHY);
    v = instance(0, &port);
    wait_line(port, "ready\n", "up ready 100%\n");
    assert_line(port, "live\r\n", "up ready 100%\n");
    assert_line(port, NULL, "up ready 100%\n"); /* nothing: readiness */
    assert_line(port, "db\n", "up ready 100%\n");
    assert_line(port, "nope\n", "down #unknown check\n");
    atomic_store(&db_status, VITALS_DEGRADED);
    wait_line(port, "\n", "up ready 50%\n");
    atomic_store(&db_status, VITALS_UNHEALTHY);
    /* The reason on one line: the newline of the error became a space. */
    wait_line(port, "readiness\n", "down ready #db: cannot connect to "
                                     "127.0.0.1:5432: Connection refused\n");
    assert_line(port, "live\n", "up ready 100%\n");
    assert_int_equal(vitals_maintenance(v, "moving racks", 0), 0);
    assert_line(port, "ready\n", "maint\n");
    assert_int_equal(vitals_maintenance(v, NULL, 0), 0);
    vitals_drain(v);
    assert_line(port, "ready\n", "drain\n");
    assert_line(port, "live\n", "up ready 100%\n");
    vitals_free(v);
}

static void test_haproxy_follows(void **state)
{
    int port, again;
    int64_t ms;
    vitals_t *v;

    (void)state;
    atomic_store(&db_status, VITALS_HEALTHY);
    v = instance(0, &port);
    start_haproxy(port);
    for (int i = 0; i < 250 && !server_state(&(state_t){0}); i++)
        usleep(20000);
    wait_state(2, 0, 100);
    /* Degraded: still up, half the weight. */
    atomic_store(&db_status, VITALS_DEGRADED);
    ms = wait_state(2, 0, 50);
    fprintf(stderr, "degraded: weight 50 after %lld ms\n", (long long)ms);
    atomic_store(&db_status, VITALS_UNHEALTHY);
    ms = wait_state(0, 0, 50);
    fprintf(stderr, "unhealthy: DOWN after %lld ms\n", (long long)ms);
    atomic_store(&db_status, VITALS_HEALTHY);
    wait_state(2, 0, 100);
    /* Maintenance: MAINT, and back to UP when it ends. */
    assert_int_equal(vitals_maintenance(v, "moving racks", 0), 0);
    ms = wait_state(0, 0x01, 100); /* in MAINT, HAProxy shows it stopped */
    fprintf(stderr, "maintenance: MAINT after %lld ms\n", (long long)ms);
    assert_int_equal(vitals_maintenance(v, NULL, 0), 0);
    ms = wait_state(2, 0, 100);
    fprintf(stderr, "maintenance off: READY after %lld ms\n", (long long)ms);
    /* Draining: DRAIN; the instance that replaces it ends it. */
    vitals_drain(v);
    ms = wait_state(2, 0x08, 100);
    fprintf(stderr, "draining: DRAIN after %lld ms\n", (long long)ms);
    vitals_free(v);
    v = instance(port, &again);
    assert_int_equal(again, port);
    ms = wait_state(2, 0, 100);
    fprintf(stderr, "restarted: READY after %lld ms\n", (long long)ms);
    vitals_free(v);
    stop_haproxy();
    close(backend);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_agent_lines),
        cmocka_unit_test(test_haproxy_follows),
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}
