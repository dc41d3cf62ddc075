/* exec_child.c - starts the "exec" check type's program, with its output
 * in a pipe, in a process group of its own, collects what it says until it
 * exits or the deadline comes, and then kills its whole process group, so
 * that nothing it started outlives its run or the instance (see exec.h). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* pipe2, the GNU strerror_r, posix_spawn_*_np */
#endif

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "checks/exec.h"

/* How often the exit of the program is polled for where the kernel has no
 * pidfd to wait on (Linux before 5.3). */
#define REAP_TICK_MS 10
/* After the program exits, a background process it left may still hold
 * the pipe and write to it: read what is there, but only this much. */
#define DRAIN_MAX (1024 * 1024)

extern char **environ;

/* Guards every exec_t's running list and halted flag: held only to link,
 * unlink and signal, never across a wait. */
static pthread_mutex_t running_mu = PTHREAD_MUTEX_INITIALIZER;

/* ------------------------------------------------------------------------
 * Starting the program
 */

/* The environment for the program: the daemon's, with x's variables
 * replacing those of the same name. A new array of borrowed strings. */
static char **build_env(const exec_t *x)
{
    size_t n = 0, o = 0, i, k, name_len;
    char **envp;

    while (environ && environ[n])
        n++;
    envp = malloc((n + x->nenv + 1) * sizeof(*envp));
    if (!envp)
        return NULL;
    for (i = 0; i < n; i++) {
        for (k = 0; k < x->nenv; k++) {
            name_len = (size_t)(strchr(x->env[k], '=') - x->env[k]) + 1;
            if (strncmp(environ[i], x->env[k], name_len) == 0)
                break;
        }
        if (k == x->nenv)
            envp[o++] = environ[i];
    }
    for (k = 0; k < x->nenv; k++)
        envp[o++] = x->env[k];
    envp[o] = NULL;
    return envp;
}

static int open_pidfd(pid_t pid)
{
#ifdef SYS_pidfd_open
    return (int)syscall(SYS_pidfd_open, pid, 0);
#else
    (void)pid;
    return -1;
#endif
}

/* Why the spawn failed: a missing working directory makes posix_spawn
 * fail with the same ENOENT as a missing program, so tell them apart. */
static void spawn_failure(const exec_t *x, int err, char *why, size_t len)
{
    struct stat st;
    char ebuf[128];
    int cwd_err = 0;

    if (x->cwd) {
        if (stat(x->cwd, &st) != 0)
            cwd_err = errno;
        else if (!S_ISDIR(st.st_mode))
            cwd_err = ENOTDIR;
        else if (access(x->cwd, X_OK) != 0)
            cwd_err = errno;
    }
    if (cwd_err)
        snprintf(why, len, "cannot change directory to %s: %s", x->cwd,
                 strerror_r(cwd_err, ebuf, sizeof(ebuf)));
    else
        snprintf(why, len, "cannot execute %s: %s", x->argv[0],
                 strerror_r(err, ebuf, sizeof(ebuf)));
}

/* The file actions: stdin from /dev/null, stdout and stderr into the pipe,
 * nothing else of the daemon's open files. */
static int set_file_actions(posix_spawn_file_actions_t *fa, const exec_t *x,
                            int wfd)
{
    int rc;

    rc = posix_spawn_file_actions_addopen(fa, STDIN_FILENO, "/dev/null",
                                          O_RDONLY, 0);
    if (rc == 0)
        rc = posix_spawn_file_actions_adddup2(fa, wfd, STDOUT_FILENO);
    if (rc == 0)
        rc = posix_spawn_file_actions_adddup2(fa, wfd, STDERR_FILENO);
#if defined(__GLIBC__) && (__GLIBC__ > 2 || __GLIBC_MINOR__ >= 34)
    /* Descriptors the application opened without O_CLOEXEC (sockets,
     * files) must not leak into a plugin. */
    if (rc == 0)
        rc = posix_spawn_file_actions_addclosefrom_np(fa, STDERR_FILENO + 1);
#endif
    if (rc == 0 && x->cwd)
        rc = posix_spawn_file_actions_addchdir_np(fa, x->cwd);
    return rc;
}

/* The attributes: a process group of its own, so that the deadline kills
 * whatever the program started too; and default signal dispositions and
 * an empty mask, whatever the daemon's worker thread had. */
static int set_attributes(posix_spawnattr_t *attr)
{
    sigset_t none, all;
    int rc;

    sigemptyset(&none);
    sigfillset(&all);
    rc = posix_spawnattr_setflags(attr, POSIX_SPAWN_SETPGROUP |
                                            POSIX_SPAWN_SETSIGMASK |
                                            POSIX_SPAWN_SETSIGDEF);
    if (rc == 0)
        rc = posix_spawnattr_setpgroup(attr, 0);
    if (rc == 0)
        rc = posix_spawnattr_setsigmask(attr, &none);
    if (rc == 0)
        rc = posix_spawnattr_setsigdefault(attr, &all);
    return rc;
}

/* The write end of the pipe, kept above 2: were it 0-2 (a daemon that
 * closed its standard streams), the child's own redirections would close
 * it before duplicating it. */
static int high_fd(int fd)
{
    int h;

    if (fd > STDERR_FILENO)
        return fd;
    h = fcntl(fd, F_DUPFD_CLOEXEC, STDERR_FILENO + 1);
    close(fd);
    return h;
}

/* A pipe for the program's output: the read end non-blocking (a read must
 * never outlive the deadline), the write end above 2 (see high_fd). Both
 * close on exec; the spawn duplicates the write end onto 1 and 2. */
static int output_pipe(int pipefd[2])
{
    if (pipe2(pipefd, O_CLOEXEC) != 0)
        return -1;
    if (fcntl(pipefd[0], F_SETFL, O_NONBLOCK) != 0 ||
        (pipefd[1] = high_fd(pipefd[1])) < 0) {
        int err = errno;
        close(pipefd[0]);
        if (pipefd[1] >= 0)
            close(pipefd[1]);
        errno = err;
        return -1;
    }
    return 0;
}

/* Links c into its owner's running list; kills it at once when the
 * instance stopped meanwhile. */
static void register_child(exec_t *x, child_t *c)
{
    int halted;

    pthread_mutex_lock(&running_mu);
    c->owner = x;
    c->prev = NULL;
    c->next = x->running;
    if (x->running != NULL)
        x->running->prev = c;
    x->running = c;
    halted = x->halted;
    pthread_mutex_unlock(&running_mu);
    if (halted)
        kill(-c->pid, SIGKILL);
}

static void unregister_child(child_t *c)
{
    pthread_mutex_lock(&running_mu);
    if (c->owner != NULL) {
        if (c->prev != NULL)
            c->prev->next = c->next;
        else
            c->owner->running = c->next;
        if (c->next != NULL)
            c->next->prev = c->prev;
        c->owner = NULL;
    }
    pthread_mutex_unlock(&running_mu);
}

void vexec_halt(exec_t *x, int on)
{
    pthread_mutex_lock(&running_mu);
    x->halted = on;
    /* Every listed program is unreaped, so its group id is still its. */
    for (child_t *c = x->running; on && c != NULL; c = c->next)
        kill(-c->pid, SIGKILL);
    pthread_mutex_unlock(&running_mu);
}

int vexec_child_spawn(exec_t *x, child_t *c, char *why, size_t len)
{
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t attr;
    char **envp = environ, ebuf[128];
    int pipefd[2], rc;

    if (output_pipe(pipefd) != 0) {
        snprintf(why, len, "cannot create a pipe: %s",
                 strerror_r(errno, ebuf, sizeof(ebuf)));
        return -1;
    }
    if (x->env && !(envp = build_env(x))) {
        rc = ENOMEM;
    } else if ((rc = posix_spawn_file_actions_init(&fa)) == 0) {
        if ((rc = posix_spawnattr_init(&attr)) == 0) {
            rc = set_file_actions(&fa, x, pipefd[1]);
            if (rc == 0)
                rc = set_attributes(&attr);
            if (rc == 0)
                rc = posix_spawnp(&c->pid, x->argv[0], &fa, &attr, x->argv,
                                  envp);
            posix_spawnattr_destroy(&attr);
        }
        posix_spawn_file_actions_destroy(&fa);
    }
    if (envp != environ)
        free(envp);
    /* Only the program may hold the write end, or EOF would never come. */
    close(pipefd[1]);
    if (rc != 0) {
        close(pipefd[0]);
        spawn_failure(x, rc, why, len);
        return -1;
    }
    c->out = pipefd[0];
    c->pidfd = open_pidfd(c->pid);
    register_child(x, c);
    return 0;
}

/* ------------------------------------------------------------------------
 * Waiting for it
 */

/* Reads what the pipe has: >0 bytes read, 0 at EOF, -1 with errno. Bytes
 * past VEXEC_OUTPUT_MAX are dropped. */
static ssize_t read_some(child_t *c)
{
    char scratch[4096];
    ssize_t n;

    if (c->len < VEXEC_OUTPUT_MAX) {
        n = read(c->out, c->buf + c->len, VEXEC_OUTPUT_MAX - c->len);
        if (n > 0)
            c->len += (size_t)n;
        return n;
    }
    return read(c->out, scratch, sizeof(scratch));
}

/* Reads what is left in the pipe after the program exited. */
static void drain(child_t *c)
{
    size_t total = 0;
    ssize_t n;

    while (total < DRAIN_MAX) {
        n = read_some(c);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return;
        total += (size_t)n;
    }
}

/* Whether the program exited, leaving it a zombie: until it is reaped its
 * pid, which is its process group's id, cannot name another process. */
static int exited(child_t *c)
{
    siginfo_t si;

    memset(&si, 0, sizeof(si));
    if (waitid(P_PID, (id_t)c->pid, &si, WEXITED | WNOHANG | WNOWAIT) == 0)
        return si.si_pid == c->pid;
    if (errno != EINTR)
        c->wait_err = errno;
    return 0;
}

int vexec_child_collect(child_t *c, vitals_result_t *r, int *err)
{
    struct pollfd pfd[2];
    int eof = 0, nfds, n, timeout;
    int64_t rem;
    ssize_t got;

    for (;;) {
        if (exited(c) || c->wait_err) {
            if (!eof)
                drain(c);
            return VEXEC_DONE;
        }
        rem = vitals_result_remaining_ms(r);
        if (rem <= 0)
            return VEXEC_DEADLINE;
        timeout = rem > INT_MAX ? INT_MAX : (int)rem;
        nfds = 0;
        if (!eof)
            pfd[nfds++] = (struct pollfd){.fd = c->out, .events = POLLIN};
        if (c->pidfd >= 0)
            pfd[nfds++] = (struct pollfd){.fd = c->pidfd, .events = POLLIN};
        else if (timeout > REAP_TICK_MS)
            timeout = REAP_TICK_MS;

        n = poll(pfd, (nfds_t)nfds, timeout);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            *err = errno;
            return VEXEC_FAILED;
        }
        if (!eof && pfd[0].revents) {
            got = read_some(c);
            if (got == 0)
                eof = 1;
            else if (got < 0 && errno != EAGAIN && errno != EINTR) {
                *err = errno;
                return VEXEC_FAILED;
            }
        }
    }
}

/* SIGKILL cannot be caught, so the wait is short. A program that already
 * exited keeps its status: the signal only reaches the rest of its group
 * (`sleep 120 &` of a shell script). */
void vexec_child_end(child_t *c)
{
    if (c->reaped)
        return;
    /* After another waiter reaped it (wait_err), its group id may be
     * someone else's: no signal then. */
    if (c->wait_err == 0)
        kill(-c->pid, SIGKILL);
    unregister_child(c);
    if (c->wait_err != 0)
        return;
    while (waitpid(c->pid, &c->status, 0) < 0) {
        if (errno != EINTR) {
            c->wait_err = errno;
            return;
        }
    }
    c->reaped = 1;
}
