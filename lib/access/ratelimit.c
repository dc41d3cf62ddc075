/* ratelimit.c - the per-client token bucket behind access.rate_limit (see
 * ratelimit.h for what a client is and how the table stays bounded).
 *
 * Each client's bucket is GCRA's single number: tat, the "theoretical
 * arrival time" at which its bucket would be full again. With T the
 * interval between tokens (1 s / per_second) and tau = (burst - 1) * T, a
 * request at now is allowed when max(tat, now) - now <= tau, and then
 * moves tat on by T. That is exactly a bucket of burst tokens refilled at
 * per_second, in integer nanoseconds.
 */
#include "access/ratelimit.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "config/settings.h"

#define WAYS 8 /* slots per hash set */
#define NS_PER_S 1000000000LL

enum { KEY_OTHER = 0, KEY_V4 = 4, KEY_V6 = 6 };

/* A client: its family tag, then an IPv4 address in bytes 1-4, or an IPv6
 * prefix in bytes 1-16 with the bits past VRATELIMIT_V6_PREFIX cleared. */
typedef struct client_key {
    unsigned char b[17];
} client_key_t;

typedef struct slot {
    client_key_t key;
    unsigned char used;
    int64_t tat;  /* when the bucket is full again */
    int64_t seen; /* the last request, for choosing whom to forget */
} slot_t;

struct vratelimit {
    int64_t interval_ns; /* T */
    int64_t tolerance_ns; /* tau */
    uint64_t seed;        /* so that clients cannot pick their hash set */
    size_t sets;          /* a power of two */
    size_t clients;       /* slots in use */
    pthread_mutex_t mu;
    slot_t *slots; /* sets * WAYS */
};

static const unsigned char v4mapped_prefix[12] = {0, 0, 0, 0, 0, 0,
                                                  0, 0, 0, 0, 0xff, 0xff};

/* Copied out rather than cast: client may point into a buffer that is not
 * aligned for sockaddr_in6 (as in allowlist.c). */
static void client_key(const struct sockaddr *sa, client_key_t *k)
{
    memset(k, 0, sizeof(*k));
    if (sa == NULL)
        return;
    if (sa->sa_family == AF_INET) {
        k->b[0] = KEY_V4;
        memcpy(k->b + 1,
               (const char *)sa + offsetof(struct sockaddr_in, sin_addr), 4);
    } else if (sa->sa_family == AF_INET6) {
        unsigned char a[16];

        memcpy(a, (const char *)sa + offsetof(struct sockaddr_in6, sin6_addr),
               16);
        if (memcmp(a, v4mapped_prefix, sizeof(v4mapped_prefix)) == 0) {
            k->b[0] = KEY_V4; /* a dual-stack socket's IPv4 peer */
            memcpy(k->b + 1, a + 12, 4);
            return;
        }
        k->b[0] = KEY_V6;
        for (unsigned i = 0; i < 16; i++) {
            unsigned bits = VRATELIMIT_V6_PREFIX > i * 8
                                ? VRATELIMIT_V6_PREFIX - i * 8
                                : 0;

            k->b[1 + i] = bits >= 8 ? a[i]
                                    : (unsigned char)(a[i] &
                                                      (0xff00u >> bits));
        }
    }
}

/* splitmix64's finaliser: every input bit moves every output bit. */
static uint64_t mix(uint64_t x)
{
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ULL;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebULL;
    x ^= x >> 31;
    return x;
}

static uint64_t hash_key(uint64_t seed, const client_key_t *k)
{
    uint64_t h = seed;

    for (size_t i = 0; i < sizeof(k->b); i += 8) {
        uint64_t w = 0;
        size_t n = sizeof(k->b) - i < 8 ? sizeof(k->b) - i : 8;

        memcpy(&w, k->b + i, n);
        h = mix(h ^ w);
    }
    return h;
}

/* A seed nobody outside can guess, so that clients cannot all aim at one
 * hash set to push others out. Without getrandom, the address of the
 * table and the time still vary between runs. */
static uint64_t make_seed(const void *self)
{
    uint64_t seed = 0;
    struct timespec ts;

    if (getrandom(&seed, sizeof(seed), GRND_NONBLOCK) == (ssize_t)sizeof(seed))
        return seed;
    if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0)
        ts.tv_nsec = ts.tv_sec = 0;
    return mix((uint64_t)(uintptr_t)self ^ (uint64_t)ts.tv_nsec ^
               ((uint64_t)ts.tv_sec << 32));
}

vratelimit_t *vratelimit_new_capacity(double per_second, double burst,
                                      size_t max_clients)
{
    vratelimit_t *rl;
    size_t sets = 1;

    /* Written so that NaN fails every test. */
    if (!(per_second >= VRATELIMIT_MIN_PER_SECOND &&
          per_second <= VRATELIMIT_MAX_PER_SECOND && burst >= 1 &&
          burst <= VRATELIMIT_MAX_BURST) ||
        max_clients > ((size_t)1 << 30)) {
        errno = EINVAL;
        return NULL;
    }
    while (sets * WAYS < max_clients)
        sets *= 2;
    if ((rl = calloc(1, sizeof(*rl))) == NULL)
        return NULL;
    /* T at least 1 ns; tau at most 1e6 * 1e12 ns, far below INT64_MAX. */
    rl->interval_ns = (int64_t)llround((double)NS_PER_S / per_second);
    if (rl->interval_ns < 1)
        rl->interval_ns = 1;
    rl->tolerance_ns = (int64_t)llround((burst - 1) * (double)rl->interval_ns);
    rl->sets = sets;
    rl->seed = make_seed(rl);
    /* calloc: the pages of an idle table are never touched. */
    if ((rl->slots = calloc(sets * WAYS, sizeof(rl->slots[0]))) == NULL) {
        free(rl);
        errno = ENOMEM;
        return NULL;
    }
    if ((errno = pthread_mutex_init(&rl->mu, NULL)) != 0) {
        free(rl->slots);
        free(rl);
        return NULL;
    }
    return rl;
}

vratelimit_t *vratelimit_new(double per_second, double burst)
{
    return vratelimit_new_capacity(per_second, burst,
                                   VRATELIMIT_MAX_CLIENTS);
}

void vratelimit_free(vratelimit_t *rl)
{
    if (rl == NULL)
        return;
    pthread_mutex_destroy(&rl->mu);
    free(rl->slots);
    free(rl);
}

/* The slot for k in its set: its own, a free one, a full bucket's, or the
 * least recently seen client's (see ratelimit.h). */
static slot_t *find_slot(vratelimit_t *rl, const client_key_t *k,
                         int64_t now_ns)
{
    slot_t *set = rl->slots + (hash_key(rl->seed, k) & (rl->sets - 1)) * WAYS;
    slot_t *free_slot = NULL, *full = NULL, *oldest = NULL, *pick;

    for (int i = 0; i < WAYS; i++) {
        slot_t *s = &set[i];

        if (!s->used) {
            if (free_slot == NULL)
                free_slot = s;
            continue;
        }
        if (memcmp(&s->key, k, sizeof(*k)) == 0)
            return s;
        if (full == NULL && s->tat <= now_ns)
            full = s;
        if (oldest == NULL || s->seen < oldest->seen)
            oldest = s;
    }
    if (free_slot != NULL) {
        free_slot->used = 1;
        rl->clients++;
    }
    pick = free_slot != NULL ? free_slot : full != NULL ? full : oldest;
    pick->key = *k;
    pick->tat = now_ns; /* a new client: a full bucket */
    return pick;
}

int vratelimit_take(vratelimit_t *rl, const struct sockaddr *client,
                    int64_t now_ns, int *retry_after_s)
{
    client_key_t k;
    slot_t *s;
    int64_t tat, wait_ns = 0;
    int allowed;

    client_key(client, &k);
    if (pthread_mutex_lock(&rl->mu) != 0)
        abort(); /* a broken mutex is a bug, as in libuv */
    s = find_slot(rl, &k, now_ns);
    s->seen = now_ns;
    tat = s->tat > now_ns ? s->tat : now_ns;
    allowed = tat - now_ns <= rl->tolerance_ns;
    if (allowed)
        s->tat = tat + rl->interval_ns;
    else
        wait_ns = tat - now_ns - rl->tolerance_ns;
    if (pthread_mutex_unlock(&rl->mu) != 0)
        abort();
    if (!allowed && retry_after_s != NULL) {
        /* Whole seconds, rounded up: sooner would be refused again. */
        int64_t secs = (wait_ns + NS_PER_S - 1) / NS_PER_S;

        if (secs < 1)
            secs = 1;
        *retry_after_s = secs > INT_MAX ? INT_MAX : (int)secs;
    }
    return allowed;
}

size_t vratelimit_clients(vratelimit_t *rl)
{
    size_t n;

    if (pthread_mutex_lock(&rl->mu) != 0)
        abort();
    n = rl->clients;
    if (pthread_mutex_unlock(&rl->mu) != 0)
        abort();
    return n;
}

typedef struct rate_conf {
    double per_second; /* 0: not given */
    double burst;      /* 0: not given */
} rate_conf_t;

static int parse_per_second(vnode_t *at, void *field, verrs_t *e)
{
    double *per_second = field;

    if (vnode_as_double(at, "per_second", per_second, e) != 0)
        return -1;
    if (!(*per_second > 0)) {
        verrs_add(e, at, "'per_second': expected a number greater than 0, "
                         "got %s",
                  at->str);
        return -1;
    }
    if (*per_second < VRATELIMIT_MIN_PER_SECOND ||
        *per_second > VRATELIMIT_MAX_PER_SECOND) {
        verrs_add(e, at, "'per_second': expected a number between %g and "
                         "%g, got %s",
                  VRATELIMIT_MIN_PER_SECOND, VRATELIMIT_MAX_PER_SECOND,
                  at->str);
        return -1;
    }
    return 0;
}

static int parse_burst(vnode_t *at, void *field, verrs_t *e)
{
    double *burst = field;

    if (vnode_as_double(at, "burst", burst, e) != 0)
        return -1;
    if (!(*burst >= 1 && *burst <= VRATELIMIT_MAX_BURST)) {
        verrs_add(e, at, "'burst': expected a number between 1 and %g, "
                         "got %s",
                  VRATELIMIT_MAX_BURST, at->str);
        return -1;
    }
    return 0;
}

/* The bounds have fractions (0.001 per second), so the rows parse them. */
static const vsetting_t rate_settings[] = {
    {.key = "per_second", .kind = VSET_CUSTOM,
     .offset = offsetof(rate_conf_t, per_second), .parse = parse_per_second},
    {.key = "burst", .kind = VSET_CUSTOM,
     .offset = offsetof(rate_conf_t, burst), .parse = parse_burst},
    {0}};

vratelimit_t *vratelimit_configure(vnode_t *map, verrs_t *e)
{
    rate_conf_t rc = {0, 0};
    vratelimit_t *rl;

    if (map == NULL || map->kind != VNODE_MAP) {
        verrs_add(e, map, "'rate_limit': expected a map such as "
                          "{per_second: 20, burst: 40}");
        return NULL;
    }
    if (vset_read(rate_settings, map, &rc, "'rate_limit'", e) != 0)
        return NULL;
    if (rc.per_second == 0) {
        verrs_add(e, map, "'rate_limit': needs per_second (requests per "
                          "second per client)");
        return NULL;
    }
    if (rc.burst == 0) /* a second's worth, rounded up */
        rc.burst = fmin(ceil(rc.per_second), VRATELIMIT_MAX_BURST);
    if ((rl = vratelimit_new(rc.per_second, rc.burst)) == NULL)
        verrs_add(e, map, "'rate_limit': %s", strerror(errno));
    return rl;
}
