/* libFuzzer target: tmq_decode on arbitrary bytes. The first byte picks the
 * protocol version. Oracle: every packet the decoder accepts must re-encode,
 * and decoding the re-encoding must give the same fields; the decoder must
 * never claim more bytes than it was given. */
#include <stdlib.h>
#include <string.h>
#include "tinymqtt/packet.h"

#define MAX_SUBS 64

static void same_bin(tmq_bin a, tmq_bin b)
{
    if (a.len != b.len || (a.len && memcmp(a.p, b.p, a.len) != 0))
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static uint8_t out[1 << 16];
    tmq_sub subs[MAX_SUBS];
    tmq_packet p, q;
    uint8_t version;
    int32_t n, m;
    if (size < 1)
        return 0;
    version = (uint8_t)(data[0] % 6);
    n = tmq_decode(data + 1, (uint32_t)(size - 1), version, &p);
    if (n <= 0)
        return 0;
    if ((size_t)n > size - 1)
        abort();
    if (p.type == TMQ_SUBSCRIBE || p.type == TMQ_UNSUBSCRIBE) {
        tmq_bin cur = p.u.subs.raw;
        uint16_t count = 0;
        while (count < MAX_SUBS && tmq_sub_next(&cur, p.type, &subs[count]))
            count++;
        if (count < p.u.subs.count && count < MAX_SUBS)
            abort();
        if (p.u.subs.count > MAX_SUBS)
            return 0;
        p.u.subs.list = subs;
    }
    m = tmq_encode(out, sizeof out, &p);
    if (m == TMQ_ERR_BUF_TOO_SMALL)
        return 0;
    if (m <= 0)
        abort(); /* accepted by the decoder, refused by the encoder */
    if (tmq_decode(out, (uint32_t)m, p.version, &q) != m)
        abort();
    if (q.type != p.type || q.id != p.id || q.reason != p.reason || q.session_present != p.session_present)
        abort();
    same_bin(q.props.raw, p.props.raw);
    if (p.type == TMQ_PUBLISH) {
        same_bin(q.u.publish.topic, p.u.publish.topic);
        same_bin(q.u.publish.payload, p.u.publish.payload);
        if (q.u.publish.qos != p.u.publish.qos || q.u.publish.retain != p.u.publish.retain)
            abort();
    } else if (p.type == TMQ_CONNECT) {
        same_bin(q.u.connect.client_id, p.u.connect.client_id);
        same_bin(q.u.connect.username, p.u.connect.username);
        same_bin(q.u.connect.password, p.u.connect.password);
        same_bin(q.u.connect.will_topic, p.u.connect.will_topic);
        same_bin(q.u.connect.will_payload, p.u.connect.will_payload);
        same_bin(q.u.connect.will_props.raw, p.u.connect.will_props.raw);
    } else if (p.type == TMQ_SUBSCRIBE || p.type == TMQ_UNSUBSCRIBE) {
        same_bin(q.u.subs.raw, p.u.subs.raw);
    } else if (p.type == TMQ_SUBACK || p.type == TMQ_UNSUBACK) {
        if (q.u.codes.count != p.u.codes.count ||
            (p.u.codes.count && memcmp(q.u.codes.p, p.u.codes.p, p.u.codes.count) != 0))
            abort();
    }
    return 0;
}
