/* storecases.h - the cases every persistent history store (lib/store/
 * sqlite.c, postgres.c) must pass: batches written and read back newest
 * first, transitions, uptime counts, streaks, retention by age and by
 * rows per check in bounded chunks, the key/value state, and two
 * instances sharing one database. Each case takes connected, empty
 * stores; the backend's own test makes them. */
#ifndef VITALS_STORECASES_H
#define VITALS_STORECASES_H

#include "store/store.h"

/* A wall clock time in the cases: T0 + i seconds. */
#define SC_T0 1700000000000000000LL
#define SC_T(i) (SC_T0 + (int64_t)(i) * 1000000000LL)

void store_case_write_and_query(vstore_t *s);
void store_case_streaks(vstore_t *s);
void store_case_retention(vstore_t *s);
void store_case_state(vstore_t *s);
/* a and b: the same database, instances "a" and "b" of one service. */
void store_case_instances(vstore_t *a, vstore_t *b);

#endif
