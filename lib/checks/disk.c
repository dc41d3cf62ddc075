/* disk.c - the "disk" check type: free space on the filesystem that holds a
 * path, against a degraded and an optional unhealthy threshold. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* asprintf; the GNU strerror_r, which returns text */
#endif

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>

#include "checks/check_type.h"

/* Megabytes are 10^6 bytes, as in the sizes of the configuration ("MB")
 * and in seed 001's descriptions. */
#define MEGABYTE 1000000ULL
#define DEFAULT_DEGRADED_BELOW (512 * MEGABYTE)
#define DEFAULT_DEGRADED_TEXT "512MB"

typedef struct disk {
    char *path;
    uint64_t degraded_below;  /* bytes */
    uint64_t unhealthy_below; /* bytes; meaningful when has_unhealthy */
    int has_unhealthy;
} disk_t;

static void disk_free(void *state)
{
    disk_t *d = state;

    if (!d)
        return;
    free(d->path);
    free(d);
}

/* The text of a setting as written, for error messages. */
static const char *setting_text(vnode_t *settings, const char *key,
                                const char *fallback)
{
    vnode_t *n = vnode_get(settings, key);

    return n && n->kind == VNODE_SCALAR && n->str ? n->str : fallback;
}

static void *disk_configure(vnode_t *settings, verrs_t *e)
{
    disk_t *d;
    const char *path = NULL;
    int bad = 0, rc, degraded_ok;

    d = calloc(1, sizeof(*d));
    if (!d) {
        verrs_add(e, settings, "out of memory");
        return NULL;
    }
    d->degraded_below = DEFAULT_DEGRADED_BELOW;

    /* Read every key before giving up, so that one pass reports every
     * error in the check. */
    rc = vnode_str(settings, "path", &path, e);
    if (rc == 0) {
        verrs_add(e, settings, "missing required key 'path'");
        bad = 1;
    } else if (rc < 0) {
        bad = 1;
    } else if (path[0] == '\0') {
        verrs_add(e, vnode_get(settings, "path"), "'path': must not be empty");
        bad = 1;
    }

    degraded_ok =
        vnode_size(settings, "degraded_below", &d->degraded_below, e) >= 0;
    bad |= !degraded_ok;

    rc = vnode_size(settings, "unhealthy_below", &d->unhealthy_below, e);
    if (rc < 0) {
        bad = 1;
    } else if (rc > 0) {
        d->has_unhealthy = 1;
        /* With unhealthy at or above degraded, degraded could never be
         * reported: that is a mistake in the configuration, not a wish. */
        if (degraded_ok && d->unhealthy_below >= d->degraded_below) {
            verrs_add(e, vnode_get(settings, "unhealthy_below"),
                      "'unhealthy_below' (%s) must be below "
                      "'degraded_below' (%s)",
                      setting_text(settings, "unhealthy_below", "?"),
                      setting_text(settings, "degraded_below",
                                   DEFAULT_DEGRADED_TEXT));
            bad = 1;
        }
    }

    if (!bad) {
        d->path = strdup(path);
        if (!d->path) {
            verrs_add(e, settings, "out of memory");
            bad = 1;
        }
    }
    if (bad) {
        disk_free(d);
        return NULL;
    }
    return d;
}

/* a * b, saturated: a filesystem cannot hold more than 2^64 bytes, but a
 * corrupt or exotic statvfs answer must not wrap into a small number. */
static uint64_t mul_sat(uint64_t a, uint64_t b)
{
    uint64_t p;

    if (__builtin_mul_overflow(a, b, &p))
        return UINT64_MAX;
    return p;
}

/* Used space in percent with one decimal, as df computes Use%: used blocks
 * over the blocks an unprivileged user could have, so the reserve for root
 * does not count as free. 0 for filesystems without blocks (/proc). */
static double used_percent(const struct statvfs *st)
{
    uint64_t used, denom;
    double tenths;

    used = st->f_blocks >= st->f_bfree ? st->f_blocks - st->f_bfree : 0;
    denom = used + st->f_bavail;
    if (denom == 0 || denom < used)
        return 0;
    tenths = 1000.0 * (double)used / (double)denom;
    return (double)(uint64_t)(tenths + 0.5) / 10.0;
}

/* Below a threshold: seed 001's description, which for unhealthy is also
 * the error, so that formats showing only errors still say why. */
static void report_low(vitals_result_t *r, const disk_t *d,
                       vitals_status_t status, uint64_t limit_bytes,
                       uint64_t free_bytes)
{
    char *text = NULL;

    if (asprintf(&text,
                 "Minimum configured megabytes for %s is %llu but actual "
                 "free space is %llu megabytes",
                 d->path, (unsigned long long)(limit_bytes / MEGABYTE),
                 (unsigned long long)(free_bytes / MEGABYTE)) < 0) {
        vitals_result_set_error(r, "out of memory");
        return;
    }
    vitals_result_set_status(r, status);
    vitals_result_set_description(r, "%s", text);
    if (status == VITALS_UNHEALTHY)
        vitals_result_set_error(r, "%s", text);
    free(text);
}

static void disk_report(const disk_t *d, vitals_result_t *r,
                        uint64_t free_bytes, uint64_t total_bytes)
{
    if (d->has_unhealthy && free_bytes < d->unhealthy_below) {
        report_low(r, d, VITALS_UNHEALTHY, d->unhealthy_below, free_bytes);
    } else if (free_bytes < d->degraded_below) {
        report_low(r, d, VITALS_DEGRADED, d->degraded_below, free_bytes);
    } else {
        vitals_result_set_status(r, VITALS_HEALTHY);
        vitals_result_set_description(
            r, "%llu megabytes free of %llu on %s",
            (unsigned long long)(free_bytes / MEGABYTE),
            (unsigned long long)(total_bytes / MEGABYTE), d->path);
    }
}

static void disk_run(void *state, vitals_result_t *r)
{
    const disk_t *d = state;
    struct statvfs st;
    uint64_t frsize, free_bytes, total_bytes;
    char ebuf[128];

    if (statvfs(d->path, &st) != 0) {
        int err = errno;
        vitals_result_set_error(r, "cannot stat %s: %s", d->path,
                                strerror_r(err, ebuf, sizeof(ebuf)));
        return;
    }
    /* f_frsize is the unit of the block counts; a few old filesystems
     * leave it 0 and mean f_bsize. */
    frsize = st.f_frsize ? st.f_frsize : st.f_bsize;
    free_bytes = mul_sat(st.f_bavail, frsize);
    total_bytes = mul_sat(st.f_blocks, frsize);

    if (vitals_result_set_int(r, "freeMegabytes",
                              (int64_t)(free_bytes / MEGABYTE)) < 0 ||
        vitals_result_set_int(r, "totalMegabytes",
                              (int64_t)(total_bytes / MEGABYTE)) < 0) {
        vitals_result_set_error(r, "out of memory");
        return;
    }
    vitals_result_observe(r, "utilization", used_percent(&st), "%");
    disk_report(d, r, free_bytes, total_bytes);
}

const vcheck_type_t vcheck_disk = {
    .name = "disk",
    .component_type = "system",
    .configure = disk_configure,
    .run = disk_run,
    .free = disk_free,
};
