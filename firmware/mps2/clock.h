/* A millisecond clock that follows real time (on QEMU, its virtual clock,
 * which follows the host's), and SysTick waking the core once a millisecond. */
#ifndef MPS2_CLOCK_H
#define MPS2_CLOCK_H

#include <stdint.h>

/* Starts the clock at 0 and SysTick interrupting once a millisecond. */
void clock_init(void);

/* Milliseconds since clock_init; wraps after 49.7 days (the engine compares
 * differences, so the wrap is harmless). Main loop only (not from an
 * interrupt), and at least every 171 s. */
uint32_t clock_ms(void);

#endif
