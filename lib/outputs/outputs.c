/* outputs.c - the one table of outputs, and lookups in it. Adding an
 * output is one file and one line here. */
#include <string.h>

#include "outputs/output.h"

/* One line per output, in the order the docs list them: the file
 * <id>.c defines voutput_<id>. */
#define OUTPUTS(XX)                                                           \
    XX(ietf)                                                                  \
    XX(check)                                                                 \
    XX(report)                                                                \
    XX(jsonrpc)                                                               \
    XX(mosparo)                                                               \
    XX(livez)                                                                 \
    XX(readyz)                                                                \
    XX(startupz)                                                              \
    XX(status)                                                                \
    XX(metrics)                                                               \
    XX(history)

#define DECLARE(id) extern const voutput_t voutput_##id;
#define LIST(id) &voutput_##id,
OUTPUTS(DECLARE)

const voutput_t *const voutputs[] = {OUTPUTS(LIST) NULL};

const voutput_t *voutput_find(const char *id)
{
    for (size_t i = 0; voutputs[i] != NULL; i++)
        if (strcmp(voutputs[i]->id, id) == 0)
            return voutputs[i];
    return NULL;
}

const char *voutput_names(void)
{
    static char names[512];

    /* Built once, before any thread serves (the configuration reader is
     * the first caller); the table never changes. */
    if (names[0] == '\0')
        for (size_t i = 0; voutputs[i] != NULL; i++) {
            if (i > 0)
                strncat(names, ", ", sizeof(names) - strlen(names) - 1);
            strncat(names, voutputs[i]->id, sizeof(names) - strlen(names) - 1);
        }
    return names;
}
