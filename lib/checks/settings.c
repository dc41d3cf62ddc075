/* settings.c - setting readers shared by several check types (see
 * settings.h). */
#include "checks/settings.h"

const char *vcheck_kind_name(const vnode_t *n)
{
    if (n->kind == VNODE_SEQ)
        return "a list";
    if (n->kind == VNODE_MAP)
        return "a map";
    return n->null ? "null" : "a string";
}

int vcheck_check_ca_file(const char *ca_file, int verify, vnode_t *settings,
                         verrs_t *e)
{
    if (ca_file == NULL || verify)
        return 0;
    verrs_add(e, vnode_get(settings, "ca_file"),
              "'ca_file' goes with verify: true");
    return -1;
}
