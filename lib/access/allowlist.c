/* allowlist.c - parsing the client IP allow list and matching clients
 * against it (see allowlist.h for the syntax).
 *
 * Every entry becomes a range: an address family, a network address with
 * its host bits cleared, and a prefix length (32 or 128 for a single
 * address). Matching compares the client's first prefix bits with each
 * range; lists are a handful of entries, so a linear scan is all it takes.
 */
#include "access/allowlist.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct vallow_range {
    int family;             /* AF_INET or AF_INET6 */
    unsigned char addr[16]; /* network order; AF_INET uses the first 4 */
    unsigned prefix;        /* 0-32 or 0-128 */
} vallow_range_t;

struct vallow {
    size_t n;
    vallow_range_t r[]; /* n used */
};

/* The longest valid entry is "ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255
 * /128" (49 characters); anything longer is invalid without a closer look. */
#define VALLOW_MAX_ENTRY 63

static const unsigned char v4mapped_prefix[12] = {0, 0, 0, 0, 0, 0,
                                                  0, 0, 0, 0, 0xff, 0xff};

static int is_sep(char c)
{
    return c == ',' || c == '\n' || c == '\r';
}

static int is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\v' || c == '\f';
}

/* Clears every bit of addr (len bytes) past the first prefix bits. */
static void mask_host_bits(unsigned char *addr, size_t len, unsigned prefix)
{
    for (size_t i = 0; i < len; i++) {
        unsigned bits = prefix > i * 8 ? prefix - (unsigned)(i * 8) : 0;

        if (bits < 8)
            addr[i] &= (unsigned char)(0xff00u >> bits);
    }
}

/* 1 when the first prefix bits of a and b are equal. */
static int prefix_equal(const unsigned char *a, const unsigned char *b,
                        unsigned prefix)
{
    size_t whole = prefix / 8;
    unsigned rest = prefix % 8;
    unsigned char mask = (unsigned char)(0xff00u >> rest);

    if (memcmp(a, b, whole) != 0)
        return 0;
    return rest == 0 || ((a[whole] ^ b[whole]) & mask) == 0;
}

/* Parses one trimmed entry s[0..len) into r. 0, or -1 when invalid. */
static int parse_entry(const char *s, size_t len, vallow_range_t *r)
{
    char buf[VALLOW_MAX_ENTRY + 1];
    char *slash;
    unsigned max;

    if (len > VALLOW_MAX_ENTRY)
        return -1;
    memcpy(buf, s, len);
    buf[len] = '\0';
    if ((slash = strchr(buf, '/')) != NULL)
        *slash = '\0';
    memset(r->addr, 0, sizeof(r->addr));
    if (inet_pton(AF_INET, buf, r->addr) == 1) {
        r->family = AF_INET;
        max = 32;
    } else if (inet_pton(AF_INET6, buf, r->addr) == 1) {
        r->family = AF_INET6;
        max = 128;
    } else {
        return -1;
    }
    r->prefix = max;
    if (slash != NULL) {
        const char *p = slash + 1;
        unsigned v = 0;

        /* Decimal digits only: no sign, no spaces, no empty prefix. Three
         * digits at most, so that the value cannot overflow. */
        if (*p == '\0' || strlen(p) > 3)
            return -1;
        for (; *p != '\0'; p++) {
            if (*p < '0' || *p > '9')
                return -1;
            v = v * 10 + (unsigned)(*p - '0');
        }
        if (v > max)
            return -1;
        r->prefix = v;
    }
    /* Host bits set ("10.0.0.1/8") are accepted and cleared, as most
     * routers and ip-lib do: the operator's intent is the network. */
    mask_host_bits(r->addr, r->family == AF_INET ? 4 : 16, r->prefix);
    /* An IPv4-mapped entry that only covers mapped addresses is an IPv4
     * entry, since mapped clients are matched as IPv4 (see vallow_match).
     * A shorter prefix (::/0, ::ffff:0:0/80) is an IPv6 range and stays
     * one: it never matches IPv4 clients, so "::/0" does not quietly allow
     * the whole IPv4 Internet as well. */
    if (r->family == AF_INET6 && r->prefix >= 96 &&
        memcmp(r->addr, v4mapped_prefix, sizeof(v4mapped_prefix)) == 0) {
        memmove(r->addr, r->addr + 12, 4);
        memset(r->addr + 4, 0, 12);
        r->family = AF_INET;
        r->prefix -= 96;
    }
    return 0;
}

/* invalid address or CIDR range "<entry>" (entry <n>), with quotes,
 * backslashes and bytes that are not printable ASCII escaped, as the
 * message ends up in logs and terminals. */
static char *entry_error(const char *s, size_t len, size_t n)
{
    static const char head[] = "invalid address or CIDR range \"";
    size_t cap = sizeof(head) + len * 4 + 48, o;
    char *m = malloc(cap);

    if (m == NULL)
        return NULL;
    memcpy(m, head, sizeof(head) - 1);
    o = sizeof(head) - 1;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];

        if (c == '"' || c == '\\') {
            m[o++] = '\\';
            m[o++] = (char)c;
        } else if (c < 0x20 || c >= 0x7f) {
            o += (size_t)snprintf(m + o, cap - o, "\\x%02x", c);
        } else {
            m[o++] = (char)c;
        }
    }
    snprintf(m + o, cap - o, "\" (entry %zu)", n);
    return m;
}

vallow_t *vallow_parse(const char *text, char **err)
{
    size_t max = 1, n = 0;
    vallow_t *a;

    if (err != NULL)
        *err = NULL;
    if (text == NULL)
        text = "";
    /* At most one entry more than there are separators. */
    for (const char *p = text; *p != '\0'; p++)
        max += is_sep(*p) ? 1 : 0;
    a = malloc(sizeof(*a) + max * sizeof(a->r[0]));
    if (a == NULL)
        return NULL;
    a->n = 0;
    for (const char *p = text;;) {
        const char *start = p, *end;

        while (*p != '\0' && !is_sep(*p))
            p++;
        end = p;
        while (start < end && is_blank(*start))
            start++;
        while (end > start && is_blank(end[-1]))
            end--;
        if (start < end) {
            n++;
            if (parse_entry(start, (size_t)(end - start), &a->r[a->n]) != 0) {
                if (err != NULL)
                    *err = entry_error(start, (size_t)(end - start), n);
                free(a);
                return NULL;
            }
            a->n++;
        }
        if (*p == '\0')
            break;
        p++;
    }
    return a;
}

int vallow_match(const vallow_t *a, const struct sockaddr *sa)
{
    unsigned char addr[16];
    int family;

    if (a == NULL)
        return 0;
    if (a->n == 0)
        return 1;
    if (sa == NULL)
        return 0;
    /* Copied out rather than cast: sa may point into a buffer that is not
     * aligned for sockaddr_in6. */
    if (sa->sa_family == AF_INET) {
        family = AF_INET;
        memcpy(addr, (const char *)sa + offsetof(struct sockaddr_in, sin_addr),
               4);
    } else if (sa->sa_family == AF_INET6) {
        family = AF_INET6;
        memcpy(addr,
               (const char *)sa + offsetof(struct sockaddr_in6, sin6_addr),
               16);
        if (memcmp(addr, v4mapped_prefix, sizeof(v4mapped_prefix)) == 0) {
            /* A dual-stack socket's IPv4 peer: the client is 10.1.2.3,
             * whatever the listener's family. */
            memmove(addr, addr + 12, 4);
            family = AF_INET;
        }
    } else {
        return 0;
    }
    for (size_t i = 0; i < a->n; i++)
        if (a->r[i].family == family &&
            prefix_equal(a->r[i].addr, addr, a->r[i].prefix))
            return 1;
    return 0;
}

int vallow_is_empty(const vallow_t *a)
{
    return a != NULL && a->n == 0;
}

void vallow_free(vallow_t *a)
{
    free(a);
}
