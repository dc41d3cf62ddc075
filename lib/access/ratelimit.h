/* ratelimit.h - a token bucket per client address (access.rate_limit):
 * each client may make `burst` requests at once and `per_second` more
 * every second after that; over it, 429 with Retry-After.
 *
 * Clients: an IPv4 address, an IPv4-mapped IPv6 address (::ffff:a.b.c.d,
 * as a dual-stack listener reports IPv4 peers) being the same IPv4 client;
 * an IPv6 client is its /64 (VRATELIMIT_V6_PREFIX), since one host or
 * customer usually holds a whole /64 and could otherwise pick a fresh
 * address for every request. Anything else (NULL, AF_UNIX) is one shared
 * client.
 *
 * Memory is bounded: at most VRATELIMIT_MAX_CLIENTS clients are tracked
 * (about 2.5 MiB), in a set-associative table (8 slots per hash set). A
 * new client takes a free slot of its set, else the slot of a client whose
 * bucket has refilled completely (forgetting it changes nothing), else the
 * slot of the client of that set seen longest ago. So only when more than
 * the table's worth of clients are active at once can a limited client be
 * forgotten and start again with a full bucket: the limiter then errs
 * towards letting requests through, never towards refusing a new client.
 *
 * The bucket is kept as a GCRA "theoretical arrival time" in integer
 * nanoseconds, which is the same token bucket without floating-point drift.
 * Times are CLOCK_MONOTONIC nanoseconds; a clock that goes back only delays
 * refills.
 *
 * Thread safety: any number of threads may call vratelimit_take at once
 * (one mutex; the critical section is a few dozen instructions).
 */
#ifndef VITALS_RATELIMIT_H
#define VITALS_RATELIMIT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "config/vnode.h"

#define VRATELIMIT_MAX_CLIENTS 65536
#define VRATELIMIT_V6_PREFIX 64

/* The accepted ranges: beyond them the integer arithmetic could overflow,
 * and no sensible limit lies there. */
#define VRATELIMIT_MIN_PER_SECOND 0.001
#define VRATELIMIT_MAX_PER_SECOND 1e9
#define VRATELIMIT_MAX_BURST 1e6

typedef struct vratelimit vratelimit_t;

/* A limiter of per_second requests per second with bursts of burst, for
 * up to VRATELIMIT_MAX_CLIENTS clients. NULL with errno EINVAL when a
 * value is outside the ranges above (per_second > 0, burst >= 1), ENOMEM
 * when out of memory. */
vratelimit_t *vratelimit_new(double per_second, double burst);

/* The same for up to max_clients clients (rounded up to a power of two,
 * at least 8); for tests of eviction, and callers that want a smaller
 * table. */
vratelimit_t *vratelimit_new_capacity(double per_second, double burst,
                                      size_t max_clients);

/* Takes one token for client at now_ns (monotonic). 1: allowed. 0:
 * limited, and *retry_after_s (when not NULL) is the number of seconds,
 * at least 1, after which the request would be allowed. */
int vratelimit_take(vratelimit_t *rl, const struct sockaddr *client,
                    int64_t now_ns, int *retry_after_s);

/* Clients tracked now (at most the capacity). */
size_t vratelimit_clients(vratelimit_t *rl);

/* Reads a rate_limit map, {per_second: 20, burst: 40}: per_second is
 * required (a number > 0), burst is optional (a number >= 1; default
 * per_second rounded up, at least 1). Errors go to e at the values'
 * positions; NULL when it added one. Unknown keys are left for the
 * caller's vnode_map_done. */
vratelimit_t *vratelimit_configure(vnode_t *map, verrs_t *e);

void vratelimit_free(vratelimit_t *rl);

#endif
