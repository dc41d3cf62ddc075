/* agent.c - the HAProxy agent-check listener: on each connection, read
 * what `agent-send` says (a view, a tag or a check; bounded, timed out),
 * write one line such as "up ready 100%" or "down ready #db: refused",
 * and close, as HAProxy's agent protocol expects. One thread polls every
 * connection; a connection never waits for a check. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "access/allowlist.h"
#include "listen/kind.h"
#include "outputs/format.h"
#include "util/clock.h"
#include "util/utf8.h"

/* What agent-send may say: longer text is cut (HAProxy sends a fixed
 * string, a selection name). */
#define AGENT_MAX_REQUEST 128
/* The longest reason after '#': HAProxy keeps 128 bytes of an agent's
 * description (HCHK_DESC_LEN); a line stays well inside its buffer. */
#define AGENT_MAX_REASON 120

typedef struct agent_conf {
    struct vallow *allow;
    int details;
    unsigned weight, degraded_weight, maxconn, max_connections;
    int64_t read_timeout_ms;
} agent_conf_t;

static const vsetting_t agent_settings[] = {
    VLISTEN_COMMON_SETTINGS(agent_conf_t),
    {.key = "weight", .kind = VSET_UINT,
     .offset = offsetof(agent_conf_t, weight), .min = 1, .max = 100,
     .def = "100", .doc = "weight in % of the server's while healthy"},
    {.key = "degraded_weight", .kind = VSET_UINT,
     .offset = offsetof(agent_conf_t, degraded_weight), .min = 0,
     .max = 100, .def = "50", .doc = "weight in % while degraded"},
    {.key = "maxconn", .kind = VSET_UINT,
     .offset = offsetof(agent_conf_t, maxconn), .min = 0, .max = 1000000,
     .def = "0", .doc = "maxconn:N sent with up (0: not sent)"},
    {.key = "read_timeout", .kind = VSET_DURATION,
     .offset = offsetof(agent_conf_t, read_timeout_ms), .min = 1,
     .max = 10000, .def = "200ms",
     .doc = "how long to wait for agent-send text"},
    {.key = "max_connections", .kind = VSET_UINT,
     .offset = offsetof(agent_conf_t, max_connections), .min = 1,
     .max = 65536, .def = "256", .doc = "connections at once"},
    {0}};

/* ------------------------------------------------------------------------
 * The line
 */

/* Appends name ": " why to out, made safe for one agent line: controls
 * become spaces, bytes that are not UTF-8 become '?', cut at a character
 * boundary to AGENT_MAX_REASON bytes. */
static size_t put_reason(char *out, size_t cap, const char *name,
                         const char *why)
{
    char text[AGENT_MAX_REASON * 2];
    size_t n = 0, len;
    int full = snprintf(text, sizeof(text), "%s%s%s", name,
                        why != NULL ? ": " : "", why != NULL ? why : "");

    len = full < 0 ? 0 : strlen(text);
    for (size_t i = 0; i < len && n + 4 < cap && n < AGENT_MAX_REASON;) {
        const unsigned char *p = (const unsigned char *)text + i;
        size_t seq = vutf8_seq(p, len - i);

        if (seq == 0) {
            out[n++] = '?';
            i++;
        } else if (seq == 1) {
            out[n++] = *p < 0x20 || *p == 0x7f ? ' ' : (char)*p;
            i++;
        } else if (n + seq <= AGENT_MAX_REASON) {
            memcpy(out + n, p, seq);
            n += seq;
            i += seq;
        } else {
            break;
        }
    }
    out[n] = '\0';
    return n;
}

/* The agent line (with its '\n') for what request asks of s. Returns its
 * length; out holds at least 256 bytes. */
static size_t agent_line(const vitals_snapshot_t *s, const char *request,
                         const agent_conf_t *c, char *out, size_t cap)
{
    const char *tag = NULL;
    vselect_t sel;
    vverdict_t v;
    int n = 0;

    if (vverdict_select(s, request, &sel, &tag) != VITALS_OK)
        return (size_t)snprintf(out, cap, "down #unknown check\n");
    if (vverdict_get(s, &sel, &v) != VITALS_OK)
        return (size_t)snprintf(out, cap, "down #out of memory\n");
    switch (v.state) {
    case VVERDICT_UP:
    case VVERDICT_DEGRADED:
        /* "ready" ends a DRAIN or MAINT this agent set before: only the
         * agent may revert its own actions. */
        n = snprintf(out, cap, "up ready %u%%",
                     v.state == VVERDICT_UP ? c->weight : c->degraded_weight);
        if (c->maxconn > 0 && n > 0 && (size_t)n < cap)
            n += snprintf(out + n, cap - (size_t)n, " maxconn:%u", c->maxconn);
        break;
    case VVERDICT_DOWN:
        n = snprintf(out, cap, "down ready");
        if (c->details && v.why_name != NULL && (size_t)n + 2 < cap) {
            n += snprintf(out + n, cap - (size_t)n, " #");
            n += (int)put_reason(out + n, cap - (size_t)n, v.why_name, v.why);
        }
        break;
    case VVERDICT_DRAIN:
        n = snprintf(out, cap, "drain");
        break;
    case VVERDICT_MAINT:
        n = snprintf(out, cap, "maint");
        break;
    }
    if (n < 0 || (size_t)n + 2 > cap)
        n = 0;
    out[n++] = '\n';
    out[n] = '\0';
    return (size_t)n;
}

/* What agent-send said: the text up to the first '\r' or '\n', without
 * surrounding blanks. In place; returns buf. */
static char *agent_request(char *buf, size_t len)
{
    char *p = buf, *end;

    buf[len] = '\0';
    end = buf + strcspn(buf, "\r\n");
    *end = '\0';
    while (*p == ' ' || *p == '\t')
        p++;
    while (end > p && (end[-1] == ' ' || end[-1] == '\t'))
        *--end = '\0';
    return p;
}

/* ------------------------------------------------------------------------
 * The listener
 */

typedef struct aconn {
    int fd; /* -1: a free slot */
    int64_t deadline;
    size_t len;
    char buf[AGENT_MAX_REQUEST + 1];
} aconn_t;

typedef struct agent {
    vloop_t loop; /* first: vloop_port reads it */
    vsource_t src;
    const agent_conf_t *conf; /* owned by the instance's listen list */
    char *address;
    aconn_t *conns;
    size_t nconns;
    vitals_snapshot_t *snap; /* the loop's: refreshed per generation */
} agent_t;

static const vitals_snapshot_t *current(agent_t *a)
{
    uint64_t gen = a->src.generation(a->src.ctx);

    if (a->snap == NULL || a->snap->generation != gen) {
        vitals_snapshot_release(a->snap);
        a->snap = a->src.snapshot(a->src.ctx);
    }
    return a->snap;
}

static void conn_close(agent_t *a, aconn_t *c)
{
    char sink[256];

    /* A client that sent more than we read: take the rest, so that close()
     * sends FIN, not an RST that could discard the line unread. */
    if (c->len == AGENT_MAX_REQUEST)
        while (recv(c->fd, sink, sizeof(sink), MSG_DONTWAIT) > 0)
            continue;
    close(c->fd);
    c->fd = -1;
    a->nconns--;
}

static void conn_answer(agent_t *a, aconn_t *c)
{
    char line[256];
    size_t n = agent_line(current(a), agent_request(c->buf, c->len),
                          a->conf, line, sizeof(line));

    /* A line fits any socket buffer: one non-blocking send, or nothing. */
    if (send(c->fd, line, n, MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
        vlisten_log(&a->src, VITALS_LOG_DEBUG, "agent %s: send: %s",
                    a->address, strerror(errno));
    conn_close(a, c);
}

static void conn_read(agent_t *a, aconn_t *c)
{
    ssize_t r = recv(c->fd, c->buf + c->len, AGENT_MAX_REQUEST - c->len, 0);

    if (r < 0 && (errno == EAGAIN || errno == EINTR))
        return;
    if (r < 0) {
        conn_close(a, c);
        return;
    }
    c->len += (size_t)r;
    /* A whole line, the bound, or the peer done sending: answer now. */
    if (r == 0 || c->len == AGENT_MAX_REQUEST ||
        memchr(c->buf, '\n', c->len) != NULL ||
        memchr(c->buf, '\r', c->len) != NULL)
        conn_answer(a, c);
}

static aconn_t *free_slot(agent_t *a)
{
    for (size_t i = 0; i < a->conf->max_connections; i++)
        if (a->conns[i].fd < 0)
            return &a->conns[i];
    return NULL;
}

static void accept_all(agent_t *a, int64_t now)
{
    int fd, rc;

    while ((rc = vlisten_accept(a->loop.lfd, a->conf->allow, &fd)) == 1) {
        aconn_t *c = free_slot(a);
        struct epoll_event ev = {.events = EPOLLIN | EPOLLRDHUP};

        if (c == NULL) { /* full: the client retries at its next inter */
            close(fd);
            continue;
        }
        c->fd = fd;
        c->len = 0;
        c->deadline = now + a->conf->read_timeout_ms * VCLOCK_MS;
        a->nconns++;
        /* HAProxy sends agent-send as it connects: it is often here
         * already, and the connection is answered without being polled. */
        conn_read(a, c);
        ev.data.ptr = c;
        if (c->fd >= 0 && epoll_ctl(a->loop.epfd, EPOLL_CTL_ADD, fd, &ev) != 0)
            conn_close(a, c);
    }
    if (rc < 0)
        vlisten_log(&a->src, VITALS_LOG_WARN, "agent %s: accept: %s",
                    a->address, strerror(errno));
}

/* Answers every connection past its deadline (HAProxy sent nothing, or
 * no end of line: the readiness view, or what came); returns the time to
 * the next deadline in ms, or -1 when none. */
static int expire(agent_t *a, int64_t now)
{
    int64_t next = INT64_MAX;

    for (size_t i = 0; i < a->conf->max_connections && a->nconns > 0; i++) {
        aconn_t *c = &a->conns[i];

        if (c->fd < 0)
            continue;
        if (c->deadline <= now)
            conn_answer(a, c);
        else if (c->deadline < next)
            next = c->deadline;
    }
    return next == INT64_MAX ? -1 : (int)((next - now) / VCLOCK_MS + 1);
}

static void *agent_loop(void *arg)
{
    agent_t *a = arg;
    struct epoll_event evs[64];
    int timeout = -1;

    while (!atomic_load(&a->loop.stopping)) {
        int n = epoll_wait(a->loop.epfd, evs, 64, timeout);
        int64_t now = vclock_mono(&vclock_system);

        for (int i = 0; i < n; i++) {
            if (evs[i].data.ptr == NULL)
                accept_all(a, now);
            else if (evs[i].data.ptr == &a->loop.wake)
                vloop_drain(&a->loop);
            else if (((aconn_t *)evs[i].data.ptr)->fd >= 0)
                conn_read(a, evs[i].data.ptr);
        }
        timeout = expire(a, now);
    }
    return NULL;
}

static void agent_free(agent_t *a)
{
    for (size_t i = 0; a->conns != NULL && i < a->conf->max_connections; i++)
        if (a->conns[i].fd >= 0)
            close(a->conns[i].fd);
    vloop_close(&a->loop);
    vitals_snapshot_release(a->snap);
    free(a->conns);
    free(a->address);
    free(a);
}

static void *agent_start(const vsource_t *src, const vlisten_t *l, int *rc)
{
    agent_t *a = calloc(1, sizeof(*a));

    *rc = VITALS_ENOMEM;
    if (a == NULL)
        return NULL;
    a->src = *src;
    a->conf = l->conf;
    a->loop.lfd = a->loop.wake = a->loop.epfd = -1;
    if ((a->address = strdup(l->address)) == NULL ||
        (a->conns = calloc(a->conf->max_connections, sizeof(aconn_t))) ==
            NULL) {
        agent_free(a);
        return NULL;
    }
    for (size_t i = 0; i < a->conf->max_connections; i++)
        a->conns[i].fd = -1;
    if ((*rc = vloop_open(&a->loop, src, l, "agent")) != VITALS_OK) {
        agent_free(a);
        return NULL;
    }
    if ((*rc = vloop_run(&a->loop, agent_loop, a)) != VITALS_OK) {
        agent_free(a);
        return NULL;
    }
    return a;
}

static void agent_stop(void *running)
{
    if (running == NULL)
        return;
    vloop_stop(running);
    agent_free(running);
}

const vlistener_kind_t vlistener_agent = {
    .name = "agent",
    .settings = agent_settings,
    .conf_size = sizeof(agent_conf_t),
    .start = agent_start,
    .port = vloop_port,
    .stop = agent_stop,
};
