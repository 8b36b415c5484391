/* libFuzzer target: the WebSocket transport (tinymqtt/ws.h) over the tests'
 * memory pipe (../pipe.h), which hands it the server's bytes a few at a
 * time. The first byte picks what they are:
 *   0: the server's upgrade response (then frames, if it was accepted);
 *   1: frames after an accepted upgrade;
 *   2: a payload the target frames itself, fragmenting it and putting pings
 *      between the fragments as the input says.
 * The second byte sets the read sizes. Oracle: ASan/UBSan for every bound;
 * recv never returns more than asked; in mode 2 the payload comes out whole
 * and unchanged. */
#include <stdlib.h>
#include <string.h>
#include "../pipe.h"
#include "tinymqtt/ws.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define WIRE_CAP 16384

/* What the server sends: handed to the pipe `step` bytes at a time, each
 * time the transport has read everything, then the pipe is closed. */
typedef struct {
    uint8_t wire[WIRE_CAP];
    uint32_t len, off, step;
} script;

/* Gives the pipe the next step of the wire; 0 when there is no more. */
static int next_step(script *s, tmq_pipe *p)
{
    uint32_t n = s->len - s->off < s->step ? s->len - s->off : s->step;
    if (n == 0) {
        p->peer_closed = 1;
        return 0;
    }
    pipe_push(p, s->wire + s->off, n);
    s->off += n;
    return 1;
}

static void zeros(void *ctx, uint8_t *out, uint32_t len)
{
    (void)ctx;
    memset(out, 0, len);
}

static void append(script *s, const void *p, uint32_t n)
{
    if (n > WIRE_CAP - s->len)
        n = WIRE_CAP - s->len;
    memcpy(s->wire + s->len, p, n);
    s->len += n;
}

/* An accepted upgrade response for the key of w's request. */
static void accept_response(script *s, const tmq_ws *w)
{
    static const char head[] = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                               "Connection: Upgrade\r\nSec-WebSocket-Accept: ";
    append(s, head, sizeof head - 1);
    append(s, w->accept, (uint32_t)strlen(w->accept));
    append(s, "\r\n\r\n", 4);
}

/* Frames payload[0..n) as the input's control bytes say: fragments of
 * 1-64 bytes, or 4-256 (the 16-bit length form from 126 on), and a ping
 * after some. */
static void frame_payload(script *s, const uint8_t *ctl, uint32_t nctl, const uint8_t *payload, uint32_t n)
{
    uint32_t at = 0, k = 0;
    int first = 1;
    while (at < n) {
        uint8_t c = nctl ? ctl[k++ % nctl] : 0;
        uint32_t len = ((uint32_t)(c & 63) + 1) * (c & 64 ? 4u : 1u);
        uint8_t h[4];
        if (len > n - at)
            len = n - at;
        h[0] = (uint8_t)((at + len == n ? 0x80 : 0) | (first ? 2 : 0));
        if (len < 126) {
            h[1] = (uint8_t)len;
            append(s, h, 2);
        } else {
            h[1] = 126;
            h[2] = (uint8_t)(len >> 8);
            h[3] = (uint8_t)len;
            append(s, h, 4);
        }
        append(s, payload + at, len);
        at += len;
        first = 0;
        if (c & 128)
            append(s, "\x89\x02pp", 4);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static script s;
    static tmq_pipe pipe;
    static uint8_t tx[512], rx[256], out[WIRE_CAP];
    tmq_ws_config cfg;
    tmq_ws w;
    uint32_t got = 0, chunk;
    int r, mode;
    if (size < 2 || size > 8192)
        return 0;
    mode = data[0] % 3;
    chunk = (uint32_t)(data[1] % 64) + 1;
    memset(&cfg, 0, sizeof cfg);
    cfg.tx = tx;
    cfg.tx_cap = sizeof tx;
    cfg.rx = rx;
    cfg.rx_cap = sizeof rx;
    cfg.random = zeros;
    cfg.max_frame = 4096;
    pipe_init(&pipe);
    s.len = s.off = 0;
    s.step = (uint32_t)(data[1] >> 6) * 5 + 1;
    if (tmq_ws_init(&w, &pipe.base, &cfg) != TMQ_OK)
        abort();
    r = w.base.ops->connect(&w.base, "h", 1); /* the request goes out: w.accept is known */
    if (r != TMQ_IO_HANDSHAKING)
        abort();
    if (mode == 0) {
        append(&s, data + 2, (uint32_t)size - 2);
    } else {
        accept_response(&s, &w);
        if (mode == 1)
            append(&s, data + 2, (uint32_t)size - 2);
        else
            frame_payload(&s, data + 2, (uint32_t)(size - 2) / 4, data + 2 + (size - 2) / 4,
                          (uint32_t)(size - 2) - (uint32_t)(size - 2) / 4);
    }
    do
        r = w.base.ops->connect(&w.base, "h", 1);
    while (r == TMQ_IO_HANDSHAKING && next_step(&s, &pipe));
    if (r == TMQ_IO_HANDSHAKING)
        r = w.base.ops->connect(&w.base, "h", 1); /* the pipe closed: an error now */
    if (r != TMQ_OK) {
        if (mode != 0 || r >= 0)
            abort(); /* a good response refused, or a result that is not an error */
        return 0;
    }
    for (;;) {
        int32_t n = w.base.ops->recv(&w.base, out + got, chunk < sizeof out - got ? chunk : (uint32_t)(sizeof out - got));
        if (n == TMQ_IO_AGAIN && next_step(&s, &pipe))
            continue;
        if (n <= 0 || got + (uint32_t)n == sizeof out)
            break;
        if ((uint32_t)n > chunk)
            abort();
        got += (uint32_t)n;
    }
    if (mode == 2) {
        uint32_t skip = (uint32_t)(size - 2) / 4;
        if (got != size - 2 - skip || memcmp(out, data + 2 + skip, got) != 0)
            abort();
    }
    w.base.ops->close(&w.base);
    return 0;
}
