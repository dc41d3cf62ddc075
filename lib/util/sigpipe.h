/* sigpipe.h - keeps SIGPIPE from ending the process while a library that
 * writes to sockets with write(2) (OpenSSL, hiredis) runs in this thread.
 *
 * A peer that has reset the connection raises SIGPIPE on the next write,
 * whose default action ends the process, and libvitals installs no signal
 * handlers. So SIGPIPE is blocked in the calling thread for the exchange,
 * and one raised meanwhile is taken before the mask is restored (as libpq
 * does). */
#ifndef VITALS_SIGPIPE_H
#define VITALS_SIGPIPE_H

#include <signal.h>

typedef struct vsigpipe {
    sigset_t old;
    int was_pending;
    int ok;
} vsigpipe_t;

/* Blocks SIGPIPE in this thread; g remembers how to undo it. */
void vsigpipe_block(vsigpipe_t *g);
/* Drops a SIGPIPE raised since vsigpipe_block (not one pending before) and
 * restores the thread's mask. */
void vsigpipe_restore(const vsigpipe_t *g);

#endif
