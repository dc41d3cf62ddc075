/* system.c - the "system" check type: available memory and load per CPU of
 * the machine, each against a degraded and an unhealthy level. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* the GNU strerror_r, which returns the text */
#endif

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "checks/check_type.h"

#define MEM_KEY "memory_available_below"
#define LOAD_KEY "load_per_core_above"

/* Tests only: where meminfo and loadavg are read (NULL: /proc), and how
 * many CPUs to divide by (0: those online), so that tests can feed fixed
 * numbers. Not a setting: no user needs a fake /proc. */
void vcheck_system_test_hook(const char *root, long cores);

static const char *proc_root = "/proc";
static long fixed_cores;

void vcheck_system_test_hook(const char *root, long cores)
{
    proc_root = root ? root : "/proc";
    fixed_cores = cores;
}

/* One measurement's levels. Memory is bad below them, load above. */
typedef struct levels {
    int set;           /* the key was given */
    int has_degraded;  /* degraded was given */
    int has_unhealthy; /* unhealthy was given */
    double degraded, unhealthy;
} levels_t;

typedef struct sys {
    levels_t mem;  /* percent of MemTotal available */
    levels_t load; /* 1-minute load average per online CPU */
} sys_t;


/* ------------------------------------------------------------------------
 * Configuration
 */

/* What a value is, for "got ...". */
static void describe(const vnode_t *v, char *buf, size_t len)
{
    if (v->kind == VNODE_SEQ)
        snprintf(buf, len, "a list");
    else if (v->kind == VNODE_MAP)
        snprintf(buf, len, "a map");
    else if (v->quoted)
        snprintf(buf, len, "the string \"%.48s\"", v->str);
    else
        snprintf(buf, len, "\"%.48s\"", v->str);
}

/* A plain number: [-+]digits[.digits][e[-+]digits], as vnode_double takes
 * it (no inf, nan or hex, which strtod would). */
static int parse_number(const vnode_t *v, double *out)
{
    const char *s;
    char *end;
    int digits = 0;

    if (v->kind != VNODE_SCALAR || v->quoted || v->null || !v->str)
        return -1;
    s = v->str;
    if (*s == '-' || *s == '+')
        s++;
    for (; *s >= '0' && *s <= '9'; s++)
        digits++;
    if (*s == '.')
        for (s++; *s >= '0' && *s <= '9'; s++)
            digits++;
    if (digits == 0)
        return -1;
    if (*s == 'e' || *s == 'E') {
        s++;
        if (*s == '-' || *s == '+')
            s++;
        if (*s < '0' || *s > '9')
            return -1;
        while (*s >= '0' && *s <= '9')
            s++;
    }
    if (*s != '\0')
        return -1;
    errno = 0;
    *out = strtod(v->str, &end);
    return errno == ERANGE && (*out > 1 || *out < -1) ? -1 : 0;
}

/* One level ("degraded" or "unhealthy") of map (the value of parent).
 * percent: above 0 and at most 100; otherwise above 0. The message names
 * the key with its parent: both measurements have the same two keys. */
static int read_level(vnode_t *map, const char *parent, const char *key,
                      int percent, double *out, int *has, verrs_t *e)
{
    vnode_t *v = vnode_get(map, key);
    char got[80];
    double x;

    if (!v)
        return 0;
    if (parse_number(v, &x) == 0 && x > 0 && (!percent || x <= 100)) {
        *out = x;
        *has = 1;
        return 0;
    }
    describe(v, got, sizeof(got));
    verrs_add(e, v, "'%s.%s': expected a number above 0%s, got %s", parent,
              key, percent ? " and at most 100" : "", got);
    return -1;
}

/* settings[key]: {degraded: x, unhealthy: y}, either or both. below: the
 * measurement is bad below the levels (so unhealthy must be lower). */
static int read_levels(vnode_t *map, const char *key, int below,
                       levels_t *l, verrs_t *e)
{
    char what[64], got[80];
    size_t errors = vitals_errors_count(e);
    int bad = 0;

    l->set = 1;
    if (map->kind != VNODE_MAP) {
        describe(map, got, sizeof(got));
        verrs_add(e, map,
                  "'%s': expected a map of 'degraded' and 'unhealthy' "
                  "levels, got %s",
                  key, got);
        return -1;
    }
    bad |= read_level(map, key, "degraded", below, &l->degraded,
                      &l->has_degraded, e) != 0;
    bad |= read_level(map, key, "unhealthy", below, &l->unhealthy,
                      &l->has_unhealthy, e) != 0;
    snprintf(what, sizeof(what), "'%s'", key);
    vnode_map_done(map, what, e);
    /* An unknown key is as bad as a bad value: "critical: 5" for
     * "unhealthy: 5" must not pass as a check without that level. */
    if (bad || vitals_errors_count(e) != errors)
        return -1;
    if (!l->has_degraded && !l->has_unhealthy) {
        verrs_add(e, map, "'%s': set 'degraded', 'unhealthy' or both", key);
        return -1;
    }
    /* Unhealthy no worse than degraded would hide degraded for good: a
     * mistake in the configuration, not a wish. */
    if (l->has_degraded && l->has_unhealthy &&
        (below ? l->unhealthy >= l->degraded
               : l->unhealthy <= l->degraded)) {
        verrs_add(e, vnode_get(map, "unhealthy"),
                  "'%s.unhealthy' (%s) must be %s '%s.degraded' (%s)", key,
                  vnode_get(map, "unhealthy")->str, below ? "below" : "above",
                  key, vnode_get(map, "degraded")->str);
        return -1;
    }
    return 0;
}

static int parse_mem(vnode_t *node, void *field, verrs_t *e)
{
    return read_levels(node, MEM_KEY, 1, field, e);
}

static int parse_load(vnode_t *node, void *field, verrs_t *e)
{
    return read_levels(node, LOAD_KEY, 0, field, e);
}

static const vsetting_t sys_settings[] = {
    {.key = MEM_KEY, .kind = VSET_CUSTOM, .offset = offsetof(sys_t, mem),
     .parse = parse_mem},
    {.key = LOAD_KEY, .kind = VSET_CUSTOM, .offset = offsetof(sys_t, load),
     .parse = parse_load},
    {0}};

static int sys_prepare(void *state, vnode_t *settings, verrs_t *e)
{
    const sys_t *s = state;

    if (s->mem.set || s->load.set)
        return 0;
    verrs_add(e, settings, "set '" MEM_KEY "', '" LOAD_KEY "' or both");
    return -1;
}

/* ------------------------------------------------------------------------
 * Measuring
 */

/* proc_root/name into buf (NUL-terminated), its path into path. 0, or -1
 * with the error reported into r. */
static int read_proc(const char *name, char *buf, size_t len, char *path,
                     size_t pathlen, vitals_result_t *r)
{
    char ebuf[128];
    size_t n = 0;
    ssize_t got;
    int fd, err = 0;

    snprintf(path, pathlen, "%s/%s", proc_root, name);
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        err = errno;
    } else {
        while (n < len - 1) {
            got = read(fd, buf + n, len - 1 - n);
            if (got < 0 && errno == EINTR)
                continue;
            if (got < 0)
                err = errno;
            if (got <= 0)
                break;
            n += (size_t)got;
        }
        close(fd);
    }
    buf[n] = '\0';
    if (err != 0) {
        vitals_result_set_error(r, "cannot read %s: %s", path,
                                strerror_r(err, ebuf, sizeof(ebuf)));
        return -1;
    }
    return 0;
}

/* The kB value of field ("MemTotal") in meminfo text. 0, or -1 when the
 * line is missing. */
static int meminfo_field(const char *text, const char *field, uint64_t *out)
{
    size_t flen = strlen(field);
    const char *line = text;
    char *end;

    while (line && *line) {
        if (strncmp(line, field, flen) == 0 && line[flen] == ':') {
            errno = 0;
            *out = strtoull(line + flen + 1, &end, 10);
            return end == line + flen + 1 || errno ? -1 : 0;
        }
        line = strchr(line, '\n');
        if (line)
            line++;
    }
    return -1;
}

/* x rounded half up to 1/scale: a reading is compared with its levels as
 * it is shown, so "5.0% is below 5%" cannot happen. */
static double round_to(double x, double scale)
{
    if (!(x * scale < 1e15))
        return x; /* beyond that a double has no decimals to round */
    return (double)(int64_t)(x * scale + 0.5) / scale;
}

/* Available memory in percent of the total, one decimal. */
static int measure_memory(vitals_result_t *r, double *percent)
{
    char text[8192], path[4096];
    uint64_t total, avail;

    if (read_proc("meminfo", text, sizeof(text), path, sizeof(path), r) != 0)
        return -1;
    if (meminfo_field(text, "MemTotal", &total) != 0 || total == 0) {
        vitals_result_set_error(r, "no MemTotal in %s", path);
        return -1;
    }
    /* The kernel's own estimate of what can be allocated without
     * swapping (free, and the caches it can drop): "free" alone would cry
     * wolf on every machine with a warm page cache. */
    if (meminfo_field(text, "MemAvailable", &avail) != 0) {
        vitals_result_set_error(r,
                                "no MemAvailable in %s (Linux 3.14 or later "
                                "has it)",
                                path);
        return -1;
    }
    if (avail > total)
        avail = total;
    *percent = round_to(100.0 * (double)avail / (double)total, 10);
    return 0;
}

/* The 1-minute load average per online CPU, two decimals. */
static int measure_load(vitals_result_t *r, double *per_core, long *cores)
{
    char text[256], path[4096], *end;
    double load;

    if (read_proc("loadavg", text, sizeof(text), path, sizeof(path), r) != 0)
        return -1;
    errno = 0;
    load = strtod(text, &end);
    /* No kernel reports a load of a billion; strtod also takes "inf". */
    if (end == text || errno || !(load >= 0 && load < 1e9)) {
        text[strcspn(text, "\n")] = '\0';
        vitals_result_set_error(r, "cannot parse %s: \"%.40s\"", path, text);
        return -1;
    }
    *cores = fixed_cores > 0 ? fixed_cores : sysconf(_SC_NPROCESSORS_ONLN);
    if (*cores < 1)
        *cores = 1; /* sysconf failed: one CPU is the cautious guess */
    *per_core = round_to(load / (double)*cores, 100);
    return 0;
}

/* ------------------------------------------------------------------------
 * Running
 */

/* How bad value is against l: memory (below) is bad under the levels,
 * load over them. *limit receives the level crossed. */
static vitals_status_t judge(const levels_t *l, int below, double value,
                             double *limit)
{
    if (l->has_unhealthy &&
        (below ? value < l->unhealthy : value > l->unhealthy)) {
        *limit = l->unhealthy;
        return VITALS_UNHEALTHY;
    }
    if (l->has_degraded &&
        (below ? value < l->degraded : value > l->degraded)) {
        *limit = l->degraded;
        return VITALS_DEGRADED;
    }
    return VITALS_HEALTHY;
}

static void sys_run(void *state, vitals_result_t *r)
{
    const sys_t *s = state;
    vitals_status_t status = VITALS_HEALTHY, st;
    /* Each part is short: a percentage, a load below 10^9, a level. */
    char mem[96] = "", load[96] = "";
    double percent = 0, per_core = 0, limit = 0;
    long cores = 0;
    int oom = 0;

    if (s->mem.set && measure_memory(r, &percent) != 0)
        return;
    if (s->load.set && measure_load(r, &per_core, &cores) != 0)
        return;

    if (s->mem.set) {
        st = judge(&s->mem, 1, percent, &limit);
        if (st != VITALS_HEALTHY)
            snprintf(mem, sizeof(mem),
                     "memory available %.1f%% is below %g%%", percent, limit);
        else
            snprintf(mem, sizeof(mem), "memory available %.1f%%", percent);
        status = st > status ? st : status;
        oom |= vitals_result_set_double(r, "memoryAvailablePercent",
                                        percent) < 0;
        vitals_result_observe(r, "memoryAvailable", percent, "%");
    }
    if (s->load.set) {
        st = judge(&s->load, 0, per_core, &limit);
        if (st != VITALS_HEALTHY)
            snprintf(load, sizeof(load), "load per core %.2f is above %g",
                     per_core, limit);
        else
            snprintf(load, sizeof(load), "load per core %.2f", per_core);
        status = st > status ? st : status;
        oom |= vitals_result_set_double(r, "loadPerCore", per_core) < 0;
        oom |= vitals_result_set_int(r, "cores", cores) < 0;
        if (!s->mem.set)
            vitals_result_observe(r, "loadPerCore", per_core, NULL);
    }
    if (oom) {
        vitals_result_set_error(r, "out of memory");
        return;
    }
    vitals_result_set_status(r, status);
    vitals_result_set_description(r, "%s%s%s", mem,
                                  mem[0] && load[0] ? ", " : "", load);
    /* The error too, so that formats showing only errors still say why. */
    if (status == VITALS_UNHEALTHY)
        vitals_result_set_error(r, "%s%s%s", mem,
                                mem[0] && load[0] ? ", " : "", load);
}

const vcheck_type_t vcheck_system = {
    .name = "system",
    .component_type = "system",
    .settings = sys_settings,
    .state_size = sizeof(sys_t),
    .prepare = sys_prepare,
    .run = sys_run,
};
