/* errors.c - the list of configuration errors (verrs_t, the public
 * vitals_errors_t): messages positioned as "FILE:LINE:COLUMN: message",
 * collected rather than stopping at the first. */
#include "config/vnode.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *vformat(const char *fmt, va_list ap) VITALS_PRINTF(1, 0);
static char *format(const char *fmt, ...) VITALS_PRINTF(1, 2);

/* A new string from a printf format, or NULL when out of memory. */
static char *vformat(const char *fmt, va_list ap)
{
    va_list copy;
    va_copy(copy, ap);
    int len = vsnprintf(NULL, 0, fmt, copy);
    va_end(copy);
    if (len < 0)
        return NULL;
    char *s = malloc((size_t)len + 1);
    if (s != NULL)
        vsnprintf(s, (size_t)len + 1, fmt, ap);
    return s;
}

static char *format(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *s = vformat(fmt, ap);
    va_end(ap);
    return s;
}


verrs_t *verrs_new(void)
{
    return calloc(1, sizeof(verrs_t));
}

/* Takes msg (NULL means it could not be built). A message that cannot be
 * stored sets oom: the list then says that some messages are missing. */
static void verrs_push(verrs_t *e, char *msg)
{
    if (msg == NULL) {
        e->oom = 1;
        return;
    }
    if (e->n == e->cap) {
        size_t cap = e->cap != 0 ? e->cap * 2 : 8;
        char **msgs = realloc(e->msgs, cap * sizeof(*msgs));
        if (msgs == NULL) {
            free(msg);
            e->oom = 1;
            return;
        }
        e->msgs = msgs;
        e->cap = cap;
    }
    e->msgs[e->n++] = msg;
}

static void verrs_addv(verrs_t *e, const char *file, int line, int col,
                       const char *fmt, va_list ap) VITALS_PRINTF(5, 0);

/* "FILE:LINE:COL: msg", "FILE: msg" without a line, "LINE:COL: msg"
 * without a file, or just "msg". */
static void verrs_addv(verrs_t *e, const char *file, int line, int col,
                       const char *fmt, va_list ap)
{
    if (e == NULL)
        return;
    char *msg = vformat(fmt, ap);
    char *full = NULL;
    if (msg != NULL) {
        if (file != NULL && line > 0)
            full = format("%s:%d:%d: %s", file, line, col, msg);
        else if (file != NULL)
            full = format("%s: %s", file, msg);
        else if (line > 0)
            full = format("%d:%d: %s", line, col, msg);
        else {
            full = msg;
            msg = NULL;
        }
    }
    free(msg);
    verrs_push(e, full);
}

void verrs_add(verrs_t *e, const vnode_t *node, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    if (node == NULL)
        verrs_addv(e, NULL, 0, 0, fmt, ap);
    else if (node->file == NULL) /* JSON settings: no file, no positions */
        verrs_addv(e, "settings", 0, 0, fmt, ap);
    else
        verrs_addv(e, node->file, node->line, node->col, fmt, ap);
    va_end(ap);
}

void verrs_add_at(verrs_t *e, const char *file, int line, int col,
                  const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    verrs_addv(e, file, line, col, fmt, ap);
    va_end(ap);
}

verrs_t *verrs_new_linting(int strict)
{
    verrs_t *e = verrs_new();

    if (e != NULL && (e->warnings = verrs_new()) == NULL) {
        free(e);
        return NULL;
    }
    if (e != NULL)
        e->strict = strict;
    return e;
}

static void verrs_warnv(verrs_t *e, const vnode_t *node, int lint,
                        const char *fmt, va_list ap) VITALS_PRINTF(4, 0);

static void verrs_warnv(verrs_t *e, const vnode_t *node, int lint,
                        const char *fmt, va_list ap)
{
    char *msg;

    if (e == NULL || (e->warnings == NULL && !(lint && e->strict)))
        return;
    if ((msg = vformat(fmt, ap)) == NULL) {
        e->oom = 1;
        return;
    }
    if (lint && e->strict)
        verrs_add(e, node, "%s", msg);
    else
        verrs_add(e->warnings, node, "warning: %s", msg);
    free(msg);
}

void verrs_warn(verrs_t *e, const vnode_t *node, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    verrs_warnv(e, node, 0, fmt, ap);
    va_end(ap);
}

void verrs_lint(verrs_t *e, const vnode_t *node, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    verrs_warnv(e, node, 1, fmt, ap);
    va_end(ap);
}

char *verrs_join(const verrs_t *e)
{
    static const char lost[] = "out of memory (some errors are missing)";
    if (e == NULL || (e->n == 0 && !e->oom))
        return NULL;
    size_t len = e->oom ? sizeof(lost) : 1;
    for (size_t i = 0; i < e->n; i++)
        len += strlen(e->msgs[i]) + 2;
    char *s = malloc(len);
    if (s == NULL)
        return NULL;
    char *p = s;
    for (size_t i = 0; i < e->n; i++) {
        size_t l = strlen(e->msgs[i]);
        if (p != s) {
            memcpy(p, "; ", 2);
            p += 2;
        }
        memcpy(p, e->msgs[i], l);
        p += l;
    }
    if (e->oom) {
        if (p != s) {
            memcpy(p, "; ", 2);
            p += 2;
        }
        memcpy(p, lost, sizeof(lost) - 1);
        p += sizeof(lost) - 1;
    }
    *p = '\0';
    return s;
}

size_t vitals_errors_count(const vitals_errors_t *e)
{
    return e != NULL ? e->n : 0;
}

const char *vitals_errors_get(const vitals_errors_t *e, size_t i)
{
    return e != NULL && i < e->n ? e->msgs[i] : NULL;
}

void vitals_errors_free(vitals_errors_t *e)
{
    if (e == NULL)
        return;
    for (size_t i = 0; i < e->n; i++)
        free(e->msgs[i]);
    free(e->msgs);
    vitals_errors_free(e->warnings);
    free(e);
}

typedef struct {
    long line, col;
    size_t index;
    char *msg;
} vpos_msg_t;

static int by_position(const void *a, const void *b)
{
    const vpos_msg_t *x = a, *y = b;

    if (x->line != y->line)
        return x->line < y->line ? -1 : 1;
    if (x->col != y->col)
        return x->col < y->col ? -1 : 1;
    return x->index < y->index ? -1 : x->index > y->index;
}

/* The loader and the readers find errors in different passes; a user reads
 * the file top to bottom, so sort by "PATH:LINE:COLUMN:" (stable). */
void verrs_sort(verrs_t *e, const char *path)
{
    size_t plen = strlen(path);
    vpos_msg_t *m = calloc(e->n, sizeof(*m));

    if (m == NULL)
        return;
    for (size_t i = 0; i < e->n; i++) {
        const char *p = e->msgs[i];

        m[i].index = i;
        m[i].msg = e->msgs[i];
        if (strncmp(p, path, plen) == 0 && p[plen] == ':')
            sscanf(p + plen + 1, "%ld:%ld", &m[i].line, &m[i].col);
    }
    qsort(m, e->n, sizeof(*m), by_position);
    for (size_t i = 0; i < e->n; i++)
        e->msgs[i] = m[i].msg;
    free(m);
}
