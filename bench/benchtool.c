/* benchtool.c - the small measurements of `make bench` that a shell cannot
 * make precisely: start-up time to the first 200, and the reference costs
 * of the scheduling benchmarks (the bare system calls, without vitals).
 *
 *   benchtool startup PORT PATH REPS -- COMMAND [ARG...]
 *       REPS times: fork, exec COMMAND, and poll 127.0.0.1:PORT with a raw
 *       socket (GET PATH) until the answer is a 200; prints the time from
 *       just before fork to that answer, and to the first answer of any
 *       status, in ms: "FIRST_200 FIRST_ANY", one line per repetition.
 *       The server is then stopped with SIGTERM (SIGKILL after 5 s).
 *
 *   benchtool statvfs|stat N PATH REPS
 *       Calls statvfs(PATH) or stat(PATH) N times, REPS times over; prints
 *       the median CPU seconds (user+system) of one batch of N.
 *
 *   benchtool spawn N PROGRAM REPS
 *       posix_spawn()s PROGRAM N times (all started, then all reaped),
 *       REPS times over; prints the median CPU seconds of one batch for
 *       this process, and for the children, as "self children".
 *
 *   benchtool agent PORT
 *       The least an HAProxy agent can do, the reference of the agent-check
 *       benchmark: one thread accepts on 127.0.0.1:PORT, reads what
 *       agent-send says (up to 128 bytes, waiting at most 200 ms), writes
 *       "up 100%\n" and closes. Runs until killed.
 *
 * Only libc; built by bench/run.sh with cc -O2.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static double now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double tv_s(struct timeval tv)
{
    return (double)tv.tv_sec + (double)tv.tv_usec / 1e6;
}

static double cpu_s(int who)
{
    struct rusage ru;

    getrusage(who, &ru);
    return tv_s(ru.ru_utime) + tv_s(ru.ru_stime);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof(*v), cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* One attempt: connect, ask, read the status line. The status, 0 when the
 * port is not listening yet, -1 on another failure. */
static int probe(int port, const char *path)
{
    struct sockaddr_in sa = {0};
    char req[512], buf[64];
    int fd, one = 1, status = -1;
    size_t got = 0;
    ssize_t n;

    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
        return -1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
        status = errno == ECONNREFUSED ? 0 : -1;
        close(fd);
        return status;
    }
    n = snprintf(req, sizeof(req),
                 "GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close"
                 "\r\n\r\n",
                 path);
    if (write(fd, req, (size_t)n) != n) {
        close(fd);
        return -1;
    }
    /* "HTTP/1.1 200" is 12 bytes. */
    while (got < 12) {
        struct pollfd p = {fd, POLLIN, 0};

        if (poll(&p, 1, 2000) <= 0)
            break;
        if ((n = read(fd, buf + got, sizeof(buf) - 1 - got)) <= 0)
            break;
        got += (size_t)n;
    }
    if (got >= 12) {
        buf[got] = '\0';
        status = atoi(buf + 9);
    }
    close(fd);
    return status;
}

static void stop_child(pid_t pid)
{
    double until = now_s() + 5;
    int st;

    kill(pid, SIGTERM);
    while (waitpid(pid, &st, WNOHANG) == 0) {
        if (now_s() > until) {
            kill(pid, SIGKILL);
            waitpid(pid, &st, 0);
            return;
        }
        usleep(1000);
    }
}

static int cmd_startup(int port, const char *path, int reps, char **argv)
{
    struct timespec pause = {0, 50000}; /* 50 us between attempts */

    for (int i = 0; i < reps; i++) {
        double t0 = now_s(), t, t_any = -1;
        pid_t pid = fork();
        int status = -1;

        if (pid < 0) {
            perror("fork");
            return 1;
        }
        if (pid == 0) {
            execvp(argv[0], argv);
            _exit(127);
        }
        for (;;) {
            status = probe(port, path);
            t = now_s();
            if (status > 0 && t_any < 0)
                t_any = t;
            if (status == 200 || t - t0 > 10)
                break;
            if (waitpid(pid, NULL, WNOHANG) == pid) {
                fprintf(stderr, "benchtool: %s exited before answering\n",
                        argv[0]);
                return 1;
            }
            nanosleep(&pause, NULL);
        }
        stop_child(pid);
        if (status != 200) {
            fprintf(stderr, "benchtool: no 200 from %s within 10 s\n",
                    argv[0]);
            return 1;
        }
        printf("%.3f %.3f\n", (t - t0) * 1000, (t_any - t0) * 1000);
        fflush(stdout);
    }
    return 0;
}

static int cmd_stat(int use_statvfs, int n, const char *path, int reps)
{
    double *v = calloc((size_t)reps, sizeof(*v));
    struct statvfs vfs;
    struct stat st;

    for (int r = 0; r < reps; r++) {
        double c0 = cpu_s(RUSAGE_SELF);

        for (int i = 0; i < n; i++)
            if ((use_statvfs ? statvfs(path, &vfs) : stat(path, &st)) != 0) {
                perror(path);
                return 1;
            }
        v[r] = cpu_s(RUSAGE_SELF) - c0;
    }
    printf("%.6f\n", median(v, reps));
    free(v);
    return 0;
}

static int cmd_spawn(int n, const char *prog, int reps)
{
    double *self = calloc((size_t)reps, sizeof(*self));
    double *kids = calloc((size_t)reps, sizeof(*kids));
    pid_t *pids = calloc((size_t)n, sizeof(*pids));
    char *argv[] = {(char *)prog, NULL};

    for (int r = 0; r < reps; r++) {
        double c0 = cpu_s(RUSAGE_SELF), k0 = cpu_s(RUSAGE_CHILDREN);

        for (int i = 0; i < n; i++)
            if (posix_spawn(&pids[i], prog, NULL, NULL, argv, environ) != 0) {
                perror(prog);
                return 1;
            }
        for (int i = 0; i < n; i++)
            waitpid(pids[i], NULL, 0);
        self[r] = cpu_s(RUSAGE_SELF) - c0;
        kids[r] = cpu_s(RUSAGE_CHILDREN) - k0;
    }
    printf("%.6f %.6f\n", median(self, reps), median(kids, reps));
    free(self);
    free(kids);
    free(pids);
    return 0;
}

static int cmd_agent(int port)
{
    struct sockaddr_in sa = {.sin_family = AF_INET,
                             .sin_port = htons((uint16_t)port),
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    struct timeval tv = {0, 200000};
    int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;
    char buf[128];

    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
        listen(fd, 1024) != 0) {
        perror("benchtool agent");
        return 1;
    }
    for (;;) {
        int c = accept(fd, NULL, NULL);

        if (c < 0)
            continue;
        setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
        if (recv(c, buf, sizeof(buf), 0) >= 0 &&
            send(c, "up 100%\n", 8, MSG_NOSIGNAL) < 0)
            perror("benchtool agent: send");
        close(c);
    }
}

int main(int argc, char **argv)
{
    signal(SIGPIPE, SIG_IGN);
    if (argc >= 7 && strcmp(argv[1], "startup") == 0 &&
        strcmp(argv[5], "--") == 0)
        return cmd_startup(atoi(argv[2]), argv[3], atoi(argv[4]), argv + 6);
    if (argc == 5 && (strcmp(argv[1], "statvfs") == 0 ||
                      strcmp(argv[1], "stat") == 0))
        return cmd_stat(strcmp(argv[1], "statvfs") == 0, atoi(argv[2]),
                        argv[3], atoi(argv[4]));
    if (argc == 5 && strcmp(argv[1], "spawn") == 0)
        return cmd_spawn(atoi(argv[2]), argv[3], atoi(argv[4]));
    if (argc == 3 && strcmp(argv[1], "agent") == 0)
        return cmd_agent(atoi(argv[2]));
    fprintf(stderr,
            "usage: benchtool startup PORT PATH REPS -- COMMAND [ARG...]\n"
            "       benchtool statvfs|stat N PATH REPS\n"
            "       benchtool spawn N PROGRAM REPS\n"
            "       benchtool agent PORT\n");
    return 2;
}
