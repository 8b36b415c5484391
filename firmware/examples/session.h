/* The session both example programs run against the broker, one step at a
 * time, and how it is checked and reported. A program starts each step
 * with its own API (session_step_begins, session_message), tells the
 * session what its API reported (session_event, session_received), and
 * calls session_update from its main loop, which passes a step once
 * everything it needs was seen. Each step is logged over semihosting; the
 * program exits 0 only when every step checked out, or else with the
 * number of the step that failed (1-9; a timeout fails the step it stopped
 * in). The client id comes from the semihosting command line (QEMU's
 * -semihosting-config arg=ID), so runs in parallel do not meet on the
 * broker; the topics are under tinymqtt/fw/ID/. */
#ifndef FW_SESSION_H
#define FW_SESSION_H

#include <stdint.h>

enum session_step {
    STEP_CONNECT = 1,   /* CONNECT, CONNACK accepted */
    STEP_SUBSCRIBE,     /* SUBSCRIBE tinymqtt/fw/ID/# at QoS 2, granted QoS 2 */
    STEP_QOS0,          /* PUBLISH at QoS 0 and receive it back */
    STEP_QOS1,          /* PUBLISH at QoS 1: PUBACK, and receive it back */
    STEP_QOS2,          /* PUBLISH at QoS 2: PUBREC/PUBREL/PUBCOMP both ways */
    STEP_KEEPALIVE,     /* send nothing: the keepalive's PINGREQ gets its PINGRESP */
    STEP_LARGE,         /* a message many UART bursts long, out and back */
    STEP_UNSUBSCRIBE,   /* UNSUBACK; a QoS 1 PUBLISH after it is acknowledged, not delivered */
    STEP_DISCONNECT,    /* DISCONNECT written, link closed */
    STEP_DONE
};

/* What a program's API reported. code: see each. */
enum session_event {
    EV_CONNACK,   /* code: the CONNACK return code */
    EV_SUBACK,    /* code: the QoS granted (0x80: refused) */
    EV_UNSUBACK,
    EV_COMPLETE,  /* the step's PUBLISH is done: QoS 0 written, PUBACK, PUBCOMP; code: 5.0 reason */
    EV_PONG,      /* PINGRESP */
    EV_CLOSED     /* the connection ended; code: 0 after DISCONNECT, else why */
};

#define SESSION_KEEPALIVE 2u       /* seconds: short, so the step takes two */
#define SESSION_LARGE 2000u        /* payload bytes of the large message */
#define SESSION_TIMEOUT_MS 30000u  /* the whole session */

/* A message the session publishes. */
typedef struct session_msg {
    const char *topic;
    const uint8_t *payload;
    uint32_t len;
    uint8_t qos;
} session_msg;

/* Supplied by the program, about its link to the broker: its name in the
 * log ("UART", "TCP"), how many reads from it have delivered bytes so far,
 * and the fewest reads the large message may arrive in (2 on a UART, which
 * passes a byte at a time, so the engine must join the packet from parts;
 * 1 where the stack may hold the whole message). */
extern const char session_link_name[];
extern const uint32_t session_link_min_reads;
uint32_t session_link_reads(void);

/* Starts the session at STEP_CONNECT; program names the example in the log.
 * Returns the client id (a static string). */
const char *session_start(const char *program, uint32_t now_ms);

/* The current step. */
enum session_step session_step(void);

/* Nonzero once per step, the first time it is asked: time to start it. */
int session_step_begins(uint32_t now_ms);

/* The message the current step publishes (STEP_QOS0 .. STEP_LARGE, and
 * for STEP_UNSUBSCRIBE the one that must not come back), or NULL. */
const session_msg *session_message(void);

/* The topic filter subscribed to and unsubscribed from. */
const char *session_filter(void);

/* Records what the program's API reported; fails the step at once on a
 * refusal or a lost connection. */
void session_event(enum session_event ev, int code);

/* Records an incoming message; fails the step unless it is the step's own
 * message back through the broker (same topic, payload and QoS). */
void session_received(const uint8_t *topic, uint32_t topic_len, const uint8_t *payload, uint32_t len,
                      uint8_t qos);

/* Passes the current step once it has seen all it needs; fails it when the
 * session has run SESSION_TIMEOUT_MS. Returns nonzero when all are done. */
int session_update(uint32_t now_ms);

/* The current step failed: logs why (and code, the engine's or the API's
 * return value) and exits with the step's number. */
void session_fail(const char *why, int code) __attribute__((noreturn));

#endif
