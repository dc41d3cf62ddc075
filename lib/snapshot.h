/* snapshot.h - the immutable, reference-counted view of all checks that
 * readers (formats, HTTP, the C API) use, and its cache of rendered bodies.
 */
#ifndef VITALS_SNAPSHOT_H
#define VITALS_SNAPSHOT_H

#include <stdatomic.h>
#include <stddef.h>

#include "engine.h"

typedef struct vsnap_entry {
    vitals_check_state_t pub;
    vcheck_t *check;         /* a reference: name, tags, type */
    vitals_result_t *result; /* a reference, or NULL before the first run */
    char *error;             /* owned, when not the result's own */
} vsnap_entry_t;

/* A rendered body. Immutable once published in a snapshot's cache. */
typedef struct vbody {
    char *data;
    size_t len;
} vbody_t;

/* Cache slots: one per format (and per variant a format has). */
enum { VBODY_IETF, VBODY_SLOTS };

struct vitals_snapshot {
    atomic_int refs;
    uint64_t generation;
    vitals_status_t status;
    size_t n;
    vsnap_entry_t *entries;
    char *service_id, *service_description, *service_version,
        *service_release;
    _Atomic(vbody_t *) bodies[VBODY_SLOTS];
};

typedef vbody_t *(*vrender_fn)(const vitals_snapshot_t *s);

vitals_snapshot_t *vsnap_ref(vitals_snapshot_t *s);
/* The body of slot, rendered by render on first use and cached for the life
 * of the snapshot. Owned by s; NULL only when out of memory. */
const vbody_t *vsnap_body(vitals_snapshot_t *s, unsigned slot,
                          vrender_fn render);
vbody_t *vbody_new(char *data, size_t len); /* takes data */
void vbody_free(vbody_t *b);

#endif
