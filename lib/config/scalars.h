/* scalars.h - the syntax of configuration scalars (integers, reals,
 * booleans, durations, sizes), shared by the getters and the tree's dump.
 * Internal to lib/config; the public parsers are in vnode.h. */
#ifndef VITALS_CONFIG_SCALARS_H
#define VITALS_CONFIG_SCALARS_H

#include <stdint.h>

/* What a parser found. */
enum { NUM_OK = 0, NUM_SYNTAX = -1, NUM_RANGE = -2, NUM_NEGATIVE = -3 };

/* 1 when s reads as a YAML 1.2 core boolean (true/false, any case). */
int vscalar_is_bool(const char *s, int *out);
/* 1 when s reads as a number: [-+]?(digits[.digits?] | .digits)(e..)? */
int vscalar_is_real(const char *s);
/* [-+]?[0-9]+ into *out. NUM_OK, NUM_SYNTAX or NUM_RANGE. */
int vscalar_int(const char *s, int64_t *out);
/* A finite real into *out. NUM_OK, NUM_SYNTAX or NUM_RANGE. */
int vscalar_real(const char *s, double *out);
/* "1500ms", "30s", "1m30s", "1h15m", "0". Any NUM_*. */
int vscalar_duration(const char *s, int64_t *out_ms);
/* "512MB", "1.5GiB", "1024". Any NUM_*. */
int vscalar_size(const char *s, uint64_t *out_bytes);

#endif
