/* fuzz_jsonrpc.c - JSON-RPC 2.0 bodies (POST /ext/health): vjsonrpc_answer
 * on a fixed snapshot, with and without details. The input is the body.
 *
 * Beyond the sanitizers it asserts what the endpoint promises: the answer
 * is a JSON object or array, and without details nothing a check said
 * reaches it (unless the request itself wrote those words). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fixture.h"
#include "outputs/format.h"
#include "snapshot.h"

static vitals_t *inst; /* kept: the snapshot does not hold it */
static vitals_snapshot_t *snap;

/* Words only the checks of the fixture say. */
static const char *const secrets[] = {"freeMegabytes", "replica lag",
                                      "behind", "latency"};

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    inst = vfuzz_instance();
    snap = vitals_snapshot_get(inst);
    return 0;
}

static void check_answer(const uint8_t *in, size_t size, const vbody_t *out,
                         int details)
{
    json_t *j = json_loadb(out->data, out->len, JSON_ALLOW_NUL, NULL);

    if (!json_is_object(j) && !json_is_array(j))
        abort();
    json_decref(j);
    for (size_t i = 0; !details && i < sizeof(secrets) / sizeof(*secrets);
         i++) {
        size_t n = strlen(secrets[i]);

        if (memmem(out->data, out->len, secrets[i], n) != NULL &&
            memmem(in, size, secrets[i], n) == NULL)
            abort(); /* a check's words without details */
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    for (int details = 0; details < 2; details++) {
        vbody_t *out = NULL;
        int rc = vjsonrpc_answer((const char *)data, size, snap, details,
                                 VJSONRPC_MAX_BATCH_BYTES, &out);

        if (rc != VITALS_OK && rc != VITALS_ENOMEM)
            abort();
        if (out != NULL)
            check_answer(data, size, out, details);
        vbody_free(out);
    }
    return 0;
}
