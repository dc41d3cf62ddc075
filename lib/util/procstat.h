/* procstat.h - this process's own figures (CPU time, memory, file
 * descriptors, start time) as Prometheus' standard process_* metrics name
 * them, read from /proc/self, getrusage and getrlimit (Linux). */
#ifndef VITALS_PROCSTAT_H
#define VITALS_PROCSTAT_H

/* Each figure is -1 when it could not be read. */
typedef struct vprocstat {
    double cpu_seconds;        /* user and system CPU time */
    double resident_bytes;     /* resident set size */
    double virtual_bytes;      /* virtual memory size */
    double start_time_seconds; /* since the Unix epoch */
    double open_fds;           /* entries in /proc/self/fd */
    double max_fds;            /* the soft RLIMIT_NOFILE; -1 if unlimited */
} vprocstat_t;

/* Fills p from the running process. Costs a few system calls (two small
 * /proc reads, one directory listing); the boot time behind the start
 * time is read once per process. Thread-safe. */
void vprocstat_read(vprocstat_t *p);

/* Parses the text of /proc/<pid>/stat: the start time in clock ticks
 * after boot, the virtual size in bytes and the resident set in pages.
 * 0, or -1 when the text is not one. (For the unit tests.) */
int vprocstat_parse_stat(const char *text, double *start_ticks,
                         double *vsize, double *rss_pages);

#endif
