/* render.c - the pieces the webhook and Alertmanager bodies share (see
 * render.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "notify/render.h"
#include "util/clock.h"
#include "util/utf8.h"

json_t *vnotify_json_str(const char *s)
{
    json_t *j;
    char *clean;

    if (s == NULL)
        return json_null();
    if ((j = json_string(s)) != NULL)
        return j;
    /* A plugin's output in Latin-1, say: JSON wants UTF-8. */
    if ((clean = vutf8_clean(s, strlen(s), 0)) == NULL)
        return NULL;
    j = json_string(clean);
    free(clean);
    return j;
}

char *vnotify_json_take(json_t *j)
{
    char *text = j != NULL ? json_dumps(j, JSON_COMPACT) : NULL;

    json_decref(j);
    return text;
}

const char *vnotify_service(const vitals_snapshot_t *s)
{
    return s != NULL ? s->service_id : NULL;
}

const char *vnotify_instance(const vitals_snapshot_t *s)
{
    return s != NULL ? s->service_instance : NULL;
}

const char *vnotify_summary(const vnotify_event_t *ev, char *buf,
                            size_t len)
{
    snprintf(buf, len, "check %s is %s%s", ev->alert->check,
             vitals_status_name(ev->new_status), ev->firing ? "" : " again");
    return buf;
}

const char *vnotify_output(const vnotify_event_t *ev)
{
    return ev->firing ? ev->alert->output : ev->alert->text;
}

const char *vnotify_time(int64_t ns, char *buf)
{
    return vclock_rfc3339(ns, buf, 36);
}
