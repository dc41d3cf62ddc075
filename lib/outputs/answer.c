/* answer.c - what every output shares to answer: a view rendered once per
 * snapshot and selection through the snapshot's cache, and error answers. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "outputs/output.h"

#define KEY_MAX 2304 /* a cache key: output, selection; URIs are capped */

void vreq_cached(vreq_t *r, vans_t *ans, const char *key, vrender_fn render,
                 void *arg)
{
    int owned = 0;
    vbody_t *b = vsnap_body(r->snap, key, render, arg, &owned);

    if (b == NULL)
        return vans_error(ans, 500, "Could not render the response");
    if (owned)
        ans->owned = b;
    else
        ans->cached = b;
}

void vans_error(vans_t *ans, unsigned status, const char *description)
{
    ans->status = status;
    ans->error = description;
}

void vans_errorf(vans_t *ans, unsigned status, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(ans->msg, sizeof(ans->msg), fmt, ap);
    va_end(ap);
    vans_error(ans, status, ans->msg);
}

typedef struct {
    const vreq_t *req;
    const vselect_t *sel;
    vview_fn fn;
} vrender_arg_t;

static vbody_t *render_view(void *p)
{
    vrender_arg_t *a = p;
    vview_t view;
    vbody_t *b;

    if (vview_init(&view, a->req->snap, a->sel) != VITALS_OK)
        return NULL;
    view.details = a->req->details;
    b = a->fn(&view, a->req);
    if (b != NULL)
        b->health = view.status;
    vview_free(&view);
    return b;
}

/* Appends "&name=<length>:value" pairs for a selection to key: the cache
 * key must name everything the body depends on, and the length keeps a
 * value holding "&tag=" from spelling two. */
static void key_add(char *key, size_t len, const char *name,
                    const char *const *vals, size_t n)
{
    size_t used = strlen(key);

    for (size_t i = 0; i < n && used < len; i++)
        used += (size_t)snprintf(key + used, len - used, "&%s=%zu:%s", name,
                                 strlen(vals[i]), vals[i]);
}

const vbody_t *vreq_view(vreq_t *r, vans_t *ans, const char *variant,
                         const vselect_t *sel, vview_fn fn)
{
    char key[KEY_MAX];
    vrender_arg_t a = {r, sel, fn};

    snprintf(key, sizeof(key), "%s%s|%d|%s", r->output->id, r->rest,
             r->details, variant ? variant : "");
    if (sel->name)
        key_add(key, sizeof(key), "name", &sel->name, 1);
    key_add(key, sizeof(key), "tag", sel->tags, sel->ntags);
    key_add(key, sizeof(key), "exclude", sel->exclude, sel->nexclude);
    if (strlen(key) >= sizeof(key) - 1) {
        /* Cut short (a long max_uri_bytes): two selections could share
         * the key, so this body is the request's alone. */
        if ((ans->owned = render_view(&a)) == NULL)
            vans_error(ans, 500, "Could not render the response");
        return ans->owned;
    }
    vreq_cached(r, ans, key, render_view, &a);
    return ans->cached ? ans->cached : ans->owned;
}

int vreq_tags(const vreq_t *r, vans_t *ans, vselect_t *sel, const char **tags,
              size_t max)
{
    sel->tags = tags;
    sel->ntags = vreq_query(r, "tag", tags, max);
    if (sel->ntags > max) {
        vans_errorf(ans, 400, "At most %zu tag parameters", max);
        return -1;
    }
    return 0;
}
