/* The session (session.h) run with the engine's client API over a transport
 * the program chooses: UART0 (tinymqtt_client.c) or TCP over lwIP, plain or
 * with TLS (lwip_client.c). */
#ifndef FW_CLIENT_SESSION_H
#define FW_CLIENT_SESSION_H

#include <stdint.h>

#include "tinymqtt/client.h"

/* The MQTT version the engine was built for, for the program's name. */
#if TMQ_WITH_V5
#define CLIENT_SESSION_MQTT "MQTT 5.0"
#else
#define CLIENT_SESSION_MQTT "MQTT 3.1.1"
#endif

/* Runs the session with a tmq_client over link to host:port (the link may
 * ignore them), from the main loop: each turn starts the step that is due,
 * polls the client, checks the session, then calls idle(client), which does
 * the link's own work and sleeps unless the client has work now. program
 * names the example in the log. Returns 0 when every step checked out; a
 * failed step ends the program through session_fail. */
int client_session_run(const char *program, tmq_transport *link, const char *host, uint16_t port,
                       void (*idle)(tmq_client *c));

#endif
