/* scalars.c - the syntax of configuration scalars: YAML 1.2 core
 * integers, reals and booleans, durations ("1m30s") and sizes ("512MB"),
 * each parsed exactly, without the locale or floating point rounding. */
#include "config/scalars.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/vnode.h"

/* ASCII-only, so the locale cannot change what "true" means. */
static int eq_nocase(const char *a, const char *b)
{
    for (; *a != '\0' && *b != '\0'; a++, b++) {
        char x = (*a >= 'A' && *a <= 'Z') ? (char)(*a - 'A' + 'a') : *a;
        char y = (*b >= 'A' && *b <= 'Z') ? (char)(*b - 'A' + 'a') : *b;
        if (x != y)
            return 0;
    }
    return *a == *b;
}

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* ------------------------------------------------------------------------
 * Number syntax, shared by the getters and the dump
 */

/* YAML 1.2 core integers: [-+]?[0-9]+ (no hex, octal or underscores). */
static int is_int_text(const char *s)
{
    if (*s == '-' || *s == '+')
        s++;
    if (!is_digit(*s))
        return 0;
    while (is_digit(*s))
        s++;
    return *s == '\0';
}

/* [-+]?(digits[.digits?] | .digits)([eE][-+]?digits)? - no inf or nan. */
int vscalar_is_real(const char *s)
{
    int digits = 0;
    if (*s == '-' || *s == '+')
        s++;
    for (; is_digit(*s); s++)
        digits++;
    if (*s == '.')
        for (s++; is_digit(*s); s++)
            digits++;
    if (digits == 0)
        return 0;
    if (*s == 'e' || *s == 'E')
        return is_int_text(s + 1); /* the exponent: [-+]?digits */
    return *s == '\0';
}

int vscalar_int(const char *s, int64_t *out)
{
    if (!is_int_text(s))
        return NUM_SYNTAX;
    errno = 0;
    long long v = strtoll(s, NULL, 10);
    if (errno == ERANGE) /* long long is 64 bits wherever we build */
        return NUM_RANGE;
    *out = (int64_t)v;
    return NUM_OK;
}

int vscalar_real(const char *s, double *out)
{
    if (!vscalar_is_real(s))
        return NUM_SYNTAX;
    double v = strtod(s, NULL);
    if (!isfinite(v))
        return NUM_RANGE; /* an underflow to 0 or a denormal is fine */
    *out = v;
    return NUM_OK;
}

int vscalar_is_bool(const char *s, int *out)
{
    if (eq_nocase(s, "true"))
        *out = 1;
    else if (eq_nocase(s, "false"))
        *out = 0;
    else
        return 0;
    return 1;
}

/* ------------------------------------------------------------------------
 * Durations and sizes
 */

typedef struct unit {
    const char *name;
    uint64_t factor;
} unit_t;

static const unit_t duration_units[] = {
    {"ms", 1}, {"s", 1000}, {"m", 60000}, {"h", 3600000}, {"d", 86400000},
    {NULL, 0}};

static const unit_t size_units[] = {
    {"B", 1},
    {"kB", 1000},
    {"KB", 1000},
    {"MB", 1000000},
    {"GB", 1000000000},
    {"TB", 1000000000000},
    {"KiB", (uint64_t)1 << 10},
    {"MiB", (uint64_t)1 << 20},
    {"GiB", (uint64_t)1 << 30},
    {"TiB", (uint64_t)1 << 40},
    {NULL, 0}};

/* round(0.<digits> * factor) without overflow or floating point: divide by
 * ten once per digit, from the last digit to the first. Each quotient is
 * exact (a fraction below one cannot carry past a multiple of ten), and the
 * final remainder decides the rounding, half up. */
static uint64_t scale_fraction(const char *digits, size_t n, uint64_t factor)
{
    uint64_t acc = 0, rem = 0;
    for (size_t i = n; i-- > 0;) {
        uint64_t m = (uint64_t)(digits[i] - '0') * factor + acc;
        acc = m / 10;
        rem = m % 10;
    }
    return acc + (rem >= 5);
}

static int is_letter(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* The factor of the unit spelt by the len letters at u, or 0. */
static uint64_t unit_factor(const unit_t *units, const char *u, size_t len)
{
    for (; units->name != NULL; units++)
        if (strlen(units->name) == len && memcmp(units->name, u, len) == 0)
            return units->factor;
    return 0;
}

/* One term "<digits>[.<digits>]<unit>" at *sp: the unit is the run of
 * letters after the number, one of units (none: factor 1 when unitless
 * and the number is whole). Sets *out (at most limit) and *factor, and
 * moves *sp past the term. */
static int parse_term(const char **sp, const unit_t *units, int unitless,
                      uint64_t limit, uint64_t *out, uint64_t *factor)
{
    const char *s = *sp;
    if (!is_digit(*s))
        return NUM_SYNTAX;
    uint64_t whole = 0;
    int overflow = 0;
    for (; is_digit(*s); s++) {
        uint64_t d = (uint64_t)(*s - '0');
        if (whole > (UINT64_MAX - d) / 10)
            overflow = 1;
        else
            whole = whole * 10 + d;
    }
    const char *frac = s;
    size_t nfrac = 0;
    if (*s == '.') {
        frac = ++s;
        while (is_digit(*s))
            s++;
        nfrac = (size_t)(s - frac);
        if (nfrac == 0)
            return NUM_SYNTAX;
    }
    const char *u = s;
    while (is_letter(*s))
        s++;
    *factor = unit_factor(units, u, (size_t)(s - u));
    if (s == u && unitless && nfrac == 0)
        *factor = 1;
    if (*factor == 0)
        return NUM_SYNTAX;
    if (overflow || whole > limit / *factor)
        return NUM_RANGE;
    uint64_t v = whole * *factor;
    uint64_t f = scale_fraction(frac, nfrac, *factor);
    if (f > limit - v)
        return NUM_RANGE;
    *out = v + f;
    *sp = s;
    return NUM_OK;
}

/* A leading '-' gives NUM_NEGATIVE when the rest is well formed, so that
 * the message says what is wrong rather than "use a number and a unit". */
static int negative(int r)
{
    return r == NUM_SYNTAX ? NUM_SYNTAX : NUM_NEGATIVE;
}

int vscalar_size(const char *s, uint64_t *out_bytes)
{
    uint64_t v, factor;
    if (s == NULL)
        return NUM_SYNTAX;
    if (*s == '-')
        return negative(vscalar_size(s + 1, &v));
    int r = parse_term(&s, size_units, 1, UINT64_MAX, &v, &factor);
    if (r == NUM_OK && *s != '\0')
        r = NUM_SYNTAX;
    if (r == NUM_OK)
        *out_bytes = v;
    return r;
}

/* Terms add up, largest unit first and each unit once, as Go, Kubernetes
 * and HAProxy users write them: "1h15m", "1m30s", "2s500ms". A unit out
 * of order ("30s1m") is more likely a typo than a sum. */
int vscalar_duration(const char *s, int64_t *out_ms)
{
    uint64_t total = 0, v, factor, last = UINT64_MAX;
    if (s == NULL || *s == '\0')
        return NUM_SYNTAX;
    if (strcmp(s, "0") == 0) { /* zero needs no unit */
        *out_ms = 0;
        return NUM_OK;
    }
    if (*s == '-') {
        int64_t ignored;
        return negative(vscalar_duration(s + 1, &ignored));
    }
    while (*s != '\0') {
        int r = parse_term(&s, duration_units, 0, INT64_MAX, &v, &factor);
        if (r != NUM_OK)
            return r;
        if (factor >= last)
            return NUM_SYNTAX;
        if (v > (uint64_t)INT64_MAX - total)
            return NUM_RANGE;
        total += v;
        last = factor;
    }
    *out_ms = (int64_t)total;
    return NUM_OK;
}

int vitals_parse_duration(const char *s, int64_t *out_ms)
{
    return vscalar_duration(s, out_ms) == NUM_OK ? 0 : -1;
}

int vitals_parse_size(const char *s, uint64_t *out_bytes)
{
    return vscalar_size(s, out_bytes) == NUM_OK ? 0 : -1;
}

