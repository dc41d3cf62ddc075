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
 * probe ("livez" or "readyz"). A degraded check still serves, so it is
 * "[+]name ok": Kubernetes has no third state, and a probe that failed on
 * degraded would restart or unroute a pod that works. The view fails only
 * when it is unhealthy.
 *
 * The apiserver always withholds the reason (its endpoint is public and
 * details need RBAC). We do so when details are off; with details on, the
 * line is "[-]name failed: <error, else description>", with CR and LF
 * turned into spaces so that one check stays one line.
 */
#include <stdlib.h>
#include <string.h>

#include "outputs/output.h"

typedef struct kbuf {
    char *data;
    size_t len, cap;
    int oom;
} kbuf_t;

static void put(kbuf_t *b, const char *s, size_t n)
{
    if (b->oom)
        return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        char *p;

        while (cap < b->len + n + 1)
            cap *= 2;
        if ((p = realloc(b->data, cap)) == NULL) {
            b->oom = 1;
            return;
        }
        b->data = p;
        b->cap = cap;
    }
    memcpy(b->data + b->len, s, n);
    b->len += n;
    b->data[b->len] = '\0';
}

static void put_str(kbuf_t *b, const char *s)
{
    put(b, s, strlen(s));
}

/* s on one line: each CRLF, CR or LF becomes one space. */
static void put_line(kbuf_t *b, const char *s)
{
    while (*s != '\0') {
        size_t n = strcspn(s, "\r\n");

        put(b, s, n);
        s += n;
        if (*s == '\0')
            break;
        put(b, " ", 1);
        s += s[0] == '\r' && s[1] == '\n' ? 2 : 1;
    }
}

static void check_line(kbuf_t *b, const vitals_check_state_t *st,
                       int details)
{
    if (st->status != VITALS_UNHEALTHY) {
        put_str(b, "[+]");
        put_str(b, st->name);
        put_str(b, " ok\n");
        return;
    }
    put_str(b, "[-]");
    put_str(b, st->name);
    put_str(b, " failed: ");
    if (!details)
        put_str(b, "reason withheld");
    else if (st->error != NULL)
        put_line(b, st->error);
    else if (st->description != NULL)
        put_line(b, st->description);
    else
        put_str(b, "unhealthy"); /* a bare unhealthy status, no message */
    put_str(b, "\n");
}

vbody_t *vformat_k8s(const vview_t *v, const char *probe, int verbose)
{
    int failed = v->status == VITALS_UNHEALTHY;
    kbuf_t b = {NULL, 0, 0, 0};

    if (probe == NULL)
        probe = "healthz";
    if (!failed && !verbose) {
        char *ok = strdup("ok");

        return ok != NULL ? vbody_new(ok, 2) : NULL;
    }
    for (size_t i = 0; i < v->n; i++)
        check_line(&b, &v->entries[i]->pub, v->details);
    put_str(&b, probe);
    put_str(&b, failed ? " check failed\n" : " check passed\n");
    if (b.oom) {
        free(b.data);
        return NULL;
    }
    return vbody_new(b.data, b.len);
}

/* ------------------------------------------------------------------------
 * Answering /livez and /readyz (livez.c, readyz.c)
 */

#define MAX_EXCLUDE 64

static vbody_t *k8s_fn(const vview_t *v, const vreq_t *r)
{
    return vformat_k8s(v, r->output->id,
                       vreq_query(r, "verbose", NULL, 0) > 0);
}

void vk8s_answer(vreq_t *r, vans_t *ans, const char *probe)
{
    const char *exclude[MAX_EXCLUDE];
    vselect_t sel = {0};
    const vbody_t *b;
    int verbose = vreq_query(r, "verbose", NULL, 0) > 0;

    sel.probe = probe;
    sel.exclude = exclude;
    sel.nexclude = vreq_query(r, "exclude", exclude, MAX_EXCLUDE);
    if (sel.nexclude > MAX_EXCLUDE)
        return vans_error(ans, 400, "At most 64 exclude parameters");
    if (r->rest[0] != '\0') {
        sel.name = r->rest + 1;
        if (vsnap_find(r->snap, sel.name) == NULL)
            return vans_error(ans, 404, "There is no check with this name");
        sel.probe = NULL; /* asked by name: whatever its tags */
    }
    b = vreq_view(r, ans, verbose ? "verbose" : NULL, &sel, k8s_fn);
    if (b != NULL)
        ans->status = b->health == VITALS_UNHEALTHY ? 500 : 200;
}
