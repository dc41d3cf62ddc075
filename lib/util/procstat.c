/* procstat.c - this process's CPU time, memory, descriptors and start
 * time, as client libraries' process collectors read them on Linux. */
#include "util/procstat.h"

#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

/* Fields of /proc/<pid>/stat counted from the state (field 3), which is
 * the first after the command name's closing parenthesis: starttime is
 * field 22, vsize 23, rss 24 (proc(5)). */
#define STARTTIME_AT (22 - 3)

int vprocstat_parse_stat(const char *text, double *start_ticks,
                         double *vsize, double *rss_pages)
{
    /* The command name may hold spaces and parentheses: skip to the last
     * closing one. */
    const char *p = strrchr(text, ')');
    double v[3];

    if (p == NULL)
        return -1;
    p++;
    for (int field = 0; field < STARTTIME_AT + 3; field++) {
        char *end;

        while (*p == ' ')
            p++;
        if (*p == '\0')
            return -1;
        if (field >= STARTTIME_AT) {
            v[field - STARTTIME_AT] = strtod(p, &end);
            if (end == p)
                return -1;
        }
        p += strcspn(p, " ");
    }
    *start_ticks = v[0];
    *vsize = v[1];
    *rss_pages = v[2];
    return 0;
}

static double boot_time = -1;
static pthread_once_t boot_once = PTHREAD_ONCE_INIT;

/* The "btime" line of /proc/stat: boot time, seconds since the epoch. */
static void read_boot_time(void)
{
    FILE *f = fopen("/proc/stat", "re");
    char *line = NULL;
    size_t cap = 0;

    if (f == NULL)
        return;
    while (getline(&line, &cap, f) > 0)
        if (strncmp(line, "btime ", 6) == 0) {
            boot_time = strtod(line + 6, NULL);
            break;
        }
    free(line);
    fclose(f);
}

static int read_text(const char *path, char *buf, size_t len)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    ssize_t n;

    if (fd < 0)
        return -1;
    n = read(fd, buf, len - 1);
    close(fd);
    if (n <= 0)
        return -1;
    buf[n] = '\0';
    return 0;
}

static double count_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    struct dirent *e;
    double n = 0;

    if (d == NULL)
        return -1;
    while ((e = readdir(d)) != NULL)
        if (e->d_name[0] != '.')
            n++;
    closedir(d);
    return n - 1; /* the listing's own descriptor */
}

static void read_stat(vprocstat_t *p)
{
    char buf[1024];
    double start, vsize, rss;
    long tick = sysconf(_SC_CLK_TCK), page = sysconf(_SC_PAGESIZE);

    if (read_text("/proc/self/stat", buf, sizeof(buf)) != 0 ||
        vprocstat_parse_stat(buf, &start, &vsize, &rss) != 0)
        return;
    p->virtual_bytes = vsize;
    if (page > 0)
        p->resident_bytes = rss * (double)page;
    pthread_once(&boot_once, read_boot_time);
    if (boot_time >= 0 && tick > 0)
        p->start_time_seconds = boot_time + start / (double)tick;
}

void vprocstat_read(vprocstat_t *p)
{
    struct rusage ru;
    struct rlimit rl;

    p->cpu_seconds = p->resident_bytes = p->virtual_bytes = -1;
    p->start_time_seconds = p->open_fds = p->max_fds = -1;
    if (getrusage(RUSAGE_SELF, &ru) == 0)
        p->cpu_seconds =
            (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
            (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY)
        p->max_fds = (double)rl.rlim_cur;
    p->open_fds = count_fds();
    read_stat(p);
}
