/* listeners.c - the addresses a server listens on: the configured list,
 * and binding a socket for one. */
#include <arpa/inet.h>
#include <errno.h>
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

