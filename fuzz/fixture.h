/* fixture.h - what several fuzz targets share: an instance with a handful
 * of checks, each run once, so that its snapshot has something in every
 * field a format renders (errors, data, observed values, tags, a push
 * check). */
#ifndef VITALS_FUZZ_FIXTURE_H
#define VITALS_FUZZ_FIXTURE_H

#include "instance.h"

/* A new instance whose checks ran once and whose snapshot is published.
 * Aborts when it cannot be made: a fuzz target without its fixture would
 * only report nonsense. */
vitals_t *vfuzz_instance(void);

/* Writes len bytes to a new anonymous file (memfd) and returns its path,
 * "/proc/self/fd/N", in buf; the descriptor in *fd (close it after use).
 * Aborts on failure. */
void vfuzz_memfile(const void *data, size_t len, char *buf, size_t buflen,
                   int *fd);

#endif
