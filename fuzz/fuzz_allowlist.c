/* fuzz_allowlist.c - the client IP allow list: vallow_parse of the input
 * (access.health_allow_list, MOSPARO_HEALTH_ALLOW_LIST, trusted_proxies),
 * then vallow_match of a few clients, some made from the input's bytes.
 *
 * Asserts what allowlist.h promises: a failed parse says why in printable
 * ASCII; an empty list allows everyone; an IPv4 client and the same client
 * IPv4-mapped (::ffff:a.b.c.d) get the same answer; a NULL list allows no
 * one. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "access/allowlist.h"

static struct sockaddr_in v4(const unsigned char a[4])
{
    struct sockaddr_in s;

    memset(&s, 0, sizeof(s));
    s.sin_family = AF_INET;
    memcpy(&s.sin_addr, a, 4);
    return s;
}

static struct sockaddr_in6 v6(const unsigned char a[16])
{
    struct sockaddr_in6 s;

    memset(&s, 0, sizeof(s));
    s.sin6_family = AF_INET6;
    memcpy(&s.sin6_addr, a, 16);
    return s;
}

/* The same IPv4 client, plain and IPv4-mapped: one answer. */
static void match_v4(const vallow_t *a, const unsigned char addr[4])
{
    unsigned char mapped[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    struct sockaddr_in s4 = v4(addr);
    struct sockaddr_in6 s6;
    int plain, as_v6;

    memcpy(mapped + 12, addr, 4);
    s6 = v6(mapped);
    plain = vallow_match(a, (struct sockaddr *)&s4);
    as_v6 = vallow_match(a, (struct sockaddr *)&s6);
    if (plain != as_v6 || (vallow_is_empty(a) && !plain))
        abort();
}

static void match_v6(const vallow_t *a, const unsigned char addr[16])
{
    struct sockaddr_in6 s6 = v6(addr);
    int m = vallow_match(a, (struct sockaddr *)&s6);

    if (vallow_is_empty(a) && !m)
        abort();
}

static void check_error(const char *err)
{
    for (const char *p = err; *p != '\0'; p++)
        if ((unsigned char)*p < 0x20 || (unsigned char)*p >= 0x7f)
            abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const unsigned char fixed4[][4] = {
        {127, 0, 0, 1}, {10, 1, 2, 3}, {192, 168, 1, 7}, {0, 0, 0, 0},
        {255, 255, 255, 255}};
    static const unsigned char fixed6[][16] = {
        {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1},
        {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1},
        {0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 7}};
    unsigned char from_input[16] = {0};
    char *text = malloc(size + 1), *err = NULL;
    vallow_t *a;

    if (text == NULL)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    a = vallow_parse(text, &err);
    if (a == NULL && err != NULL)
        check_error(err);
    if (a != NULL && err != NULL)
        abort(); /* an error message for a list that parsed */
    if (a == NULL) {
        struct sockaddr_in s4 = v4(fixed4[0]);

        if (vallow_match(NULL, (struct sockaddr *)&s4))
            abort(); /* a broken list fails closed */
    }
    memcpy(from_input, data, size < 16 ? size : 16);
    for (size_t i = 0; a != NULL && i < sizeof(fixed4) / sizeof(*fixed4); i++)
        match_v4(a, fixed4[i]);
    for (size_t i = 0; a != NULL && i < sizeof(fixed6) / sizeof(*fixed6); i++)
        match_v6(a, fixed6[i]);
    if (a != NULL) {
        match_v4(a, from_input);
        match_v6(a, from_input);
    }
    vallow_free(a);
    free(err);
    free(text);
    return 0;
}
