/* httpget.h - the HTTP request behind the "http" and "remote" check types:
 * the settings they share (url, headers, verify, ca_file) and one fetch
 * with libcurl that never outlives the run's deadline.
 *
 * Secrets: header values and the userinfo of the URL may come from the
 * environment (${TOKEN}). Nothing here puts them in a message: messages
 * name the URL by its `shown` form, which has no userinfo, and headers by
 * their names only.
 */
#ifndef VITALS_HTTPGET_H
#define VITALS_HTTPGET_H

#include <stddef.h>

#include <curl/curl.h>

#include "checks/check_type.h"

/* Bytes of a response body kept; the transfer stops there, and checks
 * look only at what was read. Health answers are small: more is a
 * misconfigured URL (a download, a stream), not worth waiting for. */
#define VHTTP_BODY_MAX (1024 * 1024)

typedef struct vhttp_target {
    char *url;   /* as configured; may hold userinfo: never show it */
    char *shown; /* url without userinfo or fragment, for messages */
    struct curl_slist *headers; /* "Name: value" lines; NULL when none */
    int verify;                 /* TLS peer and host verification */
    char *ca_file;              /* NULL: the system's CAs */
} vhttp_target_t;

/* The rows of url (required, http or https), headers, verify (default
 * true) and ca_file, for the settings table of a type whose state holds a
 * vhttp_target_t called member. */
#define VHTTP_TARGET_SETTINGS(type, member)                                  \
    {.key = "url", .kind = VSET_CUSTOM, .offset = offsetof(type, member),    \
     .flags = VSET_REQUIRED | VSET_SECRET, .parse = vhttp_parse_url,         \
     .free = vhttp_free_url},                                                \
    {.key = "headers", .kind = VSET_CUSTOM,                                  \
     .offset = offsetof(type, member), .flags = VSET_SECRET,                 \
     .parse = vhttp_parse_headers, .free = vhttp_free_headers},              \
    {.key = "verify", .kind = VSET_BOOL,                                     \
     .offset = offsetof(type, member.verify), .def = "true"},                \
    {.key = "ca_file", .kind = VSET_STR,                                     \
     .offset = offsetof(type, member.ca_file), .flags = VSET_NONEMPTY}

/* The parse and free functions of those rows (their field is the whole
 * vhttp_target_t). */
int vhttp_parse_url(vnode_t *node, void *field, verrs_t *e);
void vhttp_free_url(void *field);
int vhttp_parse_headers(vnode_t *node, void *field, verrs_t *e);
void vhttp_free_headers(void *field);
/* What the rows cannot say alone: ca_file goes with verify. 0, or -1 after
 * adding an error about settings' keys to e. */
int vhttp_target_check(const vhttp_target_t *t, vnode_t *settings,
                       verrs_t *e);

/* Appends the header line "Name: value" unless t already has a header
 * called name (case-insensitive). 0, or -1 when out of memory. */
int vhttp_target_default_header(vhttp_target_t *t, const char *name,
                                const char *line);

/* What came back. body is NUL-terminated (NULL when empty). */
typedef struct vhttp_response {
    long status;      /* the HTTP status code */
    double ms;        /* the whole exchange, in milliseconds */
    char *body;
    size_t len;
    int truncated;    /* the body went on past VHTTP_BODY_MAX */
    int oom;          /* the body could not be stored */
} vhttp_response_t;

/* Sends method (GET, HEAD, POST, ...) to t's URL with body (NULL: none;
 * body_len bytes), within r's deadline, following no redirect. Returns 0
 * with resp filled when an answer came, or -1 with the reason in why
 * ("timed out after 300 ms", or libcurl's text). Either way free resp with
 * vhttp_response_clear. */
int vhttp_fetch(const vhttp_target_t *t, const char *method,
                const char *body, size_t body_len, vitals_result_t *r,
                vhttp_response_t *resp, char *why, size_t len);
void vhttp_response_clear(vhttp_response_t *resp);

#endif
