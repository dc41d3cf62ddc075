/* access.c - the `access:` settings and the access decision per request. */
#include "access/access.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "access/bearer.h"
#include "access/ratelimit.h"
#include "config/settings.h"

/* The allow list in force: MOSPARO_HEALTH_ALLOW_LIST as mosparo reads it,
 * else the configuration's, else mosparo's default. */
static int parse_allow_list(vnode_t *node, void *field, verrs_t *e)
{
    const char *text = getenv("MOSPARO_HEALTH_ALLOW_LIST"), *configured;
    const vnode_t *where = node;
    char *err = NULL;

    if (vnode_as_str(node, "health_allow_list", &configured, e) != 0)
        return -1;
    if (text == NULL)
        text = configured;
    else
        where = NULL; /* the environment's: no position in the file */
    if ((*(vallow_t **)field = vallow_parse(text, &err)) == NULL) {
        verrs_add(e, where, "%s: %s",
                  where ? "'health_allow_list'" : "MOSPARO_HEALTH_ALLOW_LIST",
                  err ? err : "out of memory");
        free(err);
        return -1;
    }
    return 0;
}

static int parse_details(vnode_t *node, void *field, verrs_t *e)
{
    static const char *const names[] = {"never", "when-authorized",
                                        "always"};
    const char *s;

    if (vnode_as_str(node, "details", &s, e) != 0)
        return -1;
    for (int i = 0; i < 3; i++) {
        if (strcmp(s, names[i]) == 0) {
            *(vdetails_t *)field = (vdetails_t)(VDETAILS_NEVER + i);
            return 0;
        }
    }
    verrs_add(e, node,
              "'details': expected never, when-authorized or always, got "
              "\"%s\"",
              s);
    return -1;
}

/* The entries as one comma-separated text, the allow list's syntax. */
static char *join_list(char **list)
{
    size_t len = 1;
    char *joined;

    for (char **p = list; *p != NULL; p++)
        len += strlen(*p) + 1;
    if ((joined = calloc(1, len)) == NULL)
        return NULL;
    for (char **p = list; *p != NULL; p++) {
        strcat(joined, *p);
        strcat(joined, ",");
    }
    return joined;
}

static int parse_trusted(vnode_t *node, void *field, verrs_t *e)
{
    vallow_t **trusted = field;
    char **list = NULL, *joined, *err = NULL;
    int rc = 0;

    if (vnode_as_strlist(node, "trusted_proxies", &list, NULL, e) != 0)
        return -1;
    joined = join_list(list);
    *trusted = joined != NULL ? vallow_parse(joined, &err) : NULL;
    if (*trusted == NULL) {
        verrs_add(e, node, "'trusted_proxies': %s",
                  err ? err : "out of memory");
        rc = -1;
    } else if (vallow_is_empty(*trusted)) {
        vallow_free(*trusted); /* no entries: trust no one */
        *trusted = NULL;
    }
    free(err);
    free(joined);
    vnode_strv_free(list);
    return rc;
}

static int parse_bearer(vnode_t *node, void *field, verrs_t *e)
{
    if (node->kind != VNODE_MAP) {
        verrs_add(e, node, "'bearer': expected a map of keys");
        return -1;
    }
    if ((*(struct vbearer **)field = vbearer_configure(node, e)) == NULL)
        return -1;
    vnode_map_done(node, "access.bearer", e);
    return 0;
}

static int parse_rate_limit(vnode_t *node, void *field, verrs_t *e)
{
    if ((*(struct vratelimit **)field = vratelimit_configure(node, e)) ==
        NULL)
        return -1;
    vnode_map_done(node, "access.rate_limit", e);
    return 0;
}

static void free_allow(void *field)
{
    vallow_free(*(vallow_t **)field);
}

static void free_bearer(void *field)
{
    vbearer_free(*(struct vbearer **)field);
}

static void free_rate_limit(void *field)
{
    vratelimit_free(*(struct vratelimit **)field);
}

/* health_allow_list's default is mosparo's own (.env): only the host. */
static const vsetting_t access_settings[] = {
    {.key = "health_allow_list", .kind = VSET_CUSTOM,
     .offset = offsetof(vaccess_t, allow), .def = "127.0.0.1,::1",
     .parse = parse_allow_list, .free = free_allow},
    {.key = "details", .kind = VSET_CUSTOM,
     .offset = offsetof(vaccess_t, details), .parse = parse_details},
    {.key = "trusted_proxies", .kind = VSET_CUSTOM,
     .offset = offsetof(vaccess_t, trusted), .parse = parse_trusted,
     .free = free_allow},
    {.key = "client_id_header", .kind = VSET_STR,
     .offset = offsetof(vaccess_t, client_id_header)},
    {.key = "bearer", .kind = VSET_CUSTOM,
     .offset = offsetof(vaccess_t, bearer), .parse = parse_bearer,
     .free = free_bearer},
    {.key = "rate_limit", .kind = VSET_CUSTOM,
     .offset = offsetof(vaccess_t, rate), .parse = parse_rate_limit,
     .free = free_rate_limit},
    {0}};

void vaccess_free(vaccess_t *a)
{
    if (a == NULL)
        return;
    vset_free(access_settings, a);
    free(a);
}

vaccess_t *vaccess_configure(vnode_t *map, verrs_t *e)
{
    vaccess_t *a = calloc(1, sizeof(*a));

    if (a == NULL)
        return NULL;
    if (vset_read(access_settings, map, a, "access", e) != 0) {
        vaccess_free(a);
        return NULL;
    }
    a->allow_is_empty = vallow_is_empty(a->allow);
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
