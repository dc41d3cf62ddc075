/* remote.c - the "remote" check type: another service's health endpoint,
 * reported with the status it gives itself and its checks nested as
 * children. Understands IETF health+json, .NET HealthReport (seed 001),
 * Spring Boot Actuator, and avalanchego/mosparo (`healthy`); any other
 * answer is judged by its HTTP status alone. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* strcasecmp */
#endif

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "checks/check_type.h"
#include "checks/http_target.h"

/* Spring Boot nests components in components; deeper than this is not a
 * health answer any more, and the recursion must stop somewhere. */
#define MAX_DEPTH 8
/* Names listed in "not healthy: a, b, ..." before "and N more". */
#define LIST_MAX 5
/* Bytes of the remote's own text (IETF output, mosparo error) quoted. */
#define NOTE_MAX 200
/* A child's name, with room for a "#2" that keeps it unique. */
#define NAME_MAX_BYTES 320

typedef struct remote {
    vcheck_target_t t;
} remote_t;

static const vsetting_t remote_settings[] = {
    VCHECK_TARGET_SETTINGS(remote_t, t),
    {0}};

static int remote_prepare(void *state, vnode_t *settings, verrs_t *e)
{
    remote_t *rm = state;

    if (vcheck_target_check(&rm->t, settings, e) != 0)
        return -1;
    /* Ask for a health document: Spring Boot and others negotiate, and
     * would otherwise answer with HTML or a format of their choosing. */
    if (vcheck_target_default_header(
            &rm->t, "Accept",
            "Accept: application/health+json, application/json;q=0.9, "
            "*/*;q=0.1") != 0) {
        verrs_add(e, settings, "out of memory");
        return -1;
    }
    return 0;
}

/* ------------------------------------------------------------------------
 * Reading the answer
 */

/* The status words of every format understood, case-insensitive. ok/up
 * and error/down are what hand-written endpoints say; UNKNOWN is Spring
 * Boot's "cannot tell", which is less than healthy but not a failure. */
static const struct {
    const char *word;
    vitals_status_t status;
} words[] = {
    {"pass", VITALS_HEALTHY},       {"ok", VITALS_HEALTHY},
    {"up", VITALS_HEALTHY},         {"healthy", VITALS_HEALTHY},
    {"warn", VITALS_DEGRADED},      {"degraded", VITALS_DEGRADED},
    {"unknown", VITALS_DEGRADED},   {"fail", VITALS_UNHEALTHY},
    {"error", VITALS_UNHEALTHY},    {"down", VITALS_UNHEALTHY},
    {"out_of_service", VITALS_UNHEALTHY}, {"unhealthy", VITALS_UNHEALTHY},
};

/* 0 and *out set when s is a known status word, else -1. */
static int map_word(const char *s, vitals_status_t *out)
{
    size_t i;

    if (!s)
        return -1;
    for (i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
        if (strcasecmp(s, words[i].word) == 0) {
            *out = words[i].status;
            return 0;
        }
    }
    return -1;
}

/* A string member of o, or NULL when absent, empty or not a string. */
static const char *str_of(const json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));

    return s && s[0] ? s : NULL;
}

/* What a run gathers while it walks the children. */
typedef struct walk {
    vitals_result_t *r;
    json_t *seen; /* child names used, to keep them unique */
    char list[512]; /* "a, b" of the children not healthy */
    size_t nlisted, nmore;
    int oom;
} walk_t;

static void note_unhealthy(walk_t *w, const char *name)
{
    size_t len = strlen(w->list);

    if (w->nlisted == LIST_MAX) {
        w->nmore++;
        return;
    }
    snprintf(w->list + len, sizeof(w->list) - len, "%s%.80s",
             len ? ", " : "", name);
    w->nlisted++;
}

/* A new child of parent called name, or name#2, name#3, ... when a
 * sibling has that name already (IETF lists several components under one
 * key, and two keys may share a componentId). NULL when out of memory. */
static vitals_result_t *new_child(walk_t *w, vitals_result_t *parent,
                                  json_t *seen, const char *name,
                                  char used[NAME_MAX_BYTES])
{
    vitals_result_t *c;
    int n;

    snprintf(used, NAME_MAX_BYTES, "%s", name);
    for (n = 2; json_object_get(seen, used); n++)
        snprintf(used, NAME_MAX_BYTES, "%.300s#%d", name, n);
    if (json_object_set_new(seen, used, json_true()) != 0 ||
        !(c = vitals_result_child(parent, used))) {
        w->oom = 1;
        return NULL;
    }
    return c;
}

/* Copies every member of obj into c's data. */
static void copy_data(walk_t *w, vitals_result_t *c, const json_t *obj)
{
    const char *key;
    json_t *value;
    char *text;

    json_object_foreach((json_t *)obj, key, value) {
        text = json_dumps(value, JSON_ENCODE_ANY | JSON_COMPACT);
        if (!text || vitals_result_set_json(c, key, text) != 0)
            w->oom = 1;
        free(text);
    }
}

/* Sets a child's status, and its error when it is not healthy: the given
 * reason, else the status word the remote used. A status that is missing
 * or not understood cannot be counted on: unhealthy. Returns the status. */
static vitals_status_t settle(walk_t *w, vitals_result_t *c, const char *name,
                              const char *word, const char *reason, int top)
{
    vitals_status_t s = VITALS_UNHEALTHY;

    if (!word) {
        vitals_result_set_error(c, "no status");
    } else if (map_word(word, &s) != 0) {
        vitals_result_set_error(c, "unrecognised status \"%.40s\"", word);
    } else if (s != VITALS_HEALTHY) {
        if (reason)
            vitals_result_set_error(c, "%s", reason);
        else
            vitals_result_set_error(c, "status %s", word);
    }
    vitals_result_set_status(c, s);
    if (top && s != VITALS_HEALTHY)
        note_unhealthy(w, name);
    return s;
}

/* IETF: "checks": {"component:measurement": [{componentId, status,
 * output, observedValue, ...}]}. */
static void ietf_item(walk_t *w, const char *key, const json_t *item)
{
    const char *id = str_of(item, "componentId");
    const char *word = json_string_value(json_object_get(item, "status"));
    const char *output = str_of(item, "output");
    static const char *const facts[] = {"componentType", "observedValue",
                                        "observedUnit"};
    char name[NAME_MAX_BYTES], *text;
    vitals_result_t *c = new_child(w, w->r, w->seen, id ? id : key, name);
    json_t *fact;
    size_t i;

    if (!c)
        return;
    if (settle(w, c, name, word, output, 1) == VITALS_HEALTHY && output)
        vitals_result_set_description(c, "%s", output);
    for (i = 0; i < sizeof(facts) / sizeof(facts[0]); i++) {
        if (!(fact = json_object_get(item, facts[i])))
            continue;
        text = json_dumps(fact, JSON_ENCODE_ANY | JSON_COMPACT);
        if (!text || vitals_result_set_json(c, facts[i], text) != 0)
            w->oom = 1;
        free(text);
    }
}

/* avalanchego: "checks": {"name": {"message": {...}, "error": {"message":
 * "..."}, ...}}: an error present means the check fails. */
static void avalanche_item(walk_t *w, const char *key, const json_t *item)
{
    const json_t *err = json_object_get(item, "error");
    const json_t *msg = json_object_get(item, "message");
    char name[NAME_MAX_BYTES];
    vitals_result_t *c = new_child(w, w->r, w->seen, key, name);

    if (!c)
        return;
    if (json_is_object(msg))
        copy_data(w, c, msg);
    if (err && !json_is_null(err)) {
        const char *text = str_of(err, "message");
        vitals_result_set_status(c, VITALS_UNHEALTHY);
        vitals_result_set_error(c, "%s", text ? text : "failing");
        note_unhealthy(w, name);
    } else {
        vitals_result_set_status(c, VITALS_HEALTHY);
    }
}

static void walk_checks(walk_t *w, const json_t *checks)
{
    const char *key;
    json_t *value, *item;
    size_t i;

    json_object_foreach((json_t *)checks, key, value) {
        if (json_is_array(value)) {
            json_array_foreach(value, i, item) {
                if (json_is_object(item))
                    ietf_item(w, key, item);
            }
        } else if (json_is_object(value)) {
            avalanche_item(w, key, value);
        }
    }
}

/* HealthReport: "entries": {"name": {status, description, data,
 * exception: {message}}}. */
static void walk_entries(walk_t *w, const json_t *entries)
{
    const char *key, *desc, *reason;
    char name[NAME_MAX_BYTES];
    json_t *value, *data;
    vitals_result_t *c;

    json_object_foreach((json_t *)entries, key, value) {
        if (!json_is_object(value) ||
            !(c = new_child(w, w->r, w->seen, key, name)))
            continue;
        desc = str_of(value, "description");
        reason = str_of(json_object_get(value, "exception"), "message");
        if (desc)
            vitals_result_set_description(c, "%s", desc);
        if ((data = json_object_get(value, "data")) && json_is_object(data))
            copy_data(w, c, data);
        settle(w, c, name,
               json_string_value(json_object_get(value, "status")),
               reason ? reason : desc, 1);
    }
}

/* Spring Boot: "components": {"name": {status, details, components}},
 * nested as deep as the application composes its indicators. */
static void walk_components(walk_t *w, vitals_result_t *parent,
                            const json_t *components, int depth)
{
    const char *key;
    char name[NAME_MAX_BYTES];
    json_t *value, *details, *nested, *seen;
    vitals_result_t *c;

    if (depth >= MAX_DEPTH)
        return;
    if (!(seen = depth == 0 ? json_incref(w->seen) : json_object())) {
        w->oom = 1;
        return;
    }
    json_object_foreach((json_t *)components, key, value) {
        if (!json_is_object(value) ||
            !(c = new_child(w, parent, seen, key, name)))
            continue;
        details = json_object_get(value, "details");
        if (json_is_object(details))
            copy_data(w, c, details);
        settle(w, c, name,
               json_string_value(json_object_get(value, "status")),
               str_of(details, "error"), depth == 0);
        nested = json_object_get(value, "components");
        if (json_is_object(nested))
            walk_components(w, c, nested, depth + 1);
    }
    json_decref(seen);
}

/* The remote's verdict on itself, when its body gives one. */
typedef struct verdict {
    int known;
    vitals_status_t status;
    char said[96];    /* `status "pass"`, `healthy: false` */
    const char *note; /* its own words (IETF output, mosparo error) */
} verdict_t;

static void judge(const json_t *root, verdict_t *v)
{
    const char *word = json_string_value(json_object_get(root, "status"));
    const json_t *healthy = json_object_get(root, "healthy");

    memset(v, 0, sizeof(*v));
    if (map_word(word, &v->status) == 0) {
        v->known = 1;
        snprintf(v->said, sizeof(v->said), "status \"%s\"", word);
        v->note = str_of(root, "output");
    } else if (json_is_boolean(healthy)) {
        v->known = 1;
        v->status = json_is_true(healthy) ? VITALS_HEALTHY : VITALS_UNHEALTHY;
        snprintf(v->said, sizeof(v->said), "healthy: %s",
                 json_is_true(healthy) ? "true" : "false");
        v->note = str_of(root, "error");
    }
}

/* ------------------------------------------------------------------------
 * Running
 */

static void report(const remote_t *rm, vitals_result_t *r,
                   const vfetch_resp_t *resp, const verdict_t *v,
                   const walk_t *w)
{
    char tail[sizeof(w->list) + NOTE_MAX + 64] = "";
    const char *url = rm->t.shown;
    size_t o = 0;

    if (!v->known) {
        /* No health document: the HTTP status says it all. */
        vitals_result_set_description(r, "GET %s answered %ld in %.1f ms",
                                      url, resp->status, resp->ms);
        if (resp->status >= 200 && resp->status <= 399) {
            vitals_result_set_status(r, VITALS_HEALTHY);
        } else {
            vitals_result_set_status(r, VITALS_UNHEALTHY);
            vitals_result_set_error(r, "GET %s answered %ld, expected 200-399",
                                    url, resp->status);
        }
        return;
    }
    if (v->note)
        o += (size_t)snprintf(tail + o, sizeof(tail) - o, ": %.*s", NOTE_MAX,
                              v->note);
    if (w->nlisted && w->nmore)
        snprintf(tail + o, sizeof(tail) - o, " (not healthy: %s and %zu more)",
                 w->list, w->nmore);
    else if (w->nlisted)
        snprintf(tail + o, sizeof(tail) - o, " (not healthy: %s)", w->list);

    vitals_result_set_status(r, v->status);
    vitals_result_set_description(r, "GET %s answered %ld in %.1f ms, %s%s",
                                  url, resp->status, resp->ms, v->said, tail);
    if (v->status == VITALS_UNHEALTHY)
        vitals_result_set_error(r, "GET %s answered %ld, %s%s", url,
                                resp->status, v->said, tail);
}

static void remote_run(void *state, vitals_result_t *r)
{
    const remote_t *rm = state;
    vfetch_resp_t resp;
    verdict_t v = {0};
    walk_t w = {.r = r};
    char why[CURL_ERROR_SIZE + 64];
    json_t *root = NULL, *part;

    if (vcheck_target_fetch(&rm->t, "GET", NULL, 0, r, &resp, why,
                            sizeof(why)) != 0) {
        vitals_result_set_error(r, "GET %s: %s", rm->t.shown, why);
        vfetch_resp_clear(&resp);
        return;
    }
    if (vitals_result_set_int(r, "statusCode", resp.status) < 0 ||
        vitals_result_set_double(r, "responseTimeMs", resp.ms) < 0 ||
        !(w.seen = json_object())) {
        vitals_result_set_error(r, "out of memory");
        vfetch_resp_clear(&resp);
        return;
    }
    vitals_result_observe(r, "responseTime", resp.ms, "ms");
    if (resp.body)
        root = json_loadb(resp.body, resp.len, 0, NULL);
    if (json_is_object(root)) {
        judge(root, &v);
        if (v.known) {
            if (json_is_object(part = json_object_get(root, "checks")))
                walk_checks(&w, part);
            if (json_is_object(part = json_object_get(root, "entries")))
                walk_entries(&w, part);
            if (json_is_object(part = json_object_get(root, "components")))
                walk_components(&w, r, part, 0);
        }
    }
    if (w.oom)
        vitals_result_set_error(r, "out of memory");
    else
        report(rm, r, &resp, &v, &w);
    json_decref(root);
    json_decref(w.seen);
    vfetch_resp_clear(&resp);
}

const vcheck_type_t vcheck_remote = {
    .name = "remote",
    /* IETF's word for a service depended on. */
    .component_type = "system",
    .settings = remote_settings,
    .state_size = sizeof(remote_t),
    .prepare = remote_prepare,
    .run = remote_run,
};
