/* instance.h - the instance (struct vitals): one engine and one HTTP
 * server, composed. The configuration reader and the tests reach the parts
 * through these functions; the parts never reach the instance. */
#ifndef VITALS_INSTANCE_H
#define VITALS_INSTANCE_H

#include "engine/engine.h"
#include "listen/http.h"
#include "store/query.h"
#include "store/store.h"

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

/* The engine as the listeners see it (source.c). */
vsource_t vinstance_source(vengine_t *e);
/* Adds one listener (taking *l's contents and freeing l): before the
 * start only (VITALS_EBUSY after). */
int vinstance_add_listen(vitals_t *v, vlisten_t *l);

/* Alerts from now on: the targets of `notify:` (taken; NULL: none). A
 * target that keeps its type, name and url keeps its alert states. */
struct vnotify_targets;
void vinstance_set_notify(vitals_t *v, struct vnotify_targets *ts);

/* Serves v on one listener without a socket, for the fuzzer (see
 * vserver_start_unbound): the daemon to add connections to, or NULL. Stop
 * it with vitals_stop. */
struct MHD_Daemon *vinstance_serve_unbound(vitals_t *v);

/* The instance's history (lib/history.c): memory only unless configured;
 * opened at start, before the first run, to restore streaks. */
typedef struct vinst_history vinst_history_t;
vinst_history_t *vinstance_hist(vitals_t *v); /* owned by v */
vinst_history_t *vih_new(void);
void vih_free(vinst_history_t *ih);
/* Takes the strings of c. VITALS_EBUSY (and a warning) for a change once
 * started: the store is opened once. */
int vinstance_set_history(vitals_t *v, vhist_conf_t *c);
/* Opens the store (the first time), restores streaks and maintenance
 * into e, hooks e's runs. 0, or an error (logged). */
int vih_start(vinst_history_t *ih, vengine_t *e, const char *state_dir);
/* Unhooks e and writes what is queued (bounded). */
void vih_stop(vinst_history_t *ih, vengine_t *e);
/* The read side for the server, or NULL before the first start. */
const vhistory_t *vih_reader(const vinst_history_t *ih);
/* Keeps the maintenance state (reason NULL: off) in the store. */
void vih_maintenance(vinst_history_t *ih, const char *reason,
                     int64_t for_ms);

#endif
