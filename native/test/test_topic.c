/* UTF-8 strings, topic names, filters, shared subscriptions and matching. */
#include <string.h>
#include "harness.h"
#include "tinymqtt/topic.h"

#define S(lit) (const uint8_t *)(lit), (uint32_t)(sizeof(lit) - 1)

static int match(const char *f, const char *t)
{
    return tmq_topic_match((const uint8_t *)f, (uint32_t)strlen(f), (const uint8_t *)t, (uint32_t)strlen(t));
}

static int filter(const char *f)
{
    return tmq_filter_check((const uint8_t *)f, (uint32_t)strlen(f));
}

static int topic(const char *t)
{
    return tmq_topic_check((const uint8_t *)t, (uint32_t)strlen(t));
}

TEST(utf8_accepts_every_sequence_length)
{
    CHECK_EQ(tmq_utf8_check(S("a/b")), TMQ_OK);
    CHECK_EQ(tmq_utf8_check(S("\xc3\xa9")), TMQ_OK);          /* U+00E9 */
    CHECK_EQ(tmq_utf8_check(S("\xe4\xb8\xad\xe6\x96\x87")), TMQ_OK); /* CJK */
    CHECK_EQ(tmq_utf8_check(S("\xf0\x9f\x98\x80")), TMQ_OK);  /* U+1F600 */
    CHECK_EQ(tmq_utf8_check(S("\xf4\x8f\xbf\xbf")), TMQ_OK);  /* U+10FFFF */
    CHECK_EQ(tmq_utf8_check(S("\xed\x9f\xbf")), TMQ_OK);      /* U+D7FF, just below surrogates */
    CHECK_EQ(tmq_utf8_check(S("\xee\x80\x80")), TMQ_OK);      /* U+E000, just above */
    CHECK_EQ(tmq_utf8_check(0, 0), TMQ_OK);
}

TEST(utf8_rejects_nul_surrogates_overlong_and_broken)
{
    CHECK_EQ(tmq_utf8_check((const uint8_t *)"a\0b", 3), TMQ_ERR_UTF8);
    CHECK_EQ(tmq_utf8_check(S("\xed\xa0\x80")), TMQ_ERR_UTF8);     /* U+D800 */
    CHECK_EQ(tmq_utf8_check(S("\xed\xbf\xbf")), TMQ_ERR_UTF8);     /* U+DFFF */
    CHECK_EQ(tmq_utf8_check(S("\xc0\x80")), TMQ_ERR_UTF8);         /* overlong U+0000 */
    CHECK_EQ(tmq_utf8_check(S("\xc1\xbf")), TMQ_ERR_UTF8);         /* overlong 2-byte */
    CHECK_EQ(tmq_utf8_check(S("\xe0\x9f\xbf")), TMQ_ERR_UTF8);     /* overlong 3-byte */
    CHECK_EQ(tmq_utf8_check(S("\xf0\x8f\xbf\xbf")), TMQ_ERR_UTF8); /* overlong 4-byte */
    CHECK_EQ(tmq_utf8_check(S("\xf4\x90\x80\x80")), TMQ_ERR_UTF8); /* U+110000 */
    CHECK_EQ(tmq_utf8_check(S("\xf8\x88\x80\x80\x80")), TMQ_ERR_UTF8);
    CHECK_EQ(tmq_utf8_check(S("\x80")), TMQ_ERR_UTF8);             /* stray continuation */
    CHECK_EQ(tmq_utf8_check(S("\xe4\xb8")), TMQ_ERR_UTF8);         /* truncated */
    CHECK_EQ(tmq_utf8_check(S("\xe4" "a" "\xad")), TMQ_ERR_UTF8);  /* interrupted */
    CHECK_EQ(tmq_utf8_check(S("\xff")), TMQ_ERR_UTF8);
}

TEST(utf8_length_limit_is_65535)
{
    static uint8_t big[65536];
    memset(big, 'a', sizeof big);
    CHECK_EQ(tmq_utf8_check(big, 65535), TMQ_OK);
    CHECK_EQ(tmq_utf8_check(big, 65536), TMQ_ERR_TOO_LARGE);
    CHECK_EQ(tmq_topic_check(big, 65536), TMQ_ERR_TOO_LARGE);
}

TEST(topic_names)
{
    CHECK_EQ(topic("a"), TMQ_OK);
    CHECK_EQ(topic("/"), TMQ_OK);
    CHECK_EQ(topic("a//b/"), TMQ_OK);
    CHECK_EQ(topic("$SYS/broker"), TMQ_OK);
    CHECK_EQ(topic(""), TMQ_ERR_TOPIC);
    CHECK_EQ(topic("a/+"), TMQ_ERR_TOPIC);
    CHECK_EQ(topic("#"), TMQ_ERR_TOPIC);
    CHECK_EQ(topic("a+b"), TMQ_ERR_TOPIC);
    CHECK_EQ(tmq_topic_check(S("a\xc0\x80")), TMQ_ERR_UTF8);
}

TEST(filters_valid)
{
    const char *ok[] = {"a", "#", "+", "/", "a/#", "a/+/b", "+/+", "/+", "+/", "a//b", "$SYS/#",
                        "sport/tennis/+", "$share/g/a/#", "$share/group/+", "$share", "$sharex/a"};
    unsigned i;
    for (i = 0; i < sizeof ok / sizeof ok[0]; i++)
        CHECK_EQ(filter(ok[i]), TMQ_OK);
}

TEST(filters_invalid)
{
    CHECK_EQ(filter(""), TMQ_ERR_FILTER);
    CHECK_EQ(filter("a/#/b"), TMQ_ERR_FILTER);
    CHECK_EQ(filter("a#"), TMQ_ERR_FILTER);
    CHECK_EQ(filter("#/"), TMQ_ERR_FILTER);
    CHECK_EQ(filter("a+"), TMQ_ERR_FILTER);
    CHECK_EQ(filter("+a"), TMQ_ERR_FILTER);
    CHECK_EQ(filter("a/b+/c"), TMQ_ERR_FILTER);
    CHECK_EQ(filter("++"), TMQ_ERR_FILTER);
    CHECK_EQ(filter("$share/g/a+"), TMQ_ERR_FILTER);
    CHECK_EQ(tmq_filter_check(S("a/\xed\xa0\x80")), TMQ_ERR_UTF8);
}

TEST(shared_subscription_syntax)
{
    const uint8_t *g = 0, *f = 0;
    uint32_t glen = 0, flen = 0;
    CHECK_EQ(filter("$share/"), TMQ_ERR_SHARED);
    CHECK_EQ(filter("$share//a"), TMQ_ERR_SHARED);
    CHECK_EQ(filter("$share/g"), TMQ_ERR_SHARED);
    CHECK_EQ(filter("$share/g/"), TMQ_ERR_SHARED);
    CHECK_EQ(filter("$share/g+/a"), TMQ_ERR_SHARED);
    CHECK_EQ(filter("$share/#/a"), TMQ_ERR_SHARED);
    CHECK_EQ(tmq_share_split(S("$share/grp/a/b"), &g, &glen, &f, &flen), 1);
    CHECK_MEM(g, glen, "grp", 3);
    CHECK_MEM(f, flen, "a/b", 3);
    CHECK_EQ(tmq_share_split(S("a/b"), &g, &glen, &f, &flen), 0);
}

TEST(match_literal_and_single_level)
{
    CHECK(match("a/b", "a/b"));
    CHECK(!match("a/b", "a/bc"));
    CHECK(!match("a/bc", "a/b"));
    CHECK(!match("a/b", "a"));
    CHECK(!match("a", "a/b"));
    CHECK(match("a/+", "a/b"));
    CHECK(match("a/+", "a/"));
    CHECK(!match("a/+", "a"));
    CHECK(!match("a/+", "a/b/c"));
    CHECK(match("+/+", "/"));
    CHECK(match("/+", "/x"));
    CHECK(match("+", "abc"));
    CHECK(!match("+", "/"));
    CHECK(match("a/+/c", "a/b/c"));
    CHECK(!match("a/+/c", "a/b/d"));
}

TEST(match_multi_level)
{
    CHECK(match("#", "a"));
    CHECK(match("#", "a/b/c"));
    CHECK(match("#", "/"));
    CHECK(match("a/#", "a"));        /* the parent level matches too */
    CHECK(match("a/#", "a/"));
    CHECK(match("a/#", "a/b/c"));
    CHECK(!match("a/#", "ab"));
    CHECK(!match("a/#", "b/a"));
    CHECK(match("+/#", "a"));
    CHECK(match("a/+/#", "a/b"));
}

TEST(match_dollar_topics_not_by_leading_wildcard)
{
    CHECK(!match("#", "$SYS/x"));
    CHECK(!match("+/x", "$SYS/x"));
    CHECK(!match("+", "$x"));
    CHECK(match("$SYS/#", "$SYS/x"));
    CHECK(match("$SYS/+", "$SYS/x"));
    CHECK(match("a/#", "a/$x"));
}

TEST(match_shared_uses_inner_filter)
{
    CHECK(match("$share/g/a/+", "a/b"));
    CHECK(match("$share/g/#", "x/y"));
    CHECK(!match("$share/g/#", "$SYS/x"));
    CHECK(!match("$share/g/a", "b"));
    CHECK(!match("$share/g", "g"));   /* invalid, and still never read past the filter */
    CHECK(!match("$share/", "x"));
}
