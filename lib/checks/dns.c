/* dns.c - the "dns" check type: does a name resolve to A or AAAA addresses
 * before the deadline, through the system's resolver, and how fast. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* NI_MAXHOST */
#endif

#include <jansson.h>
#include <netdb.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>

#include "checks/check_type.h"
#include "util/clock.h"
#include "util/resolve.h"

/* Addresses named in the description; data.addresses has them all. */
#define DESCRIBE_MAX 4

typedef struct dns {
    char *name;
    const char *type; /* "A" or "AAAA" (static) */
    int family;       /* AF_INET or AF_INET6, to match */
} dns_t;

/* ------------------------------------------------------------------------
 * Configuration
 */

/* A name with spaces, control characters or a slash is a pasted URL or a
 * typo: the resolver would only say "not known" at run time. */
static int name_ok(const char *s)
{
    for (; *s; s++) {
        if ((unsigned char)*s <= ' ' || *s == 0x7f || *s == '/')
            return 0;
    }
    return 1;
}

/* record: A (the default) or AAAA, in either case, as dig takes it. Not
 * "type": that key of every check names the check type ("type: dns"). */
static int parse_record(vnode_t *node, void *field, verrs_t *e)
{
    const char **type = field;
    const char *record;

    if (vnode_as_str(node, "record", &record, e) != 0)
        return -1;
    if (strcasecmp(record, "A") == 0 || strcasecmp(record, "AAAA") == 0) {
        *type = record[1] != '\0' ? "AAAA" : "A";
        return 0;
    }
    verrs_add(e, node, "'record': expected A or AAAA, got \"%s\"", record);
    return -1;
}

static const vsetting_t dns_settings[] = {
    {.key = "name", .kind = VSET_STR, .offset = offsetof(dns_t, name),
     .flags = VSET_REQUIRED | VSET_NONEMPTY},
    {.key = "record", .kind = VSET_CUSTOM, .offset = offsetof(dns_t, type),
     .def = "A", .parse = parse_record},
    {0}};

static int dns_prepare(void *state, vnode_t *settings, verrs_t *e)
{
    dns_t *d = state;

    if (!name_ok(d->name)) {
        verrs_add(e, vnode_get(settings, "name"),
                  "'name': expected a host name, got \"%s\"", d->name);
        return -1;
    }
    d->family = strcmp(d->type, "AAAA") == 0 ? AF_INET6 : AF_INET;
    return 0;
}

/* ------------------------------------------------------------------------
 * Running
 */

/* The distinct addresses of res, in the resolver's order (a hosts file may
 * list one twice), as a new JSON array of strings; NULL when out of
 * memory. */
static json_t *address_list(const struct addrinfo *res)
{
    const struct addrinfo *ai;
    char host[NI_MAXHOST];
    json_t *list = json_array(), *s;
    size_t i;
    int dup;

    for (ai = res; list && ai; ai = ai->ai_next) {
        if (getnameinfo(ai->ai_addr, ai->ai_addrlen, host, sizeof(host), NULL,
                        0, NI_NUMERICHOST) != 0)
            continue; /* cannot happen for an address getaddrinfo made */
        dup = 0;
        json_array_foreach(list, i, s) {
            if (strcmp(json_string_value(s), host) == 0)
                dup = 1;
        }
        if (!dup && json_array_append_new(list, json_string(host)) != 0) {
            json_decref(list);
            list = NULL;
        }
    }
    return list;
}

/* "127.0.0.1" or "a, b, c, d and 3 more" into buf. */
static void describe_addresses(json_t *list, char *buf, size_t len)
{
    size_t i, n = json_array_size(list), used = 0;
    json_t *s;
    int w;

    buf[0] = '\0';
    json_array_foreach(list, i, s) {
        if (i == DESCRIBE_MAX) {
            snprintf(buf + used, len - used, " and %zu more", n - i);
            return;
        }
        w = snprintf(buf + used, len - used, "%s%s", i ? ", " : "",
                     json_string_value(s));
        if (w < 0 || (size_t)w >= len - used)
            return; /* cut: the data has them all */
        used += (size_t)w;
    }
}

static void report_resolved(const dns_t *d, vitals_result_t *r,
                            const struct addrinfo *res, int64_t elapsed_ns)
{
    /* Microsecond precision: below that the number is noise. */
    double ms = (double)((elapsed_ns + 500) / 1000) / 1000.0;
    json_t *list = address_list(res);
    char *text = NULL;
    char shown[DESCRIBE_MAX * (NI_MAXHOST + 2) + 32];
    int rc;

    if (!list) {
        vitals_result_set_error(r, "out of memory");
        return;
    }
    if (json_array_size(list) == 0) {
        json_decref(list);
        vitals_result_set_error(r, "no %s record for %s", d->type, d->name);
        return;
    }
    describe_addresses(list, shown, sizeof(shown));
    text = json_dumps(list, JSON_COMPACT);
    json_decref(list);
    rc = text ? vitals_result_set_json(r, "addresses", text) : VITALS_ENOMEM;
    free(text);
    if (rc < 0 || vitals_result_set_double(r, "responseTimeMs", ms) < 0) {
        vitals_result_set_error(r, "out of memory");
        return;
    }
    vitals_result_observe(r, "responseTime", ms, "ms");
    vitals_result_set_status(r, VITALS_HEALTHY);
    vitals_result_set_description(r, "%s resolved to %s (%s) in %.1f ms",
                                  d->name, shown, d->type, ms);
}

static void dns_run(void *state, vitals_result_t *r)
{
    const dns_t *d = state;
    struct addrinfo *res = NULL;
    char why[256];
    int64_t start;
    vresolve_status_t st;

    start = vclock_mono(&vclock_system);
    st = vresolve(d->name, NULL, d->family, vitals_result_remaining_ms(r),
                  &res, why, sizeof(why));
    switch (st) {
    case VRESOLVE_OK:
        report_resolved(d, r, res, vclock_mono(&vclock_system) - start);
        freeaddrinfo(res);
        break;
    case VRESOLVE_NODATA:
        /* The name exists (or is a literal of the other family): saying
         * so points at the record, not at the resolver. */
        vitals_result_set_error(r, "no %s record for %s", d->type, d->name);
        break;
    case VRESOLVE_ERROR:
    case VRESOLVE_TIMEOUT:
        vitals_result_set_error(r, "cannot resolve %s: %s", d->name, why);
        break;
    }
}

const vcheck_type_t vcheck_dns = {
    .name = "dns",
    .component_type = "component",
    .settings = dns_settings,
    .state_size = sizeof(dns_t),
    .prepare = dns_prepare,
    .run = dns_run,
};
