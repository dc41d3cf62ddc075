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

typedef struct disk {
    char *path;
    uint64_t degraded_below;  /* bytes */
    uint64_t unhealthy_below; /* bytes; 0: not set */
} disk_t;

static const vsetting_t disk_settings[] = {
    {.key = "path", .kind = VSET_STR, .offset = offsetof(disk_t, path),
     .flags = VSET_REQUIRED | VSET_NONEMPTY},
    {.key = "degraded_below", .kind = VSET_SIZE,
     .offset = offsetof(disk_t, degraded_below), .def = "512MB"},
    {.key = "unhealthy_below", .kind = VSET_SIZE,
     .offset = offsetof(disk_t, unhealthy_below)},
    {0}};

/* With unhealthy at or above degraded, degraded could never be reported:
 * that is a mistake in the configuration, not a wish. */
static int disk_prepare(void *state, vnode_t *settings, verrs_t *e)
{
    const disk_t *d = state;

    if (vnode_get(settings, "unhealthy_below") == NULL ||
        d->unhealthy_below < d->degraded_below)
        return 0;
    verrs_add(e, vnode_get(settings, "unhealthy_below"),
              "'unhealthy_below' (%s) must be below 'degraded_below' (%s)",
              vset_text(disk_settings, settings, "unhealthy_below"),
              vset_text(disk_settings, settings, "degraded_below"));
    return -1;
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
    if (free_bytes < d->unhealthy_below) {
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
    .settings = disk_settings,
    .state_size = sizeof(disk_t),
    .prepare = disk_prepare,
    .run = disk_run,
};
