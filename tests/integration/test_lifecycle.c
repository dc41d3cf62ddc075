/* test_lifecycle.c - what orchestrators rely on, against a real vitalsd: a
 * kubelet-like prober never sees liveness fail while a dependency is down
 * or checks have not run yet; startup passes once every check ran; on
 * SIGTERM readiness fails at once while liveness passes and every endpoint
 * keeps answering until the shutdown delay is over. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"

/* A kubelet-like probe: GET path, a failure unless 200-399. */
static int probe_ok(vd_t *d, const char *path)
{
    vresp_t r = vd_get(d, path);
    int ok = r.status >= 200 && r.status < 400;

    vresp_free(&r);
    return ok;
}

/* Liveness ignores dependencies and checks that have not run; readiness
 * and startup wait for them. */
static void test_probes_while_starting_and_failing(void **state)
{
    int dead = closed_port();
    vd_t *d;
    vresp_t r;

    (void)state;
    d = vd_start("listen: [\"127.0.0.1:0\"]\n"
                 "checks:\n"
                 "  db: {type: tcp, address: \"127.0.0.1:%d\", interval: "
                 "200ms}\n"
                 "  later: {type: disk, path: /, initial_delay: 5s}\n"
                 "  loop: {type: disk, path: /, tags: [live], "
                 "initial_delay: 5s}\n",
                 dead);
    /* Well inside the initial delay: a dependency down, two checks not
     * yet run. Period 100 ms, failureThreshold 3: never a failure. */
    for (int64_t t0 = now_ms(); now_ms() - t0 < 1500;) {
        assert_true(probe_ok(d, "/livez"));
        assert_false(probe_ok(d, "/readyz"));
        assert_false(probe_ok(d, "/startupz"));
        usleep(100000);
    }
    r = vd_get(d, "/startupz?verbose");
    assert_int_equal(r.status, 500);
    assert_non_null(strstr(r.body, "[-]later failed: not yet run\n"));
    assert_non_null(strstr(r.body, "[+]db ok\n"));
    vresp_free(&r);
    /* Once every check ran, startup passes for good, though db fails. */
    for (int i = 0; i < 150 && !probe_ok(d, "/startupz"); i++)
        usleep(100000);
    assert_true(probe_ok(d, "/startupz"));
    assert_true(probe_ok(d, "/livez"));
    assert_false(probe_ok(d, "/readyz"));
    r = vd_get(d, "/livez?verbose");
    assert_string_equal(r.body, "[+]loop ok\nlivez check passed\n");
    vresp_free(&r);
    assert_int_equal(vd_stop(d), 0);
}

/* SIGTERM: readiness fails at once, with the reason; liveness passes;
 * every endpoint answers until the delay is over; then exit 0. */
static void test_drain_on_sigterm(void **state)
{
    vd_t *d;
    vresp_t r;
    int64_t t0, ready_failed_at = -1;
    siginfo_t info;
    int exited = 0;

    (void)state;
    d = vd_start("listen: [\"127.0.0.1:0\"]\n"
                 "shutdown_delay: 3s\n"
                 "checks:\n"
                 "  disk: {type: disk, path: /, degraded_below: 1B}\n");
    for (int i = 0; i < 50 && !probe_ok(d, "/readyz"); i++)
        usleep(20000);
    assert_true(probe_ok(d, "/readyz"));
    t0 = now_ms();
    kill(d->pid, SIGTERM);
    while (now_ms() - t0 < 1000) {
        if (!probe_ok(d, "/readyz")) {
            ready_failed_at = now_ms() - t0;
            break;
        }
    }
    assert_true(ready_failed_at >= 0);
    assert_true(ready_failed_at < 50);
    r = vd_get(d, "/readyz?verbose");
    assert_int_equal(r.status, 500);
    assert_string_equal(r.body, "[+]disk ok\n[-]shutdown failed: shutting "
                                "down\nreadyz check failed\n");
    vresp_free(&r);
    assert_true(probe_ok(d, "/livez"));
    assert_true(probe_ok(d, "/health"));
    /* Still serving well into the delay... */
    usleep(2000000);
    assert_true(probe_ok(d, "/livez"));
    assert_false(probe_ok(d, "/readyz"));
    /* ...and gone soon after it, with exit status 0. */
    while (now_ms() - t0 < 9000 && !exited) {
        /* WNOWAIT: see the exit, leave the reaping to vd_stop. */
        memset(&info, 0, sizeof(info));
        if (waitid(P_PID, (id_t)d->pid, &info,
                   WEXITED | WNOHANG | WNOWAIT) == 0 &&
            info.si_pid == d->pid)
            exited = 1;
        else
            usleep(20000);
    }
    assert_true(exited);
    assert_true(now_ms() - t0 >= 2900);
    assert_true(now_ms() - t0 < 5000);
    assert_int_equal(info.si_code, CLD_EXITED);
    assert_int_equal(info.si_status, 0);
    assert_true(vd_log_wait(d, "drained: stopping", 0));
    assert_int_equal(vd_stop(d), 0);
}

/* shutdown_delay: 0 keeps the old behaviour; shutdown_fails: all fails
 * /health too while draining; bad values are config errors. */
static void test_shutdown_settings(void **state)
{
    vd_t *d;
    vresp_t r;
    char *out = NULL, *err = NULL, cfg[] = "/tmp/vitals-shutdown-XXXXXX";
    int fd;

    (void)state;
    d = vd_start("listen: [\"127.0.0.1:0\"]\n"
                 "shutdown_delay: 2s\n"
                 "shutdown_fails: all\n"
                 "checks:\n"
                 "  disk: {type: disk, path: /, degraded_below: 1B}\n");
    for (int i = 0; i < 50 && !probe_ok(d, "/health"); i++)
        usleep(20000);
    kill(d->pid, SIGTERM);
    assert_true(vd_log_wait(d, "draining for 2000 ms", 2000));
    r = vd_get(d, "/health");
    assert_int_equal(r.status, 503);
    vresp_free(&r);
    assert_true(probe_ok(d, "/livez"));
    assert_int_equal(vd_stop(d), 0);

    assert_true((fd = mkstemp(cfg)) >= 0);
    assert_true(write(fd, "shutdown_delay: -1s\nshutdown_fails: some\n",
                      41) == 41);
    close(fd);
    char *argv[] = {(char *)vitalsd_path(), "--check-config", cfg, NULL};
    assert_int_equal(run_cmd(argv, &out, &err), 2);
    assert_non_null(strstr(err, ":2:17: 'shutdown_fails': expected "
                                "readiness or all, got \"some\""));
    assert_non_null(strstr(err, ":1:17: 'shutdown_delay'"));
    free(out);
    free(err);
    unlink(cfg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_probes_while_starting_and_failing),
        cmocka_unit_test(test_drain_on_sigterm),
        cmocka_unit_test(test_shutdown_settings),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
