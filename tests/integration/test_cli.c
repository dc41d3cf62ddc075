/* test_cli.c - the vitals tool: status against a real vitalsd, check
 * without one, probe against every format, and the usage of each command,
 * with exact output and exit statuses. */
#include <errno.h>
#include <pty.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"

/* Checks whose outputs never change, in the Nagios plugin convention. */
#define SH(text, code)                                                        \
    "{type: exec, command: [\"/bin/sh\", \"-c\", \"echo '" text               \
    "'; exit " #code "\"]}"
#define OK SH("OK - fine | temp=41.3%;80;90", 0)
#define WARN SH("WARNING - hot", 1)
#define BAD SH("CRITICAL - down", 2)
#define PRINTERS                                                              \
    "  printers:\n"                                                           \
    "    type: group\n"                                                       \
    "    critical: false\n"                                                   \
    "    checks:\n"                                                           \
    "      p1: " SH("OK - ready", 0) "\n"                                     \
    "      p2: " SH("CRITICAL - jammed", 2) "\n"

#define HEADER_OK                                                             \
    "STATUS     CHECK  SINCE  LAST RUN  DURATION  OUTPUT"

/* Runs vitals with the arguments that follow (NULL-terminated): its exit
 * status, with stdout and stderr in *out and *err (new strings). */
static int vitals(char **out, char **err, ...)
{
    char *argv[16] = {(char *)vitals_path()};
    size_t n = 1;
    va_list ap;

    va_start(ap, err);
    while (n < 15 && (argv[n] = va_arg(ap, char *)) != NULL)
        n++;
    va_end(ap);
    argv[n] = NULL;
    return run_cmd(argv, out, err);
}

/* The i-th line of text (new string), or NULL past the end. */
static char *line_of(const char *text, size_t i)
{
    const char *end;

    while (i-- > 0 && text != NULL)
        text = (text = strchr(text, '\n')) != NULL ? text + 1 : NULL;
    if (text == NULL || *text == '\0')
        return NULL;
    end = strchrnul(text, '\n');
    return strndup(text, (size_t)(end - text));
}

static size_t count_lines(const char *text)
{
    size_t n = 0;

    for (const char *p = text; (p = strchr(p, '\n')) != NULL; p++)
        n++;
    return n;
}

/* A clock time (HH:MM:SS) becomes "T", a duration (0.5ms, 1.25s) "D". */
static const char *cell(const char *s, size_t n)
{
    static char buf[256];

    snprintf(buf, sizeof(buf), "%.*s", (int)n, s);
    if (n == 8 && buf[2] == ':' && buf[5] == ':')
        return "T";
    if (n > 1 && buf[0] >= '0' && buf[0] <= '9' &&
        (strstr(buf, "ms") || buf[n - 1] == 's'))
        return "D";
    return buf;
}

/* A table line as "status|name|since|last run|duration|output", members'
 * names indented, times "T" and durations "D": exact but for the clock
 * and the machine's speed. */
static char *canonical(const char *line)
{
    char out[1024];
    const char *p = line + 11;
    size_t used = 0;

    assert_true(strlen(line) > 11);
    used += (size_t)snprintf(out, sizeof(out), "%.*s|",
                             (int)strcspn(line, " "), line);
    if (strncmp(p, "  ", 2) == 0) { /* a member */
        used += (size_t)snprintf(out + used, sizeof(out) - used, "  ");
        p += 2;
    }
    for (int field = 0; field < 4; field++) {
        const char *end = strstr(p, "  ");
        size_t n = end != NULL ? (size_t)(end - p) : strlen(p);

        used += (size_t)snprintf(out + used, sizeof(out) - used, "%s|",
                                 field == 0 ? strndupa(p, n) : cell(p, n));
        p += n;
        while (*p == ' ')
            p++;
    }
    snprintf(out + used, sizeof(out) - used, "%s", p);
    return strdup(out);
}

/* Asserts the output of status or check: its first line, the header, and
 * each row in canonical form, and nothing more. */
static void assert_table(const char *out, const char *first,
                         const char *header, const char *const *rows)
{
    size_t n = 0;
    char *l;

    l = line_of(out, 0);
    assert_non_null(l);
    assert_string_equal(l, first);
    free(l);
    l = line_of(out, 1);
    assert_non_null(l);
    assert_string_equal(l, header);
    free(l);
    for (; rows[n] != NULL; n++) {
        char *c;

        l = line_of(out, n + 2);
        if (l == NULL)
            fail_msg("line %zu missing, expected %s", n + 2, rows[n]);
        c = canonical(l);
        assert_string_equal(c, rows[n]);
        free(c);
        free(l);
    }
    assert_int_equal(count_lines(out), n + 2);
}

/* The report says every check ran (no "not yet run"). */
static int all_ran(json_t *j, void *arg)
{
    const char *name;
    json_t *e;

    (void)arg;
    json_object_foreach(json_object_get(j, "entries"), name, e) {
        json_t *x = json_object_get(json_object_get(e, "exception"),
                                    "message");

        if (json_is_string(x) &&
            strcmp(json_string_value(x), "not yet run") == 0)
            return 0;
    }
    return json_object_get(j, "entries") != NULL;
}

/* A daemon with these checks (YAML lines), once each has run. */
static vd_t *daemon_with(const char *checks)
{
    vd_t *d = vd_start("listen: [\"127.0.0.1:0\"]\nchecks:\n%s", checks);

    json_decref(vd_poll(d, "/api/v2/health", all_ran, NULL, 5000));
    return d;
}

static char *base_url(const vd_t *d, const char *path)
{
    char *url;

    assert_true(asprintf(&url, "http://127.0.0.1:%d%s", d->port, path) > 0);
    return url;
}

/* ------------------------------------------------------------------------
 * vitals status
 */

static void test_status_healthy(void **state)
{
    vd_t *d = daemon_with("  ok: " OK "\n");
    char *url = base_url(d, ""), *out, *err;
    const char *rows[] = {"healthy|ok|-|T|D|OK - fine", NULL};

    (void)state;
    assert_int_equal(vitals(&out, &err, "status", url, NULL), 0);
    assert_table(out, "overall: healthy - 1 check healthy", HEADER_OK, rows);
    assert_string_equal(err, "");
    free(out);
    free(err);
    free(url);
    assert_int_equal(vd_stop(d), 0);
}

static void test_status_degraded(void **state)
{
    vd_t *d = daemon_with("  ok: " OK "\n  warn: " WARN "\n");
    char *url = base_url(d, "/"), *out, *err;
    const char *rows[] = {"healthy|ok|-|T|D|OK - fine",
                          "degraded|warn|T|T|D|WARNING - hot", NULL};

    (void)state;
    assert_int_equal(vitals(&out, &err, "status", url, NULL), 1);
    assert_table(out, "overall: degraded - 1 degraded (warn), 1 healthy",
                 "STATUS     CHECK  SINCE     LAST RUN  DURATION  OUTPUT",
                 rows);
    free(out);
    free(err);
    free(url);
    assert_int_equal(vd_stop(d), 0);
}

/* Unhealthy, with a group's members indented under it, and --json. */
static void test_status_unhealthy(void **state)
{
    vd_t *d = daemon_with("  ok: " OK "\n  bad: " BAD "\n" PRINTERS);
    char *url = base_url(d, ""), *out, *err;
    const char *rows[] = {"healthy|ok|-|T|D|OK - fine",
                          "unhealthy|bad|T|T|D|CRITICAL - down",
                          "degraded|printers|T|T|D|1 of 2 members healthy",
                          "healthy|  p1|-|-|-|OK - ready",
                          "unhealthy|  p2|-|-|-|CRITICAL - jammed", NULL};
    vresp_t r;

    (void)state;
    assert_int_equal(vitals(&out, &err, "status", url, NULL), 2);
    assert_table(out,
                 "overall: unhealthy - 1 unhealthy (bad), 1 degraded "
                 "(printers), 1 healthy",
                 "STATUS     CHECK     SINCE     LAST RUN  DURATION  OUTPUT",
                 rows);
    free(out);
    free(err);

    /* --json passes the report through, as served. */
    r = vd_get(d, "/api/v2/health");
    assert_int_equal(vitals(&out, &err, "status", "--json", url, NULL), 2);
    assert_int_equal(strlen(out), r.len + 1);
    assert_memory_equal(out, r.body, r.len);
    vresp_free(&r);
    free(out);
    free(err);
    free(url);
    assert_int_equal(vd_stop(d), 0);
}

static void test_status_unreachable(void **state)
{
    char *out, *err, url[64], want[128];
    int port = closed_port();

    (void)state;
    snprintf(url, sizeof(url), "http://127.0.0.1:%d", port);
    assert_int_equal(vitals(&out, &err, "status", url, NULL), 3);
    assert_string_equal(out, "");
    snprintf(want, sizeof(want),
             "vitals status: cannot reach http://127.0.0.1:%d/api/v2/health: ",
             port);
    assert_true(strncmp(err, want, strlen(want)) == 0);
    free(out);
    free(err);

    /* A daemon whose report moved: 3, saying where to look. */
    vd_t *d = daemon_with("  ok: " OK "\n");
    char *base = base_url(d, "");
    assert_int_equal(vitals(&out, &err, "status", "--report-path", "/nope",
                            base, NULL),
                     3);
    snprintf(want, sizeof(want),
             "vitals status: %s/nope answered HTTP 404 without a "
             "HealthReport (moved? see --report-path)\n",
             base);
    assert_string_equal(err, want);
    free(out);
    free(err);
    free(base);
    assert_int_equal(vd_stop(d), 0);
}

/* --watch draws the table again when a check runs again (every 300 ms
 * here); --count ends it, with the last status. */
static void test_status_watch(void **state)
{
    vd_t *d = daemon_with("  warn: {type: exec, command: [\"/bin/sh\", "
                          "\"-c\", \"echo 'WARNING - hot'; exit 1\"], "
                          "interval: 300ms}\n");
    char *url = base_url(d, ""), *out, *err;
    int64_t start = now_ms();

    (void)state;
    assert_int_equal(vitals(&out, &err, "status", "--watch", "--count", "2",
                            url, NULL),
                     1);
    assert_true(now_ms() - start < 5000);
    /* Two tables, a blank line between them (stdout is not a terminal). */
    assert_int_equal(count_lines(out), 7);
    char *first = line_of(out, 0), *blank = line_of(out, 3),
         *again = line_of(out, 4);
    assert_string_equal(first, "overall: degraded - 1 degraded (warn)");
    assert_string_equal(blank, "");
    assert_string_equal(again, first);
    free(first);
    free(blank);
    free(again);
    free(out);
    free(err);

    assert_int_equal(vitals(&out, &err, "status", "--count", "2", url, NULL),
                     3);
    assert_string_equal(err, "vitals status: --count goes with --watch\n"
                             "Try 'vitals status --help'.\n");
    free(out);
    free(err);
    free(url);
    assert_int_equal(vd_stop(d), 0);
}

/* Runs argv on a terminal of cols columns, with NO_COLOR set or not; the
 * output (new string, "\r\n" line ends). */
static char *on_terminal(char *const argv[], int cols, const char *no_color,
                         int *status)
{
    struct winsize ws = {.ws_row = 24, .ws_col = (unsigned short)cols};
    char *buf = NULL, chunk[4096];
    size_t len = 0;
    FILE *mem = open_memstream(&buf, &len);
    int fd;
    ssize_t n;
    pid_t pid = forkpty(&fd, NULL, NULL, &ws);

    assert_true(pid >= 0);
    if (pid == 0) {
        if (no_color != NULL)
            setenv("NO_COLOR", no_color, 1);
        else
            unsetenv("NO_COLOR");
        execv(argv[0], argv);
        _exit(127);
    }
    /* Read until the child closes the terminal (EIO on Linux). */
    while ((n = read(fd, chunk, sizeof(chunk))) > 0 ||
           (n < 0 && errno == EINTR))
        if (n > 0)
            fwrite(chunk, 1, (size_t)n, mem);
    fclose(mem);
    close(fd);
    waitpid(pid, status, 0);
    *status = WEXITSTATUS(*status);
    return buf;
}

/* Colours only on a terminal and without NO_COLOR; the status words are
 * there either way; lines fit the terminal's width. */
static void test_status_colours(void **state)
{
    vd_t *d = daemon_with("  bad: " BAD "\n");
    char *url = base_url(d, "");
    char *argv[] = {(char *)vitals_path(), "status", url, NULL};
    char *out;
    int status;

    (void)state;
    out = on_terminal(argv, 200, NULL, &status);
    assert_int_equal(status, 2);
    assert_non_null(strstr(out, "overall: \033[31munhealthy\033[0m - "
                                "1 unhealthy (bad)\r\n"));
    assert_non_null(strstr(out, "\r\n\033[31munhealthy\033[0m  bad  "));
    free(out);

    out = on_terminal(argv, 200, "1", &status);
    assert_int_equal(status, 2);
    assert_null(strchr(out, '\033'));
    assert_non_null(strstr(out, "\r\nunhealthy  bad  "));
    free(out);

    /* 40 columns: the output is cut, the status word kept. */
    out = on_terminal(argv, 40, "1", &status);
    assert_non_null(strstr(out, "\r\nunhealthy  bad    "));
    for (char *l = out; (l = strstr(l, "\r\n")) != NULL; l += 2) {
        char *next = strstr(l + 2, "\r\n");

        if (next != NULL && strncmp(l + 2, "overall", 7) != 0)
            assert_true(next - (l + 2) <= 40);
    }
    free(out);
    free(url);
    assert_int_equal(vd_stop(d), 0);
}

/* ------------------------------------------------------------------------
 * vitals check
 */

/* A configuration file with these lines (new path). */
static char *config(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *config(const char *fmt, ...)
{
    char *path = strdup("/tmp/vitals-cli-XXXXXX.yaml");
    FILE *f;
    va_list ap;
    int fd = mkstemps(path, 5);

    assert_true(fd >= 0);
    f = fdopen(fd, "w");
    va_start(ap, fmt);
    vfprintf(f, fmt, ap);
    va_end(ap);
    fclose(f);
    return path;
}

#define ALL_CHECKS                                                            \
    "checks:\n"                                                               \
    "  ok: " OK "\n"                                                          \
    "  warn: " WARN "\n"                                                      \
    "  bad: " BAD "\n" PRINTERS                                               \
    "  slow: {type: exec, command: [sleep, \"5\"], timeout: 300ms}\n"         \
    "  backup: {type: push, ttl: 1h}\n"

static void test_check_exit_statuses(void **state)
{
    char *path = config("%s", ALL_CHECKS), *out, *err;
    const char *ok_rows[] = {"healthy|ok|-|T|D|OK - fine", NULL};
    const char *warn_rows[] = {"healthy|ok|-|T|D|OK - fine",
                               "degraded|warn|T|T|D|WARNING - hot", NULL};
    const char *bad_rows[] = {"unhealthy|bad|T|T|D|CRITICAL - down", NULL};

    (void)state;
    assert_int_equal(vitals(&out, &err, "check", "--config", path, "ok",
                            NULL),
                     0);
    assert_table(out,
                 "VITALS OK - 1 check healthy | 'ok:temp'=41.3%;;;0;100",
                 HEADER_OK, ok_rows);
    assert_string_equal(err, "");
    free(out);
    free(err);

    assert_int_equal(vitals(&out, &err, "check", "-c", path, "ok", "warn",
                            NULL),
                     1);
    assert_table(out,
                 "VITALS WARNING - 1 degraded (warn), 1 healthy | "
                 "'ok:temp'=41.3%;;;0;100",
                 "STATUS     CHECK  SINCE     LAST RUN  DURATION  OUTPUT",
                 warn_rows);
    free(out);
    free(err);

    assert_int_equal(vitals(&out, &err, "check", "--config", path, "bad",
                            NULL),
                     2);
    assert_table(out, "VITALS CRITICAL - 1 unhealthy (bad)",
                 "STATUS     CHECK  SINCE     LAST RUN  DURATION  OUTPUT",
                 bad_rows);
    free(out);
    free(err);
    unlink(path);
    free(path);
}

/* Every check but the push check, in parallel, each under its timeout:
 * the 5 s sleep is cut at 300 ms, and the whole run takes about that. */
static void test_check_all_in_parallel(void **state)
{
    char *path = config("%s", ALL_CHECKS), *out, *err;
    const char *rows[] = {"healthy|ok|-|T|D|OK - fine",
                          "degraded|warn|T|T|D|WARNING - hot",
                          "unhealthy|bad|T|T|D|CRITICAL - down",
                          "degraded|printers|T|T|D|1 of 2 members healthy",
                          "healthy|  p1|-|-|-|OK - ready",
                          "unhealthy|  p2|-|-|-|CRITICAL - jammed",
                          "unhealthy|slow|T|T|D|timed out after 300ms", NULL};
    int64_t start = now_ms();

    (void)state;
    assert_int_equal(vitals(&out, &err, "check", "--config", path, NULL), 2);
    assert_true(now_ms() - start < 3000);
    assert_table(out,
                 "VITALS CRITICAL - 2 unhealthy (bad, slow), 2 degraded "
                 "(warn, printers), 1 healthy | 'ok:temp'=41.3%;;;0;100",
                 "STATUS     CHECK     SINCE     LAST RUN  DURATION  OUTPUT",
                 rows);
    free(out);
    free(err);

    /* A push check runs only when named: nothing reports to one run. */
    const char *push_rows[] = {
        "unhealthy|backup|T|T|D|no report yet (expected within 1h)", NULL};
    assert_int_equal(vitals(&out, &err, "check", "--config", path, "backup",
                            NULL),
                     2);
    assert_table(out, "VITALS CRITICAL - 1 unhealthy (backup)",
                 "STATUS     CHECK   SINCE     LAST RUN  DURATION  OUTPUT",
                 push_rows);
    free(out);
    free(err);

    /* --json: the ASP.NET Core HealthReport, as /api/v2/health serves it. */
    assert_int_equal(vitals(&out, &err, "check", "--config", path, "--json",
                            "ok", NULL),
                     0);
    json_t *j = json_loads(out, 0, NULL);
    assert_non_null(j);
    assert_string_equal(json_string_value(json_object_get(j, "status")),
                        "Healthy");
    assert_string_equal(
        json_string_value(json_object_get(
            json_object_get(json_object_get(j, "entries"), "ok"),
            "description")),
        "OK - fine");
    assert_int_equal(json_object_size(json_object_get(j, "entries")), 1);
    json_decref(j);
    free(out);
    free(err);
    unlink(path);
    free(path);
}

/* A configuration that listens on a port already taken, with a long
 * initial delay: check binds nothing and runs at once. */
static void test_check_never_listens(void **state)
{
    int port, fd = listen_any(&port);
    char *path = config("listen: [\"127.0.0.1:%d\"]\n"
                        "checks:\n"
                        "  ok: {type: exec, command: [\"/bin/sh\", \"-c\", "
                        "\"echo 'OK - fine'\"], initial_delay: 1h}\n",
                        port);
    char *out, *err;

    (void)state;
    assert_int_equal(vitals(&out, &err, "check", "--config", path, NULL), 0);
    char *first = line_of(out, 0);
    assert_string_equal(first, "VITALS OK - 1 check healthy");
    free(first);
    free(out);
    free(err);
    close(fd);
    unlink(path);
    free(path);
}

static void test_check_unknown(void **state)
{
    char *path = config("%s", ALL_CHECKS), *bad = config("checks:\n"
                                                   "  a: {type: nope}\n"
                                                   "  b: {type: tcp}\n");
    char *out, *err, want[1024];

    (void)state;
    assert_int_equal(vitals(&out, &err, "check", "--config", path, "ok",
                            "nope", NULL),
                     3);
    snprintf(want, sizeof(want),
             "VITALS UNKNOWN - no check named 'nope' in %s\n", path);
    assert_string_equal(out, want);
    free(out);
    free(err);

    /* Configuration errors: the first on the status line, all on
     * stderr with their positions. */
    assert_int_equal(vitals(&out, &err, "check", "--config", bad, NULL), 3);
    snprintf(want, sizeof(want),
             "VITALS UNKNOWN - %s:2:13: check 'a': unknown check type "
             "'nope' (known: disk, dns, exec, expiry, file, group, http, "
             "mysql, postgres, process, push, redis, remote, sqlite, "
             "system, tcp, tls) (and 1 more)\n",
             bad);
    assert_string_equal(out, want);
    assert_int_equal(count_lines(err), 2);
    snprintf(want, sizeof(want),
             "%s:3:6: check 'b': missing required key 'address'\n", bad);
    assert_non_null(strstr(err, want));
    free(out);
    free(err);

    assert_int_equal(vitals(&out, &err, "check", "--config",
                            "/nonexistent/vitals.yaml", NULL),
                     3);
    assert_string_equal(out, "VITALS UNKNOWN - /nonexistent/vitals.yaml: "
                             "cannot read: No such file or directory\n");
    free(out);
    free(err);
    unlink(path);
    unlink(bad);
    free(path);
    free(bad);
}

/* ------------------------------------------------------------------------
 * vitals probe
 */

/* probe URL (with options before it): asserts its stdout and exit. */
static void assert_probe(const char *url, const char *option,
                         const char *want, int code)
{
    char *out, *err;
    int rc = option ? vitals(&out, &err, "probe", option, url, NULL)
                    : vitals(&out, &err, "probe", url, NULL);

    if (strcmp(out, want) != 0 || rc != code)
        fail_msg("probe %s: got %d '%s', want %d '%s'", url, rc, out, code,
                 want);
    free(out);
    free(err);
}

/* A probe of a daemon's path, and what it must print and exit. */
typedef struct probe_case {
    const char *path, *option, *want;
    int code;
} probe_case_t;

/* Probes each case (up to one with no path) of the daemon with checks. */
static void probe_cases(const char *checks, const probe_case_t *c)
{
    vd_t *d = daemon_with(checks);

    for (; c->path != NULL; c++) {
        char *url = base_url(d, c->path);

        assert_probe(url, c->option, c->want, c->code);
        free(url);
    }
    assert_int_equal(vd_stop(d), 0);
}

/* The body decides as much as the HTTP status: a HealthReport served 200
 * but Unhealthy fails. Every format, healthy and not. */
static void test_probe_reads_every_format(void **state)
{
    const probe_case_t unhealthy[] = {
        {"/health", NULL, "503 fail\n", 1},
        {"/api/v2/health", NULL, "200 Unhealthy\n", 1},
        {"/ext/health", NULL, "503 healthy:false\n", 1},
        {"/api/v1/health/check", NULL, "500 healthy:false\n", 1},
        {"/health/status", NULL, "503 fail\n", 1},
        {"/readyz", NULL, "500 -\n", 1},
        /* Liveness does not depend on an untagged check. */
        {"/livez", NULL, "200 ok\n", 0},
        {NULL, NULL, NULL, 0}};
    const probe_case_t healthy[] = {
        {"/health", NULL, "200 pass\n", 0},
        {"/api/v2/health", NULL, "200 Healthy\n", 0},
        {"/ext/health", NULL, "200 healthy:true\n", 0},
        {"/api/v1/health/check", NULL, "200 healthy:true\n", 0},
        {"/livez", NULL, "200 ok\n", 0},
        {"/nothing", NULL, "404 -\n", 1},
        {NULL, NULL, NULL, 0}};

    (void)state;
    probe_cases("  bad: " BAD "\n", unhealthy);
    probe_cases("  ok: " OK "\n", healthy);
}

static void test_probe_degraded(void **state)
{
    const probe_case_t degraded[] = {
        {"/health", NULL, "200 warn\n", 0},
        {"/api/v2/health", NULL, "200 Degraded\n", 0},
        {"/health", "--degraded-fails", "200 warn\n", 1},
        {"/api/v2/health", "--degraded-fails", "200 Degraded\n", 1},
        {NULL, NULL, NULL, 0}};

    (void)state;
    probe_cases("  warn: " WARN "\n", degraded);
}

/* Only http and https, at once; usage errors exit 1, never 2. */
static void test_probe_refuses(void **state)
{
    char *out, *err;
    int64_t start = now_ms();

    (void)state;
    assert_probe("ftp://127.0.0.1/", NULL,
                 "error: only http:// and https:// URLs can be probed, not "
                 "'ftp://127.0.0.1/'\n",
                 1);
    assert_probe("file:///etc/passwd", NULL,
                 "error: only http:// and https:// URLs can be probed, not "
                 "'file:///etc/passwd'\n",
                 1);
    assert_true(now_ms() - start < 1000);

    assert_int_equal(vitals(&out, &err, "probe", NULL), 1);
    assert_string_equal(err, "vitals probe: needs one URL\n"
                             "Try 'vitals probe --help'.\n");
    free(out);
    free(err);
    assert_int_equal(vitals(&out, &err, "probe", "--timeout", "soon",
                            "http://127.0.0.1/", NULL),
                     1);
    assert_string_equal(err, "vitals probe: invalid timeout 'soon' (e.g. "
                             "500ms, 5s)\nTry 'vitals probe --help'.\n");
    free(out);
    free(err);
    assert_int_equal(vitals(&out, &err, "probe", "--nope",
                            "http://127.0.0.1/", NULL),
                     1);
    assert_string_equal(err, "vitals probe: unknown option '--nope'\n"
                             "Try 'vitals probe --help'.\n");
    free(out);
    free(err);
    assert_int_equal(vitals(&out, &err, "probe", "http://127.0.0.1/",
                            "--timeout", NULL),
                     1);
    assert_string_equal(err, "vitals probe: option '--timeout' needs a "
                             "value\nTry 'vitals probe --help'.\n");
    free(out);
    free(err);
}

/* ------------------------------------------------------------------------
 * Usage
 */

static void test_help_for_every_command(void **state)
{
    const char *cmds[] = {"status", "check", "probe"};
    char *out, *err, *out2, want[64];

    (void)state;
    for (size_t i = 0; i < 3; i++) {
        snprintf(want, sizeof(want), "usage: vitals %s ", cmds[i]);
        assert_int_equal(vitals(&out, &err, cmds[i], "--help", NULL), 0);
        assert_true(strncmp(out, want, strlen(want)) == 0);
        assert_int_equal(vitals(&out2, NULL, "help", cmds[i], NULL), 0);
        assert_string_equal(out, out2);
        free(out);
        free(out2);
        free(err);
    }
    assert_int_equal(vitals(&out, &err, "--help", NULL), 0);
    assert_true(strncmp(out, "usage: vitals status ", 21) == 0);
    assert_non_null(strstr(out, "\n       vitals probe "));
    free(out);
    free(err);
    assert_int_equal(vitals(&out, &err, "--version", NULL), 0);
    assert_string_equal(out, "vitals 0.1.0\n");
    free(out);
    free(err);
}

/* Unknown or missing commands: named, the commands listed, exit 1 (2 is
 * Docker's). */
static void test_unknown_command(void **state)
{
    const char *list = "commands:\n"
                       "  status  show every check of a running vitalsd as "
                       "a table\n"
                       "  check   run the configured checks once, without a "
                       "daemon (a Nagios plugin)\n"
                       "  probe   exit 0 when a health URL says healthy "
                       "(Docker HEALTHCHECK)\n"
                       "  maint   put a running vitalsd in maintenance, or "
                       "end it\n"
                       "  drain   fail a running vitalsd's readiness for "
                       "good\n";
    char *out, *err, want[768];

    (void)state;
    assert_int_equal(vitals(&out, &err, "x", NULL), 1);
    snprintf(want, sizeof(want), "vitals: unknown command 'x'\n\n%s", list);
    assert_string_equal(err, want);
    assert_string_equal(out, "");
    free(out);
    free(err);
    assert_int_equal(vitals(&out, &err, "help", "x", NULL), 1);
    assert_string_equal(err, want);
    free(out);
    free(err);
    assert_int_equal(vitals(&out, &err, NULL), 1);
    assert_true(strncmp(err, "usage: vitals status ", 21) == 0);
    assert_non_null(strstr(err, list));
    free(out);
    free(err);
    /* status and check are Nagios plugins: a usage error is UNKNOWN. */
    assert_int_equal(vitals(&out, &err, "status", "--nope", NULL), 3);
    free(out);
    free(err);
    assert_int_equal(vitals(&out, &err, "check", "--nope", NULL), 3);
    free(out);
    free(err);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_status_healthy),
        cmocka_unit_test(test_status_degraded),
        cmocka_unit_test(test_status_unhealthy),
        cmocka_unit_test(test_status_unreachable),
        cmocka_unit_test(test_status_watch),
        cmocka_unit_test(test_status_colours),
        cmocka_unit_test(test_check_exit_statuses),
        cmocka_unit_test(test_check_all_in_parallel),
        cmocka_unit_test(test_check_never_listens),
        cmocka_unit_test(test_check_unknown),
        cmocka_unit_test(test_probe_reads_every_format),
        cmocka_unit_test(test_probe_degraded),
        cmocka_unit_test(test_probe_refuses),
        cmocka_unit_test(test_help_for_every_command),
        cmocka_unit_test(test_unknown_command),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
