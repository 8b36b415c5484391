/* The engine's transport over lwIP's raw TCP API (tinymqtt/lwip_tcp.h).
 * lwIP calls back into the connection from its input processing (connected,
 * received, error); the callbacks only record what happened, and the
 * transport operations, called from tmq_client_poll, report it. */
#include "tinymqtt/lwip_tcp.h"

#include "lwip/ip_addr.h"
#include "lwip/pbuf.h"
#include "lwip/tcp.h"

/* tmq_lwip_tcp.state */
enum {
    LINK_IDLE,        /* no connection */
    LINK_CONNECTING,  /* SYN sent */
    LINK_OPEN,        /* bytes flow */
    LINK_PEER_CLOSED, /* the peer's FIN arrived; what came before may still be read */
    LINK_FAILED       /* reset or aborted: lwIP has freed the pcb */
};

static err_t on_connected(void *arg, struct tcp_pcb *pcb, err_t err)
{
    tmq_lwip_tcp *t = (tmq_lwip_tcp *)arg;
    (void)pcb;
    if (err == ERR_OK)
        t->state = LINK_OPEN;
    return ERR_OK;
}

static err_t on_received(void *arg, struct tcp_pcb *pcb, struct pbuf *p, err_t err)
{
    tmq_lwip_tcp *t = (tmq_lwip_tcp *)arg;
    (void)pcb;
    (void)err;
    if (!p) {
        t->state = LINK_PEER_CLOSED;
        return ERR_OK;
    }
    if (t->rx)
        pbuf_cat(t->rx, p);
    else
        t->rx = p;
    return ERR_OK;
}

/* lwIP has freed the pcb already (reset, abort, out of memory). */
static void on_error(void *arg, err_t err)
{
    tmq_lwip_tcp *t = (tmq_lwip_tcp *)arg;
    t->pcb = NULL;
    t->state = LINK_FAILED;
    t->lwip_err = (int8_t)err;
}

static int start_connect(tmq_lwip_tcp *t, const char *host, uint16_t port)
{
    ip_addr_t addr;
    if (!ipaddr_aton(host, &addr))
        return TMQ_ERR_DNS;
    t->pcb = tcp_new();
    if (!t->pcb)
        return TMQ_ERR_IO;
    t->lwip_err = 0;
    tcp_arg(t->pcb, t);
    tcp_recv(t->pcb, on_received);
    tcp_err(t->pcb, on_error);
    tcp_nagle_disable(t->pcb); /* MQTT packets are small and wait for answers */
    t->state = LINK_CONNECTING;
    if (tcp_connect(t->pcb, &addr, port, on_connected) != ERR_OK) {
        tcp_abort(t->pcb); /* calls on_error */
        t->lwip_err = ERR_RTE;
    }
    return TMQ_IO_CONNECTING;
}

static int link_connect(tmq_transport *base, const char *host, uint16_t port)
{
    tmq_lwip_tcp *t = (tmq_lwip_tcp *)base;
    int rc;
    switch (t->state) {
    case LINK_IDLE:
        rc = start_connect(t, host, port);
        return rc == TMQ_IO_CONNECTING && t->state == LINK_FAILED ? TMQ_ERR_IO : rc;
    case LINK_CONNECTING:
        return TMQ_IO_CONNECTING;
    case LINK_OPEN:
        return TMQ_OK;
    case LINK_FAILED:
        return t->lwip_err == ERR_RST ? TMQ_ERR_REFUSED : TMQ_ERR_IO;
    default:
        return TMQ_ERR_CLOSED;
    }
}

static int32_t link_send(tmq_transport *base, const uint8_t *buf, uint32_t len)
{
    tmq_lwip_tcp *t = (tmq_lwip_tcp *)base;
    uint32_t room;
    if (t->state != LINK_OPEN)
        return t->state == LINK_CONNECTING ? TMQ_IO_AGAIN : TMQ_ERR_CLOSED;
    room = tcp_sndbuf(t->pcb);
    if (len > room)
        len = room;
    if (len > 0xFFFFu)
        len = 0xFFFFu;
    if (!len || tcp_sndqueuelen(t->pcb) >= TCP_SND_QUEUELEN)
        return TMQ_IO_AGAIN;
    if (tcp_write(t->pcb, buf, (u16_t)len, TCP_WRITE_FLAG_COPY) != ERR_OK)
        return TMQ_IO_AGAIN; /* lwIP's memory is full until segments are acknowledged */
    (void)tcp_output(t->pcb);
    return (int32_t)len;
}

static int32_t link_recv(tmq_transport *base, uint8_t *buf, uint32_t len)
{
    tmq_lwip_tcp *t = (tmq_lwip_tcp *)base;
    uint16_t n;
    if (!t->rx)
        return t->state == LINK_PEER_CLOSED || t->state == LINK_FAILED ? TMQ_ERR_CLOSED : TMQ_IO_AGAIN;
    n = pbuf_copy_partial(t->rx, buf, (u16_t)(len > t->rx->tot_len ? t->rx->tot_len : len), 0);
    t->rx = pbuf_free_header(t->rx, n);
    if (t->pcb)
        tcp_recved(t->pcb, n);
    t->reads++;
    return n;
}

static void link_close(tmq_transport *base)
{
    tmq_lwip_tcp *t = (tmq_lwip_tcp *)base;
    if (t->pcb) {
        tcp_arg(t->pcb, NULL);
        tcp_recv(t->pcb, NULL);
        tcp_err(t->pcb, NULL);
        if (tcp_close(t->pcb) != ERR_OK)
            tcp_abort(t->pcb);
        t->pcb = NULL;
    }
    if (t->rx)
        pbuf_free(t->rx);
    t->rx = NULL;
    t->state = LINK_IDLE;
}

static const tmq_transport_ops ops = {link_connect, link_send, link_recv, link_close};

void tmq_lwip_tcp_init(tmq_lwip_tcp *t)
{
    t->base.ops = &ops;
    t->pcb = NULL;
    t->rx = NULL;
    t->state = LINK_IDLE;
    t->lwip_err = 0;
    t->reads = 0;
}

int tmq_lwip_tcp_readable(const tmq_lwip_tcp *t)
{
    return t->rx != NULL || t->state == LINK_PEER_CLOSED || t->state == LINK_FAILED;
}
