/* page_svg.c - the status page's drawings, as inline SVG: a check's
 * uptime bar (a slot per recent run, or per hour, coloured by status, a
 * failing slot telling its time and error on hover) and its response-time
 * sparkline; and the words for durations and times the page shows. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "outputs/page.h"
#include "util/clock.h"

#define BAR_W 240 /* the bar's viewBox width: 40 runs of 6, 24 hours of 10 */
#define BAR_H 22
#define SPARK_W 120
#define SPARK_H 28
#define MAX_ERROR 160 /* bytes of an error in a tooltip */

void vpage_duration(int64_t ns, char *buf, size_t len)
{
    double ms = (double)ns / 1e6;

    if (ns < 0)
        ns = 0;
    if (ns < VCLOCK_MS)
        snprintf(buf, len, "%lld µs", (long long)(ns / 1000));
    else if (ms < 10)
        snprintf(buf, len, "%.1f ms", ms);
    else if (ms < 1000)
        snprintf(buf, len, "%.0f ms", ms);
    else if (ms < 60000)
        snprintf(buf, len, "%.1f s", ms / 1000);
    else
        snprintf(buf, len, "%lld min", (long long)(ns / (60 * VCLOCK_S)));
}

void vpage_ago(int64_t ns, char *buf, size_t len)
{
    long long s = ns > 0 ? (long long)(ns / VCLOCK_S) : 0;

    if (s < 60)
        snprintf(buf, len, "%lld s", s);
    else if (s < 3600)
        snprintf(buf, len, "%lld min", s / 60);
    else if (s < 86400)
        snprintf(buf, len, "%lld h %lld min", s / 3600, s % 3600 / 60);
    else
        snprintf(buf, len, "%lld day%s", s / 86400, s < 2 * 86400 ? "" : "s");
}

void vpage_clock(int64_t ns, int date, char *buf, size_t len)
{
    time_t t = (time_t)(ns / VCLOCK_S);
    struct tm tm;

    if (gmtime_r(&t, &tm) == NULL) {
        snprintf(buf, len, "?");
        return;
    }
    strftime(buf, len, date ? "%Y-%m-%d %H:%M:%S UTC" : "%H:%M:%S", &tm);
}

/* What one slot of the bar shows: the worst status of its runs. */
typedef struct slot {
    int any;
    vitals_status_t worst;
    size_t runs, failed;
    int64_t from_ns, to_ns;
    const char *error; /* the newest failing run's */
} slot_t;

static void slot_add(slot_t *sl, const vpage_sample_t *s)
{
    if (!sl->any || s->status > sl->worst)
        sl->worst = s->status;
    sl->any = 1;
    sl->runs++;
    if (s->status != VITALS_HEALTHY) {
        if (sl->error == NULL)
            sl->error = s->error;
        sl->failed++;
    }
}

/* Fills slots (oldest first) from runs; returns how many. */
static size_t fill_slots(const vpage_runs_t *runs, slot_t *slots)
{
    size_t n = runs->by_time ? VPAGE_HOURS : VPAGE_RUNS;

    memset(slots, 0, n * sizeof(*slots));
    for (size_t i = 0; i < n && runs->by_time; i++) {
        slots[i].from_ns = runs->to_ns - (int64_t)(n - i) * 3600 * VCLOCK_S;
        slots[i].to_ns = slots[i].from_ns + 3600 * VCLOCK_S;
    }
    for (size_t i = 0; i < runs->n; i++) {
        const vpage_sample_t *s = &runs->s[i];

        if (!runs->by_time) {
            if (i >= n)
                break;
            slots[n - 1 - i].from_ns = s->time_ns;
            slot_add(&slots[n - 1 - i], s);
            continue;
        }
        for (size_t j = 0; j < n; j++)
            if (s->time_ns >= slots[j].from_ns && s->time_ns < slots[j].to_ns)
                slot_add(&slots[j], s);
    }
    return n;
}

/* The tooltip of a failing slot: when, how many failed, and why. */
static void slot_title(vbuf_t *b, const slot_t *sl, int by_time)
{
    char from[40], to[40], err[MAX_ERROR + 4];

    vpage_clock(sl->from_ns, 1, from, sizeof(from));
    snprintf(err, sizeof(err), "%.*s%s", MAX_ERROR,
             sl->error ? sl->error : "no error text",
             sl->error && strlen(sl->error) > MAX_ERROR ? "…" : "");
    if (by_time) {
        vpage_clock(sl->to_ns, 0, to, sizeof(to));
        vbuf_printf(b, "<title>%.16s–%.5s UTC: %zu of %zu runs failed: ",
                    from, to, sl->failed, sl->runs);
    } else {
        vbuf_printf(b, "<title>%s: %s: ", from, vpage_word(sl->worst));
    }
    vpage_esc(b, err);
    vbuf_str(b, "</title>");
}

void vpage_bar(vbuf_t *b, const vpage_runs_t *runs)
{
    slot_t slots[VPAGE_RUNS > VPAGE_HOURS ? VPAGE_RUNS : VPAGE_HOURS];
    size_t n, counts[3] = {0, 0, 0};
    int w, fill;
    static const char *const cls[4] = {"h0", "h1", "h2", "hn"};

    if (runs == NULL || runs->n == 0)
        return;
    n = fill_slots(runs, slots);
    w = BAR_W / (int)n;
    fill = w - (w > 6 ? 2 : 1);
    for (size_t i = 0; i < n; i++)
        if (slots[i].any)
            counts[slots[i].worst]++;
    vbuf_printf(b, "<svg class=\"bar\" viewBox=\"0 0 %d %d\" "
                   "preserveAspectRatio=\"none\" role=\"img\" "
                   "aria-label=\"%s: %zu healthy, %zu degraded, %zu "
                   "unhealthy\">",
                BAR_W, BAR_H,
                runs->by_time ? "Last 24 hours by hour" : "Latest runs",
                counts[0], counts[1], counts[2]);
    /* One path per colour keeps the bar small: 40 slots in ~600 bytes. */
    for (int c = 0; c < 4; c++) {
        int open = 0;

        for (size_t i = 0; i < n; i++) {
            if ((slots[i].any ? (int)slots[i].worst : 3) != c)
                continue;
            if (!open)
                vbuf_printf(b, "<path class=\"%s\" d=\"", cls[c]);
            open = 1;
            vbuf_printf(b, "M%zu 0h%dv%dh-%dz", (size_t)w * i, fill, BAR_H,
                        fill);
        }
        if (open)
            vbuf_str(b, "\"/>");
    }
    /* A hover target with a tooltip over each failing slot. */
    for (size_t i = 0; i < n; i++) {
        if (!slots[i].any || slots[i].worst == VITALS_HEALTHY)
            continue;
        vbuf_printf(b, "<rect class=\"t\" x=\"%zu\" width=\"%d\" "
                       "height=\"%d\">",
                    (size_t)w * i, w, BAR_H);
        slot_title(b, &slots[i], runs->by_time);
        vbuf_str(b, "</rect>");
    }
    vbuf_str(b, "</svg>");
}

void vpage_spark(vbuf_t *b, const vpage_runs_t *runs)
{
    size_t n = runs != NULL ? runs->n : 0;
    int64_t lo = INT64_MAX, hi = 0;
    char los[32], his[32];

    if (n > VPAGE_RUNS)
        n = VPAGE_RUNS;
    if (n < 2)
        return;
    for (size_t i = 0; i < n; i++) {
        if (runs->s[i].duration_ns < lo)
            lo = runs->s[i].duration_ns;
        if (runs->s[i].duration_ns > hi)
            hi = runs->s[i].duration_ns;
    }
    vpage_duration(lo, los, sizeof(los));
    vpage_duration(hi, his, sizeof(his));
    vbuf_printf(b, "<svg class=\"sp\" viewBox=\"0 0 %d %d\" "
                   "preserveAspectRatio=\"none\" role=\"img\" "
                   "aria-label=\"Response time of the last %zu runs: %s to "
                   "%s\"><title>Last %zu runs: %s to %s</title>",
                SPARK_W, SPARK_H, n, los, his, n, los, his);
    /* Oldest on the left; the slowest run touches the top. */
    for (int pass = 0; pass < 2; pass++) {
        vbuf_printf(b, "<path class=\"%s\" d=\"", pass ? "s" : "a");
        for (size_t k = 0; k < n; k++) {
            const vpage_sample_t *s = &runs->s[n - 1 - k];
            double x = (double)k * SPARK_W / (double)(n - 1);
            double y = SPARK_H - 1 -
                       (hi > 0 ? (double)s->duration_ns / (double)hi : 0) *
                           (SPARK_H - 3);

            vbuf_printf(b, "%s%.1f %.1f", k ? "L" : "M", x, y);
        }
        if (pass)
            vbuf_str(b, "\"/>");
        else
            vbuf_printf(b, "L%d %dL0 %dz\"/>", SPARK_W, SPARK_H, SPARK_H);
    }
    vbuf_str(b, "</svg>");
}
