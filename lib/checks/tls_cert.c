/* tls_cert.c - where the "tls" check type gets its certificate: the
 * handshake with a server, on one non-blocking socket within the run's
 * deadline, or a PEM file (see tls.h). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* the GNU strerror_r, which returns the text */
#endif

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "checks/tls.h"
#include "util/connect.h"
#include "util/resolve.h"
#include "util/sigpipe.h"

/* A PEM file with a certificate and its chain is a few kilobytes; more is
 * not a certificate file. */
#define PEM_MAX (1024 * 1024)

/* ------------------------------------------------------------------------
 * Connecting and the handshake, on one non-blocking socket
 */

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

/* Connects to the first address of t's host that answers. The socket, or
 * -1 with the error in why. */
static int open_socket(const tls_t *t, vitals_result_t *r, int64_t budget,
                       char *why, size_t len)
{
    struct addrinfo *res = NULL, *ai;
    char reason[256], ebuf[128];
    vconnect_status_t rc = VCONNECT_FAILED;
    int fd = -1, err = 0;

    if (resolve(t, r, budget, &res, reason, sizeof(reason)) != 0) {
        snprintf(why, len, "cannot resolve %s: %s", t->host, reason);
        return -1;
    }
    /* Every address in turn, as a client would, within the one deadline:
     * the last failure is the one reported. */
    for (ai = res; ai && rc == VCONNECT_FAILED; ai = ai->ai_next)
        rc = vconnect(ai, r, &fd, &err);
    freeaddrinfo(res);
    if (rc == VCONNECT_TIMEOUT)
        snprintf(why, len, "cannot connect to %s: timed out after %lld ms",
                 t->address, (long long)budget);
    else if (rc == VCONNECT_FAILED)
        snprintf(why, len, "cannot connect to %s: %s", t->address,
                 err ? strerror_r(err, ebuf, sizeof(ebuf)) : "no address");
    return rc == VCONNECT_OK ? fd : -1;
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
    int rc, err = 0;
    vconnect_status_t io;
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
        io = vconnect_wait(fd, events, r, &err);
        if (io == VCONNECT_TIMEOUT) {
            snprintf(why, len,
                     "TLS handshake with %s: timed out after %lld ms",
                     t->address, (long long)budget);
            return -1;
        }
        if (io == VCONNECT_FAILED) {
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

/* Runs only read the context: SSL_new takes its own reference. */
int vcheck_tls_make_ctx(tls_t *t, char *why, size_t len)
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

X509 *vcheck_tls_from_server(const tls_t *t, vitals_result_t *r,
                             long *verdict, char *why, size_t len)
{
    int64_t budget = vitals_result_remaining_ms(r);
    vsigpipe_t guard;
    SSL *ssl = NULL;
    X509 *cert = NULL;
    int fd;

    *verdict = X509_V_OK;
    if ((fd = open_socket(t, r, budget, why, len)) < 0)
        return NULL;
    /* OpenSSL writes with write(2): a reset connection raises SIGPIPE. */
    vsigpipe_block(&guard);
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
    vsigpipe_restore(&guard);
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

X509 *vcheck_tls_from_file(const tls_t *t, long *verdict, char *why,
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
