/* The session with the engine's client API (client_session.h) over TCP on
 * lwIP (tinymqtt/lwip_tcp.h), through the board's LAN9118 Ethernet
 * controller; built with FW_TLS, over TLS on that TCP connection
 * (tinymqtt/device_tls.h), verifying the broker's certificate against the
 * test's CA compiled into the image. The network is the test's own: the broker at 10.77.0.1, this
 * board at 10.77.0.N, N being the last byte of the MAC address QEMU gives
 * the controller, so boards running at once differ by their MAC alone.
 * lwIP runs with no operating system: the main loop polls the controller
 * and lwIP's timers between polls of the client. */
#include <string.h>

#include "client_session.h"
#include "clock.h"
#include "cpu.h"
#include "lan9118.h"
#include "lwip/init.h"
#include "lwip/timeouts.h"
#include "session.h"
#include "tinymqtt/lwip_tcp.h"

#define BROKER "10.77.0.1"

#if FW_TLS
#include "mbedtls/memory_buffer_alloc.h"
#include "test_ca.h"
#include "tinymqtt/device_tls.h"
#define BROKER_PORT 8883
#define BROKER_NAME "tinymqtt-test-broker" /* in the broker's certificate */
#define PROGRAM "tinymqtt client over lwIP and TLS, "
#define TLS_POOL_SIZE (40u * 1024u)
static unsigned char tls_pool[TLS_POOL_SIZE]; /* mbedtls's allocator: the session and its records */
static tmq_device_tls tls;
#else
#define BROKER_PORT 1883
#define PROGRAM "tinymqtt client over lwIP, "
#endif

static struct netif nif;
static tmq_lwip_tcp tcp;

const char session_link_name[] = "TCP";
const uint32_t session_link_min_reads = 1; /* lwIP may hold the whole message when it is read */

uint32_t session_link_reads(void)
{
    return tcp.reads;
}

/* Brings the interface up at 10.77.0.N. */
static void network_up(void)
{
    ip4_addr_t ip, mask, gw;
    lwip_init();
    IP4_ADDR(&mask, 255, 255, 255, 0);
    IP4_ADDR(&gw, 10, 77, 0, 1);
    IP4_ADDR(&ip, 10, 77, 0, 0);
    if (lan9118_netif_add(&nif, &ip, &mask, &gw) < 0)
        session_fail("no LAN9118 at 0x40200000", 0);
    IP4_ADDR(&ip, 10, 77, 0, nif.hwaddr[5]);
    netif_set_ipaddr(&nif, &ip);
}

/* lwIP's work, then WFI unless there is more now; SysTick ends the sleep
 * within a millisecond (the controller's interrupt is not used). */
static void idle(tmq_client *c)
{
    lan9118_poll(&nif);
    sys_check_timeouts();
    cpu_irq_disable();
    if (!tmq_client_wants_write(c) && !tmq_lwip_tcp_readable(&tcp) && !lan9118_rx_ready())
        cpu_wait_for_interrupt();
    cpu_irq_enable();
}

/* The transport the client runs over: TCP, or TLS over it. */
static tmq_transport *link_up(void)
{
    tmq_lwip_tcp_init(&tcp);
#if FW_TLS
    mbedtls_memory_buffer_alloc_init(tls_pool, sizeof tls_pool);
    if (tmq_device_tls_init(&tls, &tcp.base, fw_test_ca, fw_test_ca_len, BROKER_NAME) != TMQ_OK)
        session_fail("tmq_device_tls_init", tls.mbed_err);
    return &tls.base;
#else
    return &tcp.base;
#endif
}

int main(void)
{
    clock_init();
    network_up();
    return client_session_run(PROGRAM CLIENT_SESSION_MQTT, link_up(), BROKER, BROKER_PORT, idle);
}
