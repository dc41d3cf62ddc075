/* list.c - the lists queries return (vitals_history_t), and the store's
 * constructor shared by every backend. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/schema.h"
#include "store/store.h"

static int grow(vitals_history_t *l, size_t size, void **items)
{
    size_t cap;
    void *a;

    if (l->n < l->cap)
        return VITALS_OK;
    cap = l->cap ? l->cap * 2 : 16;
    if ((a = realloc(*items, cap * size)) == NULL)
        return VITALS_ENOMEM;
    *items = a;
    l->cap = cap;
    return VITALS_OK;
}

/* A copy of s, or NULL for NULL; *failed set when out of memory. */
static char *dup_or_null(const char *s, int *failed)
{
    char *d;

    if (s == NULL)
        return NULL;
    if ((d = strdup(s)) == NULL)
        *failed = 1;
    return d;
}

int vhlist_add_run(vitals_history_t *l, const vitals_run_t *r)
{
    vitals_run_t *c;
    int failed = 0;

    if (grow(l, sizeof(*l->runs), (void **)&l->runs) != VITALS_OK)
        return VITALS_ENOMEM;
    c = &l->runs[l->n];
    *c = *r;
    c->error = dup_or_null(r->error, &failed);
    if (failed)
        return VITALS_ENOMEM;
    l->n++;
    return VITALS_OK;
}

int vhlist_add_transition(vitals_history_t *l, const vitals_transition_t *t)
{
    vitals_transition_t *c;
    int failed = 0;

    l->transitions = 1;
    if (grow(l, sizeof(*l->trans), (void **)&l->trans) != VITALS_OK)
        return VITALS_ENOMEM;
    c = &l->trans[l->n];
    *c = *t;
    c->check = dup_or_null(t->check, &failed);
    c->error = dup_or_null(t->error, &failed);
    if (failed) {
        free((char *)c->check);
        free((char *)c->error);
        return VITALS_ENOMEM;
    }
    l->n++;
    return VITALS_OK;
}

int vhlist_add_row(vitals_history_t *l, const char *check,
                   const char *const *col)
{
    int64_t t = col[0] != NULL ? strtoll(col[0], NULL, 10) : 0;

    if (l->transitions) {
        vitals_transition_t x = {check, t, col[1] != NULL,
                                 vschema_status(col[1]),
                                 vschema_status(col[2]), col[3]};

        return vhlist_add_transition(l, &x);
    }
    vitals_run_t x = {t, col[1] != NULL ? strtoll(col[1], NULL, 10) : 0,
                      vschema_status(col[2]), vschema_status(col[3]),
                      col[4]};

    return vhlist_add_run(l, &x);
}

void vhlist_clear(vitals_history_t *l)
{
    for (size_t i = 0; i < l->n; i++) {
        if (l->transitions) {
            free((char *)l->trans[i].check);
            free((char *)l->trans[i].error);
        } else {
            free((char *)l->runs[i].error);
        }
    }
    free(l->runs);
    free(l->trans);
    memset(l, 0, sizeof(*l));
}

/* ------------------------------------------------------------------------
 * The store
 */

vstore_t *vstore_new(vstore_kind_t kind, const char *service,
                     const char *instance, const char *path,
                     const char *dsn)
{
    vstore_t *s = calloc(1, sizeof(*s));
    int failed = 0;

    if (s == NULL)
        return NULL;
    s->ops = kind == VSTORE_SQLITE     ? &vstore_sqlite
             : kind == VSTORE_POSTGRES ? &vstore_postgres
                                       : &vstore_memory;
    s->service = dup_or_null(service ? service : "", &failed);
    s->instance = dup_or_null(instance ? instance : "", &failed);
    s->path = dup_or_null(path, &failed);
    s->dsn = dup_or_null(dsn, &failed);
    if (failed) {
        vstore_free(s);
        return NULL;
    }
    return s;
}

void vstore_free(vstore_t *s)
{
    if (s == NULL)
        return;
    if (s->impl != NULL)
        s->ops->close(s);
    free(s->service);
    free(s->instance);
    free(s->path);
    if (s->dsn != NULL) /* it may hold a password */
        memset(s->dsn, 0, strlen(s->dsn));
    free(s->dsn);
    free(s);
}

void vstore_errf(vstore_t *s, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(s->err, sizeof(s->err), fmt, ap);
    va_end(ap);
}
