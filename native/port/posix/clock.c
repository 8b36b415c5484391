/* tinymqtt POSIX port: the engine's millisecond clock, and the microseconds
 * the loop's driver policies time (tinymqtt/drive.h). */
#define _GNU_SOURCE
#include "tinymqtt/posix.h"

#include <time.h>

uint32_t tmq_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint32_t)((uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u);
}

uint32_t tmq_now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint32_t)((uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u);
}
