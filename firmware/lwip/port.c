/* What lwIP asks of the platform with NO_SYS=1: a millisecond clock for its
 * timers (sys_now, from SysTick), a random number for its first local port,
 * and somewhere to report a failed assertion. */
#include <stdint.h>

#include "arch/cc.h"
#include "clock.h"
#include "log.h"
#include "lwip/sys.h"
#include "semihost.h"

/* Exit code of a failed lwIP assertion. */
#define LWIP_ASSERT_EXIT 90

u32_t sys_now(void)
{
    return clock_ms();
}

void lwip_port_assert(const char *msg, const char *file, int line)
{
    log_fmt("lwip: assertion failed: %s (%s:%d)\n", msg, file, line);
    semihost_exit(LWIP_ASSERT_EXIT);
}

uint32_t lwip_port_rand(void)
{
    /* xorshift32 seeded by the clock on first use: enough to vary the
     * first local port between runs, not for security */
    static uint32_t x;
    if (!x)
        x = clock_ms() * 2654435761u + 0x9E3779B9u;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    return x;
}
