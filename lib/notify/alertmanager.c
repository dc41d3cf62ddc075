/* alertmanager.c - the "alertmanager" target: alerts POSTed to
 * Alertmanager's API v2 (/api/v2/alerts, a list of postableAlerts), as
 * Prometheus sends them: re-sent every resend_interval while firing with
 * endsAt 4 intervals ahead (so that an alert vitalsd stops sending ends on
 * its own), and sent with endsAt now when it resolves. Alertmanager's
 * grouping, silences, inhibition and routing do the rest. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "notify/render.h"
#include "util/clock.h"

/* The labels vitals sets itself; `labels` may add others. */
static const char *const own_labels[] = {"alertname", "service", "instance",
                                         "check", "severity", NULL};

/* Prometheus' label names: [a-zA-Z_][a-zA-Z0-9_]*, and not __reserved. */
static int label_name_ok(const char *s)
{
    if (s == NULL || !(*s == '_' || (*s >= 'a' && *s <= 'z') ||
                       (*s >= 'A' && *s <= 'Z')) ||
        strncmp(s, "__", 2) == 0)
        return 0;
    return strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                     "0123456789_") == strlen(s);
}

static int own_label(const char *s)
{
    for (size_t i = 0; own_labels[i] != NULL; i++) {
        if (strcmp(own_labels[i], s) == 0)
            return 1;
    }
    return 0;
}

/* One pair of `labels`; 0, or -1 after an error. */
static int read_label(vnode_t *key, vnode_t *val, char **pair, verrs_t *e)
{
    const char *v;

    if (!label_name_ok(key->str)) {
        verrs_add(e, key, "'labels': invalid label name \"%s\" (expected "
                          "letters, digits and '_', not starting with a "
                          "digit or \"__\")",
                  key->str ? key->str : "");
        return -1;
    }
    if (own_label(key->str)) {
        verrs_add(e, key, "'labels': '%s' is set by vitals", key->str);
        return -1;
    }
    if (vnode_as_str(val, "labels", &v, e) != 0)
        return -1;
    if ((pair[0] = strdup(key->str)) == NULL ||
        (pair[1] = strdup(v)) == NULL) {
        verrs_add(e, key, "out of memory");
        return -1;
    }
    return 0;
}

/* labels: more labels on every alert (team, env...), as name, value pairs
 * in a NULL-terminated list. */
static int parse_labels(vnode_t *node, void *field, verrs_t *e)
{
    char **pairs;
    int bad = 0;

    if (node->kind != VNODE_MAP) {
        verrs_add(e, node, "'labels': expected a map of label names to "
                           "values");
        return -1;
    }
    if ((pairs = calloc(2 * node->n + 1, sizeof(*pairs))) == NULL) {
        verrs_add(e, node, "out of memory");
        return -1;
    }
    *(char ***)field = pairs;
    for (size_t i = 0; i < node->n; i++) {
        node->used[i] = 1;
        if (!bad && read_label(node->keys[i], node->items[i], &pairs[2 * i],
                               e) != 0)
            bad = 1;
    }
    return bad ? -1 : 0;
}

static void free_labels(void *field)
{
    vnode_strv_free(*(char ***)field);
}

static const vsetting_t alertmanager_settings[] = {
    VNOTIFY_HTTP_SETTINGS,
    VNOTIFY_RETRY_SETTINGS,
    VNOTIFY_ALERT_SETTINGS,
    {.key = "resend_interval", .kind = VSET_DURATION,
     .offset = offsetof(vnotify_conf_t, resend_ms), .flags = VSET_POSITIVE,
     .min = 1000, .max = 86400000, .def = "1m",
     .doc = "how often firing alerts are sent again"},
    {.key = "alertname", .kind = VSET_STR,
     .offset = offsetof(vnotify_conf_t, alertname), .flags = VSET_NONEMPTY,
     .def = "VitalsCheckFailing"},
    {.key = "labels", .kind = VSET_CUSTOM,
     .offset = offsetof(vnotify_conf_t, labels), .parse = parse_labels,
     .free = free_labels},
    {0}};

/* url is Alertmanager's base URL, as Prometheus is given it: the alerts
 * go to <url>/api/v2/alerts, whatever path prefix it has. */
static int api_url(vnotify_conf_t *c)
{
    CURLU *h = curl_url();
    char *path = NULL, *full = NULL, *url = NULL;
    size_t n;
    int rc = -1;

    if (h != NULL && curl_url_set(h, CURLUPART_URL, c->http.url, 0) == 0 &&
        curl_url_get(h, CURLUPART_PATH, &path, 0) == 0) {
        n = strlen(path);
        while (n > 0 && path[n - 1] == '/')
            n--;
        if ((full = malloc(n + sizeof("/api/v2/alerts"))) != NULL) {
            memcpy(full, path, n);
            strcpy(full + n, "/api/v2/alerts");
            if (curl_url_set(h, CURLUPART_PATH, full, 0) == 0 &&
                curl_url_get(h, CURLUPART_URL, &url, 0) == 0 &&
                (c->post_url = strdup(url)) != NULL)
                rc = 0;
        }
    }
    if (url != NULL)
        explicit_bzero(url, strlen(url));
    curl_free(url);
    curl_free(path);
    free(full);
    curl_url_cleanup(h);
    return rc;
}

static int alertmanager_prepare(vnotify_conf_t *c, vnode_t *m, verrs_t *e)
{
    if (api_url(c) == 0 &&
        vcheck_target_default_header(&c->http, "Content-Type",
                                     "Content-Type: application/json") == 0)
        return 0;
    verrs_add(e, m, "out of memory");
    return -1;
}

static json_t *alert_labels(const vnotify_target_t *t,
                            const vnotify_event_t *ev)
{
    const vnotify_conf_t *c = &t->conf;
    json_t *l = json_pack("{s:s, s:s, s:s}", "alertname", c->alertname,
                          "check", ev->alert->check, "severity",
                          ev->alert->critical ? "critical" : "warning");

    /* Empty labels are dropped by Alertmanager: leave them out. */
    if (l != NULL && vnotify_service(ev->snap) != NULL)
        json_object_set_new(l, "service",
                            vnotify_json_str(vnotify_service(ev->snap)));
    if (l != NULL && vnotify_instance(ev->snap) != NULL)
        json_object_set_new(l, "instance",
                            vnotify_json_str(vnotify_instance(ev->snap)));
    for (size_t i = 0; l != NULL && c->labels && c->labels[i]; i += 2)
        json_object_set_new(l, c->labels[i],
                            vnotify_json_str(c->labels[i + 1]));
    return l;
}

/* One postableAlert. While firing, endsAt is 4 resend intervals ahead, as
 * Prometheus sets it: two lost sends later it still fires; if vitalsd
 * dies, Alertmanager resolves it on its own. */
static json_t *alert_json(const vnotify_target_t *t,
                          const vnotify_event_t *ev)
{
    int64_t ends = ev->firing ? ev->now_ns + 4 * t->conf.resend_ms * VCLOCK_MS
                              : ev->now_ns;
    const char *out = vnotify_output(ev);
    char summary[256], starts[36], end[36];
    json_t *ann = json_pack("{s:s}", "summary",
                            vnotify_summary(ev, summary, sizeof(summary)));
    json_t *a;

    if (ann != NULL && out != NULL)
        json_object_set_new(ann, "description", vnotify_json_str(out));
    a = json_pack("{s:o, s:o, s:s, s:s}", "labels", alert_labels(t, ev),
                  "annotations", ann, "startsAt",
                  vnotify_time(ev->alert->since_ns, starts), "endsAt",
                  vnotify_time(ends, end));
    if (a != NULL && t->conf.page_url != NULL)
        json_object_set_new(a, "generatorURL",
                            json_string(t->conf.page_url));
    return a;
}

static char *alertmanager_render(const vnotify_target_t *t,
                                 const vnotify_event_t *ev)
{
    return vnotify_json_take(json_pack("[o]", alert_json(t, ev)));
}

/* Every alert Alertmanager was told fires, in one list, once per
 * resend_interval; not while earlier messages still wait (they say as
 * much), and without retries (the next resend replaces it). */
static int64_t alertmanager_tick(vnotifier_t *n, vnotify_target_t *t,
                                 int64_t now)
{
    const vitals_snapshot_t *s = vnotifier_snapshot(n);
    int64_t now_ns = vclock_real(&vclock_system);
    json_t *list = json_array();
    size_t firing = 0;

    for (size_t i = 0; list != NULL && i < t->run.nalerts; i++) {
        const vnotify_alert_t *a = &t->run.alerts[i];
        vnotify_event_t ev = {a, 1, VITALS_HEALTHY, a->notified_status, s,
                              now_ns};

        if (a->notified && t->run.head == NULL) {
            json_array_append_new(list, alert_json(t, &ev));
            firing++;
        }
    }
    if (firing > 0)
        vnotify_enqueue(n, t, vnotify_json_take(list), "resend", 0, now);
    else
        json_decref(list);
    return now + t->conf.resend_ms * VCLOCK_MS;
}

const vnotify_type_t vnotify_alertmanager = {
    .name = "alertmanager",
    .settings = alertmanager_settings,
    .alerts = 1,
    .prepare = alertmanager_prepare,
    .render = alertmanager_render,
    .tick = alertmanager_tick,
};
