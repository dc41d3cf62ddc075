/* exec.h - the "exec" check type's state, shared by its two files:
 * exec.c (configuration and reporting) and exec_child.c (starting the
 * program and collecting its output within the deadline). Internal to
 * checks/. */
#ifndef VITALS_CHECK_EXEC_H
#define VITALS_CHECK_EXEC_H

#include <stddef.h>
#include <sys/types.h>

#include "vitals.h"

/* Output kept from one run; the rest is read and dropped, so that a chatty
 * program never blocks on a full pipe. */
#define VEXEC_OUTPUT_MAX (64 * 1024)

typedef struct child child_t;

typedef struct exec {
    char **argv; /* NULL-terminated */
    char **env;  /* "NAME=value" to add, NULL-terminated; NULL when none */
    size_t nenv;
    char *cwd; /* NULL: the daemon's */
    /* Under exec_child.c's lock: the programs of runs in progress (a
     * group member may have two), and whether the instance stopped. */
    child_t *running;
    int halted;
} exec_t;

struct child {
    exec_t *owner; /* while registered in owner->running */
    child_t *prev, *next;
    pid_t pid;
    int out;      /* read end of the output pipe, non-blocking */
    int pidfd;    /* readable once the program exits; -1 when unavailable */
    int reaped;   /* status is valid */
    int wait_err; /* waitpid failed with this (ECHILD: someone else reaped) */
    int status;
    char *buf;    /* VEXEC_OUTPUT_MAX bytes, the caller's */
    size_t len;
};

/* Starts x's program into c, in a process group of its own, and registers
 * it with x (see vexec_halt). 0, or -1 with the reason in why. posix_spawn
 * reports a failed exec itself (glibc waits for the exec), so a missing
 * program is an error here and not a mysterious exit status 127. Every
 * started program must be ended with vexec_child_end. */
int vexec_child_spawn(exec_t *x, child_t *c, char *why, size_t len);

enum { VEXEC_DONE = 0, VEXEC_DEADLINE = 1, VEXEC_FAILED = -1 };

/* Collects the output until the program exits or r's deadline comes.
 * Returns VEXEC_DONE (the program exited, and is left unreaped so that its
 * process group id cannot be reused yet; or wait_err set), VEXEC_DEADLINE,
 * or VEXEC_FAILED with *err set. */
int vexec_child_collect(child_t *c, vitals_result_t *r, int *err);

/* Ends a run's program, whatever happened: kills its whole process group
 * (what it left running in the background too), unregisters it and reaps
 * it, setting reaped and status. */
void vexec_child_end(child_t *c);

/* on: kills the process groups of x's running programs, and of any it
 * starts from now on (the instance stops: nothing it started may outlive
 * it); off: programs run again (the instance starts again). */
void vexec_halt(exec_t *x, int on);

#endif
