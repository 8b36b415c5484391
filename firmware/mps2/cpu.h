/* The few Cortex-M instructions C cannot express, for the MPS2 board code. */
#ifndef MPS2_CPU_H
#define MPS2_CPU_H

#include <stdint.h>

/* Masks interrupts (PRIMASK). A pending interrupt still ends a WFI. */
static inline void cpu_irq_disable(void)
{
    __asm__ volatile("cpsid i" ::: "memory");
}

static inline void cpu_irq_enable(void)
{
    __asm__ volatile("cpsie i" ::: "memory");
}

/* Sleeps until an interrupt is pending (even a masked one). */
static inline void cpu_wait_for_interrupt(void)
{
    __asm__ volatile("dsb\n\twfi" ::: "memory");
}

/* The current stack pointer. */
static inline uintptr_t cpu_stack_pointer(void)
{
    uintptr_t sp;
    __asm__ volatile("mov %0, sp" : "=r"(sp));
    return sp;
}

/* The number of the exception being handled (IPSR), 0 in thread mode. */
static inline uint32_t cpu_exception_number(void)
{
    uint32_t ipsr;
    __asm__ volatile("mrs %0, ipsr" : "=r"(ipsr));
    return ipsr & 0x1FFu;
}

#endif
