/* The session's link facts (session.h) for the programs that reach the
 * broker over UART0: a UART passes one byte at a time, so the large message
 * must arrive over several reads. */
#include "session.h"
#include "uart.h"

const char session_link_name[] = "UART";
const uint32_t session_link_min_reads = 2;

uint32_t session_link_reads(void)
{
    return uart_read_count();
}
