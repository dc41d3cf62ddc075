/* k8s.c - the plain text of the Kubernetes apiserver's /livez and /readyz
 * (k8s.io/apiserver/pkg/server/healthz), which kubelet probes, load
 * balancers and people with curl already know how to read.
 *
 * The exact text, as the apiserver writes it:
 *
 *   passing, not verbose:  "ok" (no newline)
 *   passing, verbose:      "[+]db ok\n"
 *                          "[+]disk ok\n"
 *                          "livez check passed\n"
 *   failing (verbose or not: the apiserver is always verbose on failure):
 *                          "[+]db ok\n"
 *                          "[-]disk failed: reason withheld\n"
 *                          "livez check failed\n"
 *
 * One line per check of the view, in view order; the last line names the
 * probe ("livez", "readyz" or "startupz"). As the apiserver does, a check
 * left out with ?exclude= is "[+]name excluded: ok", and excluded names
 * that match no check make one line "warn: some health checks cannot be
 * excluded: no matches for "a","b"" (sorted); neither changes the
 * verdict. What fails a view whatever its checks say (draining,
 * maintenance, a stalled scheduler) is one more line, e.g.
 * "[-]shutdown failed: shutting down". A degraded check still serves, so it is
 * "[+]name ok": Kubernetes has no third state, and a probe that failed on
 * degraded would restart or unroute a pod that works. The view fails only
 * when it is unhealthy.
 *
 * The apiserver always withholds the reason (its endpoint is public and
 * details need RBAC). With details on, the line is "[-]name failed: <error,
 * else description>", with CR and LF turned into spaces so that one check
 * stays one line. With details off, no check is named at all: the body is
 * "ok", or only the last line.
 */
#include <stdlib.h>
#include <string.h>

#include "outputs/output.h"
#include "util/buf.h"
#include "util/clock.h"

/* s on one line: each CRLF, CR or LF becomes one space. */
static void put_line(vbuf_t *b, const char *s)
{
    while (*s != '\0') {
        size_t n = strcspn(s, "\r\n");

        vbuf_add(b, s, n);
        s += n;
        if (*s == '\0')
            break;
        vbuf_add(b, " ", 1);
        s += s[0] == '\r' && s[1] == '\n' ? 2 : 1;
    }
}

static void failed_line(vbuf_t *b, const char *name, const char *why)
{
    vbuf_printf(b, "[-]%s failed: ", name);
    put_line(b, why);
    vbuf_str(b, "\n");
}

/* The reason a failing check gives. */
static const char *reason(const vitals_check_state_t *st)
{
    if (st->error != NULL)
        return st->error;
    if (st->description != NULL)
        return st->description;
    return "unhealthy"; /* a bare unhealthy status, no message */
}

static void check_line(vbuf_t *b, const vsnap_entry_t *e, const char *probe)
{
    const vitals_check_state_t *st = &e->pub;
    int startup = probe != NULL && strcmp(probe, VPROBE_STARTUP) == 0;
    int live = probe != NULL && strcmp(probe, VPROBE_LIVE) == 0;

    if (startup && !e->has_run)
        failed_line(b, st->name, "not yet run");
    else if (!startup && st->status == VITALS_UNHEALTHY &&
             !(live && !e->has_run))
        failed_line(b, st->name, reason(st));
    else
        vbuf_printf(b, "[+]%s ok\n", st->name);
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* "warn: ... no matches for "a","b"", as the apiserver words it. */
static void unmatched_line(vbuf_t *b, const vview_t *v)
{
    if (v->nunmatched == 0)
        return;
    qsort(v->unmatched, v->nunmatched, sizeof(*v->unmatched), by_name);
    vbuf_str(b, "warn: some health checks cannot be excluded: no matches "
                "for ");
    for (size_t i = 0; i < v->nunmatched; i++) {
        vbuf_str(b, i > 0 ? ",\"" : "\"");
        put_line(b, v->unmatched[i]);
        vbuf_str(b, "\"");
    }
    vbuf_str(b, "\n");
}

/* Every line of the view's checks, in snapshot order, excluded ones with
 * them. */
static void check_lines(vbuf_t *b, const vview_t *v, const char *probe)
{
    size_t i = 0, j = 0;

    for (size_t k = 0; k < v->snap->n; k++) {
        const vsnap_entry_t *e = &v->snap->entries[k];

        if (i < v->n && v->entries[i] == e) {
            check_line(b, e, probe);
            i++;
        } else if (j < v->nexcluded && v->excluded[j] == e) {
            vbuf_printf(b, "[+]%s excluded: ok\n", e->pub.name);
            j++;
        }
    }
}

vbody_t *vformat_k8s_view(const vview_t *v, const char *name,
                          const char *probe, int verbose)
{
    int failed = v->status == VITALS_UNHEALTHY;
    vbuf_t b = VBUF_INIT(0);
    size_t len;
    char *text;

    if (!failed && !verbose) {
        char *ok = strdup("ok");

        return ok != NULL ? vbody_new(ok, 2) : NULL;
    }
    if (v->details) {
        check_lines(&b, v, probe);
        if (v->lifecycle != NULL)
            failed_line(&b, v->lifecycle, v->lifecycle_reason);
        unmatched_line(&b, v);
    }
    vbuf_printf(&b, "%s check %s\n", name, failed ? "failed" : "passed");
    if (b.oom) {
        vbuf_clear(&b);
        return NULL;
    }
    text = vbuf_take(&b, &len);
    return vbody_new(text, len);
}

vbody_t *vformat_k8s(const vview_t *v, const char *name, int verbose)
{
    const char *probe = strcmp(name, "livez") == 0    ? VPROBE_LIVE
                        : strcmp(name, "startupz") == 0 ? VPROBE_STARTUP
                                                        : VPROBE_READY;

    return vformat_k8s_view(v, name, probe, verbose);
}

/* ------------------------------------------------------------------------
 * Answering /livez, /readyz and /startupz (livez.c, readyz.c, startupz.c)
 */

#define MAX_EXCLUDE 64

typedef struct {
    const char *probe;
    int verbose, stalled;
} vk8s_ask_t;

static vbody_t *k8s_fn(const vview_t *v, const vreq_t *r)
{
    const vk8s_ask_t *ask = r->impl_arg;
    vview_t view = *v;

    if (ask->stalled) {
        view.lifecycle = "scheduler";
        view.lifecycle_reason = "no snapshot published for 30s";
        view.status = VITALS_UNHEALTHY;
    }
    return vformat_k8s_view(&view, r->output->id, ask->probe, ask->verbose);
}

/* The scheduler publishes a snapshot at least every VSNAP_HEARTBEAT_NS:
 * one much older than that means it is stuck, which is what liveness is
 * for. */
static int stalled(const vitals_snapshot_t *s)
{
    int64_t now = vclock_mono(&vclock_system);

    return s->mono_ns > 0 && now > s->mono_ns &&
           now - s->mono_ns > 3 * VSNAP_HEARTBEAT_NS;
}

/* /probe/<name>: the check, when it is in the probe's view and the caller
 * may see names; the same 404 otherwise, so names cannot be guessed. */
static int find_named(vreq_t *r, vans_t *ans, vselect_t *sel)
{
    vview_t view;
    int found;

    sel->name = r->rest + 1;
    if (vview_init(&view, r->snap, sel) != VITALS_OK) {
        vans_error(ans, 500, "Out of memory");
        return -1;
    }
    found = view.n + view.nexcluded > 0 && r->details;
    vview_free(&view);
    if (!found)
        vans_error(ans, 404, "There is no check with this name");
    return found ? 0 : -1;
}

void vk8s_answer(vreq_t *r, vans_t *ans, const char *probe)
{
    const char *exclude[MAX_EXCLUDE];
    vselect_t sel = {0};
    vk8s_ask_t ask = {probe, vreq_query(r, "verbose", NULL, 0) > 0, 0};
    const vbody_t *b;
    char variant[16];

    sel.probe = probe;
    sel.exclude = exclude;
    sel.nexclude = vreq_query(r, "exclude", exclude, MAX_EXCLUDE);
    if (sel.nexclude > MAX_EXCLUDE)
        return vans_error(ans, 400, "At most 64 exclude parameters");
    if (r->rest[0] != '\0' && find_named(r, ans, &sel) != 0)
        return;
    ask.stalled = strcmp(probe, VPROBE_LIVE) == 0 && stalled(r->snap);
    snprintf(variant, sizeof(variant), "%d%d", ask.verbose, ask.stalled);
    r->impl_arg = &ask;
    b = vreq_view(r, ans, variant, &sel, k8s_fn);
    if (b != NULL)
        ans->status = b->health == VITALS_UNHEALTHY ? 500 : 200;
}
