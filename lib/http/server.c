/* server.c - serves an instance's snapshots over HTTP with libmicrohttpd:
 * one listener per address, each with its own polling thread. A request
 * routes, takes a reference to the current snapshot and sends a body that
 * was rendered once for that snapshot: no check runs, no JSON is built per
 * request. */
#include "server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netdb.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../formats/format.h"
#include "../snapshot.h"
#include "errors.h"

typedef struct vlistener {
    struct vserver *server;
    struct MHD_Daemon *mhd;
    int fd;
    int port;
    char *address;
    /* Only the listener's own thread touches these. */
    vitals_snapshot_t *snap;
} vlistener_t;

struct vserver {
    vitals_t *v;
    vlistener_t *l;
    size_t n;
    atomic_int in_flight;
};

/* A marker for "first call seen", so the response is queued on the second
 * call: queueing on the first makes libmicrohttpd close keep-alive. */
static int seen_marker;

int vaddr_split(const char *addr, char **host, int *port)
{
    const char *colon, *h = addr, *end;
    char *stop;
    long p;

    if (addr == NULL)
        return -1;
    if (addr[0] == '[') {
        h = addr + 1;
        end = strchr(h, ']');
        if (end == NULL || end[1] != ':')
            return -1;
        colon = end + 1;
    } else {
        colon = strrchr(addr, ':');
        if (colon == NULL || memchr(addr, ':', (size_t)(colon - addr)))
            return -1; /* a bare IPv6 address needs brackets */
        end = colon;
    }
    if (end == h || colon[1] == '\0')
        return -1;
    errno = 0;
    p = strtol(colon + 1, &stop, 10);
    if (errno || *stop != '\0' || p < 0 || p > 65535)
        return -1;
    if ((*host = strndup(h, (size_t)(end - h))) == NULL)
        return -1;
    *port = (int)p;
    return 0;
}

/* Binds a listening socket for addr; -1 with a reason in why. */
static int bind_address(const char *addr, const char **why)
{
    struct addrinfo hints = {0}, *res = NULL;
    char *host = NULL, port_s[8];
    int port, fd = -1, one = 1, rc;

    *why = "expected host:port or [v6]:port";
    if (vaddr_split(addr, &host, &port) != 0)
        return -1;
    snprintf(port_s, sizeof(port_s), "%d", port);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE;
    rc = getaddrinfo(host, port_s, &hints, &res);
    free(host);
    if (rc != 0) {
        *why = gai_strerror(rc);
        return -1;
    }
    fd = socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        goto sys_fail;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (res->ai_family == AF_INET6)
        setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
    if (bind(fd, res->ai_addr, res->ai_addrlen) != 0 || listen(fd, 1024) != 0)
        goto sys_fail;
    freeaddrinfo(res);
    return fd;
sys_fail:
    *why = strerror(errno);
    if (fd >= 0)
        close(fd);
    freeaddrinfo(res);
    return -1;
}

static int bound_port(int fd)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof(ss);

    if (getsockname(fd, (struct sockaddr *)&ss, &len) != 0)
        return -1;
    if (ss.ss_family == AF_INET6)
        return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
    return ntohs(((struct sockaddr_in *)&ss)->sin_port);
}

/* The listener's current snapshot, refreshed when a newer one is out. */
static vitals_snapshot_t *current(vlistener_t *l)
{
    vitals_t *v = l->server->v;
    uint64_t gen = atomic_load_explicit(&v->snap_gen, memory_order_acquire);

    if (l->snap == NULL || l->snap->generation != gen) {
        vitals_snapshot_release(l->snap);
        l->snap = vitals_snapshot_get(v);
    }
    return l->snap;
}

static void release_snapshot(void *cls)
{
    vitals_snapshot_release(cls);
}

static enum MHD_Result send_error(struct MHD_Connection *conn,
                                  unsigned status, const char *description,
                                  const char *allow)
{
    size_t len = 0;
    char *body = verror_body(status, description, &len);
    struct MHD_Response *resp;
    enum MHD_Result rc;

    if (body == NULL)
        return MHD_NO;
    resp = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
    if (resp == NULL) {
        free(body);
        return MHD_NO;
    }
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
                            "application/json");
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    if (allow != NULL)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, allow);
    rc = MHD_queue_response(conn, status, resp);
    MHD_destroy_response(resp);
    return rc;
}

/* Sends a cached body of the snapshot, keeping the snapshot alive until
 * libmicrohttpd is done with the bytes. */
static enum MHD_Result send_body(struct MHD_Connection *conn,
                                 vitals_snapshot_t *s, const vbody_t *b,
                                 unsigned status, const char *type)
{
    struct MHD_Response *resp;
    enum MHD_Result rc;

    resp = MHD_create_response_from_buffer_with_free_callback_cls(
        b->len, b->data, release_snapshot, vsnap_ref(s));
    if (resp == NULL) {
        vitals_snapshot_release(s);
        return MHD_NO;
    }
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, type);
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    rc = MHD_queue_response(conn, status, resp);
    MHD_destroy_response(resp);
    return rc;
}

static enum MHD_Result serve_ietf(vlistener_t *l, struct MHD_Connection *conn)
{
    vitals_snapshot_t *s = current(l);
    const vbody_t *b = s ? vsnap_body(s, VBODY_IETF, vformat_ietf) : NULL;

    if (b == NULL)
        return send_error(conn, 500, "Could not render the health report",
                          NULL);
    /* The draft: pass and warn are 2xx, fail is 4xx-5xx. */
    return send_body(conn, s, b,
                     s->status == VITALS_UNHEALTHY ? 503 : 200,
                     "application/health+json");
}

static int is_get(const char *method)
{
    return strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0;
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *conn,
                              const char *url, const char *method,
                              const char *version, const char *upload,
                              size_t *upload_size, void **con_cls)
{
    vlistener_t *l = cls;

    (void)version;
    (void)upload;
    if (*con_cls == NULL) {
        *con_cls = &seen_marker;
        atomic_fetch_add(&l->server->in_flight, 1);
        return MHD_YES;
    }
    if (*upload_size != 0) { /* no endpoint takes a body yet: ignore it */
        *upload_size = 0;
        return MHD_YES;
    }
    if (strcmp(url, "/health") == 0) {
        if (!is_get(method))
            return send_error(conn, 405, "Use GET or HEAD on /health",
                              "GET, HEAD");
        return serve_ietf(l, conn);
    }
    return send_error(conn, 404,
                      "Requested resource was not found but may be "
                      "available later",
                      NULL);
}

static void completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                      enum MHD_RequestTerminationCode code)
{
    vlistener_t *l = cls;

    (void)conn;
    (void)code;
    if (*con_cls != NULL)
        atomic_fetch_sub(&l->server->in_flight, 1);
    *con_cls = NULL;
}

static void free_server(vserver_t *s)
{
    for (size_t i = 0; i < s->n; i++) {
        vitals_snapshot_release(s->l[i].snap);
        free(s->l[i].address);
    }
    free(s->l);
    free(s);
}

static int start_listener(vitals_t *v, vlistener_t *l, const char *addr)
{
    const char *why = NULL;
    /* ITC lets MHD_quiesce_daemon stop the accept loop from outside. */
    unsigned flags =
        MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ITC;

    l->fd = -1;
    if ((l->address = strdup(addr)) == NULL)
        return VITALS_ENOMEM;
    if ((l->fd = bind_address(addr, &why)) < 0) {
        vlog(v, VITALS_LOG_ERROR, "cannot listen on %s: %s", addr, why);
        return VITALS_ELISTEN;
    }
    l->port = bound_port(l->fd);
    l->mhd = MHD_start_daemon(
        flags, 0, NULL, NULL, handle, l, MHD_OPTION_LISTEN_SOCKET, l->fd,
        MHD_OPTION_NOTIFY_COMPLETED, completed, l,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)10,
        MHD_OPTION_CONNECTION_LIMIT, (unsigned)1024, MHD_OPTION_END);
    if (l->mhd == NULL) {
        vlog(v, VITALS_LOG_ERROR, "cannot serve on %s", addr);
        close(l->fd);
        l->fd = -1;
        return VITALS_ELISTEN;
    }
    vlog(v, VITALS_LOG_INFO, "listening on %s (port %d)", addr, l->port);
    return VITALS_OK;
}

int vserver_start(vitals_t *v)
{
    vserver_t *s = calloc(1, sizeof(*s));
    int rc = VITALS_OK;

    if (s == NULL || (v->nlisten > 0 &&
                      (s->l = calloc(v->nlisten, sizeof(*s->l))) == NULL)) {
        free(s);
        return VITALS_ENOMEM;
    }
    s->v = v;
    v->server = s;
    for (; s->n < v->nlisten && rc == VITALS_OK; s->n++) {
        s->l[s->n].server = s;
        rc = start_listener(v, &s->l[s->n], v->listen[s->n]);
    }
    if (rc != VITALS_OK)
        vserver_stop(v, 0);
    return rc;
}

void vserver_stop(vitals_t *v, int64_t grace_ms)
{
    vserver_t *s = v->server;
    int64_t until;

    if (s == NULL)
        return;
    /* Stop accepting first, then give requests in flight time to finish. */
    for (size_t i = 0; i < s->n; i++) {
        if (s->l[i].mhd == NULL)
            continue;
        int fd = MHD_quiesce_daemon(s->l[i].mhd);
        if (fd >= 0)
            close(fd);
    }
    until = vclock_mono(&vclock_system) + grace_ms * VCLOCK_MS;
    while (atomic_load(&s->in_flight) > 0 &&
           vclock_mono(&vclock_system) < until)
        usleep(1000);
    for (size_t i = 0; i < s->n; i++)
        if (s->l[i].mhd != NULL)
            MHD_stop_daemon(s->l[i].mhd);
    v->server = NULL;
    free_server(s);
}

int vserver_port(const vitals_t *v, size_t i)
{
    if (v->server == NULL || i >= v->server->n)
        return -1;
    return v->server->l[i].port;
}
