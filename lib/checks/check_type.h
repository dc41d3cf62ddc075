/* check_type.h - the interface every built-in check type implements, and
 * the one table that lists them (builtin.c).
 *
 * A type is one file: a table of its settings (config/settings.h), read
 * into a new state by one generic reader (so errors carry file:line:col and
 * unknown keys are reported), an optional prepare step for what a table
 * cannot say (one key against another, fields derived from the settings),
 * and a run function that reports into a vitals_result_t. Adding a type is
 * one new file and one line in builtin.c.
 */
#ifndef VITALS_CHECK_TYPE_H
#define VITALS_CHECK_TYPE_H

#include <stdlib.h>
#include <string.h>

#include "config/settings.h"
#include "config/vnode.h"
#include "vitals.h"

typedef struct vcheck_type {
    const char *name;           /* mandatory: the `type:` in the config */
    const char *component_type; /* mandatory: IETF componentType */
    /* mandatory unless configure: the type's keys, read into a zeroed
     * state of state_size bytes. */
    const vsetting_t *settings;
    size_t state_size;
    /* optional: runs when every key read well; checks keys against each
     * other and derives fields (settings for the errors' positions).
     * Returns 0, or -1 after adding at least one error to e. */
    int (*prepare)(void *state, vnode_t *settings, verrs_t *e);
    /* optional: frees what prepare derived (the table's fields and the
     * state itself are freed by vcheck_state_free). */
    void (*clear)(void *state);
    /* optional, instead of the four above (a type whose settings hold
     * other checks): reads the keys itself; what names the check in
     * messages (NULL: unnamed). Returns the new state, or NULL after
     * adding at least one error to e. free then frees that state. */
    void *(*configure)(vnode_t *settings, const char *what, verrs_t *e);
    void (*free)(void *state);
    /* mandatory: one run. Must return within vitals_result_remaining_ms. */
    void (*run)(void *state, vitals_result_t *r);
    /* optional: on 1, the instance stops: end what runs of this state have
     * started outside the process (exec kills its programs' process
     * groups) and start no more; on 0, it starts again. Called from any
     * thread, runs may be in progress; must not block. */
    void (*halt)(void *state, int on);
} vcheck_type_t;

/* Reads the required key `type` of settings, a check's map: the type, or
 * NULL after an error naming the check (what: "check 'db'") - and then
 * every key of settings is marked read, since none can be checked. */
const vcheck_type_t *vcheck_type_read(vnode_t *settings, const char *what,
                                      verrs_t *e);

/* Reads the keys of type t from settings (the check's whole map; generic
 * keys are already marked read) into a new state. what names the check in
 * messages ("check 'db'"; NULL: unnamed). Returns the state (free with
 * vcheck_state_free), or NULL after adding at least one error to e. */
void *vcheck_configure(const vcheck_type_t *t, vnode_t *settings,
                       const char *what, verrs_t *e);
/* Frees a state vcheck_configure returned. NULL is fine. */
void vcheck_state_free(const vcheck_type_t *t, void *state);

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
