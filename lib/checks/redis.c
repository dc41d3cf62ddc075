/* redis.c - the "redis" check type: connect to a Redis server with
 * hiredis, AUTH when a password is set, PING (which must answer PONG) and
 * read the replication role, all before the check's deadline. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* explicit_bzero */
#endif

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include <hiredis/hiredis.h>

#include "checks/check_type.h"
#include "util/clock.h"
#include "util/addr.h"
#include "util/sigpipe.h"

#define MSG_MAX 256

typedef struct redis {
    char *address;  /* as configured, for messages */
    char *host;     /* TCP; NULL for a unix socket */
    int port;
    char *path;     /* unix socket; NULL for TCP */
    char *password; /* secret; NULL: no AUTH */
    int tls;        /* never set: refused at configuration */
} redis_t;

/* Frees what redis_prepare derived from the address. */
static void redis_clear(void *state)
{
    redis_t *t = state;

    free(t->host);
    free(t->path);
}

/* ------------------------------------------------------------------------
 * Configuration
 */

/* Most likely an empty ${VARIABLE}: AUTH "" would only fail with a less
 * helpful message at every run. */
static int parse_password(vnode_t *node, void *field, verrs_t *e)
{
    const char *password;

    if (vnode_as_str(node, "password", &password, e) != 0)
        return -1;
    if (password[0] == '\0') {
        verrs_add(e, node, "'password': must not be empty (leave it out for "
                           "no AUTH)");
        return -1;
    }
    if ((*(char **)field = strdup(password)) == NULL) {
        verrs_add(e, node, "out of memory");
        return -1;
    }
    return 0;
}

static void free_password(void *field)
{
    vcheck_free_secret(*(char **)field);
}

/* TLS is never silently downgraded to plain text: asked for and not
 * available is a configuration error. */
static int parse_tls(vnode_t *node, void *field, verrs_t *e)
{
    if (vnode_as_bool(node, "tls", field, e) != 0)
        return -1;
    if (*(int *)field) {
        verrs_add(e, node,
                  "'tls': not available: this build uses hiredis %d.%d.%d, "
                  "without TLS support",
                  HIREDIS_MAJOR, HIREDIS_MINOR, HIREDIS_PATCH);
        return -1;
    }
    return 0;
}

static const vsetting_t redis_settings[] = {
    {.key = "address", .kind = VSET_STR, .offset = offsetof(redis_t, address),
     .flags = VSET_REQUIRED},
    {.key = "password", .kind = VSET_CUSTOM,
     .offset = offsetof(redis_t, password), .flags = VSET_SECRET,
     .parse = parse_password, .free = free_password},
    {.key = "tls", .kind = VSET_CUSTOM, .offset = offsetof(redis_t, tls),
     .parse = parse_tls},
    {0}};

/* The address: a unix socket path, or host:port. */
static int redis_prepare(void *state, vnode_t *settings, verrs_t *e)
{
    redis_t *t = state;
    int rc = 0;

    if (t->address[0] == '/')
        rc = (t->path = strdup(t->address)) != NULL ? 0 : -2;
    else
        rc = vaddr_parse(t->address, VADDR_PEER, &t->host, &t->port);
    if (rc == -1)
        verrs_add(e, vnode_get(settings, "address"),
                  "'address': expected host:port or a socket path starting "
                  "with /, got \"%s\"",
                  t->address);
    else if (rc != 0)
        verrs_add(e, settings, "out of memory");
    return rc == 0 ? 0 : -1;
}

/* ------------------------------------------------------------------------
 * Running, bounded by the deadline
 *
 * hiredis is blocking: the connect takes the time left as its timeout, and
 * before each command the socket's send and receive timeouts are set to
 * the time left again, so no step outlives the deadline.
 */

static struct timeval tv_of(int64_t ms)
{
    struct timeval tv = {.tv_sec = (time_t)(ms / 1000),
                         .tv_usec = (suseconds_t)(ms % 1000 * 1000)};

    return tv;
}

/* Copies the first line of msg, with the password hidden should a server
 * ever echo it. */
static void scrub(const redis_t *t, const char *msg, char *out, size_t len)
{
    size_t o = 0, plen = t->password ? strlen(t->password) : 0;

    while (*msg && *msg != '\n' && *msg != '\r' && o + 1 < len) {
        if (plen && strncmp(msg, t->password, plen) == 0) {
            o += (size_t)snprintf(out + o, len - o, "***");
            if (o >= len)
                o = len - 1;
            msg += plen;
            continue;
        }
        out[o++] = *msg++;
    }
    out[o] = '\0';
}

/* Why the context failed: the deadline (a receive timeout is EAGAIN, a
 * connect timeout ETIMEDOUT), or hiredis's message. */
static void context_reason(const redis_t *t, const redisContext *c,
                           int err, vitals_result_t *r, int64_t budget,
                           char *out, size_t len)
{
    if (vitals_result_remaining_ms(r) <= 0 ||
        (c->err == REDIS_ERR_IO &&
         (err == EAGAIN || err == EWOULDBLOCK || err == ETIMEDOUT)))
        snprintf(out, len, "timed out after %lld ms", (long long)budget);
    else if (c->errstr[0])
        scrub(t, c->errstr, out, len);
    else
        snprintf(out, len, "error %d", c->err);
}

/* Runs one command with the time left as its timeout. The reply (free it),
 * or NULL with the reason in why. */
static redisReply *command(const redis_t *t, redisContext *c,
                           vitals_result_t *r, int64_t budget, char *why,
                           size_t len, const char *fmt, ...)
{
    int64_t rem = vitals_result_remaining_ms(r);
    redisReply *reply;
    va_list ap;
    int err;

    if (rem <= 0) {
        snprintf(why, len, "timed out after %lld ms", (long long)budget);
        return NULL;
    }
    if (redisSetTimeout(c, tv_of(rem)) != REDIS_OK) {
        context_reason(t, c, errno, r, budget, why, len);
        return NULL;
    }
    va_start(ap, fmt);
    reply = redisvCommand(c, fmt, ap);
    err = errno;
    va_end(ap);
    if (!reply)
        context_reason(t, c, err, r, budget, why, len);
    return reply;
}

/* The value of "role:" in INFO replication's text, or "" when absent. */
static void parse_role(const char *info, char *out, size_t len)
{
    const char *p = info;

    out[0] = '\0';
    while (p && *p) {
        if (strncmp(p, "role:", 5) == 0) {
            p += 5;
            snprintf(out, len, "%.*s", (int)strcspn(p, "\r\n"), p);
            return;
        }
        p = strchr(p, '\n');
        if (p)
            p++;
    }
}

static void report_healthy(const redis_t *t, vitals_result_t *r,
                           const char *role, int64_t elapsed_ns)
{
    /* Microsecond precision: below that the number is noise. */
    double ms = (double)((elapsed_ns + 500) / 1000) / 1000.0;

    if (vitals_result_set_double(r, "responseTimeMs", ms) < 0 ||
        (role[0] && vitals_result_set_string(r, "role", role) < 0)) {
        vitals_result_set_error(r, "out of memory");
        return;
    }
    vitals_result_observe(r, "responseTime", ms, "ms");
    vitals_result_set_status(r, VITALS_HEALTHY);
    if (role[0])
        vitals_result_set_description(r, "PONG from redis at %s (%s) in "
                                         "%.1f ms",
                                      t->address, role, ms);
    else
        vitals_result_set_description(r, "PONG from redis at %s (role "
                                         "unknown) in %.1f ms",
                                      t->address, ms);
}

/* "PING on redis at h:p timed out after 500 ms", or "... failed: why". */
static void fail_step(vitals_result_t *r, const redis_t *t, const char *step,
                      const char *why)
{
    if (strncmp(why, "timed out ", 10) == 0)
        vitals_result_set_error(r, "%s on redis at %s %s", step, t->address,
                                why);
    else
        vitals_result_set_error(r, "%s on redis at %s failed: %s", step,
                                t->address, why);
}

/* The steps after connecting. Reports into r. */
static void converse(const redis_t *t, redisContext *c, vitals_result_t *r,
                     int64_t budget, int64_t start)
{
    char why[MSG_MAX], msg[MSG_MAX], role[64] = "";
    redisReply *reply;

    if (t->password) {
        reply = command(t, c, r, budget, why, sizeof(why), "AUTH %s",
                        t->password);
        if (!reply) {
            fail_step(r, t, "AUTH", why);
            return;
        }
        if (reply->type == REDIS_REPLY_ERROR) {
            scrub(t, reply->str, msg, sizeof(msg));
            vitals_result_set_error(r, "AUTH on redis at %s failed: %s",
                                    t->address, msg);
            freeReplyObject(reply);
            return;
        }
        freeReplyObject(reply);
    }

    reply = command(t, c, r, budget, why, sizeof(why), "PING");
    if (!reply) {
        fail_step(r, t, "PING", why);
        return;
    }
    if (reply->type != REDIS_REPLY_STATUS || strcmp(reply->str, "PONG") != 0) {
        if (reply->type == REDIS_REPLY_ERROR ||
            reply->type == REDIS_REPLY_STATUS ||
            reply->type == REDIS_REPLY_STRING)
            scrub(t, reply->str, msg, sizeof(msg));
        else
            snprintf(msg, sizeof(msg), "a reply of type %d", reply->type);
        vitals_result_set_error(r, "PING on redis at %s %s: %s", t->address,
                                reply->type == REDIS_REPLY_ERROR
                                    ? "failed"
                                    : "did not answer PONG",
                                msg);
        freeReplyObject(reply);
        return;
    }
    freeReplyObject(reply);

    /* The role is a fact about the server, not its health: an account
     * that may not run INFO (an ACL without @dangerous) still passes.
     * Only a failed connection or the deadline fail the check here. */
    reply = command(t, c, r, budget, why, sizeof(why), "INFO replication");
    if (!reply) {
        fail_step(r, t, "INFO", why);
        return;
    }
    if (reply->type == REDIS_REPLY_STRING)
        parse_role(reply->str, role, sizeof(role));
    freeReplyObject(reply);
    report_healthy(t, r, role, vclock_mono(&vclock_system) - start);
}

static void redis_run(void *state, vitals_result_t *r)
{
    const redis_t *t = state;
    int64_t budget = vitals_result_remaining_ms(r);
    int64_t start = vclock_mono(&vclock_system);
    vsigpipe_t guard;
    redisContext *c;
    char why[MSG_MAX];
    int err;

    if (budget <= 0) {
        vitals_result_set_error(r, "cannot connect to redis at %s: timed "
                                   "out after 0 ms",
                                t->address);
        return;
    }
    /* hiredis writes with write(2): a server that closed the connection
     * would raise SIGPIPE (see util/sigpipe.h). */
    vsigpipe_block(&guard);
    c = t->path ? redisConnectUnixWithTimeout(t->path, tv_of(budget))
                : redisConnectWithTimeout(t->host, t->port, tv_of(budget));
    err = errno;
    if (!c) {
        vitals_result_set_error(r, "cannot connect to redis at %s: out of "
                                   "memory",
                                t->address);
    } else if (c->err) {
        context_reason(t, c, err, r, budget, why, sizeof(why));
        vitals_result_set_error(r, "cannot connect to redis at %s: %s",
                                t->address, why);
    } else {
        converse(t, c, r, budget, start);
    }
    if (c)
        redisFree(c);
    vsigpipe_restore(&guard);
}

const vcheck_type_t vcheck_redis = {
    .name = "redis",
    .component_type = "datastore",
    .settings = redis_settings,
    .state_size = sizeof(redis_t),
    .prepare = redis_prepare,
    .clear = redis_clear,
    .run = redis_run,
};
