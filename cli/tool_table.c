/* tool_table.c - the table of checks: read from the HealthReport (status,
 * members, duration, output) and avalanchego's document (last run, start
 * of the failure streak), printed with aligned columns. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tool_health.h"
#include "tool_table.h"

#define NS 1000000000LL

/* Nanoseconds in a .NET TimeSpan "c" string, [-][d.]hh:mm:ss[.fffffff];
 * -1 when it is not one. */
static int64_t parse_timespan(const char *s)
{
    long d = 0, h, m, sec;
    char frac[8] = "0000000", tail;
    const char *dot, *colon;
    int n = 0;

    if (s == NULL || *s == '-' || (colon = strchr(s, ':')) == NULL)
        return -1;
    /* A dot before the first colon ends the days. */
    if ((dot = strchr(s, '.')) != NULL && dot < colon &&
        sscanf(s, "%ld.%n", &d, &n) != 1)
        return -1;
    if (sscanf(s + n, "%2ld:%2ld:%2ld.%7[0-9]%c", &h, &m, &sec, frac,
               &tail) < 3)
        return -1;
    for (size_t i = strlen(frac); i < 7; i++)
        frac[i] = '0';
    return ((((int64_t)d * 24 + h) * 60 + m) * 60 + sec) * NS +
           strtoll(frac, NULL, 10) * 100;
}

/* Nanoseconds since the epoch of an RFC 3339 UTC time as vitals writes it
 * (2026-11-21T20:53:05.590088686Z); 0 for Go's zero time, null, or
 * anything else. */
static int64_t parse_time(const json_t *j)
{
    const char *s = json_string_value(j);
    struct tm tm = {0};
    char frac[10] = "";
    int64_t ns = 0;
    time_t t;

    if (s == NULL || sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d.%9[0-9]", &tm.tm_year,
                            &tm.tm_mon, &tm.tm_mday, &tm.tm_hour, &tm.tm_min,
                            &tm.tm_sec, frac) < 6 ||
        tm.tm_year < 1970)
        return 0;
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    if ((t = timegm(&tm)) == (time_t)-1)
        return 0;
    for (size_t i = 0; i < 9; i++)
        ns = ns * 10 + (i < strlen(frac) ? frac[i] - '0' : 0);
    return (int64_t)t * NS + ns;
}

/* A copy of s fit for a terminal: control characters (a plugin's
 * newlines, escape sequences) become spaces. */
static char *printable(const char *s)
{
    char *c = strdup(s != NULL ? s : "");

    for (char *p = c; p != NULL && *p != '\0'; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f)
            *p = ' ';
    return c;
}

/* What a result says: its error (an object with a message, or Xabaril's
 * string), else its description. */
static char *output_of(json_t *result)
{
    json_t *x = json_object_get(result, "exception");

    if (json_is_object(x))
        x = json_object_get(x, "message");
    if (!json_is_string(x))
        x = json_object_get(result, "description");
    return printable(json_string_value(x));
}

static row_t *add_row(table_t *t, const char *name, json_t *result,
                      int member)
{
    row_t *grown = realloc(t->rows, (t->n + 1) * sizeof(*t->rows)), *r;
    const char *word = json_string_value(json_object_get(result, "status"));
    int status = word != NULL ? health_word(word) : -1;

    if (grown == NULL)
        return NULL;
    t->rows = grown;
    r = &t->rows[t->n++];
    memset(r, 0, sizeof(*r));
    /* A status this tool does not know is no reason to look healthy. */
    r->status = status >= 0 ? status : 2;
    r->name = printable(name);
    r->member = member;
    r->output = output_of(result);
    r->duration_ns = member ? -1
                            : parse_timespan(json_string_value(
                                  json_object_get(result, "duration")));
    return r->name != NULL && r->output != NULL ? r : NULL;
}

/* The members of a group or remote check: data.entries, [{key, result}]. */
static int add_members(table_t *t, json_t *entry)
{
    json_t *members = json_object_get(json_object_get(entry, "data"),
                                      "entries");
    json_t *m;
    size_t i;

    json_array_foreach(members, i, m) {
        const char *key = json_string_value(json_object_get(m, "key"));

        if (add_row(t, key, json_object_get(m, "result"), 1) == NULL)
            return -1;
    }
    return 0;
}

int table_read(table_t *t, json_t *report, json_t *avalanche)
{
    const char *word = json_string_value(json_object_get(report, "status"));
    json_t *entries = json_object_get(report, "entries"), *entry;
    json_t *times = json_object_get(avalanche, "checks");
    const char *name;

    memset(t, 0, sizeof(*t));
    if (word == NULL || (t->status = health_word(word)) < 0)
        return -1;
    /* Without details the report has no entries at all (docs/security.md). */
    if (!json_is_object(entries))
        return 0;
    t->details = 1;
    json_object_foreach(entries, name, entry) {
        json_t *at = json_object_get(times, name);
        row_t *r = add_row(t, name, entry, 0);

        if (r == NULL)
            return -1;
        r->last_ns = parse_time(json_object_get(at, "timestamp"));
        r->since_ns = parse_time(json_object_get(at, "timeOfFirstFailure"));
        t->count[r->status]++;
        if (add_members(t, entry) != 0)
            return -1;
    }
    return 0;
}

void table_free(table_t *t)
{
    for (size_t i = 0; i < t->n; i++) {
        free(t->rows[i].name);
        free(t->rows[i].output);
    }
    free(t->rows);
    memset(t, 0, sizeof(*t));
}

/* "N <word> (a, b, c, and 2 more)" for the checks of one status, appended
 * at *used. */
static void summary_part(const table_t *t, int status, char *buf, size_t len,
                         size_t *used)
{
    const size_t max_names = 3;
    size_t shown = 0;

    if (t->count[status] == 0 || *used >= len)
        return;
    *used += (size_t)snprintf(buf + *used, len - *used, "%s%zu %s (",
                              *used > 0 ? ", " : "", t->count[status],
                              health_name(status));
    for (size_t i = 0; i < t->n && shown < max_names && *used < len; i++)
        if (!t->rows[i].member && t->rows[i].status == status)
            *used += (size_t)snprintf(buf + *used, len - *used, "%s%s",
                                      shown++ > 0 ? ", " : "",
                                      t->rows[i].name);
    if (*used < len && t->count[status] > shown)
        *used += (size_t)snprintf(buf + *used, len - *used, ", and %zu more",
                                  t->count[status] - shown);
    if (*used < len)
        *used += (size_t)snprintf(buf + *used, len - *used, ")");
}

void table_summary(const table_t *t, char *buf, size_t len)
{
    size_t total = t->count[0] + t->count[1] + t->count[2], used = 0;

    if (!t->details)
        snprintf(buf, len, "%s (the daemon shows checks only to authorized "
                           "callers: set VITALS_TOKEN)",
                 health_name(t->status));
    else if (total == 0)
        snprintf(buf, len, "no checks");
    else if (t->count[0] == total)
        snprintf(buf, len, "%zu check%s healthy", total, total > 1 ? "s" : "");
    else {
        buf[0] = '\0';
        summary_part(t, 2, buf, len, &used);
        summary_part(t, 1, buf, len, &used);
        if (t->count[0] > 0 && used < len)
            snprintf(buf + used, len - used, ", %zu healthy", t->count[0]);
    }
}

const char *table_status_word(int status, int color)
{
    static const char *const plain[3] = {"healthy", "degraded", "unhealthy"};
    static const char *const ansi[3] = {"\033[32mhealthy\033[0m",
                                        "\033[33mdegraded\033[0m",
                                        "\033[31munhealthy\033[0m"};

    if (status < 0 || status > 2)
        status = 2;
    return color ? ansi[status] : plain[status];
}

/* Local clock time, with the date when it is not today; "-" for 0. */
static void format_time(int64_t ns, char *buf, size_t len)
{
    time_t t = (time_t)(ns / NS), now = time(NULL);
    struct tm tm, today;

    if (ns <= 0) {
        snprintf(buf, len, "-");
        return;
    }
    localtime_r(&t, &tm);
    localtime_r(&now, &today);
    strftime(buf, len,
             tm.tm_yday == today.tm_yday && tm.tm_year == today.tm_year
                 ? "%H:%M:%S"
                 : "%Y-%m-%d %H:%M:%S",
             &tm);
}

static void format_duration(int64_t ns, char *buf, size_t len)
{
    if (ns < 0)
        snprintf(buf, len, "-");
    else if (ns < NS)
        snprintf(buf, len, "%.1fms", (double)ns / 1e6);
    else if (ns < 60 * NS)
        snprintf(buf, len, "%.2fs", (double)ns / 1e9);
    else
        snprintf(buf, len, "%lldm%02llds", (long long)(ns / (60 * NS)),
                 (long long)(ns / NS % 60));
}

/* One row's cells after the status, as text. */
typedef struct cells {
    char name[160], since[32], last[32], duration[32];
} cells_t;

static void fill_cells(const row_t *r, cells_t *c)
{
    snprintf(c->name, sizeof(c->name), "%s%s", r->member ? "  " : "",
             r->name);
    format_time(r->since_ns, c->since, sizeof(c->since));
    format_time(r->last_ns, c->last, sizeof(c->last));
    format_duration(r->duration_ns, c->duration, sizeof(c->duration));
}

static size_t max_size(size_t a, size_t b)
{
    return a > b ? a : b;
}

/* Prints text, cut to room bytes (at a UTF-8 character boundary) when
 * room is not 0, then a newline. */
static void print_cut(FILE *out, const char *text, int room)
{
    size_t n = strlen(text);

    while (n > 0 && text[n - 1] == ' ')
        n--;
    if (room > 0 && n > (size_t)room) {
        n = (size_t)room;
        while (n > 0 && ((unsigned char)text[n] & 0xC0) == 0x80)
            n--;
    }
    fprintf(out, "%.*s\n", (int)n, text);
}

void table_print(FILE *out, const table_t *t, int color, int width)
{
    size_t w[4] = {strlen("CHECK"), strlen("SINCE"), strlen("LAST RUN"),
                   strlen("DURATION")};
    const int status_w = 11; /* "unhealthy" and two spaces */
    int room = width > status_w ? width - status_w : 0;
    cells_t c;
    char *line = NULL;

    for (size_t i = 0; i < t->n; i++) {
        fill_cells(&t->rows[i], &c);
        w[0] = max_size(w[0], strlen(c.name));
        w[1] = max_size(w[1], strlen(c.since));
        w[2] = max_size(w[2], strlen(c.last));
        w[3] = max_size(w[3], strlen(c.duration));
    }
    if (asprintf(&line, "%-*s  %-*s  %-*s  %-*s  OUTPUT", (int)w[0], "CHECK",
                 (int)w[1], "SINCE", (int)w[2], "LAST RUN", (int)w[3],
                 "DURATION") >= 0) {
        fprintf(out, "%-*s", status_w, "STATUS");
        print_cut(out, line, room);
    }
    free(line);
    for (size_t i = 0; i < t->n; i++) {
        const row_t *r = &t->rows[i];

        fill_cells(r, &c);
        /* Colour codes take no columns: pad the plain word. */
        fprintf(out, "%s%*s", table_status_word(r->status, color),
                status_w - (int)strlen(table_status_word(r->status, 0)), "");
        if (asprintf(&line, "%-*s  %-*s  %-*s  %-*s  %s", (int)w[0], c.name,
                     (int)w[1], c.since, (int)w[2], c.last, (int)w[3],
                     c.duration, r->output) < 0)
            line = NULL;
        print_cut(out, line != NULL ? line : "", room);
        free(line);
    }
}
