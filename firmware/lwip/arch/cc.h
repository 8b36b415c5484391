/* lwIP's platform header for the MPS2 example firmware (Cortex-M, GCC,
 * newlib's integer types): little-endian, diagnostics off, and a failed lwIP
 * assertion reported through the board's log and exit code instead of
 * printf and abort. LWIP_RAND picks the first local TCP port. */
#ifndef FW_LWIP_ARCH_CC_H
#define FW_LWIP_ARCH_CC_H

#include <stdint.h>

#define BYTE_ORDER LITTLE_ENDIAN
#define LWIP_NO_CTYPE_H 1 /* lwIP's own isdigit & co. */

/* Logs msg, the file and the line, and ends the program (firmware/lwip/port.c). */
void lwip_port_assert(const char *msg, const char *file, int line) __attribute__((noreturn));

/* A pseudo-random 32-bit number (firmware/lwip/port.c). */
uint32_t lwip_port_rand(void);

#define LWIP_PLATFORM_DIAG(x) do { } while (0)
#define LWIP_PLATFORM_ASSERT(x) lwip_port_assert((x), __FILE__, __LINE__)
#define LWIP_RAND() lwip_port_rand()

#endif
