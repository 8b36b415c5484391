/* A packet as one line of text, for debug logs (describe.h). */
#include "tinymqtt/describe.h"

#include <string.h>

/* The line being written: what fits goes into buf, the rest is counted. */
typedef struct line {
    char *buf;
    size_t cap, n;
} line;

static void put(line *l, const char *s, size_t len)
{
    size_t room = l->n < l->cap ? l->cap - l->n : 0;
    if (room)
        memcpy(l->buf + l->n, s, len < room ? len : room);
    l->n += len;
}

static void put_text(line *l, const char *s)
{
    size_t len = 0;
    while (s[len])
        len++;
    put(l, s, len);
}

/* label, then v in decimal (hex: as 0x and two hex digits) */
static void put_num(line *l, const char *label, uint32_t v, int hex)
{
    static const char digits[] = "0123456789abcdef";
    char s[12];
    size_t i = sizeof s;
    put_text(l, label);
    if (hex) {
        s[--i] = digits[v & 15];
        s[--i] = digits[(v >> 4) & 15];
        s[--i] = 'x';
        s[--i] = '0';
    } else {
        do {
            s[--i] = (char)('0' + v % 10);
            v /= 10;
        } while (v);
    }
    put(l, s + i, sizeof s - i);
}

/* label, then b between single quotes */
static void put_quoted(line *l, const char *label, tmq_bin b)
{
    put_text(l, label);
    put(l, (const char *)b.p, b.len);
    put(l, "'", 1);
}

size_t tmq_packet_describe(const tmq_packet *pkt, int out, uint32_t len, char *buf, size_t cap)
{
    static const char *const names[] = {"?", "CONNECT", "CONNACK", "PUBLISH", "PUBACK", "PUBREC", "PUBREL",
                                        "PUBCOMP", "SUBSCRIBE", "SUBACK", "UNSUBSCRIBE", "UNSUBACK", "PINGREQ",
                                        "PINGRESP", "DISCONNECT", "AUTH"};
    /* the numbers after the type (and a PUBLISH's flags, topic and payload) */
    const char *label[3];
    uint32_t value[3];
    int hex[3] = {0, 0, 0}, count = 0, i;
    const tmq_publish *m = &pkt->u.publish;
    line l;
    l.buf = buf;
    l.cap = buf ? cap : 0;
    l.n = 0;
    put_text(&l, out ? "out " : "in ");
    put_text(&l, names[pkt->type & 15]);
    switch (pkt->type) {
    case TMQ_CONNECT:
        put_quoted(&l, " client id '", pkt->u.connect.client_id);
        label[0] = " clean=";
        value[0] = pkt->u.connect.clean;
        label[1] = " keepalive=";
        value[1] = pkt->u.connect.keepalive;
        count = 2;
        break;
    case TMQ_CONNACK:
        label[0] = " session present=";
        value[0] = pkt->session_present;
        label[1] = " reason=";
        value[1] = pkt->reason;
        hex[1] = 1;
        count = 2;
        break;
    case TMQ_PUBACK: case TMQ_PUBREC: case TMQ_PUBREL: case TMQ_PUBCOMP: case TMQ_PUBLISH:
    case TMQ_SUBSCRIBE: case TMQ_SUBACK: case TMQ_UNSUBSCRIBE: case TMQ_UNSUBACK:
        label[0] = " id=";
        value[0] = pkt->id;
        count = 1;
        break;
    case TMQ_DISCONNECT: case TMQ_AUTH:
        label[0] = " reason=";
        value[0] = pkt->reason;
        hex[0] = 1;
        count = pkt->version == TMQ_V5;
        break;
    default:
        break;
    }
    if (pkt->type == TMQ_PUBLISH) {
        label[1] = " qos=";
        value[1] = m->qos;
        count = 2;
    }
    for (i = 0; i < count; i++)
        put_num(&l, label[i], value[i], hex[i]);
    if (pkt->type == TMQ_PUBLISH) {
        put_text(&l, m->retain ? " retain" : "");
        put_text(&l, m->dup ? " dup" : "");
        if (m->topic.len)
            put_quoted(&l, " topic '", m->topic);
        else
            put_text(&l, " (topic alias)");
        put_num(&l, " payload ", m->payload.len, 0);
        put_text(&l, " bytes");
    }
    put_num(&l, " (", len, 0);
    put_text(&l, " bytes)");
    return l.n;
}
