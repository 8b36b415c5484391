/* tinymqtt: persistence hooks. A store keeps what the client must not
 * forget across a crash of the program: outgoing QoS 1/2 PUBLISHes in flight
 * or queued (with the packet id and QoS 2 progress they reached) and the ids
 * of incoming QoS 2 messages delivered but not yet released. The engine
 * calls the store synchronously, at the moments that make delivery exactly
 * once for QoS 2 across a restart:
 *   sending:  a QoS 1/2 PUBLISH has its packet id and its bytes are in the
 *             send buffer, not yet on the transport (first time, and again
 *             after a reconnect: a store records each id once)
 *   released: a PUBREC arrived; the PUBREL is queued only after this
 *   done:     a QoS 1/2 PUBLISH completed (PUBACK, PUBCOMP, or a QoS 2
 *             message already released when the server lost the session) or
 *             failed for good; not called when tmq_client_abandon fails the
 *             messages (the store keeps them for the next run)
 *   incoming: an incoming QoS 2 id was held (held 1: before the message
 *             event and the PUBREC) or released (held 0: before the
 *             PUBCOMP); id 0 with held 0 releases every id (the server did
 *             not keep the session)
 * sending, released and incoming return TMQ_OK or a negative error (say
 * TMQ_ERR_STORE): the engine then sends nothing that depends on the record,
 * ends the connection with that error (the disconnect event) and goes
 * through the same steps again after the next connect, so a store that
 * cannot write loses and duplicates nothing, it only stops delivery.
 *
 * Which message a hook concerns: the store finds its own record from the
 * slot (msg->user is the caller's handle, msg->id the packet id). What the
 * message is (topic, payload, QoS, retain, properties) the caller records
 * when it publishes; the engine never copies it.
 *
 * After a restart the caller puts the stored state back with
 * tmq_client_restore and tmq_client_restore_incoming, after tmq_client_init
 * and before the first tmq_client_connect, then plugs the store in with
 * tmq_client_set_store. Built only with TMQ_WITH_STORE (off for cross
 * builds, so the budgeted 3.1.1 core does not carry it). */
#ifndef TINYMQTT_STORE_H
#define TINYMQTT_STORE_H

#include <stdint.h>
#include "tinymqtt/client.h"

typedef struct tmq_store tmq_store;

/* The store's functions; see the top of this file for when each runs. */
typedef struct tmq_store_ops {
    int (*sending)(tmq_store *s, const tmq_msg *msg);
    int (*released)(tmq_store *s, const tmq_msg *msg);
    void (*done)(tmq_store *s, const tmq_msg *msg);
    int (*incoming)(tmq_store *s, uint16_t id, int held);
} tmq_store_ops;

/* Concrete stores embed this as their first member and point ops at their
 * functions (as transports do with tmq_transport). */
struct tmq_store {
    const tmq_store_ops *ops;
};

/* Plugs store into c (NULL unplugs it). The store is caller-owned and must
 * outlive c. Call after tmq_client_init; the restores below may come before
 * or after it. */
void tmq_client_set_store(tmq_client *c, tmq_store *store);

/* Puts a stored outgoing QoS 1/2 PUBLISH back into a slot, behind those
 * already there. id is the packet id it was sent with, or 0 if it never was
 * (it then gets a new one, like a new publish); released (QoS 2 only) means
 * its PUBREC had arrived. After CONNACK, with the session present, it is
 * resent with DUP under its id, or gets its PUBREL again; without the
 * session it is sent as new, or is complete if released. Restore messages
 * with an id before those without, in their original order. The memory
 * rules of tmq_client_publish apply. Call only while DISCONNECTED, before
 * the first connect. Returns the packet id, TMQ_ERR_STATE when not
 * DISCONNECTED, TMQ_ERR_ARG for QoS 0, a released message that is not QoS 2
 * or has no id, or an id another slot carries, or tmq_client_publish's
 * errors (TMQ_ERR_QUEUE_FULL, TMQ_ERR_TOPIC, TMQ_ERR_TOO_LARGE, ...). */
int32_t tmq_client_restore(tmq_client *c, tmq_bin topic, tmq_bin payload, uint8_t qos, uint8_t retain,
                           const tmq_props *props, void *user, uint16_t id, uint8_t released);

/* Puts a stored incoming QoS 2 id back (delivered, not yet released): a
 * resent PUBLISH with it is not delivered again. Returns TMQ_OK, TMQ_ERR_ARG
 * for id 0, or TMQ_ERR_QUEUE_FULL when mem.qos2 is full. */
int tmq_client_restore_incoming(tmq_client *c, uint16_t id);

#endif
