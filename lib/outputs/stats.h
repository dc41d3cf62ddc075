/* stats.h - the HTTP server's response counters, by endpoint and status
 * code, as the server counts them and outputs read them (the metrics
 * output's vitals_http_requests_total). The one table lives in the
 * server (listen/); a request carries a read-only pointer to it, so
 * outputs never include the server's headers.
 *
 * Counting is allocation-free and lock-free: one relaxed atomic increment
 * per response. Readers may see a count a response or two behind. */
#ifndef VITALS_STATS_H
#define VITALS_STATS_H

#include <stdatomic.h>
#include <stddef.h>

/* The status codes vitals sends, each counted apart; any other code is
 * counted as "other". */
#define VSTATS_CODES(XX)                                                      \
    XX(200) XX(204) XX(304) XX(400) XX(401) XX(403) XX(404) XX(405)           \
    XX(406) XX(409) XX(413) XX(414) XX(429) XX(431) XX(500) XX(503)

#define VSTATS_COLUMN(code) VSTATS_##code,
enum { VSTATS_CODES(VSTATS_COLUMN) VSTATS_OTHER, VSTATS_NCODES };
#undef VSTATS_COLUMN

/* One row per output (its index in voutputs[]) and a last row for
 * requests no output answered (no route, a bad request line, not
 * ready). */
#define VSTATS_ROWS 32

typedef struct vstats {
    atomic_uint_fast64_t n[VSTATS_ROWS][VSTATS_NCODES];
} vstats_t;

struct voutput;

/* Counts one response with HTTP status code from output o (NULL: none). */
void vstats_count(vstats_t *s, const struct voutput *o, unsigned code);
/* The count of row (an output's index, or VSTATS_ROWS - 1) and column. */
unsigned long long vstats_get(const vstats_t *s, size_t row, size_t col);
/* The status code of a column; 0 for VSTATS_OTHER. */
unsigned vstats_code(size_t col);

#endif
