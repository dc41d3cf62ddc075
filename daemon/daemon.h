/* daemon.h - the parts of vitalsd beside its main (vitalsd.c): the control
 * socket (control.c) and the systemd integration (systemd.c). Like the
 * main, they use only the public header. */
#ifndef VITALSD_DAEMON_H
#define VITALSD_DAEMON_H

#include <stddef.h>
#include <stdint.h>

#include "vitals.h"

/* One log line, as the library's are (vitalsd.c). */
void vitalsd_log(vitals_log_level_t level, const char *fmt, ...)
    VITALS_PRINTF(2, 3);

/* The one-line summary of s for systemd's STATUS= and the control
 * socket's status: "3 healthy, 1 degraded", then "; maintenance: REASON"
 * and "; draining" when they apply (systemd.c). Returns buf. */
char *vitalsd_summary(const vitals_snapshot_t *s, char *buf, size_t len);

/* ------------------------------------------------------------------------
 * The control socket (control.c): `vitals maint` and `vitals drain`.
 */

/* The socket's name in the state directory. */
#define VITALSD_CONTROL_SOCK "control.sock"

typedef struct vctl vctl_t;

/* Listens on the UNIX socket path (mode 0600; a stale socket left by a
 * dead vitalsd is replaced, a live one is not) and answers one request
 * line per connection from a thread of its own. NULL, logged, when it
 * cannot: vitalsd then runs without one. v borrowed; it must outlive the
 * result. */
vctl_t *vctl_start(vitals_t *v, const char *path);
/* Stops answering, closes and removes the socket. NULL is fine. */
void vctl_stop(vctl_t *c);
/* The CLOCK_MONOTONIC milliseconds of the first `drain` asked for through
 * the socket, or 0. */
int64_t vctl_drained_at(const vctl_t *c);

/* ------------------------------------------------------------------------
 * systemd (systemd.c): notifications, watchdog, socket activation. Every
 * function is a no-op outside systemd (no NOTIFY_SOCKET, no LISTEN_FDS).
 */

/* Hands each listening socket systemd passed (LISTEN_FDS) to v, matched
 * to a listen address by its FileDescriptorName= or its address; one that
 * matches none is logged and closed. After the configuration is loaded,
 * before vitals_start. Returns how many are served. */
int vsd_listen(vitals_t *v);

typedef struct vsd vsd_t;

/* Sends READY=1, then, from a thread of its own, STATUS= (the summary)
 * whenever it changes and WATCHDOG=1 every half WatchdogSec while the
 * latest snapshot is younger than stale_ms (a stuck scheduler stops the
 * pings, so systemd restarts vitalsd). NULL when not run by systemd with
 * Type=notify (or when out of memory: then nothing is sent). */
vsd_t *vsd_start(vitals_t *v, int64_t stale_ms);
/* Around a reload: RELOADING=1 (with MONOTONIC_USEC), then READY=1. */
void vsd_reloading(vsd_t *d);
void vsd_reloaded(vsd_t *d);
/* STOPPING=1: the shutdown began (the first SIGTERM). */
void vsd_stopping(vsd_t *d);
/* Stops the thread. NULL is fine. */
void vsd_stop(vsd_t *d);

#endif
