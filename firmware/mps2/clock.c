/* The millisecond clock. Time is read from the MPS2 FPGA's COUNTER
 * (FPGA system control and I/O at 0x40028000, AN385 and AN386 alike),
 * which counts the 25 MHz reference clock up while its prescaler reload
 * (PRESCALE) is 0. SysTick (Armv7-M architecture manual, B3.3) only
 * interrupts once a millisecond, which wakes the main loop from WFI.
 *
 * Why not count SysTick's interrupts: QEMU pends the exception once for
 * any number of periods that fell due while its thread waited for the host
 * CPU, so on a loaded host the count falls behind real time (measured: 1.8 s
 * counted over 4.5 s of a test run's keepalive step, which the broker, on
 * real time, ended before the client's keepalive ping was due). COUNTER is
 * computed from QEMU's virtual clock, which follows the host's, when it is
 * read, so it loses nothing. */
#include "clock.h"

#define CPU_HZ 25000000u
#define TICKS_PER_MS (CPU_HZ / 1000u)

#define SYST_CSR (*(volatile uint32_t *)0xE000E010u)  /* control and status */
#define SYST_RVR (*(volatile uint32_t *)0xE000E014u)  /* reload value */
#define SYST_CVR (*(volatile uint32_t *)0xE000E018u)  /* current value */
#define CSR_ENABLE 1u
#define CSR_TICKINT 2u    /* raise the SysTick exception at zero */
#define CSR_CLKSOURCE 4u  /* count the core clock */

#define FPGAIO_COUNTER (*(volatile uint32_t *)0x40028018u)   /* counts up once per prescaler expiry */
#define FPGAIO_PRESCALE (*(volatile uint32_t *)0x4002801Cu)  /* prescaler reload: 0 counts every tick */

static uint32_t last_count; /* COUNTER at the last clock_ms */
static uint32_t ticks_left; /* ticks since then not yet a whole millisecond */
static uint32_t ms;

/* Its only job is to end the main loop's WFI. */
void systick_handler(void)
{
}

void clock_init(void)
{
    FPGAIO_PRESCALE = 0;
    last_count = FPGAIO_COUNTER;
    ticks_left = 0;
    ms = 0;
    SYST_RVR = TICKS_PER_MS - 1u;
    SYST_CVR = 0;
    SYST_CSR = CSR_ENABLE | CSR_TICKINT | CSR_CLKSOURCE;
}

/* COUNTER wraps every 171 s; the main loops read the clock far more often,
 * so the difference of two reads is the time between them. */
uint32_t clock_ms(void)
{
    uint32_t count = FPGAIO_COUNTER, ticks = count - last_count + ticks_left;
    last_count = count;
    ms += ticks / TICKS_PER_MS;
    ticks_left = ticks % TICKS_PER_MS;
    return ms;
}
