/* tlsfiles.c - loads and checks an HTTPS listener's certificate and key. */
#include "listen/tlsfiles.h"

#include <errno.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_PEM (1 << 20)

static char *read_file(const char *path, char **err)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    size_t len = 0;

    if (f == NULL) {
        if (asprintf(err, "cannot read %s: %s", path, strerror(errno)) < 0)
            *err = NULL;
        return NULL;
    }
    if ((buf = malloc(MAX_PEM + 1)) != NULL) {
        len = fread(buf, 1, MAX_PEM + 1, f);
        if (len > MAX_PEM) {
            free(buf);
            buf = NULL;
            if (asprintf(err, "%s is larger than 1 MiB", path) < 0)
                *err = NULL;
        } else {
            buf[len] = '\0';
        }
    }
    fclose(f);
    return buf;
}

static int fail(char **err, const char *fmt, const char *path)
{
    char why[160] = "";
    unsigned long code = ERR_peek_last_error();

    if (code != 0)
        ERR_error_string_n(code, why, sizeof(why));
    ERR_clear_error();
    if (asprintf(err, fmt, path, why[0] ? why : "no PEM data") < 0)
        *err = NULL;
    return -1;
}

int vtls_load(const char *cert_file, const char *key_file, char **cert_pem,
              char **key_pem, char **err)
{
    X509 *cert = NULL;
    EVP_PKEY *key = NULL;
    BIO *bio;
    int rc = -1;

    *err = NULL;
    *cert_pem = read_file(cert_file, err);
    *key_pem = *cert_pem ? read_file(key_file, err) : NULL;
    if (*cert_pem == NULL || *key_pem == NULL)
        goto out;
    if ((bio = BIO_new_mem_buf(*cert_pem, -1)) != NULL) {
        cert = PEM_read_bio_X509(bio, NULL, NULL, NULL);
        BIO_free(bio);
    }
    if (cert == NULL) {
        fail(err, "%s is not a PEM certificate (%s)", cert_file);
        goto out;
    }
    if ((bio = BIO_new_mem_buf(*key_pem, -1)) != NULL) {
        key = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
        BIO_free(bio);
    }
    if (key == NULL) {
        fail(err, "%s is not a PEM private key (%s)", key_file);
        goto out;
    }
    if (X509_check_private_key(cert, key) != 1) {
        ERR_clear_error();
        if (asprintf(err, "%s does not match the certificate in %s",
                     key_file, cert_file) < 0)
            *err = NULL;
        goto out;
    }
    rc = 0;
out:
    X509_free(cert);
    EVP_PKEY_free(key);
    if (rc != 0) {
        free(*cert_pem);
        free(*key_pem);
        *cert_pem = *key_pem = NULL;
        if (*err == NULL)
            *err = strdup("out of memory");
    }
    return rc;
}
