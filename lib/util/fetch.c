/* fetch.c - the bounded libcurl request of fetch.h. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* the GNU strerror_r, which returns text */
#endif

#include "util/fetch.h"

#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/buf.h"
#include "vitals.h"

/* ------------------------------------------------------------------------
 * libcurl's global state
 *
 * curl_global_init must run once before any handle is made. It is
 * thread-safe in the libcurl we build with (7.84 and later with
 * CURL_VERSION_THREADSAFE), but a pthread_once keeps it to one call and
 * remembers its answer for every later request.
 */

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_rc = CURLE_FAILED_INIT;

static void curl_init(void)
{
    curl_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

CURLcode vfetch_init(void)
{
    if (pthread_once(&curl_once, curl_init) != 0)
        return CURLE_FAILED_INIT;
    return curl_init_rc;
}

/* ------------------------------------------------------------------------
 * One request
 */

/* Keeps the body up to the buffer's max; past that, or out of memory,
 * ends the transfer (a return short of the count is libcurl's way to
 * stop), and vfetch takes the end at the max for a complete answer. */
static size_t on_body(char *ptr, size_t size, size_t nmemb, void *data)
{
    size_t n = size * nmemb;

    return vbuf_add(data, ptr, n) == 0 ? n : 0;
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

static long clamp_ms(int64_t ms)
{
    return ms > LONG_MAX ? LONG_MAX : (long)ms;
}

/* Only HTTP(S), even if a URL slipped past the configuration; only HTTPS
 * where a document fetched over plain HTTP could be anyone's. */
static CURLcode set_protocols(CURL *h, int https_only)
{
    CURLcode rc = CURLE_OK;

#if LIBCURL_VERSION_NUM >= 0x075500
    const char *p = https_only ? "https" : "http,https";

    SETOPT(h, CURLOPT_PROTOCOLS_STR, p);
    SETOPT(h, CURLOPT_REDIR_PROTOCOLS_STR, p);
#else
    long p = https_only ? (long)CURLPROTO_HTTPS
                        : (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS);

    SETOPT(h, CURLOPT_PROTOCOLS, p);
    SETOPT(h, CURLOPT_REDIR_PROTOCOLS, p);
#endif
    return rc;
}

static CURLcode set_options(CURL *h, const vfetch_req_t *req, vbuf_t *body,
                            char *errbuf)
{
    CURLcode rc = CURLE_OK;
    int64_t connect_ms = req->connect_timeout_ms > 0 ? req->connect_timeout_ms
                                                     : req->timeout_ms;

    SETOPT(h, CURLOPT_ERRORBUFFER, errbuf);
    SETOPT(h, CURLOPT_URL, req->url);
    if (rc == CURLE_OK)
        rc = set_protocols(h, req->https_only);
    /* The deadline bounds the whole exchange, name resolution included
     * (the threaded resolver honours it); without NOSIGNAL a timeout
     * would use SIGALRM, which is not ours to take in a library. */
    SETOPT(h, CURLOPT_TIMEOUT_MS, clamp_ms(req->timeout_ms));
    SETOPT(h, CURLOPT_CONNECTTIMEOUT_MS, clamp_ms(connect_ms));
    SETOPT(h, CURLOPT_NOSIGNAL, 1L);
    /* A check judges a redirect as the answer it is: following it would
     * check another endpoint, and would send the headers (tokens) there. */
    SETOPT(h, CURLOPT_FOLLOWLOCATION, req->max_redirs > 0 ? 1L : 0L);
    if (req->max_redirs > 0)
        SETOPT(h, CURLOPT_MAXREDIRS, req->max_redirs);
    SETOPT(h, CURLOPT_USERAGENT, "vitals/" VITALS_VERSION);
    if (req->headers)
        SETOPT(h, CURLOPT_HTTPHEADER, req->headers);
    SETOPT(h, CURLOPT_SSL_VERIFYPEER, req->verify ? 1L : 0L);
    SETOPT(h, CURLOPT_SSL_VERIFYHOST, req->verify ? 2L : 0L);
    if (req->ca_file)
        SETOPT(h, CURLOPT_CAINFO, req->ca_file);
    SETOPT(h, CURLOPT_WRITEFUNCTION, on_body);
    SETOPT(h, CURLOPT_WRITEDATA, body);
    if (rc == CURLE_OK)
        rc = set_method(h, req->method ? req->method : "GET", req->body,
                        req->body_len);
    return rc;
}

/* The reason for a failed transfer, in why. */
static vfetch_status_t failure(CURLcode rc, long os_err, const char *errbuf,
                               int64_t timeout_ms, char *why, size_t len)
{
    char ebuf[128];

    if (rc == CURLE_OPERATION_TIMEDOUT) {
        snprintf(why, len, "timed out after %lld ms", (long long)timeout_ms);
        return VFETCH_TIMEOUT;
    }
    /* libcurl's "Couldn't connect to server" hides the reason that the
     * system gave, which is the one a person can act on. */
    if (rc == CURLE_COULDNT_CONNECT && os_err != 0)
        snprintf(why, len, "cannot connect: %s",
                 strerror_r((int)os_err, ebuf, sizeof(ebuf)));
    else
        snprintf(why, len, "%s", errbuf[0] ? errbuf : curl_easy_strerror(rc));
    return VFETCH_ERROR;
}

vfetch_status_t vfetch(const vfetch_req_t *req, vfetch_resp_t *resp,
                       char *why, size_t len)
{
    char errbuf[CURL_ERROR_SIZE];
    vbuf_t body = VBUF_INIT(req->body_max);
    long os_err = 0;
    curl_off_t us = 0;
    CURLcode rc;
    CURL *h;

    memset(resp, 0, sizeof(*resp));
    errbuf[0] = '\0';
    if ((rc = vfetch_init()) != CURLE_OK) {
        snprintf(why, len, "cannot initialise libcurl: %s",
                 curl_easy_strerror(rc));
        return VFETCH_INIT;
    }
    /* libcurl reads a timeout of 0 as none at all. */
    if (req->timeout_ms <= 0) {
        snprintf(why, len, "timed out after 0 ms");
        return VFETCH_TIMEOUT;
    }
    if (!(h = curl_easy_init())) {
        snprintf(why, len, "cannot initialise libcurl");
        return VFETCH_INIT;
    }
    rc = set_options(h, req, &body, errbuf);
    if (rc == CURLE_OK) {
        rc = curl_easy_perform(h);
        /* The stop at body_max is ours: the answer is complete enough. */
        if (rc == CURLE_WRITE_ERROR && body.full && !body.oom)
            rc = CURLE_OK;
    } else {
        errbuf[0] = '\0'; /* a setopt failure leaves no text there */
    }
    if (rc == CURLE_OK)
        rc = curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &resp->status);
    if (rc == CURLE_OK)
        rc = curl_easy_getinfo(h, CURLINFO_TOTAL_TIME_T, &us);
    if (rc == CURLE_COULDNT_CONNECT &&
        curl_easy_getinfo(h, CURLINFO_OS_ERRNO, &os_err) != CURLE_OK)
        os_err = 0;
    curl_easy_cleanup(h);

    if (body.oom) {
        vbuf_clear(&body);
        snprintf(why, len, "out of memory");
        return VFETCH_ERROR;
    }
    resp->truncated = body.full;
    resp->body = vbuf_take(&body, &resp->len);
    if (rc != CURLE_OK)
        return failure(rc, os_err, errbuf, req->timeout_ms, why, len);
    resp->ms = (double)us / 1000.0;
    return VFETCH_OK;
}

void vfetch_resp_clear(vfetch_resp_t *resp)
{
    if (!resp)
        return;
    free(resp->body);
    memset(resp, 0, sizeof(*resp));
}
