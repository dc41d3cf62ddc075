/* exec.c - the "exec" check type: runs a program that follows the Nagios
 * plugin conventions (exit code 0-3, one line of text, performance data)
 * and reports what it says, never outliving the run's deadline. Running
 * the program is exec_child.c. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* the GNU strerror_r, asprintf */
#endif

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "checks/check_type.h"
#include "checks/exec.h"
#include "checks/perfdata.h"
#include "checks/settings.h"

#define COMMAND_EXAMPLE \
    "[\"/usr/lib/nagios/plugins/check_load\", \"-w\", \"5\"]"

static void strv_free(char **v)
{
    if (!v)
        return;
    for (char **p = v; *p; p++)
        free(*p);
    free(v);
}


/* ------------------------------------------------------------------------
 * Configuration
 */

/* command: a list of arguments. A single string is refused rather than
 * split or given to a shell: either would guess at quoting. */
static int parse_command(vnode_t *cmd, void *field, verrs_t *e)
{
    char ***argv = field;
    size_t i;
    int bad = 0;

    if (cmd->kind != VNODE_SEQ) {
        verrs_add(e, cmd,
                  "'command': expected a list of arguments, e.g. "
                  COMMAND_EXAMPLE);
        return -1;
    }
    if (cmd->n == 0) {
        verrs_add(e, cmd, "'command': must not be empty");
        return -1;
    }
    *argv = calloc(cmd->n + 1, sizeof(**argv));
    if (!*argv) {
        verrs_add(e, cmd, "out of memory");
        return -1;
    }
    for (i = 0; i < cmd->n; i++) {
        const vnode_t *it = cmd->items[i];
        if (it->kind != VNODE_SCALAR || it->null || !it->str) {
            verrs_add(e, it, "'command': item %zu: expected a string, got %s",
                      i + 1, vcheck_kind_name(it));
            bad = 1;
        } else if (i == 0 && it->str[0] == '\0') {
            verrs_add(e, it, "'command': item 1: the program is empty");
            bad = 1;
        } else if (!bad && !((*argv)[i] = strdup(it->str))) {
            verrs_add(e, it, "out of memory");
            bad = 1;
        }
    }
    return bad ? -1 : 0;
}

static int env_name_ok(const char *s)
{
    return s && s[0] != '\0' && !strchr(s, '=');
}

/* env: a map of variable names to values, added to the daemon's own
 * environment for the program. */
static int parse_env(vnode_t *env, void *field, verrs_t *e)
{
    char ***vars = field;
    const char *value;
    size_t i, n = 0;
    int bad = 0, rc;

    if (env->kind != VNODE_MAP) {
        verrs_add(e, env,
                  "'env': expected a map of variable names to values, "
                  "got %s",
                  vcheck_kind_name(env));
        return -1;
    }
    *vars = calloc(env->n + 1, sizeof(**vars));
    if (!*vars) {
        verrs_add(e, env, "out of memory");
        return -1;
    }
    for (i = 0; i < env->n; i++) {
        const char *name = env->keys[i]->str;
        if (!env_name_ok(name)) {
            vnode_touch(env, name);
            verrs_add(e, env->keys[i], "'env': invalid variable name '%s'",
                      name ? name : "");
            bad = 1;
            continue;
        }
        value = ""; /* a null value sets the variable empty */
        rc = vnode_str(env, name, &value, e);
        if (rc < 0) {
            bad = 1;
        } else if (!bad) {
            if (asprintf(&(*vars)[n], "%s=%s", name, value) < 0) {
                (*vars)[n] = NULL;
                verrs_add(e, env, "out of memory");
                bad = 1;
            } else {
                n++;
            }
        }
    }
    return bad ? -1 : 0;
}

static void free_strv(void *field)
{
    strv_free(*(char ***)field);
}

static const vsetting_t exec_settings[] = {
    {.key = "command", .kind = VSET_CUSTOM, .offset = offsetof(exec_t, argv),
     .flags = VSET_REQUIRED, .parse = parse_command, .free = free_strv},
    {.key = "env", .kind = VSET_CUSTOM, .offset = offsetof(exec_t, env),
     .parse = parse_env, .free = free_strv},
    {.key = "cwd", .kind = VSET_STR, .offset = offsetof(exec_t, cwd),
     .flags = VSET_NONEMPTY},
    {0}};

/* 0 when path is a file this process may execute, else a reason. */
static const char *not_runnable(const char *path)
{
    struct stat st;

    if (stat(path, &st) != 0)
        return errno == ENOENT ? "no such file" : strerror(errno);
    if (!S_ISREG(st.st_mode))
        return "not a file";
    if (access(path, X_OK) != 0)
        return "not executable";
    return NULL;
}

/* The program as the child will find it (posix_spawnp: a name without a
 * slash through this process's PATH; a relative path from cwd). Whether it
 * is installed is a fact of the machine, not of the file: verrs_lint makes
 * it an error for vitalsd --check-config and a warning at load. */
static void lint_command(const exec_t *x, vnode_t *settings, verrs_t *e)
{
    const char *cmd = x->argv[0], *why, *path = getenv("PATH");
    vnode_t *at = vnode_get(settings, "command");
    char *full = NULL;

    if (strchr(cmd, '/') != NULL) {
        if (cmd[0] != '/' && x->cwd != NULL &&
            asprintf(&full, "%s/%s", x->cwd, cmd) < 0)
            return;
        if ((why = not_runnable(full ? full : cmd)) != NULL)
            verrs_lint(e, at, "'command': %s: %s", cmd, why);
        free(full);
        return;
    }
    path = path != NULL ? path : "/bin:/usr/bin"; /* execvp's default */
    for (const char *p = path, *end; ; p = end + 1) {
        end = strchrnul(p, ':');
        size_t n = (size_t)(end - p); /* empty: the current directory */

        if (asprintf(&full, "%.*s/%s", n ? (int)n : 1, n ? p : ".", cmd) < 0)
            return;
        why = not_runnable(full);
        free(full);
        if (why == NULL)
            return;
        if (*end == '\0')
            break;
    }
    verrs_lint(e, at, "'command': '%s' is not an executable in PATH (%s)",
               cmd, path);
}

static int exec_prepare(void *state, vnode_t *settings, verrs_t *e)
{
    exec_t *x = state;

    while (x->env != NULL && x->env[x->nenv] != NULL)
        x->nenv++;
    lint_command(x, settings, e);
    return 0;
}


/* ------------------------------------------------------------------------
 * Reporting
 */

/* Puts the performance data under "perfdata" and makes the first item the
 * check's observed value. 0, or -1 when out of memory. */
static int report_perfdata(vitals_result_t *r, const char *perf)
{
    json_t *items = json_object(), *value, *unit;
    void *first;
    char *text;
    int n, rc = 0;

    if (!items)
        return -1;
    n = vperfdata_parse(perf, strlen(perf), items);
    if (n > 0) {
        text = json_dumps(items, JSON_COMPACT | JSON_PRESERVE_ORDER);
        rc = text ? vitals_result_set_json(r, "perfdata", text) : -1;
        free(text);
        first = json_object_iter(items);
        value = json_object_get(json_object_iter_value(first), "value");
        unit = json_object_get(json_object_iter_value(first), "unit");
        /* "U" (unknown) is null: nothing to observe. */
        if (rc == 0 && json_is_number(value))
            vitals_result_observe(r, json_object_iter_key(first),
                                  json_number_value(value),
                                  json_string_value(unit));
    }
    json_decref(items);
    return n < 0 || rc != 0 ? -1 : 0;
}

/* Maps the exit to a status (the plugin convention: 0 OK, 1 WARNING, 2
 * CRITICAL, 3 UNKNOWN) and the first line of output to the description,
 * and for a failure also to the error. */
static void report_exit(vitals_result_t *r, int status, const char *out,
                        size_t len)
{
    char *summary = NULL, *perf = NULL;
    int code;

    if (vperfdata_split(out, len, &summary, &perf) != 0) {
        vitals_result_set_error(r, "out of memory");
        return;
    }
    if (summary[0] != '\0')
        vitals_result_set_description(r, "%s", summary);

    if (WIFSIGNALED(status)) {
        vitals_result_set_status(r, VITALS_UNHEALTHY);
        vitals_result_set_error(r, "killed by signal %d", WTERMSIG(status));
    } else {
        code = WEXITSTATUS(status);
        if (vitals_result_set_int(r, "exitCode", code) != 0 ||
            report_perfdata(r, perf) != 0) {
            vitals_result_set_error(r, "out of memory");
        } else if (code == 0 || code == 1) {
            vitals_result_set_status(r, code == 0 ? VITALS_HEALTHY
                                                  : VITALS_DEGRADED);
        } else {
            /* 3 (UNKNOWN) and anything else: the check could not tell, so
             * the component cannot be counted on. */
            vitals_result_set_status(r, VITALS_UNHEALTHY);
            if (summary[0] != '\0')
                vitals_result_set_error(r, "%s", summary);
            else
                vitals_result_set_error(r, "exit status %d", code);
        }
    }
    free(summary);
    free(perf);
}

static void exec_halt(void *state, int on)
{
    vexec_halt(state, on);
}

static void exec_run(void *state, vitals_result_t *r)
{
    exec_t *x = state;
    child_t c = {.pid = -1, .out = -1, .pidfd = -1};
    char why[512], ebuf[128];
    int rc, err = 0;

    c.buf = malloc(VEXEC_OUTPUT_MAX);
    if (!c.buf) {
        vitals_result_set_error(r, "out of memory");
        return;
    }
    if (vexec_child_spawn(x, &c, why, sizeof(why)) != 0) {
        vitals_result_set_error(r, "%s", why);
        free(c.buf);
        return;
    }

    rc = vexec_child_collect(&c, r, &err);
    vexec_child_end(&c);
    if (c.pidfd >= 0)
        close(c.pidfd);
    close(c.out);

    if (rc == VEXEC_DEADLINE)
        vitals_result_set_error(r, "killed at the timeout");
    else if (rc == VEXEC_FAILED)
        vitals_result_set_error(r, "cannot read the output of %s: %s",
                                x->argv[0],
                                strerror_r(err, ebuf, sizeof(ebuf)));
    else if (!c.reaped)
        vitals_result_set_error(r, "cannot get the exit status of %s: %s",
                                x->argv[0],
                                strerror_r(c.wait_err, ebuf, sizeof(ebuf)));
    else
        report_exit(r, c.status, c.buf, c.len);
    free(c.buf);
}

const vcheck_type_t vcheck_exec = {
    .name = "exec",
    .component_type = "component",
    .settings = exec_settings,
    .state_size = sizeof(exec_t),
    .prepare = exec_prepare,
    .run = exec_run,
    .halt = exec_halt,
};
