/* codes.c - the `status_codes` setting of the outputs whose HTTP status
 * follows health (the report, /health): a map from each status word of
 * the format to an HTTP status, within the range the format allows. */
#include "outputs/output.h"

int vcodes_parse(vnode_t *node, const vcodes_spec_t *spec, unsigned *codes,
                 verrs_t *e)
{
    char hint[96];
    int bad = 0;

    if (node->kind != VNODE_MAP) {
        verrs_add(e, node, "'status_codes': expected a map such as {%s: %u}",
                  spec->names[2], spec->example);
        return -1;
    }
    for (size_t i = 0; i < 3; i++) {
        int64_t code;
        int rc = vnode_int(node, spec->names[i], spec->min[i], spec->max[i],
                           &code, e);

        if (rc == 1)
            codes[i] = (unsigned)code;
        bad |= rc < 0;
    }
    snprintf(hint, sizeof(hint), "status_codes (use %s, %s, %s)",
             spec->names[0], spec->names[1], spec->names[2]);
    vnode_map_done(node, hint, e);
    return bad ? -1 : 0;
}
