/* harness.c - integration test support (see harness.h). */
#include "harness.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int64_t now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

const char *vitalsd_path(void)
{
    const char *p = getenv("VITALSD");
    return p ? p : "build/vitalsd";
}

const char *vitals_path(void)
{
    const char *p = getenv("VITALS");
    return p ? p : "build/vitals";
}

static char *read_all(const char *path)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    size_t len = 0;

    if (f == NULL)
        return strdup("");
    FILE *mem = open_memstream(&buf, &len);
    char chunk[4096];
    size_t n;
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
        fwrite(chunk, 1, n, mem);
    fclose(f);
    fclose(mem);
    return buf;
}

/* Daemons still running, killed at exit when a failed test skipped
 * vd_stop (cmocka leaves a test by longjmp). */
static pid_t live[64];

static void kill_leftovers(void)
{
    for (size_t i = 0; i < sizeof(live) / sizeof(live[0]); i++)
        if (live[i] > 0) {
            kill(live[i], SIGKILL);
            waitpid(live[i], NULL, 0);
        }
}

static void track(pid_t pid, pid_t old)
{
    static int registered;

    if (!registered) {
        atexit(kill_leftovers);
        registered = 1;
    }
    for (size_t i = 0; i < sizeof(live) / sizeof(live[0]); i++)
        if (live[i] == old) {
            live[i] = pid;
            return;
        }
}

void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");

    assert_non_null(f);
    fputs(text, f);
    assert_int_equal(fclose(f), 0);
}

static void vwrite_config(vd_t *d, const char *fmt, va_list ap)
{
    char *text = NULL;

    assert_true(vasprintf(&text, fmt, ap) >= 0);
    /* Write to a new file and rename, so a reload never reads half. */
    char tmp[160];
    snprintf(tmp, sizeof(tmp), "%s.tmp", d->config);
    write_file(tmp, text);
    assert_int_equal(rename(tmp, d->config), 0);
    free(text);
}

void vd_write_config(vd_t *d, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vwrite_config(d, fmt, ap);
    va_end(ap);
}

vd_t *vd_start(const char *fmt, ...)
{
    vd_t *d = calloc(1, sizeof(*d));
    va_list ap;

    assert_non_null(d);
    snprintf(d->dir, sizeof(d->dir), "/tmp/vitals-test-XXXXXX");
    assert_non_null(mkdtemp(d->dir));
    snprintf(d->config, sizeof(d->config), "%s/vitals.yaml", d->dir);
    snprintf(d->log, sizeof(d->log), "%s/stderr.log", d->dir);
    va_start(ap, fmt);
    vwrite_config(d, fmt, ap);
    va_end(ap);

    d->pid = fork();
    assert_true(d->pid >= 0);
    track(d->pid, 0);
    if (d->pid == 0) {
        int fd = open(d->log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        dup2(fd, 2);
        /* Each daemon keeps its state (the history's file) in its own
         * directory, never in a state directory shared by every test. */
        setenv("STATE_DIRECTORY", d->dir, 1);
        execl(vitalsd_path(), "vitalsd", "--config", d->config, "--log-level",
              "debug", (char *)NULL);
        _exit(127);
    }
    /* Wait for "listening on ... (port N)". */
    for (int64_t until = now_ms() + 10000; now_ms() < until;) {
        char *log = read_all(d->log), *p = strstr(log, "(port ");

        if (p != NULL)
            d->port = atoi(p + 6);
        free(log);
        if (d->port > 0)
            return d;
        if (waitpid(d->pid, NULL, WNOHANG) == d->pid) {
            char *l = read_all(d->log);
            fail_msg("vitalsd exited at start:\n%s", l);
        }
        usleep(10000);
    }
    fail_msg("vitalsd did not start listening within 10 s");
    return NULL;
}

void vd_signal(vd_t *d, int sig)
{
    kill(d->pid, sig);
}

int vd_stop(vd_t *d)
{
    int status = 0, rc = -1;

    if (d == NULL)
        return -1;
    /* The first SIGTERM drains (shutdown_delay); once the daemon logs
     * that, a second one stops it at once, as an impatient operator's
     * would: tests need not wait out the delay. */
    int again = 0;

    /* pid 0: the test reaped the daemon itself; only clean up. */
    for (int64_t until = now_ms() + 10000; d->pid > 0 && now_ms() < until;) {
        if (again == 0) {
            kill(d->pid, SIGTERM);
            again = -1;
        }
        if (waitpid(d->pid, &status, WNOHANG) == d->pid) {
            rc = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
            break;
        }
        if (again < 1 && vd_log_wait(d, "draining for", 0)) {
            kill(d->pid, SIGTERM);
            again = 1;
        }
        usleep(5000);
    }
    if (rc == -1 && d->pid > 0) {
        kill(d->pid, SIGKILL);
        waitpid(d->pid, NULL, 0);
    }
    track(0, d->pid);
    /* The daemon is built with the sanitizers: any report fails the test. */
    char *log = read_all(d->log);
    int dirty = strstr(log, "Sanitizer") != NULL ||
                strstr(log, "runtime error:") != NULL;
    if (dirty)
        fprintf(stderr, "vitalsd reported:\n%s\n", log);
    free(log);
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", d->dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", d->dir);
    free(d);
    if (dirty)
        fail_msg("vitalsd reported a sanitizer error (above)");
    return rc;
}

char *vd_log(vd_t *d)
{
    return read_all(d->log);
}

int vd_log_wait(vd_t *d, const char *text, int timeout_ms)
{
    for (int64_t until = now_ms() + timeout_ms;;) {
        char *log = read_all(d->log);
        int found = strstr(log, text) != NULL;

        free(log);
        if (found)
            return 1;
        if (now_ms() >= until)
            return 0;
        usleep(10000);
    }
}

static size_t collect(char *p, size_t size, size_t n, void *arg)
{
    FILE *f = arg;
    return fwrite(p, size, n, f);
}

vresp_t vd_request(vd_t *d, const char *method, const char *path,
                   const char *body, const char *const *headers)
{
    vresp_t r = {0};
    size_t hlen = 0;
    FILE *bf = open_memstream(&r.body, &r.len);
    FILE *hf = open_memstream(&r.headers, &hlen);
    struct curl_slist *list = NULL;
    char *url = NULL;
    CURL *c = curl_easy_init();

    assert_non_null(c);
    assert_true(asprintf(&url, "%s://127.0.0.1:%d%s",
                         d->cafile ? "https" : "http", d->port, path) > 0);
    if (d->cafile != NULL)
        curl_easy_setopt(c, CURLOPT_CAINFO, d->cafile);
    if (d->source != NULL)
        curl_easy_setopt(c, CURLOPT_INTERFACE, d->source);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 5000L);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, bf);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, collect);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, hf);
    if (method != NULL && strcmp(method, "HEAD") == 0)
        curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
    else if (method != NULL)
        curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    if (body != NULL)
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
    for (size_t i = 0; headers != NULL && headers[i] != NULL; i++)
        list = curl_slist_append(list, headers[i]);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, list);
    CURLcode rc = curl_easy_perform(c);
    if (rc != CURLE_OK)
        fail_msg("%s %s: %s", method ? method : "GET", path,
                 curl_easy_strerror(rc));
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r.status);
    curl_slist_free_all(list);
    curl_easy_cleanup(c);
    free(url);
    fclose(bf);
    fclose(hf);
    return r;
}

vresp_t vd_get(vd_t *d, const char *path)
{
    return vd_request(d, NULL, path, NULL, NULL);
}

void vresp_free(vresp_t *r)
{
    free(r->body);
    free(r->headers);
    memset(r, 0, sizeof(*r));
}

char *vresp_header(const vresp_t *r, const char *name)
{
    size_t nlen = strlen(name);

    for (const char *line = r->headers; line && *line;) {
        const char *eol = strstr(line, "\r\n");
        size_t len = eol ? (size_t)(eol - line) : strlen(line);

        if (len > nlen && strncasecmp(line, name, nlen) == 0 &&
            line[nlen] == ':') {
            const char *v = line + nlen + 1;
            while (*v == ' ')
                v++;
            return strndup(v, len - (size_t)(v - line));
        }
        line = eol ? eol + 2 : line + len;
    }
    return NULL;
}

json_t *vresp_json(const vresp_t *r)
{
    json_error_t err;
    json_t *j = json_loads(r->body ? r->body : "", 0, &err);

    if (j == NULL)
        fail_msg("not JSON (%s): %s", err.text, r->body ? r->body : "");
    return j;
}

json_t *vd_poll(vd_t *d, const char *path,
                int (*pred)(json_t *j, void *arg), void *arg, int timeout_ms)
{
    json_t *j = NULL;

    for (int64_t until = now_ms() + timeout_ms;;) {
        vresp_t r = vd_get(d, path);

        json_decref(j);
        j = vresp_json(&r);
        vresp_free(&r);
        if (pred(j, arg) || now_ms() >= until)
            return j;
        usleep(20000);
    }
}

static char *drain(int fd)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&buf, &len);
    char chunk[4096];
    ssize_t n;

    while ((n = read(fd, chunk, sizeof(chunk))) > 0)
        fwrite(chunk, 1, (size_t)n, mem);
    fclose(mem);
    close(fd);
    return buf;
}

int run_cmd(char *const argv[], char **out, char **err)
{
    char tmpl_err[] = "/tmp/vitals-err-XXXXXX";
    int po[2], fe = mkstemp(tmpl_err), status;
    pid_t pid;

    assert_true(fe >= 0);
    unlink(tmpl_err);
    assert_int_equal(pipe(po), 0);
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        dup2(po[1], 1);
        dup2(fe, 2);
        close(po[0]);
        execv(argv[0], argv);
        _exit(127);
    }
    close(po[1]);
    char *o = drain(po[0]);
    waitpid(pid, &status, 0);
    lseek(fe, 0, SEEK_SET);
    char *e = drain(fe);
    if (out)
        *out = o;
    else
        free(o);
    if (err)
        *err = e;
    else
        free(e);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

int listen_any(int *port)
{
    struct sockaddr_in sa = {0};
    socklen_t len = sizeof(sa);
    int fd = socket(AF_INET, SOCK_STREAM, 0);

    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    assert_int_equal(listen(fd, 64), 0);
    getsockname(fd, (struct sockaddr *)&sa, &len);
    *port = ntohs(sa.sin_port);
    return fd;
}

int closed_port(void)
{
    int port, fd = listen_any(&port);

    close(fd);
    return port;
}

void assert_schema(const char *schema, const char *body)
{
    /* Every schema in the folder is registered by its $id, so one can
     * refer to another (jsonrpc.json uses avalanche.json). */
    static const char script[] =
        "import glob, json, os, sys, jsonschema\n"
        "store = {}\n"
        "for f in glob.glob(os.path.join(os.path.dirname(sys.argv[1]), "
        "'*.json')):\n"
        "    s = json.load(open(f)); store[s['$id']] = s\n"
        "schema = json.load(open(sys.argv[1]))\n"
        "jsonschema.Draft202012Validator.check_schema(schema)\n"
        "r = jsonschema.RefResolver.from_schema(schema, store=store)\n"
        "v = jsonschema.Draft202012Validator(schema, resolver=r)\n"
        "errors = sorted(v.iter_errors(json.load(open(sys.argv[2]))), "
        "key=str)\n"
        "for e in errors: print(list(e.absolute_path), e.message)\n"
        "sys.exit(1 if errors else 0)\n";
    char spath[512], bpath[] = "/tmp/vitals-body-XXXXXX", *out = NULL;
    const char *src = getenv("VITALS_SRC");
    int fd = mkstemp(bpath), rc;

    assert_true(fd >= 0);
    close(fd);
    write_file(bpath, body);
    snprintf(spath, sizeof(spath), "%s/docs/schemas/%s", src ? src : ".",
             schema);
    char *argv[] = {"/usr/bin/python3", "-c", (char *)script, spath, bpath,
                    NULL};
    rc = run_cmd(argv, &out, NULL);
    unlink(bpath);
    if (rc != 0)
        fail_msg("%s does not validate against %s:\n%s", body, schema,
                 out ? out : "");
    free(out);
}

void sh(const char *fmt, ...)
{
    char *cmd = NULL;
    va_list ap;
    int rc;

    va_start(ap, fmt);
    assert_true(vasprintf(&cmd, fmt, ap) >= 0);
    va_end(ap);
    rc = system(cmd);
    if (rc != 0)
        fail_msg("command failed (%d): %s", rc, cmd);
    free(cmd);
}
