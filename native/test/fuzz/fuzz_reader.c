/* libFuzzer target: the incremental reader fed a stream in chunks whose
 * sizes come from the input itself. Oracle: every packet handed out lies
 * inside the reader's buffer, equals the same bytes of the stream, and the
 * packets plus the unread tail account for every byte fed. */
#include <stdlib.h>
#include <string.h>
#include "tinymqtt/packet.h"
#include "tinymqtt/reader.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t buf[256];
    tmq_reader r;
    tmq_packet p;
    size_t off = 2, handed = 0;
    uint32_t chunk, cap;
    if (size < 2)
        return 0;
    chunk = (uint32_t)(data[0] % 32) + 1;
    cap = (uint32_t)(data[1] % 255) + 2;
    tmq_reader_init(&r, buf, cap, (uint8_t)(3 + data[0] % 3));
    for (;;) {
        const uint8_t *pkt;
        uint32_t len;
        int rc = tmq_reader_next(&r, &pkt, &len);
        if (rc < 0)
            return 0;
        if (rc == 1) {
            if (pkt < buf || pkt + len > buf + cap || len > size - 2 - handed ||
                memcmp(pkt, data + 2 + handed, len) != 0)
                abort();
            handed += len;
            (void)tmq_decode(pkt, len, r.version, &p);
            continue;
        }
        if (off == size)
            break;
        off += tmq_reader_feed(&r, data + off, off + chunk > size ? (uint32_t)(size - off) : chunk);
    }
    if (handed + (r.end - r.start) != size - 2)
        abort();
    return 0;
}
