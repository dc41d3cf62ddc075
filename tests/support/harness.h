/* harness.h - integration test support: start a real vitalsd on a config,
 * talk HTTP to it over loopback, signal it, read its log. */
#ifndef VITALS_HARNESS_H
#define VITALS_HARNESS_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <cmocka.h>
#include <jansson.h>

typedef struct vd {
    pid_t pid;
    int port;
    char dir[64];     /* a temporary directory, removed by vd_stop */
    char config[128]; /* dir/vitals.yaml */
    char log[128];    /* dir/stderr.log */
    const char *cafile; /* set: requests use https, trusting this CA */
    const char *source; /* set: requests come from this local address */
} vd_t;

typedef struct vresp {
    long status;
    char *body;
    size_t len;
    char *headers; /* raw header block */
} vresp_t;

/* Writes yaml (printf-style) to a new temporary config and starts vitalsd
 * on it; fails the test when it does not start listening within 10 s.
 * The config should listen on 127.0.0.1:0. */
vd_t *vd_start(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Rewrites the config file (for reloads). */
void vd_write_config(vd_t *d, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Sends SIGTERM (and, once it drains, a second one, which stops it at
 * once), waits for the exit and removes the directory. Returns the exit
 * status (or -1 when it did not exit within 10 s and was killed). */
int vd_stop(vd_t *d);
void vd_signal(vd_t *d, int sig);
/* Waits until the log contains text (up to timeout_ms). 1 found, 0 not. */
int vd_log_wait(vd_t *d, const char *text, int timeout_ms);
/* The whole log (new string). */
char *vd_log(vd_t *d);

/* An HTTP request to the daemon. method NULL = GET. */
vresp_t vd_request(vd_t *d, const char *method, const char *path,
                   const char *body, const char *const *headers);
vresp_t vd_get(vd_t *d, const char *path);
void vresp_free(vresp_t *r);
/* The value of a response header (new string), or NULL. */
char *vresp_header(const vresp_t *r, const char *name);
/* The body as JSON; fails the test when it is not JSON. */
json_t *vresp_json(const vresp_t *r);

/* Polls GET path until pred(json) holds or timeout_ms passes; returns the
 * last response's JSON (new reference). */
json_t *vd_poll(vd_t *d, const char *path,
                int (*pred)(json_t *j, void *arg), void *arg, int timeout_ms);

/* Runs argv, capturing stdout and stderr; returns the exit status. */
int run_cmd(char *const argv[], char **out, char **err);

/* Writes text to a new file in dir and returns its path (static buffer of
 * the caller: path must hold 256 bytes). */
void write_file(const char *path, const char *text);

/* A TCP port on 127.0.0.1 that is listening (fd returned) or closed. */
int listen_any(int *port);
int closed_port(void);

/* Fails the test unless body validates against docs/schemas/<schema>
 * (JSON Schema 2020-12, checked by Debian's python3-jsonschema). */
void assert_schema(const char *schema, const char *body);

/* Runs a shell command line (for openssl); fails the test unless it exits
 * 0. */
void sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Monotonic milliseconds. */
int64_t now_ms(void);

/* Where the binaries are (from the environment ctest sets). */
const char *vitalsd_path(void);
const char *vitals_path(void);

#endif
