/* connect.h - a non-blocking TCP connect, and waiting on a socket, that
 * give up at a check run's deadline (the tcp and tls check types). */
#ifndef VITALS_CONNECT_H
#define VITALS_CONNECT_H

#include <netdb.h>

#include "vitals.h"

typedef enum {
    VCONNECT_OK = 0,
    VCONNECT_FAILED = -1,  /* *err says why */
    VCONNECT_TIMEOUT = -2, /* r's deadline came first */
} vconnect_status_t;

/* Waits until fd has one of events (POLLIN, POLLOUT) or r's deadline
 * (vitals_result_remaining_ms) passes. */
vconnect_status_t vconnect_wait(int fd, short events,
                                const vitals_result_t *r, int *err);

/* Connects a new non-blocking, close-on-exec socket to the one address ai
 * before r's deadline. VCONNECT_OK with *fd the connected socket (the
 * caller's to close), or another status with no socket left open. */
vconnect_status_t vconnect(const struct addrinfo *ai,
                           const vitals_result_t *r, int *fd, int *err);

#endif
