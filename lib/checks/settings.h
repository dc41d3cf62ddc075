/* settings.h - readers for settings that several check types share, so
 * that each reads and words them the same way. */
#ifndef VITALS_CHECK_SETTINGS_H
#define VITALS_CHECK_SETTINGS_H

#include "config/vnode.h"

/* What n is, for messages: "a list", "a map", "null" or "a string".
 * Static text. */
const char *vcheck_kind_name(const vnode_t *n);

/* The check of a type's "ca_file" row (CA certificates to trust instead of
 * the system's; a VSET_STR, VSET_NONEMPTY) against its verify: a CA file
 * that is never used is a mistake worth saying. ca_file NULL (absent) is
 * fine. 0, or -1 after adding an error about settings' "ca_file" to e. */
int vcheck_check_ca_file(const char *ca_file, int verify, vnode_t *settings,
                         verrs_t *e);

#endif
