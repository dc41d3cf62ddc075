/* fetch.h - one HTTP(S) request with libcurl, bounded in time and in the
 * size of the answer: the http and remote check types and the JWKS URL of
 * access.bearer all fetch through it.
 *
 * Secrets: the URL may hold userinfo and the headers tokens. Nothing here
 * puts either in a message; callers name the URL by a form without them.
 */
#ifndef VITALS_FETCH_H
#define VITALS_FETCH_H

#include <stddef.h>
#include <stdint.h>

#include <curl/curl.h>

/* What to send, and how far to go. Borrowed: vfetch keeps no pointer. */
typedef struct vfetch_req {
    const char *url;                  /* mandatory */
    const char *method;               /* NULL: GET */
    const char *body;                 /* NULL: none */
    size_t body_len;
    const struct curl_slist *headers; /* "Name: value" lines; or NULL */
    int verify;                       /* TLS peer and host verification */
    const char *ca_file;              /* NULL: the system's CAs */
    int https_only;      /* refuse http://, in redirects too */
    long max_redirs;     /* 0: a redirect is the answer */
    int64_t timeout_ms;  /* the whole exchange; <= 0 fails at once */
    int64_t connect_timeout_ms; /* 0: timeout_ms */
    size_t body_max;     /* bytes of body kept; the transfer stops there */
} vfetch_req_t;

/* What came back. body is NUL-terminated (NULL when empty). */
typedef struct vfetch_resp {
    long status;   /* the HTTP status code */
    double ms;     /* the whole exchange, in milliseconds */
    char *body;
    size_t len;
    int truncated; /* the body went on past body_max: the rest was not read */
} vfetch_resp_t;

typedef enum {
    VFETCH_OK = 0,
    VFETCH_INIT = -1,    /* libcurl could not start */
    VFETCH_TIMEOUT = -2, /* no answer within timeout_ms */
    VFETCH_ERROR = -3,   /* anything else: connect, TLS, protocol, memory */
} vfetch_status_t;

/* Sends req within its timeout. VFETCH_OK with resp filled when an answer
 * came (of any status, perhaps truncated), or another status with the
 * reason in why ("timed out after 300 ms", "cannot connect: Connection
 * refused", libcurl's text). Either way free resp with vfetch_resp_clear. */
vfetch_status_t vfetch(const vfetch_req_t *req, vfetch_resp_t *resp,
                       char *why, size_t len);
void vfetch_resp_clear(vfetch_resp_t *resp);

/* curl_global_init, once per process whoever asks first; its answer.
 * vfetch calls it; call it before curl_url() and the like. */
CURLcode vfetch_init(void);

#endif
