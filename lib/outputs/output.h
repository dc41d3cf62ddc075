/* endpoint.h - what an endpoint sees of a request and how it answers,
 * without libmicrohttpd: the endpoints (endpoints.c) route a request to a
 * format and a selection of checks; server.c does the HTTP. */
#ifndef VITALS_ENDPOINT_H
#define VITALS_ENDPOINT_H

#include <stdatomic.h>
#include <sys/socket.h>

#include "outputs/format.h"
#include "config/vnode.h"

typedef struct vreq vreq_t;

/* An answer: a body from the snapshot's cache (cached), a body of its own
 * (owned), or an error (status >= 400 with error_description). */
typedef struct vans {
    unsigned status;
    const char *content_type;
    const vbody_t *cached; /* owned by the request's snapshot */
    vbody_t *owned;        /* freed by the server after sending */
    const char *error;     /* the error body's description */
    const char *allow;     /* for 405 */
    const char *authenticate; /* WWW-Authenticate, for 401 and 403 */
    int retry_after;       /* seconds, for 429 */
    int no_etag;           /* the body does not follow the snapshot */
    char msg[256];         /* room for a formatted error description */
} vans_t;

typedef struct vendpoint_type {
    const char *id;            /* mandatory: its key under `endpoints:` */
    const char *path;          /* mandatory: the default path */
    const char *content_type;  /* mandatory: what it produces (for 406) */
    const char *allow;         /* mandatory: methods, as in Allow */
    int subpaths;              /* 1: also path/<name>; 2: only path/<name> */
    int allow_list;            /* 1: only clients on the health allow list */
    /* optional: reads its own keys from the endpoint's map. Returns the
     * settings (freed with free_conf) or NULL after adding errors. */
    void *(*configure)(vnode_t *map, verrs_t *e);
    void (*free_conf)(void *conf);
    /* mandatory: answers a request routed to it. */
    void (*answer)(vreq_t *req, vans_t *ans);
} vendpoint_type_t;

/* One enabled endpoint. */
typedef struct vroute {
    const vendpoint_type_t *type;
    char *path;
    void *conf;
    unsigned auth; /* VAUTH_* bits: every one must pass */
} vroute_t;

/* Connection limits of the listeners (applied at start). */
typedef struct vlimits {
    size_t max_uri_bytes;       /* longer request URIs get 414 */
    int64_t read_timeout_ms;    /* a request must arrive within this */
    unsigned max_connections;   /* in all */
    unsigned max_connections_per_ip;
    size_t max_header_bytes;    /* request line and headers */
} vlimits_t;

/* The endpoints of an instance, immutable once built; snapshots carry a
 * reference, so a request routes with the routes of its snapshot. */
typedef struct vroutes {
    atomic_int refs;
    vroute_t *r;
    size_t n;
    vlimits_t limits;
    int access_log;
    struct vaccess *access;
    int protected;         /* some endpoint requires a token */
    int allow_all_warning; /* an allow list in use is explicitly empty */
} vroutes_t;

struct vreq {
    vitals_t *v; /* for the few requests that act (push reports) */
    const char *method;
    const char *path;  /* without the query */
    const char *rest;  /* after the route's path: "" or "/name" */
    const char *body;  /* POST/PUT body, or NULL */
    size_t body_len;
    vitals_snapshot_t *snap;
    const vroute_t *route;
    const struct sockaddr *client;
    int details;
    void *impl; /* the server's */
};

/* Query parameters named key, in order; returns how many (may exceed max,
 * only max are stored). A key given without a value ("?verbose") has "". */
size_t vreq_query(const vreq_t *r, const char *key, const char **vals,
                  size_t max);
/* A request header, or NULL. */
const char *vreq_header(const vreq_t *r, const char *name);
/* Answers with the body of the snapshot cached under key, rendering it
 * with render(arg) on first use. */
void vreq_cached(vreq_t *r, vans_t *ans, const char *key, vrender_fn render,
                 void *arg);
void vans_error(vans_t *ans, unsigned status, const char *description);
/* The same with a formatted description, kept in ans->msg. */
void vans_errorf(vans_t *ans, unsigned status, const char *fmt, ...)
    VITALS_PRINTF(3, 4);

/* The default routes (every endpoint at its default path). */
vroutes_t *vroutes_default(void);
/* Reads `endpoints:` (may be NULL), `access:` and `limits:` of the
 * configuration. NULL after adding errors to e. */
vroutes_t *vroutes_configure(vnode_t *endpoints, vnode_t *access,
                             vnode_t *limits, verrs_t *e);
/* The route for path, and what follows its path in *rest; NULL if none. */
const vroute_t *vroutes_find(const vroutes_t *rs, const char *path,
                             const char **rest);
vroutes_t *vroutes_ref(vroutes_t *rs);
void vroutes_unref(vroutes_t *rs);

/* The endpoint table. */
extern const vendpoint_type_t *const vendpoint_types[];

#endif
