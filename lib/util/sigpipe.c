/* sigpipe.c - the SIGPIPE guard of sigpipe.h. */
#include "util/sigpipe.h"

#include <errno.h>
#include <pthread.h>
#include <time.h>

void vsigpipe_block(vsigpipe_t *g)
{
    sigset_t set, pending;

    sigemptyset(&set);
    sigaddset(&set, SIGPIPE);
    g->ok = pthread_sigmask(SIG_BLOCK, &set, &g->old) == 0;
    g->was_pending = g->ok && sigpending(&pending) == 0 &&
                     sigismember(&pending, SIGPIPE) == 1;
}

void vsigpipe_restore(const vsigpipe_t *g)
{
    static const struct timespec zero = {0, 0};
    sigset_t set, pending;

    if (!g->ok)
        return;
    sigemptyset(&set);
    sigaddset(&set, SIGPIPE);
    if (!g->was_pending && sigpending(&pending) == 0 &&
        sigismember(&pending, SIGPIPE) == 1) {
        while (sigtimedwait(&set, NULL, &zero) < 0 && errno == EINTR)
            ;
    }
    pthread_sigmask(SIG_SETMASK, &g->old, NULL);
}
