/* exec.c - the "exec" check type: runs a program that follows the Nagios
 * plugin conventions (exit code 0-3, one line of text, performance data)
 * and reports what it says, never outliving the run's deadline. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* pipe2, the GNU strerror_r, posix_spawn_*_np */
#endif

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "checks/check_type.h"
#include "checks/perfdata.h"

/* Output kept from one run; the rest is read and dropped, so that a chatty
 * program never blocks on a full pipe. */
#define OUTPUT_MAX (64 * 1024)
/* How often the exit of the program is polled for where the kernel has no
 * pidfd to wait on (Linux before 5.3). */
#define REAP_TICK_MS 10
/* After the program exits, a background process it left may still hold
 * the pipe and write to it: read what is there, but only this much. */
#define DRAIN_MAX (1024 * 1024)

#define COMMAND_EXAMPLE \
    "[\"/usr/lib/nagios/plugins/check_load\", \"-w\", \"5\"]"

extern char **environ;

typedef struct exec {
    char **argv; /* NULL-terminated */
    char **env;  /* "NAME=value" to add, NULL-terminated; NULL when none */
    size_t nenv;
    char *cwd; /* NULL: the daemon's */
} exec_t;

static void strv_free(char **v)
{
    if (!v)
        return;
    for (char **p = v; *p; p++)
        free(*p);
    free(v);
}


/* ------------------------------------------------------------------------
 * Configuration
 */

static const char *kind_name(const vnode_t *n)
{
    if (n->kind == VNODE_SEQ)
        return "a list";
    if (n->kind == VNODE_MAP)
        return "a map";
    return n->null ? "null" : "a string";
}

/* command: a list of arguments. A single string is refused rather than
 * split or given to a shell: either would guess at quoting. */
static int parse_command(vnode_t *cmd, void *field, verrs_t *e)
{
    char ***argv = field;
    size_t i;
    int bad = 0;

    if (cmd->kind != VNODE_SEQ) {
        verrs_add(e, cmd,
                  "'command': expected a list of arguments, e.g. "
                  COMMAND_EXAMPLE);
        return -1;
    }
    if (cmd->n == 0) {
        verrs_add(e, cmd, "'command': must not be empty");
        return -1;
    }
    *argv = calloc(cmd->n + 1, sizeof(**argv));
    if (!*argv) {
        verrs_add(e, cmd, "out of memory");
        return -1;
    }
    for (i = 0; i < cmd->n; i++) {
        const vnode_t *it = cmd->items[i];
        if (it->kind != VNODE_SCALAR || it->null || !it->str) {
            verrs_add(e, it, "'command': item %zu: expected a string, got %s",
                      i + 1, kind_name(it));
            bad = 1;
        } else if (i == 0 && it->str[0] == '\0') {
            verrs_add(e, it, "'command': item 1: the program is empty");
            bad = 1;
        } else if (!bad && !((*argv)[i] = strdup(it->str))) {
            verrs_add(e, it, "out of memory");
            bad = 1;
        }
    }
    return bad ? -1 : 0;
}

static int env_name_ok(const char *s)
{
    return s && s[0] != '\0' && !strchr(s, '=');
}

/* env: a map of variable names to values, added to the daemon's own
 * environment for the program. */
static int parse_env(vnode_t *env, void *field, verrs_t *e)
{
    char ***vars = field;
    const char *value;
    size_t i, n = 0;
    int bad = 0, rc;

    if (env->kind != VNODE_MAP) {
        verrs_add(e, env,
                  "'env': expected a map of variable names to values, "
                  "got %s",
                  kind_name(env));
        return -1;
    }
    *vars = calloc(env->n + 1, sizeof(**vars));
    if (!*vars) {
        verrs_add(e, env, "out of memory");
        return -1;
    }
    for (i = 0; i < env->n; i++) {
        const char *name = env->keys[i]->str;
        if (!env_name_ok(name)) {
            vnode_touch(env, name);
            verrs_add(e, env->keys[i], "'env': invalid variable name '%s'",
                      name ? name : "");
            bad = 1;
            continue;
        }
        value = ""; /* a null value sets the variable empty */
        rc = vnode_str(env, name, &value, e);
        if (rc < 0) {
            bad = 1;
        } else if (!bad) {
            if (asprintf(&(*vars)[n], "%s=%s", name, value) < 0) {
                (*vars)[n] = NULL;
                verrs_add(e, env, "out of memory");
                bad = 1;
            } else {
                n++;
            }
        }
    }
    return bad ? -1 : 0;
}

static void free_strv(void *field)
{
    strv_free(*(char ***)field);
}

static const vsetting_t exec_settings[] = {
    {.key = "command", .kind = VSET_CUSTOM, .offset = offsetof(exec_t, argv),
     .flags = VSET_REQUIRED, .parse = parse_command, .free = free_strv},
    {.key = "env", .kind = VSET_CUSTOM, .offset = offsetof(exec_t, env),
     .parse = parse_env, .free = free_strv},
    {.key = "cwd", .kind = VSET_STR, .offset = offsetof(exec_t, cwd),
     .flags = VSET_NONEMPTY},
    {0}};

static int exec_prepare(void *state, vnode_t *settings, verrs_t *e)
{
    exec_t *x = state;

    (void)settings;
    (void)e;
    while (x->env != NULL && x->env[x->nenv] != NULL)
        x->nenv++;
    return 0;
}


/* ------------------------------------------------------------------------
 * Starting the program
 */

typedef struct child {
    pid_t pid;
    int out;      /* read end of the output pipe, non-blocking */
    int pidfd;    /* readable once the program exits; -1 when unavailable */
    int reaped;   /* status is valid */
    int wait_err; /* waitpid failed with this (ECHILD: someone else reaped) */
    int status;
    char *buf;
    size_t len;
} child_t;

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

/* Starts x's program into c. 0, or -1 with the reason in why. posix_spawn
 * reports a failed exec itself (glibc waits for the exec), so a missing
 * program is an error here and not a mysterious exit status 127. */
static int child_spawn(const exec_t *x, child_t *c, char *why, size_t len)
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
    return 0;
}

/* ------------------------------------------------------------------------
 * Waiting for it
 */

enum { RUN_DONE = 0, RUN_DEADLINE = 1, RUN_FAILED = -1 };

/* Reads what the pipe has: >0 bytes read, 0 at EOF, -1 with errno. Bytes
 * past OUTPUT_MAX are dropped. */
static ssize_t read_some(child_t *c)
{
    char scratch[4096];
    ssize_t n;

    if (c->len < OUTPUT_MAX) {
        n = read(c->out, c->buf + c->len, OUTPUT_MAX - c->len);
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

static void try_reap(child_t *c)
{
    pid_t p = waitpid(c->pid, &c->status, WNOHANG);

    if (p == c->pid)
        c->reaped = 1;
    else if (p < 0 && errno != EINTR)
        c->wait_err = errno;
}

/* Collects the output until the program exits or the deadline comes.
 * Returns RUN_DONE (reaped, or wait_err set), RUN_DEADLINE, or RUN_FAILED
 * with *err set. */
static int child_collect(child_t *c, vitals_result_t *r, int *err)
{
    struct pollfd pfd[2];
    int eof = 0, nfds, n, timeout;
    int64_t rem;
    ssize_t got;

    for (;;) {
        try_reap(c);
        if (c->reaped || c->wait_err) {
            if (!eof)
                drain(c);
            return RUN_DONE;
        }
        rem = vitals_result_remaining_ms(r);
        if (rem <= 0)
            return RUN_DEADLINE;
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
            return RUN_FAILED;
        }
        if (!eof && pfd[0].revents) {
            got = read_some(c);
            if (got == 0)
                eof = 1;
            else if (got < 0 && errno != EAGAIN && errno != EINTR) {
                *err = errno;
                return RUN_FAILED;
            }
        }
    }
}

/* Kills the program's whole process group and reaps the program. SIGKILL
 * cannot be caught, so the wait is short. */
static void child_kill(child_t *c)
{
    if (c->reaped || c->wait_err)
        return;
    kill(-c->pid, SIGKILL);
    while (waitpid(c->pid, &c->status, 0) < 0) {
        if (errno != EINTR) {
            c->wait_err = errno;
            return;
        }
    }
    c->reaped = 1;
}

/* ------------------------------------------------------------------------
 * Reporting
 */

/* Puts the performance data under "perfdata" and makes the first item the
 * check's observed value. 0, or -1 when out of memory. */
static int report_perfdata(vitals_result_t *r, const char *perf)
{
    json_t *items = json_object(), *value, *unit;
    void *first;
    char *text;
    int n, rc = 0;

    if (!items)
        return -1;
    n = vperfdata_parse(perf, strlen(perf), items);
    if (n > 0) {
        text = json_dumps(items, JSON_COMPACT | JSON_PRESERVE_ORDER);
        rc = text ? vitals_result_set_json(r, "perfdata", text) : -1;
        free(text);
        first = json_object_iter(items);
        value = json_object_get(json_object_iter_value(first), "value");
        unit = json_object_get(json_object_iter_value(first), "unit");
        /* "U" (unknown) is null: nothing to observe. */
        if (rc == 0 && json_is_number(value))
            vitals_result_observe(r, json_object_iter_key(first),
                                  json_number_value(value),
                                  json_string_value(unit));
    }
    json_decref(items);
    return n < 0 || rc != 0 ? -1 : 0;
}

/* Maps the exit to a status (the plugin convention: 0 OK, 1 WARNING, 2
 * CRITICAL, 3 UNKNOWN) and the first line of output to the description,
 * and for a failure also to the error. */
static void report_exit(vitals_result_t *r, int status, const char *out,
                        size_t len)
{
    char *summary = NULL, *perf = NULL;
    int code;

    if (vperfdata_split(out, len, &summary, &perf) != 0) {
        vitals_result_set_error(r, "out of memory");
        return;
    }
    if (summary[0] != '\0')
        vitals_result_set_description(r, "%s", summary);

    if (WIFSIGNALED(status)) {
        vitals_result_set_status(r, VITALS_UNHEALTHY);
        vitals_result_set_error(r, "killed by signal %d", WTERMSIG(status));
    } else {
        code = WEXITSTATUS(status);
        if (vitals_result_set_int(r, "exitCode", code) != 0 ||
            report_perfdata(r, perf) != 0) {
            vitals_result_set_error(r, "out of memory");
        } else if (code == 0 || code == 1) {
            vitals_result_set_status(r, code == 0 ? VITALS_HEALTHY
                                                  : VITALS_DEGRADED);
        } else {
            /* 3 (UNKNOWN) and anything else: the check could not tell, so
             * the component cannot be counted on. */
            vitals_result_set_status(r, VITALS_UNHEALTHY);
            if (summary[0] != '\0')
                vitals_result_set_error(r, "%s", summary);
            else
                vitals_result_set_error(r, "exit status %d", code);
        }
    }
    free(summary);
    free(perf);
}

static void exec_run(void *state, vitals_result_t *r)
{
    const exec_t *x = state;
    child_t c = {.pid = -1, .out = -1, .pidfd = -1};
    char why[512], ebuf[128];
    int rc, err = 0;

    c.buf = malloc(OUTPUT_MAX);
    if (!c.buf) {
        vitals_result_set_error(r, "out of memory");
        return;
    }
    if (child_spawn(x, &c, why, sizeof(why)) != 0) {
        vitals_result_set_error(r, "%s", why);
        free(c.buf);
        return;
    }

    rc = child_collect(&c, r, &err);
    if (rc != RUN_DONE)
        child_kill(&c);
    if (c.pidfd >= 0)
        close(c.pidfd);
    close(c.out);

    if (rc == RUN_DEADLINE)
        vitals_result_set_error(r, "killed at the timeout");
    else if (rc == RUN_FAILED)
        vitals_result_set_error(r, "cannot read the output of %s: %s",
                                x->argv[0],
                                strerror_r(err, ebuf, sizeof(ebuf)));
    else if (!c.reaped)
        vitals_result_set_error(r, "cannot get the exit status of %s: %s",
                                x->argv[0],
                                strerror_r(c.wait_err, ebuf, sizeof(ebuf)));
    else
        report_exit(r, c.status, c.buf, c.len);
    free(c.buf);
}

const vcheck_type_t vcheck_exec = {
    .name = "exec",
    .component_type = "component",
    .settings = exec_settings,
    .state_size = sizeof(exec_t),
    .prepare = exec_prepare,
    .run = exec_run,
};
