/* connect.c - the deadline-bound TCP connect of connect.h. */
#include "util/connect.h"

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdint.h>
#include <sys/socket.h>
#include <unistd.h>

vconnect_status_t vconnect_wait(int fd, short events,
                                const vitals_result_t *r, int *err)
{
    struct pollfd p = {.fd = fd, .events = events};
    int64_t rem;
    int n;

    for (;;) {
        rem = vitals_result_remaining_ms(r);
        if (rem <= 0)
            return VCONNECT_TIMEOUT;
        n = poll(&p, 1, rem > INT_MAX ? INT_MAX : (int)rem);
        if (n > 0)
            return VCONNECT_OK;
        if (n < 0 && errno != EINTR) {
            *err = errno;
            return VCONNECT_FAILED;
        }
    }
}

/* Waits for the connect in progress on s to end, and takes its result. */
static vconnect_status_t finish(int s, const vitals_result_t *r, int *err)
{
    socklen_t slen = sizeof(*err);
    vconnect_status_t rc = vconnect_wait(s, POLLOUT, r, err);

    if (rc != VCONNECT_OK)
        return rc;
    if (getsockopt(s, SOL_SOCKET, SO_ERROR, err, &slen) != 0) {
        *err = errno;
        return VCONNECT_FAILED;
    }
    return *err != 0 ? VCONNECT_FAILED : VCONNECT_OK;
}

vconnect_status_t vconnect(const struct addrinfo *ai,
                           const vitals_result_t *r, int *fd, int *err)
{
    vconnect_status_t rc;
    int s;

    s = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
               ai->ai_protocol);
    if (s < 0) {
        *err = errno;
        return VCONNECT_FAILED;
    }
    if (connect(s, ai->ai_addr, ai->ai_addrlen) == 0) {
        rc = VCONNECT_OK;
    } else if (errno == EINPROGRESS || errno == EINTR) {
        /* An interrupted connect goes on in the background (POSIX), so
         * EINTR is waited for like EINPROGRESS. */
        rc = finish(s, r, err);
    } else {
        *err = errno;
        rc = VCONNECT_FAILED;
    }
    if (rc == VCONNECT_OK)
        *fd = s;
    else
        close(s);
    return rc;
}
