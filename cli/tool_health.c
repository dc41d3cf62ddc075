/* tool_health.c - reads the status out of any health document vitals
 * serves, so that probe and status agree on what "healthy" means. */
#include <ctype.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "tool_health.h"

static const struct {
    const char *word;
    int status;
} words[] = {
    /* IETF draft (with its aliases), HealthReport, Kubernetes. */
    {"pass", 0},    {"ok", 0},        {"up", 0},      {"healthy", 0},
    {"warn", 1},    {"degraded", 1},  {"fail", 2},    {"error", 2},
    {"down", 2},    {"unhealthy", 2}, {"failed", 2},
};

int health_word(const char *word)
{
    for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
        if (strcasecmp(word, words[i].word) == 0)
            return words[i].status;
    return -1;
}

const char *health_name(int status)
{
    return status == 0 ? "healthy" : status == 1 ? "degraded" : "unhealthy";
}

/* A JSON document's status: "status" (IETF, HealthReport), else
 * "healthy" (avalanchego, mosparo), also inside a JSON-RPC "result". */
static int json_health(json_t *j, char *word, size_t len)
{
    json_t *s = json_object_get(j, "status");
    json_t *h = json_object_get(j, "healthy");
    json_t *res = json_object_get(j, "result");

    if (json_is_string(s) && health_word(json_string_value(s)) >= 0) {
        snprintf(word, len, "%s", json_string_value(s));
        return health_word(word);
    }
    if (json_is_boolean(h)) {
        snprintf(word, len, "healthy:%s", json_is_true(h) ? "true" : "false");
        return json_is_true(h) ? 0 : 2;
    }
    return json_is_object(res) ? json_health(res, word, len) : -1;
}

/* A text body's status: its first word ("ok", "pass", "fail" ...). */
static int text_health(const char *body, char *word, size_t len)
{
    size_t n = 0;

    while (isspace((unsigned char)*body))
        body++;
    while (body[n] != '\0' && !isspace((unsigned char)body[n]))
        n++;
    if (n == 0 || n >= len)
        return -1;
    memcpy(word, body, n);
    word[n] = '\0';
    return health_word(word);
}

int health_of_body(const char *body, char *word, size_t len)
{
    json_t *j = body != NULL ? json_loads(body, 0, NULL) : NULL;
    int status = -1;

    if (j != NULL)
        status = json_health(j, word, len);
    else if (body != NULL)
        status = text_health(body, word, len);
    json_decref(j);
    if (status < 0)
        snprintf(word, len, "-");
    return status;
}
