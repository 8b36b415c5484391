/* The network the lwIP example programs share: lwIP with no operating
 * system over the board's LAN9118, at a static address on the test's
 * network (the broker at 10.77.0.1, this board at 10.77.0.N, N the last byte
 * of the MAC address QEMU gives the controller, so boards running at once
 * differ by their MAC alone). */
#ifndef FW_LWIP_NET_H
#define FW_LWIP_NET_H

#include "tinymqtt/client.h"
#include "tinymqtt/lwip_tcp.h"

#define LWIP_NET_BROKER "10.77.0.1"

/* Starts lwIP and brings the interface up at 10.77.0.N; exits the program
 * when the controller does not answer. */
void lwip_net_up(void);

/* The main loop's idle step: sleeps (WFI) unless the client c has bytes to
 * send, tcp has something to read or a frame waits, then hands received
 * frames to lwIP and runs its timers. SysTick ends the sleep within a
 * millisecond (the controller's interrupt is not used). */
void lwip_net_idle(tmq_client *c, const tmq_lwip_tcp *tcp);

#endif
