/* snaptest.c - scripted checks run inline into a snapshot, for the unit
 * tests of outputs (see snaptest.h). */
#include "snaptest.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>

#include <cmocka.h>

#include "fakeclock.h"

void scripted(vitals_result_t *r, void *script)
{
    const script_t *s = script;

    vitals_result_set_status(r, s->status);
    if (s->error != NULL)
        vitals_result_set_error(r, "%s", s->error);
    if (s->description != NULL)
        vitals_result_set_description(r, "%s", s->description);
}

vitals_t *snap_instance(void)
{
    vitals_t *v = vitals_new();

    assert_non_null(v);
    vitals_engine(v)->clock = &fake_clock;
    return v;
}

void snap_tick(vitals_t *v, int64_t (*cost)(const vrun_t *run))
{
    vrun_t *run = vengine_due(vitals_engine(v), fake.mono);

    while (run != NULL) {
        vrun_t *next = run->next;

        vengine_execute(run);
        vengine_finish(vitals_engine(v), run,
                       fake.mono + (cost != NULL ? cost(run) : 1000));
        run = next;
    }
    vengine_publish(vitals_engine(v), fake.mono);
}

vitals_snapshot_t *snap_run(vitals_t *v)
{
    snap_tick(v, NULL);
    return vitals_snapshot_get(v);
}

void snap_keep(const char *name, const char *text)
{
    const char *dir = getenv("VITALS_TEST_OUT");
    char path[512];
    FILE *f;

    if (dir == NULL)
        return;
    snprintf(path, sizeof(path), "%s/%s.json", dir, name);
    if ((f = fopen(path, "w")) != NULL) {
        fputs(text, f);
        fclose(f);
    }
}
