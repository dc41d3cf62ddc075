/* page_history.c - where the page and the badges read a check's recent
 * runs and its uptime: the history's query interface (store/query.h),
 * reached through the request. Without a history (a program that serves
 * without one) both answer that there is none, and the page says "no
 * history yet" rather than draw anything it does not know. */
#include <stdlib.h>
#include <string.h>

#include "outputs/page.h"
#include "store/query.h"

int vpage_history_by_time(const vreq_t *r)
{
    /* A store keeps days of runs; memory only the newest of each check. */
    return r->history != NULL &&
           strcmp(vhq_store_name(r->history), "memory") != 0;
}

int vpage_history_runs(const vreq_t *r, const char *check, int64_t since_ns,
                       size_t limit, vpage_runs_t *out)
{
    vitals_history_t *l;
    vpage_sample_t *s;

    memset(out, 0, sizeof(*out));
    if (r->history == NULL)
        return VITALS_ENOENT;
    if ((l = calloc(1, sizeof(*l))) == NULL)
        return VITALS_ENOMEM;
    if (vhq_runs(r->history, check, since_ns, limit, l) != VITALS_OK ||
        (l->n > 0 && (s = calloc(l->n, sizeof(*s))) == NULL)) {
        vhlist_clear(l);
        free(l);
        return VITALS_ENOMEM;
    }
    for (size_t i = 0; i < l->n; i++)
        s[i] = (vpage_sample_t){l->runs[i].time_ns, l->runs[i].duration_ns,
                                l->runs[i].status, l->runs[i].error};
    out->s = l->n > 0 ? s : NULL;
    out->n = l->n;
    out->hold = l; /* the errors point into it */
    return VITALS_OK;
}

void vpage_history_free(vpage_runs_t *runs)
{
    vitals_history_t *l = runs->hold;

    free((void *)runs->s);
    if (l != NULL) {
        vhlist_clear(l);
        free(l);
    }
    memset(runs, 0, sizeof(*runs));
}

int vpage_history_uptime(const vreq_t *r, const char *check,
                         int64_t window_ns, double *ratio, uint64_t *runs)
{
    uint64_t ok = 0;
    int rc;

    *ratio = 0;
    *runs = 0;
    if (r->history == NULL)
        return VITALS_ENOENT;
    rc = vhq_uptime(r->history, check, r->snap->time_ns - window_ns, &ok,
                    runs);
    if (rc != VITALS_OK)
        return rc;
    if (*runs == 0)
        return VITALS_ENOENT;
    *ratio = (double)ok / (double)*runs;
    return VITALS_OK;
}
