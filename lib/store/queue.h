/* queue.h - the history's queues of run records (queue.c): the runs
 * waiting for the store and the transitions waiting for the callback. Not
 * thread-safe: the history holds its lock around every call. */
#ifndef VITALS_STORE_QUEUE_H
#define VITALS_STORE_QUEUE_H

#include <stddef.h>

#include "store/record.h"

/* A queued record with its own copies of the strings. */
typedef struct qrec {
    struct qrec *next;
    vhist_rec_t r;
} qrec_t;

typedef struct qlist {
    qrec_t *head, **tail;
    size_t n;
} qlist_t;

void ql_init(qlist_t *l);
void ql_push(qlist_t *l, qrec_t *q);
/* The oldest record, removed; NULL when empty. */
qrec_t *ql_pop(qlist_t *l);
/* Moves the records of b before a's (a failed batch goes back first). */
void ql_prepend(qlist_t *a, qlist_t *b);
void ql_free(qlist_t *l);
/* A copy of r whose strings live in the same allocation (free() it), or
 * NULL when out of memory. */
qrec_t *qrec_copy(const vhist_rec_t *r);

#endif
