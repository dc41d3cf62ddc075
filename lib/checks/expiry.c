/* expiry.c - the "expiry" check type: days left until a date (a licence, a
 * contract, a token), given in the configuration or read from a file at
 * each run; seed 001's licence check. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* timegm; the GNU strerror_r, which returns the text */
#endif

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "checks/check_type.h"

#define DAY_S 86400LL
/* The first line of a date file is short; more is not a date file. */
#define LINE_MAX_BYTES 256

#define DATE_SYNTAX                                                          \
    "an ISO 8601 date such as 2027-05-13 or date-time such as "              \
    "2027-05-13T00:00:00Z"

/* An expiration, as parsed. */
typedef struct when {
    int64_t t;     /* seconds since the epoch */
    int date_only; /* a date without a time: the start of that day, UTC */
    char shown[32]; /* "2027-05-13", or "2027-05-13T10:00:00Z" in UTC */
    char iso[32];   /* expirationDate: "2027-05-13T00:00:00" (seed 001) */
} when_t;

typedef struct expiry {
    when_t date; /* when configured with date */
    char *file;  /* when configured with file */
    int64_t degraded_within_ms;
} expiry_t;


/* ------------------------------------------------------------------------
 * ISO 8601
 */

/* n digits at *p into *out, advancing *p. 0, or -1. */
static int digits(const char **p, int n, int *out)
{
    int v = 0, i;

    for (i = 0; i < n; i++) {
        if ((*p)[i] < '0' || (*p)[i] > '9')
            return -1;
        v = v * 10 + ((*p)[i] - '0');
    }
    *p += n;
    *out = v;
    return 0;
}

static int days_in_month(int y, int m)
{
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

    return m == 2 && leap ? 29 : days[m - 1];
}

/* "+02:00", "-0530", "+02", "Z" at p into *offset_s (east positive). */
static int parse_zone(const char *p, int *offset_s)
{
    int sign, hh, mm = 0;

    if ((p[0] == 'Z' || p[0] == 'z') && p[1] == '\0') {
        *offset_s = 0;
        return 0;
    }
    if (p[0] != '+' && p[0] != '-')
        return -1;
    sign = p[0] == '-' ? -1 : 1;
    p++;
    if (digits(&p, 2, &hh) != 0)
        return -1;
    if (*p == ':')
        p++;
    if (*p && digits(&p, 2, &mm) != 0)
        return -1;
    if (*p || hh > 23 || mm > 59)
        return -1;
    *offset_s = sign * (hh * 3600 + mm * 60);
    return 0;
}

/* "2027-05-13", or a date-time "2027-05-13T10:00[:00[.123]][Z|+02:00]"
 * ('t' or a space also separate; no zone means UTC). 0, or -1. */
static int parse_when(const char *s, when_t *w)
{
    const char *p = s;
    struct tm tm = {0}, utc;
    int y, mo, d, h = 0, mi = 0, sec = 0, offset = 0;
    time_t t;

    memset(w, 0, sizeof(*w));
    if (digits(&p, 4, &y) != 0 || *p++ != '-' || digits(&p, 2, &mo) != 0 ||
        *p++ != '-' || digits(&p, 2, &d) != 0)
        return -1;
    if (mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo))
        return -1;
    if (*p == '\0') {
        w->date_only = 1;
    } else {
        if (*p != 'T' && *p != 't' && *p != ' ')
            return -1;
        p++;
        if (digits(&p, 2, &h) != 0 || *p++ != ':' || digits(&p, 2, &mi) != 0)
            return -1;
        if (*p == ':') {
            p++;
            if (digits(&p, 2, &sec) != 0)
                return -1;
            if (*p == '.' || *p == ',') { /* a fraction: below the day */
                p++;
                if (*p < '0' || *p > '9')
                    return -1;
                while (*p >= '0' && *p <= '9')
                    p++;
            }
        }
        if (h > 23 || mi > 59 || sec > 59)
            return -1;
        if (*p && parse_zone(p, &offset) != 0)
            return -1;
    }
    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    tm.tm_hour = h;
    tm.tm_min = mi;
    tm.tm_sec = sec;
    t = timegm(&tm);
    w->t = (int64_t)t - offset;
    if (w->date_only) {
        snprintf(w->shown, sizeof(w->shown), "%04d-%02d-%02d", y, mo, d);
        snprintf(w->iso, sizeof(w->iso), "%04d-%02d-%02dT00:00:00", y, mo,
                 d);
        return 0;
    }
    t = (time_t)w->t;
    if (!gmtime_r(&t, &utc) ||
        strftime(w->shown, sizeof(w->shown), "%Y-%m-%dT%H:%M:%SZ", &utc) ==
            0)
        return -1;
    memcpy(w->iso, w->shown, sizeof(w->iso));
    return 0;
}

/* ------------------------------------------------------------------------
 * Configuration
 */

static int parse_date(vnode_t *node, void *field, verrs_t *e)
{
    const char *date;

    if (vnode_as_str(node, "date", &date, e) != 0)
        return -1;
    if (parse_when(date, field) != 0) {
        verrs_add(e, node, "'date': expected " DATE_SYNTAX ", got \"%.60s\"",
                  date);
        return -1;
    }
    return 0;
}

/* Seed 001: healthy with more than 14 days left, degraded up to 14. */
static const vsetting_t expiry_settings[] = {
    {.key = "date", .kind = VSET_CUSTOM, .offset = offsetof(expiry_t, date),
     .flags = VSET_ONEOF, .parse = parse_date},
    {.key = "file", .kind = VSET_STR, .offset = offsetof(expiry_t, file),
     .flags = VSET_ONEOF | VSET_NONEMPTY},
    {.key = "degraded_within", .kind = VSET_DURATION,
     .offset = offsetof(expiry_t, degraded_within_ms), .def = "14d"},
    {0}};

/* ------------------------------------------------------------------------
 * Running
 */

/* The first line of path, trimmed, into buf. 0, or -1 with why set. The
 * file is opened non-blocking and must be a regular file: a FIFO or a
 * device put there by mistake would otherwise hang the run. */
static int read_first_line(const char *path, char *buf, size_t len, char *why,
                           size_t wlen)
{
    struct stat st;
    char ebuf[128], *start, *end;
    ssize_t n;
    int fd, err;

    fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
        err = errno;
        snprintf(why, wlen, "cannot read %s: %s", path,
                 strerror_r(err, ebuf, sizeof(ebuf)));
        return -1;
    }
    err = fstat(fd, &st) != 0 ? errno : 0;
    if (err || !S_ISREG(st.st_mode)) {
        snprintf(why, wlen, "cannot read %s: %s", path,
                 err ? strerror_r(err, ebuf, sizeof(ebuf))
                     : "not a regular file");
        close(fd);
        return -1;
    }
    do {
        n = read(fd, buf, len - 1);
    } while (n < 0 && errno == EINTR);
    err = errno;
    close(fd);
    if (n < 0) {
        snprintf(why, wlen, "cannot read %s: %s", path,
                 strerror_r(err, ebuf, sizeof(ebuf)));
        return -1;
    }
    buf[n] = '\0';
    start = buf;
    /* A UTF-8 byte order mark, as some editors write. */
    if ((unsigned char)start[0] == 0xEF && (unsigned char)start[1] == 0xBB &&
        (unsigned char)start[2] == 0xBF)
        start += 3;
    if ((end = strchr(start, '\n')))
        *end = '\0';
    while (*start == ' ' || *start == '\t')
        start++;
    end = start + strlen(start);
    while (end > start && (end[-1] == ' ' || end[-1] == '\t' ||
                           end[-1] == '\r'))
        *--end = '\0';
    memmove(buf, start, strlen(start) + 1);
    return 0;
}

/* Floor division: -1 second is day -1, not day 0. */
static int64_t floor_days(int64_t s)
{
    return s >= 0 ? s / DAY_S : -((-s + DAY_S - 1) / DAY_S);
}

static void report(const expiry_t *x, vitals_result_t *r, const when_t *w)
{
    struct timespec now;
    int64_t ref, left, days, ago;
    char text[96];

    clock_gettime(CLOCK_REALTIME, &now);
    /* A date is a whole day: count from the start of today, so that the
     * days left are whole too and the date itself is day 0 (expired), as
     * in seed 001. A date-time counts from now. */
    ref = (int64_t)now.tv_sec;
    if (w->date_only)
        ref = floor_days(ref) * DAY_S;
    left = w->t - ref;
    days = floor_days(left);

    if (vitals_result_set_int(r, "remainingDays", days) < 0 ||
        vitals_result_set_string(r, "expirationDate", w->iso) < 0) {
        vitals_result_set_error(r, "out of memory");
        return;
    }
    if (left <= 0) {
        /* The error says it too: some formats show only errors. */
        ago = floor_days(-left);
        if (ago == 0)
            snprintf(text, sizeof(text), "expired %s (%s)",
                     w->date_only ? "today" : "less than a day ago",
                     w->shown);
        else
            snprintf(text, sizeof(text), "expired %lld day%s ago (%s)",
                     (long long)ago, ago == 1 ? "" : "s", w->shown);
        vitals_result_set_status(r, VITALS_UNHEALTHY);
        vitals_result_set_description(r, "%s", text);
        vitals_result_set_error(r, "%s", text);
        return;
    }
    if (days == 0)
        vitals_result_set_description(r, "expires in less than a day (%s)",
                                      w->shown);
    else
        vitals_result_set_description(r, "expires in %lld day%s (%s)",
                                      (long long)days, days == 1 ? "" : "s",
                                      w->shown);
    vitals_result_set_status(r, left * 1000 <= x->degraded_within_ms
                                    ? VITALS_DEGRADED
                                    : VITALS_HEALTHY);
}

static void expiry_run(void *state, vitals_result_t *r)
{
    const expiry_t *x = state;
    char line[LINE_MAX_BYTES], why[LINE_MAX_BYTES + 256];
    when_t w;

    if (!x->file) {
        report(x, r, &x->date);
        return;
    }
    if (read_first_line(x->file, line, sizeof(line), why, sizeof(why)) != 0) {
        vitals_result_set_error(r, "%s", why);
    } else if (line[0] == '\0') {
        vitals_result_set_error(r, "%s:1: expected " DATE_SYNTAX
                                   ", got an empty line",
                                x->file);
    } else if (parse_when(line, &w) != 0) {
        vitals_result_set_error(r,
                                "%s:1: expected " DATE_SYNTAX
                                ", got \"%.60s\"",
                                x->file, line);
    } else {
        report(x, r, &w);
    }
}

const vcheck_type_t vcheck_expiry = {
    .name = "expiry",
    .component_type = "component",
    .settings = expiry_settings,
    .state_size = sizeof(expiry_t),
    .run = expiry_run,
};
