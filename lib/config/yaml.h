/* yaml.h - loads one YAML document (the vitalsd configuration) into a
 * vnode tree whose nodes carry their file, line and column.
 *
 * The loader resolves what YAML leaves to the reader: ${NAME} in any scalar
 * expands from the environment ("$${" is a literal "${"), aliases become
 * copies of their anchor's node, plain ~, null, Null, NULL and empty
 * scalars are null, and quoted or block scalars are marked quoted.
 *
 * Both functions return a new map (free with vnode_free; it owns the file
 * name every node points to), or NULL after an error that leaves no usable
 * tree (an unreadable file, a syntax error, a top level that is not a map,
 * too many nodes, no memory). Other errors (a duplicate key, a key that is
 * not a scalar, an unset environment variable, an unknown alias) are added
 * to e while the tree is still returned, so one pass reports as many errors
 * as possible: as with every getter, the caller must check e afterwards.
 */
#ifndef VITALS_CONFIG_YAML_H
#define VITALS_CONFIG_YAML_H

#include <stddef.h>

#include "config/vnode.h"

/* Reads and parses the file at path (borrowed); messages start "path:". */
vnode_t *vyaml_load_file(const char *path, verrs_t *e);

/* Parses len bytes of text (borrowed); messages start with name (borrowed;
 * "<string>" when NULL). */
vnode_t *vyaml_load_string(const char *text, size_t len, const char *name,
                           verrs_t *e);

#endif
