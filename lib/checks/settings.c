/* settings.c - setting readers shared by several check types (see
 * settings.h). */
#include "checks/settings.h"

#include <stdlib.h>
#include <string.h>

const char *vcheck_kind_name(const vnode_t *n)
{
    if (n->kind == VNODE_SEQ)
        return "a list";
    if (n->kind == VNODE_MAP)
        return "a map";
    return n->null ? "null" : "a string";
}

int vcheck_read_ca_file(vnode_t *settings, int verify, char **ca_file,
                        verrs_t *e)
{
    const char *ca = NULL;
    int rc = vnode_str(settings, "ca_file", &ca, e);

    if (rc <= 0)
        return rc;
    if (ca[0] == '\0') {
        verrs_add(e, vnode_get(settings, "ca_file"),
                  "'ca_file': must not be empty");
        return -1;
    }
    if (!verify) {
        verrs_add(e, vnode_get(settings, "ca_file"),
                  "'ca_file' goes with verify: true");
        return -1;
    }
    if (!(*ca_file = strdup(ca))) {
        verrs_add(e, settings, "out of memory");
        return -1;
    }
    return 1;
}
