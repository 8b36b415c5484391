/* The MPS2 boards' SMSC LAN9118 (LAN9220 on the FPGA images) Ethernet
 * controller as an lwIP network interface, polled from the main loop: no
 * interrupts, so lwIP is only ever entered from one place. */
#ifndef MPS2_LAN9118_H
#define MPS2_LAN9118_H

#include "lwip/netif.h"

/* Resets the controller, reads its MAC address, enables the transmitter and
 * receiver, and adds it to lwIP as nif with the given static IPv4 address,
 * mask and gateway, up and the default interface. nif is the caller's and
 * must outlive the program's use of the network. Returns 0, or -1 when no
 * LAN9118 answers at the board's address. */
int lan9118_netif_add(struct netif *nif, const ip4_addr_t *ip, const ip4_addr_t *mask, const ip4_addr_t *gw);

/* Hands every frame the controller has received to lwIP (nif's input).
 * Returns how many frames were read. */
unsigned lan9118_poll(struct netif *nif);

/* Nonzero when a received frame waits in the controller. */
int lan9118_rx_ready(void);

#endif
