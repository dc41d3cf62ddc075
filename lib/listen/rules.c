/* rules.c - trace headers, Accept negotiation, allowed methods and the
 * framing of a request. */
#include "listen/rules.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

const char *const vrule_b3_headers[VRULE_NB3] = {
    "x-b3-traceid", "x-b3-spanid", "x-b3-parentspanid", "x-b3-sampled"};

static const char b3_chars[] = "abcdefghijklmnopqrstuvwxyz"
                               "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_";

int vrule_b3_valid(const char *name, const char *v)
{
    size_t len = strlen(v);

    if (len > 32 || strspn(v, b3_chars) != len)
        return 0;
    return strcasecmp(name, "x-b3-sampled") != 0 || strcmp(v, "0") == 0 ||
           strcmp(v, "1") == 0 || strcmp(v, "d") == 0;
}

const char *vrule_b3_hint(const char *name)
{
    return strcasecmp(name, "x-b3-sampled") == 0
               ? "use 0, 1 or d"
               : "at most 32 characters of [a-zA-Z0-9_]";
}

int vrule_traceparent_valid(const char *v)
{
    static const char shape[] = "xx-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx-"
                                "xxxxxxxxxxxxxxxx-xx";

    if (strlen(v) != sizeof(shape) - 1)
        return 0;
    for (size_t i = 0; shape[i] != '\0'; i++) {
        if (shape[i] == '-' ? v[i] != '-'
                            : strchr("0123456789abcdef", v[i]) == NULL)
            return 0;
    }
    return 1;
}

/* q=0 (or 0.0, 0.000) in a range's parameters. */
static int q_zero(const char *params, size_t len)
{
    for (size_t i = 0; i + 2 <= len; i++) {
        if ((params[i] == 'q' || params[i] == 'Q') && params[i + 1] == '=' &&
            i > 0 && (params[i - 1] == ';' || params[i - 1] == ' ')) {
            char num[8];
            size_t n = 0;

            for (size_t j = i + 2; j < len && n + 1 < sizeof(num) &&
                                   strchr("0123456789.", params[j]);
                 j++)
                num[n++] = params[j];
            num[n] = '\0';
            return n > 0 && strtod(num, NULL) <= 0;
        }
    }
    return 0;
}

static int range_accepts(const char *range, size_t len, const char *type)
{
    const char *semi = memchr(range, ';', len), *slash = strchr(type, '/');
    size_t rlen = semi ? (size_t)(semi - range) : len;
    /* The type's own parameters ("text/plain; version=0.0.4") are not
     * part of what a range names. */
    size_t tlen = strcspn(type, "; \t");

    while (rlen > 0 && (range[rlen - 1] == ' ' || range[rlen - 1] == '\t'))
        rlen--;
    if (semi != NULL && q_zero(semi, len - (size_t)(semi - range)))
        return 0;
    if ((rlen == 3 && strncmp(range, "*/*", 3) == 0) ||
        (rlen == tlen && strncasecmp(range, type, rlen) == 0))
        return 1;
    if (slash != NULL && rlen == (size_t)(slash - type) + 2 &&
        strncasecmp(range, type, rlen - 1) == 0 && range[rlen - 1] == '*')
        return 1;
    return rlen == 16 && strncasecmp(range, "application/json", 16) == 0 &&
           strstr(type, "json") != NULL;
}

int vrule_accepts(const char *accept, const char *type)
{
    if (accept == NULL)
        return 1;
    for (const char *p = accept; *p != '\0';) {
        size_t len;

        while (*p == ' ' || *p == '\t' || *p == ',')
            p++;
        len = strcspn(p, ",");
        if (len > 0 && range_accepts(p, len, type))
            return 1;
        p += len;
    }
    /* An empty header is as good as none. */
    return strspn(accept, " \t,") == strlen(accept);
}

int vrule_method_allowed(const char *allow, const char *method)
{
    size_t mlen = strlen(method);

    for (const char *p = allow; (p = strstr(p, method)) != NULL; p += mlen)
        if ((p == allow || p[-1] == ' ') && (p[mlen] == ',' || !p[mlen]))
            return 1;
    return 0;
}

/* RFC 9110's token characters, which a field name is made of. */
static int is_tchar(unsigned char ch)
{
    return (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'z') ||
           (ch >= 'A' && ch <= 'Z') ||
           (ch != '\0' && strchr("!#$%&'*+-.^_`|~", ch) != NULL);
}

static int names_equal(const char *name, size_t len, const char *want)
{
    return len == strlen(want) && strncasecmp(name, want, len) == 0;
}

void vrule_framing_add(vframing_t *f, const char *name, size_t name_len,
                       const char *value, size_t value_len)
{
    const char *why = NULL;

    for (size_t i = 0; i < name_len && why == NULL; i++)
        if (!is_tchar((unsigned char)name[i]))
            why = "A header name holds a character outside the token "
                  "characters (a space before the colon?)";
    if (name_len == 0)
        why = "A header has an empty name";
    /* Horizontal tab is the only control character a field value may
     * hold; obs-text (bytes from 0x80) is left alone. */
    for (size_t i = 0; i < value_len && why == NULL; i++) {
        unsigned char ch = (unsigned char)value[i];

        if ((ch < 0x20 && ch != '\t') || ch == 0x7f)
            why = "A header value holds a control character";
    }
    if (names_equal(name, name_len, "Content-Length"))
        f->content_lengths++;
    if (names_equal(name, name_len, "Host"))
        f->hosts++;
    if (names_equal(name, name_len, "Transfer-Encoding")) {
        f->transfer_encodings++;
        if (value_len != 7 || strncasecmp(value, "chunked", 7) != 0)
            why = "Transfer-Encoding other than chunked";
    }
    if (f->bad == NULL)
        f->bad = why;
}

const char *vrule_framing_verdict(const vframing_t *f)
{
    if (f->content_lengths > 0 && f->transfer_encodings > 0)
        return "Content-Length and Transfer-Encoding together";
    if (f->content_lengths > 1)
        return "More than one Content-Length";
    if (f->transfer_encodings > 1)
        return "More than one Transfer-Encoding";
    if (f->hosts > 1)
        return "More than one Host";
    if (f->http11 && f->hosts == 0)
        return "An HTTP/1.1 request must carry a Host header";
    return f->bad;
}

int vrule_uri_has_nul(const char *uri)
{
    for (const char *p = strchr(uri, '%'); p != NULL; p = strchr(p + 1, '%'))
        if (p[1] == '0' && p[2] == '0')
            return 1;
    return 0;
}
