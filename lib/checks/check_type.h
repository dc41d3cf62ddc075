/* check_type.h - the interface every built-in check type implements, and
 * the one table that lists them (builtin.c).
 *
 * A type is one file: a configure function that reads its own settings from
 * the check's map (through the vnode getters, so errors carry file:line:col
 * and unknown keys are reported), a run function that reports into a
 * vitals_result_t, and a free function for its state. Adding a type is one
 * new file and one line in builtin.c.
 */
#ifndef VITALS_CHECK_TYPE_H
#define VITALS_CHECK_TYPE_H

#include <stdlib.h>
#include <string.h>

#include "config/vnode.h"
#include "vitals.h"

typedef struct vcheck_type {
    const char *name;           /* mandatory: the `type:` in the config */
    const char *component_type; /* mandatory: IETF componentType */
    /* mandatory: reads the type's keys from settings (the check's whole
     * map; generic keys are already marked read). Returns the new state, or
     * NULL after adding at least one error to e. */
    void *(*configure)(vnode_t *settings, verrs_t *e);
    /* mandatory: one run. Must return within vitals_result_remaining_ms. */
    void (*run)(void *state, vitals_result_t *r);
    /* optional: frees what configure returned. */
    void (*free)(void *state);
} vcheck_type_t;

/* Frees a secret (a password, a dsn) after overwriting it, so that it does
 * not linger in freed memory. NULL is fine. */
static inline void vcheck_free_secret(char *s)
{
    if (s != NULL) {
        explicit_bzero(s, strlen(s));
        free(s);
    }
}

/* The type called name, or NULL. */
const vcheck_type_t *vcheck_type_find(const char *name);
/* "disk, exec, tcp" - for error messages. Static. */
const char *vcheck_type_names(void);

#endif
