/* The session (session.h) written against Paho Embedded C's MQTTPacket API
 * (MQTTPacket.h), the way a Paho user writes a bare-metal client: serialize
 * a packet into a buffer and write it to the UART; read packets back with
 * MQTTPacket_read (blocking, for the CONNACK) and MQTTPacket_readnb
 * (non-blocking, from the main loop). Packet ids, acknowledgements, the
 * QoS 2 handshakes and the keepalive ping are the program's own, as they
 * are with Paho's packet layer. The same source builds against Paho's
 * MQTTPacket; built against tinymqtt's, every packet is validated and
 * every read bounded. MQTT 3.1.1. No heap: every buffer is static. */
#include <string.h>

#include "MQTTPacket.h"
#include "clock.h"
#include "session.h"
#include "uart.h"

#define PACKET_MAX (SESSION_LARGE + 128)
#define TIMEOUT_MS 5000u /* for a packet to be written or read */

static unsigned char buf[PACKET_MAX];   /* the packet being sent */
static unsigned char rbuf[PACKET_MAX];  /* the packet being received */
static MQTTTransport trp;
static unsigned short next_id = 1;
static unsigned short sent_id;          /* the step's PUBLISH, until its PUBACK/PUBCOMP */
static uint32_t last_send;              /* for the keepalive */

/* ---- the transport functions Paho's samples ask the platform for ---- */

/* Moves len bytes between b and the UART (to it when sending), waiting
 * while it is busy or has nothing. Returns len, or -1 after TIMEOUT_MS. */
static int uart_all(unsigned char *b, int len, int sending)
{
    uint32_t start = clock_ms();
    int done = 0;
    while (done < len) {
        uint32_t left = (uint32_t)(len - done);
        done += (int)(sending ? uart_write(b + done, left) : uart_read(b + done, left));
        if (done < len && clock_ms() - start > TIMEOUT_MS)
            return -1;
        if (done < len)
            uart_wait(sending);
    }
    return len;
}

/* Writes len bytes of b. Returns len, or -1 when the UART stays busy. */
static int transport_sendPacketBuffer(unsigned char *b, int len)
{
    last_send = clock_ms();
    return uart_all(b, len, 1);
}

/* For MQTTPacket_read: reads exactly count bytes. Returns count, or -1
 * when they do not come in time. */
static int transport_getdata(unsigned char *b, int count)
{
    return uart_all(b, count, 0);
}

/* For MQTTPacket_readnb: what has arrived, up to count bytes; 0 if nothing. */
static int transport_getdatanb(void *sck, unsigned char *b, int count)
{
    (void)sck;
    return (int)uart_read(b, (uint32_t)count);
}

/* ---- sending ---- */

/* Sends the len bytes a serializer wrote into buf (len <= 0: it refused). */
static void send_packet(int len, const char *what)
{
    if (len <= 0)
        session_fail(what, len);
    if (transport_sendPacketBuffer(buf, len) != len)
        session_fail("the UART write timed out", len);
}

static void send_ack(unsigned char type, unsigned short id)
{
    send_packet(MQTTSerialize_ack(buf, sizeof buf, type, 0, id), "MQTTSerialize_ack");
}

static void publish(const session_msg *m)
{
    MQTTString topic = MQTTString_initializer;
    topic.cstring = (char *)m->topic;
    sent_id = m->qos ? next_id++ : 0;
    send_packet(MQTTSerialize_publish(buf, sizeof buf, 0, m->qos, 0, sent_id, topic, (unsigned char *)m->payload,
                                      (int)m->len),
                "MQTTSerialize_publish");
    if (!m->qos)
        session_event(EV_COMPLETE, 0); /* QoS 0 is done once written */
}

static void mqtt_connect(const char *client_id)
{
    MQTTPacket_connectData data = MQTTPacket_connectData_initializer;
    unsigned char session_present, rc;
    data.clientID.cstring = (char *)client_id;
    data.keepAliveInterval = SESSION_KEEPALIVE;
    data.cleansession = 1;
    data.MQTTVersion = 4;
    send_packet(MQTTSerialize_connect(buf, sizeof buf, &data), "MQTTSerialize_connect");
    if (MQTTPacket_read(rbuf, sizeof rbuf, transport_getdata) != CONNACK)
        session_fail("no CONNACK", -1);
    if (MQTTDeserialize_connack(&session_present, &rc, rbuf, sizeof rbuf) != 1)
        session_fail("MQTTDeserialize_connack", 0);
    session_event(EV_CONNACK, rc);
}

/* Sends what the current step sends. */
static void begin_step(const char *client_id)
{
    MQTTString filter = MQTTString_initializer;
    int qos = 2;
    filter.cstring = (char *)session_filter();
    switch (session_step()) {
    case STEP_CONNECT:
        mqtt_connect(client_id);
        break;
    case STEP_SUBSCRIBE:
        send_packet(MQTTSerialize_subscribe(buf, sizeof buf, 0, next_id++, 1, &filter, &qos),
                    "MQTTSerialize_subscribe");
        break;
    case STEP_UNSUBSCRIBE:
        send_packet(MQTTSerialize_unsubscribe(buf, sizeof buf, 0, next_id++, 1, &filter),
                    "MQTTSerialize_unsubscribe");
        publish(session_message());
        break;
    case STEP_DISCONNECT:
        send_packet(MQTTSerialize_disconnect(buf, sizeof buf), "MQTTSerialize_disconnect");
        session_event(EV_CLOSED, 0); /* a UART has nothing to close */
        break;
    default:
        if (session_message())
            publish(session_message());
    }
}

/* ---- receiving ---- */

static void on_publish(void)
{
    unsigned char dup, retained;
    int qos, payloadlen;
    unsigned short id;
    MQTTString topic;
    unsigned char *payload;
    if (MQTTDeserialize_publish(&dup, &qos, &retained, &id, &topic, &payload, &payloadlen, rbuf, sizeof rbuf) != 1)
        session_fail("MQTTDeserialize_publish", 0);
    /* QoS 2 is delivered here and acknowledged with PUBREC; the broker will
     * not send it again once it has that, so no duplicate can follow */
    session_received((const uint8_t *)topic.lenstring.data, (uint32_t)topic.lenstring.len, payload,
                     (uint32_t)payloadlen, (uint8_t)qos);
    if (qos == 1)
        send_ack(PUBACK, id);
    else if (qos == 2)
        send_ack(PUBREC, id);
}

/* PUBACK, PUBREC, PUBREL, PUBCOMP */
static void on_ack(void)
{
    unsigned char type, dup;
    unsigned short id;
    if (MQTTDeserialize_ack(&type, &dup, &id, rbuf, sizeof rbuf) != 1)
        session_fail("MQTTDeserialize_ack", 0);
    if (type == PUBREL) {
        send_ack(PUBCOMP, id);
    } else if (id != sent_id) {
        session_fail("an acknowledgement for another packet id", id);
    } else if (type == PUBREC) {
        send_packet(MQTTSerialize_pubrel(buf, sizeof buf, 0, id), "MQTTSerialize_pubrel");
    } else {
        sent_id = 0;
        session_event(EV_COMPLETE, 0);
    }
}

static void on_packet(int type)
{
    unsigned short id;
    int count, granted;
    if (type == PUBLISH) {
        on_publish();
    } else if (type == SUBACK) {
        if (MQTTDeserialize_suback(&id, 1, &count, &granted, rbuf, sizeof rbuf) != 1)
            session_fail("MQTTDeserialize_suback", 0);
        session_event(EV_SUBACK, granted);
    } else if (type == UNSUBACK) {
        if (MQTTDeserialize_unsuback(&id, rbuf, sizeof rbuf) != 1)
            session_fail("MQTTDeserialize_unsuback", 0);
        session_event(EV_UNSUBACK, 0);
    } else if (type == PINGRESP) {
        session_event(EV_PONG, 0);
    } else if (type == PUBACK || type == PUBREC || type == PUBREL || type == PUBCOMP) {
        on_ack();
    } else {
        session_fail("unexpected packet type", type);
    }
}

/* PINGREQ after a keepalive interval without sending. */
static void keepalive(uint32_t now)
{
    if (now - last_send >= SESSION_KEEPALIVE * 1000u && session_step() < STEP_DISCONNECT)
        send_packet(MQTTSerialize_pingreq(buf, sizeof buf), "MQTTSerialize_pingreq");
}

int main(void)
{
    const char *client_id;
    clock_init();
    client_id = session_start("paho client, MQTT 3.1.1", clock_ms());
    uart_open();
    trp.getfn = transport_getdatanb;
    trp.sck = 0;
    trp.state = 0;
    for (;;) {
        uint32_t now = clock_ms();
        int type;
        if (session_step_begins(now))
            begin_step(client_id);
        type = MQTTPacket_readnb(rbuf, sizeof rbuf, &trp);
        if (type < 0)
            session_fail("MQTTPacket_readnb", type);
        if (type > 0)
            on_packet(type);
        keepalive(clock_ms());
        if (session_update(clock_ms()))
            return 0;
        if (type == 0)
            uart_wait(0); /* until a byte arrives or the next tick */
    }
}
