/* servers.c - test support: real database servers on loopback in
 * temporary directories (see servers.h). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* mkdtemp, setresuid, nftw flags */
#endif

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <glob.h>
#include <grp.h>
#include <netinet/in.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "servers.h"

#define READY_TIMEOUT_MS 30000 /* a server's start, all steps */
#define SETUP_TIMEOUT_MS 60000 /* initdb, mariadb-install-db */
#define STOP_TIMEOUT_MS 10000
#define START_ATTEMPTS 3 /* a free port may be taken before the server binds
                            it: try another */

long long srv_now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(long ms)
{
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = ms % 1000 * 1000000L};

    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

static const char *kind_name(srv_kind_t k)
{
    return k == SRV_POSTGRES ? "postgres" : k == SRV_MARIADB ? "mariadb"
                                                              : "redis";
}

static void say(const srv_t *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void say(const srv_t *s, const char *fmt, ...)
{
    va_list ap;

    fprintf(stderr, "servers: %s: ", kind_name(s->kind));
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

/* The last lines of the server's log, which say why it did not start. */
static void show_log(const srv_t *s)
{
    char buf[4096];
    FILE *f;
    long size;
    size_t n;

    if (!s->log[0] || !(f = fopen(s->log, "r")))
        return;
    if (fseek(f, 0, SEEK_END) == 0 && (size = ftell(f)) > 0) {
        if (fseek(f, size > (long)sizeof(buf) - 1 ? size - (long)sizeof(buf) + 1
                                                  : 0,
                  SEEK_SET) == 0) {
            n = fread(buf, 1, sizeof(buf) - 1, f);
            buf[n] = '\0';
            fprintf(stderr, "--- end of %s ---\n%s\n---\n", s->log, buf);
        }
    }
    fclose(f);
}

/* ------------------------------------------------------------------------
 * Files
 */

static int write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    int ok;

    if (!f)
        return -1;
    ok = fputs(text, f) >= 0;
    ok &= fclose(f) == 0;
    return ok ? 0 : -1;
}

static int remove_entry(const char *path, const struct stat *st, int flag,
                        struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    if (remove(path) != 0 && errno != ENOENT)
        fprintf(stderr, "servers: cannot remove %s: %s\n", path,
                strerror(errno));
    return 0; /* remove what can be removed */
}

static void remove_tree(const char *dir)
{
    if (dir[0])
        nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT);
}

/* ------------------------------------------------------------------------
 * Processes
 */

/* Who the servers run as: nobody when we are root (initdb and mariadbd
 * refuse root), else ourselves. */
typedef struct runas {
    int drop;
    uid_t uid;
    gid_t gid;
} runas_t;

static int runas_get(runas_t *ra)
{
    struct passwd *pw;

    ra->drop = geteuid() == 0;
    ra->uid = geteuid();
    ra->gid = getegid();
    if (!ra->drop)
        return 0;
    pw = getpwnam("nobody");
    if (!pw) {
        fprintf(stderr, "servers: running as root, and there is no user "
                        "'nobody' to run the servers as\n");
        return -1;
    }
    ra->uid = pw->pw_uid;
    ra->gid = pw->pw_gid;
    return 0;
}

static int give(const runas_t *ra, const char *path)
{
    if (ra->drop && chown(path, ra->uid, ra->gid) != 0) {
        fprintf(stderr, "servers: chown %s: %s\n", path, strerror(errno));
        return -1;
    }
    return 0;
}

/* Starts argv (argv[0] a full path) in a new process group, output
 * appended to log, as ra says. Returns the pid, or -1. */
static pid_t spawn(const runas_t *ra, char *const argv[], const char *log)
{
    pid_t parent = getpid(), pid;
    int fd;

    pid = fork();
    if (pid < 0) {
        fprintf(stderr, "servers: fork: %s\n", strerror(errno));
        return -1;
    }
    if (pid > 0) {
        /* Also here, so that no kill of the group can come before it; it
         * fails harmlessly (EACCES) when the child has already exec'd,
         * having done it itself. */
        (void)setpgid(pid, pid);
        return pid;
    }
    /* The child: only async-signal-safe calls until exec. */
    setpgid(0, 0);
    fd = open("/dev/null", O_RDONLY);
    if (fd < 0 || dup2(fd, 0) < 0)
        _exit(126);
    close(fd);
    fd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd < 0 || dup2(fd, 1) < 0 || dup2(fd, 2) < 0)
        _exit(126);
    if (ra->drop && (setgroups(0, NULL) != 0 ||
                     setresgid(ra->gid, ra->gid, ra->gid) != 0 ||
                     setresuid(ra->uid, ra->uid, ra->uid) != 0))
        _exit(126);
    /* After the credentials change, which clears it. */
    if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() != parent)
        _exit(126);
    execv(argv[0], argv);
    _exit(127);
}

/* Waits up to ms for pid. Returns its wait status, or -1 on timeout. */
static int wait_exit(pid_t pid, long long ms)
{
    long long until = srv_now_ms() + ms;
    int status;
    pid_t got;

    for (;;) {
        got = waitpid(pid, &status, WNOHANG);
        if (got == pid)
            return status;
        if (got < 0 && errno != EINTR)
            return 0; /* not our child any more: gone */
        if (srv_now_ms() >= until)
            return -1;
        sleep_ms(10);
    }
}

/* Runs a setup tool to completion, bounded. 0 when it exited 0. */
static int run_tool(const srv_t *s, const runas_t *ra, char *const argv[])
{
    pid_t pid = spawn(ra, argv, s->log);
    int status;

    if (pid < 0)
        return -1;
    status = wait_exit(pid, SETUP_TIMEOUT_MS);
    if (status == -1) {
        kill(-pid, SIGKILL);
        waitpid(pid, NULL, 0);
        say(s, "%s did not finish within %d ms", argv[0], SETUP_TIMEOUT_MS);
        show_log(s);
        return -1;
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        say(s, "%s failed (wait status %d)", argv[0], status);
        show_log(s);
        return -1;
    }
    return 0;
}

/* Kills the server's whole group after giving it ms to stop on sig. */
static void stop_pid(srv_t *s, int sig, long long ms)
{
    if (s->pid <= 0)
        return;
    kill(s->pid, sig);
    if (wait_exit(s->pid, ms) == -1) {
        say(s, "did not stop within %lld ms: killing it", ms);
        kill(-s->pid, SIGKILL);
        waitpid(s->pid, NULL, 0);
    }
    /* Whatever it left in its group (PostgreSQL backends). */
    kill(-s->pid, SIGKILL);
    s->pid = 0;
}

void srv_stop(srv_t *s)
{
    if (!s)
        return;
    /* PostgreSQL: immediate shutdown, which still removes its shared
     * memory (a SIGKILL would leave a SysV segment behind). The others
     * have nothing worth a clean shutdown in a directory about to go. */
    stop_pid(s, s->kind == SRV_POSTGRES ? SIGQUIT : SIGKILL,
             STOP_TIMEOUT_MS);
    remove_tree(s->dir);
    s->dir[0] = '\0';
}

/* ------------------------------------------------------------------------
 * Sockets
 */

static int loopback_socket(int backlog, int *port)
{
    struct sockaddr_in a;
    socklen_t len = sizeof(a);
    int fd;

    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    if (bind(fd, (struct sockaddr *)&a, sizeof(a)) != 0 ||
        (backlog > 0 && listen(fd, backlog) != 0) ||
        getsockname(fd, (struct sockaddr *)&a, &len) != 0) {
        close(fd);
        return -1;
    }
    *port = ntohs(a.sin_port);
    return fd;
}

int srv_silent_listener(int *port)
{
    return loopback_socket(16, port);
}

int srv_refusing_port(int *port)
{
    return loopback_socket(0, port);
}

/* A port free right now: what the kernel picks for a bind to port 0. */
static int free_port(void)
{
    int port, fd = loopback_socket(0, &port);

    if (fd < 0)
        return -1;
    close(fd);
    return port;
}

/* Connects to 127.0.0.1:port, sends hello (may be NULL) and reads the
 * first bytes of the answer into buf. Returns the byte count, or -1 (not
 * listening yet, or no answer within ms). */
static int probe(int port, const char *hello, char *buf, size_t len, int ms)
{
    struct sockaddr_in a;
    struct pollfd p;
    ssize_t n = -1;
    int fd;

    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons((uint16_t)port);
    fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    if (connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0 &&
        (!hello || send(fd, hello, strlen(hello), MSG_NOSIGNAL) ==
                       (ssize_t)strlen(hello))) {
        p.fd = fd;
        p.events = POLLIN;
        if (poll(&p, 1, ms) == 1)
            n = recv(fd, buf, len, 0);
    }
    close(fd);
    return n > 0 ? (int)n : -1;
}

/* Whether the server process already died (reaping it). */
static int exited(srv_t *s)
{
    int status;

    if (waitpid(s->pid, &status, WNOHANG) == s->pid) {
        say(s, "exited during startup (wait status %d)", status);
        s->pid = 0;
        return 1;
    }
    return 0;
}

typedef int (*ready_fn)(srv_t *s);

/* Polls ready(s) until it says yes, the server dies, or the time is up;
 * a server that did not come up is stopped. */
static int wait_ready(srv_t *s, ready_fn ready, long long until)
{
    while (!ready(s)) {
        if (exited(s))
            return -1;
        if (srv_now_ms() >= until) {
            say(s, "not ready within %d ms", READY_TIMEOUT_MS);
            stop_pid(s, SIGKILL, 1000);
            return -1;
        }
        sleep_ms(20);
    }
    return 0;
}

/* ------------------------------------------------------------------------
 * Directories
 */

static int path_in(const srv_t *s, char *out, size_t len, const char *name)
{
    if ((size_t)snprintf(out, len, "%s/%s", s->dir, name) >= len) {
        say(s, "path too long: %s/%s", s->dir, name);
        return -1;
    }
    return 0;
}

static int make_dir(srv_t *s, const runas_t *ra)
{
    const char *tmp = "/tmp";
    char tmpl[PATH_MAX];

    /* Not $TMPDIR: "nobody" must reach it, and socket paths must stay
     * short (108 bytes). */
    snprintf(tmpl, sizeof(tmpl), "%s/vitals-%s-XXXXXX", tmp,
             kind_name(s->kind));
    if (!mkdtemp(tmpl)) {
        say(s, "mkdtemp %s: %s", tmpl, strerror(errno));
        return -1;
    }
    snprintf(s->dir, sizeof(s->dir), "%s", tmpl);
    if (path_in(s, s->log, sizeof(s->log), "server.log") != 0 ||
        give(ra, s->dir) != 0) {
        remove_tree(s->dir);
        s->dir[0] = '\0';
        return -1;
    }
    return 0;
}

static void srv_init(srv_t *s, srv_kind_t kind)
{
    memset(s, 0, sizeof(*s));
    s->kind = kind;
}

/* ------------------------------------------------------------------------
 * PostgreSQL
 */

/* The newest /usr/lib/postgresql/<major>/bin: Debian installs majors side
 * by side. */
static int pg_bindir(srv_t *s, char *out, size_t len)
{
    glob_t g;
    size_t i, best = 0;
    long major, best_major = -1;
    const char *p;

    if (glob("/usr/lib/postgresql/*/bin/initdb", 0, NULL, &g) != 0) {
        say(s, "no /usr/lib/postgresql/*/bin/initdb: install the Debian "
               "package postgresql");
        return -1;
    }
    for (i = 0; i < g.gl_pathc; i++) {
        p = g.gl_pathv[i] + strlen("/usr/lib/postgresql/");
        major = strtol(p, NULL, 10);
        if (major > best_major) {
            best_major = major;
            best = i;
        }
    }
    snprintf(out, len, "%s", g.gl_pathv[best]);
    *strrchr(out, '/') = '\0';
    snprintf(s->version, sizeof(s->version), "%ld", best_major);
    globfree(&g);
    return 0;
}

/* PostgreSQL writes "ready" as the 8th line of postmaster.pid once it
 * accepts connections (what pg_ctl -w waits for); the first line is its
 * PID, which tells the file of a killed server from the new one's. */
static int pg_ready(srv_t *s)
{
    char path[PATH_MAX], line[256];
    FILE *f;
    int n = 0, ready = 0;

    if (path_in(s, path, sizeof(path), "data/postmaster.pid") != 0 ||
        !(f = fopen(path, "r")))
        return 0;
    while (fgets(line, sizeof(line), f)) {
        if (++n == 1 && atol(line) != (long)s->pid)
            break;
        if (n == 8) {
            ready = strncmp(line, "ready", 5) == 0;
            break;
        }
    }
    fclose(f);
    return ready;
}

/* Starts the postgres server of s on its data directory and port. */
static int pg_spawn(srv_t *s, const runas_t *ra, char *postgres, char *data)
{
    char portbuf[16];
    char *const argv[] = {
        postgres, "-D", data, "-p", portbuf, "-k", s->dir,
        "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off",
        "-c", "shared_buffers=8MB", "-c", "max_connections=20", NULL};

    snprintf(portbuf, sizeof(portbuf), "%d", s->port);
    return (s->pid = spawn(ra, argv, s->log)) < 0 ? -1 : 0;
}

int srv_postgres_start(srv_t *s)
{
    char bindir[PATH_MAX - 16], initdb[PATH_MAX], postgres[PATH_MAX];
    char data[PATH_MAX], pwfile[PATH_MAX];
    long long until;
    runas_t ra;
    int attempt;

    srv_init(s, SRV_POSTGRES);
    if (runas_get(&ra) != 0 || pg_bindir(s, bindir, sizeof(bindir)) != 0)
        return -1;
    snprintf(initdb, sizeof(initdb), "%s/initdb", bindir);
    snprintf(postgres, sizeof(postgres), "%s/postgres", bindir);
    if (make_dir(s, &ra) != 0)
        return -1;
    until = srv_now_ms() + READY_TIMEOUT_MS;
    if (path_in(s, data, sizeof(data), "data") != 0 ||
        path_in(s, pwfile, sizeof(pwfile), "pw") != 0 ||
        write_file(pwfile, SRV_PASSWORD "\n") != 0 || give(&ra, pwfile) != 0)
        goto fail;
    snprintf(s->socket, sizeof(s->socket), "%s", s->dir);
    {
        char *const argv[] = {
            initdb, "-D", data, "-U", SRV_USER, "--pwfile", pwfile,
            "--auth-host=scram-sha-256", "--auth-local=trust", "--no-sync",
            "-E", "UTF8", "--locale=C", "--no-instructions", NULL};

        if (run_tool(s, &ra, argv) != 0)
            goto fail;
    }
    for (attempt = 0; attempt < START_ATTEMPTS; attempt++) {
        s->port = free_port();
        if (s->port < 0 || pg_spawn(s, &ra, postgres, data) != 0)
            goto fail;
        if (wait_ready(s, pg_ready, until) == 0)
            return 0;
    }
fail:
    say(s, "could not start in %s", s->dir[0] ? s->dir : "(no directory)");
    show_log(s);
    srv_stop(s);
    return -1;
}

void srv_kill(srv_t *s)
{
    stop_pid(s, SIGKILL, STOP_TIMEOUT_MS);
}

int srv_postgres_restart(srv_t *s)
{
    char bindir[PATH_MAX - 16], postgres[PATH_MAX], data[PATH_MAX];
    runas_t ra;

    if (s->pid > 0 || runas_get(&ra) != 0 ||
        pg_bindir(s, bindir, sizeof(bindir)) != 0 ||
        path_in(s, data, sizeof(data), "data") != 0)
        return -1;
    snprintf(postgres, sizeof(postgres), "%s/postgres", bindir);
    if (pg_spawn(s, &ra, postgres, data) != 0 ||
        wait_ready(s, pg_ready, srv_now_ms() + READY_TIMEOUT_MS) != 0) {
        show_log(s);
        return -1;
    }
    return 0;
}

/* ------------------------------------------------------------------------
 * MariaDB
 */

/* A MariaDB server speaks first: a greeting whose payload starts with
 * protocol version 10, after the 4-byte packet header. It sends one only
 * once it serves clients (after --init-file ran). */
static int mariadb_ready(srv_t *s)
{
    char buf[64];
    int n = probe(s->port, NULL, buf, sizeof(buf), 1000);

    return n >= 5 && buf[4] == 10;
}

int srv_mariadb_start(srv_t *s)
{
    char data[PATH_MAX], init[PATH_MAX], pidfile[PATH_MAX];
    char datadir_opt[PATH_MAX + 16], socket_opt[PATH_MAX + 16];
    char init_opt[PATH_MAX + 16], pid_opt[PATH_MAX + 16];
    char tmp_opt[PATH_MAX + 16], port_opt[32];
    long long until;
    runas_t ra;
    int attempt;

    srv_init(s, SRV_MARIADB);
    if (access("/usr/sbin/mariadbd", X_OK) != 0 ||
        access("/usr/bin/mariadb-install-db", X_OK) != 0) {
        say(s, "no /usr/sbin/mariadbd: install the Debian package "
               "mariadb-server");
        return -1;
    }
    if (runas_get(&ra) != 0 || make_dir(s, &ra) != 0)
        return -1;
    until = srv_now_ms() + READY_TIMEOUT_MS;
    if (path_in(s, data, sizeof(data), "data") != 0 ||
        path_in(s, init, sizeof(init), "init.sql") != 0 ||
        path_in(s, pidfile, sizeof(pidfile), "mariadbd.pid") != 0 ||
        path_in(s, s->socket, sizeof(s->socket), "mariadbd.sock") != 0)
        goto fail;
    /* Run at every start, before the server takes clients: the account
     * that tests log in with (the IF NOT EXISTS for a second attempt). */
    if (write_file(init,
                   "CREATE USER IF NOT EXISTS '" SRV_USER "'@'127.0.0.1' "
                   "IDENTIFIED BY '" SRV_PASSWORD "';\n"
                   "CREATE USER IF NOT EXISTS '" SRV_USER "'@'localhost' "
                   "IDENTIFIED BY '" SRV_PASSWORD "';\n") != 0 ||
        give(&ra, init) != 0)
        goto fail;
    snprintf(datadir_opt, sizeof(datadir_opt), "--datadir=%s", data);
    snprintf(socket_opt, sizeof(socket_opt), "--socket=%s", s->socket);
    snprintf(init_opt, sizeof(init_opt), "--init-file=%s", init);
    snprintf(pid_opt, sizeof(pid_opt), "--pid-file=%s", pidfile);
    snprintf(tmp_opt, sizeof(tmp_opt), "--tmpdir=%s", s->dir);
    {
        /* Small InnoDB files and buffers: this server serves a few
         * connections for a few seconds. */
        char *const argv[] = {
            "/usr/bin/mariadb-install-db", "--no-defaults", datadir_opt,
            "--auth-root-authentication-method=socket", "--skip-test-db",
            "--skip-name-resolve", "--innodb-log-file-size=4M",
            "--innodb-buffer-pool-size=8M", NULL};

        if (run_tool(s, &ra, argv) != 0)
            goto fail;
    }
    for (attempt = 0; attempt < START_ATTEMPTS; attempt++) {
        s->port = free_port();
        snprintf(port_opt, sizeof(port_opt), "--port=%d", s->port);
        char *const argv[] = {
            "/usr/sbin/mariadbd", "--no-defaults", datadir_opt, port_opt,
            "--bind-address=127.0.0.1", socket_opt, pid_opt, tmp_opt,
            init_opt, "--skip-name-resolve", "--skip-log-bin",
            "--innodb-log-file-size=4M", "--innodb-buffer-pool-size=8M",
            "--max-connections=20", NULL};

        if (s->port < 0 || (s->pid = spawn(&ra, argv, s->log)) < 0)
            goto fail;
        if (wait_ready(s, mariadb_ready, until) == 0)
            return 0;
    }
fail:
    say(s, "could not start in %s", s->dir[0] ? s->dir : "(no directory)");
    show_log(s);
    srv_stop(s);
    return -1;
}

/* ------------------------------------------------------------------------
 * Redis
 */

/* Ready when it answers a PING, with or without a password. */
static int redis_ready(srv_t *s)
{
    char buf[64];
    int n = probe(s->port, "PING\r\n", buf, sizeof(buf) - 1, 1000);

    if (n <= 0)
        return 0;
    buf[n] = '\0';
    return strncmp(buf, "+PONG", 5) == 0 || strncmp(buf, "-NOAUTH", 7) == 0;
}

int srv_redis_start(srv_t *s, const char *password)
{
    char portbuf[16];
    long long until;
    runas_t ra;
    int attempt;

    srv_init(s, SRV_REDIS);
    if (access("/usr/bin/redis-server", X_OK) != 0) {
        say(s, "no /usr/bin/redis-server: install the Debian package "
               "redis-server");
        return -1;
    }
    if (runas_get(&ra) != 0 || make_dir(s, &ra) != 0)
        return -1;
    until = srv_now_ms() + READY_TIMEOUT_MS;
    if (path_in(s, s->socket, sizeof(s->socket), "redis.sock") != 0)
        goto fail;
    for (attempt = 0; attempt < START_ATTEMPTS; attempt++) {
        s->port = free_port();
        snprintf(portbuf, sizeof(portbuf), "%d", s->port);
        /* No persistence: nothing to load, nothing written. */
        char *const argv[] = {
            "/usr/bin/redis-server", "--port", portbuf, "--bind", "127.0.0.1",
            "--unixsocket", s->socket, "--dir", s->dir, "--save", "",
            "--appendonly", "no", "--daemonize", "no",
            password ? "--requirepass" : NULL, (char *)password, NULL};

        if (s->port < 0 || (s->pid = spawn(&ra, argv, s->log)) < 0)
            goto fail;
        if (wait_ready(s, redis_ready, until) == 0)
            return 0;
    }
fail:
    say(s, "could not start in %s", s->dir[0] ? s->dir : "(no directory)");
    show_log(s);
    srv_stop(s);
    return -1;
}
