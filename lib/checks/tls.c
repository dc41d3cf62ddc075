/* tls.c - the "tls" check type: the certificate a TLS server presents (or
 * one in a PEM file), how long until it expires, and whether it verifies
 * for the host. Configuration and the verdict are here; getting the
 * certificate is tls_cert.c. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* timegm */
#endif

#include <arpa/inet.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <openssl/err.h>
#include <openssl/x509.h>

#include "checks/check_type.h"
#include "checks/settings.h"
#include "checks/tls.h"
#include "util/addr.h"

#define DAY_S 86400LL

/* Frees what tls_prepare derived. */
static void tls_clear(void *state)
{
    tls_t *t = state;

    free(t->host);
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
    int port = 0, rc = vaddr_parse(t->address, VADDR_PEER, &t->host, &port);

    if (rc == -1)
        verrs_add(e, vnode_get(settings, "address"),
                  "'address': expected host:port, got \"%s\"", t->address);
    else if (rc == -2)
        verrs_add(e, settings, "out of memory");
    if (rc == 0) {
        snprintf(t->port, sizeof(t->port), "%d", port);
        t->host_is_ip = is_ip_literal(t->host);
    }
    return rc == 0 ? 0 : -1;
}

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
    if (vcheck_check_ca_file(t->ca_file, t->verify, settings, e) != 0)
        return -1;
    if (t->address == NULL)
        return 0;
    if (read_address(settings, t, e) != 0)
        return -1;
    if (vcheck_tls_make_ctx(t, why, sizeof(why)) != 0) {
        verrs_add(e, settings, "%s", why);
        return -1;
    }
    return 0;
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

    cert = t->file ? vcheck_tls_from_file(t, &verdict, why, sizeof(why))
                   : vcheck_tls_from_server(t, r, &verdict, why,
                                            sizeof(why));
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
