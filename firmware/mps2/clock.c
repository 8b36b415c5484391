/* SysTick (Armv7-M architecture manual, B3.3) counts the core clock down
 * from its reload value and raises its exception at zero; the handler
 * counts milliseconds. The MPS2 boards' core clock is 25 MHz. */
#include "clock.h"

#define CPU_HZ 25000000u

#define SYST_CSR (*(volatile uint32_t *)0xE000E010u)  /* control and status */
#define SYST_RVR (*(volatile uint32_t *)0xE000E014u)  /* reload value */
#define SYST_CVR (*(volatile uint32_t *)0xE000E018u)  /* current value */
#define CSR_ENABLE 1u
#define CSR_TICKINT 2u    /* raise the SysTick exception at zero */
#define CSR_CLKSOURCE 4u  /* count the core clock */

static volatile uint32_t ms;

void systick_handler(void)
{
    ms++;
}

void clock_init(void)
{
    SYST_RVR = CPU_HZ / 1000u - 1u;
    SYST_CVR = 0;
    SYST_CSR = CSR_ENABLE | CSR_TICKINT | CSR_CLKSOURCE;
}

uint32_t clock_ms(void)
{
    return ms;
}
