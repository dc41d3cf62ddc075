/* tls.h - the "tls" check type's state, shared by its two files: tls.c
 * (configuration and reporting) and tls_cert.c (getting the certificate,
 * from a server's handshake or from a PEM file). Internal to checks/. */
#ifndef VITALS_CHECK_TLS_H
#define VITALS_CHECK_TLS_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "vitals.h"

typedef struct tls {
    char *address; /* host:port as configured, for messages; or NULL */
    char *host;    /* without brackets; the SNI and the name verified */
    char port[8];   /* digits, 1-65535 */
    int host_is_ip; /* no SNI for an address; verify it as an IP */
    char *file;     /* a PEM certificate instead of a server; or NULL */
    char *ca_file;  /* NULL: the system's CAs */
    int verify;
    int64_t degraded_within_ms;
    SSL_CTX *ctx; /* for address: made once, with the trust store loaded */
} tls_t;

/* Makes t->ctx, the context every run of t uses: loading a trust store
 * costs more than a handshake on loopback, so it is done once, when the
 * check is configured (a CA file that does not load is then a
 * configuration error). 0, or -1 with why set. */
int vcheck_tls_make_ctx(tls_t *t, char *why, size_t len);

/* The certificate t's server presents, and the verification result
 * (X509_V_OK when not verifying), within r's deadline. A new reference,
 * or NULL with why set. */
X509 *vcheck_tls_from_server(const tls_t *t, vitals_result_t *r,
                             long *verdict, char *why, size_t len);

/* The first certificate of t's file, and the verification result of it
 * with the rest of the file as intermediates. A new reference, or NULL
 * with why set. */
X509 *vcheck_tls_from_file(const tls_t *t, long *verdict, char *why,
                           size_t len);

#endif
