/* clock.h - the two clocks the engine reads, injectable so that unit tests
 * drive the scheduler without sleeping. Monotonic time schedules and
 * measures runs; wall time stamps them. */
#ifndef VITALS_CLOCK_H
#define VITALS_CLOCK_H

#include <stdint.h>
#include <time.h>

typedef struct vclock {
    int64_t (*mono_ns)(void *data);
    int64_t (*real_ns)(void *data);
    void *data;
} vclock_t;

/* CLOCK_MONOTONIC and CLOCK_REALTIME. */
extern const vclock_t vclock_system;

int64_t vclock_mono(const vclock_t *c);
int64_t vclock_real(const vclock_t *c);

/* Writes ns since the epoch as RFC 3339 UTC with nanoseconds
 * ("2020-10-14T14:04:20.577596620Z"; buf needs 36 bytes). Returns buf. */
char *vclock_rfc3339(int64_t ns, char *buf, unsigned long len);

/* Reads an RFC 3339 date-time ("2020-10-14T14:04:20Z", a fraction and
 * an offset optional as the RFC says) since 1970 into *ns. 0, or -1. */
int vclock_parse_rfc3339(const char *s, int64_t *ns);

#define VCLOCK_MS 1000000LL
#define VCLOCK_S 1000000000LL

/* ns (of either clock, 0 or more) as the struct timespec that
 * pthread_cond_timedwait and clock_nanosleep take. */
static inline struct timespec vclock_timespec(int64_t ns)
{
    struct timespec ts = {(time_t)(ns / VCLOCK_S), (long)(ns % VCLOCK_S)};
    return ts;
}

#endif
