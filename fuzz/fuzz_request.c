/* fuzz_request.c - whole HTTP requests through the real server path:
 * libmicrohttpd parses them and server.c routes them, applies the request
 * rules, access control (allow list, bearer tokens, client id, trusted
 * proxies), Accept negotiation, and lets the endpoints answer (bodies for
 * POST /ext/health and PUT /health/<name> included).
 *
 * No port: two instances with the checks of fixture.c are served by
 * vserver_start_unbound, and each input is written, as raw bytes, into one
 * end of a socketpair whose other end is handed to libmicrohttpd with
 * MHD_add_connection. Once the server has read it all, the target
 * half-closes its end, and reads the response(s) until libmicrohttpd
 * closes the connection.
 *
 * The first input byte picks the instance (bit 0: open, or protected) and
 * the peer address (bits 1-2: 127.0.0.1, a trusted proxy; 10.1.2.3 and
 * ::1, on the allow list; 192.0.2.1, on no list); the rest is the request.
 *
 * Asserts that every request is answered or closed within DEADLINE_MS
 * once the client has sent it all, that every answer starts with an HTTP
 * status line, and that the protected instance never shows what a check
 * said to a request that carries no bearer token. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/sockios.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "fixture.h"
#include "instance.h"
#include "jose.h"

/* How long one input may take to be answered: far more than any answer
 * needs, far less than libFuzzer's -timeout. */
#define DEADLINE_MS 3000
/* The same for a request line longer than the instance's max_uri_bytes,
 * or with more than VSERVER_MAX_QUERY_ARGS query arguments: libmicrohttpd
 * 0.9.75 neither answers nor closes when the records of its query
 * arguments do not fit the connection's memory (server.c sizes it for
 * what health clients send); the watch closes such a connection after
 * read_timeout, as it would a slow client. */
#define OVERSIZED_DEADLINE_MS 200
#define KEEP 65536 /* bytes of the response kept for the checks */

static struct MHD_Daemon *daemons[2];
static const size_t max_uri[2] = {2048, 512}; /* as the settings say */
static int show; /* VITALS_FUZZ_SHOW set: print each response to stderr */

static const char open_settings[] =
    "{\"access_log\": true,"
    " \"access\": {\"trusted_proxies\": [\"127.0.0.1/32\"]},"
    " \"endpoints\": {\"report\": {\"status_codes\": {\"Unhealthy\": 503,"
    " \"Degraded\": 207}}}}";

/* %s: the secret file. */
static const char protected_settings[] =
    "{\"access_log\": true,"
    " \"access\": {\"health_allow_list\": \"10.0.0.0/8, 127.0.0.1, ::1\","
    "  \"details\": \"when-authorized\","
    "  \"bearer\": {\"secret_file\": \"%s\", \"issuer\": \"" VFUZZ_ISSUER
    "\", \"audience\": \"" VFUZZ_AUDIENCE "\", \"scope\": \"" VFUZZ_SCOPE
    "\", \"leeway\": \"30s\"},"
    "  \"client_id_header\": \"x-client-id\","
    "  \"rate_limit\": {\"per_second\": 1000000, \"burst\": 1000000},"
    "  \"trusted_proxies\": [\"127.0.0.1/32\", \"10.0.0.0/8\"]},"
    " \"endpoints\": {\"report\": {\"auth\": \"bearer\"},"
    "  \"ietf\": {\"auth\": \"open\"},"
    "  \"mosparo\": {\"auth\": [\"allow_list\", \"bearer\"],"
    "   \"database_check\": \"db\"},"
    "  \"readyz\": {\"path\": \"/ready\"}},"
    " \"limits\": {\"max_uri_bytes\": 512, \"max_header_bytes\": 2048}}";

/* What the checks of fixture.c say, that no anonymous caller of the
 * protected instance may read. */
static const char *const secrets[] = {"freeMegabytes", "replica lag",
                                      "behind", "inodes"};

static void quiet(vitals_log_level_t level, const char *msg, void *data)
{
    (void)level;
    (void)data;
    (void)strlen(msg); /* the line was formatted: reading it is enough */
}

/* The instances served, for the life of the process. */
static vitals_t *instances[2];

static struct MHD_Daemon *serve(vitals_t **slot, const char *settings)
{
    vitals_t *v = *slot = vfuzz_instance();
    struct MHD_Daemon *d;
    char *err = NULL;

    vitals_set_log(v, quiet, NULL);
    if (vitals_set_http(v, settings, &err) != VITALS_OK) {
        fprintf(stderr, "fuzz: settings refused: %s\n", err ? err : "?");
        abort();
    }
    if ((d = vinstance_serve_unbound(v)) == NULL)
        abort();
    return d;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    char path[64], *settings = NULL;
    int fd;

    (void)argc;
    (void)argv;
    signal(SIGPIPE, SIG_IGN);
    show = getenv("VITALS_FUZZ_SHOW") != NULL;
    daemons[0] = serve(&instances[0], open_settings);
    vfuzz_memfile(vfuzz_secret, strlen(vfuzz_secret), path, sizeof(path),
                  &fd);
    if (asprintf(&settings, protected_settings, path) < 0)
        abort();
    daemons[1] = serve(&instances[1], settings);
    close(fd);
    free(settings);
    return 0;
}

static int64_t now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The peer libmicrohttpd is told about. */
static socklen_t peer(int which, struct sockaddr_storage *ss)
{
    static const char *const v4[] = {"127.0.0.1", "10.1.2.3", "192.0.2.1"};

    memset(ss, 0, sizeof(*ss));
    if (which == 3) {
        struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

        s6->sin6_family = AF_INET6;
        s6->sin6_port = htons(40000);
        inet_pton(AF_INET6, "::1", &s6->sin6_addr);
        return sizeof(*s6);
    }
    struct sockaddr_in *s4 = (struct sockaddr_in *)ss;

    s4->sin_family = AF_INET;
    s4->sin_port = htons(40000);
    inet_pton(AF_INET, v4[which], &s4->sin_addr);
    return sizeof(*s4);
}

/* The length of the first request's URI: from the first space to the
 * next space or line end. */
static size_t uri_length(const uint8_t *in, size_t len)
{
    const uint8_t *sp = memchr(in, ' ', len), *end;

    if (sp == NULL)
        return 0;
    for (end = sp + 1; end < in + len && *end != ' ' && *end != '\r' &&
                       *end != '\n';
         end++)
        ;
    return (size_t)(end - sp - 1);
}

/* The query arguments of the first request's URI (an upper bound: every
 * '&' or ';' after the '?' may start one). */
static size_t query_args(const uint8_t *in, size_t len)
{
    const uint8_t *sp = memchr(in, ' ', len), *q;
    size_t n = 1;

    if (sp == NULL || (q = memchr(sp, '?', len - (size_t)(sp - in))) == NULL)
        return 0;
    for (; q < in + len && *q != ' ' && *q != '\r' && *q != '\n'; q++)
        n += *q == '&' || *q == ';';
    return n;
}

/* 1 when in[0..len) starts with a whole request: a head ended by a blank
 * line, and as many body bytes as a Content-Length says. libmicrohttpd
 * waits for the rest of a partial request even after the client
 * half-closed (the watch closes it after read_timeout), and a chunked body
 * is not worth counting here: neither must be answered at once. */
static int whole_request(const uint8_t *in, size_t len)
{
    const char *text = (const char *)in, *end;
    char *head_text, *stop;
    size_t head, want = 0;
    int whole = 1;

    if ((end = memmem(text, len, "\n\r\n", 3)) != NULL)
        head = (size_t)(end - text) + 3;
    else if ((end = memmem(text, len, "\n\n", 2)) != NULL)
        head = (size_t)(end - text) + 2;
    else
        return 0;
    if (memmem(text, head, "\0", 1) != NULL ||
        (head_text = strndup(text, head)) == NULL)
        return 0; /* the searches below stop at a NUL */
    if (strcasestr(head_text, "transfer-encoding") != NULL)
        whole = 0;
    else if ((end = strcasestr(head_text, "\ncontent-length:")) != NULL) {
        want = strtoul(end + 16, &stop, 10);
        /* Unclear: libmicrohttpd may read it otherwise. */
        if (stop == end + 16 || (*stop != '\r' && *stop != '\n'))
            whole = 0;
    }
    free(head_text);
    return whole && len - head >= want;
}

/* Writes in[0..len) to fd and reads what comes back into out (up to KEEP
 * bytes kept) until the server closes, or until deadline_ms pass (*hung is
 * then set). Returns how many bytes were kept. */
static size_t exchange(int fd, const uint8_t *in, size_t len, char *out,
                       int64_t deadline_ms, int *hung)
{
    int64_t deadline = now_ms() + deadline_ms;
    size_t sent = 0, kept = 0;
    int write_open = 1;

    for (;;) {
        struct pollfd p = {fd, POLLIN, 0};
        int64_t left = deadline - now_ms();
        int unread = 0, wait;
        char buf[16384];
        ssize_t n;

        /* The request is all there is: say so once the server has read
         * it all. libmicrohttpd polls edge-triggered, so an end of input
         * that arrives with the last bytes of a partial request would go
         * unnoticed; arriving on its own, it makes the server close. */
        if (write_open && sent == len &&
            (ioctl(fd, SIOCOUTQ, &unread) != 0 || unread == 0)) {
            shutdown(fd, SHUT_WR);
            write_open = 0;
        }
        if (write_open && sent < len)
            p.events |= POLLOUT;
        wait = write_open && sent == len ? 1 : (int)left;
        if (left <= 0 || (poll(&p, 1, wait) == 0 && wait == (int)left)) {
            *hung = 1;
            break;
        }
        if (write_open && (p.revents & (POLLOUT | POLLERR))) {
            n = send(fd, in + sent, len - sent, MSG_NOSIGNAL);
            if (n > 0)
                sent += (size_t)n;
            else if (errno != EAGAIN && errno != EINTR)
                write_open = 0; /* the server stopped reading */
        }
        if (p.revents & (POLLIN | POLLHUP | POLLERR)) {
            n = recv(fd, buf, sizeof(buf), 0);
            if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
                break;
            if (n > 0 && kept < KEEP) {
                size_t take = (size_t)n < KEEP - kept ? (size_t)n
                                                      : KEEP - kept;

                memcpy(out + kept, buf, take);
                kept += take;
            }
        }
    }
    return kept;
}

static void check_response(int protected, const uint8_t *in, size_t len,
                           const char *out, size_t kept)
{
    if (kept > 0 && (kept < 9 || memcmp(out, "HTTP/1.", 7) != 0))
        abort(); /* not an HTTP answer */
    if (!protected || memmem(in, len, "earer", 5) != NULL)
        return;
    for (size_t i = 0; i < sizeof(secrets) / sizeof(*secrets); i++) {
        size_t n = strlen(secrets[i]);

        if (memmem(out, kept, secrets[i], n) != NULL &&
            memmem(in, len, secrets[i], n) == NULL) {
            fprintf(stderr, "fuzz: \"%s\" shown without a token\n",
                    secrets[i]);
            abort();
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static char out[KEEP];
    struct sockaddr_storage ss;
    socklen_t sslen;
    int fds[2], protected, oversized, hung = 0;
    size_t kept;

    if (size == 0)
        return 0;
    protected = data[0] & 1;
    sslen = peer((data[0] >> 1) & 3, &ss);
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0)
        abort();
    fcntl(fds[0], F_SETFL, O_NONBLOCK);
    /* libmicrohttpd owns fds[1] from now on, even when this fails. */
    if (MHD_add_connection(daemons[protected], fds[1],
                           (const struct sockaddr *)&ss, sslen) != MHD_YES) {
        close(fds[0]);
        return 0;
    }
    oversized = uri_length(data + 1, size - 1) > max_uri[protected] ||
                query_args(data + 1, size - 1) > VSERVER_MAX_QUERY_ARGS;
    kept = exchange(fds[0], data + 1, size - 1, out,
                    oversized ? OVERSIZED_DEADLINE_MS : DEADLINE_MS, &hung);
    close(fds[0]);
    /* A whole request, within the limits, must get an answer. */
    if (hung && !oversized && kept == 0 && whole_request(data + 1, size - 1)) {
        fprintf(stderr, "fuzz: no answer and no close within %d ms\n",
                DEADLINE_MS);
        abort();
    }
    if (show)
        fprintf(stderr, "--- %zu bytes\n%.*s\n", kept, (int)kept, out);
    check_response(protected, data + 1, size - 1, out, kept);
    return 0;
}
