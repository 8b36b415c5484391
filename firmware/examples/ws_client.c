/* The session with the engine's client API (client_session.h) over MQTT
 * over WebSockets: the engine's WebSocket transport (tinymqtt/ws.h) wraps
 * the UART0 transport, so the bytes on the serial line are an HTTP/1.1
 * upgrade and then masked binary frames. The test bridges UART0 to a
 * WebSocket listener (aedes served over ws). The keys come from the
 * board's tmq_port_entropy. No heap: the WebSocket state and its buffers
 * are static. */
#include "client_session.h"
#include "clock.h"
#include "log.h"
#include "semihost.h"
#include "session.h"
#include "tinymqtt/entropy.h"
#include "tinymqtt/ws.h"
#include "uart.h"
#include "uart_transport.h"

/* Outgoing frames (a frame carries at most sizeof ws_tx - 14 bytes of the
 * client's, so the large message goes out in several) and the upgrade
 * request; the upgrade response. */
static uint8_t ws_tx[512], ws_rx[256];

/* tmq_ws_random_fn: the Sec-WebSocket-Key and each frame's masking key. */
static void board_random(void *ctx, uint8_t *out, uint32_t len)
{
    (void)ctx;
    if (tmq_port_entropy(out, len) != 0)
        session_fail("tmq_port_entropy", 0);
}

static const tmq_ws_config ws_cfg = {
    .host = "broker", /* a serial line has one peer; the listener takes any Host */
    .tx = ws_tx, .tx_cap = sizeof ws_tx, .rx = ws_rx, .rx_cap = sizeof ws_rx,
    .random = board_random,
};
static tmq_ws ws;

/* The client's bytes, and the WebSocket layer's own (the upgrade request,
 * a pong, a close), count as work for the transmitter. */
static void idle(tmq_client *c)
{
    uart_wait(tmq_client_wants_write(c) || tmq_ws_wants_write(&ws));
}

int main(void)
{
    clock_init();
    if (tmq_ws_init(&ws, &uart_transport, &ws_cfg) != TMQ_OK) { /* before the session: fail its first step */
        log_fmt("tmq_ws_init refused the configuration\n");
        semihost_exit(STEP_CONNECT);
    }
    return client_session_run("tinymqtt client over WebSocket, " CLIENT_SESSION_MQTT, &ws.base, "uart0", 0, idle);
}
