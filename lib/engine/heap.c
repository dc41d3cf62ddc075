/* heap.c - the min-heap of the checks' next events (a due run or a
 * deadline), so the scheduler finds the next one in O(1) and reschedules
 * in O(log n). */
#include "engine/engine.h"

#include <stdlib.h>

#define NO_HEAP SIZE_MAX

static void heap_set(vengine_t *e, size_t i, vcheck_t *c)
{
    e->heap[i] = c;
    c->heap_pos = i;
}

static void heap_up(vengine_t *e, size_t i)
{
    vcheck_t *c = e->heap[i];

    while (i > 0) {
        size_t parent = (i - 1) / 2;

        if (e->heap[parent]->wake <= c->wake)
            break;
        heap_set(e, i, e->heap[parent]);
        i = parent;
    }
    heap_set(e, i, c);
}

static void heap_down(vengine_t *e, size_t i)
{
    vcheck_t *c = e->heap[i];

    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        int64_t best = c->wake;

        if (l < e->heap_n && e->heap[l]->wake < best) {
            m = l;
            best = e->heap[l]->wake;
        }
        if (r < e->heap_n && e->heap[r]->wake < best)
            m = r;
        if (m == i)
            break;
        heap_set(e, i, e->heap[m]);
        i = m;
    }
    heap_set(e, i, c);
}

void vheap_remove(vengine_t *e, vcheck_t *c)
{
    size_t i = c->heap_pos;

    if (i == NO_HEAP)
        return;
    c->heap_pos = NO_HEAP;
    if (--e->heap_n == i)
        return;
    heap_set(e, i, e->heap[e->heap_n]);
    heap_down(e, i);
    heap_up(e, e->heap[i]->heap_pos);
}

/* Reserves room so that the push below cannot fail. */
int vheap_reserve(vengine_t *e, size_t n)
{
    vcheck_t **h;
    size_t cap;

    if (n <= e->heap_cap)
        return VITALS_OK;
    cap = e->heap_cap ? e->heap_cap : 16;
    while (cap < n)
        cap *= 2;
    if ((h = realloc(e->heap, cap * sizeof(*h))) == NULL)
        return VITALS_ENOMEM;
    e->heap = h;
    e->heap_cap = cap;
    return VITALS_OK;
}

void vheap_schedule(vengine_t *e, vcheck_t *c, int64_t wake)
{
    vheap_remove(e, c);
    c->wake = wake;
    e->heap[e->heap_n] = c;
    c->heap_pos = e->heap_n++;
    heap_up(e, c->heap_pos);
}

int64_t vengine_next_wake(const vengine_t *e)
{
    return e->heap_n > 0 ? e->heap[0]->wake : INT64_MAX;
}

