/* process.c - the "process" check type: is the process whose id a pidfile
 * holds still running (and not a zombie). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* the GNU strerror_r, which returns the text */
#endif

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

#include "checks/check_type.h"

/* A pidfile is a number and a newline; more than this is not one. */
#define PIDFILE_MAX 4096
/* Bytes of a bad pidfile quoted in the error. */
#define SHOW_MAX 32
/* /proc/<pid>/stat up to the state: the command name is at most 64 bytes
 * on any kernel, the pid at most 10 digits. */
#define STAT_MAX 256

typedef struct process {
    char *pidfile;
} process_t;


static const vsetting_t process_settings[] = {
    {.key = "pidfile", .kind = VSET_STR,
     .offset = offsetof(process_t, pidfile),
     .flags = VSET_REQUIRED | VSET_NONEMPTY},
    {0}};

/* Reads at most len - 1 bytes of path into buf, NUL-terminated; *n gets
 * the count (a NUL byte in the file stays visible to the caller through
 * it). 0, or an errno. */
static int read_small(const char *path, char *buf, size_t len, size_t *n)
{
    ssize_t got;
    int fd, err = 0;

    /* O_NONBLOCK: a FIFO where the pidfile should be must not hang the
     * check. */
    fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
    if (fd < 0)
        return errno;
    *n = 0;
    while (*n < len - 1) {
        got = read(fd, buf + *n, len - 1 - *n);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0) {
            err = errno == EAGAIN ? 0 : errno;
            break;
        }
        if (got == 0)
            break;
        *n += (size_t)got;
    }
    buf[*n] = '\0';
    close(fd);
    return err;
}

/* The first line of a pidfile, as a process id: digits with optional
 * spaces around them (daemons write "1234\n", some "1234", some
 * " 1234 \r\n"; PostgreSQL writes more lines after the first). 0 when it
 * is not one; never 0 or negative, which kill() would read as a process
 * group. */
static pid_t parse_pid(const char *s, size_t n)
{
    size_t i = 0;
    long long v = 0;
    int digits = 0;

    while (i < n && (s[i] == ' ' || s[i] == '\t'))
        i++;
    for (; i < n && s[i] >= '0' && s[i] <= '9'; i++, digits++) {
        v = v * 10 + (s[i] - '0');
        if (v > INT_MAX)
            return 0;
    }
    while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r'))
        i++;
    if (digits == 0 || v == 0 || (i < n && s[i] != '\n'))
        return 0;
    return (pid_t)v;
}

/* The first line of s (n bytes) in double quotes, escaped, cut after
 * SHOW_MAX bytes with "...": a bad pidfile may hold anything. */
static void show_line(const char *s, size_t n, char *buf, size_t len)
{
    size_t i, o = 0;
    unsigned char c;

    buf[o++] = '"';
    for (i = 0; i < n && s[i] != '\n' && i < SHOW_MAX && o + 8 < len; i++) {
        c = (unsigned char)s[i];
        if (c == '"' || c == '\\') {
            buf[o++] = '\\';
            buf[o++] = (char)c;
        } else if (c < 0x20 || c >= 0x7f) {
            o += (size_t)snprintf(buf + o, len - o, "\\x%02x", c);
        } else {
            buf[o++] = (char)c;
        }
    }
    if (i < n && s[i] != '\n' && o + 5 < len) {
        memcpy(buf + o, "...", 3);
        o += 3;
    }
    buf[o++] = '"';
    buf[o] = '\0';
}

/* The state letter and command name of pid from /proc/<pid>/stat
 * ("1234 (nginx) S ..."). 0, or -1 when it cannot be read: no /proc, a
 * /proc mounted with hidepid, or the process just went. Then only kill()
 * has answered, and that answer stands. */
static int proc_stat(pid_t pid, char *state, char *comm, size_t commlen)
{
    char path[64], buf[STAT_MAX];
    const char *open_paren, *close_paren;
    size_t n, clen;

    snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
    if (read_small(path, buf, sizeof(buf), &n) != 0)
        return -1;
    /* The name may itself hold ") ": the last one ends it. */
    open_paren = memchr(buf, '(', n);
    close_paren = NULL;
    for (const char *c = buf + n; c > buf; c--) {
        if (c[-1] == ')') {
            close_paren = c - 1;
            break;
        }
    }
    if (!open_paren || !close_paren || close_paren < open_paren ||
        close_paren + 2 >= buf + n || close_paren[1] != ' ')
        return -1;
    *state = close_paren[2];
    clen = (size_t)(close_paren - open_paren - 1);
    if (clen >= commlen)
        clen = commlen - 1;
    memcpy(comm, open_paren + 1, clen);
    comm[clen] = '\0';
    return 0;
}

static void process_run(void *state, vitals_result_t *r)
{
    const process_t *p = state;
    char buf[PIDFILE_MAX], shown[SHOW_MAX * 4 + 8], ebuf[128], comm[80];
    char pstate = '?';
    size_t n = 0;
    pid_t pid;
    int err;

    err = read_small(p->pidfile, buf, sizeof(buf), &n);
    if (err == ENOENT) {
        vitals_result_set_error(r, "missing pidfile %s", p->pidfile);
        return;
    }
    if (err != 0) {
        vitals_result_set_error(r, "cannot read %s: %s", p->pidfile,
                                strerror_r(err, ebuf, sizeof(ebuf)));
        return;
    }
    pid = parse_pid(buf, n);
    if (pid == 0) {
        show_line(buf, n, shown, sizeof(shown));
        vitals_result_set_error(r, "%s: not a process id: %s", p->pidfile,
                                shown);
        return;
    }
    if (vitals_result_set_int(r, "pid", pid) < 0) {
        vitals_result_set_error(r, "out of memory");
        return;
    }

    /* Signal 0 only asks whether the process exists. EPERM means it does,
     * owned by a user we may not signal. */
    if (kill(pid, 0) != 0 && errno != EPERM) {
        err = errno;
        if (err == ESRCH)
            vitals_result_set_error(r, "process %d from %s is not running",
                                    (int)pid, p->pidfile);
        else
            vitals_result_set_error(r, "cannot signal process %d from %s: %s",
                                    (int)pid, p->pidfile,
                                    strerror_r(err, ebuf, sizeof(ebuf)));
        return;
    }
    /* A zombie has exited but still answers kill(): only /proc tells. */
    if (proc_stat(pid, &pstate, comm, sizeof(comm)) != 0) {
        vitals_result_set_status(r, VITALS_HEALTHY);
        vitals_result_set_description(r, "process %d from %s is running",
                                      (int)pid, p->pidfile);
        return;
    }
    if (pstate == 'Z' || pstate == 'X') {
        vitals_result_set_error(r,
                                "process %d from %s is not running (%s)",
                                (int)pid, p->pidfile,
                                pstate == 'Z' ? "zombie" : "dead");
        return;
    }
    vitals_result_set_status(r, VITALS_HEALTHY);
    vitals_result_set_description(r, "process %d (%s) from %s is running",
                                  (int)pid, comm, p->pidfile);
}

const vcheck_type_t vcheck_process = {
    .name = "process",
    .component_type = "component",
    .settings = process_settings,
    .state_size = sizeof(process_t),
    .run = process_run,
};
