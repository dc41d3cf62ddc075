/* servers.h - test support: real PostgreSQL, MariaDB and Redis servers on
 * 127.0.0.1, each in its own temporary directory on a free port, plus
 * loopback peers that refuse or never answer.
 *
 * The servers come from the Debian packages postgresql, mariadb-server and
 * redis-server. When the tests run as root (as in CI) the servers and their
 * setup tools run as the user "nobody": initdb and mariadbd refuse root.
 * Each server is the leader of its own process group and dies with the test
 * process (PR_SET_PDEATHSIG), so a crashed test leaves nothing running.
 */
#ifndef VITALS_SERVERS_H
#define VITALS_SERVERS_H

#include <limits.h>
#include <sys/types.h>

/* The account every server is set up with. The password has characters
 * that a URI must percent-encode, and is long enough to be found if any
 * message leaks it. */
#define SRV_USER "vitals"
#define SRV_PASSWORD "pw:s3cr3t@x/y%z"
/* SRV_PASSWORD percent-encoded, for URIs. */
#define SRV_PASSWORD_URI "pw%3As3cr3t%40x%2Fy%25z"

typedef enum { SRV_POSTGRES, SRV_MARIADB, SRV_REDIS } srv_kind_t;

typedef struct srv {
    srv_kind_t kind;
    char dir[PATH_MAX];    /* the temporary directory; removed by srv_stop */
    char socket[PATH_MAX]; /* PostgreSQL: the socket directory; MariaDB and
                              Redis: the socket file */
    char log[PATH_MAX];    /* the server's stdout and stderr */
    int port;              /* TCP, on 127.0.0.1 */
    pid_t pid;             /* the server (a process group leader); 0 when
                              stopped */
    char version[64];      /* "15", for PostgreSQL: the installed major */
} srv_t;

/* Each starts a server and waits (up to 30 s) until it accepts clients.
 * 0, or -1 after printing why (with the end of the server's log) to
 * stderr; on failure nothing is left running or on disk.
 *
 * PostgreSQL: superuser SRV_USER with SRV_PASSWORD (scram-sha-256 over
 * TCP, trust on the socket in s->socket), database "postgres".
 * MariaDB: SRV_USER@127.0.0.1 and SRV_USER@localhost with SRV_PASSWORD, no
 * privileges; socket file s->socket.
 * Redis: requirepass password unless it is NULL; socket file s->socket. */
int srv_postgres_start(srv_t *s);
int srv_mariadb_start(srv_t *s);
int srv_redis_start(srv_t *s, const char *password);

/* Stops the server (a bounded wait, then SIGKILL of its process group) and
 * removes its directory. Safe on a stopped or zeroed srv_t. */
void srv_stop(srv_t *s);

/* Kills the server's process group at once (as a crash would), keeping
 * its directory; srv_postgres_restart starts PostgreSQL again on the same
 * data directory and port (0, or -1 after printing why). */
void srv_kill(srv_t *s);
int srv_postgres_restart(srv_t *s);

/* A listening TCP socket on 127.0.0.1 that never accepts nor answers: a
 * client's connect completes (the kernel's backlog) and then waits forever
 * for a greeting. Returns the fd (close it), *port set; -1 on failure. */
int srv_silent_listener(int *port);

/* A TCP socket bound on 127.0.0.1 but not listening: a connect to *port
 * is refused, as by a stopped server. Returns the fd; -1 on failure. */
int srv_refusing_port(int *port);

/* Milliseconds on the monotonic clock, for timing a check. */
long long srv_now_ms(void);

#endif
