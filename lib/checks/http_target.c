/* http_target.c - what the "http" and "remote" check types fetch: their
 * url, headers and TLS settings, and the fetch within the run's deadline
 * (see http_target.h). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* asprintf */
#endif

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "checks/http_target.h"
#include "checks/settings.h"

/* ------------------------------------------------------------------------
 * Settings
 */

/* RFC 9110 token characters, the syntax of a header name. */
static int is_token(const char *s)
{
    static const char extra[] = "!#$%&'*+-.^_`|~";

    if (!s || !*s)
        return 0;
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              (c >= '0' && c <= '9') || (c != '\0' && strchr(extra, c))))
            return 0;
    }
    return 1;
}

/* url: parsed by libcurl now, so that a typo is a configuration error with
 * a position. The message never quotes the value: it may hold a password
 * in its userinfo or a token in its query. */
int vcheck_target_parse_url(vnode_t *node, void *field, verrs_t *e)
{
    vcheck_target_t *t = field;
    const char *url = NULL;
    char *scheme = NULL, *shown = NULL;
    CURLU *h;
    CURLUcode uc;
    int rc;

    if (vnode_as_str(node, "url", &url, e) != 0)
        return -1;
    if (vfetch_init() != CURLE_OK) {
        verrs_add(e, node, "'url': cannot initialise libcurl");
        return -1;
    }
    if (!(h = curl_url())) {
        verrs_add(e, node, "out of memory");
        return -1;
    }
    uc = curl_url_set(h, CURLUPART_URL, url, 0);
    if (uc == CURLUE_OK)
        uc = curl_url_get(h, CURLUPART_SCHEME, &scheme, 0);
    if (uc != CURLUE_OK && !strstr(url, "://")) {
        /* libcurl says "Bad scheme" for "example.com/health". */
        verrs_add(e, node,
                  "'url': expected an http:// or https:// URL, got no "
                  "scheme");
        rc = -1;
    } else if (uc != CURLUE_OK) {
        verrs_add(e, node, "'url': expected an http:// or https:// URL (%s)",
                  curl_url_strerror(uc));
        rc = -1;
    } else if (strcmp(scheme, "http") != 0 && strcmp(scheme, "https") != 0) {
        verrs_add(e, node,
                  "'url': expected an http:// or https:// URL, got scheme "
                  "\"%s\"",
                  scheme);
        rc = -1;
    } else {
        /* Removing parts that are absent is not an error either. */
        uc = curl_url_set(h, CURLUPART_USER, NULL, 0);
        if (uc == CURLUE_OK)
            uc = curl_url_set(h, CURLUPART_PASSWORD, NULL, 0);
        if (uc == CURLUE_OK)
            uc = curl_url_set(h, CURLUPART_OPTIONS, NULL, 0);
        if (uc == CURLUE_OK)
            uc = curl_url_set(h, CURLUPART_FRAGMENT, NULL, 0);
        if (uc == CURLUE_OK)
            uc = curl_url_get(h, CURLUPART_URL, &shown, 0);
        if (uc == CURLUE_OK && (t->url = strdup(url)) &&
            (t->shown = strdup(shown))) {
            rc = 0;
        } else {
            verrs_add(e, node, "out of memory");
            rc = -1;
        }
    }
    curl_free(scheme);
    curl_free(shown);
    curl_url_cleanup(h);
    return rc;
}

/* Appends line to *list. 0, or -1 when out of memory (list unchanged). */
static int append_line(struct curl_slist **list, const char *line)
{
    struct curl_slist *n = curl_slist_append(*list, line);

    if (!n)
        return -1;
    *list = n;
    return 0;
}

/* headers: a map of names to values. Values are never quoted in a
 * message: they are where tokens live. */
int vcheck_target_parse_headers(vnode_t *map, void *field, verrs_t *e)
{
    vcheck_target_t *t = field;
    vnode_t *v;
    const char *name, *value;
    char *line;
    size_t i;
    int bad = 0, rc;

    if (map->kind != VNODE_MAP) {
        verrs_add(e, map,
                  "'headers': expected a map of header names to values, "
                  "got %s",
                  vcheck_kind_name(map));
        return -1;
    }
    for (i = 0; i < map->n; i++) {
        name = map->keys[i]->str;
        v = map->items[i];
        vnode_touch(map, name);
        if (!is_token(name)) {
            verrs_add(e, map->keys[i], "'headers': invalid header name \"%s\"",
                      name ? name : "");
            bad = 1;
            continue;
        }
        if (v->kind != VNODE_SCALAR) {
            verrs_add(e, v, "'headers': '%s': expected a string, got %s",
                      name, vcheck_kind_name(v));
            bad = 1;
            continue;
        }
        value = v->null || !v->str ? "" : v->str;
        if (strpbrk(value, "\r\n")) {
            verrs_add(e, v,
                      "'headers': the value of '%s' must not contain a "
                      "line break",
                      name);
            bad = 1;
            continue;
        }
        if (bad)
            continue;
        /* "Name;" is libcurl's way to send a header with an empty value
         * ("Name:" would remove the header instead). */
        rc = value[0] ? asprintf(&line, "%s: %s", name, value)
                      : asprintf(&line, "%s;", name);
        if (rc < 0) {
            verrs_add(e, map, "out of memory");
            return -1;
        }
        rc = append_line(&t->headers, line);
        free(line);
        if (rc != 0) {
            verrs_add(e, map, "out of memory");
            return -1;
        }
    }
    return bad ? -1 : 0;
}

int vcheck_target_check(const vcheck_target_t *t, vnode_t *settings,
                        verrs_t *e)
{
    return vcheck_check_ca_file(t->ca_file, t->verify, settings, e);
}

/* The url may hold a password in its userinfo. */
void vcheck_target_free_url(void *field)
{
    vcheck_target_t *t = field;

    vcheck_free_secret(t->url);
    free(t->shown);
}

void vcheck_target_free_headers(void *field)
{
    curl_slist_free_all(((vcheck_target_t *)field)->headers);
}

int vcheck_target_default_header(vcheck_target_t *t, const char *name,
                                const char *line)
{
    size_t n = strlen(name);
    const struct curl_slist *p;

    for (p = t->headers; p; p = p->next) {
        if (strncasecmp(p->data, name, n) == 0 &&
            (p->data[n] == ':' || p->data[n] == ';'))
            return 0;
    }
    return append_line(&t->headers, line);
}

/* ------------------------------------------------------------------------
 * Fetching
 */

int vcheck_target_fetch(const vcheck_target_t *t, const char *method,
                        const char *body, size_t body_len,
                        vitals_result_t *r, vfetch_resp_t *resp, char *why,
                        size_t len)
{
    vfetch_req_t req = {
        .url = t->url,
        .method = method,
        .body = body,
        .body_len = body_len,
        .headers = t->headers,
        .verify = t->verify,
        .ca_file = t->ca_file,
        .timeout_ms = vitals_result_remaining_ms(r),
        .body_max = VCHECK_BODY_MAX,
    };

    return vfetch(&req, resp, why, len) == VFETCH_OK ? 0 : -1;
}
