/* lwIP over the LAN9118 for the example programs (lwip_net.h). */
#include "lwip_net.h"

#include "cpu.h"
#include "lan9118.h"
#include "log.h"
#include "lwip/init.h"
#include "lwip/timeouts.h"
#include "semihost.h"

/* Exit code when there is no network controller. */
#define NO_NETWORK_EXIT 91

static struct netif nif;

void lwip_net_up(void)
{
    ip4_addr_t ip, mask, gw;
    lwip_init();
    IP4_ADDR(&mask, 255, 255, 255, 0);
    IP4_ADDR(&gw, 10, 77, 0, 1);
    IP4_ADDR(&ip, 10, 77, 0, 0);
    if (lan9118_netif_add(&nif, &ip, &mask, &gw) < 0) {
        log_fmt("network: no LAN9118 at 0x40200000\n");
        semihost_exit(NO_NETWORK_EXIT);
    }
    IP4_ADDR(&ip, 10, 77, 0, nif.hwaddr[5]);
    netif_set_ipaddr(&nif, &ip);
}

/* The frames are taken after the sleep, right before the main loop reads the
 * clock for the client's next poll: after a long sleep (QEMU waiting for
 * the host CPU) the clock has moved on by then, and what arrived meanwhile,
 * a PINGRESP say, must reach the client before its timers see that time. */
void lwip_net_idle(tmq_client *c, const tmq_lwip_tcp *tcp)
{
    cpu_irq_disable();
    if (!tmq_client_wants_write(c) && !tmq_lwip_tcp_readable(tcp) && !lan9118_rx_ready())
        cpu_wait_for_interrupt();
    cpu_irq_enable();
    lan9118_poll(&nif);
    sys_check_timeouts();
}
