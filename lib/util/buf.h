/* buf.h - a growable byte buffer with an optional cap: what the libcurl
 * fetch reads a body into, and what builders of text append to. */
#ifndef VITALS_BUF_H
#define VITALS_BUF_H

#include <stddef.h>

/* Zero it (or VBUF_INIT) before use. data is NUL-terminated whenever it is
 * not NULL, so text can be read in place; the terminator is not counted in
 * len. The buffer owns data until vbuf_take. */
typedef struct vbuf {
    char *data;  /* NULL until the first append of a byte */
    size_t len;  /* bytes kept, without the terminator */
    size_t cap;  /* bytes allocated */
    size_t max;  /* most bytes kept; 0: no cap */
    int oom;     /* an allocation failed; later appends do nothing */
    int full;    /* an append went past max; what fitted was kept */
} vbuf_t;

#define VBUF_INIT(max_bytes) {NULL, 0, 0, (max_bytes), 0, 0}

/* Appends n bytes of p. Returns 0; -1 when out of memory (oom set, the
 * buffer unchanged, and every later append fails too, so that a builder
 * may check once at the end); -2 when the bytes went past max (full set,
 * the bytes up to max kept). */
int vbuf_add(vbuf_t *b, const void *p, size_t n);
/* vbuf_add of a NUL-terminated string. */
int vbuf_str(vbuf_t *b, const char *s);
/* Appends printf-formatted text; returns as vbuf_add. */
int vbuf_printf(vbuf_t *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* The data, now the caller's to free (NULL when nothing was appended or
 * an allocation failed); *len (when not NULL) gets its length. Leaves b
 * empty, with its max, for reuse. */
char *vbuf_take(vbuf_t *b, size_t *len);
/* Frees the data and empties b (max kept). NULL is fine. */
void vbuf_clear(vbuf_t *b);

#endif
