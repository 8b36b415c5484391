/* lwIP's configuration for the example network firmware: the raw (callback)
 * API with no operating system (NO_SYS=1), IPv4 with ARP and ICMP, TCP for
 * one MQTT connection, a static address (no DHCP, no DNS). lwIP's memory is
 * its own: the heap array and pools sized here are statics inside lwIP,
 * reported by scripts/size-report. Nothing in lwIP runs from an interrupt:
 * the main loop polls the Ethernet driver and lwIP's timers, so no locking
 * is needed. */
#ifndef FW_LWIPOPTS_H
#define FW_LWIPOPTS_H

#define NO_SYS 1
#define SYS_LIGHTWEIGHT_PROT 0
#define LWIP_SOCKET 0
#define LWIP_NETCONN 0

#define MEM_ALIGNMENT 4
#define MEM_SIZE (12 * 1024)      /* lwIP's heap: TCP segments copied by tcp_write, ARP queue */
#define MEMP_NUM_PBUF 8           /* pbufs referencing memory (tcp_write without copy: none here) */
#define MEMP_NUM_TCP_PCB 2        /* the MQTT connection, and the one closing before a reconnect */
#define MEMP_NUM_TCP_PCB_LISTEN 0
#define MEMP_NUM_TCP_SEG 16       /* segments queued for sending or out of order */
#define MEMP_NUM_UDP_PCB 0
#define PBUF_POOL_SIZE 12         /* received frames */
#define PBUF_POOL_BUFSIZE 1536    /* one whole Ethernet frame per pool pbuf */

#define LWIP_IPV4 1
#define LWIP_IPV6 0
#define LWIP_ARP 1
#define LWIP_ETHERNET 1
#define LWIP_ICMP 1
#define LWIP_UDP 0
#define LWIP_DHCP 0
#define LWIP_DNS 0
#define LWIP_IGMP 0
#define IP_REASSEMBLY 0
#define IP_FRAG 0

#define LWIP_TCP 1
#define TCP_MSS 1460
#define TCP_WND (4 * TCP_MSS)
#define TCP_SND_BUF (4 * TCP_MSS)
#define TCP_SND_QUEUELEN 16
#define LWIP_TCP_KEEPALIVE 0      /* MQTT's keepalive finds a dead link */

#define LWIP_NETIF_STATUS_CALLBACK 0
#define LWIP_NETIF_LINK_CALLBACK 0
#define LWIP_STATS 0
#define LWIP_CHECKSUM_CTRL_PER_NETIF 0

#endif
