/* tool_status.c - `vitals status [URL]`: every check of a running vitalsd
 * as a table, once or redrawn on change (--watch), with the Nagios exit
 * statuses. Reads the ASP.NET Core HealthReport (/api/v2/health) and
 * avalanchego's health API (/ext/health) of the same snapshot. */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "tool.h"
#include "tool_http.h"
#include "tool_table.h"

#define DEFAULT_URL "http://127.0.0.1:8080"
#define WATCH_PERIOD_MS 1000
/* The two documents come from two requests; a publication between them is
 * rare, and a third try in a row rarer still. */
#define TRIES 3

typedef struct status_opts {
    char base[1024];
    const char *report_path, *jsonrpc_path, *token;
    long timeout_ms;
    int json, watch;
    long count; /* --watch: draws before exiting; 0 until SIGINT */
} status_opts_t;

/* One look at the daemon. */
typedef struct look {
    int reached;     /* 0: error says why */
    char error[1400];
    char *report, *avalanche; /* the bodies (avalanche may be NULL) */
    table_t table;
} look_t;

static volatile sig_atomic_t interrupted;

static void usage(FILE *out)
{
    fprintf(out,
            "usage: vitals status [--watch [--count N]] [--json] "
            "[--timeout DURATION]\n"
            "                     [--report-path PATH] [--jsonrpc-path "
            "PATH] [URL]\n"
            "\n"
            "Shows every check of a running vitalsd (URL, default "
            DEFAULT_URL ") as a table:\n"
            "the overall status first, then each check's status, name "
            "(group members\n"
            "indented), since when it fails, its last run, how long that "
            "took, and\n"
            "its output. Exit status as a Nagios plugin: 0 healthy, 1 "
            "degraded,\n"
            "2 unhealthy, 3 when the daemon cannot be read (or a usage "
            "error).\n"
            "\n"
            "  -w, --watch              redraw whenever a check changes "
            "(looks every\n"
            "                           second) until Ctrl-C; exits with "
            "the last status\n"
            "  -n, --count N            with --watch: exit after N "
            "drawings\n"
            "  -j, --json               print the ASP.NET Core HealthReport "
            "as served\n"
            "  -t, --timeout DURATION   per request, e.g. 500ms, 5s "
            "(default 5s)\n"
            "      --report-path PATH   where the HealthReport is served "
            "(default\n"
            "                           /api/v2/health)\n"
            "      --jsonrpc-path PATH  where avalanchego's health API is "
            "served (default\n"
            "                           /ext/health; without it SINCE and "
            "LAST RUN show -)\n"
            "  -h, --help               print this help and exit\n"
            "\n"
            "The environment variable VITALS_TOKEN is sent as a bearer "
            "token. Colours\n"
            "only on a terminal, and never when NO_COLOR is set.\n");
}

static void on_signal(int sig)
{
    (void)sig;
    interrupted = 1;
}

/* GETs base+path into *r; 0, or -1 with the reason in error. */
static int get(const status_opts_t *o, const char *path, http_resp_t *r,
               char *error, size_t len)
{
    char url[2048];

    snprintf(url, sizeof(url), "%s%s", o->base, path);
    if (http_get(url, o->timeout_ms, o->token, r) == 0)
        return 0;
    snprintf(error, len, "cannot reach %.512s: %.512s", url, r->error);
    return -1;
}

/* The report and avalanchego's document of one snapshot: the ETags name
 * the snapshot, so when they differ a publication came in between. The
 * second document is optional: without it the times show "-". */
static int fetch(const status_opts_t *o, look_t *l, http_resp_t *rep,
                 http_resp_t *ava)
{
    char ignored[sizeof(l->error)];

    for (int i = 0; i < TRIES; i++) {
        http_resp_free(rep);
        http_resp_free(ava);
        if (get(o, o->report_path, rep, l->error, sizeof(l->error)) != 0)
            return -1;
        if (get(o, o->jsonrpc_path, ava, ignored, sizeof(ignored)) != 0 ||
            rep->etag[0] == '\0' || strcmp(rep->etag, ava->etag) == 0)
            return 0;
    }
    return 0;
}

/* Reads the daemon into l: reached, or the reason in l->error. */
static void look(const status_opts_t *o, look_t *l)
{
    http_resp_t rep = {0}, ava = {0};
    json_t *report = NULL, *avalanche = NULL;

    memset(l, 0, sizeof(*l));
    if (fetch(o, l, &rep, &ava) != 0)
        goto out;
    report = rep.body != NULL ? json_loads(rep.body, 0, NULL) : NULL;
    if (ava.code == 200 || ava.code == 503)
        avalanche = ava.body != NULL ? json_loads(ava.body, 0, NULL) : NULL;
    if (report == NULL || table_read(&l->table, report, avalanche) != 0) {
        snprintf(l->error, sizeof(l->error),
                 "%s%s answered HTTP %ld without a HealthReport (moved? see "
                 "--report-path)",
                 o->base, o->report_path, rep.code);
        goto out;
    }
    l->reached = 1;
    l->report = rep.body;
    rep.body = NULL;
    l->avalanche = ava.body;
    ava.body = NULL;
out:
    json_decref(report);
    json_decref(avalanche);
    http_resp_free(&rep);
    http_resp_free(&ava);
}

static void look_free(look_t *l)
{
    free(l->report);
    free(l->avalanche);
    table_free(&l->table);
}

static int look_exit(const look_t *l)
{
    return l->reached ? l->table.status : EXIT_NAGIOS_UNKNOWN;
}

/* 1 when b shows something a does not (or a is the first look). */
static int changed(const look_t *a, const look_t *b)
{
    const char *ea = a->avalanche ? a->avalanche : "";
    const char *eb = b->avalanche ? b->avalanche : "";

    if (a->reached != b->reached)
        return 1;
    if (!a->reached)
        return strcmp(a->error, b->error) != 0;
    return strcmp(a->report, b->report) != 0 || strcmp(ea, eb) != 0;
}

static void draw(const status_opts_t *o, const look_t *l, int tty)
{
    int color = tty && (getenv("NO_COLOR") == NULL || !*getenv("NO_COLOR"));
    struct winsize ws;
    char summary[1024];

    if (!l->reached) {
        fprintf(stderr, "vitals status: %s\n", l->error);
        return;
    }
    if (o->json) {
        printf("%s\n", l->report);
        return;
    }
    table_summary(&l->table, summary, sizeof(summary));
    printf("overall: %s - %s\n", table_status_word(l->table.status, color),
           summary);
    if (l->table.details)
        table_print(stdout, &l->table, color,
                    tty && ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0
                        ? ws.ws_col
                        : 0);
}

/* Sleeps ms, in short steps so that Ctrl-C ends it at once. */
static void nap(long ms)
{
    const struct timespec step = {0, 50 * 1000000L};

    for (long slept = 0; slept < ms && !interrupted; slept += 50)
        nanosleep(&step, NULL);
}

static int watch(const status_opts_t *o, int tty)
{
    look_t last = {0}, now;
    long draws = 0;
    int first = 1, status = EXIT_NAGIOS_UNKNOWN;
    struct sigaction sa;

    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal; /* no SA_RESTART: a sleep ends at once */
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    while (!interrupted) {
        look(o, &now);
        status = look_exit(&now);
        if (first || changed(&last, &now)) {
            /* A terminal is redrawn in place; a pipe or file gets each
             * table after a blank line, JSON one document per line. */
            if (tty && !o->json)
                printf("\033[H\033[2J");
            else if (!first && !o->json)
                printf("\n");
            draw(o, &now, tty);
            fflush(stdout);
            draws++;
        }
        look_free(&last);
        last = now;
        first = 0;
        if (o->count > 0 && draws >= o->count)
            break;
        nap(WATCH_PERIOD_MS);
    }
    look_free(&last);
    return status;
}

/* The base URL without trailing slashes into o->base; -1 when it is not
 * http or https. */
static int set_base(status_opts_t *o, const char *url)
{
    size_t n = strlen(url);

    if (!http_url_ok(url) || n >= sizeof(o->base))
        return -1;
    while (n > 0 && url[n - 1] == '/')
        n--;
    memcpy(o->base, url, n);
    o->base[n] = '\0';
    return 0;
}

/* Paths start with "/" (docs/endpoints.md). */
static const char *path_arg(const char *p)
{
    return p[0] == '/' ? p : NULL;
}

static int parse(int argc, char **argv, status_opts_t *o)
{
    static const struct option longopts[] = {
        {"watch", no_argument, NULL, 'w'},
        {"count", required_argument, NULL, 'n'},
        {"json", no_argument, NULL, 'j'},
        {"timeout", required_argument, NULL, 't'},
        {"report-path", required_argument, NULL, 'R'},
        {"jsonrpc-path", required_argument, NULL, 'J'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    const char *cmd = argv[0];
    char *end;
    int opt;

    while ((opt = tool_getopt(argc, argv, "wn:jt:h", longopts)) != -1) {
        switch (opt) {
        case 'w':
            o->watch = 1;
            break;
        case 'n':
            o->count = strtol(optarg, &end, 10);
            if (*end != '\0' || end == optarg || o->count < 1)
                return tool_usage_error(cmd, 3, "invalid count '%s'", optarg);
            break;
        case 'j':
            o->json = 1;
            break;
        case 't':
            if ((o->timeout_ms = tool_parse_ms(optarg)) < 0)
                return tool_usage_error(cmd, 3, "invalid timeout '%s' (e.g. "
                                        "500ms, 5s)", optarg);
            break;
        case 'R':
        case 'J':
            if (path_arg(optarg) == NULL)
                return tool_usage_error(cmd, 3, "a path starts with '/', "
                                        "not '%s'", optarg);
            *(opt == 'R' ? &o->report_path : &o->jsonrpc_path) = optarg;
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            return 3;
        }
    }
    if (argc - optind > 1)
        return tool_usage_error(cmd, 3, "one URL at most, got '%s' too",
                                argv[optind + 1]);
    if (set_base(o, optind < argc ? argv[optind] : DEFAULT_URL) != 0)
        return tool_usage_error(cmd, 3, "URL must be http:// or https://, "
                                "not '%s'", argv[optind]);
    if (o->count > 0 && !o->watch)
        return tool_usage_error(cmd, 3, "--count goes with --watch");
    return -1;
}

int tool_status(int argc, char **argv)
{
    status_opts_t o = {.report_path = "/api/v2/health",
                       .jsonrpc_path = "/ext/health",
                       .timeout_ms = 5000};
    int tty = isatty(STDOUT_FILENO), rc;
    look_t l;

    if ((rc = parse(argc, argv, &o)) >= 0)
        return rc;
    o.token = getenv("VITALS_TOKEN");
    if (o.watch)
        return watch(&o, tty);
    look(&o, &l);
    draw(&o, &l, tty);
    rc = look_exit(&l);
    look_free(&l);
    return rc;
}
