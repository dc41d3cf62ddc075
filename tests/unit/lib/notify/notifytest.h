/* notifytest.h - what the notify unit tests share: targets read from a
 * JSON text, a snapshot of hand-made entries, rendered bodies as JSON. Header-only, included
 * by the tests of lib/notify/. */
#ifndef VITALS_NOTIFYTEST_H
#define VITALS_NOTIFYTEST_H

#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "notify/notify.h"

/* The targets of {"notify": [...]}; fails the test on an error. */
static inline vnotify_targets_t *nt_targets(const char *json)
{
    verrs_t *e = verrs_new();
    vnode_t *root = vnode_from_json(json, e);
    vnotify_targets_t *ts = vnotify_read(vnode_get(root, "notify"), e);

    if (e->n > 0)
        fail_msg("%s", e->msgs[0]);
    vnode_free(root);
    vitals_errors_free(e);
    return ts;
}

/* A snapshot of service orders on host1 whose one check, name, failed its
 * only run (status unhealthy, "connection refused"), published at mono. */
static inline vitals_snapshot_t *nt_failing(const char *name, int64_t mono)
{
    vitals_snapshot_t *s = vsnap_new(1);
    vsnap_entry_t *e = &s->entries[0];

    s->service_id = strdup("orders");
    s->service_instance = strdup("host1");
    s->mono_ns = mono;
    e->pub.name = name;
    e->pub.critical = 1;
    e->pub.status = VITALS_UNHEALTHY;
    e->pub.error = "connection refused";
    e->pub.contiguous_failures = 1;
    e->pub.first_failure_ns = 1602684245000000000LL;
    e->has_run = 1;
    e->runs[VITALS_UNHEALTHY] = 1;
    return s;
}

/* The body t renders for ev, as JSON; fails the test when it is not. */
static inline json_t *nt_render(const vnotify_target_t *t,
                                const vnotify_event_t *ev)
{
    char *body = t->type->render(t, ev);
    json_t *j = body ? json_loads(body, 0, NULL) : NULL;

    if (j == NULL)
        fail_msg("not JSON: %s", body ? body : "(null)");
    free(body);
    return j;
}

/* The string at key of j, or "(not a string)". */
static inline const char *nt_str(json_t *j, const char *key)
{
    json_t *v = json_object_get(j, key);

    return json_is_string(v) ? json_string_value(v) : "(not a string)";
}

#endif
