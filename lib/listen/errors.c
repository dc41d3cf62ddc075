/* errors.c - seed 003's error body, with its codes, levels and messages. */
#include "listen/errors.h"

#include <jansson.h>
#include <string.h>

typedef struct {
    unsigned status;
    const char *code, *level, *message;
} verror_kind_t;

/* Exactly as seed 003 lists them. */
static const verror_kind_t kinds[] = {
    {400, "BAD_REQUEST", "FATAL", "Bad Request"},
    {401, "UNAUTHORIZED", "ERROR", "Unauthorized"},
    {403, "FORBIDDEN", "FATAL", "Forbidden"},
    {404, "NOT_FOUND", "FATAL", "Not Found"},
    {405, "METHOD_NOT_ALLOWED", "FATAL", "Method Not Allowed"},
    {406, "NOT_ACCEPTABLE", "FATAL", "Not Acceptable"},
    {409, "CONFLICT", "FATAL", "Conflict"},
    {413, "PAYLOAD_TOO_LARGE", "FATAL", "Payload Too Large"},
    {414, "URI_TOO_LONG", "FATAL", "URI Too Long"},
    {422, "UNPROCESSABLE_ENTITY", "FATAL", "Unprocessable Entity"},
    {429, "TOO_MANY_REQUESTS", "ERROR", "Too Many Requests"},
    {431, "REQUEST_HEADER_FIELDS_TOO_LARGE", "FATAL",
     "Request Header Fields Too Large"},
    {500, "INTERNAL_SERVER_ERROR", "FATAL", "Internal server error"},
    {503, "SERVICE_UNAVAILABLE", "ERROR", "Service unavailable"},
    {504, "GATEWAY_TIMEOUT", "ERROR", "Gateway timeout"},
};

char *verror_body(unsigned status, const char *description, size_t *len)
{
    const verror_kind_t *k = &kinds[13]; /* 500 for anything unlisted */
    json_t *body;
    char *text;

    for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
        if (kinds[i].status == status)
            k = &kinds[i];
    body = json_pack("{s:[{s:s, s:s, s:s, s:s}]}", "errors", "code", k->code,
                     "level", k->level, "message", k->message, "description",
                     description ? description : k->message);
    if (body == NULL) /* the description was not valid UTF-8 */
        body = json_pack("{s:[{s:s, s:s, s:s, s:s}]}", "errors", "code",
                         k->code, "level", k->level, "message", k->message,
                         "description", k->message);
    if (body == NULL)
        return NULL;
    text = json_dumps(body, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(body);
    if (text != NULL && len != NULL)
        *len = strlen(text);
    return text;
}
