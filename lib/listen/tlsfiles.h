/* tlsfiles.h - loads an HTTPS listener's certificate and key, checked at
 * configuration time so that a bad file is a config error, not a listener
 * that fails at start. */
#ifndef VITALS_TLSFILES_H
#define VITALS_TLSFILES_H

/* Reads cert_file (PEM, the certificate first, then any chain) and key_file
 * (PEM private key), checks that they parse and that the key matches the
 * certificate. 0 with *cert_pem and *key_pem set (new strings, free()), or
 * -1 with *err (new string) saying which file and what is wrong. */
int vtls_load(const char *cert_file, const char *key_file, char **cert_pem,
              char **key_pem, char **err);

#endif
