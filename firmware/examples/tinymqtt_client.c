/* The session with the engine's client API (client_session.h) over UART0,
 * which the test bridges to the broker over TCP. Between polls the loop
 * sleeps (WFI) unless a byte has arrived or the client has bytes to send
 * and the transmitter room. */
#include "client_session.h"
#include "clock.h"
#include "uart.h"
#include "uart_transport.h"

static void idle(tmq_client *c)
{
    uart_wait(tmq_client_wants_write(c));
}

int main(void)
{
    clock_init();
    /* a serial line has one peer: the transport ignores host and port */
    return client_session_run("tinymqtt client, " CLIENT_SESSION_MQTT, &uart_transport, "uart0", 0, idle);
}
