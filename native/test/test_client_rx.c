/* Receive memory on demand (TMQ_WITH_RX_GROW): a packet larger than rx is
 * read into a buffer the rx_grow hook lends for that one packet and gives
 * back after; a packet larger than the client accepts ends the connection
 * for good, so a kept session cannot bring it back on every reconnect. */
#include <string.h>
#include "client_fixture.h"
#include "harness.h"

/* what the hook was asked and what the message callback saw */
static struct {
    uint8_t big[1024];
    uint32_t asked[8];
    int calls, refuse;
    uint32_t lens[8];
    int messages;
} R;

static uint8_t *grow(tmq_client *c, uint32_t size)
{
    (void)c;
    if (R.calls < 8)
        R.asked[R.calls] = size;
    R.calls++;
    return size && !R.refuse && size <= sizeof R.big ? R.big : 0;
}

static void on_message_len(tmq_client *c, const tmq_packet *p)
{
    (void)c;
    if (R.messages < 8)
        R.lens[R.messages] = p->u.publish.payload.len;
    R.messages++;
}

/* A client with the 256-byte rx of the fixture and the hook, accepting
 * packets up to rx_max bytes, reconnecting after 100 ms. */
static int setup_grow(uint8_t version, uint32_t rx_max)
{
    memset(&R, 0, sizeof R);
    if (setup(version) != TMQ_OK)
        return -1;
    F.ev.message = on_message_len;
    F.mem.rx_grow = grow;
    F.mem.rx_max = rx_max;
    F.cfg.reconnect_delay_ms = 100;
    return tmq_client_init(&F.c, &F.cfg, &F.ev, &F.mem, &F.pipe.base);
}

/* The broker sends a QoS 1 PUBLISH to "t" with `len` (< 1024) bytes of payload. */
static void broker_publish_len(uint32_t len, uint16_t id)
{
    static char body[1024];
    memset(body, 'x', len);
    body[len] = 0;
    broker_publish("t", body, 1, id, 0);
}

TEST(rx_grow_lends_a_buffer_for_one_larger_packet)
{
    CHECK_EQ(setup_grow(TMQ_V311, 1024), TMQ_OK);
    CHECK_EQ(connect_ready(0), 0);
    /* 600 bytes of payload: 1 + 2 + 2 + 1 + 2 + 600 = 608 bytes, then a
     * small one in the same burst, which must not land in the lent buffer */
    broker_publish_len(600, 1);
    broker_publish_len(10, 2);
    CHECK_EQ(poll_at(F.now), TMQ_STATE_READY);
    CHECK_EQ(R.messages, 2);
    CHECK_EQ(R.lens[0], 600);
    CHECK_EQ(R.lens[1], 10);
    CHECK_EQ(R.calls, 2);
    CHECK_EQ(R.asked[0], 608);
    CHECK_EQ(R.asked[1], 0); /* given back once handled */
    CHECK(F.c.reader.buf == F.rx);
    CHECK_EQ(broker_pop(), TMQ_PUBACK);
    CHECK_EQ(broker_pop(), TMQ_PUBACK);
}

TEST(rx_grow_given_back_when_the_connection_ends_mid_packet)
{
    static const uint8_t head[] = {0x30, 0xE0, 0x04, 0x00, 0x01, 't'}; /* announces 608 bytes */
    CHECK_EQ(setup_grow(TMQ_V311, 1024), TMQ_OK);
    CHECK_EQ(connect_ready(0), 0);
    pipe_push(&F.pipe, head, sizeof head);
    CHECK_EQ(poll_at(F.now), TMQ_STATE_READY);
    CHECK_EQ(R.calls, 1);
    F.pipe.peer_closed = 1;
    CHECK_EQ(poll_at(F.now), TMQ_STATE_WAITING_RECONNECT);
    CHECK_EQ(F.disconnect_err, TMQ_ERR_CLOSED);
    CHECK_EQ(R.calls, 2);
    CHECK_EQ(R.asked[1], 0);
    CHECK(F.c.reader.buf == F.rx);
    CHECK_EQ(R.messages, 0);
}

/* Beyond rx_max, or when the hook has no memory: TMQ_ERR_TOO_LARGE, and no
 * reconnect (the broker would send it again into a kept session). */
TEST(rx_beyond_what_the_client_accepts_ends_reconnecting)
{
    int refuse;
    for (refuse = 0; refuse < 2; refuse++) {
        CHECK_EQ(setup_grow(TMQ_V311, refuse ? 1024 : 512), TMQ_OK);
        CHECK_EQ(connect_ready(0), 0);
        R.refuse = refuse;
        broker_publish_len(600, 1);
        CHECK_EQ(poll_at(F.now), TMQ_STATE_DISCONNECTED);
        CHECK_EQ(F.disconnect_err, TMQ_ERR_TOO_LARGE);
        CHECK_EQ(R.messages, 0);
        CHECK_EQ(R.calls, refuse ? 1 : 0);
        CHECK_EQ(poll_at(F.now + 1000), TMQ_STATE_DISCONNECTED);
    }
}

TEST(rx_grow_v5_announces_rx_max)
{
    tmq_prop p;
    CHECK_EQ(setup_grow(TMQ_V5, 1000), TMQ_OK);
    CHECK_EQ(connect_sent(), 0);
    CHECK_EQ(tmq_prop_find(&F.pkt.props, TMQ_PROP_MAXIMUM_PACKET_SIZE, &p), 1);
    CHECK_EQ(p.num, 1000);
}

/* tmq_client_buffers_empty: nothing unwritten, nothing half received, no
 * lent buffer; what the binding checks before giving the buffers' memory
 * back. */
TEST(buffers_empty_only_when_nothing_is_pending_in_them)
{
    static const uint8_t head[] = {0x30, 0xE0, 0x04, 0x00, 0x01, 't'}; /* announces 608 bytes */
    static const uint8_t small_head[] = {0x30, 0x05, 0x00};             /* 3 of a 7-byte PUBLISH */
    CHECK_EQ(setup_grow(TMQ_V311, 1024), TMQ_OK);
    CHECK_EQ(connect_ready(0), 0);
    CHECK(tmq_client_buffers_empty(&F.c));
    /* unwritten: the socket takes nothing */
    F.pipe.write_blocked = 1;
    CHECK_EQ(tmq_client_publish(&F.c, BIN("t"), BIN("x"), 0, 0, 0, 0), 0);
    CHECK_EQ(poll_at(F.now), TMQ_STATE_READY);
    CHECK(!tmq_client_buffers_empty(&F.c));
    F.pipe.write_blocked = 0;
    CHECK_EQ(poll_at(F.now), TMQ_STATE_READY);
    CHECK(tmq_client_buffers_empty(&F.c));
    CHECK_EQ(broker_pop(), TMQ_PUBLISH);
    /* half a packet in rx */
    pipe_push(&F.pipe, small_head, sizeof small_head);
    CHECK_EQ(poll_at(F.now), TMQ_STATE_READY);
    CHECK(!tmq_client_buffers_empty(&F.c));
    pipe_push(&F.pipe, (const uint8_t *)"\x01tab", 4);
    CHECK_EQ(poll_at(F.now), TMQ_STATE_READY);
    CHECK_EQ(R.messages, 1);
    CHECK(tmq_client_buffers_empty(&F.c));
    /* half a packet in a lent buffer */
    pipe_push(&F.pipe, head, sizeof head);
    CHECK_EQ(poll_at(F.now), TMQ_STATE_READY);
    CHECK_EQ(R.calls, 1);
    CHECK(!tmq_client_buffers_empty(&F.c));
}
