/* pgparams.c - the text parameters of a libpq statement, grown as rows
 * are added: the postgres store's multi-row INSERTs and its queries. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/pgparams.h"

void p_str(params_t *p, const char *s)
{
    if (p->n == p->cap) {
        size_t cap = p->cap ? p->cap * 2 : 64;
        const char **v = realloc(p->v, cap * sizeof(*v));
        char **o = realloc(p->owned, cap * sizeof(*o));

        if (v != NULL)
            p->v = v;
        if (o != NULL)
            p->owned = o;
        if (v == NULL || o == NULL) {
            p->oom = 1;
            return;
        }
        p->cap = cap;
    }
    p->v[p->n++] = s;
}

void p_int(params_t *p, int64_t x)
{
    char *s = NULL;

    if (asprintf(&s, "%lld", (long long)x) < 0) {
        p->oom = 1;
        return;
    }
    p_str(p, s);
    if (p->oom || p->nowned >= p->cap) {
        free(s);
        p->oom = 1;
        return;
    }
    p->owned[p->nowned++] = s;
}

void p_status(params_t *p, int has, vitals_status_t v)
{
    p_str(p, has ? vitals_status_name(v) : NULL);
}

void p_free(params_t *p)
{
    for (size_t i = 0; i < p->nowned; i++)
        free(p->owned[i]);
    free(p->owned);
    free(p->v);
    memset(p, 0, sizeof(*p));
}

void p_keys(params_t *p, vstore_t *s, const char *check)
{
    p_str(p, s->service);
    p_str(p, s->instance);
    p_str(p, check);
}
