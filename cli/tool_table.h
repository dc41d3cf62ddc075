/* tool_table.h - the table of checks that status and check print, built
 * from the documents vitals serves: the ASP.NET Core HealthReport (status,
 * members, duration, output) and avalanchego's health API (last run, start
 * of the failure streak). */
#ifndef VITALS_TOOL_TABLE_H
#define VITALS_TOOL_TABLE_H

#include <jansson.h>
#include <stdint.h>
#include <stdio.h>

typedef struct row {
    int status;    /* 0 healthy, 1 degraded, 2 unhealthy */
    char *name;
    int member;    /* 1: a member of the check above it */
    int64_t since_ns;    /* wall clock the failure streak began; 0: none */
    int64_t last_ns;     /* wall clock of the last run's start; 0: none */
    int64_t duration_ns; /* -1: none (members) */
    char *output;  /* the error, else the description; "" when none */
} row_t;

typedef struct table {
    int status;    /* overall */
    int details;   /* 0: the daemon showed only the overall status */
    row_t *rows;
    size_t n;
    size_t count[3]; /* checks (not members) by status */
} table_t;

/* Fills t from a HealthReport and, when not NULL, avalanchego's document
 * of the same snapshot. 0, or -1 when report is not a HealthReport. Free
 * with table_free either way. */
int table_read(table_t *t, json_t *report, json_t *avalanche);
void table_free(table_t *t);

/* "3 checks healthy", or "1 unhealthy (db), 1 degraded (printers),
 * 2 healthy": the overall line's words, into buf. */
void table_summary(const table_t *t, char *buf, size_t len);

/* Prints the header and one line per row. color: ANSI colours on the
 * status words; width: cut lines to it (0: never). */
void table_print(FILE *out, const table_t *t, int color, int width);

/* The status word, coloured when color is set (static). */
const char *table_status_word(int status, int color);

#endif
