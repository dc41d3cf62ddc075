/* tool_opts.c - reading a command's options: getopt_long with messages
 * that name the command, durations, and usage errors. */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "tool.h"

long tool_parse_ms(const char *s)
{
    char *end;
    double n = strtod(s, &end);
    double ms;

    if (end == s || !(n > 0))
        return -1;
    if (strcmp(end, "ms") == 0)
        ms = n;
    else if (strcmp(end, "s") == 0 || *end == '\0')
        ms = n * 1000;
    else if (strcmp(end, "m") == 0)
        ms = n * 60000;
    else
        return -1;
    /* A day is more than any wait here needs, and keeps the cast exact. */
    return ms >= 1 && ms <= 86400000 ? (long)ms : -1;
}

int tool_getopt(int argc, char **argv, const char *shortopts,
                const struct option *longopts)
{
    const char *arg;
    int opt;

    opterr = 0; /* getopt would name argv[0], the command, not the tool */
    opt = getopt_long(argc, argv, shortopts, longopts, NULL);
    if (opt != '?')
        return opt;
    /* The word at fault: "--timeout" as typed, rather than its letter. */
    arg = optind > 0 && optind <= argc ? argv[optind - 1] : "";
    if (optopt != 0 && strchr(shortopts, optopt) != NULL) {
        if (strncmp(arg, "--", 2) == 0)
            tool_usage_error(argv[0], 0, "option '%s' needs a value", arg);
        else
            tool_usage_error(argv[0], 0, "option '-%c' needs a value",
                             optopt);
    } else if (optopt != 0) {
        tool_usage_error(argv[0], 0, "unknown option '-%c'", optopt);
    } else {
        tool_usage_error(argv[0], 0, "unknown option '%s'", arg);
    }
    return '?';
}

int tool_usage_error(const char *cmd, int status, const char *fmt, ...)
{
    va_list ap;

    fprintf(stderr, "vitals %s: ", cmd);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\nTry 'vitals %s --help'.\n", cmd);
    return status;
}
