/* The WebSocket transport: connection states, the frame reader (in place,
 * in the caller's buffer) and the frame writer (masked, in cfg->tx). See
 * tinymqtt/ws.h for the behaviour. */
#include <string.h>
#include "tinymqtt/ws.h"
#include "ws_handshake.h"

enum { ST_IDLE = 0, ST_LOWER, ST_REQUEST, ST_RESPONSE, ST_OPEN, ST_WFAILED, ST_FAILED };

enum { OP_CONT = 0, OP_TEXT = 1, OP_BINARY = 2, OP_CLOSE = 8, OP_PING = 9, OP_PONG = 10 };

/* The largest frame header the writer makes: 2 + 8 length bytes + 4 mask. */
#define HDR_MAX 14u

static tmq_ws *ws_of(tmq_transport *t)
{
    return (tmq_ws *)(void *)t;
}

/* Enters the failed state with err (sticky until close). */
static int fail(tmq_ws *w, int err)
{
    w->state = ST_FAILED;
    w->err = err;
    return err;
}

/* The lower transport failed a send: sends fail with err from now on, and
 * what is unwritten is dropped, but reading goes on (what the server sent
 * before it closed is still read) until it fails too. */
static int write_failed(tmq_ws *w, int err)
{
    w->tx_off = w->tx_len = w->tx_payload = 0;
    fail(w, err);
    w->state = ST_WFAILED;
    return err;
}

/* ---- writing ------------------------------------------------------------ */

/* Writes what the lower transport takes of tx. Returns TMQ_OK (all of it
 * written or some left for later) or the lower transport's error. */
static int flush(tmq_ws *w)
{
    while (w->tx_off < w->tx_len) {
        int32_t n = w->lower->ops->send(w->lower, w->cfg->tx + w->tx_off, w->tx_len - w->tx_off);
        if (n == TMQ_IO_AGAIN || n == 0)
            return TMQ_OK;
        if (n < 0)
            return n;
        w->tx_off += (uint32_t)n;
    }
    w->tx_off = w->tx_len = 0;
    return TMQ_OK;
}

/* Puts one masked frame (FIN set) of len payload bytes into the empty tx. */
static void frame(tmq_ws *w, uint8_t opcode, const uint8_t *payload, uint32_t len)
{
    uint8_t *p = w->cfg->tx, *key;
    uint32_t h = 2, i;
    p[0] = (uint8_t)(0x80 | opcode);
    if (len < 126) {
        p[1] = (uint8_t)(0x80 | len);
    } else if (len < 65536) {
        p[1] = 0x80 | 126;
        p[2] = (uint8_t)(len >> 8);
        p[3] = (uint8_t)len;
        h = 4;
    } else {
        p[1] = 0x80 | 127;
        memset(p + 2, 0, 4);
        p[6] = (uint8_t)(len >> 24);
        p[7] = (uint8_t)(len >> 16);
        p[8] = (uint8_t)(len >> 8);
        p[9] = (uint8_t)len;
        h = 10;
    }
    key = p + h;
    w->cfg->random(w->cfg->random_ctx, key, 4);
    p += h + 4;
    for (i = 0; i < len; i++)
        p[i] = (uint8_t)(payload[i] ^ key[i & 3]);
    w->tx_off = 0;
    w->tx_len = h + 4 + len;
}

/* Sends the control frame owed (a pong, the answer to a close) once tx is
 * free. Returns TMQ_OK or the lower transport's error. */
static int flush_control(tmq_ws *w)
{
    int r = flush(w);
    if (r != TMQ_OK || w->tx_len)
        return r;
    if (w->close_due) {
        uint8_t code[2];
        code[0] = (uint8_t)(w->close_code >> 8);
        code[1] = (uint8_t)w->close_code;
        w->close_due = 0;
        w->pong_due = 0;
        frame(w, OP_CLOSE, code, w->close_code == 1005 ? 0 : 2);
        return flush(w);
    }
    if (w->pong_due) {
        w->pong_due = 0;
        frame(w, OP_PONG, w->ctl, w->ctl_len);
        return flush(w);
    }
    return TMQ_OK;
}

/* ---- reading ------------------------------------------------------------ */

/* Follows MQTT packet boundaries through payload bytes: the fixed header's
 * first byte, its remaining length (at most 4 bytes), then the rest. */
static void track(tmq_ws *w, const uint8_t *p, uint32_t n)
{
    while (n) {
        if (w->pkt_left) {
            uint32_t k = n < w->pkt_left ? n : w->pkt_left;
            w->pkt_left -= k;
            p += k;
            n -= k;
            continue;
        }
        if (w->pkt_stage == 0) {
            w->pkt_stage = 1;
            w->pkt_len = 0;
        } else {
            w->pkt_len |= (uint32_t)(*p & 0x7F) << (7 * (w->pkt_stage - 1));
            if (!(*p & 0x80) || w->pkt_stage == 4) {
                w->pkt_left = w->pkt_len;
                w->pkt_stage = 0;
            } else {
                w->pkt_stage++;
            }
        }
        p++;
        n--;
    }
}

/* The header's length field size for its second byte. */
static uint32_t header_size(uint8_t b1)
{
    uint8_t len7 = b1 & 0x7F;
    return 2 + (len7 == 126 ? 2u : len7 == 127 ? 8u : 0u);
}

/* Checks the first two header bytes. Returns TMQ_OK or the frame's error. */
static int check_start(const tmq_ws *w, uint8_t b0, uint8_t b1)
{
    uint8_t op = b0 & 0x0F;
    if (b0 & 0x70)
        return TMQ_ERR_WS_FRAME; /* no extension was negotiated */
    if ((op > OP_BINARY && op < OP_CLOSE) || op > OP_PONG)
        return TMQ_ERR_WS_OPCODE;
    if (op == OP_TEXT)
        return TMQ_ERR_WS_TEXT;
    if (b1 & 0x80)
        return TMQ_ERR_WS_MASKED;
    if (op & 8)
        return (b0 & 0x80) && (b1 & 0x7F) <= 125 ? TMQ_OK : TMQ_ERR_WS_FRAME;
    if ((op == OP_CONT) != (w->in_message != 0))
        return TMQ_ERR_WS_FRAME;
    return TMQ_OK;
}

/* The payload length of a whole header, checked: shortest form, 32 bits,
 * the limit. Returns TMQ_OK and sets *len, or the frame's error. */
static int header_length(const tmq_ws *w, uint32_t *len)
{
    const uint8_t *h = w->hdr;
    uint32_t n = h[1] & 0x7F;
    if (n == 126) {
        n = (uint32_t)h[2] << 8 | h[3];
        if (n < 126)
            return TMQ_ERR_WS_FRAME;
    } else if (n == 127) {
        if (h[2] | h[3] | h[4] | h[5])
            return TMQ_ERR_WS_FRAME_SIZE;
        n = (uint32_t)h[6] << 24 | (uint32_t)h[7] << 16 | (uint32_t)h[8] << 8 | h[9];
        if (n < 65536)
            return TMQ_ERR_WS_FRAME;
    }
    if (w->cfg->max_frame && n > w->cfg->max_frame)
        return TMQ_ERR_WS_FRAME_SIZE;
    *len = n;
    return TMQ_OK;
}

/* A frame's payload has all come. Returns TMQ_OK, or the error a close
 * frame ends the connection with. */
static int frame_done(tmq_ws *w)
{
    w->in_payload = 0;
    switch (w->opcode) {
    case OP_CONT:
    case OP_BINARY:
        w->in_message = !w->fin;
        return TMQ_OK;
    case OP_PING:
        w->pong_due = 1; /* the payload stays in ctl until the pong is framed */
        return TMQ_OK;
    case OP_CLOSE:
        w->close_code = w->ctl_len >= 2 ? (uint16_t)(w->ctl[0] << 8 | w->ctl[1]) : 1005;
        w->close_due = 1;
        return w->in_message || w->pkt_stage || w->pkt_left ? TMQ_ERR_WS_CLOSE_MID_PACKET : TMQ_ERR_CLOSED;
    default: /* pong: nothing to do */
        return TMQ_OK;
    }
}

/* Starts the frame whose header is whole in w->hdr. */
static int frame_start(tmq_ws *w)
{
    uint32_t len = 0;
    int r = header_length(w, &len);
    if (r != TMQ_OK)
        return r;
    w->opcode = w->hdr[0] & 0x0F;
    w->fin = w->hdr[0] >> 7;
    if (w->opcode == OP_PING || w->opcode == OP_CLOSE) {
        /* its payload takes ctl: a pong still owed is for an older ping,
         * which needs none once this one is answered (RFC 6455 5.5.3), and a
         * close ends the connection */
        w->pong_due = 0;
        w->ctl_len = 0;
    }
    w->left = len;
    w->in_payload = 1;
    w->hdr_len = 0;
    return len ? TMQ_OK : frame_done(w);
}

/* Parses buf[0..n) as frame bytes, moving the data payload to the front of
 * buf. Returns the payload bytes there; an error stops it and is left in
 * w->pending_err. */
static uint32_t parse(tmq_ws *w, uint8_t *buf, uint32_t n)
{
    uint32_t r = 0, out = 0;
    int err = TMQ_OK;
    while (r < n && err == TMQ_OK) {
        uint32_t take;
        if (!w->in_payload) {
            w->hdr[w->hdr_len++] = buf[r++];
            if (w->hdr_len == 2)
                err = check_start(w, w->hdr[0], w->hdr[1]);
            if (err == TMQ_OK && w->hdr_len >= 2 && w->hdr_len == header_size(w->hdr[1]))
                err = frame_start(w);
            continue;
        }
        take = n - r < w->left ? n - r : w->left;
        if (!(w->opcode & 8)) {
            if (out != r)
                memmove(buf + out, buf + r, take);
            track(w, buf + out, take);
            out += take;
        } else if (w->opcode != OP_PONG) { /* an unasked pong's payload is skipped */
            memcpy(w->ctl + w->ctl_len, buf + r, take);
            w->ctl_len = (uint8_t)(w->ctl_len + take);
        }
        r += take;
        w->left -= take;
        if (w->left == 0)
            err = frame_done(w);
    }
    if (err != TMQ_OK)
        w->pending_err = err;
    return out;
}

/* ---- the transport operations ------------------------------------------- */

/* Resets everything a connection keeps. */
static void reset(tmq_ws *w)
{
    w->err = w->pending_err = 0;
    w->tx_len = w->tx_off = w->tx_payload = 0;
    w->rx_len = w->rx_off = 0;
    w->hdr_len = w->in_payload = w->in_message = 0;
    w->ctl_len = w->pong_due = w->close_due = 0;
    w->pkt_stage = 0;
    w->pkt_left = 0;
}

/* Reads the upgrade response into rx until its header block is whole. */
static int read_response(tmq_ws *w)
{
    const tmq_ws_config *cfg = w->cfg;
    for (;;) {
        uint32_t from = w->rx_len > 3 ? w->rx_len - 3 : 0, i;
        int32_t n;
        if (w->rx_len == cfg->rx_cap) {
            w->http_status = tmq_ws_status(cfg->rx, w->rx_len);
            return w->http_status && w->http_status != 101 ? TMQ_ERR_WS_HANDSHAKE : TMQ_ERR_WS_RESPONSE;
        }
        n = w->lower->ops->recv(w->lower, cfg->rx + w->rx_len, cfg->rx_cap - w->rx_len);
        if (n == TMQ_IO_AGAIN)
            return TMQ_IO_HANDSHAKING;
        if (n <= 0) {
            w->http_status = tmq_ws_status(cfg->rx, w->rx_len);
            return w->http_status && w->http_status != 101 ? TMQ_ERR_WS_HANDSHAKE : n ? n : TMQ_ERR_CLOSED;
        }
        w->rx_len += (uint32_t)n;
        for (i = from; i + 3 < w->rx_len; i++) {
            if (memcmp(cfg->rx + i, "\r\n\r\n", 4) == 0) {
                int r = tmq_ws_response(w, cfg->rx, i + 4);
                w->rx_off = i + 4; /* what follows is frames */
                return r;
            }
        }
    }
}

static int ws_connect(tmq_transport *t, const char *host, uint16_t port)
{
    tmq_ws *w = ws_of(t);
    int r;
    int32_t n;
    switch (w->state) {
    case ST_OPEN:
        return TMQ_OK;
    case ST_WFAILED:
    case ST_FAILED:
        return w->err;
    case ST_IDLE:
        reset(w);
        w->http_status = 0;
        w->close_code = 0;
        w->state = ST_LOWER;
        /* fall through */
    case ST_LOWER:
        r = w->lower->ops->connect(w->lower, host, port);
        if (r == TMQ_IO_AGAIN)
            r = TMQ_IO_CONNECTING;
        if (r != TMQ_OK)
            return r == TMQ_IO_CONNECTING || r == TMQ_IO_HANDSHAKING ? r : fail(w, r);
        n = tmq_ws_request(w, host, port);
        if (n < 0)
            return fail(w, (int)n);
        w->tx_off = 0;
        w->tx_len = (uint32_t)n;
        w->state = ST_REQUEST;
        /* fall through */
    case ST_REQUEST:
        r = flush(w);
        if (r != TMQ_OK)
            return fail(w, r);
        if (w->tx_len)
            return TMQ_IO_HANDSHAKING;
        w->state = ST_RESPONSE;
        /* fall through */
    default:
        r = read_response(w);
        if (r == TMQ_IO_HANDSHAKING)
            return r;
        if (r != TMQ_OK)
            return fail(w, r);
        w->state = ST_OPEN;
        return TMQ_OK;
    }
}

/* The answer of send and recv (`reading`) outside the open state, or 1 when
 * open that way. */
static int gate(const tmq_ws *w, int reading)
{
    switch (w->state) {
    case ST_OPEN:
        return 1;
    case ST_WFAILED:
        return reading ? 1 : w->err;
    case ST_FAILED:
        return w->err;
    case ST_IDLE:
        return TMQ_ERR_CLOSED;
    default:
        return TMQ_IO_AGAIN;
    }
}

static int32_t ws_send(tmq_transport *t, const uint8_t *buf, uint32_t len)
{
    tmq_ws *w = ws_of(t);
    uint32_t total = 0, room = w->cfg->tx_cap - HDR_MAX;
    int r = gate(w, 0);
    if (r != 1)
        return r;
    if (w->tx_payload > len)
        return TMQ_ERR_ARG; /* not the bytes of the frame in progress */
    r = flush(w);
    if (r != TMQ_OK)
        return write_failed(w, r);
    if (w->tx_len)
        return TMQ_IO_AGAIN;
    total = w->tx_payload; /* the frame in progress is out now */
    w->tx_payload = 0;
    r = flush_control(w);
    if (r != TMQ_OK)
        return total ? (int32_t)total : write_failed(w, r);
    while (total < len && !w->tx_len) {
        uint32_t n = len - total < room ? len - total : room;
        frame(w, OP_BINARY, buf + total, n);
        r = flush(w);
        if (r != TMQ_OK)
            return total ? (int32_t)total : write_failed(w, r);
        if (w->tx_len)
            w->tx_payload = n; /* reported once all of it is written */
        else
            total += n;
    }
    return total ? (int32_t)total : TMQ_IO_AGAIN;
}

static int32_t ws_recv(tmq_transport *t, uint8_t *buf, uint32_t len)
{
    tmq_ws *w = ws_of(t);
    uint32_t out = 0;
    int r = gate(w, 1);
    if (r != 1)
        return r;
    while (out < len && !w->pending_err) {
        int32_t n;
        int drained = 0;
        if (w->rx_off < w->rx_len) { /* frames that came with the upgrade response */
            n = (int32_t)(w->rx_len - w->rx_off < len - out ? w->rx_len - w->rx_off : len - out);
            memcpy(buf + out, w->cfg->rx + w->rx_off, (uint32_t)n);
            w->rx_off += (uint32_t)n;
        } else {
            n = w->lower->ops->recv(w->lower, buf + out, len - out);
            if (n == TMQ_IO_AGAIN)
                break;
            if (n <= 0) {
                w->pending_err = n ? n : TMQ_ERR_CLOSED;
                break;
            }
            drained = (uint32_t)n < len - out;
        }
        out += parse(w, buf + out, (uint32_t)n);
        /* a short read emptied the lower layer for now: with payload in
         * hand, return it and let the engine's next call ask again (a
         * second ask here would mostly be a system call finding nothing) */
        if (drained && out)
            break;
    }
    r = flush_control(w);
    if (r != TMQ_OK && !w->pending_err)
        w->pending_err = r;
    if (out)
        return (int32_t)out;
    return w->pending_err ? fail(w, w->pending_err) : TMQ_IO_AGAIN;
}

static void ws_close(tmq_transport *t)
{
    tmq_ws *w = ws_of(t);
    if (w->state == ST_OPEN && w->tx_len == 0) {
        static const uint8_t normal[2] = {0x03, 0xE8}; /* 1000 */
        frame(w, OP_CLOSE, normal, 2);
        (void)flush(w); /* best effort, never waits */
    }
    w->lower->ops->close(w->lower);
    reset(w);
    w->state = ST_IDLE;
}

static const tmq_transport_ops ws_ops = {ws_connect, ws_send, ws_recv, ws_close};

int tmq_ws_init(tmq_ws *w, tmq_transport *lower, const tmq_ws_config *cfg)
{
    if (w == NULL || lower == NULL || cfg == NULL || cfg->random == NULL || cfg->tx == NULL ||
        cfg->tx_cap < 140 || cfg->rx == NULL || cfg->rx_cap == 0 || tmq_ws_config_check(cfg) != TMQ_OK)
        return TMQ_ERR_ARG;
    memset(w, 0, sizeof *w);
    w->base.ops = &ws_ops;
    w->lower = lower;
    w->cfg = cfg;
    return TMQ_OK;
}

uint16_t tmq_ws_http_status(const tmq_ws *w)
{
    return w->http_status;
}

uint16_t tmq_ws_close_code(const tmq_ws *w)
{
    return w->close_code;
}

int tmq_ws_wants_write(const tmq_ws *w)
{
    return w->tx_off < w->tx_len && (w->state != ST_OPEN || w->tx_payload == 0);
}
