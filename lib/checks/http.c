/* http.c - the "http" check type: one HTTP(S) request, judged by its status
 * code, optionally by a string in its body, and by how long it took. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* memmem, asprintf */
#endif

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "checks/check_type.h"
#include "checks/settings.h"
#include "checks/http_target.h"

#define STATUS_MIN 100
#define STATUS_MAX 599

typedef struct range {
    long lo, hi;
} range_t;

typedef struct expect {
    range_t *v;
    size_t n;
    char *text; /* "200-399", "200, 204": for messages */
} expect_t;

typedef struct http {
    vcheck_target_t t;
    char *method;
    char *body; /* NULL: no body */
    size_t body_len;
    expect_t expect;
    char *body_contains; /* NULL: not checked */
    int64_t degraded_after_ms; /* -1: not checked */
} http_t;

/* ------------------------------------------------------------------------
 * Configuration
 */

/* method: letters only (every registered method is), upper-cased, since a
 * lower-case "get" is never what the server expects. */
static int parse_method(vnode_t *node, void *field, verrs_t *e)
{
    char **method = field;
    const char *m;
    size_t i;

    if (vnode_as_str(node, "method", &m, e) != 0)
        return -1;
    for (i = 0; m[i]; i++) {
        if (!((m[i] >= 'A' && m[i] <= 'Z') || (m[i] >= 'a' && m[i] <= 'z')))
            break;
    }
    if (i == 0 || m[i] || i > 32) {
        verrs_add(e, node,
                  "'method': expected an HTTP method such as GET or POST, "
                  "got \"%s\"",
                  m);
        return -1;
    }
    if (!(*method = strdup(m))) {
        verrs_add(e, node, "out of memory");
        return -1;
    }
    for (i = 0; (*method)[i]; i++) {
        if ((*method)[i] >= 'a' && (*method)[i] <= 'z')
            (*method)[i] = (char)((*method)[i] - 'a' + 'A');
    }
    return 0;
}

static void free_string(void *field)
{
    free(*(char **)field);
}

static int parse_code(const char *s, size_t n, long *out)
{
    long v = 0;
    size_t i;

    if (n != 3)
        return -1;
    for (i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    if (v < STATUS_MIN || v > STATUS_MAX)
        return -1;
    *out = v;
    return 0;
}

/* "200", "200-299" or "2xx". 0, or -1 when s is none of these. */
static int parse_status_item(const char *s, range_t *out)
{
    const char *dash = strchr(s, '-');
    size_t n = strlen(s);

    if (n == 3 && s[0] >= '1' && s[0] <= '5' && (s[1] == 'x' || s[1] == 'X') &&
        (s[2] == 'x' || s[2] == 'X')) {
        out->lo = (s[0] - '0') * 100;
        out->hi = out->lo + 99;
        return 0;
    }
    if (!dash) {
        if (parse_code(s, n, &out->lo) != 0)
            return -1;
        out->hi = out->lo;
        return 0;
    }
    if (parse_code(s, (size_t)(dash - s), &out->lo) != 0 ||
        parse_code(dash + 1, strlen(dash + 1), &out->hi) != 0 ||
        out->lo > out->hi)
        return -1;
    return 0;
}

/* The ranges as the messages show them: "200-399", "200, 204". */
static char *ranges_text(const range_t *rg, size_t n)
{
    char *s = malloc(n * 16 + 1);
    size_t i, o = 0;

    if (!s)
        return NULL;
    s[0] = '\0';
    for (i = 0; i < n; i++) {
        if (rg[i].lo == rg[i].hi)
            o += (size_t)sprintf(s + o, "%s%ld", i ? ", " : "", rg[i].lo);
        else
            o += (size_t)sprintf(s + o, "%s%ld-%ld", i ? ", " : "", rg[i].lo,
                                 rg[i].hi);
    }
    return s;
}

#define STATUS_SYNTAX "a status code (100-599) or a range such as \"200-299\""

/* expect_status: one item or a list of them; each an integer or a range
 * string. Default 200-399: a redirect is an answer, not a failure. */
/* Reports why item i (1-based; 0: a single item) of expect_status is not
 * a status or a range. */
static void bad_status(const vnode_t *it, size_t i, verrs_t *e)
{
    if (i == 0)
        verrs_add(e, it,
                  "'expect_status': expected " STATUS_SYNTAX
                  ", or a list of them, got \"%.40s\"",
                  it->str ? it->str : "");
    else if (it->kind != VNODE_SCALAR || it->null)
        verrs_add(e, it,
                  "'expect_status': item %zu: expected " STATUS_SYNTAX
                  ", got %s",
                  i, vcheck_kind_name(it));
    else
        verrs_add(e, it,
                  "'expect_status': item %zu: expected " STATUS_SYNTAX
                  ", got \"%.40s\"",
                  i, it->str);
}

static int parse_expect(vnode_t *v, void *field, verrs_t *e)
{
    expect_t *x = field;
    vnode_t *const *items = v->kind == VNODE_SEQ ? v->items : &v;
    size_t n = v->kind == VNODE_SEQ ? v->n : 1, i;
    int bad = 0;

    if (v->kind == VNODE_MAP) {
        verrs_add(e, v,
                  "'expect_status': expected " STATUS_SYNTAX
                  ", or a list of them, got a map");
        return -1;
    }
    if (n == 0) {
        verrs_add(e, v, "'expect_status': must not be empty");
        return -1;
    }
    if (!(x->v = calloc(n, sizeof(*x->v))))
        goto oom;
    x->n = n;
    for (i = 0; i < n; i++) {
        const vnode_t *it = items[i];
        if (it->kind != VNODE_SCALAR || it->null || !it->str ||
            parse_status_item(it->str, &x->v[i]) != 0) {
            bad_status(it, v->kind == VNODE_SEQ ? i + 1 : 0, e);
            bad = 1;
        }
    }
    if (bad)
        return -1;
    if (!(x->text = ranges_text(x->v, x->n)))
        goto oom;
    return 0;

oom:
    verrs_add(e, v, "out of memory");
    return -1;
}

static void free_expect(void *field)
{
    expect_t *x = field;

    free(x->v);
    free(x->text);
}


/* degraded_after has no default: absent, it is not checked. */
static const vsetting_t http_settings[] = {
    VCHECK_TARGET_SETTINGS(http_t, t),
    {.key = "method", .kind = VSET_CUSTOM, .offset = offsetof(http_t, method),
     .def = "GET", .parse = parse_method, .free = free_string},
    {.key = "body", .kind = VSET_STR, .offset = offsetof(http_t, body)},
    {.key = "body_contains", .kind = VSET_STR,
     .offset = offsetof(http_t, body_contains), .flags = VSET_NONEMPTY},
    {.key = "expect_status", .kind = VSET_CUSTOM,
     .offset = offsetof(http_t, expect), .def = "200-399",
     .parse = parse_expect, .free = free_expect},
    {.key = "degraded_after", .kind = VSET_DURATION,
     .offset = offsetof(http_t, degraded_after_ms)},
    {0}};

static int http_prepare(void *state, vnode_t *settings, verrs_t *e)
{
    http_t *h = state;

    if (vcheck_target_check(&h->t, settings, e) != 0)
        return -1;
    if (vnode_get(settings, "degraded_after") == NULL)
        h->degraded_after_ms = -1;
    /* HEAD has no body either way: a setting that cannot take effect is
     * a mistake, not a wish. */
    if (strcmp(h->method, "HEAD") == 0 && h->body_contains) {
        verrs_add(e, vnode_get(settings, "body_contains"),
                  "'body_contains' cannot be checked with method HEAD, "
                  "which has no body");
        return -1;
    }
    if (strcmp(h->method, "HEAD") == 0 && h->body) {
        verrs_add(e, vnode_get(settings, "body"),
                  "'body' cannot be sent with method HEAD");
        return -1;
    }
    if (!h->body)
        return 0;
    h->body_len = strlen(h->body);
    /* libcurl would wait a second for a "100 Continue" before sending a
     * larger body; health endpoints do not answer one. */
    if (vcheck_target_default_header(&h->t, "Expect", "Expect:") != 0) {
        verrs_add(e, settings, "out of memory");
        return -1;
    }
    return 0;
}

/* ------------------------------------------------------------------------
 * Running
 */

static int status_expected(const http_t *h, long status)
{
    size_t i;

    for (i = 0; i < h->expect.n; i++) {
        if (status >= h->expect.v[i].lo && status <= h->expect.v[i].hi)
            return 1;
    }
    return 0;
}

static void http_report(const http_t *h, vitals_result_t *r,
                        const vfetch_resp_t *resp)
{
    const char *m = h->method, *url = h->t.shown;
    char limit[32];

    if (vitals_result_set_int(r, "statusCode", resp->status) < 0 ||
        vitals_result_set_double(r, "responseTimeMs", resp->ms) < 0) {
        vitals_result_set_error(r, "out of memory");
        return;
    }
    vitals_result_observe(r, "responseTime", resp->ms, "ms");
    vitals_result_set_description(r, "%s %s answered %ld in %.1f ms", m, url,
                                  resp->status, resp->ms);

    if (!status_expected(h, resp->status)) {
        vitals_result_set_status(r, VITALS_UNHEALTHY);
        vitals_result_set_error(r, "%s %s answered %ld, expected %s", m, url,
                                resp->status, h->expect.text);
    } else if (h->body_contains &&
               !(resp->body && memmem(resp->body, resp->len, h->body_contains,
                                      strlen(h->body_contains)))) {
        vitals_result_set_status(r, VITALS_UNHEALTHY);
        vitals_result_set_error(r,
                                "%s %s answered %ld, body does not contain "
                                "\"%s\"%s",
                                m, url, resp->status, h->body_contains,
                                resp->truncated ? " in its first 1 MiB" : "");
    } else if (h->degraded_after_ms >= 0 &&
               resp->ms > (double)h->degraded_after_ms) {
        vitals_result_set_status(r, VITALS_DEGRADED);
        vitals_result_set_description(
            r, "%s %s answered %ld in %.1f ms, slower than %s", m, url,
            resp->status, resp->ms,
            vitals_format_duration(h->degraded_after_ms, limit,
                                   sizeof(limit)));
    } else {
        vitals_result_set_status(r, VITALS_HEALTHY);
    }
}

static void http_run(void *state, vitals_result_t *r)
{
    const http_t *h = state;
    vfetch_resp_t resp;
    char why[CURL_ERROR_SIZE + 64];

    if (vcheck_target_fetch(&h->t, h->method, h->body, h->body_len, r,
                            &resp, why, sizeof(why)) != 0)
        vitals_result_set_error(r, "%s %s: %s", h->method, h->t.shown, why);
    else
        http_report(h, r, &resp);
    vfetch_resp_clear(&resp);
}

const vcheck_type_t vcheck_http = {
    .name = "http",
    .component_type = "component",
    .settings = http_settings,
    .state_size = sizeof(http_t),
    .prepare = http_prepare,
    .run = http_run,
};
