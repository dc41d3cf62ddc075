/* render.c - a snapshot rendered in one of the formats the endpoints
 * serve, for programs that show results without serving HTTP (vitals
 * check --json). */
#include <stdlib.h>
#include <string.h>

#include "outputs/format.h"

/* The renderer of each format, by the id of the endpoint that serves it. */
static vbody_t *render(const vview_t *view, const char *format)
{
    if (strcmp(format, "ietf") == 0)
        return vformat_ietf(view);
    if (strcmp(format, "report") == 0)
        return vformat_report(view);
    if (strcmp(format, "jsonrpc") == 0)
        return vformat_avalanche(view);
    return NULL;
}

char *vitals_snapshot_format(const vitals_snapshot_t *s, const char *format)
{
    vview_t view;
    vbody_t *b;
    char *text;

    if (s == NULL || format == NULL || vview_init(&view, s, NULL) != 0)
        return NULL;
    b = render(&view, format);
    vview_free(&view);
    if (b == NULL)
        return NULL;
    text = b->data; /* NUL-terminated: vformat_dump keeps json_dumps' text */
    b->data = NULL;
    vbody_free(b);
    return text;
}
