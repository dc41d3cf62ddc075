/* tool_maint.c - `vitals maint` and `vitals drain`: one request line to
 * vitalsd's control socket (a UNIX socket in its state directory), and
 * its one-line answer printed; exit 0 when vitalsd says "ok". */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "tool.h"

#define EXIT_FAIL 1
#define EXIT_USAGE 2
#define TIMEOUT_MS 5000
#define MAX_REASON 512

static void usage(FILE *out)
{
    fprintf(out,
            "usage: vitals maint on [--for DURATION] [--reason TEXT] "
            "[SOCKET OPTION]\n"
            "       vitals maint off [SOCKET OPTION]\n"
            "       vitals maint status [SOCKET OPTION]\n"
            "       vitals drain [SOCKET OPTION]\n"
            "\n"
            "Asks a running vitalsd, through its control socket:\n"
            "  maint on      take it out of rotation: readiness fails with "
            "the reason,\n"
            "                shown in every format and on the page, until "
            "`maint off`\n"
            "                or, with --for, until the time is up\n"
            "  maint off     end the maintenance\n"
            "  maint status  print the one-line summary (\"2 healthy, 1 "
            "degraded; ...\")\n"
            "  drain         fail readiness for good while every endpoint "
            "keeps\n"
            "                answering, as SIGTERM does, but without "
            "stopping: a later\n"
            "                SIGTERM stops vitalsd after what is left of its "
            "shutdown_delay\n"
            "\n"
            "  -f, --for DURATION   e.g. 90s, 30m, 2h, 1d (default: until "
            "maint off)\n"
            "  -r, --reason TEXT    shown to callers who may see details "
            "(default\n"
            "                       \"maintenance\")\n"
            "  -s, --socket PATH    the control socket (default "
            "STATE_DIR/control.sock)\n"
            "  -d, --state-dir DIR  vitalsd's state_dir (default "
            "$STATE_DIRECTORY, else\n"
            "                       /var/lib/vitals)\n"
            "  -h, --help           print this help and exit\n"
            "\n"
            "Exit status: 0 done, 1 vitalsd refused or could not be "
            "reached, 2 usage.\n"
            "Only vitalsd's own user and root may use the socket.\n");
}

/* Milliseconds from "500ms", "90s", "30m", "2h", "1d" (a bare number is
 * seconds); -1 when unparsable, zero or longer than a year. */
static long long duration_ms(const char *s)
{
    static const struct {
        const char *unit;
        double ms;
    } units[] = {{"ms", 1}, {"s", 1e3}, {"", 1e3}, {"m", 6e4},
                 {"h", 3.6e6}, {"d", 8.64e7}};
    char *end;
    double n = strtod(s, &end);

    if (end == s || !(n > 0))
        return -1;
    for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
        if (strcmp(end, units[i].unit) != 0)
            continue;
        n *= units[i].ms;
        return n >= 1 && n <= 366 * 8.64e7 ? (long long)n : -1;
    }
    return -1;
}

/* Sends line to the socket at path and prints the answer: the exit
 * status. */
static int ask(const char *path, const char *line)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    struct pollfd p;
    char answer[2048];
    size_t n = 0;
    int fd;

    if (strlen(path) >= sizeof(sa.sun_path)) {
        fprintf(stderr, "vitals: %s: path too long for a socket\n", path);
        return EXIT_USAGE;
    }
    strcpy(sa.sun_path, path);
    if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0 ||
        connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
        fprintf(stderr, "vitals: cannot reach vitalsd at %s: %s\n", path,
                strerror(errno));
        if (fd >= 0)
            close(fd);
        return EXIT_FAIL;
    }
    if (send(fd, line, strlen(line), MSG_NOSIGNAL) < 0) {
        fprintf(stderr, "vitals: %s: %s\n", path, strerror(errno));
        close(fd);
        return EXIT_FAIL;
    }
    p = (struct pollfd){.fd = fd, .events = POLLIN};
    while (n < sizeof(answer) - 1 && poll(&p, 1, TIMEOUT_MS) == 1) {
        ssize_t got = recv(fd, answer + n, sizeof(answer) - 1 - n, 0);

        if (got <= 0)
            break;
        n += (size_t)got;
        if (memchr(answer, '\n', n) != NULL)
            break;
    }
    close(fd);
    answer[n] = '\0';
    answer[strcspn(answer, "\n")] = '\0';
    if (strncmp(answer, "ok", 2) == 0) {
        printf("%s\n", answer[2] == ' ' ? answer + 3 : answer + 2);
        return 0;
    }
    fprintf(stderr, "vitals: %s\n",
            strncmp(answer, "error ", 6) == 0 ? answer + 6
            : n == 0 ? "vitalsd did not answer"
                     : answer);
    return EXIT_FAIL;
}

/* The socket: --socket, else control.sock in --state-dir, in
 * $STATE_DIRECTORY (one directory) or in /var/lib/vitals. */
static const char *socket_path(const char *sock, const char *dir, char *buf,
                               size_t len)
{
    const char *env = getenv("STATE_DIRECTORY");

    if (sock != NULL)
        return sock;
    if (dir == NULL)
        dir = env != NULL && env[0] != '\0' && strchr(env, ':') == NULL
                  ? env
                  : "/var/lib/vitals";
    snprintf(buf, len, "%s/control.sock", dir);
    return buf;
}

/* The request line of `vitals maint WORD`, or NULL after a usage error. */
static const char *maint_request(const char *word, long long for_ms,
                                 const char *reason, char *buf, size_t len)
{
    if (strcmp(word, "off") == 0)
        return "maint off\n";
    if (strcmp(word, "status") == 0)
        return "status\n";
    if (strcmp(word, "on") != 0) {
        tool_usage_error("maint", EXIT_USAGE, "unknown '%s' (on, off, status)",
                         word);
        return NULL;
    }
    if (strpbrk(reason, "\r\n") != NULL || strlen(reason) > MAX_REASON) {
        tool_usage_error("maint", EXIT_USAGE,
                         "the reason must be one line of at most %d bytes",
                         MAX_REASON);
        return NULL;
    }
    snprintf(buf, len, "maint on %lld %s\n", for_ms, reason);
    return buf;
}

/* Both commands: argv[0] "maint" (then on, off or status) or "drain". */
static int control(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"for", required_argument, NULL, 'f'},
        {"reason", required_argument, NULL, 'r'},
        {"socket", required_argument, NULL, 's'},
        {"state-dir", required_argument, NULL, 'd'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    const char *sock = NULL, *dir = NULL, *reason = "maintenance",
               *line = "drain\n";
    char path[4096], buf[MAX_REASON + 64];
    int maint = strcmp(argv[0], "maint") == 0, opt;
    long long for_ms = 0;

    while ((opt = tool_getopt(argc, argv, "f:r:s:d:h", longopts)) != -1) {
        switch (opt) {
        case 'f':
            if ((for_ms = duration_ms(optarg)) < 0)
                return tool_usage_error(argv[0], EXIT_USAGE,
                                        "invalid duration '%s' (e.g. 90s, "
                                        "30m, 2h, 1d; at most a year)",
                                        optarg);
            break;
        case 'r':
            reason = optarg;
            break;
        case 's':
            sock = optarg;
            break;
        case 'd':
            dir = optarg;
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            return EXIT_USAGE;
        }
    }
    if (argc - optind != maint)
        return tool_usage_error(argv[0], EXIT_USAGE,
                                maint ? "needs one of on, off, status"
                                      : "takes no arguments");
    if (maint && (line = maint_request(argv[optind], for_ms, reason, buf,
                                       sizeof(buf))) == NULL)
        return EXIT_USAGE;
    return ask(socket_path(sock, dir, path, sizeof(path)), line);
}

int tool_maint(int argc, char **argv)
{
    return control(argc, argv);
}

int tool_drain(int argc, char **argv)
{
    return control(argc, argv);
}
