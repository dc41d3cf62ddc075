/* history.c - the "history" output: GET /history, each check's status
 * changes, its recent runs and its uptime over the last hour, day, week
 * and 30 days, as JSON (docs/schemas/history.json), read through the
 * history's query interface (store/query.h), never the writer.
 *
 * ?check=NAME picks one check; ?since=RFC3339 keeps what happened at or
 * after that time; ?limit=N bounds runs and transitions per check (default
 * 100 for one check, 10 for all; at most 10000).
 *
 * The body is cached per snapshot like every body: every run marks the
 * engine dirty and a snapshot follows within the publish interval (100
 * ms), so an answer is at most that much behind the runs, and uptimes at
 * most a heartbeat (10 s) behind the clock when nothing runs. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "outputs/output.h"
#include "store/query.h"
#include "util/clock.h"

#define LIMIT_ONE 100
#define LIMIT_ALL 10

typedef struct hreq {
    const vreq_t *r;
    const char *check; /* NULL: all */
    int64_t since;
    size_t limit;
} hreq_t;

static const struct window {
    const char *key;
    int64_t ns;
} windows[] = {{"1h", 3600 * VCLOCK_S},
               {"24h", 86400 * VCLOCK_S},
               {"7d", 7 * 86400 * VCLOCK_S},
               {"30d", 30 * 86400 * VCLOCK_S}};

static json_t *opt_str(const char *s)
{
    return s != NULL ? json_string(s) : json_null();
}

static json_t *uptime(const vhistory_t *h, const char *check, int64_t now)
{
    json_t *o = json_object();

    for (size_t i = 0; o != NULL && i < sizeof(windows) / sizeof(*windows);
         i++) {
        uint64_t ok = 0, n = 0;

        vhq_uptime(h, check, now - windows[i].ns, &ok, &n);
        json_object_set_new(
            o, windows[i].key,
            json_pack("{s:o,s:I}", "ratio",
                      n > 0 ? json_real((double)ok / (double)n) : json_null(),
                      "runs", (json_int_t)n));
    }
    return o;
}

static json_t *runs(const vitals_history_t *l)
{
    json_t *a = json_array(), *o;

    for (size_t i = 0; a != NULL && i < l->n; i++) {
        const vitals_run_t *r = &l->runs[i];

        if ((o = json_object()) == NULL)
            break;
        vformat_set_time(o, "time", r->time_ns);
        json_object_set_new(o, "durationMs",
                            json_real((double)r->duration_ns / 1e6));
        json_object_set_new(o, "status",
                            json_string(vformat_ietf_status(r->status)));
        json_object_set_new(o, "result",
                            json_string(vformat_ietf_status(r->result)));
        json_object_set_new(o, "error", opt_str(r->error));
        json_array_append_new(a, o);
    }
    return a;
}

static json_t *transitions(const vitals_history_t *l)
{
    json_t *a = json_array(), *o;

    for (size_t i = 0; a != NULL && i < l->n; i++) {
        const vitals_transition_t *t = &l->trans[i];

        if ((o = json_object()) == NULL)
            break;
        vformat_set_time(o, "time", t->time_ns);
        json_object_set_new(o, "from",
                            opt_str(t->has_from
                                        ? vformat_ietf_status(t->from)
                                        : NULL));
        json_object_set_new(o, "to", json_string(vformat_ietf_status(t->to)));
        json_object_set_new(o, "error", opt_str(t->error));
        json_array_append_new(a, o);
    }
    return a;
}

/* One check's history, or NULL when out of memory. */
static json_t *one(const hreq_t *q, const char *name, int64_t now)
{
    const vhistory_t *h = q->r->history;
    vitals_history_t rl = {0}, tl = {0};
    json_t *o = NULL;

    if (vhq_transitions(h, name, q->since, q->limit, &tl) == VITALS_OK &&
        vhq_runs(h, name, q->since, q->limit, &rl) == VITALS_OK)
        o = json_pack("{s:o,s:o,s:o}", "uptime", uptime(h, name, now),
                      "transitions", transitions(&tl), "runs", runs(&rl));
    vhlist_clear(&rl);
    vhlist_clear(&tl);
    return o;
}

static vbody_t *render(void *arg)
{
    const hreq_t *q = arg;
    const vitals_snapshot_t *s = q->r->snap;
    int64_t now = vclock_real(&vclock_system);
    json_t *checks = json_object(), *c, *top;
    int failed = checks == NULL;

    for (size_t i = 0; !failed && i < s->n; i++) {
        const char *name = s->entries[i].pub.name;

        if (q->check != NULL && strcmp(q->check, name) != 0)
            continue;
        failed = (c = one(q, name, now)) == NULL ||
                 json_object_set_new(checks, name, c) != 0;
    }
    top = json_pack("{s:o,s:o,s:s,s:I,s:o}", "serviceId",
                    opt_str(s->service_id), "instance",
                    opt_str(s->service_instance), "store",
                    vhq_store_name(q->r->history), "droppedRuns",
                    (json_int_t)vhq_dropped(q->r->history), "checks", checks);
    if (top == NULL || failed || vformat_set_time(top, "time", now) != 0) {
        json_decref(top);
        return NULL;
    }
    return vformat_dump(top);
}

/* The query's one value of key, or NULL; answers 400 for several. */
static int one_param(const vreq_t *r, vans_t *ans, const char *key,
                     const char **val)
{
    size_t n = vreq_query(r, key, val, 1);

    if (n > 1) {
        vans_errorf(ans, 400, "Give '%s' at most once", key);
        return -1;
    }
    if (n == 0)
        *val = NULL;
    return 0;
}

static int read_query(const vreq_t *r, vans_t *ans, hreq_t *q)
{
    const char *since, *limit;
    char *end;
    long long n;

    if (one_param(r, ans, "check", &q->check) != 0 ||
        one_param(r, ans, "since", &since) != 0 ||
        one_param(r, ans, "limit", &limit) != 0)
        return -1;
    if (since != NULL && vclock_parse_rfc3339(since, &q->since) != 0) {
        vans_error(ans, 400, "'since' must be an RFC 3339 time, e.g. "
                             "2025-01-31T12:00:00Z");
        return -1;
    }
    q->limit = q->check != NULL ? LIMIT_ONE : LIMIT_ALL;
    if (limit != NULL) {
        n = strtoll(limit, &end, 10);
        if (*limit == '\0' || *end != '\0' || n < 1 || n > VHQ_MAX_LIMIT) {
            vans_errorf(ans, 400, "'limit' must be a number from 1 to %d",
                        VHQ_MAX_LIMIT);
            return -1;
        }
        q->limit = (size_t)n;
    }
    return 0;
}

static void history_answer(vreq_t *r, vans_t *ans)
{
    hreq_t q = {r, NULL, 0, 0};
    char key[768];

    if (r->history == NULL)
        return vans_error(ans, 503, "The history is not running");
    if (!r->details)
        return vans_error(ans, 403, "The history is shown only to callers "
                                    "who may see details");
    if (read_query(r, ans, &q) != 0)
        return;
    if (q.check != NULL && vsnap_find(r->snap, q.check) == NULL)
        return vans_error(ans, 404, "There is no check with this name");
    if ((size_t)snprintf(key, sizeof(key), "history?%s&%lld&%zu",
                         q.check ? q.check : "", (long long)q.since,
                         q.limit) >= sizeof(key))
        return vans_error(ans, 414, "The query is too long");
    vreq_cached(r, ans, key, render, &q);
    if (ans->status < 400)
        ans->status = 200;
}

const voutput_t voutput_history = {
    .id = "history", .path = "/history", .content_type = "application/json",
    .allow = "GET, HEAD", .answer = history_answer,
    .doc_format = "Each check's status changes, recent runs and uptime "
                  "(JSON)",
    .doc_codes = "200; 400 bad query; 403 without details; 404 unknown "
                 "check"};
