/* format.h - rendering: views of a snapshot, and the renderers the outputs
 * share and the unit tests call, knowing nothing of HTTP or of checks.
 *
 * A view is the subset of a snapshot's checks that one request asks for
 * (by tag, by probe, by name), with the status aggregated over that subset
 * only. The HTTP layer builds views and caches rendered bodies per snapshot
 * and view, so a format renders each body once per snapshot.
 */
#ifndef VITALS_FORMAT_H
#define VITALS_FORMAT_H

#include <jansson.h>

#include "snapshot.h"

/* How every JSON body is written. 15 significant digits print 0.39 as 0.39
 * rather than 0.39000000000000001, and keep every value a check measures. */
#define VFORMAT_FLAGS                                                         \
    (JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(15))

/* Which checks a request asks for. All fields optional (zero = all). */
typedef struct vselect {
    const char *name;         /* just this check */
    const char *const *tags;  /* checks with any of these tags */
    size_t ntags;
    int with_application;     /* with tags: also every "application" check */
    const char *probe;        /* a Kubernetes probe's view (below), or NULL */
    const char *const *exclude; /* names left out */
    size_t nexclude;
} vselect_t;

/* The probe views, as Kubernetes means them:
 *   "live"    checks tagged live; one that has not run yet never fails it
 *   "ready"   checks tagged ready and untagged checks; fails while any has
 *             not run yet, and while draining or in maintenance
 *   "startup" every check; fails until each has completed a run, then
 *             passes for good */
#define VPROBE_LIVE "live"
#define VPROBE_READY "ready"
#define VPROBE_STARTUP "startup"

typedef struct vview {
    const vitals_snapshot_t *snap;
    const vsnap_entry_t **entries; /* the selected checks, in order */
    size_t n;
    vitals_status_t status; /* worst of entries; healthy when none */
    int details; /* 0: show only the overall status, nothing a check says */
    /* Why the view fails whatever its checks say, or NULL: the lifecycle
     * check's name ("shutdown", "maintenance", "startup") and reason. */
    const char *lifecycle, *lifecycle_reason;
    /* Checks the view would have shown but sel->exclude left out, in
     * order, and the excluded names that matched none of its checks. */
    const vsnap_entry_t **excluded;
    size_t nexcluded;
    const char **unmatched;
    size_t nunmatched;
} vview_t;

/* Fills view with the checks of s that sel selects (sel NULL: all), with
 * details on. 0, or VITALS_ENOMEM. Free with vview_free. */
int vview_init(vview_t *view, const vitals_snapshot_t *s,
               const vselect_t *sel);
void vview_free(vview_t *view);

/* What a load balancer or an orchestrator is told about one selection:
 * the HAProxy agent line and the gRPC serving status both render it. */
typedef enum {
    VVERDICT_UP,       /* healthy */
    VVERDICT_DEGRADED, /* degraded: still serving */
    VVERDICT_DOWN,     /* unhealthy */
    VVERDICT_DRAIN,    /* shutting down (SIGTERM, vitals_drain) */
    VVERDICT_MAINT     /* in maintenance */
} vverdict_state_t;

typedef struct vverdict {
    vverdict_state_t state;
    /* With VVERDICT_DOWN: the first failing check and what it says (its
     * error, else its description; may be NULL), owned by the snapshot;
     * both NULL when no check is to blame. */
    const char *why_name, *why;
} vverdict_t;

/* The selection that name means, as HAProxy's agent-send and a gRPC
 * health request name it: "" is the readiness view; "live" or "liveness",
 * "ready" or "readiness", "startup" the probe views; anything else a
 * check's name, else a tag some check carries (sel->tags then points at
 * *tag, which must outlive sel). 0 with *sel filled, or VITALS_ENOENT. */
int vverdict_select(const vitals_snapshot_t *s, const char *name,
                    vselect_t *sel, const char **tag);
/* The verdict on the checks sel selects: the view's status, and the
 * lifecycle (draining, then maintenance) for every selection but the
 * liveness and startup views, which never fail for it. 0, or
 * VITALS_ENOMEM. */
int vverdict_get(const vitals_snapshot_t *s, const vselect_t *sel,
                 vverdict_t *out);

/* IETF draft health+json (seed 003): "pass", "warn" or "fail". */
const char *vformat_ietf_status(vitals_status_t s);
vbody_t *vformat_ietf(const vview_t *v);
/* The draft's HTTP status for s: 200 for pass and warn, 503 for fail. */
unsigned vietf_code(vitals_status_t s);

/* report.c - the .NET HealthReport of seed 001 (/api/v2/health). */
vbody_t *vformat_report(const vview_t *v);
/* .NET TimeSpan "c" format: [-][d.]hh:mm:ss[.fffffff]. Returns buf. */
char *vformat_timespan(int64_t ns, char *buf, size_t len);

/* avalanche.c - avalanchego's health result of seed 002:
 * {"checks": {name: {message, error, timestamp, duration,
 * contiguousFailures, timeOfFirstFailure}}, "healthy": bool}. */
json_t *vformat_avalanche_json(const vview_t *v); /* new reference */
vbody_t *vformat_avalanche(const vview_t *v);

/* jsonrpc.c - JSON-RPC 2.0 on POST /ext/health: health.health,
 * health.liveness, health.readiness. Answers one request body (a request or
 * a batch) from s, caching each result in s. In a batch, results past
 * max_batch_bytes in all (0: no cap) are refused one by one with a server
 * error (-32000). Returns 0 with *out set to the response body, or to NULL
 * when nothing must be sent (only notifications); VITALS_ENOMEM otherwise. */
#define VJSONRPC_MAX_BATCH_BYTES ((size_t)1 << 20)
int vjsonrpc_answer(const char *body, size_t len, vitals_snapshot_t *s,
                    int details, size_t max_batch_bytes, vbody_t **out);

/* mosparo.c - seed 000's {service, healthy, databaseStatus, error,
 * statusCode}. database_check may be NULL (not configured). Sets
 * *http_status to 200 or 500. */
vbody_t *vformat_mosparo(const vview_t *v, const char *database_check,
                         unsigned *http_status);

/* k8s.c - Kubernetes /livez and /readyz text: "ok", or with verbose one
 * line per check and "<probe> check passed|failed". probe is "livez" or
 * "readyz". */
vbody_t *vformat_k8s(const vview_t *v, const char *probe, int verbose);
/* The same for a view of probe (VPROBE_*), with name on the last line. */
vbody_t *vformat_k8s_view(const vview_t *v, const char *name,
                          const char *probe, int verbose);
struct vreq;
struct vans;
/* Answers a /livez, /readyz or /startupz request for probe (VPROBE_*). */
void vk8s_answer(struct vreq *r, struct vans *ans, const char *probe);

/* metrics.c - Prometheus' text exposition format 0.0.4, or OpenMetrics
 * 1.0 (om 1, ending with "# EOF"): the families the snapshot holds. */
vbody_t *vformat_metrics(const vview_t *v, int om);

/* Shared helpers. */
/* Dumps j (taking the reference) into a body, compact, keys in insertion
 * order, reals with 15 significant digits. */
vbody_t *vformat_dump(json_t *j);
/* The data object of a state (a new reference; {} when unparsable). */
json_t *vformat_data(const vitals_check_state_t *st);
/* Sets key to an RFC 3339 string for ns (taking no references). */
int vformat_set_time(json_t *obj, const char *key, int64_t ns);

#endif
