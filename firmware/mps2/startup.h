/* What the startup code knows that a program may want to report. */
#ifndef MPS2_STARTUP_H
#define MPS2_STARTUP_H

#include <stdint.h>

/* Deepest the stack has been so far, in bytes (the reset handler fills the
 * stack with a pattern; this finds the lowest word no longer holding it). */
uint32_t startup_stack_used(void);

#endif
