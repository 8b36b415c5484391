/* A polled driver for the SMSC LAN9118 as an lwIP netif. Facts from the
 * LAN9118 datasheet that this relies on (32-bit bus, little-endian FIFOs):
 *   - registers are 32 bits wide at the base address 0x40200000 on MPS2;
 *     BYTE_TEST reads 0x87654321 once the chip is ready (PMT_CTRL bit 0);
 *   - the MAC's own registers (MAC_CR, ADDRH, ADDRL, ...) are reached through
 *     MAC_CSR_CMD (busy bit 31, read bit 30, register index in bits 7:0) and
 *     MAC_CSR_DATA;
 *   - a frame is sent by writing TX command A (first and last segment bits
 *     13 and 12, buffer length in bits 10:0), TX command B (a tag in bits
 *     31:16, frame length in bits 10:0) and then the bytes as words to the TX
 *     data FIFO; TX_FIFO_INF bits 15:0 say how many bytes it has free;
 *   - a received frame shows as one RX status word (length with the 4-byte
 *     CRC in bits 29:16, error summary in bit 15), read from the RX status
 *     FIFO, then its bytes and CRC as whole words from the RX data FIFO;
 *     RX_FIFO_INF bits 23:16 count the status words waiting. */
#include "lan9118.h"

#include <stdint.h>

#include "lwip/etharp.h"
#include "lwip/pbuf.h"
#include "netif/ethernet.h"

#define BASE 0x40200000u
#define REG(off) (*(volatile uint32_t *)(BASE + (off)))

#define RX_DATA_FIFO REG(0x00u)
#define TX_DATA_FIFO REG(0x20u)
#define RX_STATUS_FIFO REG(0x40u)
#define TX_STATUS_FIFO REG(0x48u)
#define BYTE_TEST REG(0x64u)
#define RX_CFG REG(0x6Cu)
#define TX_CFG REG(0x70u)
#define HW_CFG REG(0x74u)
#define RX_FIFO_INF REG(0x7Cu)
#define TX_FIFO_INF REG(0x80u)
#define PMT_CTRL REG(0x84u)
#define INT_EN REG(0x5Cu)
#define MAC_CSR_CMD REG(0xA4u)
#define MAC_CSR_DATA REG(0xA8u)

#define BYTE_TEST_VALUE 0x87654321u
#define PMT_READY 1u
#define HW_CFG_SRST 1u
#define TX_CFG_ON 2u
#define TX_CFG_STATUS_OVERRUN 4u  /* the TX status FIFO may overflow: we do not need its words */
#define CSR_BUSY 0x80000000u
#define CSR_READ 0x40000000u

#define MAC_CR 1u
#define MAC_ADDRH 2u
#define MAC_ADDRL 3u
#define MAC_CR_TXEN 0x8u
#define MAC_CR_RXEN 0x4u
#define MAC_CR_FDPX 0x100000u

#define TXA_FIRST 0x2000u
#define TXA_LAST 0x1000u
#define RXS_ERROR 0x8000u

#define FRAME_MAX 1518u     /* largest Ethernet frame without its CRC */
#define SPIN_LIMIT 100000u  /* register polls before giving up on the chip */

/* one frame in and one out, as words, with room for the CRC word */
static uint32_t rx_words[(FRAME_MAX + 4u + 3u) / 4u];
static uint32_t tx_words[(FRAME_MAX + 3u) / 4u];

static int wait_clear(volatile uint32_t *reg, uint32_t bits)
{
    uint32_t n;
    for (n = 0; n < SPIN_LIMIT; n++)
        if (!(*reg & bits))
            return 0;
    return -1;
}

static uint32_t mac_read(uint32_t index)
{
    MAC_CSR_CMD = CSR_BUSY | CSR_READ | index;
    (void)wait_clear(&MAC_CSR_CMD, CSR_BUSY);
    return MAC_CSR_DATA;
}

static void mac_write(uint32_t index, uint32_t value)
{
    MAC_CSR_DATA = value;
    MAC_CSR_CMD = CSR_BUSY | index;
    (void)wait_clear(&MAC_CSR_CMD, CSR_BUSY);
}

static err_t link_output(struct netif *nif, struct pbuf *p)
{
    uint32_t len = p->tot_len, words = (len + 3u) / 4u, i, n;
    (void)nif;
    if (len > FRAME_MAX)
        return ERR_BUF;
    pbuf_copy_partial(p, tx_words, (u16_t)len, 0);
    /* the controller sends as fast as the wire takes it: wait for room */
    for (n = 0; (TX_FIFO_INF & 0xFFFFu) < words * 4u + 8u; n++)
        if (n == SPIN_LIMIT)
            return ERR_IF;
    TX_DATA_FIFO = TXA_FIRST | TXA_LAST | len;
    TX_DATA_FIFO = (len << 16) | len; /* the tag is the length: nothing reads it back */
    for (i = 0; i < words; i++)
        TX_DATA_FIFO = tx_words[i];
    return ERR_OK;
}

static err_t netif_setup(struct netif *nif)
{
    uint32_t lo = mac_read(MAC_ADDRL), hi = mac_read(MAC_ADDRH);
    nif->name[0] = 'e';
    nif->name[1] = 'n';
    nif->hwaddr_len = ETH_HWADDR_LEN;
    nif->hwaddr[0] = (u8_t)lo;
    nif->hwaddr[1] = (u8_t)(lo >> 8);
    nif->hwaddr[2] = (u8_t)(lo >> 16);
    nif->hwaddr[3] = (u8_t)(lo >> 24);
    nif->hwaddr[4] = (u8_t)hi;
    nif->hwaddr[5] = (u8_t)(hi >> 8);
    nif->mtu = 1500;
    nif->flags = NETIF_FLAG_BROADCAST | NETIF_FLAG_ETHARP | NETIF_FLAG_ETHERNET;
    nif->output = etharp_output;
    nif->linkoutput = link_output;
    return ERR_OK;
}

int lan9118_netif_add(struct netif *nif, const ip4_addr_t *ip, const ip4_addr_t *mask, const ip4_addr_t *gw)
{
    if (BYTE_TEST != BYTE_TEST_VALUE)
        return -1;
    HW_CFG = HW_CFG_SRST;
    if (wait_clear(&HW_CFG, HW_CFG_SRST) < 0)
        return -1;
    while (!(PMT_CTRL & PMT_READY))
        ;
    INT_EN = 0;  /* polled */
    RX_CFG = 0;  /* frames start at the first byte of the first word */
    TX_CFG = TX_CFG_ON | TX_CFG_STATUS_OVERRUN;
    /* full duplex, receive what is addressed to us or broadcast */
    mac_write(MAC_CR, MAC_CR_TXEN | MAC_CR_RXEN | MAC_CR_FDPX);
    if (!netif_add(nif, ip, mask, gw, NULL, netif_setup, ethernet_input))
        return -1;
    netif_set_default(nif);
    netif_set_link_up(nif);
    netif_set_up(nif);
    return 0;
}

int lan9118_rx_ready(void)
{
    return (RX_FIFO_INF & 0x00FF0000u) != 0;
}

/* Reads one waiting frame out of the FIFOs and gives it to lwIP. */
static void receive_one(struct netif *nif)
{
    uint32_t status = RX_STATUS_FIFO, len = (status >> 16) & 0x3FFFu, words = (len + 3u) / 4u, i;
    struct pbuf *p;
    if (words > sizeof rx_words / 4u) {
        for (i = 0; i < words; i++) /* too long for any frame we use: drain and drop */
            (void)RX_DATA_FIFO;
        return;
    }
    for (i = 0; i < words; i++)
        rx_words[i] = RX_DATA_FIFO;
    if ((status & RXS_ERROR) || len <= 4u)
        return;
    p = pbuf_alloc(PBUF_RAW, (u16_t)(len - 4u), PBUF_POOL);
    if (!p)
        return; /* out of pool: TCP resends */
    pbuf_take(p, rx_words, (u16_t)(len - 4u));
    if (nif->input(p, nif) != ERR_OK)
        pbuf_free(p);
}

unsigned lan9118_poll(struct netif *nif)
{
    unsigned n = 0;
    while (lan9118_rx_ready()) {
        receive_one(nif);
        n++;
    }
    while (TX_FIFO_INF & 0x00FF0000u) /* status words of frames sent: not needed */
        (void)TX_STATUS_FIFO;
    return n;
}
