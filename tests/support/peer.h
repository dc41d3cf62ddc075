/* peer.h - the canned HTTP peer of the unit tests: an HTTP/1.1 server on
 * 127.0.0.1 (plain, or TLS with a given certificate) in a thread of the
 * test, which answers scripted responses by path and records what it was
 * asked.
 *
 * One connection at a time: it reads a request (its headers, and a body of
 * Content-Length), answers it with "Connection: close" and closes. A path
 * it has no answer for gets 404 with an empty body. */
#ifndef VITALS_PEER_H
#define VITALS_PEER_H

#include <stddef.h>

/* What the peer answers for one path. */
typedef struct peer_answer {
    const char *path;    /* the request target, exactly ("/ok"); NULL ends a
                            table */
    int status;          /* 200, 503...; the reason phrase is the usual one */
    const char *headers; /* more header lines, each ending in "\r\n"; may be
                            NULL */
    const char *body;    /* may be NULL (empty) */
    size_t body_len;     /* 0: strlen(body) */
    int delay_ms;        /* waits this long before answering */
    int hang;            /* reads the request and never answers; the
                            connection stays open until peer_stop */
} peer_answer_t;

typedef struct peer peer_t;

/* Starts a peer answering as the table says (copied; NULL for none yet).
 * Returns the peer, or NULL after printing why to stderr. */
peer_t *peer_start(const peer_answer_t *answers);

/* The same over TLS, with the PEM certificate and key in these files. */
peer_t *peer_start_tls(const peer_answer_t *answers, const char *cert_file,
                       const char *key_file);

/* Its TCP port on 127.0.0.1. */
int peer_port(const peer_t *p);

/* Adds the answer for a->path, or replaces the one it had (copied); safe
 * while the peer serves. */
void peer_set(peer_t *p, const peer_answer_t *a);

/* How many requests it has read since it started. */
int peer_hits(peer_t *p);

/* Copies the last request it read, as received (headers and body), into
 * buf, cut to len - 1 bytes and NUL-terminated. */
void peer_last(peer_t *p, char *buf, size_t len);

/* Stops the thread, closes every connection and frees the peer. Safe on
 * NULL. */
void peer_stop(peer_t *p);

#endif
