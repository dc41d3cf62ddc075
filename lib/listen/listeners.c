/* listeners.c - the addresses a server listens on: the configured list,
 * binding a socket for one, and matching a socket handed over (socket
 * activation) to one. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "listen/kind.h"
#include "util/addr.h"

static void free_conf(const vlistener_kind_t *kind, void *conf)
{
    if (kind != NULL && conf != NULL)
        vset_free(kind->settings, conf);
    free(conf);
}

static void listen_clear(vlisten_t *l)
{
    free(l->address);
    free(l->cert_pem);
    free(l->key_pem);
    free_conf(l->kind, l->conf);
    free(l->fingerprint);
    free(l->name);
    if (l->fd >= 0)
        close(l->fd);
}

int vlisten_add_kind(vlisten_t **a, size_t *n, const char *address,
                     const char *cert_pem, const char *key_pem,
                     const vlistener_kind_t *kind, void *conf,
                     const char *fingerprint)
{
    vlisten_t *grown = realloc(*a, (*n + 1) * sizeof(**a)), *l;

    if (grown == NULL) {
        free_conf(kind, conf);
        return VITALS_ENOMEM;
    }
    *a = grown;
    l = &grown[*n];
    memset(l, 0, sizeof(*l));
    l->kind = kind;
    l->conf = conf;
    l->fd = -1;
    l->address = strdup(address);
    l->cert_pem = cert_pem ? strdup(cert_pem) : NULL;
    l->key_pem = key_pem ? strdup(key_pem) : NULL;
    l->fingerprint = fingerprint ? strdup(fingerprint) : NULL;
    if (l->address == NULL || (cert_pem && !l->cert_pem) ||
        (key_pem && !l->key_pem) || (fingerprint && !l->fingerprint)) {
        listen_clear(l);
        return VITALS_ENOMEM;
    }
    (*n)++;
    return VITALS_OK;
}

int vlisten_add(vlisten_t **a, size_t *n, const char *address,
                const char *cert_pem, const char *key_pem)
{
    return vlisten_add_kind(a, n, address, cert_pem, key_pem, NULL, NULL,
                            NULL);
}

int vlisten_append(vlisten_t **a, size_t *n, vlisten_t *l)
{
    vlisten_t *grown = realloc(*a, (*n + 1) * sizeof(**a));

    if (grown == NULL)
        return VITALS_ENOMEM;
    *a = grown;
    grown[(*n)++] = *l;
    free(l);
    return VITALS_OK;
}

void vlisten_free(vlisten_t *a, size_t n)
{
    for (size_t i = 0; a != NULL && i < n; i++)
        listen_clear(&a[i]);
    free(a);
}

int vlisten_bind(const char *addr, const char **why)
{
    struct addrinfo hints = {0}, *res = NULL;
    char *host = NULL, port_s[8];
    int port, fd = -1, one = 1, rc;

    *why = "expected host:port or [v6]:port";
    if (vaddr_parse(addr, VADDR_LISTEN, &host, &port) != 0)
        return -1;
    snprintf(port_s, sizeof(port_s), "%d", port);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE;
    rc = getaddrinfo(host, port_s, &hints, &res);
    free(host);
    if (rc != 0) {
        *why = gai_strerror(rc);
        return -1;
    }
    fd = socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        goto sys_fail;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (res->ai_family == AF_INET6)
        setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
    if (bind(fd, res->ai_addr, res->ai_addrlen) != 0 || listen(fd, 1024) != 0)
        goto sys_fail;
    freeaddrinfo(res);
    return fd;
sys_fail:
    *why = strerror(errno);
    if (fd >= 0)
        close(fd);
    freeaddrinfo(res);
    return -1;
}

int vlisten_socket(const vlisten_t *l, const char **why)
{
    int fd;

    if (l->fd < 0)
        return vlisten_bind(l->address, why);
    if ((fd = fcntl(l->fd, F_DUPFD_CLOEXEC, 3)) < 0)
        *why = strerror(errno);
    return fd;
}

int vlisten_port(int fd)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof(ss);

    if (getsockname(fd, (struct sockaddr *)&ss, &len) != 0)
        return -1;
    if (ss.ss_family == AF_INET6)
        return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
    return ntohs(((struct sockaddr_in *)&ss)->sin_port);
}


int vlisten_set_name(vlisten_t *l, const char *name)
{
    size_t len = strlen(name);
    char *copy;

    if (len == 0 || len > 255)
        return VITALS_EINVAL;
    for (size_t i = 0; i < len; i++)
        if (name[i] <= ' ' || name[i] > '~' || name[i] == ':')
            return VITALS_EINVAL;
    if ((copy = strdup(name)) == NULL)
        return VITALS_ENOMEM;
    free(l->name);
    l->name = copy;
    return VITALS_OK;
}

/* 1 when a and b are the same address and port. */
static int same_address(const struct sockaddr *a, const struct sockaddr *b)
{
    if (a->sa_family != b->sa_family)
        return 0;
    if (a->sa_family == AF_INET) {
        const struct sockaddr_in *x = (const void *)a, *y = (const void *)b;

        return x->sin_port == y->sin_port &&
               x->sin_addr.s_addr == y->sin_addr.s_addr;
    }
    if (a->sa_family == AF_INET6) {
        const struct sockaddr_in6 *x = (const void *)a, *y = (const void *)b;

        return x->sin6_port == y->sin6_port &&
               memcmp(&x->sin6_addr, &y->sin6_addr, sizeof(x->sin6_addr)) == 0;
    }
    return 0;
}

/* 1 when the listen address addr resolves to bound. */
static int resolves_to(const char *addr, const struct sockaddr *bound)
{
    struct addrinfo hints = {0}, *res = NULL;
    char *host = NULL, port_s[8];
    int port, found = 0;

    if (vaddr_parse(addr, VADDR_LISTEN, &host, &port) != 0)
        return 0;
    snprintf(port_s, sizeof(port_s), "%d", port);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    if (getaddrinfo(host, port_s, &hints, &res) == 0)
        for (struct addrinfo *r = res; r != NULL && !found; r = r->ai_next)
            found = same_address(r->ai_addr, bound);
    freeaddrinfo(res);
    free(host);
    return found;
}

long vlisten_match(const vlisten_t *a, size_t n, int fd, const char *name)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof(ss);

    for (size_t i = 0; name != NULL && i < n; i++)
        if (a[i].fd < 0 && a[i].name != NULL && strcmp(a[i].name, name) == 0)
            return (long)i;
    if (getsockname(fd, (struct sockaddr *)&ss, &len) != 0)
        return -1;
    for (size_t i = 0; i < n; i++)
        if (a[i].fd < 0 && resolves_to(a[i].address, (struct sockaddr *)&ss))
            return (long)i;
    return -1;
}
