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

typedef struct exec {
    char **argv; /* NULL-terminated */
    char **env;  /* "NAME=value" to add, NULL-terminated; NULL when none */
    size_t nenv;
    char *cwd; /* NULL: the daemon's */
} exec_t;

typedef struct child {
    pid_t pid;
    int out;      /* read end of the output pipe, non-blocking */
    int pidfd;    /* readable once the program exits; -1 when unavailable */
    int reaped;   /* status is valid */
    int wait_err; /* waitpid failed with this (ECHILD: someone else reaped) */
    int status;
    char *buf;    /* VEXEC_OUTPUT_MAX bytes, the caller's */
    size_t len;
} child_t;

/* Starts x's program into c. 0, or -1 with the reason in why. posix_spawn
 * reports a failed exec itself (glibc waits for the exec), so a missing
 * program is an error here and not a mysterious exit status 127. */
int vexec_child_spawn(const exec_t *x, child_t *c, char *why, size_t len);

enum { VEXEC_DONE = 0, VEXEC_DEADLINE = 1, VEXEC_FAILED = -1 };

/* Collects the output until the program exits or r's deadline comes.
 * Returns VEXEC_DONE (reaped, or wait_err set), VEXEC_DEADLINE, or
 * VEXEC_FAILED with *err set. */
int vexec_child_collect(child_t *c, vitals_result_t *r, int *err);

/* Kills the program's whole process group and reaps the program. */
void vexec_child_kill(child_t *c);

#endif
