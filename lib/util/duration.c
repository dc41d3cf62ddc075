/* duration.c - formatting durations the way the configuration writes them,
 * for messages such as "timed out after 2s". */
#include "util/duration.h"

#include <inttypes.h>
#include <stdio.h>

char *vitals_format_duration(int64_t ms, char *buf, size_t len)
{
    static const struct {
        const char *name;
        uint64_t factor;
    } units[] = {{"d", 86400000}, {"h", 3600000}, {"m", 60000}, {"s", 1000}};
    uint64_t mag;
    const char *sign = ms < 0 ? "-" : "";

    if (buf == NULL || len == 0)
        return buf;
    if (ms == 0) {
        snprintf(buf, len, "0s");
        return buf;
    }
    /* Through uint64_t, so INT64_MIN has a magnitude too. */
    mag = ms < 0 ? (uint64_t)0 - (uint64_t)ms : (uint64_t)ms;
    for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
        if (mag % units[i].factor == 0) {
            snprintf(buf, len, "%s%" PRIu64 "%s", sign,
                     mag / units[i].factor, units[i].name);
            return buf;
        }
    }
    snprintf(buf, len, "%s%" PRIu64 "ms", sign, mag);
    return buf;
}
