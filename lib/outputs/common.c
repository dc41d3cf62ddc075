/* common.c - helpers every JSON format uses. */
#include "outputs/format.h"

#include <string.h>

#include "util/clock.h"

vbody_t *vformat_dump(json_t *j)
{
    char *text;

    if (j == NULL)
        return NULL;
    text = json_dumps(j, VFORMAT_FLAGS);
    json_decref(j);
    return text != NULL ? vbody_new(text, strlen(text)) : NULL;
}

json_t *vformat_data(const vitals_check_state_t *st)
{
    json_t *d = st->data_json ? json_loads(st->data_json, 0, NULL) : NULL;

    if (d == NULL || !json_is_object(d)) {
        json_decref(d);
        d = json_object();
    }
    return d;
}

int vformat_set_time(json_t *obj, const char *key, int64_t ns)
{
    char buf[40];

    vclock_rfc3339(ns, buf, sizeof(buf));
    return json_object_set_new(obj, key, json_string(buf));
}
