/* view.c - selecting the checks one request asks for, and their status. */
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

static int selected(const vsnap_entry_t *e, const vselect_t *sel)
{
    if (sel == NULL)
        return 1;
    if (sel->name != NULL && strcmp(e->pub.name, sel->name) != 0)
        return 0;
    if (listed(e->pub.name, sel->exclude, sel->nexclude))
        return 0;
    if (sel->probe != NULL && !vsnap_entry_has_tag(e, sel->probe) &&
        (vsnap_entry_has_tag(e, "live") || vsnap_entry_has_tag(e, "ready")))
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

int vview_init(vview_t *view, const vitals_snapshot_t *s,
               const vselect_t *sel)
{
    memset(view, 0, sizeof(*view));
    view->snap = s;
    view->details = 1;
    view->status = VITALS_HEALTHY;
    if (s->n > 0 && (view->entries = calloc(s->n, sizeof(*view->entries))) ==
                        NULL)
        return VITALS_ENOMEM;
    for (size_t i = 0; i < s->n; i++) {
        const vsnap_entry_t *e = &s->entries[i];

        if (!selected(e, sel))
            continue;
        view->entries[view->n++] = e;
        if (e->pub.status > view->status)
            view->status = e->pub.status;
    }
    return VITALS_OK;
}

void vview_free(vview_t *view)
{
    free(view->entries);
    view->entries = NULL;
    view->n = 0;
}
