/* kinds.c - the table of listener kinds besides HTTP, and what they
 * share: the `allow` and `details` settings, and accepting a client. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "access/allowlist.h"
#include "listen/kind.h"

static const vlistener_kind_t *const kinds[] = {&vlistener_agent,
                                                &vlistener_grpc, NULL};

const vlistener_kind_t *vlistener_kind_find(const char *name)
{
    for (size_t i = 0; kinds[i] != NULL; i++)
        if (strcmp(kinds[i]->name, name) == 0)
            return kinds[i];
    return NULL;
}

const char *vlistener_kind_names(void)
{
    return "http, agent, grpc";
}

static int fcntl_nonblock(int fd)
{
    int flags = fcntl(fd, F_GETFL);

    return flags < 0 ? -1 : fcntl(fd, F_SETFL, flags | O_NONBLOCK);
}

void **vkinds_start(const vsource_t *src, const vlisten_t *l, size_t n,
                    int *rc)
{
    void **running = calloc(n + 1, sizeof(void *));

    *rc = running != NULL ? VITALS_OK : VITALS_ENOMEM;
    for (size_t i = 0; i < n && *rc == VITALS_OK; i++)
        if (l[i].kind != NULL &&
            (running[i] = l[i].kind->start(src, &l[i], rc)) == NULL) {
            vkinds_stop(l, n, running);
            return NULL;
        }
    return running;
}

void vkinds_stop(const vlisten_t *l, size_t n, void **running)
{
    for (size_t i = 0; running != NULL && i < n; i++)
        if (running[i] != NULL)
            l[i].kind->stop(running[i]);
    free(running);
}

int vkinds_port(const vlisten_t *l, size_t n, void **running,
                const vserver_t *http, size_t i)
{
    size_t nhttp = 0;

    if (n == 0)
        return vserver_port(http, i);
    if (i >= n || running == NULL)
        return -1;
    if (l[i].kind != NULL)
        return l[i].kind->port(running[i]);
    for (size_t j = 0; j < i; j++)
        nhttp += l[j].kind == NULL;
    return vserver_port(http, nhttp);
}

int vlisten_parse_allow(vnode_t *node, void *field, verrs_t *e)
{
    const char *text;
    char *why = NULL;
    vallow_t *a;

    if (vnode_as_str(node, "allow", &text, e) != 0)
        return -1;
    if ((a = vallow_parse(text, &why)) == NULL) {
        verrs_add(e, node, "'allow': %s", why ? why : "out of memory");
        free(why);
        return -1;
    }
    *(vallow_t **)field = a;
    return 0;
}

void vlisten_free_allow(void *field)
{
    vallow_free(*(vallow_t **)field);
    *(vallow_t **)field = NULL;
}

int vlisten_parse_details(vnode_t *node, void *field, verrs_t *e)
{
    const char *s;

    if (vnode_as_str(node, "details", &s, e) != 0)
        return -1;
    if (strcmp(s, "always") != 0 && strcmp(s, "never") != 0) {
        verrs_add(e, node, "'details': expected always or never, got \"%s\"",
                  s);
        return -1;
    }
    *(int *)field = strcmp(s, "always") == 0;
    return 0;
}

int vlisten_accept(int fd, const struct vallow *allow, int *cfd)
{
    struct sockaddr_storage peer;

    for (;;) {
        socklen_t len = sizeof(peer);
        int c = accept4(fd, (struct sockaddr *)&peer, &len,
                        SOCK_NONBLOCK | SOCK_CLOEXEC);

        if (c < 0) {
            if (errno == EINTR || errno == ECONNABORTED)
                continue;
            /* EMFILE and the like: log, and let the loop try later. */
            return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -1;
        }
        if (allow == NULL || vallow_match(allow, (struct sockaddr *)&peer)) {
            *cfd = c;
            return 1;
        }
        close(c);
    }
}

void vlisten_log(const vsource_t *src, vitals_log_level_t level,
                 const char *fmt, ...)
{
    char buf[512];
    va_list ap;

    if (src->log == NULL)
        return;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    src->log(src->ctx, level, buf);
}

static int watch_fd(int epfd, int fd, void *ptr)
{
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = ptr};

    return epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev);
}

int vloop_open(vloop_t *lp, const vsource_t *src, const vlisten_t *l,
               const char *name)
{
    const char *why = NULL, *address = l->address;

    lp->wake = lp->epfd = -1;
    if ((lp->lfd = vlisten_socket(l, &why)) < 0) {
        vlisten_log(src, VITALS_LOG_ERROR, "cannot listen on %s (%s): %s",
                    address, name, why);
        return VITALS_ELISTEN;
    }
    lp->port = vlisten_port(lp->lfd);
    if ((lp->wake = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) < 0 ||
        (lp->epfd = epoll_create1(EPOLL_CLOEXEC)) < 0 ||
        watch_fd(lp->epfd, lp->lfd, NULL) != 0 ||
        watch_fd(lp->epfd, lp->wake, &lp->wake) != 0) {
        vlisten_log(src, VITALS_LOG_ERROR, "cannot serve on %s (%s): %s",
                    address, name, strerror(errno));
        vloop_close(lp);
        return VITALS_ESYS;
    }
    /* Accepting never blocks the loop: a client gone between the wake-up
     * and accept() must not stall the others. */
    if (fcntl_nonblock(lp->lfd) != 0) {
        vloop_close(lp);
        return VITALS_ESYS;
    }
    vlisten_log(src, VITALS_LOG_INFO, "listening on %s (port %d, %s%s)",
                address, lp->port, name,
                l->fd >= 0 ? ", socket handed over" : "");
    return VITALS_OK;
}

void vloop_wake(vloop_t *lp)
{
    uint64_t one = 1;

    /* Only fails when the counter is full: it is awake anyway. */
    if (write(lp->wake, &one, sizeof(one)) < 0)
        return;
}

int vloop_run(vloop_t *lp, void *(*fn)(void *), void *arg)
{
    if (pthread_create(&lp->thread, NULL, fn, arg) != 0)
        return VITALS_ESYS;
    lp->running = 1;
    return VITALS_OK;
}

void vloop_stop(vloop_t *lp)
{
    atomic_store(&lp->stopping, 1);
    vloop_wake(lp);
    if (lp->running)
        pthread_join(lp->thread, NULL);
    lp->running = 0;
}

int vloop_port(const void *running)
{
    return ((const vloop_t *)running)->port;
}

void vloop_drain(vloop_t *lp)
{
    uint64_t n;

    if (read(lp->wake, &n, sizeof(n)) < 0)
        return; /* EAGAIN: nothing was pending */
}

void vloop_close(vloop_t *lp)
{
    if (lp->lfd >= 0)
        close(lp->lfd);
    if (lp->wake >= 0)
        close(lp->wake);
    if (lp->epfd >= 0)
        close(lp->epfd);
    lp->lfd = lp->wake = lp->epfd = -1;
}
