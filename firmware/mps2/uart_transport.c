/* A serial line has one peer and is up as soon as the UART is enabled, so
 * connect ignores host and port and succeeds at once. Neither send nor recv
 * waits: they move what the UART can take or has, or say TMQ_IO_AGAIN. A
 * UART cannot see the far end go away; the client's keepalive does. */
#include "uart_transport.h"

#include "uart.h"

static int uart_connect(tmq_transport *t, const char *host, uint16_t port)
{
    (void)t;
    (void)host;
    (void)port;
    uart_open();
    return TMQ_OK;
}

static int32_t uart_send(tmq_transport *t, const uint8_t *buf, uint32_t len)
{
    uint32_t n = uart_write(buf, len);
    (void)t;
    return n ? (int32_t)n : TMQ_IO_AGAIN;
}

static int32_t uart_recv(tmq_transport *t, uint8_t *buf, uint32_t len)
{
    uint32_t n = uart_read(buf, len);
    (void)t;
    return n ? (int32_t)n : TMQ_IO_AGAIN;
}

static void uart_disconnect(tmq_transport *t)
{
    (void)t;
    uart_close();
}

static const tmq_transport_ops ops = {uart_connect, uart_send, uart_recv, uart_disconnect};

tmq_transport uart_transport = {&ops};
