/* tls.c - the "tls" check type: the certificate a TLS server presents (or
 * one in a PEM file), how long until it expires, and whether it verifies
 * for the host. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* timegm; the GNU strerror_r, which returns the text */
#endif

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "checks/check_type.h"
#include "util/resolve.h"

#define DAY_S 86400LL
/* A PEM file with a certificate and its chain is a few kilobytes; more is
 * not a certificate file. */
#define PEM_MAX (1024 * 1024)

typedef struct tls {
    char *address; /* host:port as configured, for messages; or NULL */
    char *host;    /* without brackets; the SNI and the name verified */
    char *port;
    int host_is_ip; /* no SNI for an address; verify it as an IP */
    char *file;     /* a PEM certificate instead of a server; or NULL */
    char *ca_file;  /* NULL: the system's CAs */
    int verify;
    int64_t degraded_within_ms;
    SSL_CTX *ctx; /* for address: made once, with the trust store loaded */
} tls_t;

/* Frees what tls_prepare derived. */
static void tls_clear(void *state)
{
    tls_t *t = state;

    free(t->host);
    free(t->port);
    SSL_CTX_free(t->ctx);
}

/* ------------------------------------------------------------------------
 * Configuration
 */

/* An IP literal (an IPv6 one perhaps with a %zone): such a host gets no
 * SNI (RFC 6066 forbids it) and is verified against the certificate's IP
 * addresses instead of its names. */
static int is_ip_literal(const char *host)
{
    unsigned char buf[sizeof(struct in6_addr)];
    char plain[INET6_ADDRSTRLEN];
    size_t n = strcspn(host, "%");

    if (n >= sizeof(plain))
        return 0;
    memcpy(plain, host, n);
    plain[n] = '\0';
    return inet_pton(AF_INET, plain, buf) == 1 ||
           inet_pton(AF_INET6, plain, buf) == 1;
}

static int read_address(vnode_t *settings, tls_t *t, verrs_t *e)
{
    int rc = vsplit_address(t->address, &t->host, &t->port);

    if (rc == -1)
        verrs_add(e, vnode_get(settings, "address"),
                  "'address': expected host:port, got \"%s\"", t->address);
    else if (rc == -2)
        verrs_add(e, settings, "out of memory");
    if (rc == 0)
        t->host_is_ip = is_ip_literal(t->host);
    return rc == 0 ? 0 : -1;
}


static int make_ctx(tls_t *t, char *why, size_t len);

/* Seed 001: healthy with more than 14 days left, degraded up to 14. */
static const vsetting_t tls_settings[] = {
    {.key = "address", .kind = VSET_STR, .offset = offsetof(tls_t, address),
     .flags = VSET_ONEOF},
    {.key = "file", .kind = VSET_STR, .offset = offsetof(tls_t, file),
     .flags = VSET_ONEOF | VSET_NONEMPTY},
    {.key = "verify", .kind = VSET_BOOL, .offset = offsetof(tls_t, verify)},
    {.key = "ca_file", .kind = VSET_STR, .offset = offsetof(tls_t, ca_file),
     .flags = VSET_NONEMPTY},
    {.key = "degraded_within", .kind = VSET_DURATION,
     .offset = offsetof(tls_t, degraded_within_ms), .def = "14d"},
    {0}};

static int tls_prepare(void *state, vnode_t *settings, verrs_t *e)
{
    char why[512];
    tls_t *t = state;

    /* A server is verified by default, as any client would; a file is
     * often a certificate deployed for a server to use, whose chain the
     * host of the check may not have. */
    if (vnode_get(settings, "verify") == NULL)
        t->verify = t->address != NULL;
    /* A CA file that is never used is a mistake worth saying. */
    if (t->ca_file != NULL && !t->verify) {
        verrs_add(e, vnode_get(settings, "ca_file"),
                  "'ca_file' goes with verify: true");
        return -1;
    }
    if (t->address == NULL)
        return 0;
    if (read_address(settings, t, e) != 0)
        return -1;
    if (make_ctx(t, why, sizeof(why)) != 0) {
        verrs_add(e, settings, "%s", why);
        return -1;
    }
    return 0;
}

/* Resolves t's host into *res within the deadline (resolve.c). 0, or -1
 * with the reason in why. */
static int resolve(const tls_t *t, vitals_result_t *r, int64_t budget_ms,
                   struct addrinfo **res, char *why, size_t len)
{
    int64_t left = vitals_result_remaining_ms(r);

    (void)budget_ms;
    return vresolve(t->host, t->port, AF_UNSPEC, left, res, why, len) ==
                   VRESOLVE_OK
               ? 0
               : -1;
}

/* ------------------------------------------------------------------------
 * Connecting and the handshake, on one non-blocking socket
 */

enum { IO_FAILED = 0, IO_OK = 1, IO_TIMEOUT = -1 };

/* Waits for events on fd until the deadline. IO_OK, IO_TIMEOUT, or
 * IO_FAILED with *err set. */
static int wait_fd(int fd, short events, vitals_result_t *r, int *err)
{
    struct pollfd p = {.fd = fd, .events = events};
    int64_t rem;
    int n;

    for (;;) {
        rem = vitals_result_remaining_ms(r);
        if (rem <= 0)
            return IO_TIMEOUT;
        n = poll(&p, 1, rem > INT_MAX ? INT_MAX : (int)rem);
        if (n > 0)
            return IO_OK;
        if (n < 0 && errno != EINTR) {
            *err = errno;
            return IO_FAILED;
        }
    }
}

/* One attempt at one address: IO_OK with *fd connected, IO_TIMEOUT, or
 * IO_FAILED with *err set. */
static int try_connect(const struct addrinfo *ai, vitals_result_t *r, int *fd,
                       int *err)
{
    socklen_t slen = sizeof(*err);
    int s, rc;

    s = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
               ai->ai_protocol);
    if (s < 0) {
        *err = errno;
        return IO_FAILED;
    }
    if (connect(s, ai->ai_addr, ai->ai_addrlen) == 0) {
        rc = IO_OK;
    } else if (errno == EINPROGRESS || errno == EINTR) {
        /* An interrupted connect goes on in the background (POSIX). */
        rc = wait_fd(s, POLLOUT, r, err);
        if (rc == IO_OK &&
            getsockopt(s, SOL_SOCKET, SO_ERROR, err, &slen) != 0)
            *err = errno;
        if (rc == IO_OK && *err != 0)
            rc = IO_FAILED;
    } else {
        *err = errno;
        rc = IO_FAILED;
    }
    if (rc == IO_OK)
        *fd = s;
    else
        close(s);
    return rc;
}

/* Connects to the first address of t's host that answers. The socket, or
 * -1 with the error in why. */
static int open_socket(const tls_t *t, vitals_result_t *r, int64_t budget,
                       char *why, size_t len)
{
    struct addrinfo *res = NULL, *ai;
    char reason[256], ebuf[128];
    int fd = -1, rc = IO_FAILED, err = 0;

    if (resolve(t, r, budget, &res, reason, sizeof(reason)) != 0) {
        snprintf(why, len, "cannot resolve %s: %s", t->host, reason);
        return -1;
    }
    /* Every address in turn, as a client would, within the one deadline:
     * the last failure is the one reported. */
    for (ai = res; ai && rc == IO_FAILED; ai = ai->ai_next)
        rc = try_connect(ai, r, &fd, &err);
    freeaddrinfo(res);
    if (rc == IO_TIMEOUT)
        snprintf(why, len, "cannot connect to %s: timed out after %lld ms",
                 t->address, (long long)budget);
    else if (rc == IO_FAILED)
        snprintf(why, len, "cannot connect to %s: %s", t->address,
                 err ? strerror_r(err, ebuf, sizeof(ebuf)) : "no address");
    return rc == IO_OK ? fd : -1;
}

/* The reason OpenSSL gives for its last error, or fallback. */
static const char *ssl_reason(const char *fallback)
{
    unsigned long e = ERR_peek_last_error();
    const char *s = e ? ERR_reason_error_string(e) : NULL;

    return s ? s : fallback;
}

/* SSL_connect until done or the deadline. 0, or -1 with why set. */
static int handshake(const tls_t *t, SSL *ssl, int fd, vitals_result_t *r,
                     int64_t budget, char *why, size_t len)
{
    char ebuf[128];
    int rc, err = 0, io;
    short events;

    for (;;) {
        ERR_clear_error();
        errno = 0;
        rc = SSL_connect(ssl);
        err = errno; /* for SSL_ERROR_SYSCALL, before anything changes it */
        if (rc == 1)
            return 0;
        switch (SSL_get_error(ssl, rc)) {
        case SSL_ERROR_WANT_READ:
            events = POLLIN;
            break;
        case SSL_ERROR_WANT_WRITE:
            events = POLLOUT;
            break;
        case SSL_ERROR_SYSCALL:
            snprintf(why, len, "TLS handshake with %s failed: %s", t->address,
                     err ? strerror_r(err, ebuf, sizeof(ebuf))
                         : ssl_reason("the server closed the connection"));
            return -1;
        case SSL_ERROR_ZERO_RETURN:
            snprintf(why, len,
                     "TLS handshake with %s failed: the server closed the "
                     "connection",
                     t->address);
            return -1;
        default:
            snprintf(why, len, "TLS handshake with %s failed: %s", t->address,
                     ssl_reason("unknown error"));
            return -1;
        }
        io = wait_fd(fd, events, r, &err);
        if (io == IO_TIMEOUT) {
            snprintf(why, len,
                     "TLS handshake with %s: timed out after %lld ms",
                     t->address, (long long)budget);
            return -1;
        }
        if (io == IO_FAILED) {
            snprintf(why, len, "TLS handshake with %s failed: %s", t->address,
                     strerror_r(err, ebuf, sizeof(ebuf)));
            return -1;
        }
    }
}

/* Where verification looks for trusted certificates. 0, or -1 with why
 * set. */
static int load_trust(const tls_t *t, SSL_CTX *ctx, char *why, size_t len)
{
    if (t->ca_file) {
        if (SSL_CTX_load_verify_locations(ctx, t->ca_file, NULL) == 1)
            return 0;
        snprintf(why, len, "cannot load CA file %s: %s", t->ca_file,
                 ssl_reason("unknown error"));
        return -1;
    }
    if (SSL_CTX_set_default_verify_paths(ctx) == 1)
        return 0;
    snprintf(why, len, "cannot load the system's CA certificates: %s",
             ssl_reason("unknown error"));
    return -1;
}

/* The context every run of t uses: loading a trust store costs more than
 * a handshake on loopback, so it is done once, when the check is
 * configured (a CA file that does not load is then a configuration error).
 * Runs only read it: SSL_new takes its own reference. */
static int make_ctx(tls_t *t, char *why, size_t len)
{
    if (!(t->ctx = SSL_CTX_new(TLS_client_method()))) {
        snprintf(why, len, "cannot set up TLS: %s",
                 ssl_reason("out of memory"));
        return -1;
    }
    /* The handshake goes on whatever the verification says: an expired or
     * untrusted certificate is what this check exists to report, and it
     * has to be read first. The verdict is taken afterwards. */
    SSL_CTX_set_verify(t->ctx, SSL_VERIFY_NONE, NULL);
    return t->verify ? load_trust(t, t->ctx, why, len) : 0;
}

/* The SSL object for t on fd: SNI for a name, and, when verifying, the
 * name or IP address the certificate must be for. NULL with why set. */
static SSL *new_ssl(const tls_t *t, SSL_CTX *ctx, int fd, char *why,
                    size_t len)
{
    SSL *ssl = SSL_new(ctx);
    int ok;

    if (!ssl) {
        snprintf(why, len, "cannot set up TLS: %s",
                 ssl_reason("out of memory"));
        return NULL;
    }
    ok = SSL_set_fd(ssl, fd) == 1;
    if (ok && !t->host_is_ip)
        ok = SSL_set_tlsext_host_name(ssl, t->host) == 1;
    if (ok && t->verify && t->host_is_ip) {
        char ip[INET6_ADDRSTRLEN];
        snprintf(ip, sizeof(ip), "%.*s", (int)strcspn(t->host, "%"), t->host);
        ok = X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), ip) == 1;
    } else if (ok && t->verify) {
        ok = SSL_set1_host(ssl, t->host) == 1;
    }
    if (!ok) {
        snprintf(why, len, "cannot set up TLS for %s: %s", t->address,
                 ssl_reason("unknown error"));
        SSL_free(ssl);
        return NULL;
    }
    SSL_set_connect_state(ssl);
    return ssl;
}

/* OpenSSL writes to the socket with write(2): a server that has reset the
 * connection raises SIGPIPE, whose default action ends the process, and
 * the library installs no handlers. So SIGPIPE is blocked in this thread
 * during the exchange, and one raised meanwhile is taken before the mask
 * is restored (as libpq does). */
typedef struct sigpipe_guard {
    sigset_t old;
    int was_pending;
    int ok;
} sigpipe_guard_t;

static void sigpipe_block(sigpipe_guard_t *g)
{
    sigset_t set, pending;

    sigemptyset(&set);
    sigaddset(&set, SIGPIPE);
    g->ok = pthread_sigmask(SIG_BLOCK, &set, &g->old) == 0;
    g->was_pending = g->ok && sigpending(&pending) == 0 &&
                     sigismember(&pending, SIGPIPE) == 1;
}

static void sigpipe_restore(const sigpipe_guard_t *g)
{
    static const struct timespec zero = {0, 0};
    sigset_t set, pending;

    if (!g->ok)
        return;
    sigemptyset(&set);
    sigaddset(&set, SIGPIPE);
    if (!g->was_pending && sigpending(&pending) == 0 &&
        sigismember(&pending, SIGPIPE) == 1) {
        while (sigtimedwait(&set, NULL, &zero) < 0 && errno == EINTR)
            ;
    }
    pthread_sigmask(SIG_SETMASK, &g->old, NULL);
}

/* The certificate t's server presents, and the verification result
 * (X509_V_OK when not verifying). NULL with why set. */
static X509 *fetch_cert(const tls_t *t, vitals_result_t *r, long *verdict,
                        char *why, size_t len)
{
    int64_t budget = vitals_result_remaining_ms(r);
    sigpipe_guard_t guard;
    SSL *ssl = NULL;
    X509 *cert = NULL;
    int fd;

    *verdict = X509_V_OK;
    if ((fd = open_socket(t, r, budget, why, len)) < 0)
        return NULL;
    sigpipe_block(&guard);
    if ((ssl = new_ssl(t, t->ctx, fd, why, len)) &&
        handshake(t, ssl, fd, r, budget, why, len) == 0) {
        if (!(cert = SSL_get1_peer_certificate(ssl)))
            snprintf(why, len, "%s sent no certificate", t->address);
        else if (t->verify)
            *verdict = SSL_get_verify_result(ssl);
        /* A close_notify, as a polite client sends: whether it got out
         * changes nothing about the certificate, so its result is not
         * looked at. */
        (void)SSL_shutdown(ssl);
    }
    sigpipe_restore(&guard);
    SSL_free(ssl);
    close(fd);
    return cert;
}

/* ------------------------------------------------------------------------
 * A certificate file
 */

/* The whole of a (small, regular) file. 0, or -1 with why set. Opened
 * non-blocking: a FIFO put there by mistake must not hang the run. */
static int slurp(const char *path, char **out, size_t *outlen, char *why,
                 size_t len)
{
    struct stat st;
    char ebuf[128], *buf;
    size_t got = 0;
    ssize_t n = 0;
    int fd, err;

    if ((fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)) < 0) {
        err = errno;
        snprintf(why, len, "cannot read %s: %s", path,
                 strerror_r(err, ebuf, sizeof(ebuf)));
        return -1;
    }
    err = fstat(fd, &st) != 0 ? errno : 0;
    if (err || !S_ISREG(st.st_mode) || st.st_size > PEM_MAX) {
        snprintf(why, len, "cannot read %s: %s", path,
                 err ? strerror_r(err, ebuf, sizeof(ebuf))
                 : !S_ISREG(st.st_mode) ? "not a regular file"
                                        : "larger than 1 MiB");
        close(fd);
        return -1;
    }
    if (!(buf = malloc((size_t)st.st_size + 1))) {
        snprintf(why, len, "out of memory");
        close(fd);
        return -1;
    }
    while (got < (size_t)st.st_size) {
        n = read(fd, buf + got, (size_t)st.st_size - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    err = n < 0 ? errno : 0;
    close(fd);
    if (err) {
        snprintf(why, len, "cannot read %s: %s", path,
                 strerror_r(err, ebuf, sizeof(ebuf)));
        free(buf);
        return -1;
    }
    buf[got] = '\0';
    *out = buf;
    *outlen = got;
    return 0;
}

/* Verifies leaf with the rest of the file as untrusted intermediates. */
static long verify_file_cert(const tls_t *t, X509 *leaf, BIO *rest,
                             char *why, size_t len)
{
    STACK_OF(X509) *chain = sk_X509_new_null();
    X509_STORE *store = X509_STORE_new();
    X509_STORE_CTX *ctx = X509_STORE_CTX_new();
    X509 *c;
    long verdict = -1;
    int ok;

    if (!chain || !store || !ctx) {
        snprintf(why, len, "out of memory");
        goto done;
    }
    while ((c = PEM_read_bio_X509(rest, NULL, NULL, NULL))) {
        if (!sk_X509_push(chain, c)) {
            X509_free(c);
            snprintf(why, len, "out of memory");
            goto done;
        }
    }
    ERR_clear_error(); /* the end of the file reads as "no start line" */
    ok = t->ca_file ? X509_STORE_load_file(store, t->ca_file)
                    : X509_STORE_set_default_paths(store);
    if (ok != 1) {
        if (t->ca_file)
            snprintf(why, len, "cannot load CA file %s: %s", t->ca_file,
                     ssl_reason("unknown error"));
        else
            snprintf(why, len, "cannot load the system's CA certificates: %s",
                     ssl_reason("unknown error"));
        goto done;
    }
    if (X509_STORE_CTX_init(ctx, store, leaf, chain) != 1) {
        snprintf(why, len, "cannot verify: %s", ssl_reason("out of memory"));
        goto done;
    }
    verdict = X509_verify_cert(ctx) == 1 ? X509_V_OK
                                         : X509_STORE_CTX_get_error(ctx);
    /* A failure without a code would read as success. */
    if (verdict == X509_V_OK && X509_STORE_CTX_get_error(ctx) != X509_V_OK)
        verdict = X509_STORE_CTX_get_error(ctx);

done:
    X509_STORE_CTX_free(ctx);
    X509_STORE_free(store);
    sk_X509_pop_free(chain, X509_free);
    return verdict;
}

/* The first certificate of t's file, and the verification result. NULL
 * with why set. */
static X509 *read_cert_file(const tls_t *t, long *verdict, char *why,
                            size_t len)
{
    char *text = NULL;
    size_t n = 0;
    BIO *bio;
    X509 *cert;

    *verdict = X509_V_OK;
    if (slurp(t->file, &text, &n, why, len) != 0)
        return NULL;
    if (!(bio = BIO_new_mem_buf(text, (int)n))) {
        snprintf(why, len, "out of memory");
        free(text);
        return NULL;
    }
    ERR_clear_error();
    if (!(cert = PEM_read_bio_X509(bio, NULL, NULL, NULL))) {
        snprintf(why, len, "%s holds no PEM certificate (%s)", t->file,
                 ssl_reason("unknown error"));
    } else if (t->verify) {
        *verdict = verify_file_cert(t, cert, bio, why, len);
        if (*verdict < 0) {
            X509_free(cert);
            cert = NULL;
        }
    }
    BIO_free(bio);
    free(text);
    return cert;
}

/* ------------------------------------------------------------------------
 * Reporting
 */

/* A name as one RFC 2253 line ("CN=example.com,O=Example"), with UTF-8
 * left as it is rather than escaped. New string, or NULL. */
static char *name_text(const X509_NAME *name)
{
    BIO *b = BIO_new(BIO_s_mem());
    char *data, *s = NULL;
    long n;

    if (!b)
        return NULL;
    if (X509_NAME_print_ex(b, name, 0,
                           XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB) >= 0 &&
        (n = BIO_get_mem_data(b, &data)) >= 0)
        s = strndup(n > 0 ? data : "", (size_t)n);
    BIO_free(b);
    return s;
}

/* An ASN.1 time as seconds since the epoch. 0, or -1. */
static int asn1_seconds(const ASN1_TIME *a, int64_t *out)
{
    struct tm tm;

    if (!a || ASN1_TIME_to_tm(a, &tm) != 1)
        return -1;
    *out = (int64_t)timegm(&tm);
    return 0;
}

static void iso_utc(int64_t s, char *buf, size_t len)
{
    time_t t = (time_t)s;
    struct tm tm;

    if (!gmtime_r(&t, &tm) ||
        strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
        snprintf(buf, len, "%lld", (long long)s);
}

/* Floor division: -1 second is day -1, not day 0. */
static int64_t floor_days(int64_t s)
{
    return s >= 0 ? s / DAY_S : -((-s + DAY_S - 1) / DAY_S);
}

static void report(const tls_t *t, vitals_result_t *r, X509 *cert,
                   long verdict)
{
    char what[320], after[40], before[40], text[512];
    char *subject = name_text(X509_get_subject_name(cert));
    char *issuer = name_text(X509_get_issuer_name(cert));
    int64_t not_after, not_before, left, days, ago;
    struct timespec now;

    if (t->file)
        snprintf(what, sizeof(what), "certificate in %s", t->file);
    else
        snprintf(what, sizeof(what), "certificate for %s", t->host);
    clock_gettime(CLOCK_REALTIME, &now);

    if (!subject || !issuer ||
        asn1_seconds(X509_get0_notAfter(cert), &not_after) != 0 ||
        asn1_seconds(X509_get0_notBefore(cert), &not_before) != 0) {
        vitals_result_set_error(r, "%s: cannot read its names or dates",
                                what);
        goto done;
    }
    iso_utc(not_after, after, sizeof(after));
    left = not_after - (int64_t)now.tv_sec;
    days = floor_days(left);
    if (vitals_result_set_string(r, "subject", subject) < 0 ||
        vitals_result_set_string(r, "issuer", issuer) < 0 ||
        vitals_result_set_string(r, "notAfter", after) < 0 ||
        vitals_result_set_int(r, "remainingDays", days) < 0) {
        vitals_result_set_error(r, "out of memory");
        goto done;
    }

    if ((int64_t)now.tv_sec < not_before) {
        iso_utc(not_before, before, sizeof(before));
        snprintf(text, sizeof(text), "%s is not yet valid (valid from %s)",
                 what, before);
    } else if (left <= 0) {
        ago = floor_days(-left);
        if (ago == 0)
            snprintf(text, sizeof(text), "%s expired less than a day ago (%s)",
                     what, after);
        else
            snprintf(text, sizeof(text), "%s expired %lld day%s ago (%s)",
                     what, (long long)ago, ago == 1 ? "" : "s", after);
    } else {
        if (days == 0)
            snprintf(text, sizeof(text), "%s expires in less than a day (%s)",
                     what, after);
        else
            snprintf(text, sizeof(text), "%s expires in %lld day%s (%s)", what,
                     (long long)days, days == 1 ? "" : "s", after);
        vitals_result_set_description(r, "%s", text);
        if (verdict != X509_V_OK) {
            vitals_result_set_status(r, VITALS_UNHEALTHY);
            vitals_result_set_error(r, "%s does not verify: %s", what,
                                    X509_verify_cert_error_string(verdict));
        } else {
            vitals_result_set_status(r, left * 1000 <= t->degraded_within_ms
                                            ? VITALS_DEGRADED
                                            : VITALS_HEALTHY);
        }
        goto done;
    }
    /* Not valid now: the description says it too, for formats that show
     * only descriptions. */
    vitals_result_set_status(r, VITALS_UNHEALTHY);
    vitals_result_set_description(r, "%s", text);
    vitals_result_set_error(r, "%s", text);

done:
    free(subject);
    free(issuer);
}

static void tls_run(void *state, vitals_result_t *r)
{
    const tls_t *t = state;
    char why[512];
    long verdict = X509_V_OK;
    X509 *cert;

    cert = t->file ? read_cert_file(t, &verdict, why, sizeof(why))
                   : fetch_cert(t, r, &verdict, why, sizeof(why));
    if (!cert) {
        vitals_result_set_error(r, "%s", why);
        ERR_clear_error();
        return;
    }
    report(t, r, cert, verdict);
    X509_free(cert);
    /* OpenSSL's error queue belongs to this worker thread, which runs
     * other checks next: leave nothing in it. */
    ERR_clear_error();
}

const vcheck_type_t vcheck_tls = {
    .name = "tls",
    .component_type = "component",
    .settings = tls_settings,
    .state_size = sizeof(tls_t),
    .prepare = tls_prepare,
    .clear = tls_clear,
    .run = tls_run,
};
