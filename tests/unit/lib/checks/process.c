/* process.c - unit tests for the "process" check type
 * (lib/checks/process.c) against real processes this test forks: one
 * alive, one reaped, one zombie. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <signal.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "checks/check_type.h"
#include "checktest.h"
#include "engine/result.h"
#include "config/vnode.h"

extern const vcheck_type_t vcheck_process;

static char dir[64];
static char pidfile[128];

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof(dir), "/tmp/vitals-process-XXXXXX");
    if (!mkdtemp(dir))
        return -1;
    snprintf(pidfile, sizeof(pidfile), "%s/x.pid", dir);
    return 0;
}

static int teardown(void **state)
{
    char cmd[128];
    (void)state;

    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

/* Writes n bytes of content to the pidfile. */
static void write_pidfile(const char *content, size_t n)
{
    FILE *f = fopen(pidfile, "w");

    assert_non_null(f);
    assert_int_equal(fwrite(content, 1, n, f), n);
    assert_int_equal(fclose(f), 0);
}

static void write_pid(const char *fmt, pid_t pid)
{
    char buf[64];
    int n = snprintf(buf, sizeof(buf), fmt, (int)pid);

    write_pidfile(buf, (size_t)n);
}

static vitals_result_t *run_it(void)
{
    char json[256];

    snprintf(json, sizeof(json), "{\"pidfile\": \"%s\"}", pidfile);
    return run_check(&vcheck_process, json, 5000);
}

/* A child that lives until *wfd is closed (its read sees EOF). */
static pid_t spawn_waiting(int *wfd)
{
    int fds[2];
    char c;
    pid_t pid;

    assert_int_equal(pipe(fds), 0);
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        close(fds[1]);
        while (read(fds[0], &c, 1) < 0)
            ;
        _exit(0);
    }
    close(fds[0]);
    *wfd = fds[1];
    return pid;
}

/* A child that exits at once; on return it has exited but is not reaped
 * (waitid with WNOWAIT waits for the exit and leaves the zombie). */
static pid_t spawn_zombie(void)
{
    siginfo_t si;
    pid_t pid = fork();

    assert_true(pid >= 0);
    if (pid == 0)
        _exit(0);
    memset(&si, 0, sizeof(si));
    assert_int_equal(waitid(P_PID, (id_t)pid, &si, WEXITED | WNOWAIT), 0);
    assert_int_equal(si.si_pid, pid);
    return pid;
}

static void reap(pid_t pid)
{
    int status;

    assert_int_equal(waitpid(pid, &status, 0), pid);
}

/* /proc/<pid>/comm without its newline. */
static void comm_of(pid_t pid, char *buf, size_t len)
{
    char path[64];
    FILE *f;

    snprintf(path, sizeof(path), "/proc/%d/comm", (int)pid);
    f = fopen(path, "r");
    assert_non_null(f);
    assert_non_null(fgets(buf, (int)len, f));
    fclose(f);
    buf[strcspn(buf, "\n")] = '\0';
}

static void check_pid_data(const vitals_result_t *r, pid_t pid)
{
    json_t *d = data_of(r);

    assert_int_equal(json_object_size(d), 1);
    assert_true(json_is_integer(json_object_get(d, "pid")));
    assert_int_equal(json_integer_value(json_object_get(d, "pid")), pid);
    json_decref(d);
}

static void check_running(pid_t pid)
{
    vitals_result_t *r = run_it();
    char comm[64], want[512];

    comm_of(pid, comm, sizeof(comm));
    snprintf(want, sizeof(want), "process %d (%s) from %s is running",
             (int)pid, comm, pidfile);
    assert_int_equal(r->status, VITALS_HEALTHY);
    assert_null(r->error);
    assert_string_equal(r->description, want);
    check_pid_data(r, pid);
    vresult_unref(r);
}

static void check_not_running(pid_t pid, const char *why)
{
    vitals_result_t *r = run_it();
    char want[512];

    snprintf(want, sizeof(want), "process %d from %s is not running%s",
             (int)pid, pidfile, why);
    assert_int_equal(r->status, VITALS_UNHEALTHY);
    assert_string_equal(r->error, want);
    assert_null(r->description);
    check_pid_data(r, pid);
    vresult_unref(r);
}

static void check_failed(const char *want)
{
    vitals_result_t *r = run_it();

    assert_int_equal(r->status, VITALS_UNHEALTHY);
    assert_string_equal(r->error, want);
    assert_null(r->description);
    assert_string_equal(r->data_json, "{}");
    vresult_unref(r);
}

/* ------------------------------------------------------------------------
 * Runs
 */

static void test_alive(void **state)
{
    static const char *const formats[] = {
        "%d\n", "%d", "  %d \r\n", "\t%d\n", "%d\n8432\n/var/lib/pg\n",
    };
    int wfd;
    size_t i;
    pid_t pid = spawn_waiting(&wfd);
    (void)state;

    for (i = 0; i < sizeof(formats) / sizeof(formats[0]); i++) {
        write_pid(formats[i], pid);
        check_running(pid);
    }
    close(wfd);
    reap(pid);
}

/* Exited and reaped: its pid names no process any more. */
static void test_reaped(void **state)
{
    pid_t pid = spawn_zombie();
    (void)state;

    reap(pid);
    write_pid("%d\n", pid);
    check_not_running(pid, "");
}

/* Exited, not reaped: kill() still finds it, /proc says Z. */
static void test_zombie(void **state)
{
    pid_t pid = spawn_zombie();
    (void)state;

    write_pid("%d\n", pid);
    check_not_running(pid, " (zombie)");
    reap(pid);
}

/* Alive but owned by someone we may not signal: kill() says EPERM, which
 * still means it exists. pid 1 is root's; a root test checks it from a
 * child that has given up root. */
static void test_other_user(void **state)
{
    char comm[64], want[512], got[512] = "";
    vitals_result_t *r;
    int fds[2], status;
    ssize_t n;
    pid_t child;
    (void)state;

    write_pid("%d\n", 1);
    comm_of(1, comm, sizeof(comm));
    snprintf(want, sizeof(want), "healthy process 1 (%s) from %s is running",
             comm, pidfile);
    if (getuid() != 0) {
        r = run_it();
        snprintf(got, sizeof(got), "%s %s", r->status == VITALS_HEALTHY ? "healthy" : "failing",
                 r->description ? r->description : r->error);
        vresult_unref(r);
        assert_string_equal(got, want);
        return;
    }
    /* The other user must be able to read the pidfile. */
    assert_int_equal(chmod(dir, 0755), 0);
    assert_int_equal(chmod(pidfile, 0644), 0);
    assert_int_equal(pipe(fds), 0);
    child = fork();
    assert_true(child >= 0);
    if (child == 0) {
        close(fds[0]);
        if (setgid(65534) != 0 || setuid(65534) != 0)
            _exit(2);
        r = run_it();
        dprintf(fds[1], "%s %s", r->status == VITALS_HEALTHY ? "healthy" : "failing",
                r->description ? r->description : r->error);
        vresult_unref(r);
        _exit(0);
    }
    close(fds[1]);
    n = read(fds[0], got, sizeof(got) - 1);
    close(fds[0]);
    assert_int_equal(waitpid(child, &status, 0), child);
    assert_true(WIFEXITED(status));
    if (WEXITSTATUS(status) == 2)
        skip(); /* cannot become another user here */
    assert_int_equal(WEXITSTATUS(status), 0);
    assert_true(n > 0);
    got[n] = '\0';
    assert_string_equal(got, want);
}

static void test_missing(void **state)
{
    char want[256];
    (void)state;

    unlink(pidfile);
    snprintf(want, sizeof(want), "missing pidfile %s", pidfile);
    check_failed(want);
}

/* A directory where the pidfile should be. */
static void test_unreadable(void **state)
{
    char want[256];
    (void)state;

    unlink(pidfile);
    assert_int_equal(mkdir(pidfile, 0700), 0);
    snprintf(want, sizeof(want), "cannot read %s: Is a directory", pidfile);
    check_failed(want);
    assert_int_equal(rmdir(pidfile), 0);
}

static void check_garbage(const char *content, size_t n, const char *shown)
{
    char want[512];

    write_pidfile(content, n);
    snprintf(want, sizeof(want), "%s: not a process id: %s", pidfile, shown);
    check_failed(want);
}

static void test_garbage(void **state)
{
    (void)state;
    check_garbage("abc\n", 4, "\"abc\"");
    check_garbage("", 0, "\"\"");
    check_garbage("\n1234\n", 6, "\"\"");
    check_garbage("0\n", 2, "\"0\"");
    check_garbage("-5\n", 3, "\"-5\"");
    check_garbage("12abc\n", 6, "\"12abc\"");
    check_garbage("12 34\n", 6, "\"12 34\"");
    check_garbage("+12\n", 4, "\"+12\"");
    check_garbage("99999999999\n", 12, "\"99999999999\"");
    check_garbage("12\0\n", 4, "\"12\\x00\"");
    check_garbage("\"pid\"\\\n", 7, "\"\\\"pid\\\"\\\\\"");
    check_garbage("\x01\xc3\xa9", 3, "\"\\x01\\xc3\\xa9\"");
    check_garbage("0123456789abcdefghijklmnopqrstuvwxyz\n", 37,
                  "\"0123456789abcdefghijklmnopqrstuv...\"");
}

/* ------------------------------------------------------------------------
 * Configuration
 */

static void test_config_errors(void **state)
{
    (void)state;
    check_config_error(&vcheck_process, "{}",
                       "settings: missing required key 'pidfile'");
    check_config_error(&vcheck_process, "{\"pidfile\": \"\"}",
                       "settings: 'pidfile': must not be empty");
    check_config_error(&vcheck_process, "{\"pidfile\": [\"/run/a.pid\"]}",
                       "settings: 'pidfile': expected a string, got a list");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_alive),
        cmocka_unit_test(test_reaped),
        cmocka_unit_test(test_zombie),
        cmocka_unit_test(test_other_user),
        cmocka_unit_test(test_missing),
        cmocka_unit_test(test_unreadable),
        cmocka_unit_test(test_garbage),
        cmocka_unit_test(test_config_errors),
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}
