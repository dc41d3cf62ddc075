/* vitals.c - unit tests for the instance's own public functions
 * (lib/vitals.c) and the lifecycle they show in a snapshot: the error
 * returns include/vitals.h documents, the defaults of the state directory,
 * drain and maintenance as vitals_snapshot_* read them, and the
 * publication callback's contract. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "vitals.h"

static void test_null_instance(void **state)
{
    (void)state;
    assert_int_equal(vitals_set_instance(NULL, "a"), VITALS_EINVAL);
    assert_int_equal(vitals_set_state_dir(NULL, "/tmp"), VITALS_EINVAL);
    assert_null(vitals_state_dir(NULL));
    assert_int_equal(vitals_set_max_workers(NULL, 4), VITALS_EINVAL);
    assert_int_equal(vitals_drain(NULL), 0);
    assert_int_equal(vitals_maintenance(NULL, "x", 0), VITALS_EINVAL);
    assert_int_equal(vitals_on_publish(NULL, NULL, NULL), VITALS_EINVAL);
    assert_int_equal(vitals_listen_fd(NULL, 0, NULL), VITALS_EINVAL);
    assert_int_equal(vitals_snapshot_age_ms(NULL), INT64_MAX);
    assert_null(vitals_snapshot_maintenance(NULL, NULL));
    assert_int_equal(vitals_snapshot_draining(NULL), 0);
}

static void test_state_dir(void **state)
{
    vitals_t *v = vitals_new();
    (void)state;

    assert_int_equal(vitals_set_state_dir(v, NULL), VITALS_EINVAL);
    assert_int_equal(vitals_set_state_dir(v, ""), VITALS_EINVAL);
    unsetenv("STATE_DIRECTORY");
    assert_string_equal(vitals_state_dir(v), "/var/lib/vitals");
    setenv("STATE_DIRECTORY", "/run/state/app", 1);
    assert_string_equal(vitals_state_dir(v), "/run/state/app");
    /* systemd lists several with ':': none of them is the one. */
    setenv("STATE_DIRECTORY", "/a:/b", 1);
    assert_string_equal(vitals_state_dir(v), "/var/lib/vitals");
    assert_int_equal(vitals_set_state_dir(v, "/srv/vitals"), VITALS_OK);
    assert_string_equal(vitals_state_dir(v), "/srv/vitals");
    unsetenv("STATE_DIRECTORY");
    assert_int_equal(vitals_set_max_workers(v, 0), VITALS_EINVAL);
    assert_int_equal(vitals_set_max_workers(v, 1), VITALS_OK);
    vitals_free(v);
}

static void test_drain_and_maintenance(void **state)
{
    vitals_t *v = vitals_new();
    vitals_snapshot_t *s;
    int64_t until = -1, now;
    struct timespec ts;
    (void)state;

    assert_int_equal(vitals_maintenance(v, "x", -1), VITALS_EINVAL);
    assert_int_equal(vitals_maintenance(v, "x", INT64_MAX / 1000),
                     VITALS_EINVAL);
    s = vitals_snapshot_get(v);
    assert_null(vitals_snapshot_maintenance(s, &until));
    assert_int_equal(until, 0);
    assert_int_equal(vitals_snapshot_draining(s), 0);
    assert_true(vitals_snapshot_age_ms(s) < 10000);
    vitals_snapshot_release(s);

    assert_int_equal(vitals_maintenance(v, "racks", 0), VITALS_OK);
    s = vitals_snapshot_get(v);
    assert_string_equal(vitals_snapshot_maintenance(s, &until), "racks");
    assert_int_equal(until, 0); /* until turned off */
    vitals_snapshot_release(s);

    clock_gettime(CLOCK_REALTIME, &ts);
    now = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
    assert_int_equal(vitals_maintenance(v, "upgrade", 60000), VITALS_OK);
    s = vitals_snapshot_get(v);
    assert_string_equal(vitals_snapshot_maintenance(s, &until), "upgrade");
    assert_true(until >= now + 59000000000LL);
    assert_true(until <= now + 61000000000LL);
    vitals_snapshot_release(s);

    assert_int_equal(vitals_maintenance(v, NULL, 0), VITALS_OK);
    assert_int_equal(vitals_drain(v), 5000); /* the default shutdown delay */
    s = vitals_snapshot_get(v);
    assert_null(vitals_snapshot_maintenance(s, &until));
    assert_int_equal(until, 0);
    assert_int_equal(vitals_snapshot_draining(s), 1);
    vitals_snapshot_release(s);
    vitals_free(v);
}

static void count(const vitals_snapshot_t *s, void *data)
{
    (void)s;
    ++*(int *)data;
}

static void test_on_publish(void **state)
{
    vitals_t *v = vitals_new();
    int first = 0, second = 0;
    (void)state;

    assert_int_equal(vitals_on_publish(v, count, &first), VITALS_OK);
    assert_int_equal(first, 1); /* at once, with the current snapshot */
    assert_int_equal(vitals_on_publish(v, count, &second), VITALS_OK);
    assert_int_equal(second, 1);
    assert_int_equal(vitals_maintenance(v, "x", 0), VITALS_OK);
    assert_int_equal(first, 1); /* replaced: never called again */
    assert_int_equal(second, 2);
    assert_int_equal(vitals_on_publish(v, NULL, NULL), VITALS_OK);
    assert_int_equal(vitals_maintenance(v, NULL, 0), VITALS_OK);
    assert_int_equal(second, 2);
    vitals_free(v);
}

/* A listening TCP socket on a loopback port of its own. */
static int listening(void)
{
    struct sockaddr_in a = {.sin_family = AF_INET,
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    int fd = socket(AF_INET, SOCK_STREAM, 0);

    assert_true(fd >= 0);
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
    assert_int_equal(listen(fd, 4), 0);
    return fd;
}

static void test_listen_fd(void **state)
{
    vitals_t *v = vitals_new();
    int fd = listening(), unbound = socket(AF_INET, SOCK_STREAM, 0);
    (void)state;

    assert_int_equal(vitals_listen_fd(v, -1, NULL), VITALS_EINVAL);
    assert_int_equal(vitals_listen_fd(v, unbound, NULL), VITALS_EINVAL);
    /* No listen address to serve it on. */
    assert_int_equal(vitals_listen_fd(v, fd, NULL), VITALS_ENOENT);
    assert_int_equal(vitals_listen(v, "127.0.0.1:0"), VITALS_OK);
    assert_int_equal(vitals_start(v), VITALS_OK);
    assert_int_equal(vitals_listen_fd(v, fd, NULL), VITALS_EBUSY);
    vitals_free(v);
    close(fd);
    close(unbound);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_null_instance),
        cmocka_unit_test(test_state_dir),
        cmocka_unit_test(test_drain_and_maintenance),
        cmocka_unit_test(test_on_publish),
        cmocka_unit_test(test_listen_fd),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
