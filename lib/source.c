/* source.c - the engine as the listeners see it (vsource_t): the current
 * snapshot, its generation, the log, push reports and publication, and
 * nothing else of the engine or the instance (the instance adds the
 * history's read side). */
#include "instance.h"

static vitals_snapshot_t *source_snapshot(void *ctx)
{
    return vengine_snapshot(ctx);
}

static uint64_t source_generation(void *ctx)
{
    return vengine_generation(ctx);
}

static void source_log(void *ctx, vitals_log_level_t level, const char *msg)
{
    vengine_log(ctx, level, "%s", msg);
}

static int source_push(void *ctx, const char *name, vitals_status_t status,
                       const char *output)
{
    return vengine_push(ctx, name, status, output);
}

static int source_subscribe(void *ctx,
                            void (*fn)(vitals_snapshot_t *s, void *data),
                            void *data)
{
    return vengine_subscribe(ctx, fn, data);
}

static void source_unsubscribe(void *ctx,
                               void (*fn)(vitals_snapshot_t *s, void *data),
                               void *data)
{
    vengine_unsubscribe(ctx, fn, data);
}

vsource_t vinstance_source(vengine_t *e)
{
    vsource_t src = {.snapshot = source_snapshot,
                     .generation = source_generation,
                     .log = source_log,
                     .act = {source_push, e},
                     .ctx = e,
                     .subscribe = source_subscribe,
                     .unsubscribe = source_unsubscribe};

    return src;
}
