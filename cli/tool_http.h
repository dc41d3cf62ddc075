/* tool_http.h - one HTTP GET with libcurl, for probe and status: only
 * http and https, a deadline, a bounded body. */
#ifndef VITALS_TOOL_HTTP_H
#define VITALS_TOOL_HTTP_H

#include <curl/curl.h>
#include <stddef.h>

typedef struct http_resp {
    long code;   /* the HTTP status; 0 when there was no answer */
    char *body;  /* NUL-terminated (at most 1 MiB kept); NULL when empty */
    size_t len;
    char etag[128];              /* "" when none */
    char error[CURL_ERROR_SIZE]; /* why there was no answer */
} http_resp_t;

/* 1 when url starts with http:// or https:// (any case), else 0. */
int http_url_ok(const char *url);

/* GETs url within timeout_ms, sending token (may be NULL) as a bearer
 * token. 0 with the answer in *r, whatever its status; -1 with r->error
 * when there was none. Free *r with http_resp_free either way. */
int http_get(const char *url, long timeout_ms, const char *token,
             http_resp_t *r);
void http_resp_free(http_resp_t *r);

#endif
