/* livez.c - the "livez" output: the Kubernetes apiserver's /livez, with
 * ?verbose, ?exclude= and /livez/<name> (the text is k8s.c's). */
#include "outputs/output.h"

static void livez_answer(vreq_t *r, vans_t *ans)
{
    vk8s_answer(r, ans, VPROBE_LIVE);
}

const voutput_t voutput_livez = {
    .id = "livez", .path = "/livez", .content_type = "text/plain",
    .allow = "GET, HEAD", .subpaths = 1, .answer = livez_answer,
    .doc_format = "Kubernetes text",
    .doc_codes = "200 / 500"};
