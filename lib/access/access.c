/* access.c - the `access:` settings and the access decision per request. */
#include "access/access.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "access/bearer.h"
#include "access/ratelimit.h"

/* mosparo's own default (.env): only the host itself. */
#define DEFAULT_ALLOW_LIST "127.0.0.1,::1"

void vaccess_free(vaccess_t *a)
{
    if (a == NULL)
        return;
    vallow_free(a->allow);
    vallow_free(a->trusted);
    vbearer_free(a->bearer);
    vratelimit_free(a->rate);
    free(a->client_id_header);
    free(a);
}

/* The allow list in force: MOSPARO_HEALTH_ALLOW_LIST as mosparo reads it,
 * else the configuration's, else mosparo's default. */
static void read_allow_list(vaccess_t *a, vnode_t *map, verrs_t *e)
{
    const char *text = getenv("MOSPARO_HEALTH_ALLOW_LIST");
    const char *configured = NULL;
    vnode_t *where = map;
    char *err = NULL;

    if (map != NULL && vnode_str(map, "health_allow_list", &configured, e))
        where = vnode_get(map, "health_allow_list");
    if (text == NULL)
        text = configured != NULL ? configured : DEFAULT_ALLOW_LIST;
    else
        where = NULL; /* the environment's: no position in the file */
    if ((a->allow = vallow_parse(text, &err)) == NULL) {
        verrs_add(e, where, "%s: %s",
                  where ? "'health_allow_list'" : "MOSPARO_HEALTH_ALLOW_LIST",
                  err ? err : "out of memory");
        free(err);
        return;
    }
    a->allow_is_empty = vallow_is_empty(a->allow);
}

static void read_details(vaccess_t *a, vnode_t *map, verrs_t *e)
{
    static const char *const names[] = {"never", "when-authorized",
                                        "always"};
    const char *s = NULL;

    if (map == NULL || vnode_str(map, "details", &s, e) != 1)
        return;
    for (int i = 0; i < 3; i++)
        if (strcmp(s, names[i]) == 0)
            a->details = (vdetails_t)(VDETAILS_NEVER + i);
    if (a->details == VDETAILS_DEFAULT)
        verrs_add(e, vnode_get(map, "details"),
                  "'details': expected never, when-authorized or always, "
                  "got \"%s\"",
                  s);
}

static void read_trusted(vaccess_t *a, vnode_t *map, verrs_t *e)
{
    char **list = NULL, *joined, *err = NULL;
    size_t n = 0, len = 1;

    if (map == NULL || vnode_strlist(map, "trusted_proxies", &list, &n, e) != 1)
        return;
    for (size_t i = 0; i < n; i++)
        len += strlen(list[i]) + 1;
    if ((joined = calloc(1, len)) != NULL) {
        for (size_t i = 0; i < n; i++) {
            strcat(joined, list[i]);
            strcat(joined, ",");
        }
        a->trusted = vallow_parse(joined, &err);
        if (a->trusted == NULL)
            verrs_add(e, vnode_get(map, "trusted_proxies"),
                      "'trusted_proxies': %s", err ? err : "out of memory");
        else if (vallow_is_empty(a->trusted)) {
            vallow_free(a->trusted); /* no entries: trust no one */
            a->trusted = NULL;
        }
    }
    free(err);
    free(joined);
    vnode_strv_free(list);
}

vaccess_t *vaccess_configure(vnode_t *map, verrs_t *e)
{
    vaccess_t *a = calloc(1, sizeof(*a));
    size_t before = e->n;
    const char *header = NULL;
    vnode_t *sub;

    if (a == NULL)
        return NULL;
    read_allow_list(a, map, e);
    read_details(a, map, e);
    read_trusted(a, map, e);
    if (map != NULL && vnode_str(map, "client_id_header", &header, e) == 1 &&
        (a->client_id_header = strdup(header)) == NULL)
        verrs_add(e, map, "out of memory");
    if (map != NULL && (sub = vnode_get(map, "bearer")) != NULL) {
        if (sub->kind != VNODE_MAP)
            verrs_add(e, sub, "'bearer': expected a map of keys");
        else if ((a->bearer = vbearer_configure(sub, e)) != NULL)
            vnode_map_done(sub, "access.bearer", e);
    }
    if (map != NULL && (sub = vnode_get(map, "rate_limit")) != NULL) {
        if (sub->kind != VNODE_MAP)
            verrs_add(e, sub, "'rate_limit': expected a map such as "
                              "{per_second: 20, burst: 40}");
        else if ((a->rate = vratelimit_configure(sub, e)) != NULL)
            vnode_map_done(sub, "access.rate_limit", e);
    }
    if (e->n > before) {
        vaccess_free(a);
        return NULL;
    }
    return a;
}

static int auth_word(const vnode_t *n, const vaccess_t *a, unsigned *auth,
                     verrs_t *e)
{
    if (n->kind != VNODE_SCALAR) {
        verrs_add(e, n, "'auth': expected open, allow_list, bearer or a "
                        "list of them");
        return -1;
    }
    if (strcmp(n->str, "open") == 0)
        return 0;
    if (strcmp(n->str, "allow_list") == 0) {
        *auth |= VAUTH_ALLOW_LIST;
        return 0;
    }
    if (strcmp(n->str, "bearer") == 0) {
        if (a == NULL || a->bearer == NULL) {
            verrs_add(e, n, "'auth': bearer needs access.bearer (a key "
                            "source, issuer, audience, scope)");
            return -1;
        }
        *auth |= VAUTH_BEARER;
        return 0;
    }
    verrs_add(e, n, "'auth': expected open, allow_list or bearer, got "
                    "\"%s\"",
              n->str);
    return -1;
}

int vauth_read(vnode_t *node, const vaccess_t *a, unsigned *auth, verrs_t *e)
{
    int rc = 0;

    *auth = VAUTH_OPEN;
    if (node == NULL || node->null)
        return 0;
    if (node->kind != VNODE_SEQ)
        return auth_word(node, a, auth, e);
    for (size_t i = 0; i < node->n; i++)
        rc |= auth_word(node->items[i], a, auth, e);
    return rc;
}

static int parse_ip(const char *s, size_t len, struct sockaddr_storage *out)
{
    char buf[64];

    while (len > 0 && (*s == ' ' || *s == '\t')) {
        s++;
        len--;
    }
    while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\t'))
        len--;
    if (len == 0 || len >= sizeof(buf))
        return -1;
    memcpy(buf, s, len);
    buf[len] = '\0';
    memset(out, 0, sizeof(*out));
    if (inet_pton(AF_INET, buf, &((struct sockaddr_in *)out)->sin_addr) == 1) {
        out->ss_family = AF_INET;
        return 0;
    }
    if (inet_pton(AF_INET6, buf, &((struct sockaddr_in6 *)out)->sin6_addr) ==
        1) {
        out->ss_family = AF_INET6;
        return 0;
    }
    return -1;
}

void vaccess_client(const vaccess_t *a, const struct sockaddr *peer,
                    const char *xff, struct sockaddr_storage *out)
{
    size_t len = peer == NULL                 ? 0
                 : peer->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6)
                                               : sizeof(struct sockaddr_in);

    memset(out, 0, sizeof(*out));
    if (peer != NULL)
        memcpy(out, peer, len);
    if (a == NULL || a->trusted == NULL || xff == NULL || peer == NULL ||
        !vallow_match(a->trusted, peer))
        return;
    /* Walk from the right: each hop appended the address it saw; the first
     * one we do not trust is the client. */
    for (size_t end = strlen(xff); end > 0;) {
        size_t start = end;
        struct sockaddr_storage hop;

        while (start > 0 && xff[start - 1] != ',')
            start--;
        if (parse_ip(xff + start, end - start, &hop) != 0)
            return; /* garbage: keep the last address we could trust */
        *out = hop;
        if (!vallow_match(a->trusted, (struct sockaddr *)&hop))
            return;
        end = start > 0 ? start - 1 : 0;
    }
}

/* Seed 003's pattern: 8-4-4-4-12 hex digits. */
static int is_uuid(const char *s)
{
    static const char shape[] = "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx";

    if (strlen(s) != sizeof(shape) - 1)
        return 0;
    for (size_t i = 0; shape[i] != '\0'; i++)
        if (shape[i] == '-' ? s[i] != '-' : !isxdigit((unsigned char)s[i]))
            return 0;
    return 1;
}

static int bearer_check(const vaccess_t *a, unsigned auth,
                        const char *authorization, int64_t real_s,
                        vdecision_t *d)
{
    vbearer_result_t res;
    int rc;

    if (a->bearer == NULL)
        return 0;
    if (authorization == NULL && !(auth & VAUTH_BEARER))
        return 0;
    rc = vbearer_verify(a->bearer, authorization, real_s, &res);
    if (rc == VBEARER_OK)
        return 1;
    if (!(auth & VAUTH_BEARER))
        return 0; /* an open endpoint: just no details */
    if (rc == VBEARER_INSUFFICIENT_SCOPE) {
        d->status = 403;
        d->why = "The token does not grant the required scope";
        d->authenticate = "Bearer error=\"insufficient_scope\"";
    } else {
        /* The category only: which check failed would help an attacker. */
        d->status = 401;
        d->why = "Authorization credentials are missing or invalid";
        d->authenticate = "Bearer error=\"invalid_token\"";
    }
    return 0;
}

void vaccess_decide(const vaccess_t *a, unsigned auth, int protected,
                    const struct sockaddr *client, const char *authorization,
                    const char *client_id, int64_t mono_ns, int64_t real_s,
                    vdecision_t *d)
{
    vdetails_t details = a ? a->details : VDETAILS_DEFAULT;
    int authorized;

    memset(d, 0, sizeof(*d));
    if (a == NULL) {
        d->details = 1;
        return;
    }
    if (a->rate != NULL &&
        !vratelimit_take(a->rate, client, mono_ns, &d->retry_after)) {
        d->status = 429;
        d->why = "User has sent too many requests";
        return;
    }
    if (a->client_id_header != NULL &&
        (client_id == NULL || !is_uuid(client_id))) {
        d->status = 400;
        snprintf(d->msg, sizeof(d->msg), "%s header %.64s: expected a UUID",
                 client_id == NULL ? "Missing" : "Invalid",
                 a->client_id_header);
        d->why = d->msg;
        return;
    }
    if ((auth & VAUTH_ALLOW_LIST) && !vallow_match(a->allow, client)) {
        d->status = 403;
        d->why = "The client address is not on the health allow list";
        return;
    }
    authorized = bearer_check(a, auth, authorization, real_s, d);
    if (d->status != 0)
        return;
    if (details == VDETAILS_DEFAULT)
        details = protected ? VDETAILS_WHEN_AUTHORIZED : VDETAILS_ALWAYS;
    d->details = details == VDETAILS_ALWAYS ||
                 (details == VDETAILS_WHEN_AUTHORIZED && authorized);
}
