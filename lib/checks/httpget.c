/* httpget.c - the HTTP settings and the bounded libcurl fetch shared by the
 * "http" and "remote" check types (see httpget.h). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* asprintf; the GNU strerror_r, which returns text */
#endif

#include <limits.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "checks/httpget.h"

/* ------------------------------------------------------------------------
 * libcurl's global state
 *
 * curl_global_init must run once before any handle is made. It is
 * thread-safe in the libcurl we build with (7.84 and later with
 * CURL_VERSION_THREADSAFE), but a pthread_once keeps it to one call and
 * remembers its answer for every later check.
 */

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_rc = CURLE_FAILED_INIT;

static void curl_init(void)
{
    curl_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

static CURLcode curl_ready(void)
{
    if (pthread_once(&curl_once, curl_init) != 0)
        return CURLE_FAILED_INIT;
    return curl_init_rc;
}

/* ------------------------------------------------------------------------
 * Settings
 */

static const char *kind_name(const vnode_t *n)
{
    if (n->kind == VNODE_SEQ)
        return "a list";
    if (n->kind == VNODE_MAP)
        return "a map";
    return n->null ? "null" : "a string";
}

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
int vhttp_parse_url(vnode_t *node, void *field, verrs_t *e)
{
    vhttp_target_t *t = field;
    const char *url = NULL;
    char *scheme = NULL, *shown = NULL;
    CURLU *h;
    CURLUcode uc;
    int rc;

    if (vnode_as_str(node, "url", &url, e) != 0)
        return -1;
    if (curl_ready() != CURLE_OK) {
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
int vhttp_parse_headers(vnode_t *map, void *field, verrs_t *e)
{
    vhttp_target_t *t = field;
    vnode_t *v;
    const char *name, *value;
    char *line;
    size_t i;
    int bad = 0, rc;

    if (map->kind != VNODE_MAP) {
        verrs_add(e, map,
                  "'headers': expected a map of header names to values, "
                  "got %s",
                  kind_name(map));
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
                      name, kind_name(v));
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

/* A CA file that is never used is a mistake worth saying. */
int vhttp_target_check(const vhttp_target_t *t, vnode_t *settings,
                       verrs_t *e)
{
    if (t->ca_file == NULL || t->verify)
        return 0;
    verrs_add(e, vnode_get(settings, "ca_file"),
              "'ca_file' goes with verify: true");
    return -1;
}


/* The url may hold a password in its userinfo. */
void vhttp_free_url(void *field)
{
    vhttp_target_t *t = field;

    vcheck_free_secret(t->url);
    free(t->shown);
}

void vhttp_free_headers(void *field)
{
    curl_slist_free_all(((vhttp_target_t *)field)->headers);
}

int vhttp_target_default_header(vhttp_target_t *t, const char *name,
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

/* Keeps up to VHTTP_BODY_MAX bytes; past that, ends the transfer (a
 * return short of the count is libcurl's way to stop), and vhttp_fetch
 * takes that end for a complete answer. */
static size_t on_body(char *ptr, size_t size, size_t nmemb, void *data)
{
    vhttp_response_t *resp = data;
    size_t n = size * nmemb, room = VHTTP_BODY_MAX - resp->len, want, cap;
    char *grown;

    want = n > room ? room : n;
    if (want > 0) {
        /* Grows by doubling from 16 KiB: most answers are small. */
        cap = 16384;
        while (cap < resp->len + want + 1)
            cap *= 2;
        if (!(grown = realloc(resp->body, cap))) {
            resp->oom = 1;
            return 0; /* a short count ends the transfer */
        }
        resp->body = grown;
        memcpy(resp->body + resp->len, ptr, want);
        resp->len += want;
        resp->body[resp->len] = '\0';
    }
    if (n > room) {
        resp->truncated = 1;
        return want;
    }
    return n;
}

#define SETOPT(h, opt, val)                                                  \
    do {                                                                     \
        if (rc == CURLE_OK)                                                  \
            rc = curl_easy_setopt(h, opt, val);                              \
    } while (0)

static CURLcode set_method(CURL *h, const char *method, const char *body,
                           size_t body_len)
{
    CURLcode rc = CURLE_OK;

    if (strcmp(method, "HEAD") == 0) {
        /* CUSTOMREQUEST "HEAD" would wait for a body that never comes. */
        SETOPT(h, CURLOPT_NOBODY, 1L);
    } else {
        if (strcmp(method, "GET") != 0 && strcmp(method, "POST") != 0)
            SETOPT(h, CURLOPT_CUSTOMREQUEST, method);
        if (strcmp(method, "GET") == 0 && body)
            SETOPT(h, CURLOPT_CUSTOMREQUEST, method);
        if (body || strcmp(method, "POST") == 0) {
            SETOPT(h, CURLOPT_POSTFIELDSIZE_LARGE,
                   (curl_off_t)(body ? body_len : 0));
            SETOPT(h, CURLOPT_POSTFIELDS, body ? body : "");
        }
    }
    return rc;
}

static CURLcode set_options(CURL *h, const vhttp_target_t *t,
                            const char *method, const char *body,
                            size_t body_len, int64_t budget_ms,
                            vhttp_response_t *resp, char *errbuf)
{
    CURLcode rc = CURLE_OK;
    long timeout = budget_ms > LONG_MAX ? LONG_MAX : (long)budget_ms;

    SETOPT(h, CURLOPT_ERRORBUFFER, errbuf);
    SETOPT(h, CURLOPT_URL, t->url);
    /* Only HTTP(S), even if a URL slipped past the configuration. */
#if LIBCURL_VERSION_NUM >= 0x075500
    SETOPT(h, CURLOPT_PROTOCOLS_STR, "http,https");
#else
    SETOPT(h, CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
    /* The deadline bounds the whole exchange, name resolution included
     * (the threaded resolver honours it); without NOSIGNAL a timeout
     * would use SIGALRM, which is not ours to take in a library. */
    SETOPT(h, CURLOPT_TIMEOUT_MS, timeout);
    SETOPT(h, CURLOPT_CONNECTTIMEOUT_MS, timeout);
    SETOPT(h, CURLOPT_NOSIGNAL, 1L);
    /* A redirect is judged as the answer it is: following it would check
     * another endpoint, and would send the headers (tokens) there. */
    SETOPT(h, CURLOPT_FOLLOWLOCATION, 0L);
    SETOPT(h, CURLOPT_USERAGENT, "vitals/" VITALS_VERSION);
    SETOPT(h, CURLOPT_HTTPHEADER, t->headers);
    SETOPT(h, CURLOPT_SSL_VERIFYPEER, t->verify ? 1L : 0L);
    SETOPT(h, CURLOPT_SSL_VERIFYHOST, t->verify ? 2L : 0L);
    if (t->ca_file)
        SETOPT(h, CURLOPT_CAINFO, t->ca_file);
    SETOPT(h, CURLOPT_WRITEFUNCTION, on_body);
    SETOPT(h, CURLOPT_WRITEDATA, resp);
    if (rc == CURLE_OK)
        rc = set_method(h, method, body, body_len);
    return rc;
}

int vhttp_fetch(const vhttp_target_t *t, const char *method,
                const char *body, size_t body_len, vitals_result_t *r,
                vhttp_response_t *resp, char *why, size_t len)
{
    char errbuf[CURL_ERROR_SIZE], ebuf[128];
    long os_err = 0;
    int64_t budget = vitals_result_remaining_ms(r);
    curl_off_t us = 0;
    CURLcode rc;
    CURL *h;

    memset(resp, 0, sizeof(*resp));
    errbuf[0] = '\0';
    if ((rc = curl_ready()) != CURLE_OK) {
        snprintf(why, len, "cannot initialise libcurl: %s",
                 curl_easy_strerror(rc));
        return -1;
    }
    /* libcurl reads a timeout of 0 as none at all. */
    if (budget <= 0) {
        snprintf(why, len, "timed out after 0 ms");
        return -1;
    }
    if (!(h = curl_easy_init())) {
        snprintf(why, len, "cannot initialise libcurl");
        return -1;
    }
    rc = set_options(h, t, method, body, body_len, budget, resp, errbuf);
    if (rc == CURLE_OK) {
        rc = curl_easy_perform(h);
        /* The stop at VHTTP_BODY_MAX is ours: the answer is complete
         * enough. */
        if (rc == CURLE_WRITE_ERROR && resp->truncated)
            rc = CURLE_OK;
    } else {
        errbuf[0] = '\0'; /* a setopt failure leaves no text there */
    }
    if (rc == CURLE_OK)
        rc = curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &resp->status);
    if (rc == CURLE_OK)
        rc = curl_easy_getinfo(h, CURLINFO_TOTAL_TIME_T, &us);
    /* libcurl's "Couldn't connect to server" hides the reason that the
     * system gave, which is the one a person can act on. */
    if (rc == CURLE_COULDNT_CONNECT &&
        curl_easy_getinfo(h, CURLINFO_OS_ERRNO, &os_err) != CURLE_OK)
        os_err = 0;
    curl_easy_cleanup(h);

    if (resp->oom) {
        snprintf(why, len, "out of memory");
        return -1;
    }
    if (rc == CURLE_OPERATION_TIMEDOUT) {
        snprintf(why, len, "timed out after %lld ms", (long long)budget);
        return -1;
    }
    if (rc == CURLE_COULDNT_CONNECT && os_err != 0) {
        snprintf(why, len, "cannot connect: %s",
                 strerror_r((int)os_err, ebuf, sizeof(ebuf)));
        return -1;
    }
    if (rc != CURLE_OK) {
        snprintf(why, len, "%s",
                 errbuf[0] ? errbuf : curl_easy_strerror(rc));
        return -1;
    }
    resp->ms = (double)us / 1000.0;
    return 0;
}

void vhttp_response_clear(vhttp_response_t *resp)
{
    if (!resp)
        return;
    free(resp->body);
    memset(resp, 0, sizeof(*resp));
}
