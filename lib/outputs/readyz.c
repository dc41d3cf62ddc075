/* readyz.c - the "readyz" output: the Kubernetes apiserver's /readyz, with
 * ?verbose, ?exclude= and /readyz/<name> (the text is k8s.c's). */
#include "outputs/output.h"

static void readyz_answer(vreq_t *r, vans_t *ans)
{
    vk8s_answer(r, ans, VPROBE_READY);
}

const voutput_t voutput_readyz = {
    .id = "readyz", .path = "/readyz", .content_type = "text/plain",
    .allow = "GET, HEAD", .subpaths = 1, .answer = readyz_answer,
    .doc_format = "Kubernetes text",
    .doc_codes = "200 / 500"};
