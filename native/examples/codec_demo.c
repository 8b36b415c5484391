/* codec_demo: an MQTT session between a client and a tiny embedded broker in
 * one process, both built on tinymqtt's codec and incremental reader, with
 * no network and no broker installed. Each packet is printed as it crosses.
 *   codec_demo [3|4|5]      protocol level (default 5)
 * The broker knows one subscription and routes PUBLISH by wildcard match. At
 * the end the broker sends a packet whose topic length lies, and the client
 * refuses it with a distinct error instead of reading past the packet. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "tinymqtt/packet.h"
#include "tinymqtt/reader.h"
#include "tinymqtt/topic.h"

#define BIN(s) ((tmq_bin){(const uint8_t *)(s), (uint32_t)strlen(s)})

static const char *const names[] = {"?", "CONNECT", "CONNACK", "PUBLISH", "PUBACK", "PUBREC", "PUBREL",
                                    "PUBCOMP", "SUBSCRIBE", "SUBACK", "UNSUBSCRIBE", "UNSUBACK",
                                    "PINGREQ", "PINGRESP", "DISCONNECT", "AUTH"};

/* One direction of the in-memory link: a reader the receiver drains. */
typedef struct {
    const char *label;
    uint8_t mem[512];
    tmq_reader in;
} link;

static uint8_t version = TMQ_V5;
static uint8_t subscription[64]; /* the broker's one subscription */
static uint32_t subscription_len;

static void die(const char *what, int rc)
{
    fprintf(stderr, "codec_demo: %s: %s\n", what, tmq_strerror(rc));
    exit(1);
}

/* Encodes pkt and delivers its bytes to the other side, printing them. */
static void send_packet(link *to, tmq_packet *pkt)
{
    uint8_t buf[256];
    int32_t i, n;
    pkt->version = version;
    n = tmq_encode(buf, sizeof buf, pkt);
    if (n < 0)
        die("encode", n);
    printf("%-18s %-11s", to->label, names[pkt->type]);
    for (i = 0; i < n && i < 24; i++)
        printf(" %02x", buf[i]);
    printf("%s\n", n > 24 ? " ..." : "");
    if (tmq_reader_feed(&to->in, buf, (uint32_t)n) != (uint32_t)n)
        die("link full", TMQ_ERR_TOO_LARGE);
}

/* Takes the next whole packet from a link and decodes it; 0 if none. */
static int receive(link *from, tmq_packet *pkt)
{
    const uint8_t *bytes;
    uint32_t len;
    int32_t rc = tmq_reader_next(&from->in, &bytes, &len);
    if (rc < 0)
        die("frame", rc);
    if (rc == 0)
        return 0;
    rc = tmq_decode(bytes, len, version, pkt);
    if (rc < 0)
        die("decode", rc);
    return 1;
}

/* The embedded broker: answers each packet the client sent. */
static void broker_step(link *from_client, link *to_client)
{
    static uint16_t next_id = 100;
    static uint8_t granted[1];
    tmq_packet in, out;
    while (receive(from_client, &in)) {
        memset(&out, 0, sizeof out);
        switch (in.type) {
        case TMQ_CONNECT:
            out.type = TMQ_CONNACK;
            break;
        case TMQ_SUBSCRIBE: {
            tmq_bin cursor = in.u.subs.raw;
            tmq_sub sub;
            tmq_sub_next(&cursor, TMQ_SUBSCRIBE, &sub);
            /* sub.filter is a view into the link's buffer: keep a copy */
            subscription_len = sub.filter.len < sizeof subscription ? sub.filter.len : 0;
            memcpy(subscription, sub.filter.p, subscription_len);
            granted[0] = sub.opts & TMQ_SUB_QOS_MASK;
            out.type = TMQ_SUBACK;
            out.id = in.id;
            out.u.codes.p = granted;
            out.u.codes.count = 1;
            break;
        }
        case TMQ_PUBLISH:
            if (subscription_len &&
                tmq_topic_match(subscription, subscription_len, in.u.publish.topic.p, in.u.publish.topic.len)) {
                out = in;
                out.id = next_id++;
                out.props.raw.len = 0;
                send_packet(to_client, &out);
                memset(&out, 0, sizeof out);
            }
            if (!in.u.publish.qos)
                continue;
            out.type = TMQ_PUBACK;
            out.id = in.id;
            break;
        case TMQ_PINGREQ:
            out.type = TMQ_PINGRESP;
            break;
        default: /* PUBACK from the client, DISCONNECT */
            continue;
        }
        send_packet(to_client, &out);
    }
}

/* The client's side: prints what it received, acknowledges QoS 1. */
static void client_step(link *from_broker, link *to_broker)
{
    tmq_packet in, ack;
    while (receive(from_broker, &in)) {
        if (in.type == TMQ_PUBLISH) {
            printf("%18s message on %.*s: %.*s\n", "", (int)in.u.publish.topic.len,
                   (const char *)in.u.publish.topic.p, (int)in.u.publish.payload.len,
                   (const char *)in.u.publish.payload.p);
            memset(&ack, 0, sizeof ack);
            ack.type = TMQ_PUBACK;
            ack.id = in.id;
            send_packet(to_broker, &ack);
        } else if (in.type == TMQ_SUBACK) {
            printf("%18s granted QoS %u\n", "", in.u.codes.p[0]);
        }
    }
}

int main(int argc, char **argv)
{
    static link up = {.label = "client -> broker"}, down = {.label = "broker -> client"};
    static const uint8_t liar[] = {0x30, 0x05, 0x00, 0x40, 'a', '/', 'b'}; /* topic claims 64 bytes */
    static tmq_sub sub;
    tmq_packet p;
    int32_t rc;
    if (argc > 1)
        version = (uint8_t)atoi(argv[1]);
    if (version < TMQ_V31 || version > TMQ_V5) {
        fprintf(stderr, "usage: codec_demo [3|4|5]\n");
        return 2;
    }
    tmq_reader_init(&up.in, up.mem, sizeof up.mem, version);
    tmq_reader_init(&down.in, down.mem, sizeof down.mem, version);
    printf("tinymqtt codec demo, MQTT protocol level %u, embedded broker\n\n", version);

    memset(&p, 0, sizeof p);
    p.type = TMQ_CONNECT;
    p.u.connect.client_id = BIN("demo-client");
    p.u.connect.clean = 1;
    p.u.connect.keepalive = 30;
    send_packet(&up, &p);
    broker_step(&up, &down);
    client_step(&down, &up);

    memset(&p, 0, sizeof p);
    sub.filter = BIN("sensors/+/temp");
    sub.opts = 1;
    p.type = TMQ_SUBSCRIBE;
    p.id = 1;
    p.u.subs.list = &sub;
    p.u.subs.count = 1;
    send_packet(&up, &p);
    broker_step(&up, &down);
    client_step(&down, &up);

    memset(&p, 0, sizeof p);
    p.type = TMQ_PUBLISH;
    p.id = 2;
    p.u.publish.qos = 1;
    p.u.publish.topic = BIN("sensors/kitchen/temp");
    p.u.publish.payload = BIN("21.5");
    send_packet(&up, &p);
    broker_step(&up, &down);
    client_step(&down, &up);
    broker_step(&up, &down);

    memset(&p, 0, sizeof p);
    p.type = TMQ_PUBLISH;
    p.version = version;
    p.u.publish.topic = BIN("sensors/kitchen/+");
    rc = tmq_encode(0, 0, &p);
    printf("\npublish to a wildcard topic is refused before sending: %s\n", tmq_strerror(rc));

    rc = tmq_decode(liar, sizeof liar, version, &p);
    printf("a PUBLISH whose topic length runs past the packet: %s\n\n", tmq_strerror(rc));

    memset(&p, 0, sizeof p);
    p.type = TMQ_PINGREQ;
    send_packet(&up, &p);
    broker_step(&up, &down);
    client_step(&down, &up);
    p.type = TMQ_DISCONNECT;
    send_packet(&up, &p);
    broker_step(&up, &down);
    printf("\nsession complete\n");
    return rc == TMQ_ERR_TOPIC_LENGTH ? 0 : 1;
}
