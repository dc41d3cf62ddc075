/* fuzz_jwks.c - JWK Set documents (access.bearer.jwks_file; a jwks_url
 * answer goes through the same parser): the input is written to a memfd
 * and read by vbearer_configure. A set that loads then verifies two
 * tokens, RS256 and ES256 with kids, signed by keys made fresh for this
 * run.
 *
 * Asserts that no set made from the input verifies them: the input cannot
 * hold keys that did not exist when it was written. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config/yaml.h"
#include "fixture.h"
#include "jose.h"

static char *tokens[4];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    static const char claims[] =
        "{\"iss\": \"" VFUZZ_ISSUER "\", \"aud\": \"" VFUZZ_AUDIENCE
        "\", \"scope\": \"" VFUZZ_SCOPE "\", \"exp\": 1900000000}";
    static const char *const headers[] = {
        "{\"alg\": \"RS256\", \"kid\": \"rsa-1\"}",
        "{\"alg\": \"ES256\", \"kid\": \"ec-1\"}",
        "{\"alg\": \"RS256\"}", "{\"alg\": \"ES256\"}"};
    EVP_PKEY *rsa = vfuzz_rsa_key(), *ec = vfuzz_ec_key();

    (void)argc;
    (void)argv;
    for (int i = 0; i < 4; i++) {
        char *tok = vfuzz_sign(i % 2 ? ec : rsa, headers[i],
                               strlen(headers[i]), claims,
                               strlen(claims));

        if (tok == NULL || asprintf(&tokens[i], "Bearer %s", tok) < 0)
            abort();
        free(tok);
    }
    EVP_PKEY_free(rsa);
    EVP_PKEY_free(ec);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    verrs_t *e = verrs_new();
    char path[64], text[128];
    vnode_t *root;
    vbearer_t *b = NULL;
    int fd;

    if (e == NULL)
        return 0;
    vfuzz_memfile(data, size, path, sizeof(path), &fd);
    snprintf(text, sizeof(text), "jwks_file: %s\n", path);
    root = vyaml_load_string(text, strlen(text), "fuzz", e);
    if (root != NULL)
        b = vbearer_configure(root, e);
    close(fd);
    if ((b == NULL) != (e->n > 0 || e->oom))
        abort(); /* refused without saying why, or the reverse */
    for (int i = 0; b != NULL && i < 4; i++) {
        vbearer_result_t res;

        if (vbearer_verify(b, tokens[i], VFUZZ_NOW, &res) != VBEARER_INVALID)
            abort(); /* a key from the input verified our signature */
    }
    vbearer_free(b);
    vnode_free(root);
    vitals_errors_free(e);
    return 0;
}
