/* check.c - the "check" output: one check in the IETF draft health+json
 * format at GET /health/<name>, and a push check's report taken at
 * PUT /health/<name>. */
#include <string.h>
#include <strings.h>

#include "outputs/output.h"

static vbody_t *ietf_fn(const vview_t *v, const vreq_t *r)
{
    (void)r;
    return vformat_ietf(v);
}

/* Reads {"status": "pass"|"warn"|"fail", "output": "..."} into *s and
 * *output (borrowed from body). 0, or -1 after answering 400. */
static int read_report(json_t *body, vans_t *ans, int *s, const char **output)
{
    static const char *const words[] = {"pass", "warn", "fail"};
    json_t *status = json_object_get(body, "status");
    json_t *out = json_object_get(body, "output");
    const char *key;
    json_t *val;

    if (!json_is_object(body)) {
        vans_error(ans, 400, body == NULL ? "The body is not JSON: expected "
                                            "{\"status\": \"pass\"}"
                                          : "The body must be a JSON object");
        return -1;
    }
    json_object_foreach(body, key, val) {
        if (strcmp(key, "status") != 0 && strcmp(key, "output") != 0) {
            vans_errorf(ans, 400, "Unknown key \"%.64s\": use status and "
                                  "output", key);
            return -1;
        }
    }
    *s = -1;
    for (int i = 0; i < 3 && json_is_string(status); i++)
        if (strcasecmp(json_string_value(status), words[i]) == 0)
            *s = i;
    if (*s < 0) {
        vans_error(ans, 400, "\"status\" must be \"pass\", \"warn\" or "
                             "\"fail\"");
        return -1;
    }
    if (out != NULL && !json_is_string(out)) {
        vans_error(ans, 400, "\"output\" must be a string");
        return -1;
    }
    *output = out ? json_string_value(out) : NULL;
    return 0;
}

/* PUT /health/<name>: a push check's report. */
static void push_answer(vreq_t *r, vans_t *ans)
{
    json_t *body = json_loadb(r->body ? r->body : "", r->body_len, 0, NULL);
    const char *output = NULL;
    int s, rc;

    if (read_report(body, ans, &s, &output) != 0) {
        json_decref(body);
        return;
    }
    rc = r->act != NULL && r->act->push != NULL
             ? r->act->push(r->act->ctx, r->rest + 1, (vitals_status_t)s,
                            output)
             : VITALS_ENOENT;
    /* Without details a caller learns no names: a check that takes no
     * reports answers as an unknown one. */
    if (rc == VITALS_ENOENT || (rc == VITALS_ETYPE && !r->details))
        vans_error(ans, 404, "There is no check with this name");
    else if (rc == VITALS_ETYPE)
        vans_error(ans, 409, "This check is not of type push: it takes no "
                             "reports");
    else if (rc != VITALS_OK)
        vans_error(ans, 500, "Could not record the report");
    else
        ans->status = 204; /* recorded: nothing to send back */
    json_decref(body);
}

static void check_answer(vreq_t *r, vans_t *ans)
{
    vselect_t sel = {.name = r->rest + 1};
    const vbody_t *b;

    if (strcmp(r->method, "PUT") == 0)
        return push_answer(r, ans);
    /* Without details, existing and unknown names answer alike, so that
     * names cannot be guessed (as /livez/<name>). */
    if (!r->details || vsnap_find(r->snap, sel.name) == NULL)
        return vans_error(ans, 404, "There is no check with this name");
    if ((b = vreq_view(r, ans, NULL, &sel, ietf_fn)) != NULL)
        ans->status = vietf_code(b->health);
}

const voutput_t voutput_check = {
    .id = "check", .path = "/health", .content_type = "application/health+json",
    .allow = "GET, HEAD, PUT", .subpaths = 2, .answer = check_answer,
    .doc_format = "The IETF health+json draft, one check; PUT: a push report",
    .doc_codes = "200 / 503; 404 unknown (or without details)"};
