/* fixture.c - the instance and the files the fuzz targets share. */
#include "fixture.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "snapshot.h"

static void ok(vitals_result_t *r, void *d)
{
    (void)d;
    vitals_result_observe(r, "latency", 0.25, "s");
}

/* Text that every format must escape or repair: quotes, markup, a control
 * character, UTF-8, and a byte that is not UTF-8. */
static void full(vitals_result_t *r, void *d)
{
    (void)d;
    vitals_result_set_error(r, "disk \"full\" <b>&</b>\t\xc3\xa9 \xff");
    vitals_result_set_int(r, "freeMegabytes", 0);
    vitals_result_set_double(r, "ratio", 0.999);
    vitals_result_set_string(r, "mount", "/var");
    vitals_result_set_bool(r, "readOnly", 1);
    vitals_result_set_json(r, "inodes", "{\"free\": 0, \"list\": [1, 2]}");
}

static void slow(vitals_result_t *r, void *d)
{
    vitals_result_t *child;

    (void)d;
    vitals_result_set_status(r, VITALS_DEGRADED);
    vitals_result_set_description(r, "replica lag %d s", 42);
    if ((child = vitals_result_child(r, "replica")) != NULL)
        vitals_result_set_error(child, "behind");
}

static void add(vitals_t *v, const char *name, vitals_check_fn fn,
                const char *tag1, const char *tag2, int critical)
{
    const char *tags[2] = {tag1, tag2};
    vitals_check_opts_t o;

    vitals_check_opts_init(&o);
    o.tags = tags;
    o.ntags = tag2 ? 2 : tag1 ? 1 : 0;
    o.critical = critical;
    if (vitals_add_check(v, name, &o, fn, NULL, NULL) != VITALS_OK)
        abort();
}

vitals_t *vfuzz_instance(void)
{
    vitals_t *v = vitals_new();
    vitals_check_opts_t o;
    const char *tags[] = {"ready"};
    int64_t now;
    vrun_t *run;

    if (v == NULL)
        abort();
    vitals_set_service(v, "orders-api", "Orders \"API\"", "1", "1.4.2");
    add(v, "db", ok, "ready", NULL, 1);
    add(v, "heartbeat", ok, "live", NULL, 1);
    add(v, "app", ok, "application", NULL, 1);
    add(v, "disk", full, "storage", NULL, 0);
    add(v, "cache", slow, "ready", "storage", 1);
    add(v, "net", ok, NULL, NULL, 1);
    vitals_check_opts_init(&o);
    o.tags = tags;
    o.ntags = 1;
    if (vitals_add_builtin(v, "pushed", &o, "push", "{\"ttl\": \"1h\"}",
                           NULL) != VITALS_OK)
        abort();
    pthread_mutex_lock(&vitals_engine(v)->lock);
    now = vclock_mono(vitals_engine(v)->clock);
    run = vengine_due(vitals_engine(v), now);
    while (run != NULL) {
        vrun_t *next = run->next;

        vengine_execute(run);
        vengine_finish(vitals_engine(v), run, now);
        run = next;
    }
    vengine_publish(vitals_engine(v), now);
    pthread_mutex_unlock(&vitals_engine(v)->lock);
    return v;
}

void vfuzz_memfile(const void *data, size_t len, char *buf, size_t buflen,
                   int *fd)
{
    const char *p = data;

    if ((*fd = memfd_create("vitals-fuzz", MFD_CLOEXEC)) < 0)
        abort();
    while (len > 0) {
        ssize_t n = write(*fd, p, len);

        if (n <= 0)
            abort();
        p += n;
        len -= (size_t)n;
    }
    snprintf(buf, buflen, "/proc/self/fd/%d", *fd);
}
