/* grpc_health.c - what grpc.health.v1.Health answers: the serving status
 * of a service name (the whole service, a probe view, a check or a tag)
 * from the verdict on its view, and the messages of Check, Watch and List
 * encoded by protobuf-c. */
#include <stdlib.h>
#include <string.h>

#include "grpc/health/v1/health.pb-c.h"
#include "listen/grpc.h"
#include "outputs/format.h"

#define SERVING GRPC__HEALTH__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__SERVING
#define NOT_SERVING                                                          \
    GRPC__HEALTH__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__NOT_SERVING
#define SERVICE_UNKNOWN                                                      \
    GRPC__HEALTH__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__SERVICE_UNKNOWN

#define PREFIX "/grpc.health.v1.Health/"

vgrpc_method_t vgrpc_method(const char *path, size_t len)
{
    static const struct {
        const char *name;
        vgrpc_method_t m;
    } methods[] = {{"Check", VGRPC_CHECK},
                   {"Watch", VGRPC_WATCH},
                   {"List", VGRPC_LIST}};
    size_t plen = sizeof(PREFIX) - 1;

    if (len <= plen || memcmp(path, PREFIX, plen) != 0)
        return VGRPC_NONE;
    for (size_t i = 0; i < sizeof(methods) / sizeof(methods[0]); i++)
        if (len - plen == strlen(methods[i].name) &&
            memcmp(path + plen, methods[i].name, len - plen) == 0)
            return methods[i].m;
    return VGRPC_NONE;
}

/* SERVING, NOT_SERVING, or -1 for a name that selects nothing. Degraded
 * still serves; failing, draining and maintenance do not. */
static int serving(const vitals_snapshot_t *s, const char *name)
{
    const char *tag = NULL;
    vselect_t sel;
    vverdict_t v;

    if (vverdict_select(s, name, &sel, &tag) != VITALS_OK)
        return -1;
    if (vverdict_get(s, &sel, &v) != VITALS_OK)
        return NOT_SERVING; /* out of memory: say so, never "serving" */
    return v.state == VVERDICT_UP || v.state == VVERDICT_DEGRADED
               ? SERVING
               : NOT_SERVING;
}

int vgrpc_watch_status(const vitals_snapshot_t *s, const char *name)
{
    int st = serving(s, name);

    return st < 0 ? SERVICE_UNKNOWN : st;
}

/* Frames a packed message of len bytes at out + 5: gRPC's prefix is a
 * compressed flag (0) and the length, big-endian. */
static void frame(uint8_t *out, size_t len)
{
    out[0] = 0;
    out[1] = (uint8_t)(len >> 24);
    out[2] = (uint8_t)(len >> 16);
    out[3] = (uint8_t)(len >> 8);
    out[4] = (uint8_t)len;
}

size_t vgrpc_status_message(int status, uint8_t *out)
{
    Grpc__Health__V1__HealthCheckResponse r =
        GRPC__HEALTH__V1__HEALTH_CHECK_RESPONSE__INIT;
    size_t len;

    r.status = status;
    len = grpc__health__v1__health_check_response__pack(&r, out + 5);
    frame(out, len);
    return len + 5;
}

char *vgrpc_watch_name(const uint8_t *msg, size_t len)
{
    Grpc__Health__V1__HealthCheckRequest *req =
        grpc__health__v1__health_check_request__unpack(NULL, len, msg);
    char *name;

    if (req == NULL)
        return NULL;
    name = strdup(req->service != NULL ? req->service : "");
    grpc__health__v1__health_check_request__free_unpacked(req, NULL);
    return name;
}

static void answer_error(vgrpc_answer_t *out, int status, const char *message)
{
    out->status = status;
    out->message = message;
}

static void check(const vitals_snapshot_t *s, const uint8_t *msg, size_t len,
                  vgrpc_answer_t *out)
{
    char *name = vgrpc_watch_name(msg, len);
    int st;

    if (name == NULL) {
        answer_error(out, VGRPC_INTERNAL, "malformed HealthCheckRequest");
        return;
    }
    st = serving(s, name);
    free(name);
    if (st < 0) {
        answer_error(out, VGRPC_NOT_FOUND, "unknown service");
        return;
    }
    if ((out->data = malloc(16)) == NULL) {
        answer_error(out, VGRPC_RESOURCE_EXHAUSTED, "out of memory");
        return;
    }
    out->len = vgrpc_status_message(st, out->data);
}

/* The names List reports: the whole service and the views, and with
 * details every check. */
static const char *const list_views[] = {"", "liveness", "readiness",
                                         "startup"};
#define NVIEWS (sizeof(list_views) / sizeof(list_views[0]))

static void list(const vitals_snapshot_t *s, int details, vgrpc_answer_t *out)
{
    size_t n = NVIEWS + (details ? s->n : 0);
    Grpc__Health__V1__HealthListResponse r =
        GRPC__HEALTH__V1__HEALTH_LIST_RESPONSE__INIT;
    Grpc__Health__V1__HealthListResponse__StatusesEntry *e, **ep;
    Grpc__Health__V1__HealthCheckResponse *v;
    size_t len;

    if (n > VGRPC_MAX_LIST) {
        answer_error(out, VGRPC_RESOURCE_EXHAUSTED,
                     "more than 100 services");
        return;
    }
    e = calloc(n, sizeof(*e));
    ep = calloc(n, sizeof(*ep));
    v = calloc(n, sizeof(*v));
    for (size_t i = 0; e != NULL && ep != NULL && v != NULL && i < n; i++) {
        const char *name =
            i < NVIEWS ? list_views[i] : s->entries[i - NVIEWS].pub.name;

        grpc__health__v1__health_check_response__init(&v[i]);
        v[i].status = serving(s, name);
        grpc__health__v1__health_list_response__statuses_entry__init(&e[i]);
        e[i].key = (char *)name; /* only read by pack */
        e[i].value = &v[i];
        ep[i] = &e[i];
    }
    r.n_statuses = n;
    r.statuses = ep;
    if (e == NULL || ep == NULL || v == NULL ||
        (out->data = malloc(
             grpc__health__v1__health_list_response__get_packed_size(&r) +
             5)) == NULL) {
        answer_error(out, VGRPC_RESOURCE_EXHAUSTED, "out of memory");
    } else {
        len = grpc__health__v1__health_list_response__pack(&r, out->data + 5);
        frame(out->data, len);
        out->len = len + 5;
    }
    free(e);
    free(ep);
    free(v);
}

void vgrpc_unary(vgrpc_method_t m, const vitals_snapshot_t *s, int details,
                 const uint8_t *msg, size_t len, vgrpc_answer_t *out)
{
    Grpc__Health__V1__HealthListRequest *req;

    memset(out, 0, sizeof(*out));
    if (m == VGRPC_CHECK) {
        check(s, msg, len, out);
        return;
    }
    /* List: the request is empty, but must still be one. */
    if ((req = grpc__health__v1__health_list_request__unpack(NULL, len,
                                                             msg)) == NULL) {
        answer_error(out, VGRPC_INTERNAL, "malformed HealthListRequest");
        return;
    }
    grpc__health__v1__health_list_request__free_unpacked(req, NULL);
    list(s, details, out);
}
