/* Driver policies: two decisions a host that drives many clients from one
 * event loop makes for each of them, kept here so that every such driver
 * (the Node addon's inline driver, the WebAssembly engine's, the POSIX
 * loop's read coalescing, tmq_loop_coalesce) follows the same rule with
 * the same figures. Pure logic: the caller owns the state
 * (a zeroed struct is a new one), hands in the time and what a poll did,
 * and applies the answer with its own means. Its own library
 * (tinymqtt_drive): firmware that polls one client does not link it.
 *
 * Read coalescing (tmq_coalesce): when a client receives a busy stream and
 * sends nothing of its own, let bytes gather and read them in one go,
 * instead of waking for every packet. A wake-up of a sleeping process costs
 * 10-15 µs of CPU on the project's machines, while decoding and delivering
 * a 64-byte message costs well under 1 µs, and a subscriber that keeps up
 * with a stream wakes for almost every message (bench/README.md, "Where the
 * time went"). While it is on, the driver holds reads until the mark's
 * bytes are waiting (a socket's receive low-water mark) or at most
 * TMQ_COALESCE_MAX_DELAY_MS after the previous read (its timer), so a
 * stream that slows waits no longer than that; a driver that cannot watch
 * for a mark holds reads until the timer. It turns on after a streak of
 * TMQ_COALESCE_START_STREAK reads in a row, each less than
 * TMQ_COALESCE_BUSY_GAP_US after the previous one, while the application
 * was not waiting for a reply, and off as soon as it waits for one or the
 * timer finds the stream slowed. Waiting for a reply means it submitted an
 * operation since the previous poll while fewer than
 * TMQ_COALESCE_STREAM_WINDOW of its QoS 1/2 publishes are in flight: a
 * round trip (a QoS 0 message to its own subscription, one QoS 1 publish at
 * a time) never qualifies, while the acknowledgements of a full window of
 * publishes are a stream like any other. A stream that slows right after
 * turning on makes the next attempt need twice the streak (at most
 * TMQ_COALESCE_LONGEST_STREAK).
 *
 * Waiting for a reply awake (tmq_spin): after a client writes what the
 * application submitted, and while its recent replies came back within
 * TMQ_SPIN_BUDGET_US, the driver's loop does not sleep until data arrives
 * or that time passes: a sleep and wake-up adds 15-20 µs to a round trip
 * through a broker of about 60 µs. What it costs is CPU while waiting, so
 * only while replies come that fast: a wait that ends without data lowers
 * the client's score by TMQ_SPIN_MISS, one that ends with data raises it by
 * TMQ_SPIN_HIT (at most TMQ_SPIN_MAX_SCORE), and at zero the client only
 * tries once in TMQ_SPIN_PROBE_EVERY writes. Never while its reads are
 * coalesced.
 *
 * Times are microseconds of a counter that may wrap (differences are
 * compared). The figures are generated into lib/constants.ts
 * (scripts/gen-constants.mjs) for what the TypeScript driver times itself. */
#ifndef TINYMQTT_DRIVE_H
#define TINYMQTT_DRIVE_H

#include <stdint.h>

/* Reads closer together than this make a busy stream. */
#define TMQ_COALESCE_BUSY_GAP_US 200u
/* The longest a read is held while reads are coalesced. */
#define TMQ_COALESCE_MAX_DELAY_MS 1u
/* Busy reads in a row that turn coalescing on, and the most a run of failed
 * attempts makes it need. */
#define TMQ_COALESCE_START_STREAK 8u
#define TMQ_COALESCE_LONGEST_STREAK (1u << 14)
/* The bounds of the mark, in bytes. */
#define TMQ_COALESCE_MIN_MARK 64u
#define TMQ_COALESCE_MAX_MARK 4096u
/* The first mark of an attempt: four reads' worth, but at least this, so
 * the reads of a stream whose sender writes each packet in pieces (aedes
 * over WebSockets: five frames of 3 to 66 bytes a message) batch several
 * packets from the start; the timer's reads bring it down to what the
 * stream brings. */
#define TMQ_COALESCE_START_MARK 1024u
/* QoS 1/2 publishes in flight from which a submission is no wait for a reply. */
#define TMQ_COALESCE_STREAM_WINDOW 8u

/* How long a wait for a reply awake lasts. */
#define TMQ_SPIN_BUDGET_US 100u
/* The score a client starts with, its ceiling, what a reply within the wait
 * adds and a wait without one takes away. */
#define TMQ_SPIN_START_SCORE 4
#define TMQ_SPIN_MAX_SCORE 16
#define TMQ_SPIN_HIT 2
#define TMQ_SPIN_MISS 4
/* At score zero, one write in this many waits anyway (a probe). */
#define TMQ_SPIN_PROBE_EVERY 128u

/* One connection's read coalescing. All fields are state: zero it (or call
 * tmq_coalesce_reset) for a new connection, read it through the functions. */
typedef struct tmq_coalesce {
    uint32_t last_read_us;   /* when the previous read came */
    uint32_t mark;           /* while on: the bytes a read waits for */
    uint32_t streak;         /* while off: busy reads in a row */
    uint32_t needed;         /* the streak that turns it on; 0: TMQ_COALESCE_START_STREAK */
    uint8_t on;              /* reads are coalesced */
    uint8_t worked;          /* since it turned on, a read came by the mark */
    uint8_t read_before;     /* last_read_us is set */
} tmq_coalesce;

/* One client's waits for a reply. All fields are state: zero it for a new
 * client. */
typedef struct tmq_spin {
    uint32_t writes_since_miss;   /* writes since the last wait that found nothing */
    int16_t score;                /* the score less TMQ_SPIN_START_SCORE (zero: the start) */
} tmq_spin;

/* Starts over, as for a new connection (a new socket has no mark): the
 * same as zeroing *c. */
void tmq_coalesce_reset(tmq_coalesce *c);

/* After a poll of the client that read `bytes` (0: none) at now_us. While
 * reads are coalesced, a read of twice the mark doubles it (up to
 * TMQ_COALESCE_MAX_MARK), unless it came by the timer; a read by the timer
 * below the mark brings the mark down to half of it (not under
 * TMQ_COALESCE_MIN_MARK), or turns coalescing off when it is under
 * TMQ_COALESCE_MIN_MARK (the stream slowed).
 * by_timer: nonzero when the poll ran because the coalescing timer was due,
 * not because bytes were ready. submitted: nonzero when the application
 * submitted an operation since the previous poll (while waiting for a reply,
 * a poll that reads nothing still ends a streak of busy reads). inflight: its QoS 1/2
 * publishes sent and not yet acknowledged (tmq_client's `inflight`).
 * Returns the mark the reads should wait for now, tmq_coalesce_mark(c). */
uint32_t tmq_coalesce_after_poll(tmq_coalesce *c, uint32_t now_us, uint32_t bytes, int by_timer, int submitted,
                                 uint32_t inflight);

/* The bytes a read should wait for (a socket's receive low-water mark):
 * 1 while reads are not coalesced, within TMQ_COALESCE_MIN_MARK and
 * TMQ_COALESCE_MAX_MARK while they are (TMQ_COALESCE_START_MARK or four
 * reads' worth when it turns on). */
uint32_t tmq_coalesce_mark(const tmq_coalesce *c);

/* Nonzero while reads are coalesced: the driver then holds reads at most
 * TMQ_COALESCE_MAX_DELAY_MS (its timer) and does not wait for replies
 * awake. */
int tmq_coalesce_on(const tmq_coalesce *c);

/* After the client wrote what the application submitted: nonzero when the
 * driver should wait for the reply awake, for TMQ_SPIN_BUDGET_US or until
 * data arrives. Zero while `reads` (NULL: none) are coalesced, without
 * counting the write. */
int tmq_spin_after_write(tmq_spin *s, const tmq_coalesce *reads);

/* Data arrived while waiting awake: the score rises. */
void tmq_spin_hit(tmq_spin *s);

/* TMQ_SPIN_BUDGET_US passed without data: the score falls, and the count
 * towards the next probe starts over. */
void tmq_spin_miss(tmq_spin *s);

#endif
