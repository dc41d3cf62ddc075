/* procstat.c - reading this process's figures: /proc/<pid>/stat parsed
 * around a command name with spaces and parentheses, and live figures
 * that make sense for the test process itself. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "util/procstat.h"

static void test_parse(void **state)
{
    /* Fields 22-24 (starttime, vsize, rss) after a name that holds ") (". */
    const char *stat = "4242 (odd) (name x) S 1 4242 4242 0 -1 4194560 "
                       "100 0 0 0 7 3 0 0 20 0 1 0 123456 8192000 512 "
                       "18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17";
    double start, vsize, rss;

    (void)state;
    assert_int_equal(vprocstat_parse_stat(stat, &start, &vsize, &rss), 0);
    assert_true(start == 123456);
    assert_true(vsize == 8192000);
    assert_true(rss == 512);
    assert_int_equal(vprocstat_parse_stat("1 (x) S 1 2", &start, &vsize,
                                          &rss),
                     -1);
    assert_int_equal(vprocstat_parse_stat("no name", &start, &vsize, &rss),
                     -1);
}

static void test_self(void **state)
{
    vprocstat_t p;
    double now = (double)time(NULL);

    (void)state;
    vprocstat_read(&p);
    assert_true(p.cpu_seconds >= 0);
    assert_true(p.resident_bytes > 0);
    assert_true(p.virtual_bytes >= p.resident_bytes);
    assert_true(p.open_fds >= 3); /* stdin, stdout, stderr */
    assert_true(p.max_fds == -1 || p.max_fds >= p.open_fds);
    /* Started within the last hour, not in the future (clock ticks are
     * 10 ms; allow a second). */
    assert_true(p.start_time_seconds > now - 3600);
    assert_true(p.start_time_seconds <= now + 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse),
        cmocka_unit_test(test_self),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
