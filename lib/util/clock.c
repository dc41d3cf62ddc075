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

/* n digits at *p into *out; advances *p. 0, or -1. */
static int digits(const char **p, int n, int *out)
{
    *out = 0;
    for (int i = 0; i < n; i++, (*p)++) {
        if (**p < '0' || **p > '9')
            return -1;
        *out = *out * 10 + (**p - '0');
    }
    return 0;
}

int vclock_parse_rfc3339(const char *s, int64_t *ns)
{
    struct tm tm;
    int y, mo, d, h, mi, sec, oh = 0, om = 0, sign = 0;
    int64_t frac = 0, scale = VCLOCK_S;
    time_t t;

    if (digits(&s, 4, &y) || *s++ != '-' || digits(&s, 2, &mo) ||
        *s++ != '-' || digits(&s, 2, &d) || (*s != 'T' && *s != 't') ||
        (s++, digits(&s, 2, &h)) || *s++ != ':' || digits(&s, 2, &mi) ||
        *s++ != ':' || digits(&s, 2, &sec))
        return -1;
    if (*s == '.') {
        if (*++s < '0' || *s > '9')
            return -1;
        for (; *s >= '0' && *s <= '9'; s++)
            if (scale > 1)
                frac += (*s - '0') * (scale /= 10);
    }
    if (*s == 'Z' || *s == 'z') {
        s++;
    } else if (*s == '+' || *s == '-') {
        sign = *s++ == '-' ? -1 : 1;
        if (digits(&s, 2, &oh) || *s++ != ':' || digits(&s, 2, &om) ||
            oh > 23 || om > 59)
            return -1;
    } else {
        return -1;
    }
    if (*s != '\0' || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 ||
        mi > 59 || sec > 60 || y < 1970)
        return -1;
    tm = (struct tm){.tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d,
                     .tm_hour = h, .tm_min = mi, .tm_sec = sec};
    t = timegm(&tm) - (time_t)sign * (oh * 3600 + om * 60);
    *ns = (int64_t)t * VCLOCK_S + frac;
    return 0;
}
