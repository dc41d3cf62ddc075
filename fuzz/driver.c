/* driver.c - runs a fuzz target without libFuzzer: every file named on the
 * command line, and every file in every directory named, in name order, is
 * passed once to LLVMFuzzerTestOneInput. `make test` builds each target with
 * this driver (gcc, ASan and UBSan) and runs it over fuzz/corpus/<target>/,
 * so the seeds and every input that once crashed stay regression tests.
 *
 * Each input is copied into a buffer of exactly its size, so that ASan sees
 * a read one byte past it. Exit status 0 when every input ran; a crash is a
 * sanitizer report or abort() as usual. */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
/* Optional, as with libFuzzer. */
__attribute__((weak)) int LLVMFuzzerInitialize(int *argc, char ***argv);

static int run_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    uint8_t *data = NULL;
    long len;

    if (f == NULL || fseek(f, 0, SEEK_END) != 0 || (len = ftell(f)) < 0 ||
        fseek(f, 0, SEEK_SET) != 0) {
        fprintf(stderr, "driver: cannot read %s\n", path);
        if (f != NULL)
            fclose(f);
        return -1;
    }
    /* malloc(0) may return NULL: keep one byte, pass size 0. */
    if ((data = malloc(len > 0 ? (size_t)len : 1)) == NULL ||
        fread(data, 1, (size_t)len, f) != (size_t)len) {
        fprintf(stderr, "driver: cannot read %s\n", path);
        free(data);
        fclose(f);
        return -1;
    }
    fclose(f);
    LLVMFuzzerTestOneInput(data, (size_t)len);
    free(data);
    return 0;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Runs every regular file in dir, in name order. Returns how many, or -1. */
static int run_dir(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *ent;
    char **names = NULL;
    size_t n = 0, cap = 0;
    int ran = 0;

    if (d == NULL) {
        fprintf(stderr, "driver: cannot open %s\n", dir);
        return -1;
    }
    while ((ent = readdir(d)) != NULL) {
        if (ent->d_name[0] == '.')
            continue;
        if (n == cap) {
            char **grown = realloc(names, (cap = cap ? cap * 2 : 64) *
                                              sizeof(*names));

            if (grown == NULL)
                abort();
            names = grown;
        }
        if ((names[n++] = strdup(ent->d_name)) == NULL)
            abort();
    }
    closedir(d);
    qsort(names, n, sizeof(*names), by_name);
    for (size_t i = 0; i < n; i++) {
        char path[4096];
        struct stat st;

        snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
        if (stat(path, &st) == 0 && S_ISREG(st.st_mode)) {
            if (run_file(path) != 0)
                ran = -1;
            else if (ran >= 0)
                ran++;
        }
        free(names[i]);
    }
    free(names);
    return ran;
}

int main(int argc, char **argv)
{
    int total = 0;

    if (argc < 2) {
        fprintf(stderr, "usage: %s FILE|DIR...\n", argv[0]);
        return 2;
    }
    if (LLVMFuzzerInitialize != NULL)
        LLVMFuzzerInitialize(&argc, &argv);
    for (int i = 1; i < argc; i++) {
        struct stat st;
        int ran;

        if (stat(argv[i], &st) != 0) {
            fprintf(stderr, "driver: cannot open %s\n", argv[i]);
            return 1;
        }
        ran = S_ISDIR(st.st_mode) ? run_dir(argv[i])
                                  : run_file(argv[i]) == 0 ? 1 : -1;
        if (ran < 0)
            return 1;
        total += ran;
    }
    if (total == 0) {
        fprintf(stderr, "driver: no input to run\n");
        return 1;
    }
    printf("%d inputs ran\n", total);
    return 0;
}
