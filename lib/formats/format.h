/* format.h - wire formats: each renders a snapshot into a body, knowing
 * nothing of HTTP or of check types. */
#ifndef VITALS_FORMAT_H
#define VITALS_FORMAT_H

#include <jansson.h>

#include "../snapshot.h"

/* IETF draft health+json (seed 003): "pass", "warn" or "fail". */
const char *vformat_ietf_status(vitals_status_t s);
vbody_t *vformat_ietf(const vitals_snapshot_t *s);

/* Shared helpers. */
/* Dumps j (taking the reference) into a body. */
vbody_t *vformat_dump(json_t *j);
/* The data object of a state (a new reference; {} when unparsable). */
json_t *vformat_data(const vitals_check_state_t *st);
/* Sets key to an RFC 3339 string for ns (taking no references). */
int vformat_set_time(json_t *obj, const char *key, int64_t ns);

#endif
