/* output.h - the interface every output implements, and the one table that
 * lists them (outputs.c).
 *
 * An output is one file exporting one const voutput_t: its id (its key
 * under `endpoints:`), default path, methods, content type, its own
 * settings, and an answer function. A listener routes a request to it with
 * the request's snapshot and a view of the request (method, rest of the
 * path, query, headers, body, whether the caller may see details); the
 * output answers with a status and a body, usually one rendered once per
 * snapshot and selection (vreq_cached). Outputs read only the snapshot:
 * they include snapshot.h, outputs/ and util/ headers, never the engine or
 * a listener. Adding an output is one new file and one line in outputs.c.
 */
#ifndef VITALS_OUTPUT_H
#define VITALS_OUTPUT_H

#include <sys/socket.h>

#include "config/settings.h"
#include "outputs/format.h"
#include "outputs/stats.h"
#include "snapshot.h"

typedef struct vreq vreq_t;

/* An answer: a body from the snapshot's cache (cached), a body of its own
 * (owned), or an error (status >= 400 with error_description). */
typedef struct vans {
    unsigned status;
    const char *content_type;
    const vbody_t *cached; /* owned by the request's snapshot */
    vbody_t *owned;        /* freed by the listener after sending */
    const char *error;     /* the error body's description */
    const char *allow;     /* for 405 */
    const char *authenticate; /* WWW-Authenticate, for 401 and 403 */
    int retry_after;       /* seconds, for 429 */
    int no_etag;           /* the body does not follow the snapshot */
    char msg[256];         /* room for a formatted error description */
} vans_t;

typedef struct voutput {
    const char *id;           /* mandatory: its key under `endpoints:` */
    const char *path;         /* mandatory: the default path */
    const char *content_type; /* mandatory: what it produces (for 406) */
    /* optional: a second type it produces when Accept asks for it; the
     * answer negotiates and sets ans->content_type. */
    const char *alt_content_type;
    const char *allow;        /* mandatory: methods, as in Allow */
    int subpaths;             /* 1: also path/<name>; 2: only path/<name> */
    int allow_list;           /* 1: only clients on the health allow list */
    /* optional: its own keys under `endpoints: <id>:`, read into a struct
     * of conf_size bytes (zeroed, defaults applied) that the answer gets
     * as req->conf. */
    const vsetting_t *settings;
    size_t conf_size;
    /* mandatory: answers a request routed to it. */
    void (*answer)(vreq_t *req, vans_t *ans);
    /* mandatory: for the table in docs/endpoints.md (a unit test keeps the
     * two equal): what it serves in users' words, and its HTTP statuses. */
    const char *doc_format, *doc_codes;
    const char *doc_paths; /* optional: the paths column, when not plain */
} voutput_t;

/* What a request may do besides reading the snapshot: the few requests
 * that act (push reports) go through the instance, never the engine. */
typedef struct vactions {
    int (*push)(void *ctx, const char *name, vitals_status_t status,
                const char *output);
    void *ctx;
} vactions_t;

/* A request as an output sees it. Everything is owned by the listener and
 * valid for the call. */
struct vreq {
    const char *method;
    const char *path;  /* without the query */
    const char *rest;  /* after the output's path: "" or "/name" */
    const char *body;  /* POST/PUT body, or NULL */
    size_t body_len;
    vitals_snapshot_t *snap;
    const voutput_t *output;
    const void *conf; /* the output's settings (conf_size bytes), or NULL */
    const struct sockaddr *client;
    int details; /* 0: show only the overall status, nothing a check says */
    const vactions_t *act;
    const vstats_t *stats; /* the server's response counters, or NULL */
    /* The history's read side (store/query.h), or NULL. */
    const struct vhistory *history;
    /* The listener's lookups, behind vreq_query and vreq_header. */
    size_t (*query)(const vreq_t *r, const char *key, const char **vals,
                    size_t max);
    const char *(*header)(const vreq_t *r, const char *name);
    void *impl;
    const void *impl_arg; /* the output's own, for its render function */
};

/* Query parameters named key, in order; returns how many (may exceed max,
 * only max are stored). A key given without a value ("?verbose") has "". */
static inline size_t vreq_query(const vreq_t *r, const char *key,
                                const char **vals, size_t max)
{
    return r->query != NULL ? r->query(r, key, vals, max) : 0;
}

/* A request header, or NULL. */
static inline const char *vreq_header(const vreq_t *r, const char *name)
{
    return r->header != NULL ? r->header(r, name) : NULL;
}

/* answer.c */
/* Answers with the body of the snapshot cached under key, rendering it
 * with render(arg) on first use. */
void vreq_cached(vreq_t *r, vans_t *ans, const char *key, vrender_fn render,
                 void *arg);
/* A view of the request's snapshot rendered by fn, cached under the
 * output, the rest of the path, the details flag, variant and the
 * selection. Returns the body (its health decides the HTTP status), or
 * NULL after setting an error in ans. */
typedef vbody_t *(*vview_fn)(const vview_t *v, const vreq_t *r);
const vbody_t *vreq_view(vreq_t *r, vans_t *ans, const char *variant,
                         const vselect_t *sel, vview_fn fn);
void vans_error(vans_t *ans, unsigned status, const char *description);
/* The same with a formatted description, kept in ans->msg. */
void vans_errorf(vans_t *ans, unsigned status, const char *fmt, ...)
    VITALS_PRINTF(3, 4);
/* Reads up to max "tag" query parameters into sel; 0, or -1 after
 * answering 400. */
int vreq_tags(const vreq_t *r, vans_t *ans, vselect_t *sel, const char **tags,
              size_t max);

/* codes.c: the `status_codes` setting, a map from the format's three
 * status words (by vitals_status_t: healthy, degraded, unhealthy) to HTTP
 * statuses within [min, max] each. Reads node into codes[3] (entries left
 * out untouched). 0, or -1 after adding errors to e. */
typedef struct vcodes_spec {
    const char *names[3];
    int64_t min[3], max[3];
    unsigned example; /* for the unhealthy word, in the message */
} vcodes_spec_t;
int vcodes_parse(vnode_t *node, const vcodes_spec_t *spec, unsigned *codes,
                 verrs_t *e);

/* The output table (outputs.c), NULL-terminated. */
extern const voutput_t *const voutputs[];
/* The output called id, or NULL. */
const voutput_t *voutput_find(const char *id);
/* "ietf, check, report, ..." for messages. Static. */
const char *voutput_names(void);

#endif
