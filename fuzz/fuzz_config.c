/* fuzz_config.c - the configuration: the YAML loader and every reader
 * behind it (service, listen, defaults, checks of every type, endpoints,
 * access with its allow lists and bearer keys, limits), through
 * vitals_config_check of the input written to a memfd, as `vitalsd
 * --check-config` does. An input that is a JSON object also goes through
 * vitals_set_http (the JSON form of endpoints, access and limits).
 *
 * Asserts that a configuration is refused exactly when there are errors to
 * show, and that every error names the file. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fixture.h"

static vitals_t *inst;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    /* For ${NAME} in the inputs (the dictionary has them). */
    setenv("VITALS_FUZZ_PORT", "8080", 1);
    setenv("VITALS_FUZZ_HOST", "127.0.0.1", 1);
    setenv("VITALS_FUZZ_EMPTY", "", 1);
    /* A jwks_url is fetched at load: let every fetch fail at once, at a
     * proxy that is not there, rather than reach for the network. */
    setenv("https_proxy", "http://127.0.0.1:9", 1);
    setenv("HTTPS_PROXY", "http://127.0.0.1:9", 1);
    unsetenv("no_proxy");
    unsetenv("NO_PROXY");
    inst = vitals_new();
    if (inst == NULL)
        abort();
    return 0;
}

static void check_file(const char *path)
{
    vitals_errors_t *errs = NULL;
    int rc = vitals_config_check(path, &errs);
    size_t n = errs ? vitals_errors_count(errs) : 0;

    if (rc != VITALS_OK && rc != VITALS_ECONFIG && rc != VITALS_ENOMEM)
        abort();
    if ((rc == VITALS_ECONFIG) != (n > 0))
        abort(); /* refused in silence, or errors for a good file */
    for (size_t i = 0; i < n; i++)
        if (strstr(vitals_errors_get(errs, i), path) == NULL &&
            strstr(vitals_errors_get(errs, i), "out of memory") == NULL)
            abort(); /* an error that does not say where */
    vitals_errors_free(errs);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[64];
    int fd;

    vfuzz_memfile(data, size, path, sizeof(path), &fd);
    check_file(path);
    close(fd);
    if (size > 0 && data[0] == '{') {
        char *text = strndup((const char *)data, size), *err = NULL;

        if (text != NULL &&
            vitals_set_http(inst, text, &err) != VITALS_OK && err == NULL)
            abort(); /* refused without saying why */
        free(err);
        free(text);
    }
    return 0;
}
