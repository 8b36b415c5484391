/* The session with the engine's client API (client_session.h) over TCP on
 * lwIP (tinymqtt/lwip_tcp.h), through the board's LAN9118 Ethernet
 * controller (lwip_net.h); built with FW_TLS, over TLS on that TCP
 * connection (tinymqtt/device_tls.h), verifying the broker's certificate
 * against the test's CA compiled into the image. lwIP runs with no operating
 * system: the main loop polls the controller and lwIP's timers between polls
 * of the client. */
#include "client_session.h"
#include "clock.h"
#include "lwip_net.h"
#include "session.h"

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

static tmq_lwip_tcp tcp;

const char session_link_name[] = "TCP";
const uint32_t session_link_min_reads = 1; /* lwIP may hold the whole message when it is read */

uint32_t session_link_reads(void)
{
    return tcp.reads;
}

static void idle(tmq_client *c)
{
    lwip_net_idle(c, &tcp);
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
    lwip_net_up();
    return client_session_run(PROGRAM CLIENT_SESSION_MQTT, link_up(), LWIP_NET_BROKER, BROKER_PORT, idle);
}
