/* watch.h - the server's table of connections, across all its listeners:
 * closes those that take too long to send a request, keeps the total
 * within max_connections by closing the longest-idle one to admit a new
 * client, and gives memory back after a flood.
 *
 * libmicrohttpd's own timeout counts inactivity, so a client that trickles
 * a header or a body one byte at a time keeps its connection, and enough
 * of them exhaust the connection limit. The watch gives each connection
 * read_timeout from its start (or from the end of its previous request) to
 * deliver a whole request, head and body, and shuts the socket down past
 * it. libmicrohttpd also counts connections per listener, and at its limit
 * stops accepting, so held idle connections starve a new client; the
 * watch counts them in all, and past max_connections closes the
 * connection that has waited longest for a request (an idle keep-alive
 * one, or a request still arriving), so that a probe always gets in.
 */
#ifndef VITALS_WATCH_H
#define VITALS_WATCH_H

#include <stdint.h>

typedef struct vwatch vwatch_t;
typedef struct vwatched vwatched_t;

/* Starts the watch's thread. NULL when out of memory or threads. */
vwatch_t *vwatch_start(int64_t read_timeout_ms, unsigned max_connections);
/* Stops the thread and frees what is left. */
void vwatch_stop(vwatch_t *w);

/* A new connection on fd: its clock starts now. Past max_connections the
 * connection waiting longest for a request is shut down (this one, when
 * every other is busy answering). */
vwatched_t *vwatch_add(vwatch_t *w, int fd);
/* Its whole request arrived: the clock stops while it is answered. */
void vwatch_busy(vwatch_t *w, vwatched_t *c);
/* Its request ended: the clock starts again for the next one. */
void vwatch_idle(vwatch_t *w, vwatched_t *c);
/* It closed (before its fd is closed, so the watch never touches a reused
 * descriptor). */
void vwatch_remove(vwatch_t *w, vwatched_t *c);
/* Connections open now, in all. */
unsigned vwatch_count(vwatch_t *w);

#endif
