/* postgres.c - the "postgres" check type: connect to a PostgreSQL server
 * with libpq and run SELECT 1, all before the check's deadline. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* explicit_bzero, the GNU strerror_r */
#endif

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libpq-fe.h>

#include "checks/check_type.h"
#include "util/clock.h"

/* Room for one line of a libpq message, as shown in an error. */
#define MSG_MAX 512

typedef struct pg {
    /* Secret: the dsn may hold the password. It goes to libpq and
     * nowhere else; no message ever quotes it. */
    char *dsn;
    /* The password as libpq parsed it (NULL when none), so that a libpq
     * message that would echo it can be scrubbed. */
    char *password;
} pg_t;

/* Frees what pg_prepare derived from the dsn. */
static void pg_clear(void *state)
{
    vcheck_free_secret(((pg_t *)state)->password);
}

/* ------------------------------------------------------------------------
 * Keeping secrets out of messages
 */

/* Copies the first line of msg into out, with every occurrence of secret
 * (when not NULL or empty) replaced by "***", and trailing blanks cut. */
static void scrub_line(const char *msg, const char *secret, char *out,
                       size_t len)
{
    size_t o = 0, slen = secret ? strlen(secret) : 0;
    const char *p = msg;

    while (*p && *p != '\n' && o + 1 < len) {
        if (slen && secret && strncmp(p, secret, slen) == 0) {
            o += (size_t)snprintf(out + o, len - o, "***");
            if (o >= len)
                o = len - 1;
            p += slen;
            continue;
        }
        out[o++] = *p++;
    }
    while (o > 0 && (out[o - 1] == ' ' || out[o - 1] == '\t' ||
                     out[o - 1] == '\r'))
        o--;
    out[o] = '\0';
}

/* Where in a dsn a password may be: a span of bytes. */
typedef struct span {
    size_t start, end;
} span_t;

#define MAX_SPANS 8

static int is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' ||
           c == '\v';
}

static int is_uri(const char *dsn)
{
    return strncmp(dsn, "postgresql://", 13) == 0 ||
           strncmp(dsn, "postgres://", 11) == 0;
}

/* Every span of a dsn that may hold a password, generously, since a dsn
 * libpq cannot parse (or parses differently from what its author meant)
 * is when a password lands somewhere unexpected. In a URI: from the first
 * ':' of the user info to the last '@' (libpq ends the user info at the
 * first '/', so a password with an unencoded '/' becomes a host, a port
 * and a path, which messages then quote), and the value of a password=
 * parameter. In key=value form: the value of every password keyword,
 * stretched over the following words that are not key=value (an unquoted
 * password with a space in it). */
static size_t secret_spans(const char *dsn, span_t *sp, size_t max)
{
    const char *p, *at, *colon, *q;
    size_t n = 0;

    if (is_uri(dsn)) {
        p = strstr(dsn, "://") + 3;
        at = strrchr(p, '@');
        colon = at ? memchr(p, ':', (size_t)(at - p)) : NULL;
        if (colon && n < max)
            sp[n++] = (span_t){(size_t)(colon + 1 - dsn), (size_t)(at - dsn)};
        for (q = strchr(p, '?'); q && n < max; q = strchr(q + 1, '&')) {
            if (strncmp(q + 1, "password=", 9) == 0) {
                const char *v = q + 10, *e = strchr(v, '&');

                if (!e)
                    e = v + strlen(v);
                sp[n++] = (span_t){(size_t)(v - dsn), (size_t)(e - dsn)};
            }
        }
        return n;
    }

    p = dsn;
    while (*p && n < max) {
        const char *key, *kend, *v;
        int is_password;

        while (is_space(*p))
            p++;
        key = p;
        while (*p && *p != '=' && !is_space(*p))
            p++;
        kend = p;
        while (is_space(*p))
            p++;
        if (*p != '=') {
            if (p == key)
                break; /* end of the string */
            continue;  /* a word without '=': libpq's error */
        }
        p++;
        while (is_space(*p))
            p++;
        v = p;
        is_password = (size_t)(kend - key) == 8 &&
                      strncmp(key, "password", 8) == 0;
        if (*p == '\'') {
            for (p++; *p && *p != '\''; p++) {
                if (*p == '\\' && p[1])
                    p++;
            }
            if (*p)
                p++;
        } else {
            for (; *p && !is_space(*p); p++) {
                if (*p == '\\' && p[1])
                    p++;
            }
        }
        if (!is_password)
            continue;
        /* Stretch over words that do not start another key=value. */
        for (;;) {
            const char *w = p, *wend;

            while (is_space(*w))
                w++;
            wend = w;
            while (*wend && *wend != '=' && !is_space(*wend))
                wend++;
            q = wend;
            while (is_space(*q))
                q++;
            if (w == wend || *q == '=')
                break;
            p = wend;
        }
        sp[n++] = (span_t){(size_t)(v - dsn), (size_t)(p - dsn)};
    }
    return n;
}

/* How sure a quoted fragment must be to be shown. */
enum {
    /* Parse errors quote the dsn itself: a fragment is shown only when
     * it occurs in the dsn and never in a password span. */
    QUOTES_STRICT,
    /* Run-time messages mostly quote other things (a user, a database,
     * a server's words): a fragment is hidden only when it occurs in the
     * dsn in a password span. */
    QUOTES_LENIENT
};

static int fragment_is_safe(const char *dsn, const span_t *sp, size_t n,
                            const char *s, size_t len, int mode)
{
    const char *hit;
    size_t i, at;
    int found = 0;

    if (len == 0)
        return 1;
    if (len == 1 && strchr("=]:/", s[0]))
        return 1; /* libpq's own punctuation: '"=" after', '"]" in' */
    if (memmem(s, len, "://", 3))
        return 0; /* a whole URI */
    for (hit = dsn; (hit = memmem(hit, strlen(hit), s, len)) != NULL;
         hit++) {
        found = 1;
        at = (size_t)(hit - dsn);
        for (i = 0; i < n; i++) {
            if (at < sp[i].end && at + len > sp[i].start)
                return 0;
        }
    }
    /* Not found: decoded, or not from the dsn at all. */
    return found || mode == QUOTES_LENIENT;
}

/* Copies the first line of a libpq message into out, with the password
 * (as libpq parsed it; may be NULL) replaced by "***", and every quoted
 * fragment that may be (part of) a password too, as mode says. libpq
 * quotes what it did not understand: missing "=" after "<word>", invalid
 * percent-encoded token: "<token>", ... in URI: "<the whole URI>",
 * invalid port number: "<what libpq took for a port>". */
static void scrub(const char *msg, const char *dsn, const char *password,
                  int mode, char *out, size_t len)
{
    span_t sp[MAX_SPANS];
    size_t n = secret_spans(dsn, sp, MAX_SPANS), o = 0;
    const char *p, *close;
    char line[MSG_MAX];

    scrub_line(msg, password, line, sizeof(line));
    p = line;
    while (*p && o + 1 < len) {
        if (*p != '"') {
            out[o++] = *p++;
            continue;
        }
        close = strchr(p + 1, '"');
        if (!close)
            close = p + strlen(p); /* unbalanced: hide the rest */
        if (*close && fragment_is_safe(dsn, sp, n, p + 1,
                                       (size_t)(close - p - 1), mode)) {
            size_t k = (size_t)(close - p + 1);

            if (k > len - 1 - o)
                k = len - 1 - o;
            memcpy(out + o, p, k);
            o += k;
        } else {
            o += (size_t)snprintf(out + o, len - o, "\"***\"");
            if (o >= len)
                o = len - 1;
        }
        p = *close ? close + 1 : close;
    }
    out[o] = '\0';
}

/* ------------------------------------------------------------------------
 * Configuration
 */

/* libpq takes "" as "every default", which in a health check is far more
 * likely an empty ${VARIABLE} than a choice. */
static const vsetting_t pg_settings[] = {
    {.key = "dsn", .kind = VSET_STR, .offset = offsetof(pg_t, dsn),
     .flags = VSET_REQUIRED | VSET_NONEMPTY | VSET_SECRET},
    {0}};

/* The dsn is parsed now, so that a typo is a configuration error with a
 * position, not a check failing at every run. */
static int pg_prepare(void *state, vnode_t *settings, verrs_t *e)
{
    pg_t *p = state;
    char *err = NULL, msg[MSG_MAX];
    PQconninfoOption *opts, *o;
    int rc = 0;

    if ((opts = PQconninfoParse(p->dsn, &err)) == NULL) {
        if (err) {
            scrub(err, p->dsn, NULL, QUOTES_STRICT, msg, sizeof(msg));
            verrs_add(e, vnode_get(settings, "dsn"), "'dsn': %s", msg);
            PQfreemem(err);
        } else {
            verrs_add(e, settings, "out of memory");
        }
        return -1;
    }
    for (o = opts; o->keyword && rc == 0; o++) {
        if (strcmp(o->keyword, "password") == 0 && o->val && o->val[0] &&
            !(p->password = strdup(o->val))) {
            verrs_add(e, settings, "out of memory");
            rc = -1;
        }
    }
    PQconninfoFree(opts);
    return rc;
}

/* ------------------------------------------------------------------------
 * Running, bounded by the deadline
 */

enum { PG_OK = 0, PG_FAILED = -1, PG_TIMEOUT = -2 };

/* Waits until fd is ready for events. PG_OK, PG_TIMEOUT at the deadline,
 * or PG_FAILED (errno set). */
static int wait_socket(int fd, short events, vitals_result_t *r)
{
    struct pollfd p = {.fd = fd, .events = events};
    int64_t rem;
    int n;

    if (fd < 0) {
        errno = EBADF;
        return PG_FAILED;
    }
    for (;;) {
        rem = vitals_result_remaining_ms(r);
        if (rem <= 0)
            return PG_TIMEOUT;
        n = poll(&p, 1, rem > INT_MAX ? INT_MAX : (int)rem);
        if (n > 0)
            return PG_OK; /* POLLERR and POLLHUP too: libpq reads why */
        if (n < 0 && errno != EINTR)
            return PG_FAILED;
    }
}

/* Drives PQconnectPoll: its documented loop, each wait bounded by the
 * deadline, and the socket fetched again each time (it changes when
 * libpq moves to the next host or retries without SSL). */
static int pg_connect(PGconn *conn, vitals_result_t *r, char *why,
                      size_t len)
{
    PostgresPollingStatusType st = PGRES_POLLING_WRITING;
    char ebuf[128];
    int rc;

    if (PQstatus(conn) == CONNECTION_BAD)
        return PG_FAILED;
    for (;;) {
        if (st == PGRES_POLLING_OK)
            return PG_OK;
        if (st == PGRES_POLLING_FAILED)
            return PG_FAILED;
        rc = wait_socket(PQsocket(conn),
                         st == PGRES_POLLING_READING ? POLLIN : POLLOUT, r);
        if (rc == PG_FAILED) {
            snprintf(why, len, "poll: %s",
                     strerror_r(errno, ebuf, sizeof(ebuf)));
            return PG_FAILED;
        }
        if (rc == PG_TIMEOUT)
            return PG_TIMEOUT;
        st = PQconnectPoll(conn);
    }
}

/* Reads until libpq has a whole result, bounded by the deadline. */
static int pg_await(PGconn *conn, vitals_result_t *r, char *why, size_t len)
{
    char ebuf[128];
    int rc;

    while (PQisBusy(conn)) {
        rc = wait_socket(PQsocket(conn), POLLIN, r);
        if (rc == PG_FAILED)
            snprintf(why, len, "poll: %s",
                     strerror_r(errno, ebuf, sizeof(ebuf)));
        if (rc != PG_OK)
            return rc;
        if (!PQconsumeInput(conn))
            return PG_FAILED; /* why: PQerrorMessage */
    }
    return PG_OK;
}

/* Sends SELECT 1 and checks its answer, never blocking: a server that
 * stops answering mid-query costs the deadline, not a hung worker. why
 * receives the reason of PG_FAILED, or stays empty when PQerrorMessage
 * says it. */
static int pg_select1(PGconn *conn, vitals_result_t *r, char *why,
                      size_t len)
{
    PGresult *res;
    char ebuf[128];
    int rc, flushed, got = 0;

    why[0] = '\0';
    if (PQsetnonblocking(conn, 1) != 0 || !PQsendQuery(conn, "SELECT 1"))
        return PG_FAILED;
    /* The query may not fit the socket buffer at once (it does, but the
     * protocol allows otherwise): PQflush until sent, reading meanwhile
     * as the libpq documentation asks. */
    while ((flushed = PQflush(conn)) == 1) {
        rc = wait_socket(PQsocket(conn), POLLIN | POLLOUT, r);
        if (rc == PG_FAILED)
            snprintf(why, len, "poll: %s",
                     strerror_r(errno, ebuf, sizeof(ebuf)));
        if (rc != PG_OK)
            return rc;
        if (!PQconsumeInput(conn))
            return PG_FAILED;
    }
    if (flushed < 0)
        return PG_FAILED;

    /* Every result until NULL, as libpq requires before the connection is
     * idle; the first one is the answer. */
    for (;;) {
        if ((rc = pg_await(conn, r, why, len)) != PG_OK)
            return rc;
        res = PQgetResult(conn);
        if (!res)
            break;
        if (!got && !why[0]) {
            got = 1;
            if (PQresultStatus(res) != PGRES_TUPLES_OK) {
                scrub_line(PQresultErrorMessage(res), NULL, why, len);
                if (!why[0])
                    snprintf(why, len, "%s",
                             PQresStatus(PQresultStatus(res)));
            } else if (PQntuples(res) != 1 || PQnfields(res) != 1 ||
                       strcmp(PQgetvalue(res, 0, 0), "1") != 0) {
                snprintf(why, len, "unexpected answer \"%.32s\"",
                         PQntuples(res) > 0 && PQnfields(res) > 0
                             ? PQgetvalue(res, 0, 0)
                             : "");
            }
        }
        PQclear(res);
    }
    if (!got && !why[0])
        snprintf(why, len, "no result");
    return why[0] ? PG_FAILED : PG_OK;
}

/* host or port as libpq took it from the dsn, or "***" when that may be a
 * piece of the password (a URI whose password has an unencoded '/'). */
static const char *shown(const pg_t *p, const char *s)
{
    span_t sp[MAX_SPANS];
    size_t n = secret_spans(p->dsn, sp, MAX_SPANS);

    return fragment_is_safe(p->dsn, sp, n, s, strlen(s), QUOTES_LENIENT)
               ? s
               : "***";
}

/* "postgres at 127.0.0.1:5432" ("[::1]:5432", "/run/postgresql/.s.PGSQL.
 * 5432"): the server libpq tried last, which says more than a dsn (and
 * holds no secret). */
static void describe_server(const pg_t *p, PGconn *conn, char *buf,
                            size_t len)
{
    const char *host = PQhost(conn), *port = PQport(conn);

    if (!port || !port[0])
        port = "5432";
    if (!host || !host[0])
        snprintf(buf, len, "postgres");
    else if (host[0] == '/' || host[0] == '@')
        snprintf(buf, len, "postgres at %s/.s.PGSQL.%s", shown(p, host),
                 shown(p, port));
    else if (strchr(host, ':'))
        snprintf(buf, len, "postgres at [%s]:%s", shown(p, host),
                 shown(p, port));
    else
        snprintf(buf, len, "postgres at %s:%s", shown(p, host),
                 shown(p, port));
}

/* libpq's reason for a failed connection, first line, without its own
 * 'connection to server at "h", port p failed: ' (the error already says
 * where) and without the password should libpq ever echo it. */
static void connect_reason(const pg_t *p, PGconn *conn, char *out,
                           size_t len)
{
    const char *m = PQerrorMessage(conn), *f;
    const char *nl = strchr(m, '\n');

    if (strncmp(m, "connection to server ", 21) == 0 &&
        (f = strstr(m, " failed: ")) != NULL && (!nl || f < nl))
        m = f + 9;
    scrub(m, p->dsn, p->password, QUOTES_LENIENT, out, len);
    if (!out[0])
        snprintf(out, len, "unknown error");
}

static void report_healthy(vitals_result_t *r, PGconn *conn,
                           const char *where, int64_t elapsed_ns)
{
    /* Microsecond precision: below that the number is noise. */
    double ms = (double)((elapsed_ns + 500) / 1000) / 1000.0;
    const char *sv = PQparameterStatus(conn, "server_version");
    char version[64] = "";

    /* "15.8 (Debian 15.8-0+deb12u1)": the version is the first word. */
    if (sv)
        snprintf(version, sizeof(version), "%.*s", (int)strcspn(sv, " "),
                 sv);
    if (vitals_result_set_double(r, "responseTimeMs", ms) < 0 ||
        (version[0] &&
         vitals_result_set_string(r, "serverVersion", version) < 0)) {
        vitals_result_set_error(r, "out of memory");
        return;
    }
    vitals_result_observe(r, "responseTime", ms, "ms");
    vitals_result_set_status(r, VITALS_HEALTHY);
    /* "SELECT 1 on postgres 15.8 at 127.0.0.1:5432 in 1.2 ms" */
    vitals_result_set_description(r, "SELECT 1 on postgres%s%s%s in %.1f ms",
                                  version[0] ? " " : "", version,
                                  where + strlen("postgres"), ms);
}

static void pg_run(void *state, vitals_result_t *r)
{
    const pg_t *p = state;
    static const char *const keywords[] = {
        "dbname", "fallback_application_name", NULL};
    const char *values[] = {p->dsn, "vitals", NULL};
    int64_t budget = vitals_result_remaining_ms(r);
    int64_t start = vclock_mono(&vclock_system);
    char where[PATH_MAX + 32], why[MSG_MAX] = "", msg[MSG_MAX];
    PGconn *conn;
    int rc;

    /* The dsn is expanded in place of dbname, so every libpq keyword and
     * URI works, and names the check's sessions in pg_stat_activity
     * unless the dsn says otherwise. */
    conn = PQconnectStartParams(keywords, values, 1);
    if (!conn) {
        vitals_result_set_error(r, "cannot connect to postgres: out of "
                                   "memory");
        return;
    }
    rc = pg_connect(conn, r, why, sizeof(why));
    describe_server(p, conn, where, sizeof(where));
    if (rc == PG_TIMEOUT) {
        vitals_result_set_error(r, "cannot connect to %s: timed out after "
                                   "%lld ms",
                                where, (long long)budget);
    } else if (rc == PG_FAILED) {
        if (!why[0])
            connect_reason(p, conn, why, sizeof(why));
        vitals_result_set_error(r, "cannot connect to %s: %s", where, why);
    } else {
        rc = pg_select1(conn, r, why, sizeof(why));
        if (rc == PG_TIMEOUT) {
            vitals_result_set_error(r, "SELECT 1 on %s timed out after "
                                       "%lld ms",
                                    where, (long long)budget);
        } else if (rc == PG_FAILED) {
            /* why, or libpq's reason; either may quote the server. */
            scrub(why[0] ? why : PQerrorMessage(conn), p->dsn, p->password,
                  QUOTES_LENIENT, msg, sizeof(msg));
            vitals_result_set_error(r, "SELECT 1 on %s failed: %s", where,
                                    msg[0] ? msg : "unknown error");
        } else {
            report_healthy(r, conn, where, vclock_mono(&vclock_system) - start);
        }
    }
    PQfinish(conn);
}

const vcheck_type_t vcheck_postgres = {
    .name = "postgres",
    .component_type = "datastore",
    .settings = pg_settings,
    .state_size = sizeof(pg_t),
    .prepare = pg_prepare,
    .clear = pg_clear,
    .run = pg_run,
};
