/* grpc.h - gRPC health checking (grpc.health.v1.Health: Check, Watch,
 * List) over HTTP/2, in three parts: the session (grpc_session.c: one
 * connection's HTTP/2 with libnghttp2, and gRPC's message framing), the
 * service (grpc_health.c: what each call answers, from the snapshot, with
 * protobuf-c code generated from proto/grpc/health/v1/health.proto) and
 * the listener (grpc.c: sockets, TLS, timeouts, publication).
 *
 * A session knows no socket: bytes go in with vgrpc_recv and come out of
 * vgrpc_send, so the listener can put TLS in between and the fuzzer can
 * feed it raw bytes. */
#ifndef VITALS_GRPC_H
#define VITALS_GRPC_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "snapshot.h"

/* Limits of one connection. */
typedef struct vgrpc_limits {
    unsigned max_streams;      /* concurrent streams (SETTINGS) */
    size_t max_header_bytes;   /* per request, as HTTP/2 counts them */
    size_t max_message_bytes;  /* one request message */
} vgrpc_limits_t;

#define VGRPC_MAX_STREAMS 100
#define VGRPC_MAX_HEADER_BYTES 8192
#define VGRPC_MAX_MESSAGE_BYTES 4096
/* List answers at most this many services (health.proto). */
#define VGRPC_MAX_LIST 100

typedef struct vgrpc_session vgrpc_session_t;

/* A session for one connection: snap is called for the snapshot a call
 * answers from (borrowed for the call); details: whether List names the
 * checks. NULL when out of memory. */
vgrpc_session_t *vgrpc_session_new(const vgrpc_limits_t *lim,
                                   const vitals_snapshot_t *(*snap)(void *),
                                   void *ctx, int details);
void vgrpc_session_free(vgrpc_session_t *s);
/* Takes bytes the client sent. 0, or -1 when the connection must close
 * once what vgrpc_send returns is written (a bad preface or frame: a
 * GOAWAY is queued). */
int vgrpc_recv(vgrpc_session_t *s, const uint8_t *data, size_t len);
/* Bytes to write to the client (owned by the session, valid until the
 * next call): their length, 0 when none, -1 on a fatal error. */
ssize_t vgrpc_send(vgrpc_session_t *s, const uint8_t **data);
/* 1 while the session expects more from the client or has more to send;
 * 0 when the connection can close. */
int vgrpc_alive(vgrpc_session_t *s);
/* Open streams (calls in progress, Watch streams included). */
size_t vgrpc_streams(vgrpc_session_t *s);
/* A new snapshot was published: Watch streams whose status changed get a
 * message. */
void vgrpc_publish(vgrpc_session_t *s);
/* Ends every call with grpc-status UNAVAILABLE and sends GOAWAY: the
 * server is stopping. */
void vgrpc_shutdown(vgrpc_session_t *s);

/* grpc_health.c: the service, for the session. */

/* Which call a request path names. */
typedef enum {
    VGRPC_NONE = 0, /* not one of Health's */
    VGRPC_CHECK,
    VGRPC_WATCH,
    VGRPC_LIST
} vgrpc_method_t;

vgrpc_method_t vgrpc_method(const char *path, size_t len);

/* gRPC status codes used here. */
#define VGRPC_OK 0
#define VGRPC_NOT_FOUND 5
#define VGRPC_RESOURCE_EXHAUSTED 8
#define VGRPC_UNIMPLEMENTED 12
#define VGRPC_INTERNAL 13
#define VGRPC_UNAVAILABLE 14

/* What a call answers: a gRPC status and message, and the bytes of the
 * response message (length-prefixed), if any. */
typedef struct vgrpc_answer {
    int status;
    const char *message; /* static, or NULL */
    uint8_t *data;       /* new, or NULL */
    size_t len;
} vgrpc_answer_t;

/* Answers a Check or List request whose message is msg[0..len) (without
 * its 5-byte prefix). */
void vgrpc_unary(vgrpc_method_t m, const vitals_snapshot_t *s, int details,
                 const uint8_t *msg, size_t len, vgrpc_answer_t *out);
/* The service name of a Watch request (new string, "" for the whole
 * service), or NULL when msg is not a HealthCheckRequest. */
char *vgrpc_watch_name(const uint8_t *msg, size_t len);
/* The ServingStatus of name as Watch reports it (SERVICE_UNKNOWN for an
 * unknown name). */
int vgrpc_watch_status(const vitals_snapshot_t *s, const char *name);
/* A length-prefixed HealthCheckResponse of status into out (16 bytes
 * hold any); returns its length. */
size_t vgrpc_status_message(int status, uint8_t *out);

#endif
