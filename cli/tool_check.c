/* tool_check.c - `vitals check [NAME...]`: runs the configured checks once,
 * now, without a daemon, with the same check code and timeouts as vitalsd,
 * and reports as a Nagios plugin: a status line with perfdata, the table of
 * `vitals status` as long output, and exit 0/1/2/3. */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "tool.h"
#include "tool_table.h"
#include "vitals.h"

#define DEFAULT_CONFIG "/etc/vitals/vitals.yaml"

typedef struct check_opts {
    const char *config;
    int json;
    char **names; /* the selected checks; none: every check but push */
    size_t nnames;
} check_opts_t;

/* What the three documents of one snapshot say, parsed. */
typedef struct results {
    char *report_text;
    json_t *report, *avalanche, *ietf;
} results_t;

static void usage(FILE *out)
{
    fprintf(out,
            "usage: vitals check [--config FILE] [--json] [NAME...]\n"
            "\n"
            "Runs the checks of a vitalsd configuration once, now, without "
            "a daemon:\n"
            "the same check code and timeouts as vitalsd, all in parallel. "
            "NAME...\n"
            "runs only those checks; without names, push checks are left "
            "out, since\n"
            "nothing can report to a one-shot run. Prints a Nagios plugin "
            "status line\n"
            "with perfdata, e.g.\n"
            "  VITALS CRITICAL - 1 unhealthy (db), 1 healthy | "
            "'disk:utilization'=41.3%%;;;0;100\n"
            "then the table of 'vitals status'. Exit status: 0 OK "
            "(healthy),\n"
            "1 WARNING (degraded), 2 CRITICAL (unhealthy), 3 UNKNOWN "
            "(configuration\n"
            "errors, an unknown NAME, a usage error).\n"
            "\n"
            "  -c, --config FILE  the configuration (default "
            DEFAULT_CONFIG ")\n"
            "  -j, --json         print the ASP.NET Core HealthReport "
            "instead\n"
            "  -h, --help         print this help and exit\n");
}

static const char *const nagios_words[] = {"OK", "WARNING", "CRITICAL",
                                           "UNKNOWN"};

/* The UNKNOWN status line, on stdout as the plugin API wants. */
static int unknown(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int unknown(const char *fmt, ...)
{
    va_list ap;

    printf("VITALS UNKNOWN - ");
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    printf("\n");
    return EXIT_NAGIOS_UNKNOWN;
}

static int load(vitals_t *v, const char *path)
{
    vitals_errors_t *errs = NULL;
    int rc = vitals_config_load(v, path, &errs);
    if (rc == VITALS_OK)
        return 0;
    /* Each error with its position on stderr; the status line counts. */
    for (size_t i = 0; i < vitals_errors_count(errs); i++)
        fprintf(stderr, "%s\n", vitals_errors_get(errs, i));
    /* The status line is all a monitor shows: it carries the first
     * error, which names the file and the position. */
    if (vitals_errors_count(errs) > 1)
        unknown("%s (and %zu more)", vitals_errors_get(errs, 0),
                vitals_errors_count(errs) - 1);
    else if (vitals_errors_count(errs) == 1)
        unknown("%s", vitals_errors_get(errs, 0));
    else
        unknown("%s: %s", path, vitals_strerror(rc));
    vitals_errors_free(errs);
    return -1;
}

static int named(const check_opts_t *o, const char *name)
{
    for (size_t i = 0; i < o->nnames; i++)
        if (strcmp(o->names[i], name) == 0)
            return 1;
    return 0;
}

/* Every NAME must be a check: 0, or -1 after the UNKNOWN line. */
static int names_known(const check_opts_t *o, const vitals_snapshot_t *s)
{
    for (size_t i = 0; i < o->nnames; i++) {
        size_t j = 0;

        while (j < vitals_snapshot_count(s) &&
               strcmp(vitals_snapshot_check(s, j)->name, o->names[i]) != 0)
            j++;
        if (j == vitals_snapshot_count(s)) {
            unknown("no check named '%s' in %s", o->names[i], o->config);
            return -1;
        }
    }
    return 0;
}

/* Removes the checks that are not to run. 0, or -1 after the UNKNOWN
 * line. */
static int select_checks(vitals_t *v, const check_opts_t *o)
{
    vitals_snapshot_t *s = vitals_snapshot_get(v);
    int rc = names_known(o, s);

    for (size_t i = 0; rc == 0 && i < vitals_snapshot_count(s); i++) {
        const vitals_check_state_t *c = vitals_snapshot_check(s, i);
        int keep = o->nnames > 0 ? named(o, c->name)
                                 : strcmp(c->type, "push") != 0;

        if (!keep)
            vitals_remove_check(v, c->name);
    }
    vitals_snapshot_release(s);
    return rc;
}

/* The formats of the latest snapshot; 0, or -1 when out of memory. */
static int results_get(vitals_t *v, results_t *r)
{
    vitals_snapshot_t *s = vitals_snapshot_get(v);
    char *ava = vitals_snapshot_format(s, "jsonrpc");
    char *ietf = vitals_snapshot_format(s, "ietf");

    r->report_text = vitals_snapshot_format(s, "report");
    r->report = r->report_text ? json_loads(r->report_text, 0, NULL) : NULL;
    r->avalanche = ava ? json_loads(ava, 0, NULL) : NULL;
    r->ietf = ietf ? json_loads(ietf, 0, NULL) : NULL;
    free(ava);
    free(ietf);
    vitals_snapshot_release(s);
    return r->report && r->avalanche && r->ietf ? 0 : -1;
}

static void results_free(results_t *r)
{
    free(r->report_text);
    json_decref(r->report);
    json_decref(r->avalanche);
    json_decref(r->ietf);
}

/* The unit of measure as the plugin API knows it, or "". */
static const char *uom(const char *unit)
{
    static const char *const known[] = {"s",  "ms", "us", "%",  "B",
                                        "KB", "MB", "GB", "TB", "c"};

    for (size_t i = 0; unit != NULL && i < sizeof(known) / sizeof(*known);
         i++)
        if (strcmp(unit, known[i]) == 0)
            return known[i];
    return "";
}

/* One perfdata item: 'label'=value[UOM];warn;crit;min;max. A label may
 * hold anything but "=" and a quote, which is written twice. */
static void perf_item(const char *label, json_t *check)
{
    const char *u = uom(json_string_value(json_object_get(check,
                                                          "observedUnit")));

    printf(" '");
    for (const char *p = label; *p != '\0'; p++) {
        if (*p == '\'')
            fputs("''", stdout);
        else
            putchar(*p == '=' ? '_' : *p);
    }
    printf("'=%.6g%s;;;%s", json_number_value(json_object_get(
                                check, "observedValue")),
           u, strcmp(u, "%") == 0 ? "0;100" : ";");
}

/* Perfdata after " |": each check's reading (IETF observedValue), labelled
 * as in /health ("name:measurement"; a member's with "/member"). */
static void perfdata(json_t *ietf)
{
    json_t *checks = json_object_get(ietf, "checks"), *list, *c;
    const char *key;
    int any = 0;
    size_t i;

    json_object_foreach(checks, key, list) {
        json_array_foreach(list, i, c) {
            char label[512];

            if (!json_is_number(json_object_get(c, "observedValue")))
                continue;
            snprintf(label, sizeof(label), "%s%s%s", key,
                     json_array_size(list) > 1 ? "/" : "",
                     json_array_size(list) > 1
                         ? json_string_value(json_object_get(c,
                                                             "componentId"))
                         : "");
            if (!any++)
                printf(" |");
            perf_item(label, c);
        }
    }
}

/* Prints what the run found; returns the exit status. */
static int report(const check_opts_t *o, results_t *r)
{
    char summary[1024];
    table_t t;
    int status;

    if (table_read(&t, r->report, r->avalanche) != 0) {
        table_free(&t);
        return unknown("out of memory");
    }
    status = t.status;
    if (o->json) {
        printf("%s\n", r->report_text);
    } else {
        table_summary(&t, summary, sizeof(summary));
        printf("VITALS %s - %s", nagios_words[status], summary);
        perfdata(r->ietf);
        printf("\n");
        table_print(stdout, &t, 0, 0);
    }
    table_free(&t);
    return status;
}

static int parse(int argc, char **argv, check_opts_t *o)
{
    static const struct option longopts[] = {
        {"config", required_argument, NULL, 'c'},
        {"json", no_argument, NULL, 'j'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    int opt;

    while ((opt = tool_getopt(argc, argv, "c:jh", longopts)) != -1) {
        switch (opt) {
        case 'c':
            o->config = optarg;
            break;
        case 'j':
            o->json = 1;
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            return EXIT_NAGIOS_UNKNOWN;
        }
    }
    o->names = argv + optind;
    o->nnames = (size_t)(argc - optind);
    return -1;
}

int tool_check(int argc, char **argv)
{
    check_opts_t o = {.config = DEFAULT_CONFIG};
    results_t r = {0};
    vitals_t *v;
    int rc;

    if ((rc = parse(argc, argv, &o)) >= 0)
        return rc;
    if ((v = vitals_new()) == NULL)
        return unknown("out of memory");
    if (load(v, o.config) != 0 || select_checks(v, &o) != 0)
        rc = EXIT_NAGIOS_UNKNOWN;
    else if ((rc = vitals_run_once(v)) != VITALS_OK)
        rc = unknown("cannot run the checks: %s", vitals_strerror(rc));
    else if (results_get(v, &r) != 0)
        rc = unknown("out of memory");
    else
        rc = report(&o, &r);
    results_free(&r);
    vitals_free(v);
    return rc;
}
