/* A millisecond clock from the Cortex-M SysTick timer. */
#ifndef MPS2_CLOCK_H
#define MPS2_CLOCK_H

#include <stdint.h>

/* Starts SysTick interrupting once a millisecond. */
void clock_init(void);

/* Milliseconds since clock_init; wraps after 49.7 days (the engine compares
 * differences, so the wrap is harmless). */
uint32_t clock_ms(void);

#endif
