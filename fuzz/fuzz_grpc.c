/* fuzz_grpc.c - raw bytes from a gRPC client: one HTTP/2 server session
 * (lib/listen/grpc_session.c, libnghttp2 underneath) answering the health
 * service on a fixed snapshot, as a connection to a `kind: grpc` listener
 * would, without a socket.
 *
 * The first byte picks the mode: bit 0 details, bit 1 a publication after
 * every chunk (Watch streams re-evaluated), bits 2-7 the chunk size in 16
 * bytes (0: everything at once). The rest is what the client sends. Beyond
 * the sanitizers it asserts what the listener promises: without details no
 * check's name leaves the session unless the client wrote it, and a
 * session that refuses the input still says so (GOAWAY) rather than
 * failing to produce bytes. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fixture.h"
#include "listen/grpc.h"

static vitals_t *inst; /* kept: the snapshot does not hold it */
static vitals_snapshot_t *snap;

/* Names of the fixture's checks that List shows only with details. */
static const char *const names[] = {"heartbeat", "cache", "pushed"};

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    inst = vfuzz_instance();
    snap = vitals_snapshot_get(inst);
    return 0;
}

static const vitals_snapshot_t *snap_of(void *ctx)
{
    return ctx;
}

/* Takes everything the session has to send, checking it. */
static void drain(vgrpc_session_t *s, const uint8_t *in, size_t size,
                  int details)
{
    const uint8_t *out;
    ssize_t n;

    while ((n = vgrpc_send(s, &out)) > 0)
        for (size_t i = 0; !details && i < sizeof(names) / sizeof(*names);
             i++) {
            size_t len = strlen(names[i]);

            if (memmem(out, (size_t)n, names[i], len) != NULL &&
                memmem(in, size, names[i], len) == NULL)
                abort(); /* a check's name without details */
        }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    vgrpc_limits_t lim = {VGRPC_MAX_STREAMS, VGRPC_MAX_HEADER_BYTES,
                          VGRPC_MAX_MESSAGE_BYTES};
    unsigned mode = size > 0 ? data[0] : 0;
    int details = mode & 1;
    size_t chunk = (mode >> 2) * 16, n;
    vgrpc_session_t *s = vgrpc_session_new(&lim, snap_of, snap, details);

    if (s == NULL)
        abort();
    for (size_t off = 1; off < size; off += n) {
        n = chunk == 0 || chunk > size - off ? size - off : chunk;
        if (vgrpc_recv(s, data + off, n) != 0)
            break;
        drain(s, data, size, details);
        if (mode & 2)
            vgrpc_publish(s);
    }
    drain(s, data, size, details);
    vgrpc_shutdown(s);
    drain(s, data, size, details);
    vgrpc_session_free(s);
    return 0;
}
