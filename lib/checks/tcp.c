/* tcp.c - the "tcp" check type: can a TCP connection to host:port be made
 * before the deadline, and how long does the handshake take. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* the GNU strerror_r, which returns the text */
#endif

#include <netdb.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "checks/check_type.h"
#include "util/clock.h"
#include "util/addr.h"
#include "util/connect.h"
#include "util/resolve.h"

typedef struct tcp {
    char *address; /* as configured, for messages */
    char *host;
    char port[8]; /* digits, 1-65535 */
} tcp_t;

/* Frees what tcp_prepare derived. */
static void tcp_clear(void *state)
{
    tcp_t *t = state;

    free(t->host);
}

/* ------------------------------------------------------------------------
 * Configuration
 */

static const vsetting_t tcp_settings[] = {
    {.key = "address", .kind = VSET_STR, .offset = offsetof(tcp_t, address),
     .flags = VSET_REQUIRED},
    {0}};

static int tcp_prepare(void *state, vnode_t *settings, verrs_t *e)
{
    tcp_t *t = state;
    int port = 0, rc = vaddr_parse(t->address, VADDR_PEER, &t->host, &port);

    if (rc == -1)
        verrs_add(e, vnode_get(settings, "address"),
                  "'address': expected host:port, got \"%s\"", t->address);
    else if (rc != 0)
        verrs_add(e, settings, "out of memory");
    if (rc != 0)
        return -1;
    snprintf(t->port, sizeof(t->port), "%d", port);
    return 0;
}

/* ------------------------------------------------------------------------
 * Connecting
 */

/* "127.0.0.1:5432" or "[::1]:5432": the address actually connected to,
 * which says more than a name that resolves to several. */
static void format_peer(const struct addrinfo *ai, const tcp_t *t, char *buf,
                        size_t len)
{
    char host[NI_MAXHOST], serv[NI_MAXSERV];

    if (getnameinfo(ai->ai_addr, ai->ai_addrlen, host, sizeof(host), serv,
                    sizeof(serv), NI_NUMERICHOST | NI_NUMERICSERV) != 0)
        snprintf(buf, len, "%s", t->address);
    else if (ai->ai_family == AF_INET6)
        snprintf(buf, len, "[%s]:%s", host, serv);
    else
        snprintf(buf, len, "%s:%s", host, serv);
}

static void report_connected(const tcp_t *t, vitals_result_t *r,
                             const struct addrinfo *ai, int64_t elapsed_ns)
{
    char peer[NI_MAXHOST + NI_MAXSERV + 4];
    /* Microsecond precision: below that the number is noise. */
    double ms = (double)((elapsed_ns + 500) / 1000) / 1000.0;

    format_peer(ai, t, peer, sizeof(peer));
    if (vitals_result_set_double(r, "responseTimeMs", ms) < 0) {
        vitals_result_set_error(r, "out of memory");
        return;
    }
    vitals_result_observe(r, "responseTime", ms, "ms");
    vitals_result_set_status(r, VITALS_HEALTHY);
    vitals_result_set_description(r, "connected to %s in %.1f ms", peer, ms);
}

static void tcp_run(void *state, vitals_result_t *r)
{
    const tcp_t *t = state;
    int64_t budget = vitals_result_remaining_ms(r), start;
    struct addrinfo *res = NULL, *ai;
    char why[256], ebuf[128];
    vconnect_status_t rc = VCONNECT_FAILED;
    int fd = -1, err = 0;

    /* The resolver gives up at the deadline: a dead DNS server must not
     * hold the check past it. */
    if (vresolve(t->host, t->port, AF_UNSPEC, budget, &res, why,
                 sizeof(why)) != VRESOLVE_OK) {
        vitals_result_set_error(r, "cannot resolve %s: %s", t->host, why);
        return;
    }
    /* Every address in turn, as a client would, all within the one
     * deadline: the last failure is the one reported. */
    for (ai = res; ai; ai = ai->ai_next) {
        start = vclock_mono(&vclock_system);
        rc = vconnect(ai, r, &fd, &err);
        if (rc == VCONNECT_OK) {
            report_connected(t, r, ai, vclock_mono(&vclock_system) - start);
            close(fd);
            break;
        }
        if (rc == VCONNECT_TIMEOUT) {
            vitals_result_set_error(r,
                                    "cannot connect to %s: timed out after "
                                    "%lld ms",
                                    t->address, (long long)budget);
            break;
        }
    }
    if (rc == VCONNECT_FAILED)
        vitals_result_set_error(r, "cannot connect to %s: %s", t->address,
                                err ? strerror_r(err, ebuf, sizeof(ebuf))
                                    : "no address");
    freeaddrinfo(res);
}

const vcheck_type_t vcheck_tcp = {
    .name = "tcp",
    .component_type = "component",
    .settings = tcp_settings,
    .state_size = sizeof(tcp_t),
    .prepare = tcp_prepare,
    .clear = tcp_clear,
    .run = tcp_run,
};
