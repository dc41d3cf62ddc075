/* queue.c - the history's queues: singly linked lists of run records,
 * each record one allocation with its strings. */
#include <stdlib.h>
#include <string.h>

#include "store/queue.h"

void ql_init(qlist_t *l)
{
    l->head = NULL;
    l->tail = &l->head;
    l->n = 0;
}

void ql_push(qlist_t *l, qrec_t *q)
{
    q->next = NULL;
    *l->tail = q;
    l->tail = &q->next;
    l->n++;
}

qrec_t *ql_pop(qlist_t *l)
{
    qrec_t *q = l->head;

    if (q != NULL && (l->head = q->next) == NULL)
        l->tail = &l->head;
    if (q != NULL)
        l->n--;
    return q;
}

/* Puts the list b before a's records (a failed batch goes back first). */
void ql_prepend(qlist_t *a, qlist_t *b)
{
    if (b->head == NULL)
        return;
    *b->tail = a->head;
    if (a->head == NULL)
        a->tail = b->tail;
    a->head = b->head;
    a->n += b->n;
    ql_init(b);
}

void ql_free(qlist_t *l)
{
    qrec_t *q;

    while ((q = ql_pop(l)) != NULL)
        free(q);
}

/* One allocation holding r and its strings. */
qrec_t *qrec_copy(const vhist_rec_t *r)
{
    size_t nc = strlen(r->check) + 1, ne = r->error ? strlen(r->error) + 1 : 0;
    qrec_t *q = malloc(sizeof(*q) + nc + ne);
    char *p;

    if (q == NULL)
        return NULL;
    q->r = *r;
    p = (char *)(q + 1);
    q->r.check = memcpy(p, r->check, nc);
    q->r.error = ne ? memcpy(p + nc, r->error, ne) : NULL;
    return q;
}
