/* page_history.c - where the page and the badges read a check's recent
 * runs and its uptime: the one place that knows how the history is
 * reached from a request. Until a history is reachable, both answer that
 * there is none, and the page says "no history yet" rather than draw
 * anything it does not know. */
#include "outputs/page.h"

int vpage_history_runs(const vreq_t *r, const char *check, vpage_runs_t *out,
                       vpage_sample_t *buf, size_t max)
{
    (void)r;
    (void)check;
    (void)buf;
    (void)max;
    out->n = 0;
    return VITALS_ENOENT;
}

int vpage_history_uptime(const vreq_t *r, const char *check,
                         int64_t window_ns, double *ratio, uint64_t *runs)
{
    (void)r;
    (void)check;
    (void)window_ns;
    *ratio = 0;
    *runs = 0;
    return VITALS_ENOENT;
}

int vpage_history_by_time(const vreq_t *r)
{
    (void)r;
    return 0;
}
