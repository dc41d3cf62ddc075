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

typedef struct http {
    vcheck_target_t t;
    char *method;
    char *body; /* NULL: no body */
    size_t body_len;
    range_t *expect;
    size_t nexpect;
    char *expect_text;   /* "200-399", "200, 204": for messages */
    char *body_contains; /* NULL: not checked */
    int64_t degraded_after_ms; /* -1: not checked */
} http_t;

static void http_free(void *state)
{
    http_t *h = state;

    if (!h)
        return;
    vcheck_target_clear(&h->t);
    free(h->method);
    free(h->body);
    free(h->expect);
    free(h->expect_text);
    free(h->body_contains);
    free(h);
}

/* ------------------------------------------------------------------------
 * Configuration
 */

/* method: letters only (every registered method is), upper-cased, since a
 * lower-case "get" is never what the server expects. */
static int read_method(vnode_t *settings, http_t *h, verrs_t *e)
{
    const char *m = "GET";
    size_t i;
    int rc = vnode_str(settings, "method", &m, e);

    if (rc < 0)
        return -1;
    for (i = 0; m[i]; i++) {
        if (!((m[i] >= 'A' && m[i] <= 'Z') || (m[i] >= 'a' && m[i] <= 'z')))
            break;
    }
    if (i == 0 || m[i] || i > 32) {
        verrs_add(e, vnode_get(settings, "method"),
                  "'method': expected an HTTP method such as GET or POST, "
                  "got \"%s\"",
                  m);
        return -1;
    }
    if (!(h->method = strdup(m))) {
        verrs_add(e, settings, "out of memory");
        return -1;
    }
    for (i = 0; h->method[i]; i++) {
        if (h->method[i] >= 'a' && h->method[i] <= 'z')
            h->method[i] = (char)(h->method[i] - 'a' + 'A');
    }
    return 0;
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
static int read_expect(vnode_t *settings, http_t *h, verrs_t *e)
{
    vnode_t *v = vnode_get(settings, "expect_status");
    vnode_t *const *items;
    size_t n, i;
    int bad = 0;

    if (!v) {
        h->nexpect = 1;
        if (!(h->expect = malloc(sizeof(*h->expect))))
            goto oom;
        h->expect[0] = (range_t){200, 399};
    } else {
        if (v->kind == VNODE_MAP) {
            verrs_add(e, v,
                      "'expect_status': expected " STATUS_SYNTAX
                      ", or a list of them, got a map");
            return -1;
        }
        n = v->kind == VNODE_SEQ ? v->n : 1;
        items = v->kind == VNODE_SEQ ? v->items : &v;
        if (n == 0) {
            verrs_add(e, v, "'expect_status': must not be empty");
            return -1;
        }
        if (!(h->expect = calloc(n, sizeof(*h->expect))))
            goto oom;
        h->nexpect = n;
        for (i = 0; i < n; i++) {
            const vnode_t *it = items[i];
            int ok = it->kind == VNODE_SCALAR && !it->null && it->str &&
                     parse_status_item(it->str, &h->expect[i]) == 0;
            if (ok)
                continue;
            bad = 1;
            if (v->kind != VNODE_SEQ)
                verrs_add(e, it,
                          "'expect_status': expected " STATUS_SYNTAX
                          ", or a list of them, got \"%.40s\"",
                          it->str ? it->str : "");
            else if (it->kind != VNODE_SCALAR || it->null)
                verrs_add(e, it,
                          "'expect_status': item %zu: expected " STATUS_SYNTAX
                          ", got %s",
                          i + 1, vcheck_kind_name(it));
            else
                verrs_add(e, it,
                          "'expect_status': item %zu: expected " STATUS_SYNTAX
                          ", got \"%.40s\"",
                          i + 1, it->str);
        }
        if (bad)
            return -1;
    }
    if (!(h->expect_text = ranges_text(h->expect, h->nexpect)))
        goto oom;
    return 0;

oom:
    verrs_add(e, settings, "out of memory");
    return -1;
}

static int read_body(vnode_t *settings, http_t *h, verrs_t *e)
{
    const char *body = NULL, *contains = NULL;
    int rc, bad = 0;

    rc = vnode_str(settings, "body", &body, e);
    if (rc < 0) {
        bad = 1;
    } else if (rc > 0) {
        h->body_len = strlen(body);
        if (!(h->body = strdup(body)))
            goto oom;
    }
    rc = vnode_str(settings, "body_contains", &contains, e);
    if (rc < 0) {
        bad = 1;
    } else if (rc > 0 && contains[0] == '\0') {
        verrs_add(e, vnode_get(settings, "body_contains"),
                  "'body_contains': must not be empty");
        bad = 1;
    } else if (rc > 0) {
        if (!(h->body_contains = strdup(contains)))
            goto oom;
    }
    return bad ? -1 : 0;

oom:
    verrs_add(e, settings, "out of memory");
    return -1;
}

static void *http_configure(vnode_t *settings, verrs_t *e)
{
    http_t *h = calloc(1, sizeof(*h));
    int bad = 0, rc;

    if (!h) {
        verrs_add(e, settings, "out of memory");
        return NULL;
    }
    h->degraded_after_ms = -1;
    /* Every key is read even after an error, to report them all. */
    bad |= vcheck_target_read(settings, &h->t, e) != 0;
    bad |= read_method(settings, h, e) != 0;
    bad |= read_body(settings, h, e) != 0;
    bad |= read_expect(settings, h, e) != 0;
    bad |= vnode_duration(settings, "degraded_after", &h->degraded_after_ms,
                          e) < 0;
    /* HEAD has no body either way: a setting that cannot take effect is
     * a mistake, not a wish. */
    if (!bad && strcmp(h->method, "HEAD") == 0 && h->body_contains) {
        verrs_add(e, vnode_get(settings, "body_contains"),
                  "'body_contains' cannot be checked with method HEAD, "
                  "which has no body");
        bad = 1;
    }
    if (!bad && strcmp(h->method, "HEAD") == 0 && h->body) {
        verrs_add(e, vnode_get(settings, "body"),
                  "'body' cannot be sent with method HEAD");
        bad = 1;
    }
    /* libcurl would wait a second for a "100 Continue" before sending a
     * larger body; health endpoints do not answer one. */
    if (!bad && h->body) {
        rc = vcheck_target_default_header(&h->t, "Expect", "Expect:");
        if (rc != 0) {
            verrs_add(e, settings, "out of memory");
            bad = 1;
        }
    }
    if (bad) {
        http_free(h);
        return NULL;
    }
    return h;
}

/* ------------------------------------------------------------------------
 * Running
 */

static int status_expected(const http_t *h, long status)
{
    size_t i;

    for (i = 0; i < h->nexpect; i++) {
        if (status >= h->expect[i].lo && status <= h->expect[i].hi)
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
                                resp->status, h->expect_text);
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
    .configure = http_configure,
    .run = http_run,
    .free = http_free,
};
