/* fakeclock.h - the one fake clock of the unit tests: a vclock_t whose time
 * moves only when a test moves it, so schedules and timestamps are exact. */
#ifndef VITALS_FAKECLOCK_H
#define VITALS_FAKECLOCK_H

#include <stdint.h>

#include "util/clock.h"

/* Where fakeclock_reset puts the clocks: monotonic 1000 s, wall time
 * 2020-10-14T14:04:05Z. */
#define FAKECLOCK_MONO0 (1000 * VCLOCK_S)
#define FAKECLOCK_REAL0 1602684245000000000LL

/* The time it reads, in ns; a test may set either directly. Both start at
 * FAKECLOCK_MONO0 and FAKECLOCK_REAL0. */
typedef struct fakeclock {
    int64_t mono, real;
} fakeclock_t;

extern fakeclock_t fake;

/* The clock to give the engine (vitals_t's clock, vresult_new): reads
 * fake.mono and fake.real. */
extern const vclock_t fake_clock;

/* Puts both clocks back at their start. */
void fakeclock_reset(void);

/* Moves both clocks ns forward, as time passing does. */
void fakeclock_advance(int64_t ns);

#endif
