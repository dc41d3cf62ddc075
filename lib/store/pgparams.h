/* pgparams.h - text parameters for libpq statements (pgparams.c): a
 * growing array of values, those it formatted owned by it. Out of memory
 * sets oom and the statement is not run. */
#ifndef VITALS_STORE_PGPARAMS_H
#define VITALS_STORE_PGPARAMS_H

#include <stddef.h>
#include <stdint.h>

#include "store/store.h"

typedef struct params {
    const char **v;
    char **owned;
    size_t n, nowned, cap;
    int oom;
} params_t;

/* Appends s (borrowed; NULL is SQL NULL). */
void p_str(params_t *p, const char *s);
/* Appends x as decimal text. */
void p_int(params_t *p, int64_t x);
/* Appends the name of v, or NULL when has is 0. */
void p_status(params_t *p, int has, vitals_status_t v);
/* Appends the keys of s's rows: service, instance, check. */
void p_keys(params_t *p, vstore_t *s, const char *check);
/* Frees and zeroes p. */
void p_free(params_t *p);

#endif
