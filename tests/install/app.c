/* app.c - a program built against an installed libvitals by
 * tests/install_test.sh: one callback check and one built-in, run once. */
#include <stdio.h>
#include <stdlib.h>

#include <vitals.h>

static void check_queue(vitals_result_t *r, void *data)
{
    (void)data;
    vitals_result_set_int(r, "depth", 7);
    vitals_result_set_status(r, VITALS_DEGRADED);
}

int main(void)
{
    vitals_t *v = vitals_new();
    vitals_check_opts_t o;
    vitals_snapshot_t *s;
    char *err = NULL;
    int rc;

    if (v == NULL)
        return 1;
    vitals_check_opts_init(&o);
    if ((rc = vitals_add_check(v, "queue", &o, check_queue, NULL, NULL)) ||
        (rc = vitals_add_builtin(v, "tmp", NULL, "disk",
                                 "{\"path\": \"/\", \"degraded_below\": "
                                 "\"1B\"}",
                                 &err)) ||
        (rc = vitals_run_once(v))) {
        fprintf(stderr, "app: %s %s\n", vitals_strerror(rc), err ? err : "");
        free(err);
        vitals_free(v);
        return 1;
    }
    s = vitals_snapshot_get(v);
    printf("vitals %s: %zu checks, %s\n", VITALS_VERSION,
           vitals_snapshot_count(s),
           vitals_status_name(vitals_snapshot_status(s)));
    vitals_snapshot_release(s);
    vitals_free(v);
    return 0;
}
