/* attack.c - the attack scenarios of `make bench`: floods from some
 * loopback addresses while a probe from another one (127.0.0.2) measures
 * how long an answer takes, and the worker threads of a burst of checks.
 *
 *   attack idle PORT ADDRS PER_ADDR PROBES
 *       ADDRS x PER_ADDR connections (from 127.0.0.3 on) that send
 *       nothing; then PROBES probes, 100 ms apart.
 *   attack slow PORT ADDRS PER_ADDR PROBES
 *       the same connections each send a request head announcing a
 *       1000-byte body, then one byte of it every 900 ms.
 *   attack batch PORT CLIENTS PROBES BODYFILE
 *       CLIENTS connections from 127.0.0.1 POST the JSON-RPC batch in
 *       BODYFILE to /ext/health over and over, reading every reply.
 *
 *   For each: one line per probe (GET /livez, or /health for batch) with
 *   its time in ms (-1: no 200 within 5 s), then "replies N largest B"
 *   for batch.
 *
 *   attack threads PID SECONDS
 *       samples the Threads: of PID every millisecond for SECONDS and
 *       prints the most seen.
 *
 * Only libc and pthreads; built by bench/run.sh with cc -O2 -pthread.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_CONNS 4096

static int port;

static double now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* A connection from src to 127.0.0.1:port, or -1. */
static int connect_from(const char *src)
{
    struct sockaddr_in sa = {0}, me = {0};
    int fd = socket(AF_INET, SOCK_STREAM, 0);

    if (fd < 0)
        return -1;
    me.sin_family = sa.sin_family = AF_INET;
    inet_pton(AF_INET, src, &me.sin_addr);
    inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
    sa.sin_port = htons((uint16_t)port);
    if (bind(fd, (struct sockaddr *)&me, sizeof(me)) != 0 ||
        connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

/* Reads one whole response (head and Content-Length bytes) within
 * timeout_ms. Its length, or -1; *status gets its status. */
static long read_response(int fd, int timeout_ms, int *status)
{
    static _Thread_local char buf[8 << 20];
    size_t len = 0, need = 0;
    double until = now_ms() + timeout_ms;
    char *end;

    *status = 0;
    while (now_ms() < until && len < sizeof(buf) - 1) {
        struct pollfd p = {fd, POLLIN, 0};
        ssize_t n;

        if (poll(&p, 1, 50) <= 0)
            continue;
        if ((n = read(fd, buf + len, sizeof(buf) - 1 - len)) <= 0)
            return -1;
        len += (size_t)n;
        buf[len] = '\0';
        if (need == 0 && (end = strstr(buf, "\r\n\r\n")) != NULL) {
            char *cl = strcasestr(buf, "Content-Length: ");

            need = (size_t)(end + 4 - buf) +
                   (cl != NULL ? strtoul(cl + 16, NULL, 10) : 0);
            sscanf(buf, "HTTP/1.1 %d", status);
        }
        if (need > 0 && len >= need)
            return (long)len;
    }
    return -1;
}

/* One GET from 127.0.0.2 on a new connection: ms to a whole 200, or -1. */
static double probe(const char *path)
{
    char req[256];
    double t0 = now_ms();
    int fd = connect_from("127.0.0.2"), status = 0;
    long n = -1;

    snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: probe\r\n\r\n", path);
    if (fd >= 0 && write(fd, req, strlen(req)) == (ssize_t)strlen(req))
        n = read_response(fd, 5000, &status);
    if (fd >= 0)
        close(fd);
    return n > 0 && status == 200 ? now_ms() - t0 : -1;
}

static void probes(const char *path, int n)
{
    for (int i = 0; i < n; i++) {
        printf("%.2f\n", probe(path));
        fflush(stdout);
        usleep(100000);
    }
}

/* ------------------------------------------------------------------------
 * idle and slow
 */

static int fds[MAX_CONNS];
static int nfds;
static atomic_int stop;

static void *trickle_main(void *arg)
{
    (void)arg;
    while (!atomic_load(&stop)) {
        for (int i = 0; i < nfds; i++)
            if (fds[i] >= 0)
                send(fds[i], "x", 1, MSG_NOSIGNAL | MSG_DONTWAIT);
        for (int i = 0; i < 9 && !atomic_load(&stop); i++)
            usleep(100000);
    }
    return NULL;
}

static int cmd_flood(int slow, int addrs, int per_addr, int nprobes)
{
    static const char head[] = "PUT /health/x HTTP/1.1\r\nHost: attacker\r\n"
                               "Content-Length: 1000\r\n\r\n";
    char src[32];
    pthread_t t;

    for (int a = 0; a < addrs; a++) {
        snprintf(src, sizeof(src), "127.0.0.%d", 3 + a);
        for (int i = 0; i < per_addr && nfds < MAX_CONNS; i++) {
            int fd = connect_from(src);

            if (fd >= 0 && slow)
                send(fd, head, sizeof(head) - 1, MSG_NOSIGNAL);
            fds[nfds++] = fd;
        }
    }
    if (slow && pthread_create(&t, NULL, trickle_main, NULL) != 0)
        return 1;
    usleep(300000);
    probes("/livez", nprobes);
    atomic_store(&stop, 1);
    if (slow)
        pthread_join(t, NULL);
    for (int i = 0; i < nfds; i++)
        if (fds[i] >= 0)
            close(fds[i]);
    return 0;
}

/* ------------------------------------------------------------------------
 * batch
 */

static char *batch_req;
static size_t batch_len;
static atomic_long replies, largest;

static void *batch_main(void *arg)
{
    int fd = -1;

    (void)arg;
    while (!atomic_load(&stop)) {
        int status;
        long n;

        if (fd < 0 && (fd = connect_from("127.0.0.1")) < 0)
            break;
        if (write(fd, batch_req, batch_len) != (ssize_t)batch_len ||
            (n = read_response(fd, 10000, &status)) < 0) {
            close(fd);
            fd = -1;
            continue;
        }
        atomic_fetch_add(&replies, 1);
        if (n > atomic_load(&largest))
            atomic_store(&largest, n);
    }
    if (fd >= 0)
        close(fd);
    return NULL;
}

static int cmd_batch(int clients, int nprobes, const char *bodyfile)
{
    FILE *f = fopen(bodyfile, "r");
    char body[1 << 16];
    size_t n;
    pthread_t t[64];

    if (f == NULL || clients > 64)
        return 1;
    n = fread(body, 1, sizeof(body) - 1, f);
    fclose(f);
    body[n] = '\0';
    if (asprintf(&batch_req, "POST /ext/health HTTP/1.1\r\nHost: attacker\r\n"
                             "Content-Type: application/json\r\n"
                             "Content-Length: %zu\r\n\r\n%s",
                 n, body) < 0)
        return 1;
    batch_len = strlen(batch_req);
    for (int i = 0; i < clients; i++)
        pthread_create(&t[i], NULL, batch_main, NULL);
    usleep(500000);
    probes("/health", nprobes);
    atomic_store(&stop, 1);
    for (int i = 0; i < clients; i++)
        pthread_join(t[i], NULL);
    printf("replies %ld largest %ld\n", atomic_load(&replies),
           atomic_load(&largest));
    free(batch_req);
    return 0;
}

/* ------------------------------------------------------------------------
 * threads
 */

static int cmd_threads(int pid, double seconds)
{
    char path[64], line[128];
    double until = now_ms() + seconds * 1e3;
    int most = 0;

    snprintf(path, sizeof(path), "/proc/%d/status", pid);
    while (now_ms() < until) {
        FILE *f = fopen(path, "r");
        int n = 0;

        if (f == NULL)
            break;
        while (fgets(line, sizeof(line), f) != NULL)
            if (sscanf(line, "Threads: %d", &n) == 1)
                break;
        fclose(f);
        if (n > most)
            most = n;
        usleep(1000);
    }
    printf("%d\n", most);
    return 0;
}

int main(int argc, char **argv)
{
    signal(SIGPIPE, SIG_IGN);
    if (argc == 6 && (strcmp(argv[1], "idle") == 0 ||
                      strcmp(argv[1], "slow") == 0)) {
        port = atoi(argv[2]);
        return cmd_flood(strcmp(argv[1], "slow") == 0, atoi(argv[3]),
                         atoi(argv[4]), atoi(argv[5]));
    }
    if (argc == 6 && strcmp(argv[1], "batch") == 0) {
        port = atoi(argv[2]);
        return cmd_batch(atoi(argv[3]), atoi(argv[4]), argv[5]);
    }
    if (argc == 4 && strcmp(argv[1], "threads") == 0)
        return cmd_threads(atoi(argv[2]), atof(argv[3]));
    fprintf(stderr, "usage: attack idle|slow PORT ADDRS PER_ADDR PROBES\n"
                    "       attack batch PORT CLIENTS PROBES BODYFILE\n"
                    "       attack threads PID SECONDS\n");
    return 2;
}
