/* http_target.h - the settings of the "http" and "remote" check types that
 * say what to fetch (url, headers, verify, ca_file), and the fetch of it
 * within the run's deadline (through util/fetch.h).
 *
 * Secrets: header values and the userinfo of the URL may come from the
 * environment (${TOKEN}). Nothing here puts them in a message: messages
 * name the URL by its `shown` form, which has no userinfo, and headers by
 * their names only.
 */
#ifndef VITALS_HTTP_TARGET_H
#define VITALS_HTTP_TARGET_H

#include <stddef.h>

#include <curl/curl.h>

#include "checks/check_type.h"
#include "util/fetch.h"

/* Bytes of a response body kept; the transfer stops there, and checks
 * look only at what was read. Health answers are small: more is a
 * misconfigured URL (a download, a stream), not worth waiting for. */
#define VCHECK_BODY_MAX (1024 * 1024)

typedef struct vcheck_target {
    char *url;   /* as configured; may hold userinfo: never show it */
    char *shown; /* url without userinfo or fragment, for messages */
    struct curl_slist *headers; /* "Name: value" lines; NULL when none */
    int verify;                 /* TLS peer and host verification */
    char *ca_file;              /* NULL: the system's CAs */
} vcheck_target_t;

/* The rows of url (required, http or https), headers, verify (default
 * true) and ca_file, for the settings table of a type whose state holds a
 * vcheck_target_t called member. */
#define VCHECK_TARGET_SETTINGS(type, member)                                 \
    {.key = "url", .kind = VSET_CUSTOM, .offset = offsetof(type, member),    \
     .flags = VSET_REQUIRED | VSET_SECRET,                                   \
     .parse = vcheck_target_parse_url, .free = vcheck_target_free_url},      \
    {.key = "headers", .kind = VSET_CUSTOM,                                  \
     .offset = offsetof(type, member), .flags = VSET_SECRET,                 \
     .parse = vcheck_target_parse_headers,                                   \
     .free = vcheck_target_free_headers},                                    \
    {.key = "verify", .kind = VSET_BOOL,                                     \
     .offset = offsetof(type, member.verify), .def = "true"},                \
    {.key = "ca_file", .kind = VSET_STR,                                     \
     .offset = offsetof(type, member.ca_file), .flags = VSET_NONEMPTY}

/* The parse and free functions of those rows (their field is the whole
 * vcheck_target_t). */
int vcheck_target_parse_url(vnode_t *node, void *field, verrs_t *e);
void vcheck_target_free_url(void *field);
int vcheck_target_parse_headers(vnode_t *node, void *field, verrs_t *e);
void vcheck_target_free_headers(void *field);
/* What the rows cannot say alone: ca_file goes with verify. 0, or -1 after
 * adding an error about settings' keys to e. */
int vcheck_target_check(const vcheck_target_t *t, vnode_t *settings,
                        verrs_t *e);

/* Appends the header line "Name: value" unless t already has a header
 * called name (case-insensitive). 0, or -1 when out of memory. */
int vcheck_target_default_header(vcheck_target_t *t, const char *name,
                                 const char *line);

/* Sends method (GET, HEAD, POST, ...) to t's URL with body (NULL: none;
 * body_len bytes), within r's deadline, following no redirect and keeping
 * VCHECK_BODY_MAX bytes of the answer. Returns 0 with resp filled when an
 * answer came, or -1 with the reason in why ("timed out after 300 ms", or
 * libcurl's text). Either way free resp with vfetch_resp_clear. */
int vcheck_target_fetch(const vcheck_target_t *t, const char *method,
                        const char *body, size_t body_len,
                        vitals_result_t *r, vfetch_resp_t *resp, char *why,
                        size_t len);

#endif
