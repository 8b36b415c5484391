/* CMSDK APB UART (Arm DDI 0479, the Cortex-M System Design Kit): DATA,
 * STATE (TX full, RX full), CTRL (enables), INTSTATUS (write 1 to clear),
 * BAUDDIV. It buffers one byte each way, so received bytes are moved into
 * a ring by the RX interrupt (IRQ 0); the TX interrupt (IRQ 1) only wakes
 * the main loop when the transmitter has room again. */
#include "uart.h"

#include "cpu.h"

#define UART0 ((volatile uint32_t *)0x40004000u)
#define DATA 0
#define STATE 1
#define CTRL 2
#define INTSTATUS 3
#define BAUDDIV 4
#define STATE_TXFULL 1u
#define STATE_RXFULL 2u
#define CTRL_TX_EN 1u
#define CTRL_RX_EN 2u
#define CTRL_TX_INTEN 4u
#define CTRL_RX_INTEN 8u
#define INT_TX 1u
#define INT_RX 2u

#define PCLK_HZ 25000000u
#define BAUD 115200u

#define NVIC_ISER0 (*(volatile uint32_t *)0xE000E100u)  /* interrupt set-enable */
#define IRQ_UART0_RX 0
#define IRQ_UART0_TX 1

/* Received bytes: ring[tail % size .. head % size). head is advanced by the
 * interrupt, tail by uart_read; both only with interrupts masked or inside
 * the interrupt, so neither needs more care. */
static uint8_t ring[UART_RX_RING];
static uint32_t head, tail;
static uint32_t reads;

/* Moves what the UART holds into the ring while there is room. */
static void rx_drain(void)
{
    while ((UART0[STATE] & STATE_RXFULL) && head - tail < UART_RX_RING)
        ring[head++ % UART_RX_RING] = (uint8_t)UART0[DATA];
}

void uart0_rx_handler(void)
{
    UART0[INTSTATUS] = INT_RX;
    rx_drain();
}

void uart0_tx_handler(void)
{
    UART0[INTSTATUS] = INT_TX;
}

void uart_open(void)
{
    cpu_irq_disable();
    UART0[BAUDDIV] = PCLK_HZ / BAUD;
    UART0[CTRL] = CTRL_TX_EN | CTRL_RX_EN | CTRL_TX_INTEN | CTRL_RX_INTEN;
    head = tail = 0;
    NVIC_ISER0 = 1u << IRQ_UART0_RX | 1u << IRQ_UART0_TX;
    cpu_irq_enable();
}

void uart_close(void)
{
    cpu_irq_disable();
    UART0[CTRL] = CTRL_TX_EN;
    head = tail = 0;
    cpu_irq_enable();
}

uint32_t uart_write(const uint8_t *buf, uint32_t len)
{
    uint32_t n = 0;
    while (n < len && !(UART0[STATE] & STATE_TXFULL))
        UART0[DATA] = buf[n++];
    return n;
}

uint32_t uart_read(uint8_t *buf, uint32_t len)
{
    uint32_t n = 0;
    cpu_irq_disable();
    while (n < len && tail != head)
        buf[n++] = ring[tail++ % UART_RX_RING];
    rx_drain(); /* a byte the interrupt had to leave in the UART while the ring was full */
    cpu_irq_enable();
    if (n)
        reads++;
    return n;
}

uint32_t uart_read_count(void)
{
    return reads;
}

void uart_wait(int sending)
{
    cpu_irq_disable();
    if (head == tail && !(UART0[STATE] & STATE_RXFULL) && !(sending && !(UART0[STATE] & STATE_TXFULL)))
        cpu_wait_for_interrupt();
    cpu_irq_enable();
}
