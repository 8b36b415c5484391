/* Startup for the Cortex-M3 (mps2-an385) and Cortex-M4 (mps2-an386): the
 * vector table, the reset handler that makes memory ready for C, and a
 * handler for every exception the program does not expect.
 *
 * At reset the core loads its stack pointer from word 0 of the vector table
 * and starts at the address in word 1 (Armv7-M, B1.5.5). Words 2-15 are
 * the system exceptions, then one word per external interrupt. */
#include <stdint.h>

#include "cpu.h"
#include "log.h"
#include "semihost.h"
#include "startup.h"

/* from mps2.ld */
extern uint32_t __data_start[], __data_end[], __data_load[];
extern uint32_t __bss_start[], __bss_end[];
extern uint32_t __stack_bottom[], __stack_top[];

int main(void);
void reset_handler(void);
void systick_handler(void);   /* clock.c */
void uart0_rx_handler(void);  /* uart.c */
void uart0_tx_handler(void);

#define STACK_PAINT 0x5AC3A55Cu
#define CPACR (*(volatile uint32_t *)0xE000ED88u) /* coprocessor access control */

/* Any other exception: say which and stop, with exit code 100 + its number
 * (103 is a HardFault). */
static void unexpected(void)
{
    uint32_t n = cpu_exception_number();
    log_fmt("firmware: unexpected exception %u\n", (unsigned)n);
    semihost_exit(100 + (int)n);
}

typedef union vector {
    void (*handler)(void);
    uint32_t *stack;
} vector;

#define X {.handler = unexpected}
/* 16 system entries and the boards' 32 interrupts */
__attribute__((section(".vectors"), used)) static const vector vectors[16 + 32] = {
    {.stack = __stack_top}, {.handler = reset_handler},
    X, X, X, X, X, X, X, X, X, X, X, X, X, /* NMI .. PendSV (2-14) */
    {.handler = systick_handler},          /* 15 */
    {.handler = uart0_rx_handler},         /* IRQ 0 */
    {.handler = uart0_tx_handler},         /* IRQ 1 */
    X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, /* IRQ 2-16 */
    X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, /* IRQ 17-31 */
};
#undef X

void reset_handler(void)
{
    uint32_t *src = __data_load, *dst, *in_use;
    for (dst = __data_start; dst < __data_end;)
        *dst++ = *src++;
    for (dst = __bss_start; dst < __bss_end;)
        *dst++ = 0;
    /* paint the stack below this function's frame (and a margin) */
    in_use = (uint32_t *)(cpu_stack_pointer() - 64u);
    for (dst = __stack_bottom; dst < in_use;)
        *dst++ = STACK_PAINT;
#if defined(__ARM_FP)
    /* built for the FPU (-mfloat-abi=hard): allow coprocessors 10 and 11 */
    CPACR |= 0xFu << 20;
    __asm__ volatile("dsb\n\tisb" ::: "memory");
#endif
    semihost_exit(main());
}

uint32_t startup_stack_used(void)
{
    const uint32_t *p = __stack_bottom;
    while (p < __stack_top && *p == STACK_PAINT)
        p++;
    return (uint32_t)(__stack_top - p) * 4u;
}
