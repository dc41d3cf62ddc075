/* watch.h - closes connections that take too long to send a request.
 *
 * libmicrohttpd's own timeout counts inactivity, so a client that trickles
 * a header one byte at a time keeps its connection, and enough of them
 * exhaust the connection limit. The watch gives each connection read_timeout
 * from its start (or from the end of its previous request) to deliver a
 * whole request head, and shuts the socket down past it.
 */
#ifndef VITALS_WATCH_H
#define VITALS_WATCH_H

#include <stdint.h>

typedef struct vwatch vwatch_t;
typedef struct vwatched vwatched_t;

/* Starts the watch's thread. NULL when out of memory or threads. */
vwatch_t *vwatch_start(int64_t read_timeout_ms);
/* Stops the thread and frees what is left. */
void vwatch_stop(vwatch_t *w);

/* A new connection on fd: its clock starts now. */
vwatched_t *vwatch_add(vwatch_t *w, int fd);
/* Its request head arrived: the clock stops. */
void vwatch_busy(vwatch_t *w, vwatched_t *c);
/* Its request ended: the clock starts again for the next one. */
void vwatch_idle(vwatch_t *w, vwatched_t *c);
/* It closed (before its fd is closed, so the watch never touches a reused
 * descriptor). */
void vwatch_remove(vwatch_t *w, vwatched_t *c);

#endif
