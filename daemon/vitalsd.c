/* vitalsd.c - the vitals daemon: libvitals plus a YAML file. Drains and
 * stops on SIGTERM or SIGINT, reloads the file on SIGHUP, answers `vitals
 * maint` and `vitals drain` on its control socket (control.c) and talks to
 * systemd (systemd.c). Uses only vitals.h. */
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "daemon.h"
#include "vitals.h"

#define EXIT_CONFIG 2
#define GRACE_MS 5000
/* The watchdog stops pinging when the latest snapshot is older than this:
 * three of the scheduler's 10 s heartbeats. */
#define WATCHDOG_STALE_MS 30000

static vitals_log_level_t min_level = VITALS_LOG_INFO;

static void usage(FILE *out)
{
    fprintf(out,
            "usage: vitalsd --config FILE [--log-level LEVEL] [--control "
            "PATH]\n"
            "       vitalsd --check-config FILE\n"
            "\n"
            "Runs health checks in the background and serves their results "
            "over HTTP\n"
            "(IETF health+json on /health), HAProxy's agent-check and gRPC "
            "health\n"
            "checking (listen: kind agent, grpc). See vitalsd(8), and "
            "vitals.yaml(5) for FILE.\n"
            "\n"
            "  -c, --config FILE        run with the configuration in FILE\n"
            "  -t, --check-config FILE  validate FILE and exit: 0 when "
            "valid, 2 after\n"
            "                           printing every error as "
            "FILE:LINE:COLUMN: message\n"
            "  -l, --log-level LEVEL    debug, info, warn or error "
            "(default info)\n"
            "      --control PATH       the control socket of `vitals maint` "
            "and `vitals drain`\n"
            "                           (default STATE_DIR/control.sock; "
            "\"none\": no socket)\n"
            "  -V, --version            print the version and exit\n"
            "  -h, --help               print this help and exit\n"
            "\n"
            "Signals: SIGHUP reloads FILE (a broken file is logged and the "
            "running\n"
            "configuration kept). SIGTERM and SIGINT drain: readiness "
            "fails at once\n"
            "while every endpoint keeps answering for shutdown_delay "
            "(default 5s), then\n"
            "requests in flight finish and vitalsd exits 0; a second "
            "signal stops at once.\n"
            "\n"
            "Under systemd (Type=notify) it sends READY=1, STATUS=, "
            "RELOADING=1, STOPPING=1\n"
            "and watchdog pings, and serves the sockets of socket "
            "activation; see\n"
            "contrib/systemd/ and docs/operations.md.\n");
}

static const char *level_name(vitals_log_level_t l)
{
    switch (l) {
    case VITALS_LOG_DEBUG:
        return "DEBUG";
    case VITALS_LOG_INFO:
        return "INFO";
    case VITALS_LOG_WARN:
        return "WARN";
    case VITALS_LOG_ERROR:
        return "ERROR";
    }
    return "INFO";
}

/* One line per event: "2026-11-21T20:17:36.123Z INFO message". */
static void log_line(vitals_log_level_t level, const char *msg, void *data)
{
    struct timespec ts;
    struct tm tm;

    (void)data;
    if (level < min_level)
        return;
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    fprintf(stderr, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ %s %s\n",
            tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
            tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000, level_name(level),
            msg);
}

void vitalsd_log(vitals_log_level_t level, const char *fmt, ...)
{
    char buf[1024];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    log_line(level, buf, NULL);
}

static int parse_level(const char *s)
{
    static const char *const names[] = {"debug", "info", "warn", "error"};

    for (int i = 0; i < 4; i++)
        if (strcmp(s, names[i]) == 0)
            return i;
    return -1;
}

static void print_errors(FILE *out, const vitals_errors_t *e)
{
    for (size_t i = 0; i < vitals_errors_count(e); i++)
        fprintf(out, "%s\n", vitals_errors_get(e, i));
}

/* Why path was not loaded, on stderr; frees e. */
static void print_failure(const char *path, vitals_errors_t *e, int rc)
{
    if (e != NULL)
        print_errors(stderr, e);
    else
        fprintf(stderr, "%s: %s\n", path, vitals_strerror(rc));
    vitals_errors_free(e);
}

/* Errors exit 2; warnings (valid, but likely a mistake) are printed and
 * the file still passes. */
static int check_config(const char *path)
{
    vitals_errors_t *e = NULL, *w = NULL;
    int rc = vitals_config_lint(path, &e, &w);

    print_errors(stderr, w);
    vitals_errors_free(w);
    if (rc == VITALS_OK) {
        printf("%s: configuration is valid\n", path);
        return 0;
    }
    print_failure(path, e, rc);
    return EXIT_CONFIG;
}

static void reload(vitals_t *v, const char *path)
{
    vitals_errors_t *e = NULL;
    int rc;

    vitalsd_log(VITALS_LOG_INFO, "SIGHUP: reloading %s", path);
    rc = vitals_config_load(v, path, &e);
    if (rc == VITALS_OK)
        return;
    for (size_t i = 0; i < vitals_errors_count(e); i++)
        vitalsd_log(VITALS_LOG_ERROR, "config error: %s",
                    vitals_errors_get(e, i));
    vitalsd_log(VITALS_LOG_ERROR,
                "%s not reloaded (%s): the previous configuration keeps "
                "serving",
                path, vitals_strerror(rc));
    vitals_errors_free(e);
}

/* The first SIGTERM or SIGINT: readiness fails at once while everything
 * keeps answering for the shutdown delay, so that load balancers stop
 * routing here before the listeners close; a second signal cuts it short.
 * SIGHUP still reloads meanwhile. */
static void drain(vitals_t *v, const char *path, const sigset_t *set, int sig,
                  int64_t delay)
{
    struct timespec now, until;

    if (delay <= 0) {
        vitalsd_log(VITALS_LOG_INFO, "%s: stopping", strsignal(sig));
        return;
    }
    vitalsd_log(VITALS_LOG_INFO,
                "%s: draining for %lld ms before stopping (readiness fails; "
                "a second signal stops at once)",
                strsignal(sig), (long long)delay);
    clock_gettime(CLOCK_MONOTONIC, &until);
    until.tv_sec += delay / 1000;
    until.tv_nsec += (delay % 1000) * 1000000L;
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000L;
    }
    for (;;) {
        struct timespec left;

        clock_gettime(CLOCK_MONOTONIC, &now);
        left.tv_sec = until.tv_sec - now.tv_sec;
        left.tv_nsec = until.tv_nsec - now.tv_nsec;
        if (left.tv_nsec < 0) {
            left.tv_sec--;
            left.tv_nsec += 1000000000L;
        }
        if (left.tv_sec < 0)
            break;
        sig = sigtimedwait(set, NULL, &left);
        if (sig == SIGHUP) {
            reload(v, path);
            continue;
        }
        if (sig == SIGTERM || sig == SIGINT) {
            vitalsd_log(VITALS_LOG_INFO, "%s again: stopping now",
                        strsignal(sig));
            return;
        }
        if (sig < 0 && errno != EINTR)
            break; /* EAGAIN: the delay is over */
    }
    vitalsd_log(VITALS_LOG_INFO, "drained: stopping");
}

/* The shutdown delay left to wait: all of it, or, after `vitals drain`,
 * what is left of it since then (the load balancers have been told for
 * that long already). */
static int64_t drain_left(vitals_t *v, const vctl_t *ctl)
{
    int64_t delay = vitals_drain(v), at = vctl_drained_at(ctl);
    struct timespec ts;

    if (at == 0)
        return delay;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    delay -= (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000 - at;
    return delay > 0 ? delay : 0;
}

/* The control socket: --control PATH, or control.sock in the state
 * directory; "none" for none. */
static vctl_t *start_control(vitals_t *v, const char *control)
{
    char path[4096];

    if (control != NULL && strcmp(control, "none") == 0)
        return NULL;
    if (control == NULL) {
        snprintf(path, sizeof(path), "%s/%s", vitals_state_dir(v),
                 VITALSD_CONTROL_SOCK);
        control = path;
    }
    return vctl_start(v, control);
}

/* Serves until SIGTERM or SIGINT (returned), reloading on SIGHUP. */
static int serve(vitals_t *v, const char *path, const sigset_t *set,
                 vsd_t *sd)
{
    int sig = 0;

    for (;;) {
        if (sigwait(set, &sig) != 0)
            continue;
        if (sig != SIGHUP)
            return sig;
        vsd_reloading(sd);
        reload(v, path);
        vsd_reloaded(sd);
    }
}

static int load(vitals_t *v, const char *path)
{
    vitals_errors_t *e = NULL;
    int rc = vitals_config_load(v, path, &e);

    if (rc != VITALS_OK)
        print_failure(path, e, rc);
    return rc;
}

static int run(const char *path, const char *control)
{
    vitals_t *v;
    vctl_t *ctl;
    vsd_t *sd;
    sigset_t set;
    int rc, sig;

    /* Every thread the library starts inherits this mask, so the signals
     * arrive only here, in sigwait. */
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);

    if ((v = vitals_new()) == NULL) {
        fprintf(stderr, "vitalsd: out of memory\n");
        return 1;
    }
    vitals_set_log(v, log_line, NULL);
    vitalsd_log(VITALS_LOG_INFO, "vitalsd %s starting with %s",
                VITALS_VERSION, path);
    if (load(v, path) != VITALS_OK) {
        vitals_free(v);
        return EXIT_CONFIG;
    }
    vsd_listen(v);
    if ((rc = vitals_start(v)) != VITALS_OK) {
        vitalsd_log(VITALS_LOG_ERROR, "cannot start: %s",
                    vitals_strerror(rc));
        vitals_free(v);
        return 1;
    }
    ctl = start_control(v, control);
    sd = vsd_start(v, WATCHDOG_STALE_MS);
    vitalsd_log(VITALS_LOG_INFO, "started");
    sig = serve(v, path, &set, sd);
    vsd_stopping(sd);
    drain(v, path, &set, sig, drain_left(v, ctl));
    vctl_stop(ctl);
    vsd_stop(sd);
    vitals_stop(v, GRACE_MS);
    vitals_free(v);
    vitalsd_log(VITALS_LOG_INFO, "stopped");
    return 0;
}

int main(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"config", required_argument, NULL, 'c'},
        {"check-config", required_argument, NULL, 't'},
        {"log-level", required_argument, NULL, 'l'},
        {"control", required_argument, NULL, 'C'},
        {"version", no_argument, NULL, 'V'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    const char *config = NULL, *check = NULL, *control = NULL;
    int opt, level;

    while ((opt = getopt_long(argc, argv, "c:t:l:Vh", longopts, NULL)) != -1) {
        switch (opt) {
        case 'c':
            config = optarg;
            break;
        case 't':
            check = optarg;
            break;
        case 'C':
            control = optarg;
            break;
        case 'l':
            if ((level = parse_level(optarg)) < 0) {
                fprintf(stderr, "vitalsd: unknown log level '%s' (debug, "
                                "info, warn, error)\n",
                        optarg);
                return EXIT_CONFIG;
            }
            min_level = (vitals_log_level_t)level;
            break;
        case 'V':
            printf("vitalsd %s\n", VITALS_VERSION);
            return 0;
        case 'h':
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return EXIT_CONFIG;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "vitalsd: unexpected argument '%s'\n", argv[optind]);
        usage(stderr);
        return EXIT_CONFIG;
    }
    if (check != NULL)
        return check_config(check);
    if (config == NULL) {
        usage(stderr);
        return EXIT_CONFIG;
    }
    return run(config, control);
}
