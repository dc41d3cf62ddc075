/* instance.h - the instance (struct vitals): one engine and one HTTP
 * server, composed. The configuration reader and the tests reach the parts
 * through these functions; the parts never reach the instance. */
#ifndef VITALS_INSTANCE_H
#define VITALS_INSTANCE_H

#include "engine/engine.h"
#include "listen/http.h"

/* The engine of v (owned by v). */
vengine_t *vitals_engine(vitals_t *v);
void vinstance_log(vitals_t *v, vitals_log_level_t level, const char *fmt,
                   ...) VITALS_PRINTF(3, 4);
/* Serves with routes from now on (taking the reference); warns about what
 * only a restart applies. */
void vinstance_set_routes(vitals_t *v, vroutes_t *routes);
/* The shutdown settings: the delay vitals_drain returns, and whether
 * draining fails every aggregate view or only readiness. */
#define VITALS_SHUTDOWN_DELAY_MS 5000
/* The state directory when neither state_dir nor $STATE_DIRECTORY says. */
#define VITALS_STATE_DIR "/var/lib/vitals"
void vinstance_set_shutdown(vitals_t *v, int64_t delay_ms, int fails_all);
/* The routes served now: a new reference. */
vroutes_t *vinstance_routes(vitals_t *v);
/* The listen addresses (taking l): applied before the start; once
 * started, a change is only logged, as it needs a restart. */
void vinstance_set_listen(vitals_t *v, vlisten_t *l, size_t n);

/* Alerts from now on: the targets of `notify:` (taken; NULL: none). A
 * target that keeps its type, name and url keeps its alert states. */
struct vnotify_targets;
void vinstance_set_notify(vitals_t *v, struct vnotify_targets *ts);

/* Serves v on one listener without a socket, for the fuzzer (see
 * vserver_start_unbound): the daemon to add connections to, or NULL. Stop
 * it with vitals_stop. */
struct MHD_Daemon *vinstance_serve_unbound(vitals_t *v);

#endif
