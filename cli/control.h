/* control.h - `vitals maint` and `vitals drain` (control.c), talking to
 * vitalsd's control socket. */
#ifndef VITALS_CLI_CONTROL_H
#define VITALS_CLI_CONTROL_H

/* Runs `vitals maint ...` or `vitals drain ...` (argv as main's, argv[1]
 * being "maint" or "drain"): the exit status. */
int vitals_control_main(int argc, char **argv);

#endif
