/* test_control.c - vitalsd's control socket through `vitals maint` and
 * `vitals drain`, against a real vitalsd: maintenance on, off and timed
 * fails and restores readiness with the reason; drain fails readiness
 * without stopping and SIGTERM still stops; bad requests, the mode and
 * owner of the socket, other users refused, a live socket never taken
 * over. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"

static char dir[64]; /* the state directory of the test's vitalsd */
static char sock[128];

/* `vitals ARGS... --state-dir DIR`: its exit status, stdout in *out. */
static int vitals(char **out, char **err, const char *a1, const char *a2,
                  const char *a3, const char *a4, const char *a5,
                  const char *a6)
{
    char *argv[] = {(char *)vitals_path(), (char *)a1, (char *)a2,
                    (char *)a3, (char *)a4, (char *)a5, (char *)a6,
                    NULL, NULL, NULL};
    int n = 1;

    while (argv[n] != NULL)
        n++;
    argv[n] = "--state-dir";
    argv[n + 1] = dir;
    return run_cmd(argv, out, err);
}

/* Sends raw bytes to the control socket and returns its answer (new). */
static char *raw(const char *bytes, size_t len)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    char buf[2048];
    size_t n = 0;
    ssize_t got;
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);

    strcpy(sa.sun_path, sock);
    assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    if (len > 0)
        assert_int_equal(send(fd, bytes, len, MSG_NOSIGNAL), (ssize_t)len);
    while (n < sizeof(buf) - 1 &&
           (got = recv(fd, buf + n, sizeof(buf) - 1 - n, 0)) > 0)
        n += (size_t)got;
    close(fd);
    buf[n] = '\0';
    return strdup(buf);
}

static long status_of(vd_t *d, const char *path, char **body)
{
    vresp_t r = vd_get(d, path);
    long status = r.status;

    if (body != NULL)
        *body = strdup(r.body ? r.body : "");
    vresp_free(&r);
    return status;
}

/* `vitals maint status` prints want, and liveness passes meanwhile. */
static void assert_status(vd_t *d, const char *want)
{
    char *out = NULL;

    assert_int_equal(status_of(d, "/livez", NULL), 200);
    assert_int_equal(vitals(&out, NULL, "maint", "status", NULL, NULL, NULL,
                            NULL),
                     0);
    assert_string_equal(out, want);
    free(out);
}

static vd_t *start(int *live_fd)
{
    int port;

    *live_fd = listen_any(&port);
    snprintf(dir, sizeof(dir), "/tmp/vitals-state-XXXXXX");
    assert_non_null(mkdtemp(dir));
    snprintf(sock, sizeof(sock), "%s/control.sock", dir);
    return vd_start("listen: [\"127.0.0.1:0\"]\n"
                    "state_dir: %s\n"
                    "shutdown_delay: 2s\n"
                    "checks:\n"
                    "  db: {type: tcp, address: \"127.0.0.1:%d\", "
                    "interval: 200ms}\n",
                    dir, port);
}

static void finish(vd_t *d, int live_fd)
{
    assert_int_equal(vd_stop(d), 0);
    close(live_fd);
    /* vitalsd removes its socket when it stops. */
    assert_int_equal(access(sock, F_OK), -1);
    /* The history store lives in the state directory too. */
    sh("rm -rf '%s'", dir);
}

static void wait_ready(vd_t *d, long want)
{
    for (int i = 0; i < 100 && status_of(d, "/readyz", NULL) != want; i++)
        usleep(50000);
    assert_int_equal(status_of(d, "/readyz", NULL), want);
}

/* maint on (until off), status, off; then a timed one that ends by
 * itself. */
static void test_maintenance(void **state)
{
    struct stat st;
    char *out = NULL, *err = NULL, *body = NULL;
    int live;
    vd_t *d = start(&live);

    (void)state;
    assert_true(vd_log_wait(d, "control socket on ", 5000));
    assert_int_equal(stat(sock, &st), 0);
    assert_true(S_ISSOCK(st.st_mode));
    assert_int_equal(st.st_mode & 0777, 0600);
    assert_int_equal(st.st_uid, geteuid());
    wait_ready(d, 200);

    assert_int_equal(vitals(&out, &err, "maint", "on", "--for", "30m",
                            "--reason", "db upgrade"),
                     0);
    assert_string_equal(out, "maintenance on for 1800000 ms: db upgrade\n");
    assert_string_equal(err, "");
    free(out);
    free(err);
    assert_int_equal(status_of(d, "/readyz?verbose", &body), 500);
    assert_non_null(strstr(body, "[-]maintenance failed: db upgrade\n"));
    free(body);
    assert_int_equal(status_of(d, "/livez", NULL), 200);
    assert_status(d, "1 healthy; maintenance: db upgrade\n");

    assert_int_equal(vitals(&out, NULL, "maint", "off", NULL, NULL, NULL,
                            NULL),
                     0);
    assert_string_equal(out, "maintenance off\n");
    free(out);
    assert_int_equal(status_of(d, "/readyz", NULL), 200);

    /* Timed: over by itself, logged. */
    int64_t t0 = now_ms();
    assert_int_equal(vitals(&out, NULL, "maint", "on", "--for", "1s", NULL,
                            NULL),
                     0);
    assert_string_equal(out, "maintenance on for 1000 ms: maintenance\n");
    free(out);
    assert_int_equal(status_of(d, "/readyz", NULL), 500);
    wait_ready(d, 200);
    assert_in_range(now_ms() - t0, 1000, 4000);
    assert_true(vd_log_wait(d, "maintenance over: maintenance", 1000));
    finish(d, live);
}

/* drain: readiness fails for good, vitalsd keeps serving until SIGTERM,
 * which then waits only what is left of the shutdown delay. */
static void test_drain(void **state)
{
    char *out = NULL, *body = NULL;
    int live;
    vd_t *d = start(&live);

    (void)state;
    wait_ready(d, 200);
    assert_int_equal(vitals(&out, NULL, "drain", NULL, NULL, NULL, NULL,
                            NULL),
                     0);
    assert_non_null(strstr(out, "draining: readiness fails from now on"));
    free(out);
    assert_int_equal(status_of(d, "/readyz?verbose", &body), 500);
    assert_non_null(strstr(body, "[-]shutdown failed: shutting down\n"));
    free(body);
    assert_int_equal(status_of(d, "/livez", NULL), 200);
    /* Still serving well past the 2 s delay: drain does not stop. */
    usleep(2500000);
    assert_int_equal(waitpid(d->pid, NULL, WNOHANG), 0);
    assert_status(d, "1 healthy; draining\n");
    /* The delay is used up: SIGTERM stops at once, exit 0. */
    kill(d->pid, SIGTERM);
    assert_true(vd_log_wait(d, "Terminated: stopping", 2000));
    finish(d, live);
}

/* Bad requests get an error line; the CLI says what is wrong, exit 2 for
 * usage and 1 when vitalsd refuses or is not there. */
static void test_bad_requests(void **state)
{
    char *a, *err = NULL, big[1100];
    int live;
    vd_t *d = start(&live);

    (void)state;
    assert_true(vd_log_wait(d, "control socket on ", 5000));
    a = raw("hello\n", 6);
    assert_string_equal(a, "error unknown request \"hello\": expected "
                           "\"maint on MS [REASON]\", \"maint off\", "
                           "\"drain\" or \"status\"\n");
    free(a);
    a = raw("he\033[31mllo\r\n", 13);
    assert_string_equal(a, "error unknown request \"he?[31mllo\": expected "
                           "\"maint on MS [REASON]\", \"maint off\", "
                           "\"drain\" or \"status\"\n");
    free(a);
    a = raw("maint on soon x\n", 16);
    assert_string_equal(a, "error maint on: expected a duration in ms (0 to "
                           "31622400000) before the reason\n");
    free(a);
    memset(big, 'a', sizeof(big));
    a = raw(big, sizeof(big));
    assert_string_equal(a, "error request longer than 1024 bytes\n");
    free(a);
    /* Silence: answered at the 2 s read timeout. */
    int64_t t0 = now_ms();
    a = raw(NULL, 0);
    assert_string_equal(a, "error no request line within 2000 ms\n");
    assert_in_range(now_ms() - t0, 1900, 3500);
    free(a);
    assert_int_equal(status_of(d, "/readyz", NULL), 200);

    assert_int_equal(vitals(NULL, &err, "maint", "bogus", NULL, NULL, NULL,
                            NULL),
                     2);
    assert_string_equal(err, "vitals maint: unknown 'bogus' (on, off, "
                             "status)\nTry 'vitals maint --help'.\n");
    free(err);
    assert_int_equal(vitals(NULL, &err, "maint", "on", "--for", "2x", NULL,
                            NULL),
                     2);
    assert_non_null(strstr(err, "invalid duration '2x'"));
    free(err);
    char *argv[] = {(char *)vitals_path(), "drain", "--socket",
                    "/nonexistent/control.sock", NULL};
    assert_int_equal(run_cmd(argv, NULL, &err), 1);
    assert_string_equal(err, "vitals: cannot reach vitalsd at "
                             "/nonexistent/control.sock: No such file or "
                             "directory\n");
    free(err);
    /* A second vitalsd on the same state directory leaves the live socket
     * alone. */
    vd_t *other = vd_start("listen: [\"127.0.0.1:0\"]\nstate_dir: %s\n", dir);
    assert_true(vd_log_wait(other, "another vitalsd answers on it", 5000));
    assert_int_equal(vd_stop(other), 0);
    finish(d, live);
}

/* Connects as uid; the answer (new), or the connect error as "connect:
 * <strerror>". Run in a child, so the test keeps root. */
static char *as_user(uid_t uid)
{
    int p[2];
    char buf[512] = "";
    ssize_t n;
    pid_t pid;

    assert_int_equal(pipe(p), 0);
    if ((pid = fork()) == 0) {
        struct sockaddr_un sa = {.sun_family = AF_UNIX};
        int fd = socket(AF_UNIX, SOCK_STREAM, 0);

        close(p[0]);
        if (setgid(uid) != 0 || setuid(uid) != 0)
            _exit(1);
        strcpy(sa.sun_path, sock);
        if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
            dprintf(p[1], "connect: %s", strerror(errno));
            _exit(0);
        }
        dprintf(fd, "maint on 0 intruder\n");
        n = read(fd, buf, sizeof(buf) - 1);
        if (n > 0 && write(p[1], buf, (size_t)n) != n)
            _exit(1);
        _exit(0);
    }
    close(p[1]);
    n = read(p[0], buf, sizeof(buf) - 1);
    buf[n > 0 ? n : 0] = '\0';
    close(p[0]);
    waitpid(pid, NULL, 0);
    return strdup(buf);
}

/* Another user cannot connect (mode 0600); even through a socket opened
 * up by hand, vitalsd refuses by the peer's uid. */
static void test_other_user_refused(void **state)
{
    char *a;
    int live;
    vd_t *d;

    (void)state;
    if (geteuid() != 0) {
        skip(); /* needs root to act as another user */
        return;
    }
    d = start(&live);
    assert_true(vd_log_wait(d, "control socket on ", 5000));
    assert_int_equal(chmod(dir, 0755), 0);
    a = as_user(65534);
    assert_string_equal(a, "connect: Permission denied");
    free(a);
    assert_int_equal(chmod(sock, 0666), 0);
    a = as_user(65534);
    assert_string_equal(a, "error permission denied: only uid 0 and root "
                           "may use this socket\n");
    free(a);
    assert_true(vd_log_wait(d, "control socket: refused uid 65534", 1000));
    /* The intruder's maintenance never happened. */
    wait_ready(d, 200);
    assert_false(vd_log_wait(d, "intruder", 0));
    finish(d, live);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_maintenance),
        cmocka_unit_test(test_drain),
        cmocka_unit_test(test_bad_requests),
        cmocka_unit_test(test_other_user_refused),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
