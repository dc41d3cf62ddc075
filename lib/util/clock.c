/* clock.c - the system clocks behind vclock_t, and RFC 3339 timestamps. */
#include "util/clock.h"

#include <stdio.h>
#include <time.h>

static int64_t read_clock(clockid_t id)
{
    struct timespec ts;

    clock_gettime(id, &ts);
    return (int64_t)ts.tv_sec * VCLOCK_S + ts.tv_nsec;
}

static int64_t sys_mono(void *data)
{
    (void)data;
    return read_clock(CLOCK_MONOTONIC);
}

static int64_t sys_real(void *data)
{
    (void)data;
    return read_clock(CLOCK_REALTIME);
}

const vclock_t vclock_system = {sys_mono, sys_real, NULL};

int64_t vclock_mono(const vclock_t *c)
{
    return c->mono_ns(c->data);
}

int64_t vclock_real(const vclock_t *c)
{
    return c->real_ns(c->data);
}

char *vclock_rfc3339(int64_t ns, char *buf, unsigned long len)
{
    time_t secs = (time_t)(ns / VCLOCK_S);
    long frac = (long)(ns % VCLOCK_S);
    struct tm tm;

    if (frac < 0) { /* before 1970: keep the fraction positive */
        frac += VCLOCK_S;
        secs -= 1;
    }
    gmtime_r(&secs, &tm);
    snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d.%09ldZ",
             tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
             tm.tm_min, tm.tm_sec, frac);
    return buf;
}
