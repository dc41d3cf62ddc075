/* yaml.c - the YAML loader: libyaml's events become a positioned vnode
 * tree, with ${ENV} expansion, aliases copied, duplicate keys rejected, and
 * limits that keep a hostile file from exhausting memory or the stack.
 *
 * Events rather than libyaml's document API: an event carries the position
 * of every key and alias, and the tree is built with an explicit stack, so
 * no recursion depends on the input except through bounded copies.
 */
#include "config/yaml.h" /* this directory's: the loader's interface */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/yaml_loader.h"

/* ------------------------------------------------------------------------
 * Scalars
 */

typedef struct text {
    char *s;
    size_t len, cap;
} text_t;

static int text_add(text_t *t, const char *s, size_t n)
{
    char *p = yl_grow(t->s, &t->cap, t->len + n + 1, 1);
    if (p == NULL)
        return -1;
    t->s = p;
    memcpy(t->s + t->len, s, n);
    t->len += n;
    t->s[t->len] = '\0';
    return 0;
}

static int is_name(const char *s, size_t len)
{
    if (len == 0 || (s[0] >= '0' && s[0] <= '9'))
        return 0;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
              (c >= '0' && c <= '9') || c == '_'))
            return 0;
    }
    return 1;
}

/* Appends the value of the reference ${...} whose name is s[0..len). 0, or
 * -1 after an error at node, or -2 when out of memory. */
static int add_variable(loader_t *ld, const vnode_t *node, text_t *t,
                        const char *s, size_t len)
{
    if (!is_name(s, len)) {
        verrs_add(ld->e, node, "invalid environment variable name '%.*s'",
                  (int)len, s);
        return -1;
    }
    char *name = yl_copy_bytes(s, len);
    if (name == NULL)
        return -2;
    const char *value = getenv(name);
    if (value == NULL)
        verrs_add(ld->e, node, "environment variable %s is not set", name);
    free(name);
    if (value == NULL)
        return -1;
    return text_add(t, value, strlen(value)) != 0 ? -2 : 0;
}

/* Expands ${NAME} in raw[0..len) into t; "$${" is a literal "${". 0, -1
 * after errors (each added at node), -2 when out of memory. */
static int expand_into(loader_t *ld, const vnode_t *node, text_t *t,
                       const char *raw, size_t len)
{
    const char *p = raw, *end = raw + len;
    int result = 0;
    while (p < end) {
        const char *dollar = memchr(p, '$', (size_t)(end - p));
        if (dollar == NULL)
            dollar = end;
        if (text_add(t, p, (size_t)(dollar - p)) != 0)
            return -2;
        p = dollar;
        if (p == end)
            break;
        size_t left = (size_t)(end - p);
        if (left >= 3 && memcmp(p, "$${", 3) == 0) {
            if (text_add(t, "${", 2) != 0)
                return -2;
            p += 3;
        } else if (left >= 2 && memcmp(p, "${", 2) == 0) {
            const char *close = memchr(p + 2, '}', left - 2);
            if (close == NULL) {
                verrs_add(ld->e, node,
                          "unterminated ${ (write $${ for a literal ${)");
                return -1;
            }
            int r = add_variable(ld, node, t, p + 2, (size_t)(close - p - 2));
            if (r == -2)
                return -2;
            if (r != 0)
                result = -1; /* go on: report every bad reference */
            p = close + 1;
        } else {
            if (text_add(t, "$", 1) != 0)
                return -2;
            p++;
        }
    }
    return result;
}

/* The scalar's text after expansion; after an expansion error, the raw text
 * (the error is recorded, and reading goes on). NULL: out of memory. */
static char *expand(loader_t *ld, const vnode_t *node, const char *raw,
                    size_t len)
{
    text_t t = {0};
    int r = expand_into(ld, node, &t, raw, len);
    if (r == 0 && t.s == NULL)
        r = text_add(&t, "", 0) != 0 ? -2 : 0;
    if (r == 0)
        return t.s;
    free(t.s);
    return r == -2 ? NULL : yl_copy_bytes(raw, len);
}

static int is_null_text(const char *s, size_t len)
{
    static const char *const names[] = {"~", "null", "Null", "NULL"};
    if (len == 0)
        return 1;
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (strlen(names[i]) == len && memcmp(s, names[i], len) == 0)
            return 1;
    return 0;
}

static vnode_t *scalar_node(loader_t *ld, const yaml_event_t *ev)
{
    const char *raw = (const char *)ev->data.scalar.value;
    size_t len = ev->data.scalar.length;
    const char *tag = (const char *)ev->data.scalar.tag;
    int plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
    vnode_t *n = yl_new_node(ld, VNODE_SCALAR, &ev->start_mark);
    if (n == NULL)
        return NULL;
    /* YAML makes quoted and block (| >) scalars and !!str strings. */
    n->quoted = !plain || (tag != NULL && strcmp(tag, YAML_STR_TAG) == 0);
    n->null = plain && (tag == NULL || strcmp(tag, YAML_NULL_TAG) == 0) &&
              is_null_text(raw, len);
    if (memchr(raw, '\0', len) != NULL)
        verrs_add(ld->e, n, "a value cannot contain a NUL character");
    n->str = n->null ? yl_copy_bytes(raw, len) : expand(ld, n, raw, len);
    if (n->str == NULL) {
        vnode_free(n);
        yl_out_of_memory(ld);
        return NULL;
    }
    return n;
}

static void on_scalar(loader_t *ld, const yaml_event_t *ev)
{
    vnode_t *n = scalar_node(ld, ev);
    if (n == NULL)
        return;
    const char *anchor = (const char *)ev->data.scalar.anchor;
    if (anchor != NULL) {
        char *name = yl_copy_string(anchor);
        if (name == NULL) {
            vnode_free(n);
            yl_out_of_memory(ld);
            return;
        }
        if (yl_add_anchor(ld, name, n) != 0) {
            vnode_free(n);
            return;
        }
    }
    yl_attach(ld, n);
}

/* ------------------------------------------------------------------------
 * Collections
 */

static void on_open(loader_t *ld, const yaml_event_t *ev, vnode_kind_t kind,
                    const yaml_char_t *anchor)
{
    const yaml_mark_t *m = &ev->start_mark;
    if (ld->depth >= MAX_DEPTH) {
        verrs_add_at(ld->e, ld->file, yl_line_of(m), yl_col_of(m),
                     "nesting deeper than %d levels", MAX_DEPTH);
        ld->failed = 1;
        return;
    }
    frame_t *stack = yl_grow(ld->stack, &ld->stack_cap, ld->depth + 1,
                          sizeof(*stack));
    if (stack == NULL) {
        yl_out_of_memory(ld);
        return;
    }
    ld->stack = stack;
    frame_t f = {0};
    if (anchor != NULL &&
        (f.anchor = yl_copy_string((const char *)anchor)) == NULL) {
        yl_out_of_memory(ld);
        return;
    }
    if ((f.node = yl_new_node(ld, kind, m)) == NULL) {
        free(f.anchor);
        return;
    }
    ld->stack[ld->depth++] = f;
}

static void on_close(loader_t *ld)
{
    if (ld->depth == 0)
        return; /* cannot happen: libyaml balances the events */
    frame_t f = ld->stack[--ld->depth];
    if (f.key != NULL)
        yl_drop(ld, f.key); /* cannot happen: every key gets a value */
    if (f.anchor != NULL && yl_add_anchor(ld, f.anchor, f.node) != 0) {
        vnode_free(f.node);
        return;
    }
    yl_attach(ld, f.node);
}

/* ------------------------------------------------------------------------
 * The event loop
 */

/* Reader errors (bad encoding) have only a byte offset: count it out. */
static void place_offset(const loader_t *ld, size_t offset, int *line,
                         int *col)
{
    *line = 1;
    *col = 1;
    for (size_t i = 0; i < offset && i < ld->len; i++) {
        if (ld->text[i] == '\n') {
            (*line)++;
            *col = 1;
        } else {
            (*col)++;
        }
    }
}

static void syntax_error(loader_t *ld, const yaml_parser_t *p)
{
    const char *problem = p->problem != NULL ? p->problem : "invalid YAML";
    const yaml_mark_t *m = &p->problem_mark;
    int line, col;
    ld->failed = 1;
    if (p->error == YAML_MEMORY_ERROR) {
        yl_out_of_memory(ld);
    } else if (p->error == YAML_READER_ERROR) {
        place_offset(ld, p->problem_offset, &line, &col);
        if (p->problem_value != -1)
            verrs_add_at(ld->e, ld->file, line, col, "%s (byte 0x%02X)",
                         problem, (unsigned)p->problem_value);
        else
            verrs_add_at(ld->e, ld->file, line, col, "%s", problem);
    } else if (p->context != NULL) {
        verrs_add_at(ld->e, ld->file, yl_line_of(m), yl_col_of(m), "%s (%s)",
                     problem, p->context);
    } else {
        verrs_add_at(ld->e, ld->file, yl_line_of(m), yl_col_of(m), "%s",
                     problem);
    }
}

static void on_event(loader_t *ld, const yaml_event_t *ev)
{
    const yaml_mark_t *m = &ev->start_mark;
    switch (ev->type) {
    case YAML_DOCUMENT_START_EVENT:
        if (++ld->documents > 1) {
            verrs_add_at(ld->e, ld->file, yl_line_of(m), yl_col_of(m),
                         "a configuration file holds one YAML document");
            ld->failed = 1;
        }
        break;
    case YAML_SCALAR_EVENT:
        on_scalar(ld, ev);
        break;
    case YAML_SEQUENCE_START_EVENT:
        on_open(ld, ev, VNODE_SEQ, ev->data.sequence_start.anchor);
        break;
    case YAML_MAPPING_START_EVENT:
        on_open(ld, ev, VNODE_MAP, ev->data.mapping_start.anchor);
        break;
    case YAML_SEQUENCE_END_EVENT:
    case YAML_MAPPING_END_EVENT:
        on_close(ld);
        break;
    case YAML_ALIAS_EVENT:
        yl_on_alias(ld, ev);
        break;
    default: /* stream start and end, document end */
        break;
    }
}

static void read_events(loader_t *ld, yaml_parser_t *p)
{
    int done = 0;
    while (!done && !ld->failed) {
        yaml_event_t ev;
        if (!yaml_parser_parse(p, &ev)) {
            syntax_error(ld, p);
            return;
        }
        done = ev.type == YAML_STREAM_END_EVENT;
        on_event(ld, &ev);
        yaml_event_delete(&ev);
    }
}

/* The root, checked, owning the file name; NULL after a fatal error. */
static vnode_t *finish(loader_t *ld)
{
    vnode_t *root = ld->root;
    ld->root = NULL;
    if (ld->failed) {
        vnode_free(root);
        return NULL;
    }
    if (root == NULL || (root->kind == VNODE_SCALAR && root->null)) {
        /* An empty file (or only comments, or a lone ~) has no keys. */
        vnode_free(root);
        root = vnode_new(VNODE_MAP, ld->file, 1, 1);
        if (root == NULL) {
            yl_out_of_memory(ld);
            return NULL;
        }
    } else if (root->kind != VNODE_MAP) {
        verrs_add(ld->e, root, "the configuration must be a map of keys");
        vnode_free(root);
        return NULL;
    }
    root->owned_file = ld->file;
    ld->file = NULL;
    return root;
}

static void cleanup(loader_t *ld)
{
    for (size_t i = 0; i < ld->depth; i++) {
        vnode_free(ld->stack[i].node);
        vnode_free(ld->stack[i].key);
        free(ld->stack[i].anchor);
    }
    free(ld->stack);
    for (size_t i = 0; i < ld->nanchors; i++)
        free(ld->anchors[i].name);
    free(ld->anchors);
    for (size_t i = 0; i < ld->ndropped; i++)
        vnode_free(ld->dropped[i]);
    free(ld->dropped);
    vnode_free(ld->root);
    free(ld->file); /* last: the nodes above pointed to it */
}

vnode_t *vyaml_load_string(const char *text, size_t len, const char *name,
                           verrs_t *e)
{
    loader_t ld;
    yaml_parser_t parser;
    memset(&ld, 0, sizeof(ld));
    ld.e = e;
    ld.text = text != NULL ? text : "";
    ld.len = text != NULL ? len : 0;
    ld.file = yl_copy_string(name != NULL ? name : "<string>");
    if (ld.file == NULL) {
        verrs_add_at(e, name, 0, 0, "out of memory");
        return NULL;
    }
    if (!yaml_parser_initialize(&parser)) {
        yl_out_of_memory(&ld);
        cleanup(&ld);
        return NULL;
    }
    yaml_parser_set_input_string(&parser, (const unsigned char *)ld.text,
                                 ld.len);
    read_events(&ld, &parser);
    yaml_parser_delete(&parser);
    vnode_t *root = finish(&ld);
    cleanup(&ld);
    return root;
}

/* The whole file into a new buffer. 0 or an errno value. */
static int read_file(const char *path, char **out, size_t *out_len)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    size_t len = 0, cap = 0;
    int err = 0;
    if (f == NULL)
        return errno;
    for (;;) {
        if (len == cap) {
            char *p = cap < MAX_FILE ? yl_grow(buf, &cap, len + 1, 1) : NULL;
            if (p == NULL) {
                err = cap < MAX_FILE ? ENOMEM : EFBIG;
                break;
            }
            buf = p;
        }
        errno = 0;
        size_t got = fread(buf + len, 1, cap - len, f);
        len += got;
        if (got == 0) {
            if (ferror(f))
                err = errno != 0 ? errno : EIO;
            break;
        }
    }
    fclose(f); /* read only: closing cannot lose data */
    if (err != 0) {
        free(buf);
        return err;
    }
    *out = buf;
    *out_len = len;
    return 0;
}

vnode_t *vyaml_load_file(const char *path, verrs_t *e)
{
    char *text = NULL;
    size_t len = 0;
    if (path == NULL) {
        verrs_add_at(e, NULL, 0, 0, "no configuration file given");
        return NULL;
    }
    int err = read_file(path, &text, &len);
    if (err != 0) {
        verrs_add_at(e, path, 0, 0, "cannot read: %s", strerror(err));
        return NULL;
    }
    vnode_t *root = vyaml_load_string(text, len, path, e);
    free(text);
    return root;
}
