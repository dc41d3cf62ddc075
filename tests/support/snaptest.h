/* snaptest.h - unit test support for outputs: an instance on the fake clock
 * whose checks report what the test scripts, run inline into a published
 * snapshot, and the bodies kept for schema validation. */
#ifndef VITALS_SNAPTEST_H
#define VITALS_SNAPTEST_H

#include <stdint.h>

#include "engine/engine.h"
#include "instance.h"
#include "snapshot.h"

/* What a scripted check reports; NULL strings report nothing. */
typedef struct script {
    vitals_status_t status;
    const char *error;
    const char *description;
} script_t;

/* A check function that reports the script_t given as its data. */
void scripted(vitals_result_t *r, void *script);

/* A new instance whose engine reads the fake clock; fails the test when
 * it cannot be made. Free with vitals_free. */
vitals_t *snap_instance(void);

/* Runs every check due at fake.mono inline, each finishing cost(run) ns
 * later (cost is asked after the run, so a check may set what it cost;
 * 1 us when cost is NULL), then publishes a snapshot at fake.mono. */
void snap_tick(vitals_t *v, int64_t (*cost)(const vrun_t *run));

/* snap_tick(v, NULL), and the snapshot it published (release it with
 * vitals_snapshot_release). */
vitals_snapshot_t *snap_run(vitals_t *v);

/* When VITALS_TEST_OUT names a directory, writes text there as
 * <name>.json, to validate against docs/schemas/ by hand. */
void snap_keep(const char *name, const char *text);

#endif
