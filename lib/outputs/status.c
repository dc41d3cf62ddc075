/* status.c - the "status" output: the overall status as one word, "pass",
 * "warn" or "fail" (the IETF draft's words), as text/plain at
 * GET /health/status, for shell scripts: [ "$(curl -s .../health/status)"
 * = pass ]. */
#include <stdio.h>
#include <string.h>

#include "outputs/output.h"

static vbody_t *status_fn(const vview_t *v, const vreq_t *r)
{
    char *text = NULL;

    (void)r;
    if (asprintf(&text, "%s\n", vformat_ietf_status(v->status)) < 0)
        return NULL;
    return vbody_new(text, strlen(text));
}

static void status_answer(vreq_t *r, vans_t *ans)
{
    vselect_t sel = {0};
    const vbody_t *b = vreq_view(r, ans, NULL, &sel, status_fn);

    if (b != NULL)
        ans->status = vietf_code(b->health);
}

const voutput_t voutput_status = {
    .id = "status", .path = "/health/status", .content_type = "text/plain",
    .allow = "GET, HEAD", .answer = status_answer,
    .doc_format = "`pass`, `warn` or `fail` as text, for shell scripts",
    .doc_codes = "200 pass/warn, 503 fail"};
