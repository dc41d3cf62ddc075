/* settings.h - readers for settings that several check types share, so
 * that each reads and words them the same way. */
#ifndef VITALS_CHECK_SETTINGS_H
#define VITALS_CHECK_SETTINGS_H

#include "config/vnode.h"

/* What n is, for messages: "a list", "a map", "null" or "a string".
 * Static text. */
const char *vcheck_kind_name(const vnode_t *n);

/* Reads the optional "ca_file" of settings (CA certificates to trust
 * instead of the system's) into *ca_file, a new string. It must not be
 * empty, and goes only with verify (a CA file that is never used is a
 * mistake worth saying). 1 when read, 0 when absent, -1 after adding an
 * error to e. */
int vcheck_read_ca_file(vnode_t *settings, int verify, char **ca_file,
                        verrs_t *e);

#endif
