/* mhd_static.c - the floor under vitalsd's serving figures: libmicrohttpd
 * answering every request with one prebuilt response, with the daemon
 * flags and options that lib/http/server.c uses (one internal polling
 * thread, epoll, ITC; 10 s connection timeout; 1024 connections) and the
 * response queued on the second call of the handler, as libmicrohttpd's
 * examples do (queueing on the first call drops keep-alive).
 *
 *   mhd_static PORT BODY_FILE CONTENT_TYPE [MEMORY_LIMIT_BYTES]
 *
 * Serves BODY_FILE with Cache-Control and ETag headers (as vitalsd does)
 * on 127.0.0.1:PORT until SIGTERM or SIGINT. MEMORY_LIMIT_BYTES sets
 * MHD_OPTION_CONNECTION_MEMORY_LIMIT (default: libmicrohttpd's, 32 KiB).
 */
#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct MHD_Response *response;

static enum MHD_Result handle(void *cls, struct MHD_Connection *conn,
                              const char *url, const char *method,
                              const char *version, const char *upload,
                              size_t *upload_size, void **con_cls)
{
    static int started;

    (void)cls;
    (void)url;
    (void)method;
    (void)version;
    (void)upload;
    if (*con_cls == NULL) {
        *con_cls = &started;
        return MHD_YES;
    }
    *upload_size = 0;
    return MHD_queue_response(conn, MHD_HTTP_OK, response);
}

int main(int argc, char **argv)
{
    struct sockaddr_in sa = {0};
    struct MHD_Daemon *d;
    sigset_t set;
    FILE *f;
    char *body;
    long len;
    int sig;
    size_t limit = argc > 4 ? (size_t)strtoul(argv[4], NULL, 10) : 0;

    if (argc < 4) {
        fprintf(stderr, "usage: mhd_static PORT BODY_FILE CONTENT_TYPE "
                        "[MEMORY_LIMIT_BYTES]\n");
        return 2;
    }
    if ((f = fopen(argv[2], "rb")) == NULL || fseek(f, 0, SEEK_END) != 0 ||
        (len = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0 ||
        (body = malloc((size_t)len + 1)) == NULL ||
        fread(body, 1, (size_t)len, f) != (size_t)len) {
        perror(argv[2]);
        return 1;
    }
    fclose(f);
    response = MHD_create_response_from_buffer((size_t)len, body,
                                               MHD_RESPMEM_PERSISTENT);
    MHD_add_response_header(response, MHD_HTTP_HEADER_CONTENT_TYPE, argv[3]);
    MHD_add_response_header(response, MHD_HTTP_HEADER_ETAG,
                            "\"18ea2ac9f0dea8db-4\"");
    MHD_add_response_header(response, MHD_HTTP_HEADER_CACHE_CONTROL,
                            "no-store");

    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);

    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)atoi(argv[1]));
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    d = MHD_start_daemon(
        MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ITC, 0,
        NULL, NULL, handle, NULL, MHD_OPTION_SOCK_ADDR, &sa,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)10,
        MHD_OPTION_CONNECTION_LIMIT, (unsigned)1024,
        limit ? MHD_OPTION_CONNECTION_MEMORY_LIMIT : MHD_OPTION_END, limit,
        MHD_OPTION_END);
    if (d == NULL) {
        fprintf(stderr, "mhd_static: cannot listen on port %s\n", argv[1]);
        return 1;
    }
    sigwait(&set, &sig);
    MHD_stop_daemon(d);
    MHD_destroy_response(response);
    free(body);
    return 0;
}
