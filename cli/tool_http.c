/* tool_http.c - one HTTP GET with libcurl, for probe and status. Only
 * http and https, even across redirects: a health probe has no business
 * reading files or talking FTP. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "tool_http.h"
#include "vitals.h"

#define MAX_BODY (1 << 20)

int http_url_ok(const char *url)
{
    return strncasecmp(url, "http://", 7) == 0 ||
           strncasecmp(url, "https://", 8) == 0;
}

/* Keeps the first MAX_BODY bytes and reads the rest away, so a huge body
 * is not an error, only cut. */
static size_t on_data(char *p, size_t size, size_t n, void *arg)
{
    http_resp_t *r = arg;
    size_t len = size * n, keep = len;
    char *grown;

    if (r->len + keep > MAX_BODY)
        keep = MAX_BODY - r->len;
    if (keep == 0)
        return len;
    if ((grown = realloc(r->body, r->len + keep + 1)) == NULL)
        return 0;
    r->body = grown;
    memcpy(r->body + r->len, p, keep);
    r->len += keep;
    r->body[r->len] = '\0';
    return len;
}

/* Keeps the ETag header: status compares the two documents it reads. */
static size_t on_header(char *p, size_t size, size_t n, void *arg)
{
    http_resp_t *r = arg;
    size_t len = size * n;

    if (len > 5 && strncasecmp(p, "ETag:", 5) == 0) {
        size_t i = 5, end = len;

        while (i < end && (p[i] == ' ' || p[i] == '\t'))
            i++;
        while (end > i && (p[end - 1] == '\r' || p[end - 1] == '\n'))
            end--;
        if (end - i < sizeof(r->etag)) {
            memcpy(r->etag, p + i, end - i);
            r->etag[end - i] = '\0';
        }
    }
    return len;
}

/* The Authorization header for token, or NULL (new list). */
static struct curl_slist *auth_header(const char *token)
{
    struct curl_slist *h;
    char *line;

    if (token == NULL || *token == '\0' ||
        asprintf(&line, "Authorization: Bearer %s", token) < 0)
        return NULL;
    h = curl_slist_append(NULL, line);
    free(line);
    return h;
}

int http_get(const char *url, long timeout_ms, const char *token,
             http_resp_t *r)
{
    struct curl_slist *headers = auth_header(token);
    CURL *curl;
    CURLcode rc;

    memset(r, 0, sizeof(*r));
    if ((curl = curl_easy_init()) == NULL) {
        snprintf(r->error, sizeof(r->error), "cannot initialise libcurl");
        curl_slist_free_all(headers);
        return -1;
    }
    curl_easy_setopt(curl, CURLOPT_URL, url);
    curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(curl, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, timeout_ms);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, r);
    curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(curl, CURLOPT_HEADERDATA, r);
    curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, r->error);
    curl_easy_setopt(curl, CURLOPT_USERAGENT, "vitals/" VITALS_VERSION);
    if (headers != NULL)
        curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
    rc = curl_easy_perform(curl);
    if (rc == CURLE_OK)
        curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &r->code);
    else if (r->error[0] == '\0')
        snprintf(r->error, sizeof(r->error), "%s", curl_easy_strerror(rc));
    curl_easy_cleanup(curl);
    curl_slist_free_all(headers);
    return rc == CURLE_OK ? 0 : -1;
}

void http_resp_free(http_resp_t *r)
{
    free(r->body);
    r->body = NULL;
    r->len = 0;
}
