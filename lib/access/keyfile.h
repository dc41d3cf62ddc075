/* keyfile.h - the files access.bearer reads its keys from (jwks_file,
 * public_key_file, secret_file) and the CA file it trusts for jwks_url,
 * read at configure time with errors at the key that named the file.
 * Internal to access/. */
#ifndef VITALS_KEYFILE_H
#define VITALS_KEYFILE_H

#include "access/jwk.h"
#include "config/vnode.h"

/* Each returns a new key set (one reference) of the file at path, or NULL
 * after adding an error at node at: */
/* the PEM public key or certificate (RSA or EC P-256) of public_key_file; */
vkeyset_t *vkeyfile_pem(const char *path, vnode_t *at, verrs_t *e);
/* the HS256 secret of secret_file: its bytes, less one trailing newline
 * (what `echo` and editors add), at least 32 of them; */
vkeyset_t *vkeyfile_secret(const char *path, vnode_t *at, verrs_t *e);
/* the JWK Set of jwks_file. */
vkeyset_t *vkeyfile_jwks(const char *path, vnode_t *at, verrs_t *e);

/* Checks that the ca_file at path holds at least one PEM certificate, so
 * that a typo is a configuration error rather than every fetch failing
 * later. 0, or -1 after adding an error at at. */
int vkeyfile_check_ca(const char *path, vnode_t *at, verrs_t *e);

#endif
