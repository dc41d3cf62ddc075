/* targets.c - the one table of target types, and the `notify:` list read
 * into targets with their settings tables: type, the keys every HTTP
 * target shares (header_files among them), and which checks a target
 * covers. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* asprintf */
#endif

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "notify/notify.h"

extern const vnotify_type_t vnotify_alertmanager;
extern const vnotify_type_t vnotify_heartbeat;
extern const vnotify_type_t vnotify_webhook;

/* Keep sorted by name: vnotify_type_names lists them in this order. */
static const vnotify_type_t *const types[] = {
    &vnotify_alertmanager,
    &vnotify_heartbeat,
    &vnotify_webhook,
};

#define NTYPES (sizeof(types) / sizeof(types[0]))

const vnotify_type_t *vnotify_type_find(const char *name)
{
    for (size_t i = 0; name != NULL && i < NTYPES; i++) {
        if (strcmp(types[i]->name, name) == 0)
            return types[i];
    }
    return NULL;
}

const char *vnotify_type_names(void)
{
    return "alertmanager, heartbeat, webhook";
}

/* ------------------------------------------------------------------------
 * header_files: header values kept in files (mounted secrets)
 */

#define HEADER_FILE_MAX 8192

/* The one line of the file at path, less its line end, in *out (new);
 * 0, or -1 after an error at at. */
static int read_line_file(const char *path, vnode_t *at, char **out,
                          verrs_t *e)
{
    char buf[HEADER_FILE_MAX + 2];
    FILE *f = fopen(path, "re");
    size_t n;

    if (f == NULL) {
        verrs_add(e, at, "'header_files': cannot read %s: %s", path,
                  strerror(errno));
        return -1;
    }
    n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[n] = '\0';
    if (n > 0 && buf[n - 1] == '\n')
        buf[--n] = '\0';
    if (n > 0 && buf[n - 1] == '\r')
        buf[--n] = '\0';
    if (n == 0 || n > HEADER_FILE_MAX || strlen(buf) != n ||
        strpbrk(buf, "\r\n") != NULL) {
        verrs_add(e, at,
                  "'header_files': %s must hold one line of text (at most "
                  "%d bytes)",
                  path, HEADER_FILE_MAX);
        explicit_bzero(buf, sizeof(buf));
        return -1;
    }
    *out = strdup(buf);
    explicit_bzero(buf, sizeof(buf));
    if (*out == NULL)
        verrs_add(e, at, "out of memory");
    return *out != NULL ? 0 : -1;
}

static void wipe_node(vnode_t *n)
{
    if (n != NULL && n->str != NULL)
        explicit_bzero(n->str, strlen(n->str));
}

/* Adds key -> the file's line to map. 0, or -1 after an error. */
static int add_file_header(vnode_t *map, vnode_t *key, vnode_t *path,
                           verrs_t *e)
{
    vnode_t *k = vnode_new(VNODE_SCALAR, key->file, key->line, key->col);
    vnode_t *v = vnode_new(VNODE_SCALAR, path->file, path->line, path->col);
    const char *p;

    if (k == NULL || v == NULL || (k->str = strdup(key->str)) == NULL) {
        verrs_add(e, key, "out of memory");
    } else if (vnode_as_str(path, "header_files", &p, e) == 0 &&
               read_line_file(p, path, &v->str, e) == 0) {
        if (vnode_map_put(map, k, v) == 0)
            return 0;
        verrs_add(e, key, "out of memory");
    }
    wipe_node(v);
    vnode_free(k);
    vnode_free(v);
    return -1;
}

/* A map of header names to files, read now and added like `headers`
 * (whose reader checks the names): the secret never sits in the YAML. */
int vnotify_parse_header_files(vnode_t *node, void *field, verrs_t *e)
{
    vnode_t *map;
    int bad = 0;

    if (node->kind != VNODE_MAP) {
        verrs_add(e, node, "'header_files': expected a map of header names "
                           "to files");
        return -1;
    }
    if ((map = vnode_new(VNODE_MAP, node->file, node->line, node->col)) ==
        NULL) {
        verrs_add(e, node, "out of memory");
        return -1;
    }
    for (size_t i = 0; i < node->n; i++) {
        node->used[i] = 1;
        if (add_file_header(map, node->keys[i], node->items[i], e) != 0)
            bad = 1;
    }
    if (!bad && vcheck_target_parse_headers(map, field, e) != 0)
        bad = 1;
    for (size_t i = 0; i < map->n; i++)
        wipe_node(map->items[i]);
    vnode_free(map);
    return bad ? -1 : 0;
}

/* ------------------------------------------------------------------------
 * Reading the list
 */

static vnotify_target_t *target_new(const vnotify_type_t *type)
{
    vnotify_target_t *t = calloc(1, sizeof(*t));

    if (t != NULL)
        t->type = type;
    return t;
}

static void run_clear(vnotify_run_t *r)
{
    for (size_t i = 0; i < r->nalerts; i++)
        vnotify_alert_clear(&r->alerts[i]);
    free(r->alerts);
    while (r->head != NULL) {
        vnotify_msg_t *m = r->head;

        r->head = m->next;
        free(m->body);
        free(m);
    }
    memset(r, 0, sizeof(*r));
}

static void target_free(vnotify_target_t *t)
{
    if (t == NULL)
        return;
    vset_free(t->type->settings, &t->conf);
    vcheck_free_secret(t->conf.post_url);
    run_clear(&t->run);
    free(t->label);
    free(t);
}

/* The type key: the type, or NULL after an error (and every key of m is
 * then marked read, since none can be checked). */
static const vnotify_type_t *read_type(vnode_t *m, const char *what,
                                       verrs_t *e)
{
    const vnotify_type_t *type = NULL;
    const char *s = NULL;
    int rc = vnode_str(m, "type", &s, e);

    if (rc == 0)
        verrs_add(e, m, "%s: missing required key 'type' (one of %s)", what,
                  vnotify_type_names());
    else if (rc == 1 && (type = vnotify_type_find(s)) == NULL)
        verrs_add(e, vnode_get(m, "type"),
                  "%s: unknown type '%s' (known: %s)", what, s,
                  vnotify_type_names());
    if (type == NULL)
        vnode_touch_all(m);
    return type;
}

/* What messages call t: its name, or its type and place in the list. */
static int set_label(vnotify_target_t *t, size_t i)
{
    int rc = t->conf.name != NULL
                 ? asprintf(&t->label, "%s '%s'", t->type->name, t->conf.name)
                 : asprintf(&t->label, "%s #%zu", t->type->name, i + 1);

    if (rc < 0)
        t->label = NULL;
    return rc < 0 ? -1 : 0;
}

static vnotify_target_t *read_target(vnode_t *m, size_t i, verrs_t *e)
{
    const vnotify_type_t *type;
    vnotify_target_t *t;
    size_t before = e->n;
    char what[64];

    snprintf(what, sizeof(what), "notify #%zu", i + 1);
    if (m->kind != VNODE_MAP) {
        verrs_add(e, m, "%s: expected a map such as {type: webhook, url: "
                        "...}", what);
        return NULL;
    }
    if ((type = read_type(m, what, e)) == NULL)
        return NULL;
    if ((t = target_new(type)) == NULL) {
        verrs_add(e, m, "out of memory");
        return NULL;
    }
    if (vset_read(type->settings, m, &t->conf, what, e) == 0 &&
        type->prepare != NULL)
        type->prepare(&t->conf, m, e);
    vnode_map_done(m, what, e);
    if (e->n == before && t->conf.post_url == NULL &&
        (t->conf.post_url = strdup(t->conf.http.url)) == NULL)
        verrs_add(e, m, "out of memory");
    if (e->n == before && set_label(t, i) != 0)
        verrs_add(e, m, "out of memory");
    if (e->n == before)
        return t;
    target_free(t);
    return NULL;
}

vnotify_targets_t *vnotify_read(vnode_t *node, verrs_t *e)
{
    vnotify_targets_t *ts = calloc(1, sizeof(*ts));
    size_t before = e->n;

    if (ts == NULL) {
        verrs_add(e, node, "out of memory");
        return NULL;
    }
    if (node == NULL || node->null)
        return ts;
    if (node->kind != VNODE_SEQ) {
        verrs_add(e, node, "'notify': expected a list of targets, such as "
                           "[{type: alertmanager, url: ...}]");
        vnotify_targets_free(ts);
        return NULL;
    }
    if (node->n > 0 && (ts->v = calloc(node->n, sizeof(*ts->v))) == NULL)
        verrs_add(e, node, "out of memory");
    for (size_t i = 0; ts->v != NULL && i < node->n; i++) {
        vnotify_target_t *t = read_target(node->items[i], i, e);

        if (t != NULL)
            ts->v[ts->n++] = t;
    }
    if (e->n == before)
        return ts;
    vnotify_targets_free(ts);
    return NULL;
}

void vnotify_targets_free(vnotify_targets_t *ts)
{
    if (ts == NULL)
        return;
    for (size_t i = 0; i < ts->n; i++)
        target_free(ts->v[i]);
    free(ts->v);
    free(ts);
}

/* ------------------------------------------------------------------------
 * Coverage
 */

static int listed(char **list, const char *s)
{
    for (size_t i = 0; list != NULL && list[i] != NULL; i++) {
        if (strcmp(list[i], s) == 0)
            return 1;
    }
    return 0;
}

int vnotify_covers(const vnotify_target_t *t, const vsnap_entry_t *e)
{
    const vnotify_conf_t *c = &t->conf;

    if (c->checks == NULL && c->tags == NULL)
        return 1;
    if (listed(c->checks, e->pub.name))
        return 1;
    for (size_t i = 0; c->tags != NULL && c->tags[i] != NULL; i++) {
        if (vsnap_entry_has_tag(e, c->tags[i]))
            return 1;
    }
    return 0;
}
