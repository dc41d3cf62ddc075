/* access.h - who may ask what: the `access:` settings (allow list, bearer
 * tokens, detail visibility, client id header, rate limit, trusted
 * proxies), each endpoint's `auth`, and the decision for one request. */
#ifndef VITALS_ACCESS_H
#define VITALS_ACCESS_H

#include <stdint.h>
#include <sys/socket.h>

#include "config/vnode.h"
#include "access/allowlist.h"

/* An endpoint's auth: every listed requirement must pass. */
#define VAUTH_OPEN 0u
#define VAUTH_ALLOW_LIST 1u
#define VAUTH_BEARER 2u

typedef enum {
    VDETAILS_DEFAULT = 0, /* always, unless an endpoint requires a token */
    VDETAILS_NEVER,
    VDETAILS_WHEN_AUTHORIZED,
    VDETAILS_ALWAYS
} vdetails_t;

struct vbearer;
struct vratelimit;

typedef struct vaccess {
    vallow_t *allow;     /* health_allow_list (env and defaults applied) */
    int allow_is_empty;  /* explicitly empty: everyone passes, say so */
    vdetails_t details;  /* as configured */
    struct vbearer *bearer;
    char *client_id_header;
    struct vratelimit *rate;
    vallow_t *trusted; /* trusted_proxies, or NULL */
} vaccess_t;

/* Reads `access:` (map may be NULL: defaults). NULL after adding errors. */
vaccess_t *vaccess_configure(vnode_t *map, verrs_t *e);
void vaccess_free(vaccess_t *a);

/* Reads an endpoint's `auth`: open, allow_list, bearer, or a list of them.
 * Returns 0 and sets *auth, or -1 after adding an error. */
int vauth_read(vnode_t *node, const vaccess_t *a, unsigned *auth,
               verrs_t *e);

/* The client a request is from: the peer, or, when the peer is a trusted
 * proxy, the right-most X-Forwarded-For address that is not one. */
void vaccess_client(const vaccess_t *a, const struct sockaddr *peer,
                    const char *forwarded_for, struct sockaddr_storage *out);

/* What the request brings, and what the decision is. */
typedef struct vdecision {
    unsigned status;          /* 0: go on; else answer this error */
    const char *why;          /* its description */
    const char *authenticate; /* a WWW-Authenticate value, or NULL */
    int retry_after;          /* seconds, for 429 */
    int details;              /* 1: the caller may see what checks say */
    char msg[160];            /* room for why */
} vdecision_t;

/* Decides one request to an endpoint with auth, from client, the
 * Authorization header and the client id header's value (both may be
 * NULL). protected: some endpoint requires a token. Rate limits count in
 * monotonic time (mono_ns), tokens expire in wall time (real_s). */
void vaccess_decide(const vaccess_t *a, unsigned auth, int protected,
                    const struct sockaddr *client, const char *authorization,
                    const char *client_id, int64_t mono_ns, int64_t real_s,
                    vdecision_t *d);

#endif
