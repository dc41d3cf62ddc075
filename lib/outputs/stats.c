/* stats.c - counting responses by output and status code, with relaxed
 * atomics: the counts are for Prometheus, which reads them seconds apart,
 * so no ordering with anything else is needed. */
#include "outputs/stats.h"

#include "outputs/output.h"

#define VSTATS_VALUE(code) code,
static const unsigned codes[VSTATS_NCODES] = {VSTATS_CODES(VSTATS_VALUE) 0};
#undef VSTATS_VALUE

static size_t column(unsigned code)
{
    for (size_t i = 0; i < VSTATS_OTHER; i++)
        if (codes[i] == code)
            return i;
    return VSTATS_OTHER;
}

/* The output's index in the table; a table grown past the rows (a test
 * fails first, see tests/unit/lib/outputs/stats.c) counts as no output. */
static size_t row(const voutput_t *o)
{
    for (size_t i = 0; o != NULL && voutputs[i] != NULL; i++)
        if (voutputs[i] == o)
            return i < VSTATS_ROWS - 1 ? i : VSTATS_ROWS - 1;
    return VSTATS_ROWS - 1;
}

void vstats_count(vstats_t *s, const voutput_t *o, unsigned code)
{
    if (s != NULL)
        atomic_fetch_add_explicit(&s->n[row(o)][column(code)], 1,
                                  memory_order_relaxed);
}

unsigned long long vstats_get(const vstats_t *s, size_t r, size_t col)
{
    if (s == NULL || r >= VSTATS_ROWS || col >= VSTATS_NCODES)
        return 0;
    /* The cast drops const only to read: C11's atomic_load takes a
     * non-const pointer in older compilers' headers. */
    return atomic_load_explicit((atomic_uint_fast64_t *)&s->n[r][col],
                                memory_order_relaxed);
}

unsigned vstats_code(size_t col)
{
    return col < VSTATS_NCODES ? codes[col] : 0;
}
