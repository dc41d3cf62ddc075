/* systemd.c - unit test of daemon/systemd.c against the library: watchdog
 * pings go out while the scheduler publishes, stop when it is held stuck
 * (a publication subscriber that blocks under the engine lock, which only
 * a test can do), and resume once it runs again. */
#include <pthread.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cmocka.h>

#include "daemon.h"
#include "instance.h"

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
static int stall, stalled;
static char last_log[1024];

/* vitalsd.c's, which this test does not link. */
void vitalsd_log(vitals_log_level_t level, const char *fmt, ...)
{
    va_list ap;

    (void)level;
    pthread_mutex_lock(&lock);
    va_start(ap, fmt);
    vsnprintf(last_log, sizeof(last_log), fmt, ap);
    va_end(ap);
    pthread_mutex_unlock(&lock);
}

/* Blocks the publishing thread, engine lock held, while stall is set. */
static void hold(vitals_snapshot_t *s, void *data)
{
    (void)s;
    (void)data;
    pthread_mutex_lock(&lock);
    while (stall) {
        stalled = 1;
        pthread_cond_wait(&cond, &lock);
    }
    pthread_mutex_unlock(&lock);
}


static void pass(vitals_result_t *r, void *data)
{
    (void)r;
    (void)data;
}

/* WATCHDOG=1 messages within ms. */
static int pings(int fd, int ms)
{
    struct pollfd p = {.fd = fd, .events = POLLIN};
    int64_t until;
    struct timespec ts;
    int n = 0;
    char buf[512];

    clock_gettime(CLOCK_MONOTONIC, &ts);
    until = ts.tv_sec * 1000LL + ts.tv_nsec / 1000000 + ms;
    for (;;) {
        int64_t now;
        ssize_t got;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        now = ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
        if (now >= until || poll(&p, 1, (int)(until - now)) != 1)
            return n;
        if ((got = recv(fd, buf, sizeof(buf) - 1, 0)) > 0) {
            buf[got] = '\0';
            n += strcmp(buf, "WATCHDOG=1") == 0;
        }
    }
}

static void test_watchdog_stops_when_stuck(void **state)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    char dir[] = "/tmp/vitals-wd-XXXXXX";
    vitals_check_opts_t o;
    vitals_t *v = vitals_new();
    vsd_t *d;
    int fd;

    (void)state;
    assert_non_null(mkdtemp(dir));
    snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/notify.sock", dir);
    fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    setenv("NOTIFY_SOCKET", sa.sun_path, 1);
    setenv("WATCHDOG_USEC", "200000", 1); /* a ping every 100 ms */

    vitals_check_opts_init(&o);
    o.interval_ms = 50;
    assert_int_equal(vitals_add_check(v, "tick", &o, pass, NULL, NULL), 0);
    assert_int_equal(vitals_start(v), 0);
    assert_int_equal(vengine_subscribe(vitals_engine(v), hold, NULL), 0);
    /* Publishing at its pace (every 100 ms) before the pings are counted. */
    for (int i = 0; i < 100; i++) {
        vitals_snapshot_t *s = vitals_snapshot_get(v);
        uint64_t gen = vitals_snapshot_generation(s);

        vitals_snapshot_release(s);
        if (gen >= 5)
            break;
        usleep(50000);
    }
    d = vsd_start(v, 400);
    assert_non_null(d);
    assert_in_range(pings(fd, 1000), 7, 12);

    pthread_mutex_lock(&lock);
    stall = 1;
    pthread_mutex_unlock(&lock);
    /* Past the 400 ms staleness no ping goes out. */
    pings(fd, 600);
    assert_int_equal(pings(fd, 800), 0);
    pthread_mutex_lock(&lock);
    assert_int_equal(stalled, 1);
    assert_non_null(strstr(last_log, "the scheduler is stuck"));
    stall = 0;
    pthread_cond_broadcast(&cond);
    pthread_mutex_unlock(&lock);
    /* Publishing again: the pings resume. */
    pings(fd, 300);
    assert_in_range(pings(fd, 1000), 7, 12);

    vsd_stop(d);
    vengine_unsubscribe(vitals_engine(v), hold, NULL);
    vitals_free(v);
    close(fd);
    unlink(sa.sun_path);
    rmdir(dir);
    unsetenv("NOTIFY_SOCKET");
    unsetenv("WATCHDOG_USEC");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_watchdog_stops_when_stuck),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
