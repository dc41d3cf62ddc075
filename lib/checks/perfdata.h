/* perfdata.h - Nagios plugin output: the status line and the performance
 * data items, parsed into JSON (kept apart from exec.c so that it can be
 * unit-tested and fuzzed on its own).
 *
 * The plugin guidelines define the output as
 *
 *     TEXT OUTPUT | OPTIONAL PERFDATA
 *     LONG TEXT LINE 1
 *     LONG TEXT LINE 2 | PERFDATA LINE 2
 *     PERFDATA LINE 3
 *
 * and each performance data item as
 *
 *     'label'=value[UOM];[warn];[crit];[min];[max]
 *
 * where quotes are needed only around labels with spaces and '' inside them
 * is a literal quote. Both functions take untrusted bytes (any length, NULs
 * included) and do work linear in their input.
 */
#ifndef VITALS_PERFDATA_H
#define VITALS_PERFDATA_H

#include <jansson.h>
#include <stddef.h>

/* More items than this are ignored: a runaway plugin must not make the
 * data object of a check arbitrarily large. */
#define VPERFDATA_MAX_ITEMS 256
/* Longest label kept, in bytes (after unquoting). */
#define VPERFDATA_MAX_LABEL 256
/* Longest unit of measurement kept, in bytes. */
#define VPERFDATA_MAX_UNIT 16

/* Splits len bytes of plugin output (need not be NUL-terminated).
 * *summary (new, free()) receives the first line up to its first '|',
 * trimmed, as valid UTF-8 without control characters ("" when none).
 * *perf (new, free()) receives the performance data text: what follows the
 * first line's '|', and, after a newline, everything after the first '|' of
 * the long text ("" when neither has any). Returns 0, or -1 when out of
 * memory or an argument is NULL (nothing to free then). */
int vperfdata_split(const char *output, size_t len, char **summary,
                    char **perf);

/* Parses len bytes of performance data text into out (a JSON object,
 * borrowed): one member per item, in input order,
 *
 *     "label": {"value": 0.39, "unit": "s", "warn": "5", "crit": "10",
 *               "min": 0, "max": 100}
 *
 * with only the fields that are present. value, min and max are numbers
 * (integers when written without a fraction or exponent); a value of "U"
 * (unknown) is null. warn and crit are range strings ("10", "10:", "~:10",
 * "@10:20"), kept as written. Malformed items are skipped; when a label
 * repeats, the first item wins; at most VPERFDATA_MAX_ITEMS items are added.
 * Returns the number of items added, or -1 when out is not an object, text
 * is NULL with len > 0, or memory ran out (out may then hold some items). */
int vperfdata_parse(const char *text, size_t len, json_t *out);

#endif
