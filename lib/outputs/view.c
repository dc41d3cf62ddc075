/* view.c - selecting the checks one request asks for, and their status,
 * with the Kubernetes probe views and the lifecycle (draining,
 * maintenance, startup) applied; and the verdict on a selection that load
 * balancers and orchestrators are given. */
#include <stdlib.h>
#include <string.h>

#include "outputs/format.h"

static int listed(const char *name, const char *const *list, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(list[i], name) == 0)
            return 1;
    return 0;
}

/* Whether e belongs to the probe's view. */
static int in_probe(const vsnap_entry_t *e, const char *probe)
{
    if (probe == NULL || strcmp(probe, VPROBE_STARTUP) == 0)
        return 1;
    if (strcmp(probe, VPROBE_LIVE) == 0)
        return vsnap_entry_has_tag(e, VPROBE_LIVE);
    return vsnap_entry_has_tag(e, probe) ||
           (!vsnap_entry_has_tag(e, VPROBE_LIVE) &&
            !vsnap_entry_has_tag(e, VPROBE_READY));
}

/* Whether e belongs to the view, exclusions aside. */
static int candidate(const vsnap_entry_t *e, const vselect_t *sel)
{
    if (sel == NULL)
        return 1;
    if (sel->name != NULL && strcmp(e->pub.name, sel->name) != 0)
        return 0;
    if (!in_probe(e, sel->probe))
        return 0;
    if (sel->ntags > 0) {
        if (sel->with_application && vsnap_entry_has_tag(e, "application"))
            return 1;
        for (size_t i = 0; i < sel->ntags; i++)
            if (vsnap_entry_has_tag(e, sel->tags[i]))
                return 1;
        return 0;
    }
    return 1;
}

/* What e adds to the view's status. */
static vitals_status_t counted(const vsnap_entry_t *e, const char *probe)
{
    if (probe != NULL && !e->has_run && strcmp(probe, VPROBE_LIVE) == 0)
        return VITALS_HEALTHY; /* liveness never waits for a first run */
    if (probe != NULL && strcmp(probe, VPROBE_STARTUP) == 0)
        return e->has_run ? VITALS_HEALTHY : VITALS_UNHEALTHY;
    return e->pub.status;
}

/* The lifecycle's verdict on the view: what fails it whatever its checks
 * say. Liveness never fails for it. */
static void lifecycle(vview_t *view, const char *probe, const char *name)
{
    const vitals_snapshot_t *s = view->snap;
    int ready = probe != NULL && strcmp(probe, VPROBE_READY) == 0;

    if (probe != NULL && strcmp(probe, VPROBE_LIVE) == 0)
        return;
    if (name != NULL)
        return; /* one check asked for by name: its own status */
    if (probe != NULL && strcmp(probe, VPROBE_STARTUP) == 0) {
        if (s->started_up)
            view->status = VITALS_HEALTHY; /* passes for good */
        return;
    }
    if (s->draining && (ready || s->drain_fails_all)) {
        view->lifecycle = "shutdown";
        view->lifecycle_reason = "shutting down";
    } else if (s->maintenance != NULL && ready) {
        view->lifecycle = "maintenance";
        view->lifecycle_reason = s->maintenance;
    }
    if (view->lifecycle != NULL)
        view->status = VITALS_UNHEALTHY;
}

static int collect_unmatched(vview_t *view, const vselect_t *sel)
{
    if (sel == NULL || sel->nexclude == 0)
        return VITALS_OK;
    if ((view->unmatched = calloc(sel->nexclude, sizeof(char *))) == NULL)
        return VITALS_ENOMEM;
    for (size_t i = 0; i < sel->nexclude; i++) {
        int found = 0;

        for (size_t j = 0; j < view->nexcluded && !found; j++)
            found = strcmp(view->excluded[j]->pub.name, sel->exclude[i]) == 0;
        if (!found && !listed(sel->exclude[i], view->unmatched,
                              view->nunmatched))
            view->unmatched[view->nunmatched++] = sel->exclude[i];
    }
    return VITALS_OK;
}

int vview_init(vview_t *view, const vitals_snapshot_t *s,
               const vselect_t *sel)
{
    const char *probe = sel != NULL ? sel->probe : NULL;

    memset(view, 0, sizeof(*view));
    view->snap = s;
    view->details = 1;
    view->status = VITALS_HEALTHY;
    if (s->n > 0 &&
        ((view->entries = calloc(s->n, sizeof(*view->entries))) == NULL ||
         (view->excluded = calloc(s->n, sizeof(*view->excluded))) == NULL)) {
        vview_free(view);
        return VITALS_ENOMEM;
    }
    for (size_t i = 0; i < s->n; i++) {
        const vsnap_entry_t *e = &s->entries[i];
        vitals_status_t st;

        if (!candidate(e, sel))
            continue;
        if (sel != NULL && listed(e->pub.name, sel->exclude, sel->nexclude)) {
            view->excluded[view->nexcluded++] = e;
            continue;
        }
        view->entries[view->n++] = e;
        if ((st = counted(e, probe)) > view->status)
            view->status = st;
    }
    lifecycle(view, probe, sel != NULL ? sel->name : NULL);
    if (collect_unmatched(view, sel) != VITALS_OK) {
        vview_free(view);
        return VITALS_ENOMEM;
    }
    return VITALS_OK;
}

void vview_free(vview_t *view)
{
    free(view->entries);
    free(view->excluded);
    free(view->unmatched);
    view->entries = NULL;
    view->excluded = NULL;
    view->unmatched = NULL;
    view->n = view->nexcluded = view->nunmatched = 0;
}

/* The probe views by the names agent-send texts and gRPC services use. */
static const struct {
    const char *name, *probe;
} named_views[] = {
    {"", VPROBE_READY},           {"ready", VPROBE_READY},
    {"readiness", VPROBE_READY},  {"live", VPROBE_LIVE},
    {"liveness", VPROBE_LIVE},    {"startup", VPROBE_STARTUP},
};

int vverdict_select(const vitals_snapshot_t *s, const char *name,
                    vselect_t *sel, const char **tag)
{
    memset(sel, 0, sizeof(*sel));
    for (size_t i = 0; i < sizeof(named_views) / sizeof(named_views[0]); i++)
        if (strcmp(name, named_views[i].name) == 0) {
            sel->probe = named_views[i].probe;
            return VITALS_OK;
        }
    if (vsnap_find(s, name) != NULL) {
        sel->name = name;
        return VITALS_OK;
    }
    for (size_t i = 0; i < s->n; i++)
        if (vsnap_entry_has_tag(&s->entries[i], name)) {
            *tag = name;
            sel->tags = tag;
            sel->ntags = 1;
            return VITALS_OK;
        }
    return VITALS_ENOENT;
}

/* The first check that fails the view, and what it says. */
static void blame(const vview_t *view, const char *probe, vverdict_t *out)
{
    for (size_t i = 0; i < view->n; i++) {
        const vsnap_entry_t *e = view->entries[i];

        if (counted(e, probe) != VITALS_UNHEALTHY)
            continue;
        out->why_name = e->pub.name;
        out->why = e->pub.error != NULL ? e->pub.error
                   : !e->has_run        ? "not yet run"
                                        : e->pub.description;
        return;
    }
}

int vverdict_get(const vitals_snapshot_t *s, const vselect_t *sel,
                 vverdict_t *out)
{
    const char *probe = sel != NULL ? sel->probe : NULL;
    int lifecycle_applies = probe == NULL || strcmp(probe, VPROBE_READY) == 0;
    vview_t view;

    memset(out, 0, sizeof(*out));
    if (lifecycle_applies && s->draining) {
        out->state = VVERDICT_DRAIN;
        return VITALS_OK;
    }
    if (lifecycle_applies && s->maintenance != NULL) {
        out->state = VVERDICT_MAINT;
        return VITALS_OK;
    }
    if (vview_init(&view, s, sel) != VITALS_OK)
        return VITALS_ENOMEM;
    out->state = view.status == VITALS_HEALTHY    ? VVERDICT_UP
                 : view.status == VITALS_DEGRADED ? VVERDICT_DEGRADED
                                                  : VVERDICT_DOWN;
    if (out->state == VVERDICT_DOWN)
        blame(&view, probe, out);
    vview_free(&view);
    return VITALS_OK;
}
