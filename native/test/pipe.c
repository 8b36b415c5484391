/* The memory-pipe test transport. */
#include "pipe.h"

#include <string.h>

static int pipe_connect(tmq_transport *t, const char *host, uint16_t port)
{
    tmq_pipe *p = (tmq_pipe *)t;
    (void)host;
    (void)port;
    if (p->connect_error)
        return p->connect_error;
    if (p->connect_steps > 0) {
        p->connect_steps--;
        return TMQ_IO_CONNECTING;
    }
    if (p->handshake_steps > 0) {
        p->handshake_steps--;
        return TMQ_IO_HANDSHAKING;
    }
    if (!p->connected)
        p->connects++;
    p->connected = 1;
    return TMQ_OK;
}

static int32_t pipe_send(tmq_transport *t, const uint8_t *buf, uint32_t len)
{
    tmq_pipe *p = (tmq_pipe *)t;
    if (!p->connected)
        return TMQ_ERR_IO;
    if (p->peer_closed)
        return TMQ_ERR_CLOSED;
    if (p->send_error)
        return p->send_error;
    if (p->write_blocked)
        return TMQ_IO_AGAIN;
    if (p->write_limit && len > p->write_limit)
        len = p->write_limit;
    if (len > PIPE_CAP - p->out_len)
        len = PIPE_CAP - p->out_len;
    if (!len)
        return TMQ_IO_AGAIN;
    memcpy(p->out + p->out_len, buf, len);
    p->out_len += len;
    return (int32_t)len;
}

static int32_t pipe_recv(tmq_transport *t, uint8_t *buf, uint32_t len)
{
    tmq_pipe *p = (tmq_pipe *)t;
    uint32_t n = p->in_len - p->in_off;
    p->recvs++;
    if (!p->connected)
        return TMQ_ERR_IO;
    if (!n)
        return p->peer_closed ? TMQ_ERR_CLOSED : TMQ_IO_AGAIN;
    if (n > len)
        n = len;
    memcpy(buf, p->in + p->in_off, n);
    p->in_off += n;
    if (p->in_off == p->in_len)
        p->in_off = p->in_len = 0;
    return (int32_t)n;
}

static void pipe_close(tmq_transport *t)
{
    tmq_pipe *p = (tmq_pipe *)t;
    p->connected = 0;
    p->closes++;
    p->peer_closed = 0;
    p->in_off = p->in_len = 0;
}

static const tmq_transport_ops pipe_ops = {pipe_connect, pipe_send, pipe_recv, pipe_close};

void pipe_init(tmq_pipe *p)
{
    memset(p, 0, sizeof *p);
    p->base.ops = &pipe_ops;
}

void pipe_push(tmq_pipe *p, const uint8_t *bytes, uint32_t len)
{
    memcpy(p->in + p->in_len, bytes, len);
    p->in_len += len;
}

void pipe_push_packet(tmq_pipe *p, tmq_packet *pkt, uint8_t version)
{
    pkt->version = version;
    p->in_len += (uint32_t)tmq_encode(p->in + p->in_len, PIPE_CAP - p->in_len, pkt);
}

int32_t pipe_pop_packet(tmq_pipe *p, uint8_t version, tmq_packet *pkt, uint8_t *raw)
{
    int32_t n;
    if (!p->out_len)
        return 0;
    n = tmq_frame(p->out, p->out_len, version);
    if (n <= 0 || (uint32_t)n > p->out_len)
        return n < 0 ? n : 0;
    if (raw)
        memcpy(raw, p->out, (size_t)n);
    memmove(p->out, p->out + n, p->out_len - (uint32_t)n);
    p->out_len -= (uint32_t)n;
    /* decode from the copy: the views stay valid in raw */
    return raw ? tmq_decode(raw, (uint32_t)n, version, pkt) : n;
}
