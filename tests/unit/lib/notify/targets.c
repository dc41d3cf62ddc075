/* targets.c - unit tests for reading `notify:` (lib/notify/targets.c and
 * the types' tables): every error with its position, the defaults,
 * header_files, and where each type sends. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "config/yaml.h"
#include "notify/notify.h"

static char dir[] = "/tmp/vitals-notify-XXXXXX";

static int setup(void **state)
{
    (void)state;
    return mkdtemp(dir) != NULL ? 0 : -1;
}

static int teardown(void **state)
{
    char cmd[64];

    (void)state;
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    return system(cmd);
}

static void write_at(const char *name, const char *text, char *path)
{
    FILE *f;

    snprintf(path, 256, "%s/%s", dir, name);
    f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

/* Reads yaml (a whole configuration with only `notify:`); returns the
 * targets, and the errors joined in *errs (new, or NULL). */
static vnotify_targets_t *read_yaml(const char *yaml, char **errs)
{
    char path[256];
    verrs_t *e = verrs_new();
    vnode_t *root;
    vnotify_targets_t *ts = NULL;

    write_at("notify.yaml", yaml, path);
    root = vyaml_load_file(path, e);
    if (root != NULL) {
        ts = vnotify_read(vnode_get(root, "notify"), e);
        vnode_map_done(root, "the configuration", e);
    }
    *errs = verrs_join(e);
    vnode_free(root);
    vitals_errors_free(e);
    return ts;
}

/* Fails unless yaml reads with exactly the error want (after the file
 * name). */
static void assert_error(const char *yaml, const char *want)
{
    char *errs = NULL;
    vnotify_targets_t *ts = read_yaml(yaml, &errs);
    char *at;

    assert_null(ts);
    assert_non_null(errs);
    at = strstr(errs, "notify.yaml:");
    assert_non_null(at);
    assert_string_equal(at + strlen("notify.yaml:"), want);
    free(errs);
}

static void test_errors(void **state)
{
    (void)state;
    assert_error("notify: {type: webhook}\n",
                 "1:9: 'notify': expected a list of targets, such as "
                 "[{type: alertmanager, url: ...}]");
    assert_error("notify: [webhook]\n",
                 "1:10: notify #1: expected a map such as {type: webhook, "
                 "url: ...}");
    assert_error("notify:\n  - {url: \"http://x/\"}\n",
                 "2:5: notify #1: missing required key 'type' (one of "
                 "alertmanager, heartbeat, webhook)");
    assert_error("notify:\n  - {type: email, url: \"http://x/\"}\n",
                 "2:12: notify #1: unknown type 'email' (known: "
                 "alertmanager, heartbeat, webhook)");
    assert_error("notify:\n  - {type: webhook}\n",
                 "2:5: notify #1: missing required key 'url'");
    assert_error("notify:\n  - {type: webhook, url: \"ftp://x/\"}\n",
                 "2:26: 'url': expected an http:// or https:// URL, got "
                 "scheme \"ftp\"");
    assert_error("notify:\n  - {type: webhook, url: \"http://x/\", after: "
                 "0}\n",
                 "2:46: 'after': expected an integer between 1 and 1000, got 0");
    assert_error("notify:\n  - {type: webhook, url: \"http://x/\", format: "
                 "xml}\n",
                 "2:47: 'format': expected json or slack, got \"xml\"");
    assert_error("notify:\n  - {type: heartbeat, url: \"http://x/\", "
                 "method: PUT}\n",
                 "2:49: 'method': expected GET, HEAD or POST, got \"PUT\"");
    assert_error("notify:\n  - {type: heartbeat, url: \"http://x/\", "
                 "after: 3}\n",
                 "2:41: unknown key 'after' in notify #1");
    assert_error("notify:\n  - {type: alertmanager, url: \"http://x/\", "
                 "labels: {9team: ops}}\n",
                 "2:53: 'labels': invalid label name \"9team\" (expected "
                 "letters, digits and '_', not starting with a digit or "
                 "\"__\")");
    assert_error("notify:\n  - {type: alertmanager, url: \"http://x/\", "
                 "labels: {severity: page}}\n",
                 "2:53: 'labels': 'severity' is set by vitals");
    assert_error("notify:\n  - {type: webhook, url: \"http://x/\", "
                 "header_files: {Authorization: /nonexistent/token}}\n",
                 "2:69: 'header_files': cannot read /nonexistent/token: No "
                 "such file or directory");
}

static void test_defaults(void **state)
{
    char *errs = NULL;
    vnotify_targets_t *ts = read_yaml(
        "notify:\n"
        "  - {type: webhook, url: \"http://u:p@127.0.0.1:9/hook\"}\n"
        "  - {type: alertmanager, url: \"http://127.0.0.1:9093/am/\", "
        "name: ops}\n"
        "  - {type: heartbeat, url: \"https://hc.example/ping/abc\"}\n",
        &errs);
    const vnotify_conf_t *w, *a, *h;

    (void)state;
    assert_null(errs);
    assert_non_null(ts);
    assert_int_equal(ts->n, 3);
    w = &ts->v[0]->conf;
    a = &ts->v[1]->conf;
    h = &ts->v[2]->conf;
    assert_string_equal(ts->v[0]->label, "webhook #1");
    assert_string_equal(ts->v[1]->label, "alertmanager 'ops'");
    assert_string_equal(ts->v[2]->label, "heartbeat #3");
    assert_string_equal(w->post_url, "http://u:p@127.0.0.1:9/hook");
    assert_int_equal(w->after, 1);
    assert_int_equal(w->recover_after, 1);
    assert_int_equal(w->min_interval_ms, 0);
    assert_int_equal(w->timeout_ms, 5000);
    assert_int_equal(w->retries, 3);
    assert_int_equal(w->backoff_ms, 1000);
    assert_int_equal(w->slack, 0);
    assert_string_equal(w->http.headers->data,
                        "Content-Type: application/json");
    /* Alertmanager's API under the path prefix it was given. */
    assert_string_equal(a->post_url,
                        "http://127.0.0.1:9093/am/api/v2/alerts");
    assert_int_equal(a->resend_ms, 60000);
    assert_string_equal(a->alertname, "VitalsCheckFailing");
    assert_string_equal(h->post_url, "https://hc.example/ping/abc");
    assert_int_equal(h->interval_ms, 60000);
    assert_string_equal(h->method, "GET");
    assert_null(h->http.headers);
    vnotify_targets_free(ts);
}

static void test_header_files(void **state)
{
    char path[256], yaml[512], *errs = NULL;
    vnotify_targets_t *ts;
    const struct curl_slist *l;

    (void)state;
    write_at("token", "Bearer s3cret\n", path);
    snprintf(yaml, sizeof(yaml),
             "notify:\n  - {type: webhook, url: \"http://x/\", headers: "
             "{X-Team: ops}, header_files: {Authorization: %s}}\n",
             path);
    ts = read_yaml(yaml, &errs);
    assert_null(errs);
    l = ts->v[0]->conf.http.headers;
    assert_string_equal(l->data, "X-Team: ops");
    assert_string_equal(l->next->data, "Authorization: Bearer s3cret");
    assert_string_equal(l->next->next->data,
                        "Content-Type: application/json");
    assert_null(l->next->next->next);
    vnotify_targets_free(ts);
    /* Two lines are not a header value. */
    write_at("token", "a\nb\n", path);
    ts = read_yaml(yaml, &errs);
    assert_null(ts);
    assert_non_null(strstr(errs, "'header_files': "));
    assert_non_null(strstr(errs, "token must hold one line of text (at most "
                                 "8192 bytes)"));
    free(errs);
}

static void test_none(void **state)
{
    char *errs = NULL;
    vnotify_targets_t *ts = read_yaml("notify: []\n", &errs);

    (void)state;
    assert_null(errs);
    assert_int_equal(ts->n, 0);
    vnotify_targets_free(ts);
    ts = read_yaml("service: {id: x}\n", &errs);
    assert_int_equal(ts->n, 0);
    vnotify_targets_free(ts);
    free(errs);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_header_files),
        cmocka_unit_test(test_none),
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}
