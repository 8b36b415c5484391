/* The incremental reader: chunking, zero-copy hand-out, limits, errors. */
#include <string.h>
#include "harness.h"
#include "tinymqtt/packet.h"
#include "tinymqtt/reader.h"

/* CONNACK, PUBLISH "a/b" "hello" QoS 1 id 10, PINGRESP, SUBACK id 2 [1] */
static const uint8_t stream[] = {
    0x20, 0x02, 0x00, 0x00,
    0x32, 0x0C, 0x00, 0x03, 'a', '/', 'b', 0x00, 0x0A, 'h', 'e', 'l', 'l', 'o',
    0xD0, 0x00,
    0x90, 0x03, 0x00, 0x02, 0x01,
};
static const uint32_t lengths[] = {4, 14, 2, 5};

/* Feeds `stream` in chunks of `chunk` bytes through a reader with a cap-byte
 * buffer and checks every packet comes out whole and in order. */
static int run_chunks(uint32_t chunk, uint32_t cap)
{
    uint8_t buf[64];
    tmq_reader r;
    uint32_t off = 0, got = 0, at = 0;
    tmq_reader_init(&r, buf, cap, 4);
    while (got < 4) {
        const uint8_t *pkt;
        uint32_t len;
        int rc = tmq_reader_next(&r, &pkt, &len);
        if (rc < 0)
            return -1;
        if (rc == 1) {
            if (len != lengths[got] || memcmp(pkt, stream + at, len) != 0)
                return -2;
            at += len;
            got++;
            continue;
        }
        if (off == sizeof stream)
            return -3;
        off += tmq_reader_feed(&r, stream + off,
                               off + chunk > sizeof stream ? (uint32_t)sizeof stream - off : chunk);
    }
    return off == sizeof stream ? 0 : -4;
}

TEST(reader_one_byte_at_a_time)
{
    CHECK_EQ(run_chunks(1, 64), 0);
}

TEST(reader_every_chunk_size)
{
    uint32_t c;
    for (c = 1; c <= sizeof stream; c++)
        CHECK_EQ(run_chunks(c, 64), 0);
}

TEST(reader_buffer_just_large_enough_for_the_largest_packet)
{
    uint32_t c;
    for (c = 1; c <= sizeof stream; c++)
        CHECK_EQ(run_chunks(c, 14), 0);
}

TEST(reader_hands_out_packets_in_place)
{
    uint8_t buf[64];
    uint8_t *dst;
    const uint8_t *pkt;
    uint32_t len;
    tmq_reader r;
    tmq_reader_init(&r, buf, sizeof buf, 4);
    CHECK(tmq_reader_space(&r, &dst) == sizeof buf);
    CHECK(dst == buf);
    memcpy(dst, stream, sizeof stream);
    tmq_reader_commit(&r, sizeof stream);
    CHECK_EQ(tmq_reader_next(&r, &pkt, &len), 1);
    CHECK(pkt == buf);
    CHECK_EQ(tmq_reader_next(&r, &pkt, &len), 1);
    CHECK(pkt == buf + 4); /* no copy: the second packet is where it was received */
    CHECK_EQ(len, 14);
}

TEST(reader_packet_larger_than_buffer_is_an_error_and_sticky)
{
    uint8_t buf[8];
    const uint8_t *pkt;
    uint32_t len;
    tmq_reader r;
    tmq_reader_init(&r, buf, sizeof buf, 4);
    CHECK_EQ(tmq_reader_feed(&r, stream + 4, 8), 8);
    CHECK_EQ(tmq_reader_next(&r, &pkt, &len), TMQ_ERR_TOO_LARGE);
    CHECK_EQ(tmq_reader_next(&r, &pkt, &len), TMQ_ERR_TOO_LARGE);
}

TEST(reader_bad_header_is_an_error)
{
    static const uint8_t bad[] = {0x20, 0x02, 0x00, 0x00, 0x36, 0x00};
    uint8_t buf[16];
    const uint8_t *pkt;
    uint32_t len;
    tmq_reader r;
    tmq_reader_init(&r, buf, sizeof buf, 4);
    tmq_reader_feed(&r, bad, sizeof bad);
    CHECK_EQ(tmq_reader_next(&r, &pkt, &len), 1);
    CHECK_EQ(tmq_reader_next(&r, &pkt, &len), TMQ_ERR_QOS);
}

TEST(reader_full_buffer_takes_nothing_until_drained)
{
    uint8_t buf[14];
    const uint8_t *pkt;
    uint32_t len;
    tmq_reader r;
    tmq_reader_init(&r, buf, sizeof buf, 4);
    CHECK_EQ(tmq_reader_feed(&r, stream, sizeof stream), 14);
    CHECK_EQ(tmq_reader_feed(&r, stream + 14, 1), 0);
    CHECK_EQ(tmq_reader_next(&r, &pkt, &len), 1);
    CHECK_EQ(len, 4);
    CHECK_EQ(tmq_reader_next(&r, &pkt, &len), 0);    /* PUBLISH not complete yet */
    CHECK_EQ(tmq_reader_feed(&r, stream + 14, 9), 4); /* tail moved to the front, 4 bytes of room */
    CHECK_EQ(tmq_reader_next(&r, &pkt, &len), 1);
    CHECK(pkt == buf);
    CHECK_MEM(pkt, len, stream + 4, 14);
}

TEST(reader_packets_decode_after_framing)
{
    uint8_t buf[32];
    const uint8_t *pkt;
    uint32_t len;
    tmq_packet p;
    tmq_reader r;
    tmq_reader_init(&r, buf, sizeof buf, 4);
    tmq_reader_feed(&r, stream, sizeof stream);
    CHECK_EQ(tmq_reader_next(&r, &pkt, &len), 1);
    CHECK_EQ(tmq_decode(pkt, len, 4, &p), 4);
    CHECK_EQ(p.type, TMQ_CONNACK);
    CHECK_EQ(tmq_reader_next(&r, &pkt, &len), 1);
    CHECK_EQ(tmq_decode(pkt, len, 4, &p), 14);
    CHECK_EQ(p.id, 10);
    CHECK_MEM(p.u.publish.payload.p, p.u.publish.payload.len, "hello", 5);
}

TEST(reader_buffer_too_small_for_the_header_is_an_error_not_a_stall)
{
    static const uint8_t big[] = {0x30, 0x80, 0x01};
    uint8_t buf[2];
    const uint8_t *pkt;
    uint32_t len;
    tmq_reader r;
    tmq_reader_init(&r, buf, sizeof buf, 4);
    CHECK_EQ(tmq_reader_feed(&r, big, sizeof big), 2);
    CHECK_EQ(tmq_reader_next(&r, &pkt, &len), TMQ_ERR_TOO_LARGE);
}
