/* UART0 of the MPS2 boards (a CMSDK APB UART at 0x40004000, 8N1), the link
 * to the broker: QEMU bridges it to a TCP socket (-serial). Non-blocking. */
#ifndef MPS2_UART_H
#define MPS2_UART_H

#include <stdint.h>

/* Bytes received and not yet read that the UART keeps (a power of two): the
 * most one uart_read returns, one "burst". More waits in the UART, which
 * holds one byte and takes no more until it is read. */
#define UART_RX_RING 256u

/* Enables UART0 (115200 baud) with its interrupts, and discards what was
 * received before. */
void uart_open(void);

/* Stops receiving; bytes already written still go out. */
void uart_close(void);

/* Writes up to len bytes while the transmitter has room. Returns how many
 * it took (0 when it is busy). */
uint32_t uart_write(const uint8_t *buf, uint32_t len);

/* Reads up to len received bytes into buf. Returns how many (0: none yet). */
uint32_t uart_read(uint8_t *buf, uint32_t len);

/* How many uart_read calls have returned bytes (the bursts received). */
uint32_t uart_read_count(void);

/* Sleeps until an interrupt (a received byte, the transmitter ready again,
 * the millisecond tick), unless there is work now: a received byte waiting,
 * or room in the transmitter when the caller has bytes to send (sending
 * nonzero). */
void uart_wait(int sending);

#endif
