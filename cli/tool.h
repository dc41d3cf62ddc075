/* tool.h - what the commands of the vitals tool share: the commands
 * themselves, and the helpers every command uses to read its options. */
#ifndef VITALS_TOOL_H
#define VITALS_TOOL_H

#include <getopt.h>
#include <stdio.h>

/* Exit statuses. The Nagios ones (status, check) are the plugin API's:
 * OK, WARNING, CRITICAL, UNKNOWN. */
#define EXIT_NAGIOS_OK 0
#define EXIT_NAGIOS_WARNING 1
#define EXIT_NAGIOS_CRITICAL 2
#define EXIT_NAGIOS_UNKNOWN 3

/* Each command takes its own argv (argv[0] is the command's name) and
 * returns the exit status. */
int tool_probe(int argc, char **argv);
int tool_status(int argc, char **argv);
int tool_check(int argc, char **argv);
/* `vitals maint` and `vitals drain`: vitalsd's control socket
 * (tool_maint.c). */
int tool_maint(int argc, char **argv);
int tool_drain(int argc, char **argv);

/* Milliseconds from "500ms", "5s", "1m" (a bare number is seconds); -1
 * when unparsable or not above 0. */
long tool_parse_ms(const char *s);

/* getopt_long over a command's argv with messages of our own:
 * "vitals CMD: unknown option '--x'". Returns the option, -1 at the end,
 * or '?' after printing the message to stderr. */
int tool_getopt(int argc, char **argv, const char *shortopts,
                const struct option *longopts);

/* Prints "vitals CMD: message" to stderr, then "Try 'vitals CMD --help'.",
 * and returns status: the command's exit status for usage errors. */
int tool_usage_error(const char *cmd, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
