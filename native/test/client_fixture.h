/* The fixture of the client tests: one client over a memory pipe, a
 * scripted fake broker on the other end, simulated time, and a record of
 * every event. Shared by the 3.x and 5.0 client suites. */
#ifndef TMQ_TEST_CLIENT_FIXTURE_H
#define TMQ_TEST_CLIENT_FIXTURE_H

#include "pipe.h"
#include "tinymqtt/client.h"

#define BIN(lit) ((tmq_bin){(const uint8_t *)(lit), (uint32_t)(sizeof(lit) - 1)})

typedef struct fixture {
    tmq_client c;
    tmq_client_config cfg;
    tmq_client_events ev;
    tmq_client_mem mem;
    tmq_pipe pipe;
    uint8_t tx[512], rx[256];
    tmq_msg msgs[8];
    uint16_t qos2[4];
    uint32_t now;
    /* what the events reported */
    int connacks, messages, sents, subacks, pongs, disconnects, errors, states;
    int disconnect_err, error_err;
    uint8_t sent_reason, session_present;
    uint8_t disconnect_reason; /* the server's DISCONNECT's, or 0 */
    void *sent_user, *error_user;
    char topic[64], payload[64];
    uint8_t codes[8];
    uint32_t ncodes;
    /* the broker side's last packet */
    uint8_t raw[PIPE_CAP];
    tmq_packet pkt;
} fixture;

extern fixture F;

/* The recording sent callback (tests may wrap it). */
void on_sent(tmq_client *c, const tmq_msg *m, uint8_t reason);

/* A fresh client for protocol `version` (not connected); returns tmq_client_init's result. */
int setup(uint8_t version);

/* Polls the client at simulated time now. */
tmq_state poll_at(uint32_t now);

/* The broker takes the client's next packet into F.pkt; returns its type, 0, or an error. */
int broker_pop(void);

/* The broker sends a packet with just a type, id and (5.0) reason. */
void broker_send(uint8_t type, uint16_t id, uint8_t reason);

/* The broker sends an accepted 5.0 CONNACK carrying these properties. */
void broker_connack_props(const tmq_prop *props, uint16_t count);

/* Makes *props a 5.0 property block of one User Property, k=v, held in
 * *user (both the caller's). */
void one_user_property(tmq_prop *user, tmq_props *props);

/* Makes a 5.0 property block of one numeric property id = num, held in
 * *p (the caller's). */
tmq_props one_number_property(tmq_prop *p, uint8_t id, uint32_t num);

/* The broker sends a PUBLISH. */
void broker_publish(const char *topic, const char *payload, uint8_t qos, uint16_t id, uint8_t dup);

/* Connects until the CONNECT is with the broker; 0 when it is. */
int connect_sent(void);

/* Connects, and has the broker answer the CONNECT with a CONNACK carrying
 * session_present and return code `code` (not yet polled); 0 when it went out. */
int connect_answered(uint8_t session_present, uint8_t code);

/* Connects and completes CONNECT/CONNACK; 0 when READY. */
int connect_ready(uint8_t session_present);

/* What an event loop does after a submission: poll if there is something to send. */
int32_t then_poll(int32_t rc);

/* Publishes text, then polls like a loop would. */
int32_t publish(const char *topic, const char *payload, uint8_t qos, void *user);

#endif
