/* webhook.c - the "webhook" target: one JSON document POSTed per alert
 * transition, or, with `format: slack`, a Slack-compatible {"text": ...}
 * (Slack's incoming webhooks, Mattermost, Rocket.Chat and the like). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "notify/render.h"
#include "util/buf.h"

/* format: json (the document) or slack (one line of text). */
static int parse_format(vnode_t *node, void *field, verrs_t *e)
{
    const char *s;

    if (vnode_as_str(node, "format", &s, e) != 0)
        return -1;
    if (strcmp(s, "json") != 0 && strcmp(s, "slack") != 0) {
        verrs_add(e, node, "'format': expected json or slack, got \"%s\"",
                  s);
        return -1;
    }
    *(int *)field = strcmp(s, "slack") == 0;
    return 0;
}

static const vsetting_t webhook_settings[] = {
    VNOTIFY_HTTP_SETTINGS,
    VNOTIFY_RETRY_SETTINGS,
    VNOTIFY_ALERT_SETTINGS,
    {.key = "format", .kind = VSET_CUSTOM,
     .offset = offsetof(vnotify_conf_t, slack), .parse = parse_format,
     .doc = "json (the default) or slack"},
    {0}};

static int webhook_prepare(vnotify_conf_t *c, vnode_t *m, verrs_t *e)
{
    if (vcheck_target_default_header(&c->http, "Content-Type",
                                     "Content-Type: application/json") == 0)
        return 0;
    verrs_add(e, m, "out of memory");
    return -1;
}

/* The document: what changed, where, since when, and the link. */
static char *render_json(const vnotify_target_t *t, const vnotify_event_t *ev)
{
    const vnotify_alert_t *a = ev->alert;
    char since[36], now[36];

    return vnotify_json_take(json_pack(
        "{s:s, s:s, s:s, s:s, s:o, s:s, s:I, s:b, s:o, s:o, s:o, s:s}",
        "event", ev->firing ? "firing" : "resolved", "check", a->check,
        "old_status", vitals_status_name(ev->old_status), "new_status",
        vitals_status_name(ev->new_status), "output",
        vnotify_json_str(vnotify_output(ev)), "since",
        vnotify_time(a->since_ns, since), "failures", (json_int_t)a->fails,
        "critical", a->critical, "service",
        vnotify_json_str(vnotify_service(ev->snap)), "instance",
        vnotify_json_str(vnotify_instance(ev->snap)), "url",
        vnotify_json_str(t->conf.page_url), "time",
        vnotify_time(ev->now_ns, now)));
}

/* Slack's escaping of text: &, < and > only (its markup uses them). */
static void slack_escape(vbuf_t *b, const char *s)
{
    for (; s != NULL && *s; s++) {
        if (*s == '&')
            vbuf_str(b, "&amp;");
        else if (*s == '<')
            vbuf_str(b, "&lt;");
        else if (*s == '>')
            vbuf_str(b, "&gt;");
        else
            vbuf_add(b, s, 1);
    }
}

/* "[FIRING] check db is unhealthy (was healthy) - orders on host1, since
 * 2020-10-14T14:04:05Z: connection refused <url|status page>" */
static char *render_slack(const vnotify_target_t *t,
                          const vnotify_event_t *ev)
{
    const char *svc = vnotify_service(ev->snap);
    const char *inst = vnotify_instance(ev->snap);
    const char *out = vnotify_output(ev);
    vbuf_t b = VBUF_INIT(0);
    char summary[256], since[36], *text;
    json_t *j;

    vbuf_str(&b, ev->firing ? "[FIRING] " : "[RESOLVED] ");
    slack_escape(&b, vnotify_summary(ev, summary, sizeof(summary)));
    vbuf_printf(&b, " (was %s) -", vitals_status_name(ev->old_status));
    if (svc != NULL) {
        vbuf_str(&b, " ");
        slack_escape(&b, svc);
    }
    vbuf_str(&b, " on ");
    slack_escape(&b, inst ? inst : "?");
    vbuf_printf(&b, ", since %s", vnotify_time(ev->alert->since_ns, since));
    if (out != NULL) {
        vbuf_str(&b, ": ");
        slack_escape(&b, out);
    }
    if (t->conf.page_url != NULL)
        vbuf_printf(&b, " <%s|status page>", t->conf.page_url);
    if ((text = vbuf_take(&b, NULL)) == NULL)
        return NULL;
    j = json_pack("{s:o}", "text", vnotify_json_str(text));
    free(text);
    return vnotify_json_take(j);
}

static char *webhook_render(const vnotify_target_t *t,
                            const vnotify_event_t *ev)
{
    return t->conf.slack ? render_slack(t, ev) : render_json(t, ev);
}

const vnotify_type_t vnotify_webhook = {
    .name = "webhook",
    .settings = webhook_settings,
    .alerts = 1,
    .prepare = webhook_prepare,
    .render = webhook_render,
};
