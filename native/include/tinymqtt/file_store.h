/* tinymqtt: a durable store in one file (POSIX port). An append-only log of
 * checksummed records that survives a crash at any byte: opening it replays
 * the records and cuts the file at the first torn or damaged one, so what it
 * holds is always a prefix of what was written. It keeps outgoing QoS 1/2
 * PUBLISHes (topic, payload, QoS, retain, 5.0 properties) under a sequence
 * number, the packet id each was sent with and whether its PUBREC came, and
 * the incoming QoS 2 ids held; tmq_fstore_link plugs it into a client as its
 * tmq_store (tinymqtt/store.h). All functions are thread-safe (one mutex).
 *
 * Record (little-endian): u32 length of what follows the checksum, u32
 * CRC-32 (IEEE) of the length's 4 bytes and everything after the checksum,
 * u8 type, then the type's fields:
 *   1 message   u64 seq, u8 qos | retain << 2, u16 topic length, topic,
 *               u32 properties length, properties, payload (the rest)
 *   2 sending   u64 seq, u16 packet id
 *   3 released  u64 seq
 *   4 done      u64 seq
 *   5 incoming  u16 id, u8 held (id 0, held 0: every id released)
 *   6 next      u64 the sequence number the next message takes
 * The file starts with the 8 bytes "TMQSTOR1". When the log has grown by the
 * compaction threshold since the last compaction, the live records are
 * written to "<path>.compact", which is synced and renamed over the log (and
 * the directory synced). */
#ifndef TINYMQTT_FILE_STORE_H
#define TINYMQTT_FILE_STORE_H

#include <stddef.h>
#include <stdint.h>
#include "tinymqtt/store.h"

/* When records reach the disk.
 *   ALWAYS: fdatasync after every record; what was recorded survives a crash
 *           of the process and of the machine (power loss)
 *   BATCH:  records are written at once and fdatasync'ed by tmq_fstore_sync
 *           (the caller's loop calls it once per round); a process crash
 *           loses nothing, a power loss the records since the last sync
 *   NEVER:  records are written at once, never synced; a process crash loses
 *           nothing (the kernel has the pages), a power loss what the kernel
 *           had not yet written back */
typedef enum tmq_fsync { TMQ_FSYNC_ALWAYS = 0, TMQ_FSYNC_BATCH = 1, TMQ_FSYNC_NEVER = 2 } tmq_fsync;

typedef struct tmq_fstore_options {
    tmq_fsync fsync;
    uint32_t compact_bytes;   /* log growth that triggers compaction; 0 means 4 MiB */
} tmq_fstore_options;

/* One stored outgoing message. Views point into memory the caller owns (for
 * tmq_fstore_add) or that tmq_fstore_message allocated. */
typedef struct tmq_fstore_msg {
    uint64_t seq;             /* the store's number for it, from 1 */
    uint16_t id;              /* packet id it was sent with; 0: never sent */
    uint8_t qos, retain, released;
    tmq_bin topic, payload, props;
} tmq_fstore_msg;

typedef struct tmq_fstore tmq_fstore;

/* Opens the store at path, creating it if it does not exist (an empty file
 * counts as new). Replays the log and cuts it after the last whole, valid
 * record. Returns the store, or NULL with the reason in why (for example
 * "open /var/lib/x.store: Permission denied", "/x.store is not a tinymqtt
 * store"). options may be NULL (ALWAYS, 4 MiB). */
tmq_fstore *tmq_fstore_open(const char *path, const tmq_fstore_options *options, char *why, size_t why_len);

/* Syncs (unless NEVER), unlocks and closes the file, frees the store. The
 * path can be opened again at once, by this process or another. */
void tmq_fstore_close(tmq_fstore *fs);

/* Records a new outgoing message (m->topic, payload, props, qos, retain) and
 * gives its sequence number in *seq. Returns TMQ_OK or TMQ_ERR_STORE
 * (tmq_fstore_describe says why). */
int tmq_fstore_add(tmq_fstore *fs, const tmq_fstore_msg *m, uint64_t *seq);

/* Records the packet id message seq is sent with (nothing is written if it
 * already has that id). TMQ_OK or TMQ_ERR_STORE; an unknown seq is TMQ_OK. */
int tmq_fstore_sending(tmq_fstore *fs, uint64_t seq, uint16_t id);

/* Records that message seq got its PUBREC. TMQ_OK or TMQ_ERR_STORE. */
int tmq_fstore_released(tmq_fstore *fs, uint64_t seq);

/* Forgets message seq (completed or failed for good). TMQ_OK or TMQ_ERR_STORE. */
int tmq_fstore_done(tmq_fstore *fs, uint64_t seq);

/* Records an incoming QoS 2 id held (held 1) or released (held 0); id 0
 * with held 0 releases all. Writes nothing when nothing changes. TMQ_OK or
 * TMQ_ERR_STORE. */
int tmq_fstore_incoming(tmq_fstore *fs, uint16_t id, int held);

/* BATCH: fdatasyncs if anything was written since the last sync. TMQ_OK or
 * TMQ_ERR_STORE. */
int tmq_fstore_sync(tmq_fstore *fs);

/* Rewrites the log with only the live records now (see the top). TMQ_OK or
 * TMQ_ERR_STORE (the old log is then kept as it was). */
int tmq_fstore_compact(tmq_fstore *fs);

/* Messages stored and not done. */
uint32_t tmq_fstore_count(tmq_fstore *fs);

/* The sequence number the next message will take: one more than the number
 * of messages ever added. */
uint64_t tmq_fstore_next_seq(tmq_fstore *fs);

/* The i-th message not done, oldest first, read back from the file into
 * *m; its views point into *buf, which the caller frees with free().
 * TMQ_OK, TMQ_ERR_ARG for i out of range, or TMQ_ERR_STORE. */
int tmq_fstore_message(tmq_fstore *fs, uint32_t i, tmq_fstore_msg *m, uint8_t **buf);

/* Copies the incoming QoS 2 ids held, ascending, into ids (room for
 * 65535); returns how many. */
uint32_t tmq_fstore_incoming_ids(tmq_fstore *fs, uint16_t *ids);

/* The log's size in bytes. */
uint64_t tmq_fstore_size(tmq_fstore *fs);

/* Writes the last failure ("write /x.store: No space left on device") into
 * buf, or "" if none. */
void tmq_fstore_describe(tmq_fstore *fs, char *buf, size_t len);

/* A file store as a client's tmq_store: seq_of maps a message slot to the
 * sequence number its publisher got from tmq_fstore_add (0: not stored). */
typedef struct tmq_fstore_link {
    tmq_store base;
    tmq_fstore *fs;
    uint64_t (*seq_of)(const tmq_msg *msg);
} tmq_fstore_link;

/* Prepares link; then tmq_client_set_store(c, &link->base). */
void tmq_fstore_link_init(tmq_fstore_link *link, tmq_fstore *fs, uint64_t (*seq_of)(const tmq_msg *msg));

#endif
