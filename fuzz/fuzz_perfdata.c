/* fuzz_perfdata.c - Nagios plugin output: vperfdata_split, then
 * vperfdata_parse of the performance data it found, as the exec check type
 * does with a plugin's stdout. The input is the plugin's output.
 *
 * Asserts what perfdata.h promises: the summary is valid UTF-8 without
 * control characters or surrounding spaces, at most VPERFDATA_MAX_ITEMS
 * items, each with a numeric (or null) value. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "checks/perfdata.h"
#include "util/utf8.h"

static void check_summary(const char *s)
{
    size_t n = strlen(s);

    if (n > 0 && (s[0] == ' ' || s[n - 1] == ' '))
        abort();
    for (size_t i = 0; i < n;) {
        size_t k = vutf8_seq((const unsigned char *)s + i, n - i);

        if (k == 0 || (unsigned char)s[i] < 0x20 || s[i] == 0x7f)
            abort();
        i += k;
    }
}

static void check_items(json_t *o, int added)
{
    const char *key;
    json_t *item;

    if (added < 0 || added > VPERFDATA_MAX_ITEMS ||
        json_object_size(o) != (size_t)added)
        abort();
    json_object_foreach(o, key, item) {
        json_t *value = json_object_get(item, "value");

        if (!json_is_number(value) && !json_is_null(value))
            abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *summary = NULL, *perf = NULL;
    json_t *o;

    if (vperfdata_split((const char *)data, size, &summary, &perf) != 0)
        return 0; /* out of memory */
    check_summary(summary);
    if ((o = json_object()) != NULL) {
        check_items(o, vperfdata_parse(perf, strlen(perf), o));
        json_decref(o);
    }
    /* The raw input as performance data too: NULs and all. */
    if ((o = json_object()) != NULL) {
        check_items(o, vperfdata_parse((const char *)data, size, o));
        json_decref(o);
    }
    free(summary);
    free(perf);
    return 0;
}
