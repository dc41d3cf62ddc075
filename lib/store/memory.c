/* memory.c - the "memory" store: nothing outlives the process. Runs and
 * transitions are answered from the history's rings; streaks and state
 * are kept here only so that the interface behaves the same. */
#include <stdlib.h>
#include <string.h>

#include "store/store.h"

typedef struct kv {
    struct kv *next;
    char *key, *value;
} kv_t;

static int mem_connect(vstore_t *s)
{
    (void)s;
    return 0;
}

static int mem_write(vstore_t *s, const vhist_rec_t *recs, const int *latest,
                     size_t n)
{
    (void)s;
    (void)recs;
    (void)latest;
    (void)n;
    return 0;
}

static int mem_streaks(vstore_t *s, vstore_streak_fn fn, void *data)
{
    (void)s;
    (void)fn;
    (void)data;
    return 0;
}

static kv_t **find(vstore_t *s, const char *key)
{
    kv_t **p = (kv_t **)&s->impl;

    while (*p != NULL && strcmp((*p)->key, key) != 0)
        p = &(*p)->next;
    return p;
}

static int mem_put_state(vstore_t *s, const char *key, const char *value)
{
    kv_t **p = find(s, key), *kv = *p;
    char *copy = NULL;

    if (value != NULL && (copy = strdup(value)) == NULL)
        return -1;
    if (kv != NULL && copy != NULL) {
        free(kv->value);
        kv->value = copy;
        return 0;
    }
    if (kv != NULL) { /* deleting */
        *p = kv->next;
        free(kv->key);
        free(kv->value);
        free(kv);
        return 0;
    }
    if (copy == NULL)
        return 0;
    if ((kv = calloc(1, sizeof(*kv))) == NULL ||
        (kv->key = strdup(key)) == NULL) {
        free(kv);
        free(copy);
        return -1;
    }
    kv->value = copy;
    *p = kv;
    return 0;
}

static int mem_get_state(vstore_t *s, const char *key, char **value)
{
    kv_t *kv = *find(s, key);

    *value = NULL;
    if (kv != NULL && (*value = strdup(kv->value)) == NULL)
        return -1;
    return 0;
}

static void mem_close(vstore_t *s)
{
    kv_t *kv = s->impl;

    while (kv != NULL) {
        kv_t *next = kv->next;

        free(kv->key);
        free(kv->value);
        free(kv);
        kv = next;
    }
    s->impl = NULL;
}

const vstore_ops_t vstore_memory = {
    .name = "memory", .persistent = 0, .connect = mem_connect,
    .write = mem_write, .streaks = mem_streaks, .put_state = mem_put_state,
    .get_state = mem_get_state, .close = mem_close};
