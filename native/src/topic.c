/* UTF-8 validation, topic names and filters, shared subscriptions, matching. */
#include <string.h>
#include "tinymqtt/packet.h"
#include "tinymqtt/topic.h"

int tmq_utf8_check(const uint8_t *s, uint32_t len)
{
    uint32_t c = 0, min = 0;
    int need = 0; /* continuation bytes still expected */
    if (len > 0xFFFFu)
        return TMQ_ERR_TOO_LARGE;
    while (len--) {
        uint8_t b = *s++;
        if (need) {
            if ((b & 0xC0u) != 0x80u)
                return TMQ_ERR_UTF8;
            c = (c << 6) | (b & 0x3Fu);
            /* overlong forms, beyond U+10FFFF, surrogates U+D800-U+DFFF */
            if (!--need && (c < min || c > 0x10FFFFu || (c >> 11) == 0x1Bu))
                return TMQ_ERR_UTF8;
        } else if (b >= 0xC0u && b < 0xF8u) {
            need = b >= 0xF0u ? 3 : b >= 0xE0u ? 2 : 1;
            min = need == 3 ? 0x10000u : 0x80u << (4 * (need - 1));
            c = b & (0x3Fu >> need);
        } else if (b == 0 || b >= 0x80u) {
            return TMQ_ERR_UTF8; /* U+0000, a stray continuation byte, 0xF8-0xFF */
        }
    }
    return need ? TMQ_ERR_UTF8 : TMQ_OK;
}

/* Nonzero if s (len bytes) holds a wildcard character. */
static int has_wildcard(const uint8_t *s, uint32_t len)
{
    while (len--)
        if (s[len] == '+' || s[len] == '#')
            return 1;
    return 0;
}

int tmq_topic_check(const uint8_t *t, uint32_t len)
{
    int rc = tmq_utf8_check(t, len);
    if (rc)
        return rc;
    return !len || has_wildcard(t, len) ? TMQ_ERR_TOPIC : TMQ_OK;
}

/* Offset of the inner filter of "$share/group/filter" (the byte after the
 * group's '/'), or 0 if f does not start with "$share/". The group may be
 * empty or unterminated here; tmq_filter_check rejects those. */
static uint32_t share_inner(const uint8_t *f, uint32_t len)
{
    uint32_t i = 7;
    if (len < i || memcmp(f, "$share/", i) != 0)
        return 0;
    while (i < len && f[i] != '/')
        i++;
    return i + 1;
}

#if TMQ_WITH_V5 || TMQ_WITH_SERVER
int tmq_share_split(const uint8_t *f, uint32_t len,
                    const uint8_t **group, uint32_t *group_len,
                    const uint8_t **filter, uint32_t *filter_len)
{
    uint32_t inner = share_inner(f, len);
    if (!inner)
        return 0;
    if (group) {
        *group = f + 7;
        *group_len = inner - 8;
    }
    if (filter) {
        *filter = f + (inner < len ? inner : len);
        *filter_len = inner < len ? len - inner : 0;
    }
    return 1;
}
#endif

int tmq_filter_check(const uint8_t *f, uint32_t len)
{
    uint32_t start = share_inner(f, len), i;
    int rc = tmq_utf8_check(f, len);
    if (rc)
        return rc;
    /* the group: not empty, no wildcards, a filter after it */
    if (start && (start == 8 || has_wildcard(f + 7, start - 8) || start >= len))
        return TMQ_ERR_SHARED;
    if (start == len)
        return TMQ_ERR_FILTER;
    for (i = start; i < len; i++) {
        int level_start = i == start || f[i - 1] == '/';
        if (f[i] == '+' && !(level_start && (i + 1 == len || f[i + 1] == '/')))
            return TMQ_ERR_FILTER;
        if (f[i] == '#' && !(level_start && i + 1 == len))
            return TMQ_ERR_FILTER;
    }
    return TMQ_OK;
}

int tmq_topic_match(const uint8_t *f, uint32_t flen, const uint8_t *t, uint32_t tlen)
{
    const uint8_t *fe = f + flen, *te = t + tlen;
    uint32_t inner = share_inner(f, flen);
    if (inner > flen)
        return 0; /* "$share/group" with no filter matches nothing */
    f += inner;
    if (t < te && *t == '$' && f < fe && (*f == '+' || *f == '#'))
        return 0;
    for (;;) {
        if (f == fe)
            return t == te;
        if (*f == '#')
            return 1;
        if (*f == '+') {
            f++;
            while (t < te && *t != '/')
                t++;
        } else if (t < te && *t == *f) {
            f++;
            t++;
        } else {
            /* "a/#" also matches "a" */
            return t == te && fe - f == 2 && f[0] == '/' && f[1] == '#';
        }
    }
}
