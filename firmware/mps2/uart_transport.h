/* The engine's transport (tinymqtt/port.h) over UART0: the bytes of one
 * MQTT connection, with the broker at the other end of the serial line. */
#ifndef MPS2_UART_TRANSPORT_H
#define MPS2_UART_TRANSPORT_H

#include "tinymqtt/port.h"

/* The transport to hand to tmq_client_init. There is one UART0, so there
 * is one transport; it holds no state of its own. */
extern tmq_transport uart_transport;

#endif
