/* snapshot.h - the immutable, reference-counted view of all checks that
 * readers (formats, HTTP, the C API) use, and its cache of rendered bodies.
 */
#ifndef VITALS_SNAPSHOT_H
#define VITALS_SNAPSHOT_H

#include <stdatomic.h>
#include <stddef.h>

#include "engine/engine.h"

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
    vitals_status_t health; /* of the view it shows, for the HTTP status */
    unsigned status;        /* an HTTP status the format chose, or 0 */
} vbody_t;

/* One cached rendering: a format and a selection, named by key. */
typedef struct vvariant {
    struct vvariant *next;
    char *key;
    vbody_t *body;
} vvariant_t;

/* Bodies cached per snapshot; past this many variants (a client cycling
 * through tag filters, say) bodies are rendered per request instead. */
#define VSNAP_MAX_VARIANTS 64

struct vitals_snapshot {
    atomic_int refs;
    uint64_t generation;
    vitals_status_t status;
    size_t n;
    vsnap_entry_t *entries;
    char *service_id, *service_description, *service_version,
        *service_release;
    struct vroutes *routes; /* the endpoints this snapshot is served on */
    _Atomic(vvariant_t *) variants;
    atomic_int nvariants;
};

typedef vbody_t *(*vrender_fn)(void *arg);

vitals_snapshot_t *vsnap_ref(vitals_snapshot_t *s);
/* The body cached under key, or render(arg) cached under key from now on.
 * The body is owned by s, unless *owned is set (the cache is full): then
 * the caller frees it with vbody_free. NULL only when out of memory. */
vbody_t *vsnap_body(vitals_snapshot_t *s, const char *key, vrender_fn render,
                    void *arg, int *owned);
vbody_t *vbody_new(char *data, size_t len); /* takes data */
void vbody_free(vbody_t *b);

#endif
