/* tmq_port_entropy for the MPS2 boards (tinymqtt/entropy.h). The MPS2
 * has no true random number generator, so this mixes what varies between
 * runs on QEMU: SysTick's current count and the millisecond clock, read at
 * each call and stirred with xorshift. It seeds the TLS random generator
 * and makes the WebSocket keys in the examples and test; it is NOT entropy
 * a real device may rely on: use the part's TRNG there. */
#include <stddef.h>
#include <stdint.h>

#include "clock.h"
#include "tinymqtt/entropy.h"

#define SYST_CVR (*(volatile uint32_t *)0xE000E018u) /* SysTick current value */

int tmq_port_entropy(uint8_t *buf, size_t len)
{
    static uint32_t x = 0x6A09E667u;
    size_t i;
    for (i = 0; i < len; i++) {
        x ^= SYST_CVR + clock_ms() * 2654435761u;
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        buf[i] = (uint8_t)(x >> 24);
    }
    return 0;
}
