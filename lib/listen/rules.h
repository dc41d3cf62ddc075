/* rules.h - the request rules every endpoint shares, as pure functions:
 * trace headers (seed 003's B3, W3C traceparent), Accept negotiation,
 * allowed methods, and the framing of a request (what its headers say of
 * where it ends). */
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

/* The framing of a request, read one header at a time: a request whose
 * end or target two parsers could read differently (Content-Length with
 * Transfer-Encoding, two Content-Lengths, a header name with a space
 * before its colon, which one parser trims and another keeps, no Host or
 * two on HTTP/1.1) is refused whole, and so is a header carrying control
 * characters (RFC 9112 sections 3.2, 5 and 6.3). Start zeroed, with
 * http11 set for an HTTP/1.1 request. */
typedef struct vframing {
    int http11;
    unsigned content_lengths, transfer_encodings, hosts;
    const char *bad; /* the first reason found (static), or NULL */
} vframing_t;

void vrule_framing_add(vframing_t *f, const char *name, size_t name_len,
                       const char *value, size_t value_len);
/* NULL when the request's framing is sound, else why not (static). */
const char *vrule_framing_verdict(const vframing_t *f);

/* Whether a raw request URI holds a percent-encoded NUL ("%00"), which
 * would cut the decoded path or argument short. */
int vrule_uri_has_nul(const char *uri);

#endif
