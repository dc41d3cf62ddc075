/* rules.h - the request rules every endpoint shares, as pure functions:
 * trace headers (seed 003's B3, W3C traceparent), Accept negotiation,
 * allowed methods. */
#ifndef VITALS_RULES_H
#define VITALS_RULES_H

#include <stddef.h>

#define VRULE_NB3 4
/* x-b3-traceid, x-b3-spanid, x-b3-parentspanid, x-b3-sampled. */
extern const char *const vrule_b3_headers[VRULE_NB3];

/* Seed 003: at most 32 characters of [a-zA-Z0-9_]; x-b3-sampled is one of
 * 0, 1, d. */
int vrule_b3_valid(const char *name, const char *value);
/* What to say about an invalid value of name. Static. */
const char *vrule_b3_hint(const char *name);
/* W3C trace context version 00 shape: 2-32-16-2 lowercase hex digits. */
int vrule_traceparent_valid(const char *value);
/* Whether an Accept header lets the server send type: no header, any
 * range "any type", the type's family (application/ star), the type, or
 * application/json for a JSON type (application/health+json). A range
 * with q=0 accepts nothing. The type's parameters ("; version=0.0.4") are
 * ignored. */
int vrule_accepts(const char *accept, const char *type);
/* Whether method appears in an Allow list such as "GET, HEAD, POST". */
int vrule_method_allowed(const char *allow, const char *method);

#endif
