/* routes.h - which outputs a server answers, at which paths, with which
 * settings and access rules (`endpoints:`, `access:`, `limits:`): an
 * immutable, reference-counted table swapped whole on reload. */
#ifndef VITALS_ROUTES_H
#define VITALS_ROUTES_H

#include <stdatomic.h>

#include "config/vnode.h"
#include "outputs/output.h"

/* One enabled output. */
typedef struct vroute {
    const voutput_t *output;
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

/* The default routes (every output at its default path). */
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

#endif
