/* test_systemd.c - vitalsd under systemd, without systemd: the test is the
 * notification socket (NOTIFY_SOCKET, a datagram socket it reads) and sees
 * READY, STATUS on transitions, WATCHDOG pings, RELOADING/READY around
 * SIGHUP and STOPPING on SIGTERM; systemd-socket-activate hands vitalsd
 * its listening sockets; systemd-analyze verifies the shipped units. */
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"

typedef struct notify {
    int fd;
    char path[108];
    char dir[64];
} notify_t;

static void notify_open(notify_t *n)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};

    snprintf(n->dir, sizeof(n->dir), "/tmp/vitals-notify-XXXXXX");
    assert_non_null(mkdtemp(n->dir));
    snprintf(n->path, sizeof(n->path), "%s/notify.sock", n->dir);
    strcpy(sa.sun_path, n->path);
    n->fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    assert_int_equal(bind(n->fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    setenv("NOTIFY_SOCKET", n->path, 1);
}

static void notify_close(notify_t *n)
{
    unsetenv("NOTIFY_SOCKET");
    unsetenv("WATCHDOG_USEC");
    close(n->fd);
    unlink(n->path);
    rmdir(n->dir);
}

/* The next message (new string) within timeout_ms, or NULL. */
static char *next_msg(notify_t *n, int timeout_ms)
{
    struct pollfd p = {.fd = n->fd, .events = POLLIN};
    char buf[4096];
    ssize_t got;

    if (poll(&p, 1, timeout_ms) != 1)
        return NULL;
    got = recv(n->fd, buf, sizeof(buf) - 1, 0);
    assert_true(got >= 0);
    buf[got] = '\0';
    return strdup(buf);
}

/* Reads messages until one starts with prefix (returned, new), skipping
 * watchdog pings and counting them in *pings; fails after timeout_ms. */
static char *wait_msg(notify_t *n, const char *prefix, int timeout_ms,
                      int *pings)
{
    for (int64_t until = now_ms() + timeout_ms; now_ms() < until;) {
        char *m = next_msg(n, (int)(until - now_ms()));

        if (m == NULL)
            break;
        if (strncmp(m, prefix, strlen(prefix)) == 0)
            return m;
        if (pings != NULL && strcmp(m, "WATCHDOG=1") == 0)
            (*pings)++;
        free(m);
    }
    fail_msg("no \"%s\" within %d ms", prefix, timeout_ms);
    return NULL;
}

/* READY once listening, STATUS with the summary and again on a
 * transition, pings every half WATCHDOG_USEC, RELOADING=1 with
 * MONOTONIC_USEC then READY=1 around SIGHUP, STOPPING=1 on SIGTERM. */
static void test_notify(void **state)
{
    int port, up = listen_any(&port), dead = closed_port(), pings = 0;
    notify_t n;
    vd_t *d;
    char *m;
    vresp_t r;

    (void)state;
    notify_open(&n);
    fcntl(up, F_SETFD, FD_CLOEXEC); /* vitalsd must not keep it open */
    setenv("WATCHDOG_USEC", "400000", 1);
    d = vd_start("listen: [\"127.0.0.1:0\"]\n"
                 "state_dir: /nonexistent\n"
                 "checks:\n"
                 "  api: {type: tcp, address: \"127.0.0.1:%d\", interval: "
                 "200ms}\n"
                 "  db: {type: tcp, address: \"127.0.0.1:%d\", interval: "
                 "200ms}\n",
                 port, dead);
    m = next_msg(&n, 5000);
    assert_non_null(m);
    assert_string_equal(m, "READY=1");
    free(m);
    r = vd_get(d, "/livez"); /* READY=1 came after the listeners were up */
    assert_int_equal(r.status, 200);
    vresp_free(&r);
    free(wait_msg(&n, "STATUS=1 healthy, 1 unhealthy", 5000, &pings));
    /* A transition: api's port closes. */
    close(up);
    free(wait_msg(&n, "STATUS=2 unhealthy", 5000, &pings));
    /* 1.2 s of pings every 200 ms. */
    pings = 0;
    for (int64_t until = now_ms() + 1200; now_ms() < until;) {
        m = next_msg(&n, 100);
        pings += m != NULL && strcmp(m, "WATCHDOG=1") == 0;
        free(m);
    }
    assert_in_range(pings, 4, 8);
    assert_true(vd_log_wait(d, "systemd watchdog: pinging every 200 ms", 0));

    vd_signal(d, SIGHUP);
    m = wait_msg(&n, "RELOADING=1\n", 3000, NULL);
    assert_true(strncmp(m, "RELOADING=1\nMONOTONIC_USEC=", 27) == 0);
    assert_true(atoll(m + 27) > 0);
    free(m);
    free(wait_msg(&n, "READY=1", 3000, NULL));
    assert_int_equal(vd_stop(d), 0);
    free(wait_msg(&n, "STOPPING=1", 1000, NULL));
    notify_close(&n);
}

/* Outside systemd nothing is sent and nothing is logged about it. */
static void test_no_systemd(void **state)
{
    vd_t *d;
    char *log;

    (void)state;
    unsetenv("NOTIFY_SOCKET");
    d = vd_start("listen: [\"127.0.0.1:0\"]\nstate_dir: /nonexistent\n");
    assert_true(vd_log_wait(d, "started", 5000));
    log = vd_log(d);
    assert_null(strstr(log, "sd_notify"));
    assert_null(strstr(log, "watchdog"));
    assert_null(strstr(log, "socket activation"));
    free(log);
    assert_int_equal(vd_stop(d), 0);
}

/* The port systemd-socket-activate binds: a {name} entry matched by
 * FileDescriptorName=, a plain entry matched by address, a socket that
 * matches no entry closed with a warning. vitalsd never binds them itself
 * (the ports are taken: binding would fail). */
static void test_socket_activation(void **state)
{
    int a = closed_port(), b = closed_port(), c = closed_port();
    char la[32], lb[32], lc[32], cmd[512];
    vd_t *d = calloc(1, sizeof(*d));
    vresp_t r;

    (void)state;
    assert_non_null(d);
    snprintf(d->dir, sizeof(d->dir), "/tmp/vitals-test-XXXXXX");
    assert_non_null(mkdtemp(d->dir));
    snprintf(d->config, sizeof(d->config), "%s/vitals.yaml", d->dir);
    snprintf(d->log, sizeof(d->log), "%s/stderr.log", d->dir);
    vd_write_config(d,
                    "listen:\n"
                    "  - {address: \"127.0.0.1:%d\", name: web}\n"
                    "  - \"127.0.0.1:%d\"\n"
                    "state_dir: /nonexistent\n",
                    a, c);
    snprintf(la, sizeof(la), "127.0.0.1:%d", a);
    snprintf(lb, sizeof(lb), "127.0.0.1:%d", b);
    snprintf(lc, sizeof(lc), "127.0.0.1:%d", c);
    d->pid = fork();
    assert_true(d->pid >= 0);
    if (d->pid == 0) {
        int fd = open(d->log, O_WRONLY | O_CREAT | O_TRUNC, 0644);

        dup2(fd, 2);
        execlp("systemd-socket-activate", "systemd-socket-activate", "-l", la,
               "-l", lb, "-l", lc, "--fdname=web:spare:other", vitalsd_path(),
               "--config", d->config, (char *)NULL);
        _exit(127);
    }
    /* systemd-socket-activate starts vitalsd on the first connection. */
    assert_true(vd_log_wait(d, "Listening on 127.0.0.1", 5000));
    d->port = a;
    r = vd_get(d, "/livez");
    assert_int_equal(r.status, 200);
    vresp_free(&r);
    d->port = c;
    r = vd_get(d, "/livez");
    assert_int_equal(r.status, 200);
    vresp_free(&r);
    snprintf(cmd, sizeof(cmd), "listening on 127.0.0.1:%d (port %d, socket "
                               "handed over)",
             a, a);
    assert_true(vd_log_wait(d, cmd, 0));
    snprintf(cmd, sizeof(cmd), "listening on 127.0.0.1:%d (port %d, socket "
                               "handed over)",
             c, c);
    assert_true(vd_log_wait(d, cmd, 0));
    assert_true(vd_log_wait(d, "socket activation: socket 4 "
                               "(FileDescriptorName=spare) matches no "
                               "'listen' entry by name or address: closed, "
                               "not served",
                            0));
    assert_false(vd_log_wait(d, "cannot listen", 0));
    assert_int_equal(vd_stop(d), 0);
}

/* The shipped units pass systemd-analyze verify without a word (the man
 * page is not installed here: --man=no). */
static void test_units_verify(void **state)
{
    const char *src = getenv("VITALS_SRC");
    char *out = NULL, *err = NULL, dir[] = "/tmp/vitals-units-XXXXXX",
         svc[256], sock[256];

    (void)state;
    assert_non_null(src);
    assert_non_null(mkdtemp(dir));
    /* ExecStart must exist: point it at the built vitalsd. */
    snprintf(svc, sizeof(svc), "%s/vitalsd.service", dir);
    snprintf(sock, sizeof(sock), "%s/vitalsd.socket", dir);
    sh("sed 's#/usr/bin/vitalsd#%s#' '%s/contrib/systemd/vitalsd.service' "
       "> '%s' && cp '%s/contrib/systemd/vitalsd.socket' '%s'",
       vitalsd_path(), src, svc, src, sock);
    char *argv[] = {"/usr/bin/systemd-analyze", "verify", "--man=no", svc,
                    sock, NULL};
    assert_int_equal(run_cmd(argv, &out, &err), 0);
    assert_string_equal(err, "");
    free(out);
    free(err);
    sh("rm -rf '%s'", dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_notify),
        cmocka_unit_test(test_no_systemd),
        cmocka_unit_test(test_socket_activation),
        cmocka_unit_test(test_units_verify),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
