/* fakeclock.c - the one fake clock of the unit tests (see fakeclock.h). */
#include "fakeclock.h"

fakeclock_t fake = {FAKECLOCK_MONO0, FAKECLOCK_REAL0};

static int64_t fake_mono(void *data)
{
    return ((const fakeclock_t *)data)->mono;
}

static int64_t fake_real(void *data)
{
    return ((const fakeclock_t *)data)->real;
}

const vclock_t fake_clock = {fake_mono, fake_real, &fake};

void fakeclock_reset(void)
{
    fake.mono = FAKECLOCK_MONO0;
    fake.real = FAKECLOCK_REAL0;
}

void fakeclock_advance(int64_t ns)
{
    fake.mono += ns;
    fake.real += ns;
}
