/* kind.h - listener kinds besides HTTP: each a plug-in exporting one const
 * vlistener_kind_t (the HAProxy agent in agent.c, gRPC health in grpc.c),
 * listed in one table (kinds.c). A kind has its own settings under a
 * `listen:` entry and serves the snapshots of a source on its own thread;
 * it never sees the engine or the instance. */
#ifndef VITALS_KIND_H
#define VITALS_KIND_H

#include <pthread.h>
#include <stdatomic.h>

#include "config/settings.h"
#include "listen/http.h"

struct vallow;

typedef struct vlistener_kind {
    const char *name; /* mandatory: its `kind:` in a `listen:` entry */
    /* mandatory: its own keys, read into conf_size bytes (zeroed, defaults
     * applied), freed with vset_free */
    const vsetting_t *settings;
    size_t conf_size;
    int tls; /* 1: takes `tls: {cert_file, key_file}` */
    /* mandatory: binds l->address and serves from src (copied) on a thread
     * of its own; the running listener, or NULL with *rc set (logged
     * through src with the address and the reason). */
    void *(*start)(const vsource_t *src, const vlisten_t *l, int *rc);
    /* mandatory: the port it is bound to */
    int (*port)(const void *running);
    /* mandatory: stops serving (ending its streams cleanly), frees. */
    void (*stop)(void *running);
} vlistener_kind_t;

extern const vlistener_kind_t vlistener_agent;
extern const vlistener_kind_t vlistener_grpc;

/* The kind called name, or NULL ("http" is not one of these). */
const vlistener_kind_t *vlistener_kind_find(const char *name);
/* "http, agent, grpc" for messages. Static. */
const char *vlistener_kind_names(void);

/* Starts every listener of l[0..n) that has a kind: an array of n, the
 * running listener at the index of each (NULL at HTTP ones), to stop with
 * vkinds_stop; NULL with *rc set, none left running. */
void **vkinds_start(const vsource_t *src, const vlisten_t *l, size_t n,
                    int *rc);
/* Stops and frees them. running NULL is fine. */
void vkinds_stop(const vlisten_t *l, size_t n, void **running);
/* The port of l[i]: its kind's, or http's for an HTTP listener (counted
 * among the HTTP ones); with no listener at all, http's i-th (a server
 * without a socket: 0). -1 when not running. */
int vkinds_port(const vlisten_t *l, size_t n, void **running,
                const vserver_t *http, size_t i);

/* Settings every kind shares (kinds.c): `allow`, an allow list text read
 * into a vallow_t (NULL: everyone), and `details`, always or never. */
int vlisten_parse_allow(vnode_t *node, void *field, verrs_t *e);
void vlisten_free_allow(void *field);
int vlisten_parse_details(vnode_t *node, void *field, verrs_t *e);
#define VLISTEN_COMMON_SETTINGS(type)                                        \
    {.key = "allow", .kind = VSET_CUSTOM, .offset = offsetof(type, allow),   \
     .parse = vlisten_parse_allow, .free = vlisten_free_allow,               \
     .doc = "addresses and CIDR ranges that may connect (default: all)"},    \
    {.key = "details", .kind = VSET_CUSTOM,                                  \
     .offset = offsetof(type, details), .parse = vlisten_parse_details,     \
     .doc = "always or never: whether reasons and check names are told"}

/* What a kind's thread polls: its listening socket, an eventfd that
 * wakes it (to stop, or for news), and an epoll set holding both, with
 * data.ptr NULL for the socket and &wake for the eventfd. */
typedef struct vloop {
    int lfd, wake, epfd, port;
    pthread_t thread;
    int running;          /* the thread was started */
    atomic_int stopping;  /* the thread's loop ends when set */
} vloop_t;

/* Binds l's address (or takes the socket handed over for it) and makes
 * the epoll set, logging "listening on ADDRESS (port N, NAME)" through
 * src, or why not. 0, or VITALS_ELISTEN or VITALS_ESYS with everything
 * closed. */
int vloop_open(vloop_t *lp, const vsource_t *src, const vlisten_t *l,
               const char *name);
void vloop_wake(vloop_t *lp);
/* Runs fn(arg) on the loop's thread. 0, or VITALS_ESYS. */
int vloop_run(vloop_t *lp, void *(*fn)(void *), void *arg);
/* Sets stopping, wakes the thread and waits for it (if it runs). */
void vloop_stop(vloop_t *lp);
/* The port of a running listener whose struct starts with its vloop_t:
 * the kinds' port function. */
int vloop_port(const void *running);
/* Reads the eventfd's counter back to 0. */
void vloop_drain(vloop_t *lp);
void vloop_close(vloop_t *lp);
/* Logs through src (printf-style). */
void vlisten_log(const vsource_t *src, vitals_log_level_t level,
                 const char *fmt, ...) VITALS_PRINTF(3, 4);

/* Accepts on fd until it would block: 1 when a connection came (in *cfd,
 * non-blocking, close-on-exec) from a client allowed by allow, 0 when
 * none is waiting, -1 on an error worth logging. A refused client is
 * closed at once and skipped. */
int vlisten_accept(int fd, const struct vallow *allow, int *cfd);

#endif
