/* control.c - vitalsd's control socket: a UNIX stream socket (mode 0600)
 * in the state directory where `vitals maint` and `vitals drain` ask for
 * maintenance and draining, one request line per connection, answered
 * with one line "ok ..." or "error ...". Only the daemon's own user and
 * root may ask. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "daemon.h"

/* A request is one short line; a client gets this long to send it. */
#define MAX_LINE 1024
#define READ_TIMEOUT_MS 2000
/* A timed maintenance lasts at most a year. */
#define MAX_FOR_MS (366LL * 24 * 3600 * 1000)

struct vctl {
    vitals_t *v;
    char *path;
    int fd;
    int stop_pipe[2]; /* written to stop the thread */
    pthread_t thread;
    atomic_int_fast64_t drained_at;
};

static int64_t mono_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t vctl_drained_at(const vctl_t *c)
{
    return c != NULL ? atomic_load(&c->drained_at) : 0;
}

/* ------------------------------------------------------------------------
 * Requests
 */

/* "maint on FOR_MS [REASON]" (FOR_MS 0: until turned off). */
static void maint_on(vctl_t *c, const char *args, char *out, size_t len)
{
    char *end;
    long long for_ms;
    const char *reason;
    int rc;

    errno = 0;
    for_ms = strtoll(args, &end, 10);
    if (end == args || errno != 0 || for_ms < 0 || for_ms > MAX_FOR_MS ||
        (*end != '\0' && *end != ' ')) {
        snprintf(out, len, "error maint on: expected a duration in ms "
                           "(0 to %lld) before the reason",
                 MAX_FOR_MS);
        return;
    }
    reason = *end == ' ' ? end + 1 : "";
    if (reason[0] == '\0')
        reason = "maintenance";
    if ((rc = vitals_maintenance(c->v, reason, for_ms)) != VITALS_OK) {
        snprintf(out, len, "error maint on: %s", vitals_strerror(rc));
        return;
    }
    /* TODO(history store): persist the maintenance (reason and end) in
     * the state directory's store so that a restart keeps it; see the
     * report of the systemd branch. */
    if (for_ms > 0)
        snprintf(out, len, "ok maintenance on for %lld ms: %s", for_ms,
                 reason);
    else
        snprintf(out, len, "ok maintenance on until turned off: %s",
                 reason);
}

static void drain(vctl_t *c, char *out, size_t len)
{
    int64_t delay = vitals_drain(c->v), none = 0;

    atomic_compare_exchange_strong(&c->drained_at, &none, mono_ms());
    snprintf(out, len,
             "ok draining: readiness fails from now on and every endpoint "
             "keeps answering; SIGTERM stops vitalsd after what is left of "
             "the %" PRId64 " ms shutdown delay",
             delay);
}

/* Answers one request line into out. */
static void answer(vctl_t *c, const char *line, char *out, size_t len)
{
    vitals_snapshot_t *s;
    char sum[256];

    if (strncmp(line, "maint on ", 9) == 0) {
        maint_on(c, line + 9, out, len);
    } else if (strcmp(line, "maint off") == 0) {
        int rc = vitals_maintenance(c->v, NULL, 0);

        snprintf(out, len, rc == VITALS_OK ? "ok maintenance off"
                                           : "error maint off: %s",
                 vitals_strerror(rc));
    } else if (strcmp(line, "drain") == 0) {
        drain(c, out, len);
    } else if (strcmp(line, "status") == 0) {
        s = vitals_snapshot_get(c->v);
        snprintf(out, len, "ok %s", vitalsd_summary(s, sum, sizeof(sum)));
        vitals_snapshot_release(s);
    } else {
        snprintf(out, len, "error unknown request \"%.64s\": expected "
                           "\"maint on MS [REASON]\", \"maint off\", "
                           "\"drain\" or \"status\"",
                 line);
    }
}

/* Reads one line (without its newline) within the read timeout. 0, or -1
 * with the error to answer in out (empty: the client left). */
static int read_line(int fd, char *line, char *out, size_t len)
{
    size_t n = 0;

    for (;;) {
        ssize_t got = recv(fd, line + n, MAX_LINE + 1 - n, 0);
        char *nl;

        if (got <= 0) {
            if (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
                snprintf(out, len, "error no request line within %d ms",
                         READ_TIMEOUT_MS);
            else if (n > 0 && got == 0)
                break; /* a last line without its newline */
            return -1;
        }
        n += (size_t)got;
        line[n] = '\0';
        if ((nl = memchr(line, '\n', n)) != NULL) {
            *nl = '\0';
            break;
        }
        if (n > MAX_LINE) {
            snprintf(out, len, "error request longer than %d bytes",
                     MAX_LINE);
            return -1;
        }
    }
    line[strcspn(line, "\r\n")] = '\0';
    /* The line is logged and echoed: no control character reaches a log
     * or a terminal raw. */
    for (char *p = line; *p != '\0'; p++)
        if ((unsigned char)*p < ' ' || *p == 0x7f)
            *p = '?';
    return 0;
}

/* The client's uid when it is vitalsd's own or root; else -1, logged. */
static int allowed(int fd)
{
    struct ucred cred;
    socklen_t len = sizeof(cred);

    if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0)
        return -1;
    if (cred.uid == 0 || cred.uid == geteuid())
        return 0;
    vitalsd_log(VITALS_LOG_WARN,
                "control socket: refused uid %u (pid %d): only uid %u and "
                "root may ask",
                (unsigned)cred.uid, (int)cred.pid, (unsigned)geteuid());
    return -1;
}

static void serve(vctl_t *c, int fd)
{
    struct timeval tv = {READ_TIMEOUT_MS / 1000,
                         (READ_TIMEOUT_MS % 1000) * 1000};
    char line[MAX_LINE + 2], out[MAX_LINE + 256] = "";

    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
    /* The line is read even from a client that is refused: closing with
     * its request unread would reset the connection before it reads the
     * answer. */
    if (read_line(fd, line, out, sizeof(out)) == 0) {
        if (allowed(fd) != 0) {
            snprintf(out, sizeof(out), "error permission denied: only uid "
                                       "%u and root may use this socket",
                     (unsigned)geteuid());
        } else {
            answer(c, line, out, sizeof(out));
            vitalsd_log(VITALS_LOG_INFO, "control socket: \"%.200s\": %s",
                        line, out);
        }
    }
    if (out[0] != '\0') {
        size_t n = strlen(out);

        out[n++] = '\n';
        if (send(fd, out, n, MSG_NOSIGNAL) < 0)
            vitalsd_log(VITALS_LOG_DEBUG, "control socket: %s",
                        strerror(errno));
    }
}

static void *run(void *arg)
{
    vctl_t *c = arg;
    struct pollfd p[2] = {{.fd = c->fd, .events = POLLIN},
                          {.fd = c->stop_pipe[0], .events = POLLIN}};

    for (;;) {
        int fd;

        if (poll(p, 2, -1) < 0) {
            if (errno == EINTR)
                continue;
            vitalsd_log(VITALS_LOG_ERROR, "control socket: %s",
                        strerror(errno));
            break;
        }
        if (p[1].revents != 0)
            break;
        if ((fd = accept4(c->fd, NULL, NULL, SOCK_CLOEXEC)) < 0)
            continue;
        serve(c, fd);
        close(fd);
    }
    return NULL;
}

/* ------------------------------------------------------------------------
 * The socket
 */

/* Removes a socket left at path by a vitalsd that died; refuses to take
 * over one that answers, or a path that is not a socket. */
static int clear_stale(const struct sockaddr_un *sa, const char **why)
{
    struct stat st;
    int fd, live;

    if (lstat(sa->sun_path, &st) != 0)
        return 0;
    if (!S_ISSOCK(st.st_mode)) {
        *why = "the path exists and is not a socket";
        return -1;
    }
    if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0) {
        *why = strerror(errno);
        return -1;
    }
    live = connect(fd, (const struct sockaddr *)sa, sizeof(*sa)) == 0;
    close(fd);
    if (live) {
        *why = "another vitalsd answers on it";
        return -1;
    }
    unlink(sa->sun_path);
    return 0;
}

static int open_socket(const char *path, const char **why)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    int fd;

    if (strlen(path) >= sizeof(sa.sun_path)) {
        *why = "the path is too long for a UNIX socket";
        return -1;
    }
    strcpy(sa.sun_path, path);
    if (clear_stale(&sa, why) != 0)
        return -1;
    if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0) {
        *why = strerror(errno);
        return -1;
    }
    /* The mode is set right after bind; a client that connects in
     * between is still checked by its uid. */
    if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
        chmod(path, 0600) != 0 || listen(fd, 16) != 0) {
        *why = strerror(errno);
        close(fd);
        return -1;
    }
    return fd;
}

vctl_t *vctl_start(vitals_t *v, const char *path)
{
    const char *why = "out of memory";
    vctl_t *c = calloc(1, sizeof(*c));

    if (c == NULL)
        goto fail;
    c->v = v;
    c->stop_pipe[0] = c->stop_pipe[1] = -1;
    if ((c->path = strdup(path)) == NULL)
        goto fail;
    atomic_init(&c->drained_at, 0);
    if ((c->fd = open_socket(path, &why)) < 0)
        goto fail;
    if (pipe2(c->stop_pipe, O_CLOEXEC) != 0 ||
        pthread_create(&c->thread, NULL, run, c) != 0) {
        why = strerror(errno);
        close(c->fd);
        unlink(path);
        goto fail;
    }
    vitalsd_log(VITALS_LOG_INFO, "control socket on %s (vitals maint, "
                                 "vitals drain)",
                path);
    return c;
fail:
    vitalsd_log(VITALS_LOG_WARN, "no control socket on %s: %s", path, why);
    if (c != NULL) {
        if (c->stop_pipe[0] >= 0) {
            close(c->stop_pipe[0]);
            close(c->stop_pipe[1]);
        }
        free(c->path);
    }
    free(c);
    return NULL;
}

void vctl_stop(vctl_t *c)
{
    if (c == NULL)
        return;
    if (write(c->stop_pipe[1], "x", 1) != 1)
        vitalsd_log(VITALS_LOG_ERROR, "control socket: cannot stop: %s",
                    strerror(errno));
    else
        pthread_join(c->thread, NULL);
    close(c->stop_pipe[0]);
    close(c->stop_pipe[1]);
    close(c->fd);
    unlink(c->path);
    free(c->path);
    free(c);
}
