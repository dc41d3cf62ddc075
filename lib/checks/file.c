/* file.c - the "file" check type: a file exists and, with max_age, was
 * modified recently (the heartbeat a cron job touches when it succeeds). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* the GNU strerror_r, which returns the text */
#endif

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "checks/check_type.h"

typedef struct file {
    char *path;
    int64_t max_age_ms; /* 0: any age will do */
} file_t;

/* A max_age of 0 would make every file too old: a typo, not a wish. */
static const vsetting_t file_settings[] = {
    {.key = "path", .kind = VSET_STR, .offset = offsetof(file_t, path),
     .flags = VSET_REQUIRED | VSET_NONEMPTY},
    {.key = "max_age", .kind = VSET_DURATION,
     .offset = offsetof(file_t, max_age_ms), .flags = VSET_POSITIVE},
    {0}};

/* An age as a person reads it: its largest unit, and the next smaller
 * unit that is not zero ("2h 3m", "1m 30s", "45s", "1h 5s", "2h"). The
 * rest is dropped; skipping zeros keeps "1h 5s old, older than 1h" from
 * reading as "1h old, older than 1h". */
static void format_age(int64_t seconds, char *buf, size_t len)
{
    static const struct {
        const char *name;
        int64_t secs;
    } units[] = {{"d", 86400}, {"h", 3600}, {"m", 60}, {"s", 1}};
    size_t i = 0, n = sizeof(units) / sizeof(units[0]);
    int64_t rest;
    int w;

    while (i + 1 < n && seconds < units[i].secs)
        i++;
    w = snprintf(buf, len, "%lld%s", (long long)(seconds / units[i].secs),
                 units[i].name);
    rest = seconds % units[i].secs;
    for (i++; i < n && rest > 0; i++) {
        if (rest >= units[i].secs) {
            if (w > 0 && (size_t)w < len)
                snprintf(buf + w, len - (size_t)w, " %lld%s",
                         (long long)(rest / units[i].secs), units[i].name);
            break;
        }
    }
}

/* How long ago t was, as whole seconds and the nanoseconds beyond them;
 * 0 for a time in the future (the clock of an NFS server ahead of ours: as
 * fresh as a file can be). Saturates rather than overflows on a wild
 * timestamp. */
static void age_of(const struct timespec *t, int64_t *sec, long *nsec)
{
    struct timespec now;
    int64_t s;
    long ns;

    clock_gettime(CLOCK_REALTIME, &now);
    if (__builtin_sub_overflow((int64_t)now.tv_sec, (int64_t)t->tv_sec, &s)) {
        *sec = now.tv_sec > t->tv_sec ? INT64_MAX : 0;
        *nsec = 0;
        return;
    }
    ns = now.tv_nsec - t->tv_nsec;
    if (ns < 0) {
        s--;
        ns += 1000000000L;
    }
    if (s < 0) {
        s = 0;
        ns = 0;
    }
    *sec = s;
    *nsec = ns;
}

static void file_run(void *state, vitals_result_t *r)
{
    const file_t *f = state;
    struct stat st;
    int64_t age_s, max_s;
    long age_ns, max_ns;
    char ebuf[128], age[64], limit[32];
    int stale;

    /* stat, not lstat: a heartbeat may be a symlink to the real file, and
     * its target's time is the one that says when the job ran. */
    if (stat(f->path, &st) != 0) {
        int err = errno;

        if (err == ENOENT)
            vitals_result_set_error(r, "missing %s", f->path);
        else
            vitals_result_set_error(r, "cannot stat %s: %s", f->path,
                                    strerror_r(err, ebuf, sizeof(ebuf)));
        return;
    }

    age_of(&st.st_mtim, &age_s, &age_ns);
    if (vitals_result_set_int(r, "ageSeconds", age_s) < 0 ||
        vitals_result_set_int(r, "sizeBytes", (int64_t)st.st_size) < 0) {
        vitals_result_set_error(r, "out of memory");
        return;
    }
    vitals_result_observe(r, "age", (double)age_s, "s");

    format_age(age_s, age, sizeof(age));
    /* Strictly older: a file exactly max_age old still passes. Compared
     * as seconds and nanoseconds, which cannot overflow. */
    max_s = f->max_age_ms / 1000;
    max_ns = (long)(f->max_age_ms % 1000) * 1000000L;
    stale = f->max_age_ms > 0 &&
            (age_s > max_s || (age_s == max_s && age_ns > max_ns));
    if (!stale) {
        vitals_result_set_status(r, VITALS_HEALTHY);
        vitals_result_set_description(r, "%s is %s old", f->path, age);
        return;
    }
    vitals_format_duration(f->max_age_ms, limit, sizeof(limit));
    vitals_result_set_status(r, VITALS_UNHEALTHY);
    vitals_result_set_description(r, "%s is %s old, older than %s", f->path,
                                  age, limit);
    /* The error too, so that formats showing only errors still say why. */
    vitals_result_set_error(r, "%s is %s old, older than %s", f->path, age,
                            limit);
}

const vcheck_type_t vcheck_file = {
    .name = "file",
    .component_type = "component",
    .settings = file_settings,
    .state_size = sizeof(file_t),
    .run = file_run,
};
