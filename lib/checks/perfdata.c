/* perfdata.c - splits Nagios plugin output into its status line and its
 * performance data, and parses the performance data into JSON. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* strtod_l, newlocale */
#endif

#include "checks/perfdata.h"
#include "util/utf8.h"

#include <errno.h>
#include <locale.h>
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define NFIELDS 5 /* value[UOM];warn;crit;min;max */
#define MAX_NUMBER 64 /* longer numbers are not numbers a plugin writes */

typedef struct span {
    const char *p;
    size_t n;
} span_t;

/* ------------------------------------------------------------------------
 * Text
 */

/* NUL counts as white space so that stray NULs in plugin output separate
 * items instead of hiding what follows them. */
static int is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' ||
           c == '\f' || c == '\0';
}

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* 1 when s is valid UTF-8 without control characters. */
static int printable_utf8(const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0, k;

    while (i < n) {
        if (p[i] < 0x20 || p[i] == 0x7f)
            return 0;
        k = vutf8_seq(p + i, n - i);
        if (k == 0)
            return 0;
        i += k;
    }
    return 1;
}

/* A new string: s made valid UTF-8 (U+FFFD for each bad byte), control
 * characters turned into spaces, spaces trimmed at both ends. */
static char *clean_text(const char *s, size_t n)
{
    char *out = vutf8_clean(s, n, 1);
    size_t o, start;

    if (out == NULL)
        return NULL;
    o = strlen(out);
    while (o > 0 && out[o - 1] == ' ')
        o--;
    for (start = 0; start < o && out[start] == ' '; start++)
        ;
    memmove(out, out + start, o - start);
    out[o - start] = '\0';
    return out;
}

/* ------------------------------------------------------------------------
 * Splitting the output
 */

int vperfdata_split(const char *output, size_t len, char **summary,
                    char **perf)
{
    const char *end, *eol, *bar, *rest, *bar2, *perf2;
    size_t n1, n2, total, i;
    char *p;

    if (!summary || !perf || (!output && len > 0))
        return -1;
    *summary = NULL;
    *perf = NULL;
    if (len == 0)
        output = "";
    end = output + len;

    /* The first line: TEXT | PERF. */
    eol = memchr(output, '\n', len);
    if (!eol)
        eol = end;
    bar = memchr(output, '|', (size_t)(eol - output));
    n1 = bar ? (size_t)(eol - bar - 1) : 0;

    /* The long text: everything after its first '|' is performance data,
     * whatever lines it spans. */
    rest = eol < end ? eol + 1 : end;
    bar2 = memchr(rest, '|', (size_t)(end - rest));
    perf2 = bar2 ? bar2 + 1 : end;
    n2 = (size_t)(end - perf2);

    total = n1 + (n2 > 0 ? 1 + n2 : 0);
    p = malloc(total + 1);
    if (!p)
        return -1;
    if (n1 > 0)
        memcpy(p, bar + 1, n1);
    if (n2 > 0) {
        p[n1] = '\n';
        memcpy(p + n1 + 1, perf2, n2);
    }
    p[total] = '\0';
    /* Callers read the text up to its NUL: keep a stray NUL in the output
     * from hiding the items after it. */
    for (i = 0; i < total; i++) {
        if (p[i] == '\0')
            p[i] = ' ';
    }

    *summary = clean_text(output, (size_t)((bar ? bar : eol) - output));
    if (!*summary) {
        free(p);
        return -1;
    }
    *perf = p;
    return 0;
}

/* ------------------------------------------------------------------------
 * Numbers and ranges
 */

/* The length of the number at the start of s: [-+]digits[.digits][e[-+]
 * digits], or .digits; 0 when there is none. Plugins write plain decimal
 * numbers; "inf", "nan" and hexadecimal are not theirs, so not accepted. */
static size_t scan_number(const char *s, size_t n)
{
    size_t i = 0, digits = 0, j;

    if (i < n && (s[i] == '-' || s[i] == '+'))
        i++;
    while (i < n && is_digit(s[i]))
        i++, digits++;
    if (i < n && s[i] == '.') {
        i++;
        while (i < n && is_digit(s[i]))
            i++, digits++;
    }
    if (digits == 0)
        return 0;
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        j = i + 1;
        if (j < n && (s[j] == '-' || s[j] == '+'))
            j++;
        if (j < n && is_digit(s[j])) {
            while (j < n && is_digit(s[j]))
                j++;
            i = j;
        }
    }
    return i;
}

static locale_t c_locale;
static pthread_once_t c_locale_once = PTHREAD_ONCE_INIT;

static void c_locale_init(void)
{
    c_locale = newlocale(LC_NUMERIC_MASK, "C", (locale_t)0);
}

/* strtod in the C locale: an application that called setlocale() must not
 * turn "0.39" into 0 because its decimal separator is a comma. */
static double strtod_c(const char *s, char **end)
{
    pthread_once(&c_locale_once, c_locale_init);
    if (c_locale != (locale_t)0)
        return strtod_l(s, end, c_locale);
    return strtod(s, end);
}

/* The JSON number for the n bytes at s, which scan_number accepted whole:
 * an integer when written as one (so "0" stays 0, not 0.0), else a real.
 * NULL when it does not fit a double or when out of memory. */
static json_t *number_json(const char *s, size_t n)
{
    char buf[MAX_NUMBER + 1], *end;
    long long i;
    double d;

    if (n == 0 || n > MAX_NUMBER)
        return NULL;
    memcpy(buf, s, n);
    buf[n] = '\0';
    if (!strpbrk(buf, ".eE")) {
        errno = 0;
        i = strtoll(buf, &end, 10);
        if (errno == 0 && *end == '\0')
            return json_integer(i);
    }
    d = strtod_c(buf, &end);
    if (*end != '\0' || !isfinite(d))
        return NULL;
    return json_real(d);
}

/* warn and crit: [@][start:][end], start may be "~" (minus infinity). */
static int range_ok(const char *s, size_t n)
{
    const char *colon;
    size_t a, b;

    if (n > 0 && s[0] == '@')
        s++, n--;
    if (n == 0)
        return 0;
    colon = memchr(s, ':', n);
    if (!colon)
        return scan_number(s, n) == n;
    a = (size_t)(colon - s);
    b = n - a - 1;
    if (a == 0 && b == 0)
        return 0;
    if (a > 0 && !(a == 1 && s[0] == '~') && scan_number(s, a) != a)
        return 0;
    return b == 0 || scan_number(colon + 1, b) == b;
}

/* Units are words such as s, ms, %, B, KiB, c, MB/s or a degree sign: no
 * digits, no punctuation that would make them part of something else. */
static int unit_ok(const char *s, size_t n)
{
    size_t i;

    if (n == 0 || n > VPERFDATA_MAX_UNIT)
        return 0;
    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '%' ||
              c == '/' || c >= 0x80))
            return 0;
    }
    return printable_utf8(s, n);
}

/* ------------------------------------------------------------------------
 * Items
 */

/* Reads a label, quoted or not, and the '=' after it, into buf (NUL-
 * terminated). Returns 1 with *pp just past the '=', or 0 (malformed) with
 * *pp where reading stopped. */
static int read_label(const char **pp, const char *end, char *buf)
{
    const char *p = *pp;
    size_t n = 0;
    int fits = 1;

    if (*p == '\'') {
        for (p++;; p++) {
            if (p == end) {
                *pp = end; /* unterminated: nothing after it is an item */
                return 0;
            }
            if (*p == '\'') {
                if (p + 1 == end || p[1] != '\'')
                    break;
                p++; /* '' is a literal quote */
            }
            if (n < VPERFDATA_MAX_LABEL)
                buf[n++] = *p;
            else
                fits = 0;
        }
        p++; /* the closing quote */
    } else {
        for (; p < end && *p != '=' && !is_space(*p); p++) {
            if (n < VPERFDATA_MAX_LABEL)
                buf[n++] = *p;
            else
                fits = 0;
        }
    }
    *pp = p;
    if (p == end || *p != '=')
        return 0;
    *pp = p + 1;
    if (!fits || n == 0 || !printable_utf8(buf, n))
        return 0;
    buf[n] = '\0';
    return 1;
}

/* Splits s at ';' into at most NFIELDS fields; returns how many, or
 * NFIELDS + 1 when there are more. */
static size_t split_fields(const char *s, size_t n, span_t *f)
{
    size_t nf = 0;
    const char *end = s + n, *semi;

    for (;;) {
        if (nf == NFIELDS)
            return NFIELDS + 1;
        semi = memchr(s, ';', (size_t)(end - s));
        f[nf].p = s;
        f[nf].n = (size_t)((semi ? semi : end) - s);
        nf++;
        if (!semi)
            return nf;
        s = semi + 1;
    }
}

/* Adds key: value to o, taking value. 0, or -1 when out of memory. */
static int put(json_t *o, const char *key, json_t *value)
{
    if (!value)
        return -1;
    return json_object_set_new(o, key, value);
}

/* Fills o from the value part of an item ("0.39s;5;10;0;100"). Returns 1,
 * 0 when malformed, -1 when out of memory. */
static int fill_item(json_t *o, const char *s, size_t n)
{
    static const char *const range_keys[] = {"warn", "crit"};
    static const char *const limit_keys[] = {"min", "max"};
    span_t f[NFIELDS];
    size_t nf, k, i;
    json_t *num;

    nf = split_fields(s, n, f);
    if (nf > NFIELDS)
        return 0;

    if (f[0].n == 1 && f[0].p[0] == 'U') {
        if (put(o, "value", json_null()) < 0)
            return -1;
    } else {
        k = scan_number(f[0].p, f[0].n);
        if (k == 0 || (k < f[0].n && !unit_ok(f[0].p + k, f[0].n - k)))
            return 0;
        num = number_json(f[0].p, k);
        if (!num)
            return 0;
        if (put(o, "value", num) < 0)
            return -1;
        if (k < f[0].n &&
            put(o, "unit", json_stringn(f[0].p + k, f[0].n - k)) < 0)
            return -1;
    }

    for (i = 0; i < 2 && 1 + i < nf; i++) {
        span_t r = f[1 + i];
        if (r.n == 0)
            continue;
        if (!range_ok(r.p, r.n))
            return 0;
        if (put(o, range_keys[i], json_stringn(r.p, r.n)) < 0)
            return -1;
    }

    for (i = 0; i < 2 && 3 + i < nf; i++) {
        span_t m = f[3 + i];
        if (m.n == 0)
            continue;
        if (scan_number(m.p, m.n) != m.n)
            return 0;
        num = number_json(m.p, m.n);
        if (!num)
            return 0;
        if (put(o, limit_keys[i], num) < 0)
            return -1;
    }
    return 1;
}

/* Parses the item at *pp and adds it to out. Returns 1 when added, 0 when
 * skipped, -1 when out of memory; *pp always moves forward. */
static int parse_item(const char **pp, const char *end, json_t *out)
{
    char label[VPERFDATA_MAX_LABEL + 1];
    const char *start = *pp, *p = *pp, *vend;
    json_t *item;
    int rc;

    if (!read_label(&p, end, label)) {
        while (p < end && !is_space(*p))
            p++;
        *pp = p > start ? p : start + 1;
        return 0;
    }
    for (vend = p; vend < end && !is_space(*vend); vend++)
        ;
    *pp = vend;

    item = json_object();
    if (!item)
        return -1;
    rc = fill_item(item, p, (size_t)(vend - p));
    if (rc <= 0 || json_object_get(out, label)) {
        json_decref(item);
        return rc < 0 ? -1 : 0;
    }
    return json_object_set_new(out, label, item) < 0 ? -1 : 1;
}

int vperfdata_parse(const char *text, size_t len, json_t *out)
{
    const char *p, *end;
    int added = 0, rc;

    if (!json_is_object(out) || (!text && len > 0))
        return -1;
    if (len == 0)
        return 0;
    p = text;
    end = text + len;
    while (added < VPERFDATA_MAX_ITEMS) {
        while (p < end && is_space(*p))
            p++;
        if (p == end)
            break;
        rc = parse_item(&p, end, out);
        if (rc < 0)
            return -1;
        added += rc;
    }
    return added;
}
