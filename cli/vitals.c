/* vitals.c - the vitals command line tool. `vitals probe URL` is a health
 * probe for Docker HEALTHCHECK in images without curl: exit 0 when the URL
 * answers 2xx or 3xx in time, 1 otherwise, and one line saying why. */
#include <curl/curl.h>
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "control.h"
#include "vitals.h"

#define MAX_BODY (1 << 20)

static void usage(FILE *out)
{
    fprintf(out,
            "usage: vitals probe [--timeout DURATION] URL\n"
            "       vitals --version | --help\n"
            "\n"
            "probe  GET URL; exit 0 when it answers 2xx or 3xx within the "
            "timeout\n"
            "       (default 5s), else 1. Prints one line: the HTTP status "
            "and the\n"
            "       body's status (IETF status, or healthy/unhealthy), or "
            "the error.\n"
            "       For Docker: HEALTHCHECK CMD [\"vitals\", \"probe\", "
            "\"http://127.0.0.1:8080/health\"]\n"
            "\n"
            "  -t, --timeout DURATION  e.g. 500ms, 5s, 1m\n"
            "  -V, --version           print the version and exit\n"
            "  -h, --help              print this help and exit\n");
}

typedef struct {
    char *data;
    size_t len;
} body_t;

static size_t on_data(char *p, size_t size, size_t n, void *arg)
{
    body_t *b = arg;
    size_t len = size * n, keep = len;
    char *grown;

    if (b->len + keep > MAX_BODY)
        keep = MAX_BODY - b->len;
    if (keep == 0)
        return len;
    if ((grown = realloc(b->data, b->len + keep + 1)) == NULL)
        return 0;
    b->data = grown;
    memcpy(b->data + b->len, p, keep);
    b->len += keep;
    b->data[b->len] = '\0';
    return len;
}

/* Milliseconds from "500ms", "5s", "1m"; -1 when unparsable. */
static long parse_ms(const char *s)
{
    char *end;
    double n = strtod(s, &end);

    if (end == s || n < 0)
        return -1;
    if (strcmp(end, "ms") == 0)
        return (long)n;
    if (strcmp(end, "s") == 0 || *end == '\0')
        return (long)(n * 1000);
    if (strcmp(end, "m") == 0)
        return (long)(n * 60000);
    return -1;
}

/* What the body says of health: IETF/Spring "status", or avalanchego's and
 * mosparo's "healthy". "-" when it says nothing we know. */
static const char *body_status(const body_t *b, char *buf, size_t len)
{
    json_t *j = b->data ? json_loads(b->data, 0, NULL) : NULL;
    json_t *s = j ? json_object_get(j, "status") : NULL;
    json_t *h = j ? json_object_get(j, "healthy") : NULL;

    snprintf(buf, len, "-");
    if (json_is_string(s))
        snprintf(buf, len, "%s", json_string_value(s));
    else if (json_is_boolean(h))
        snprintf(buf, len, "%s", json_is_true(h) ? "healthy" : "unhealthy");
    json_decref(j);
    return buf;
}

static int probe(const char *url, long timeout_ms)
{
    CURL *curl;
    CURLcode rc;
    body_t body = {NULL, 0};
    char errbuf[CURL_ERROR_SIZE] = "", status[64];
    long code = 0;
    int ok;

    if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0 ||
        (curl = curl_easy_init()) == NULL) {
        printf("error: cannot initialise libcurl\n");
        return 1;
    }
    curl_easy_setopt(curl, CURLOPT_URL, url);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, timeout_ms);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &body);
    curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(curl, CURLOPT_USERAGENT, "vitals-probe/" VITALS_VERSION);
    rc = curl_easy_perform(curl);
    if (rc != CURLE_OK) {
        printf("error: %s\n", errbuf[0] ? errbuf : curl_easy_strerror(rc));
        ok = 0;
    } else {
        curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &code);
        ok = code >= 200 && code < 400;
        printf("%ld %s\n", code, body_status(&body, status, sizeof(status)));
    }
    free(body.data);
    curl_easy_cleanup(curl);
    curl_global_cleanup();
    return ok ? 0 : 1;
}

int main(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"timeout", required_argument, NULL, 't'},
        {"version", no_argument, NULL, 'V'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    long timeout_ms = 5000;
    int opt;

    if (argc > 1 && (strcmp(argv[1], "maint") == 0 ||
                     strcmp(argv[1], "drain") == 0))
        return vitals_control_main(argc, argv);
    /* Options may follow the command: "vitals probe --timeout 1s URL". */
    while ((opt = getopt_long(argc, argv, "t:Vh", longopts, NULL)) != -1) {
        switch (opt) {
        case 't':
            if ((timeout_ms = parse_ms(optarg)) <= 0) {
                fprintf(stderr, "vitals: invalid timeout '%s' (e.g. 500ms, "
                                "5s)\n",
                        optarg);
                return 2;
            }
            break;
        case 'V':
            printf("vitals %s\n", VITALS_VERSION);
            return 0;
        case 'h':
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
    }
    if (optind + 2 == argc && strcmp(argv[optind], "probe") == 0)
        return probe(argv[optind + 1], timeout_ms);
    usage(stderr);
    return 2;
}
