/* vitals.c - the vitals command line tool: finds the command (status,
 * check, probe, maint, drain) and hands it its arguments. Each command lives in its own
 * tool_<command>.c and uses only the public header. */
#include <curl/curl.h>
#include <stdio.h>
#include <string.h>

#include "tool.h"
#include "vitals.h"

/* Unknown commands and a missing command exit 1: 2 is reserved by Docker,
 * whose HEALTHCHECK runs this tool. */
#define EXIT_USAGE 1

static const struct {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *what;
} commands[] = {
    {"status", tool_status, "show every check of a running vitalsd as a table"},
    {"check", tool_check,
     "run the configured checks once, without a daemon (a Nagios plugin)"},
    {"probe", tool_probe,
     "exit 0 when a health URL says healthy (Docker HEALTHCHECK)"},
    {"maint", tool_maint, "put a running vitalsd in maintenance, or end it"},
    {"drain", tool_drain, "fail a running vitalsd's readiness for good"},
};

#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

static void list_commands(FILE *out)
{
    fprintf(out, "commands:\n");
    for (size_t i = 0; i < NCOMMANDS; i++)
        fprintf(out, "  %-7s %s\n", commands[i].name, commands[i].what);
}

static void usage(FILE *out)
{
    fprintf(out,
            "usage: vitals status [--watch] [--json] [URL]\n"
            "       vitals check [--config FILE] [--json] [NAME...]\n"
            "       vitals probe [--timeout DURATION] [--degraded-fails] "
            "URL\n"
            "       vitals maint on|off|status [--for DURATION] [--reason "
            "TEXT]\n"
            "       vitals drain [--socket PATH | --state-dir DIR]\n"
            "       vitals --version | --help\n"
            "\n");
    list_commands(out);
    fprintf(out,
            "\n"
            "'vitals COMMAND --help' (or 'vitals help COMMAND') shows a "
            "command's options\n"
            "and exit statuses. See vitals(1).\n");
}

static int find(const char *name)
{
    for (size_t i = 0; i < NCOMMANDS; i++)
        if (strcmp(commands[i].name, name) == 0)
            return (int)i;
    return -1;
}

static int unknown_command(const char *name)
{
    fprintf(stderr, "vitals: unknown command '%s'\n\n", name);
    list_commands(stderr);
    return EXIT_USAGE;
}

/* "vitals help [COMMAND]" is "vitals [COMMAND] --help". */
static int help(int argc, char **argv)
{
    char flag[] = "--help";
    char *args[] = {argv[1], flag, NULL};
    int i;

    if (argc < 2) {
        usage(stdout);
        return 0;
    }
    if ((i = find(argv[1])) < 0)
        return unknown_command(argv[1]);
    return commands[i].run(2, args);
}

int main(int argc, char **argv)
{
    const char *cmd = argc > 1 ? argv[1] : NULL;
    int i, rc;

    if (cmd == NULL) {
        usage(stderr);
        return EXIT_USAGE;
    }
    if (strcmp(cmd, "--version") == 0 || strcmp(cmd, "-V") == 0) {
        printf("vitals %s\n", VITALS_VERSION);
        return 0;
    }
    if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0)
        return help(1, argv);
    if (strcmp(cmd, "help") == 0)
        return help(argc - 1, argv + 1);
    if ((i = find(cmd)) < 0)
        return unknown_command(cmd);
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0) {
        fprintf(stderr, "vitals: cannot initialise libcurl\n");
        return EXIT_USAGE;
    }
    rc = commands[i].run(argc - 1, argv + 1);
    curl_global_cleanup();
    return rc;
}
