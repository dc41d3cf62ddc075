/* keyfile.c - access.bearer's key files and CA file, read and checked at
 * configure time (see keyfile.h). */
#include "access/keyfile.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

/* RFC 7518 section 3.2: an HS256 key at least as long as the hash. */
#define MIN_SECRET 32

/* Reads path whole into a new NUL-terminated buffer. 0, or an errno value
 * (EFBIG past VKEY_MAX_DOCUMENT). */
static int read_file(const char *path, char **out, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    size_t n = 0;
    int err = 0;

    if (f == NULL)
        return errno;
    if ((buf = malloc(VKEY_MAX_DOCUMENT + 1)) == NULL) {
        fclose(f);
        return ENOMEM;
    }
    errno = 0;
    n = fread(buf, 1, VKEY_MAX_DOCUMENT + 1, f);
    if (ferror(f))
        err = errno != 0 ? errno : EIO; /* EISDIR for a directory */
    else if (n > VKEY_MAX_DOCUMENT)
        err = EFBIG;
    if (fclose(f) != 0 && err == 0)
        err = errno;
    if (err != 0) {
        free(buf);
        return err;
    }
    buf[n] = '\0';
    *out = buf;
    *len = n;
    return 0;
}

/* "cannot read FILE: why", for errors at the key that named the file. */
static void file_error(verrs_t *e, vnode_t *at, const char *key,
                       const char *path, int err)
{
    if (err == EFBIG)
        verrs_add(e, at, "'%s': cannot read %s: larger than 1 MiB", key,
                  path);
    else
        verrs_add(e, at, "'%s': cannot read %s: %s", key, path,
                  strerror(err));
}

vkeyset_t *vkeyfile_pem(const char *path, vnode_t *at, verrs_t *e)
{
    char *text = NULL, why[160];
    size_t len = 0;
    BIO *bio;
    EVP_PKEY *pk = NULL;
    vkeyset_t *ks;
    vkey_kind_t kind;
    int rc;

    if ((rc = read_file(path, &text, &len)) != 0) {
        file_error(e, at, "public_key_file", path, rc);
        return NULL;
    }
    if ((bio = BIO_new_mem_buf(text, (int)len)) != NULL)
        pk = PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL);
    BIO_free(bio);
    if (pk == NULL && (bio = BIO_new_mem_buf(text, (int)len)) != NULL) {
        /* A certificate is how some identity providers hand out keys. */
        X509 *cert = PEM_read_bio_X509(bio, NULL, NULL, NULL);

        if (cert != NULL)
            pk = X509_get_pubkey(cert);
        X509_free(cert);
        BIO_free(bio);
    }
    ERR_clear_error();
    if (pk == NULL) {
        verrs_add(e, at, "'public_key_file': %s: %s", path,
                  strstr(text, "PRIVATE KEY") != NULL
                      ? "a private key; give the public key (openssl pkey "
                        "-pubout)"
                      : "no PEM public key (BEGIN PUBLIC KEY) or "
                        "certificate in it");
        free(text);
        return NULL;
    }
    free(text);
    if (vkey_check_pkey(pk, &kind, why, sizeof(why)) != 0) {
        verrs_add(e, at, "'public_key_file': %s: %s", path, why);
        EVP_PKEY_free(pk);
        return NULL;
    }
    if ((ks = vkeyset_new(1)) == NULL) {
        verrs_add(e, at, "'public_key_file': out of memory");
        EVP_PKEY_free(pk);
        return NULL;
    }
    ks->any_kid = 1;
    ks->k[0].kind = kind;
    ks->k[0].pkey = pk;
    ks->n = 1;
    return ks;
}

vkeyset_t *vkeyfile_secret(const char *path, vnode_t *at, verrs_t *e)
{
    char *text = NULL;
    size_t len = 0;
    vkeyset_t *ks;
    int rc;

    if ((rc = read_file(path, &text, &len)) != 0) {
        file_error(e, at, "secret_file", path, rc);
        return NULL;
    }
    if (len > 0 && text[len - 1] == '\n')
        len--;
    if (len > 0 && text[len - 1] == '\r')
        len--;
    if (len < MIN_SECRET) {
        verrs_add(e, at, "'secret_file': %s: the secret is %zu bytes; "
                         "HS256 needs at least %d",
                  path, len, MIN_SECRET);
        OPENSSL_cleanse(text, len);
        free(text);
        return NULL;
    }
    if ((ks = vkeyset_new(1)) == NULL) {
        verrs_add(e, at, "'secret_file': out of memory");
        OPENSSL_cleanse(text, len);
        free(text);
        return NULL;
    }
    ks->any_kid = 1;
    ks->k[0].kind = VKEY_HMAC;
    ks->k[0].secret = (unsigned char *)text;
    ks->k[0].secret_len = len;
    ks->n = 1;
    return ks;
}

vkeyset_t *vkeyfile_jwks(const char *path, vnode_t *at, verrs_t *e)
{
    char *text = NULL, why[256];
    size_t len = 0;
    vkeyset_t *ks;
    int rc;

    if ((rc = read_file(path, &text, &len)) != 0) {
        file_error(e, at, "jwks_file", path, rc);
        return NULL;
    }
    if ((ks = vjwks_parse(text, len, why, sizeof(why))) == NULL)
        verrs_add(e, at, "'jwks_file': %s: %s", path, why);
    free(text);
    return ks;
}

int vkeyfile_check_ca(const char *path, vnode_t *at, verrs_t *e)
{
    char *text = NULL;
    size_t len = 0;
    BIO *bio;
    X509 *cert = NULL;
    int rc;

    if ((rc = read_file(path, &text, &len)) != 0) {
        file_error(e, at, "ca_file", path, rc);
        return -1;
    }
    if ((bio = BIO_new_mem_buf(text, (int)len)) != NULL)
        cert = PEM_read_bio_X509(bio, NULL, NULL, NULL);
    BIO_free(bio);
    ERR_clear_error();
    free(text);
    if (cert == NULL) {
        verrs_add(e, at, "'ca_file': %s: no PEM certificate in it", path);
        return -1;
    }
    X509_free(cert);
    return 0;
}
