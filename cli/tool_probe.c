/* tool_probe.c - `vitals probe URL`: a health probe for Docker HEALTHCHECK
 * in images without curl. Exit 0 when the URL answers 2xx or 3xx in time
 * and its body does not say unhealthy, else 1 - never 2, which Docker
 * reserves. One line says why. */
#include <stdlib.h>

#include "tool.h"
#include "tool_health.h"
#include "tool_http.h"

/* Docker: 0 healthy, 1 unhealthy, 2 reserved. Usage errors are 1 too. */
#define PROBE_OK 0
#define PROBE_FAIL 1

static void usage(FILE *out)
{
    fprintf(out,
            "usage: vitals probe [--timeout DURATION] [--degraded-fails] "
            "URL\n"
            "\n"
            "GETs URL (http:// or https:// only) and exits 0 when it "
            "answers 2xx or 3xx\n"
            "within the timeout and its body does not say unhealthy, else "
            "1 (never 2,\n"
            "which Docker reserves; usage errors exit 1 too). The body is "
            "read in every\n"
            "format vitalsd serves: the IETF health+json draft (fail), the "
            "ASP.NET Core\n"
            "HealthReport (Unhealthy), avalanchego's and mosparo's health "
            "APIs\n"
            "(healthy: false), Kubernetes and plain text. Prints one line: "
            "the HTTP\n"
            "status and the body's status word (- when it has none), or "
            "'error: why'.\n"
            "For Docker: HEALTHCHECK CMD [\"vitals\", \"probe\", "
            "\"http://127.0.0.1:8080/health\"]\n"
            "\n"
            "  -t, --timeout DURATION  e.g. 500ms, 5s, 1m (default 5s)\n"
            "  -d, --degraded-fails    exit 1 when the body says degraded "
            "(warn)\n"
            "  -h, --help              print this help and exit\n");
}

static int probe(const char *url, long timeout_ms, int degraded_fails)
{
    http_resp_t r;
    char word[64];
    int health, ok;

    if (!http_url_ok(url)) {
        printf("error: only http:// and https:// URLs can be probed, not "
               "'%s'\n",
               url);
        return PROBE_FAIL;
    }
    if (http_get(url, timeout_ms, NULL, &r) != 0) {
        printf("error: %s\n", r.error);
        http_resp_free(&r);
        return PROBE_FAIL;
    }
    health = health_of_body(r.body, word, sizeof(word));
    /* A body that says nothing known leaves the verdict to the status. */
    ok = r.code >= 200 && r.code < 400 &&
         (health < 0 || health == 0 || (health == 1 && !degraded_fails));
    printf("%ld %s\n", r.code, word);
    http_resp_free(&r);
    return ok ? PROBE_OK : PROBE_FAIL;
}

int tool_probe(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"timeout", required_argument, NULL, 't'},
        {"degraded-fails", no_argument, NULL, 'd'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    long timeout_ms = 5000;
    int opt, degraded_fails = 0;

    while ((opt = tool_getopt(argc, argv, "t:dh", longopts)) != -1) {
        switch (opt) {
        case 't':
            if ((timeout_ms = tool_parse_ms(optarg)) < 0)
                return tool_usage_error(argv[0], PROBE_FAIL,
                                        "invalid timeout '%s' (e.g. 500ms, "
                                        "5s)",
                                        optarg);
            break;
        case 'd':
            degraded_fails = 1;
            break;
        case 'h':
            usage(stdout);
            return PROBE_OK;
        default:
            return PROBE_FAIL;
        }
    }
    if (argc - optind != 1)
        return tool_usage_error(argv[0], PROBE_FAIL, "needs one URL");
    return probe(argv[optind], timeout_ms, degraded_fails);
}
