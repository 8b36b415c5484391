/* A packet as one line of text (tinymqtt/describe.h): each type's fields,
 * the flags and a topic alias of a PUBLISH, 5.0 reasons, and a buffer too
 * small: the first cap bytes written, the whole length returned. */
#include <string.h>

#include "harness.h"
#include "tinymqtt/describe.h"

static tmq_bin text(const char *s)
{
    tmq_bin b;
    b.p = (const uint8_t *)s;
    b.len = (uint32_t)strlen(s);
    return b;
}

/* pkt's line, compared with want */
static int line_is(const tmq_packet *pkt, int out, uint32_t len, const char *want)
{
    char buf[256];
    size_t n = tmq_packet_describe(pkt, out, len, buf, sizeof buf);
    CHECK_MEM_R(buf, n, want, strlen(want), 0);
    return 1;
}

TEST(connect_connack_and_acks)
{
    tmq_packet p;
    memset(&p, 0, sizeof p);
    p.type = TMQ_CONNECT;
    p.u.connect.client_id = text("dev-1");
    p.u.connect.clean = 1;
    p.u.connect.keepalive = 60;
    CHECK(line_is(&p, 1, 19, "out CONNECT client id 'dev-1' clean=1 keepalive=60 (19 bytes)"));
    memset(&p, 0, sizeof p);
    p.type = TMQ_CONNACK;
    p.session_present = 1;
    p.reason = 0x87;
    CHECK(line_is(&p, 0, 4, "in CONNACK session present=1 reason=0x87 (4 bytes)"));
    memset(&p, 0, sizeof p);
    p.type = TMQ_PUBREL;
    p.id = 65535;
    CHECK(line_is(&p, 1, 4, "out PUBREL id=65535 (4 bytes)"));
    p.type = TMQ_PINGRESP;
    CHECK(line_is(&p, 0, 2, "in PINGRESP (2 bytes)"));
}

TEST(publish_flags_and_topic_alias)
{
    tmq_packet p;
    memset(&p, 0, sizeof p);
    p.type = TMQ_PUBLISH;
    p.id = 7;
    p.u.publish.qos = 2;
    p.u.publish.retain = 1;
    p.u.publish.dup = 1;
    p.u.publish.topic = text("a/b");
    p.u.publish.payload = text("hello");
    CHECK(line_is(&p, 0, 16, "in PUBLISH id=7 qos=2 retain dup topic 'a/b' payload 5 bytes (16 bytes)"));
    p.u.publish.retain = p.u.publish.dup = 0;
    p.u.publish.qos = 0;
    p.id = 0;
    p.u.publish.topic.len = 0;
    p.u.publish.payload.len = 4000000000u;
    CHECK(line_is(&p, 1, 4294967295u, "out PUBLISH id=0 qos=0 (topic alias) payload 4000000000 bytes (4294967295 bytes)"));
}

TEST(disconnect_reason_only_in_5)
{
    tmq_packet p;
    memset(&p, 0, sizeof p);
    p.type = TMQ_DISCONNECT;
    p.version = TMQ_V311;
    CHECK(line_is(&p, 1, 2, "out DISCONNECT (2 bytes)"));
    p.version = TMQ_V5;
    p.reason = 0x8e;
    CHECK(line_is(&p, 0, 4, "in DISCONNECT reason=0x8e (4 bytes)"));
    p.type = TMQ_AUTH;
    p.reason = 0x18;
    CHECK(line_is(&p, 1, 6, "out AUTH reason=0x18 (6 bytes)"));
}

TEST(a_small_buffer_gets_the_start_and_the_whole_length)
{
    static const char want[] = "out SUBSCRIBE id=12 (30 bytes)";
    tmq_packet p;
    char buf[8];
    memset(&p, 0, sizeof p);
    p.type = TMQ_SUBSCRIBE;
    p.id = 12;
    memset(buf, '#', sizeof buf);
    CHECK_EQ(tmq_packet_describe(&p, 1, 30, NULL, 0), strlen(want));
    CHECK_EQ(tmq_packet_describe(&p, 1, 30, buf, 5), strlen(want));
    CHECK_MEM(buf, sizeof buf, "out S###", 8);
}
