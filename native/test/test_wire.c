/* Variable byte integers and fixed-header framing (tmq_frame). */
#include <string.h>
#include "harness.h"
#include "tinymqtt/packet.h"

static const struct { uint32_t v; uint8_t bytes[4]; int n; } vbis[] = {
    {0, {0x00}, 1},
    {127, {0x7F}, 1},
    {128, {0x80, 0x01}, 2},
    {16383, {0xFF, 0x7F}, 2},
    {16384, {0x80, 0x80, 0x01}, 3},
    {2097151, {0xFF, 0xFF, 0x7F}, 3},
    {2097152, {0x80, 0x80, 0x80, 0x01}, 4},
    {268435455, {0xFF, 0xFF, 0xFF, 0x7F}, 4},
};

TEST(vbi_boundaries_from_the_specification)
{
    unsigned i;
    for (i = 0; i < sizeof vbis / sizeof vbis[0]; i++) {
        uint8_t out[4];
        uint32_t v = 1234;
        CHECK_EQ(tmq_vbi_encode(out, vbis[i].v), vbis[i].n);
        CHECK_MEM(out, vbis[i].n, vbis[i].bytes, vbis[i].n);
        CHECK_EQ(tmq_vbi_decode(vbis[i].bytes, (uint32_t)vbis[i].n, &v), vbis[i].n);
        CHECK_EQ(v, vbis[i].v);
    }
}

TEST(vbi_rejects_too_large_and_five_bytes)
{
    uint8_t out[4];
    uint32_t v;
    static const uint8_t five[] = {0xFF, 0xFF, 0xFF, 0xFF, 0x7F};
    CHECK_EQ(tmq_vbi_encode(out, 268435456u), TMQ_ERR_TOO_LARGE);
    CHECK_EQ(tmq_vbi_decode(five, 5, &v), TMQ_ERR_VBI);
    CHECK_EQ(tmq_vbi_decode(five, 4, &v), TMQ_ERR_VBI);
}

TEST(vbi_rejects_non_minimal_and_reports_need_more)
{
    static const uint8_t zero2[] = {0x80, 0x00};
    static const uint8_t one3[] = {0x81, 0x80, 0x00};
    static const uint8_t open[] = {0x80, 0x80};
    uint32_t v;
    CHECK_EQ(tmq_vbi_decode(zero2, 2, &v), TMQ_ERR_VBI);
    CHECK_EQ(tmq_vbi_decode(one3, 3, &v), TMQ_ERR_VBI);
    CHECK_EQ(tmq_vbi_decode(open, 2, &v), 0);
    CHECK_EQ(tmq_vbi_decode(open, 0, &v), 0);
}

TEST(frame_reports_total_length_or_need_more)
{
    static const uint8_t pub[] = {0x30, 0x80, 0x01};
    CHECK_EQ(tmq_frame(pub, 0, 4), 0);
    CHECK_EQ(tmq_frame(pub, 1, 4), 0);
    CHECK_EQ(tmq_frame(pub, 2, 4), 0);
    CHECK_EQ(tmq_frame(pub, 3, 4), 3 + 128);
}

TEST(frame_rejects_bad_headers_early)
{
    static const uint8_t t0[] = {0x00, 0x00}, auth[] = {0xF0, 0x00}, q3[] = {0x36, 0x00},
                         dup0[] = {0x38, 0x00}, sub0[] = {0x80, 0x00}, ack1[] = {0x41, 0x02},
                         long5[] = {0x30, 0xFF, 0xFF, 0xFF, 0xFF, 0x01};
    CHECK_EQ(tmq_frame(t0, 2, 4), TMQ_ERR_TYPE);
    CHECK_EQ(tmq_frame(auth, 2, 4), TMQ_ERR_TYPE);
    CHECK_EQ(tmq_frame(auth, 2, 5), 2);
    CHECK_EQ(tmq_frame(auth, 2, 0), 2); /* version not known yet (broker before CONNECT) */
    CHECK_EQ(tmq_frame(q3, 2, 4), TMQ_ERR_QOS);
    CHECK_EQ(tmq_frame(dup0, 2, 4), TMQ_ERR_DUP);
    CHECK_EQ(tmq_frame(sub0, 2, 4), TMQ_ERR_FLAGS);
    CHECK_EQ(tmq_frame(ack1, 2, 4), TMQ_ERR_FLAGS);
    CHECK_EQ(tmq_frame(long5, 6, 4), TMQ_ERR_VBI);
}

TEST(frame_allows_dup_on_31_resends_only)
{
    static const uint8_t sub_dup[] = {0x8A, 0x00}, pubrel_dup[] = {0x6A, 0x02};
    CHECK_EQ(tmq_frame(sub_dup, 2, 3), 2);
    CHECK_EQ(tmq_frame(pubrel_dup, 2, 3), 4);
    CHECK_EQ(tmq_frame(sub_dup, 2, 4), TMQ_ERR_FLAGS);
    CHECK_EQ(tmq_frame(pubrel_dup, 2, 5), TMQ_ERR_FLAGS);
}

TEST(strerror_names_every_code)
{
    int e;
    for (e = 0; e >= TMQ_ERR_TOPIC_ALIAS; e--)
        CHECK(strcmp(tmq_strerror(e), "TMQ_ERR_UNKNOWN") != 0);
    CHECK(!strcmp(tmq_strerror(TMQ_OK), "TMQ_OK"));
    CHECK(!strcmp(tmq_strerror(TMQ_ERR_UTF8), "TMQ_ERR_UTF8"));
    CHECK(!strcmp(tmq_strerror(TMQ_ERR_ARG), "TMQ_ERR_ARG"));
    CHECK(!strcmp(tmq_strerror(TMQ_ERR_RETAIN_NOT_SUPPORTED), "TMQ_ERR_RETAIN_NOT_SUPPORTED"));
    CHECK(!strcmp(tmq_strerror(TMQ_ERR_STORE), "TMQ_ERR_STORE"));
    CHECK(!strcmp(tmq_strerror(TMQ_ERR_SESSION_PRESENT), "TMQ_ERR_SESSION_PRESENT"));
    CHECK(!strcmp(tmq_strerror(TMQ_ERR_WS_HANDSHAKE), "TMQ_ERR_WS_HANDSHAKE"));
    CHECK(!strcmp(tmq_strerror(TMQ_ERR_WS_FRAME), "TMQ_ERR_WS_FRAME"));
    CHECK(!strcmp(tmq_strerror(TMQ_ERR_TOPIC_ALIAS), "TMQ_ERR_TOPIC_ALIAS"));
    CHECK(!strcmp(tmq_strerror(TMQ_ERR_TOPIC_ALIAS - 1), "TMQ_ERR_UNKNOWN"));
    CHECK(!strcmp(tmq_strerror(-99), "TMQ_ERR_UNKNOWN"));
    CHECK(!strcmp(tmq_strerror(1), "TMQ_ERR_UNKNOWN"));
}
