/* mosparo.c - mosparo's health answer (seed 000, GET /api/v1/health/check):
 * {"service", "healthy", "databaseStatus", "error", "statusCode"}.
 *
 * mosparo serializes its whole result array, so the body carries the fifth
 * key statusCode (duplicating the HTTP status) that its documentation does
 * not list; clients written against real servers may read it, so we send
 * it too. Keys come in mosparo's order.
 */
#include <stdlib.h>
#include <string.h>

#include "outputs/output.h"

/* What a check says about its failure: its error, else its description. */
static const char *failure_text(const vitals_check_state_t *st)
{
    if (st->error != NULL)
        return st->error;
    if (st->description != NULL)
        return st->description;
    /* A check may set an unhealthy status without a word. */
    return "unhealthy";
}

/* mosparo's databaseStatus, from the check that stands for its database.
 * The check is looked up among all the snapshot's checks, not the view's:
 * a request filtered to other checks still shows the database, as mosparo
 * always does. A check that has not run yet is unhealthy ("not yet run"),
 * so it reads connection-failed, as a database not reached yet would. */
static const char *database_status(const vitals_snapshot_t *s,
                                   const char *database_check)
{
    if (database_check == NULL)
        return "not-configured";
    for (size_t i = 0; i < s->n; i++) {
        const vitals_check_state_t *st = &s->entries[i].pub;

        if (strcmp(st->name, database_check) == 0)
            return st->status == VITALS_UNHEALTHY ? "connection-failed"
                                                  : "connected";
    }
    return "not-configured";
}

/* "name: message; name2: message2" over the view's unhealthy checks (new
 * string), where mosparo has the one exception message it caught. */
static char *failures(const vview_t *v)
{
    size_t len = 1, o = 0;
    char *text;

    for (size_t i = 0; i < v->n; i++) {
        const vitals_check_state_t *st = &v->entries[i]->pub;

        if (st->status == VITALS_UNHEALTHY)
            len += strlen(st->name) + strlen(failure_text(st)) + 4;
    }
    if ((text = malloc(len)) == NULL)
        return NULL;
    for (size_t i = 0; i < v->n; i++) {
        const vitals_check_state_t *st = &v->entries[i]->pub;
        const char *msg = failure_text(st);
        size_t nlen = strlen(st->name), mlen = strlen(msg);

        if (st->status != VITALS_UNHEALTHY)
            continue;
        if (o > 0) {
            memcpy(text + o, "; ", 2);
            o += 2;
        }
        memcpy(text + o, st->name, nlen);
        o += nlen;
        memcpy(text + o, ": ", 2);
        o += 2;
        memcpy(text + o, msg, mlen);
        o += mlen;
    }
    text[o] = '\0';
    return text;
}

vbody_t *vformat_mosparo(const vview_t *v, const char *database_check,
                         unsigned *http_status)
{
    const vitals_snapshot_t *s = v->snap;
    int healthy = v->status != VITALS_UNHEALTHY, bad = 0;
    unsigned status = healthy ? 200 : 500;
    json_t *root = json_object(), *error;
    char *text = NULL;

    if (http_status != NULL)
        *http_status = status;
    if (root == NULL)
        return NULL;
    if (healthy) {
        error = json_null();
    } else if (!v->details) {
        /* Without details no check's text may leak: mosparo's raw
         * exception message can carry hosts and credentials. */
        error = json_string("unhealthy");
    } else if ((text = failures(v)) == NULL) {
        error = NULL;
    } else {
        /* Never an empty error: a view put together by hand may claim to
         * be unhealthy without an unhealthy check in it. */
        error = json_string(text[0] != '\0' ? text : "unhealthy");
        free(text);
    }
    /* json_object_set_new takes (and on failure frees) each value; a NULL
     * value, out of memory, makes it fail. No half-filled body is sent. */
    bad |= json_object_set_new(
        root, "service", json_string(s->service_id ? s->service_id : "vitals"));
    bad |= json_object_set_new(root, "healthy", json_boolean(healthy));
    /* Shown even without details: it is what mosparo shows the clients it
     * allows, and it names no check and says nothing a check reported. */
    bad |= json_object_set_new(
        root, "databaseStatus",
        json_string(database_status(s, database_check)));
    bad |= json_object_set_new(root, "error", error);
    bad |= json_object_set_new(root, "statusCode", json_integer(status));
    if (bad) {
        json_decref(root);
        return NULL;
    }
    return vformat_dump(root);
}

/* ------------------------------------------------------------------------
 * The output: GET /api/v1/health/check, behind the allow list
 */

typedef struct {
    char *database_check;
} vmosparo_conf_t;

static void mosparo_free(void *p)
{
    vmosparo_conf_t *c = p;

    if (c == NULL)
        return;
    free(c->database_check);
    free(c);
}

static void *mosparo_configure(vnode_t *m, verrs_t *e)
{
    vmosparo_conf_t *c = calloc(1, sizeof(*c));
    const char *db = NULL;

    if (c == NULL)
        return NULL;
    if (m != NULL && vnode_str(m, "database_check", &db, e) == 1 &&
        (c->database_check = strdup(db)) == NULL) {
        free(c);
        return NULL;
    }
    return c;
}

static vbody_t *mosparo_fn(const vview_t *v, const vreq_t *r)
{
    const vmosparo_conf_t *c = r->conf;
    unsigned code = 200;
    vbody_t *b = vformat_mosparo(v, c ? c->database_check : NULL, &code);

    if (b != NULL)
        b->status = code;
    return b;
}

static void mosparo_answer(vreq_t *r, vans_t *ans)
{
    vselect_t sel = {0};
    const vbody_t *b;

    if ((b = vreq_view(r, ans, NULL, &sel, mosparo_fn)) != NULL)
        ans->status = b->status;
}

const voutput_t voutput_mosparo = {
    .id = "mosparo", .path = "/api/v1/health/check",
    .content_type = "application/json", .allow = "GET, HEAD",
    .allow_list = 1, .configure = mosparo_configure, .free_conf = mosparo_free,
    .answer = mosparo_answer,
    .doc_format = "mosparo's health API, behind the allow list",
    .doc_codes = "200 / 500; 403"};
