/* startupz.c - the "startupz" output: fails until every check has
 * completed its first run, then passes for good, which is what a
 * Kubernetes startupProbe wants (the text is k8s.c's). */
#include "outputs/output.h"

static void startupz_answer(vreq_t *r, vans_t *ans)
{
    vk8s_answer(r, ans, VPROBE_STARTUP);
}

const voutput_t voutput_startupz = {
    .id = "startupz", .path = "/startupz", .content_type = "text/plain",
    .allow = "GET, HEAD", .subpaths = 1, .answer = startupz_answer,
    .doc_format = "Kubernetes text: every check has run once",
    .doc_codes = "200 / 500"};
