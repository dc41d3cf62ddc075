/* mysql.c - the "mysql" check type: connect to a MySQL or MariaDB server
 * with MariaDB Connector/C and run SELECT 1, all before the check's
 * deadline. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* explicit_bzero, memrchr, the GNU strerror_r */
#endif

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <mysql.h>

#include "checks/check_type.h"
#include "util/clock.h"

#define DEFAULT_PORT 3306
#define MSG_MAX 512
#define DSN_FORM "mysql://user:password@host:port/database"

typedef struct my {
    char *dsn;      /* secret: as configured */
    char *host;     /* NULL with a socket */
    unsigned port;  /* with a host */
    char *socket;   /* ?socket=/path, or NULL */
    char *user;     /* NULL: the connector's default */
    char *password; /* secret; NULL: none */
    char *db;       /* NULL: none */
    char *where;    /* "mysql at 127.0.0.1:3306", for messages */
} my_t;

/* Frees what my_prepare derived from the dsn. */
static void my_clear(void *state)
{
    my_t *m = state;

    free(m->host);
    free(m->socket);
    free(m->user);
    vcheck_free_secret(m->password);
    free(m->db);
    free(m->where);
}

/* ------------------------------------------------------------------------
 * Configuration: the dsn
 *
 * No message about the dsn quotes any part of it: it holds the password,
 * and a malformed dsn is exactly when a part of the password may land
 * anywhere (an unencoded '/' or '@' moves it into the host or the path).
 */

enum { DSN_OK = 0, DSN_BAD = -1, DSN_NOMEM = -2 };

static int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Decodes the %XX escapes of [s, s + n) into a new string. A bad escape,
 * or %00 (which would silently cut a C string), is DSN_BAD. */
static int decode(const char *s, size_t n, char **out)
{
    char *d = malloc(n + 1);
    size_t i, o = 0;
    int hi, lo;

    if (!d)
        return DSN_NOMEM;
    for (i = 0; i < n; i++) {
        if (s[i] != '%') {
            d[o++] = s[i];
            continue;
        }
        if (n - i < 3 || (hi = hex_value(s[i + 1])) < 0 ||
            (lo = hex_value(s[i + 2])) < 0 || (hi == 0 && lo == 0))
            goto bad;
        d[o++] = (char)(hi << 4 | lo);
        i += 2;
    }
    d[o] = '\0';
    *out = d;
    return DSN_OK;

bad:
    explicit_bzero(d, n + 1);
    free(d);
    return DSN_BAD;
}

/* Decodes a component, or says which one is malformed. */
static int decode_part(const char *s, size_t n, char **out, const char *what,
                       char *why, size_t len)
{
    int rc = decode(s, n, out);

    if (rc == DSN_BAD)
        snprintf(why, len, "invalid percent-encoding in the %s", what);
    return rc;
}

static int parse_port(const char *s, size_t n, unsigned *port)
{
    unsigned long v = 0;
    size_t i;

    if (n == 0 || n > 5)
        return -1;
    for (i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (unsigned long)(s[i] - '0');
    }
    if (v < 1 || v > 65535)
        return -1;
    *port = (unsigned)v;
    return 0;
}

/* A host name or address: printable, no space, nothing a URI reserves. */
static int host_ok(const char *s, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];

        if (c <= ' ' || c == 0x7f || strchr("%@/?#[]", c))
            return 0;
    }
    return 1;
}

/* [hp, end): "host", "host:port", "[v6]", "[v6]:port" or "". */
static int parse_hostport(my_t *m, const char *hp, const char *end,
                          char *why, size_t len)
{
    const char *h = hp, *hend, *colon = NULL;

    if (hp < end && *hp == '[') {
        h = hp + 1;
        hend = memchr(h, ']', (size_t)(end - h));
        if (!hend || hend == h || (hend + 1 < end && hend[1] != ':') ||
            !memchr(h, ':', (size_t)(hend - h)) ||
            strspn(h, "0123456789abcdefghijklmnopqrstuvwxyz"
                      "ABCDEFGHIJKLMNOPQRSTUVWXYZ:.%_-") <
                (size_t)(hend - h)) {
            snprintf(why, len, "invalid IPv6 address (expected [address] "
                               "or [address]:port)");
            return DSN_BAD;
        }
        /* Hex digits, ':', '.' (an embedded IPv4 address), and '%' and
         * an interface name for a zone: nothing that needs quoting. */
        if (hend + 1 < end)
            colon = hend + 1;
    } else {
        colon = memchr(hp, ':', (size_t)(end - hp));
        hend = colon ? colon : end;
        if ((colon && memchr(colon + 1, ':', (size_t)(end - colon - 1))) ||
            !host_ok(h, (size_t)(hend - h))) {
            snprintf(why, len, "invalid host (expected " DSN_FORM ")");
            return DSN_BAD;
        }
    }
    m->port = DEFAULT_PORT;
    if (colon && parse_port(colon + 1, (size_t)(end - colon - 1), &m->port)) {
        snprintf(why, len, "invalid port (expected 1 to 65535)");
        return DSN_BAD;
    }
    if (hend > h && !(m->host = strndup(h, (size_t)(hend - h))))
        return DSN_NOMEM;
    return DSN_OK;
}

/* ?socket=/path: the only parameter. */
static int parse_query(my_t *m, const char *q, char *why, size_t len)
{
    const char *p = q, *end, *eq;
    int rc;

    while (*p) {
        end = p + strcspn(p, "&");
        eq = memchr(p, '=', (size_t)(end - p));
        if (end == p) {
            p++;
            continue; /* "a&&b", a trailing '&' */
        }
        if (!eq || (size_t)(eq - p) != 6 || strncmp(p, "socket", 6) != 0) {
            snprintf(why, len, "unknown parameter (the only one is "
                               "?socket=/path)");
            return DSN_BAD;
        }
        if (m->socket) {
            snprintf(why, len, "socket given twice");
            return DSN_BAD;
        }
        rc = decode_part(eq + 1, (size_t)(end - eq - 1), &m->socket,
                         "socket path", why, len);
        if (rc != DSN_OK)
            return rc;
        if (m->socket[0] != '/') {
            snprintf(why, len, "the socket must be an absolute path");
            return DSN_BAD;
        }
        p = *end ? end + 1 : end;
    }
    return DSN_OK;
}

/* mysql://[user[:password]@][host][:port][/database][?socket=/path] */
static int parse_dsn(my_t *m, const char *dsn, char *why, size_t len)
{
    const char *p, *aend, *at, *colon, *path_end;
    int rc;

    if (strncasecmp(dsn, "mysql://", 8) != 0) {
        snprintf(why, len, "expected " DSN_FORM);
        return DSN_BAD;
    }
    p = dsn + 8;
    aend = p + strcspn(p, "/?");
    /* An '@' past the host is a password (or user name) with an
     * unencoded '/' or '?', which would put a piece of it in the host,
     * the port or the database name, and so in messages. */
    if (strchr(aend, '@')) {
        snprintf(why, len, "'@' after the host: percent-encode '@', '/' and "
                           "'?' in the user name and password (%%40, %%2F, "
                           "%%3F)");
        return DSN_BAD;
    }
    /* The last '@': an unencoded one in a password still works. */
    at = memrchr(p, '@', (size_t)(aend - p));
    if (at) {
        colon = memchr(p, ':', (size_t)(at - p));
        rc = decode_part(p, (size_t)((colon ? colon : at) - p), &m->user,
                         "user name", why, len);
        if (rc == DSN_OK && colon)
            rc = decode_part(colon + 1, (size_t)(at - colon - 1),
                             &m->password, "password", why, len);
        if (rc != DSN_OK)
            return rc;
        if (!m->user[0]) {
            free(m->user);
            m->user = NULL;
        }
        p = at + 1;
    }
    if ((rc = parse_hostport(m, p, aend, why, len)) != DSN_OK)
        return rc;
    if (*aend == '/') {
        path_end = aend + 1 + strcspn(aend + 1, "?");
        if (path_end > aend + 1) {
            rc = decode_part(aend + 1, (size_t)(path_end - aend - 1), &m->db,
                             "database name", why, len);
            if (rc != DSN_OK)
                return rc;
        }
        aend = path_end;
    }
    if (*aend == '?' && (rc = parse_query(m, aend + 1, why, len)) != DSN_OK)
        return rc;
    if (m->socket && m->host) {
        snprintf(why, len, "give a host or ?socket=/path, not both");
        return DSN_BAD;
    }
    if (!m->socket && !m->host) {
        snprintf(why, len, "missing host (expected " DSN_FORM ")");
        return DSN_BAD;
    }
    return DSN_OK;
}

static int make_where(my_t *m)
{
    int n;

    if (m->socket)
        n = asprintf(&m->where, "mysql at %s", m->socket);
    else if (strchr(m->host, ':'))
        n = asprintf(&m->where, "mysql at [%s]:%u", m->host, m->port);
    else
        n = asprintf(&m->where, "mysql at %s:%u", m->host, m->port);
    if (n < 0) {
        m->where = NULL;
        return DSN_NOMEM;
    }
    return DSN_OK;
}

static const vsetting_t my_settings[] = {
    {.key = "dsn", .kind = VSET_STR, .offset = offsetof(my_t, dsn),
     .flags = VSET_REQUIRED | VSET_SECRET},
    {0}};

/* The dsn is parsed now, so that a typo is a configuration error with a
 * position, not a check failing at every run. */
static int my_prepare(void *state, vnode_t *settings, verrs_t *e)
{
    my_t *m = state;
    char why[160];
    int rc = parse_dsn(m, m->dsn, why, sizeof(why));

    if (rc == DSN_OK)
        rc = make_where(m);
    if (rc == DSN_BAD)
        verrs_add(e, vnode_get(settings, "dsn"), "'dsn': %s", why);
    else if (rc == DSN_NOMEM)
        verrs_add(e, settings, "out of memory");
    return rc == DSN_OK ? 0 : -1;
}

/* ------------------------------------------------------------------------
 * Running, bounded by the deadline
 *
 * The connector's own timeouts are whole seconds, so they are set to the
 * time left rounded up, as a backstop, and the non-blocking API does the
 * real work: every wait is a poll() bounded by the deadline. To give up,
 * a suspended call is resumed with MYSQL_WAIT_TIMEOUT, which makes the
 * connector fail it and unwind as after its own timeout: nothing is left
 * half-done, and mysql_close can free everything.
 */

static pthread_once_t lib_once = PTHREAD_ONCE_INIT;
static int lib_rc;

/* mysql_library_init is not thread-safe; mysql_init would call it on first
 * use, from whichever worker got there first. */
static void lib_init(void)
{
    lib_rc = mysql_library_init(0, NULL, NULL);
}

typedef struct waiter {
    vitals_result_t *r;
    int expired;  /* the deadline came: every wait now gives up at once */
    int poll_err; /* errno of a failed poll, which gives up too */
} waiter_t;

/* Waits for what a suspended call asked (status), and returns the events
 * to resume it with: what the socket is ready for, or MYSQL_WAIT_TIMEOUT
 * when the connector's own timeout or the deadline came first. */
static int wait_mysql(MYSQL *m, int status, waiter_t *w)
{
    struct pollfd p;
    int64_t rem, lib_end = -1, now;
    int n, ms, ev = 0, asked = status & (MYSQL_WAIT_READ | MYSQL_WAIT_WRITE |
                                         MYSQL_WAIT_EXCEPT);

    if (w->expired || w->poll_err)
        return MYSQL_WAIT_TIMEOUT;
    p.fd = (int)mysql_get_socket(m);
    p.events = (short)((status & MYSQL_WAIT_READ ? POLLIN : 0) |
                       (status & MYSQL_WAIT_WRITE ? POLLOUT : 0) |
                       (status & MYSQL_WAIT_EXCEPT ? POLLPRI : 0));
    p.revents = 0;
    if (status & MYSQL_WAIT_TIMEOUT)
        lib_end = vclock_mono(&vclock_system) / 1000000 +
                  mysql_get_timeout_value_ms(m);
    for (;;) {
        rem = vitals_result_remaining_ms(w->r);
        if (rem <= 0) {
            w->expired = 1;
            return MYSQL_WAIT_TIMEOUT;
        }
        ms = rem > INT_MAX ? INT_MAX : (int)rem;
        if (lib_end >= 0) {
            now = vclock_mono(&vclock_system) / 1000000;
            if (now >= lib_end)
                return MYSQL_WAIT_TIMEOUT;
            if (lib_end - now < ms)
                ms = (int)(lib_end - now);
        }
        n = poll(&p, 1, ms);
        if (n > 0)
            break;
        if (n < 0 && errno != EINTR) {
            w->poll_err = errno;
            return MYSQL_WAIT_TIMEOUT;
        }
    }
    if (p.revents & POLLIN)
        ev |= MYSQL_WAIT_READ;
    if (p.revents & POLLOUT)
        ev |= MYSQL_WAIT_WRITE;
    if (p.revents & POLLPRI)
        ev |= MYSQL_WAIT_EXCEPT;
    /* An error or a hang-up: let the connector find it out by trying. */
    if (p.revents & (POLLERR | POLLHUP | POLLNVAL))
        ev |= asked;
    return ev ? ev : asked;
}

/* The connector's message for its last error, first line, without the
 * password should it ever echo it. */
static void mysql_reason(const my_t *m, MYSQL *conn, char *out, size_t len)
{
    const char *msg = mysql_error(conn), *pw = m->password;
    size_t o = 0, plen = pw ? strlen(pw) : 0;

    while (*msg && *msg != '\n' && o + 1 < len) {
        if (plen && strncmp(msg, pw, plen) == 0) {
            o += (size_t)snprintf(out + o, len - o, "***");
            if (o >= len)
                o = len - 1;
            msg += plen;
            continue;
        }
        out[o++] = *msg++;
    }
    out[o] = '\0';
    if (!out[0])
        snprintf(out, len, "unknown error (%u)", mysql_errno(conn));
}

/* Why a step failed: the deadline, a failed poll, or the connector. */
static void step_reason(const my_t *m, MYSQL *conn, const waiter_t *w,
                        int64_t budget, char *out, size_t len)
{
    char ebuf[128];

    if (w->poll_err)
        snprintf(out, len, "poll: %s",
                 strerror_r(w->poll_err, ebuf, sizeof(ebuf)));
    else if (w->expired)
        snprintf(out, len, "timed out after %lld ms", (long long)budget);
    else
        mysql_reason(m, conn, out, len);
}

/* Sets the connector's options: non-blocking, the protocol the dsn
 * names (without it, host "localhost" would silently mean the default
 * socket), and its whole-second timeouts rounded up from the budget. */
static int set_options(const my_t *m, MYSQL *conn, int64_t budget)
{
    unsigned secs = (unsigned)((budget + 999) / 1000);
    unsigned protocol = m->socket ? MYSQL_PROTOCOL_SOCKET : MYSQL_PROTOCOL_TCP;

    if (secs < 1)
        secs = 1;
    return mysql_options(conn, MYSQL_OPT_NONBLOCK, 0) != 0 ||
                   mysql_options(conn, MYSQL_OPT_PROTOCOL, &protocol) != 0 ||
                   mysql_options(conn, MYSQL_OPT_CONNECT_TIMEOUT, &secs) != 0 ||
                   mysql_options(conn, MYSQL_OPT_READ_TIMEOUT, &secs) != 0 ||
                   mysql_options(conn, MYSQL_OPT_WRITE_TIMEOUT, &secs) != 0 ||
                   mysql_options4(conn, MYSQL_OPT_CONNECT_ATTR_ADD,
                                  "program_name", "vitals") != 0
               ? -1
               : 0;
}

/* SELECT 1 on a connected conn. 0, or -1 with the reason in why. */
static int select1(const my_t *m, MYSQL *conn, waiter_t *w, int64_t budget,
                   char *why, size_t len)
{
    MYSQL_RES *res = NULL;
    MYSQL_ROW row;
    int status, err = 0;

    status = mysql_real_query_start(&err, conn, "SELECT 1", 8);
    while (status)
        status = mysql_real_query_cont(&err, conn,
                                       wait_mysql(conn, status, w));
    if (err) {
        step_reason(m, conn, w, budget, why, len);
        return -1;
    }
    status = mysql_store_result_start(&res, conn);
    while (status)
        status = mysql_store_result_cont(&res, conn,
                                         wait_mysql(conn, status, w));
    if (!res) {
        step_reason(m, conn, w, budget, why, len);
        return -1;
    }
    /* A stored result is in memory: fetching and freeing never block. */
    row = mysql_fetch_row(res);
    if (mysql_num_fields(res) != 1 || !row || !row[0] ||
        strcmp(row[0], "1") != 0) {
        snprintf(why, len, "unexpected answer \"%.32s\"",
                 row && row[0] ? row[0] : "");
        mysql_free_result(res);
        return -1;
    }
    mysql_free_result(res);
    return 0;
}

static void report_healthy(const my_t *m, MYSQL *conn, vitals_result_t *r,
                           int64_t elapsed_ns)
{
    /* Microsecond precision: below that the number is noise. */
    double ms = (double)((elapsed_ns + 500) / 1000) / 1000.0;
    const char *version = mysql_get_server_info(conn);

    if (vitals_result_set_double(r, "responseTimeMs", ms) < 0 ||
        (version && version[0] &&
         vitals_result_set_string(r, "serverVersion", version) < 0)) {
        vitals_result_set_error(r, "out of memory");
        return;
    }
    vitals_result_observe(r, "responseTime", ms, "ms");
    vitals_result_set_status(r, VITALS_HEALTHY);
    /* "SELECT 1 on mysql 10.11.6-MariaDB at 127.0.0.1:3306 in 1.2 ms" */
    vitals_result_set_description(
        r, "SELECT 1 on mysql%s%s%s in %.1f ms",
        version && version[0] ? " " : "", version ? version : "",
        m->where + strlen("mysql"), ms);
}

static void my_run(void *state, vitals_result_t *r)
{
    const my_t *m = state;
    int64_t budget = vitals_result_remaining_ms(r);
    int64_t start = vclock_mono(&vclock_system);
    waiter_t w = {.r = r};
    char why[MSG_MAX];
    MYSQL *conn, *ret = NULL;
    int status;

    pthread_once(&lib_once, lib_init);
    if (lib_rc != 0) {
        vitals_result_set_error(r, "cannot connect to %s: the MariaDB "
                                   "client library did not initialise",
                                m->where);
        return;
    }
    conn = mysql_init(NULL);
    if (!conn) {
        vitals_result_set_error(r, "cannot connect to %s: out of memory",
                                m->where);
        return;
    }
    if (set_options(m, conn, budget) != 0) {
        mysql_reason(m, conn, why, sizeof(why));
        vitals_result_set_error(r, "cannot connect to %s: cannot set the "
                                   "client's options: %s",
                                m->where, why);
        mysql_close(conn);
        return;
    }

    status = mysql_real_connect_start(&ret, conn, m->host, m->user,
                                      m->password, m->db, m->port, m->socket,
                                      0);
    while (status)
        status = mysql_real_connect_cont(&ret, conn,
                                         wait_mysql(conn, status, &w));
    if (!ret) {
        step_reason(m, conn, &w, budget, why, sizeof(why));
        vitals_result_set_error(r, "cannot connect to %s: %s", m->where,
                                why);
    } else if (select1(m, conn, &w, budget, why, sizeof(why)) != 0) {
        vitals_result_set_error(r, "SELECT 1 on %s %s%s", m->where,
                                w.expired ? "" : "failed: ", why);
    } else {
        report_healthy(m, conn, r, vclock_mono(&vclock_system) - start);
    }

    /* COM_QUIT, bounded like the rest: past the deadline the wait gives
     * up at once and the connector just frees. */
    status = mysql_close_start(conn);
    while (status)
        status = mysql_close_cont(conn, wait_mysql(conn, status, &w));
}

const vcheck_type_t vcheck_mysql = {
    .name = "mysql",
    .component_type = "datastore",
    .settings = my_settings,
    .state_size = sizeof(my_t),
    .prepare = my_prepare,
    .clear = my_clear,
    .run = my_run,
};
