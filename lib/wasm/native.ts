// The engine compiled to WebAssembly (native/port/wasm), as the `Native` of
// lib/native.ts: lib/client.ts and everything above it run unchanged over it.
// It does here, in TypeScript, what the addon's inline driver and Core do in
// C++ (binding/inline.cc, binding/client.cc): drive the engine on this
// thread from the transport's events and a timer, keep the jobs the engine
// points into and the offline queue (its bounds by tinymqtt/offline.h), and
// emit the same event batches. README.md says why this is a second copy and
// what it leaves out.
// No Node built-ins: it runs wherever WebAssembly and a WasmTransport do.
import {
  ASSIGNED_ID, BATCH_EVENTS, COALESCE_MAX_DELAY_MS, COALESCE_MAX_MARK, COPY_LIMIT, EVENT_FIELDS, EventKind, IN_ALIASES_MAX,
  IN_ALIAS_SLOT, MESSAGE_HAS_PROPS, MSG_SLOTS, OUT_ALIASES, OUT_ALIAS_SLOT, PROPERTIES, QOS2_IDS, TMQ_ERR_ARG,
  TMQ_ERR_CLOSED, TMQ_ERR_DNS, TMQ_ERR_IO, TMQ_ERR_QUEUE_FULL, TMQ_ERR_REFUSED, TMQ_ERR_STATE, TMQ_ERR_TLS, TMQ_ERR_TOO_LARGE,
  TMQ_ERR_TLS_VERIFY, TMQ_ERR_CONNECT_TIMEOUT, TMQ_IO_AGAIN, SPIN_BUDGET_US, TMQ_IO_CONNECTING, TMQ_OK, TMQ_STATE_READY,
  WS_RX, WS_TX,
} from '../constants.js';
import { MqttError } from '../mqtt-error.js';
import type {
  BatchHandler, Native, NativeClient, NativeClientOptions, NativeStore, ReconnectPolicy,
} from '../native.js';
import { WasmHeap } from './heap.js';
import type { WasmConnection, WasmServer, WasmTransport } from './transport.js';

/** What createWasmNative takes besides the module and the transport. */
export interface WasmNativeOptions {
  /** true: for ws:// and wss:// the engine's own WebSocket layer frames
   *  MQTT over the transport's plain byte stream (Node's sockets); false
   *  (default): the transport is handed the server's `ws` and frames it (a
   *  browser's WebSocket). */
  engineWebSocket?: boolean;
  /** what version() returns */
  version?: string;
  /** checks a client's TLS options at creation (a CA, certificate or key
   *  that cannot be read) and returns why they cannot be used, or undefined;
   *  createClient then throws as the addon does (TMQ_ERR_ARG) */
  checkTls?(tls: NonNullable<NativeClientOptions['tls']>): string | undefined;
}

/** The module's exports (native/port/wasm/wasm.h, and the engine functions
 *  scripts/build-wasm exports). Pointers are offsets in `memory`. */
interface Engine {
  memory: WebAssembly.Memory;
  __heap_base: WebAssembly.Global;
  tmq_wasm_size(): number;
  tmq_wasm_msg_size(): number;
  tmq_wasm_server_size(): number;
  tmq_wasm_props_size(): number;
  tmq_wasm_sub_size(): number;
  tmq_wasm_new(w: number, id: number): void;
  tmq_wasm_log_packets(w: number): void;
  tmq_wasm_set_connect(w: number, host: number, port: number, version: number, clientId: number, clientIdLen: number,
    clean: number, keepalive: number, username: number, usernameLen: number, password: number, passwordLen: number,
    props: number, propsLen: number, connectTimeout: number, maxInflight: number, autoAlias: number): void;
  tmq_wasm_set_will(w: number, topic: number, topicLen: number, payload: number, payloadLen: number, qos: number,
    retain: number, props: number, propsLen: number): void;
  tmq_wasm_set_server(w: number, servers: number, i: number, count: number, host: number, port: number, kind: number): void;
  tmq_wasm_set_reconnect(w: number, base: number, max: number, factor: number, jitter: number, stable: number, seed: number): void;
  tmq_wasm_set_ws(w: number, path: number, host: number, headers: number, tx: number, txCap: number, rx: number, rxCap: number): number;
  tmq_wasm_init(w: number, tx: number, txCap: number, rx: number, rxCap: number, rxMax: number, msgs: number, msgCap: number,
    qos2: number, qos2Cap: number, assigned: number, assignedCap: number, aliases: number, aliasMax: number, aliasLen: number,
    outAliases: number, outAliasMax: number, outAliasLen: number): number;
  tmq_wasm_publish(w: number, block: number, topicLen: number, payloadLen: number, propsLen: number, qos: number,
    retain: number, token: number): number;
  tmq_wasm_publish_size(w: number, block: number, topicLen: number, payloadLen: number, propsLen: number, qos: number,
    retain: number): number;
  tmq_wasm_subscribe(w: number, block: number, count: number, propsLen: number, unsub: number, token: number): number;
  tmq_wasm_disconnect(w: number, reason: number, props: number, propsLen: number, now: number): number;
  tmq_wasm_auth(w: number, reason: number, props: number, propsLen: number): number;
  tmq_wasm_change_reconnect(w: number, base: number, max: number, factor: number, jitter: number, stable: number, now: number): void;
  tmq_wasm_close(w: number): void;
  tmq_wasm_check_disconnect(reason: number, props: number, propsLen: number): number;
  tmq_wasm_wants_write(w: number): number;
  tmq_wasm_prop_num(props: number, propsLen: number, id: number): number;
  tmq_wasm_inflight(w: number): number;
  tmq_wasm_coalesce(w: number): number;
  tmq_wasm_spin(w: number): number;
  tmq_wasm_set_offline(w: number, countLimit: number, byteLimit: number, qos0: number): void;
  tmq_wasm_offline_admit(w: number, qos: number, packet: number): number;
  tmq_wasm_offline_release(w: number, entry: number): void;
  tmq_wasm_offline_refusal(w: number, verdict: number, packet: number, buf: number, cap: number): number;
  tmq_offline_code(verdict: number): number;
  tmq_coalesce_reset(c: number): void;
  tmq_coalesce_after_poll(c: number, nowUs: number, bytes: number, byTimer: number, submitted: number, inflight: number): number;
  tmq_spin_after_write(s: number, reads: number): number;
  tmq_spin_hit(s: number): void;
  tmq_spin_miss(s: number): void;
  tmq_client_connect(w: number, now: number): number;
  tmq_client_poll(w: number, now: number): number;
  tmq_client_timeout(w: number, now: number): number;
  tmq_client_state(w: number): number;
  tmq_client_ping(w: number, now: number): number;
  tmq_strerror(code: number): number;
  tmq_topic_check(p: number, len: number): number;
  tmq_filter_check(p: number, len: number): number;
  tmq_topic_match(f: number, flen: number, t: number, tlen: number): number;
}

// Each client's memory is the addon's (MSG_SLOTS ... WS_RX, generated from
// binding/client.cc and ws.h) but for the receive buffer: a larger packet is
// read into a block of its size.
const RX_BUFFER = 64 << 10;
/** MQTT 5.0 Topic Alias Maximum property */
const PROP_TOPIC_ALIAS_MAXIMUM = PROPERTIES.find((p) => p.name === 'TOPIC_ALIAS_MAXIMUM')!.id;
/** room for the words of an offline queue's refusal (tmq_wasm_offline_refusal) */
const REFUSAL_TEXT = 256;
/** writes of this many bytes and more go through writeBuffers */
const POOLED_WRITE = 64 << 10;
const KEPT_WRITES = 4;
/** distinct topics a batch looks up by their bytes before making a string */
const RECENT_TOPICS = 8;
/** how long a wait for a reply awake lasts (WasmClient.spin; tinymqtt/drive.h) */
const SPIN_BUDGET_MS = SPIN_BUDGET_US / 1000;
/** turns of the event loop after a held read's resume within which a read
 *  is what the timer found (ReadHold) */
const HOLD_TURNS = 2;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** A copy of bytes in an array of its own. (Not slice(): on a view of a
 *  WebAssembly memory it took 10 times as long as this for 1 MiB, measured
 *  in Node 20.) */
function copy(bytes: Uint8Array): Uint8Array {
  const out = new Uint8Array(bytes.length);
  out.set(bytes);
  return out;
}

/** Small arrays carved from shared blocks, as Node's pool for small
 *  Buffers: a write's copy and a batch's arrays of at most SLAB_PIECE bytes
 *  are views of a SLAB-byte block, not arrays with a buffer of their own,
 *  whose allocation and sweep in each scavenge cost more than their bytes
 *  (issue 18: the engine's garbage per round trip set how often the
 *  latency's slowest round trips met a scavenge). A block's bytes are never
 *  handed out twice: it goes when the last view of it goes. */
const SLAB = 16 << 10;
const SLAB_PIECE = 2 << 10;
let slab = new ArrayBuffer(SLAB);
let slabAt = 0;

/** The offset in `slab` (read after this call: it may start a new block) of
 *  size fresh bytes, 8-aligned; size at most SLAB_PIECE. */
function carve(size: number): number {
  if (slabAt + size > SLAB) {
    slab = new ArrayBuffer(SLAB);
    slabAt = 0;
  }
  const at = slabAt;
  slabAt = (at + size + 7) & ~7;
  return at;
}

/** Copies len bytes of mem from p to out at `at` (a loop up to 256 bytes:
 *  no view made for them). */
function copyIn(out: Uint8Array, at: number, mem: Uint8Array, p: number, len: number): void {
  if (len <= 256) for (let i = 0; i < len; i++) out[at + i] = mem[p + i];
  else out.set(mem.subarray(p, p + len), at);
}

/** Arrays for large writes, kept for the next once the transport is done
 *  with them: a fresh one costs its page faults (about 5 ms for 1 MiB on
 *  the project's loaded machine, 20 times the copy), every large write. By
 *  power-of-two class from POOLED_WRITE, at most KEPT_WRITES of each. */
class WriteBuffers {
  readonly #free: Uint8Array[][] = [];

  take(size: number): Uint8Array {
    const c = 32 - Math.clz32(size - 1);
    return this.#free[c]?.pop() ?? new Uint8Array(2 ** c);
  }

  give(buffer: Uint8Array): void {
    const list = (this.#free[31 - Math.clz32(buffer.length)] ??= []);
    if (list.length < KEPT_WRITES) list.push(buffer);
  }
}

const writeBuffers = new WriteBuffers();

/** A monotonic millisecond clock, wrapping at 2^32 as the engine expects. */
const now = (): number => Math.floor(performance.now()) >>> 0;
/** performance.now() time t as the driver policies' microseconds (tinymqtt/drive.h), wrapping at 2^32. */
const micros = (t: number): number => Math.floor(t * 1000) >>> 0;

/** The next turn of the event loop: setImmediate where there is one (Node),
 *  else a 0 ms timer. */
const nextTurn: (f: () => void) => void = typeof setImmediate === 'function'
  ? (f) => { setImmediate(f); } : (f) => { setTimeout(f, 0); };

/** An Error with an engine code name, as the addon throws them (lib/errors.ts
 *  nativeError turns it into an MqttError). */
function codeError(message: string, code: string): Error {
  return Object.assign(new Error(message), { code });
}

/** The engine error of a transport failure code (Node's codes). */
function transportError(code: string): number {
  if (code === 'ENOTFOUND' || code.startsWith('EAI_')) return TMQ_ERR_DNS;
  if (code === 'ECONNREFUSED') return TMQ_ERR_REFUSED;
  if (code === 'ECONNRESET' || code === 'EPIPE') return TMQ_ERR_CLOSED;   // as the POSIX port: the peer went
  if (code.startsWith('ERR_SSL_')) return TMQ_ERR_TLS;   // OpenSSL's, an alert of the server's among them
  if (/CERT|SELF_SIGNED|UNABLE_TO_(GET|VERIFY)|HOSTNAME/.test(code)) return TMQ_ERR_TLS_VERIFY;   // the verification's
  if (/TLS|EPROTO/.test(code)) return TMQ_ERR_TLS;
  return TMQ_ERR_IO;
}

/** One batch of events in the addon's layout (binding/events.h): at most
 *  BATCH_EVENTS events, each distinct topic made a string once. */
class Batch {
  ints = new Int32Array(EVENT_FIELDS * 64);
  count = 0;
  data = new Uint8Array(1024);
  size = 0;
  topics: string[] = [];
  /** the last few topics by their bytes, looked up first, kept from batch
   *  to batch; `index` in topics of the batch `batch` (the count of clears) */
  readonly #recent: { bytes: Uint8Array; text: string; batch: number; index: number }[] = [];
  #batch = 0;

  add(id: number, kind: number, a = 0, b = 0, c = 0, d = 0): void {
    let at = this.count * EVENT_FIELDS;
    if (at + EVENT_FIELDS > this.ints.length) {
      const more = new Int32Array(this.ints.length * 2);
      more.set(this.ints);
      this.ints = more;
    }
    const ints = this.ints;
    ints[at++] = id; ints[at++] = kind; ints[at++] = a; ints[at++] = b; ints[at++] = c; ints[at] = d;
    this.count++;
  }

  /** Room for len more bytes at the end of data; returns their offset. */
  #room(len: number): number {
    const at = this.size, end = at + len;
    if (end > this.data.length) {
      const more = new Uint8Array(Math.max(end, this.data.length * 2));
      more.set(this.data.subarray(0, at));
      this.data = more;
    }
    this.size = end;
    return at;
  }

  /** Copies bytes to the end of data; returns their offset. */
  append(bytes: Uint8Array): number {
    const at = this.#room(bytes.length);
    this.data.set(bytes, at);
    return at;
  }

  /** append() of len bytes of mem from p. */
  appendFrom(mem: Uint8Array, p: number, len: number): number {
    const at = this.#room(len);
    copyIn(this.data, at, mem, p, len);
    return at;
  }

  /** The index in topics of the string of the topic at mem[p, p + len). */
  topic(mem: Uint8Array, p: number, len: number): number {
    const recent = this.#recent;
    let found = -1;
    search: for (let r = recent.length - 1; r >= 0; r--) {
      const known = recent[r].bytes;
      if (known.length !== len) continue;
      for (let i = 0; i < len; i++) if (known[i] !== mem[p + i]) continue search;
      found = r;
      break;
    }
    if (found < 0) {
      if (recent.length === RECENT_TOPICS) recent.shift();
      const bytes = copy(mem.subarray(p, p + len));
      found = recent.push({ bytes, text: decoder.decode(bytes), batch: -1, index: 0 }) - 1;
    }
    const t = recent[found];
    if (t.batch !== this.#batch) {
      t.batch = this.#batch;
      t.index = this.topics.push(t.text) - 1;
    }
    return t.index;
  }

  /** Empties the batch, keeping its arrays. */
  clear(): void {
    this.count = 0;
    this.size = 0;
    this.topics = [];
    this.#batch++;
  }

  /** When the last event is client id's `kind`: sets its a and returns true. */
  replace(id: number, kind: number, a: number): boolean {
    const at = (this.count - 1) * EVENT_FIELDS;
    if (this.count === 0 || this.ints[at] !== id || this.ints[at + 1] !== kind) return false;
    this.ints[at + 2] = a;
    return true;
  }

  /** The batch as the handler's arguments, in arrays of its own (views into
   *  them stay valid): copied, or, past COPY_LIMIT bytes (a large message),
   *  the data array itself, the batch starting a new one. */
  take(): [Int32Array, Uint8Array, string[]] {
    const n = this.count * EVENT_FIELDS;
    if (this.size > COPY_LIMIT) {
      const data = this.data.subarray(0, this.size);
      this.data = new Uint8Array(1024);
      return [this.ints.slice(0, n), data, this.topics];
    }
    const size = n * 4 + this.size, small = size <= SLAB_PIECE;
    const at = small ? carve(size) : 0, buffer = small ? slab : new ArrayBuffer(size);
    const events = new Int32Array(buffer, at, n);
    if (small) for (let i = 0; i < n; i++) events[i] = this.ints[i];
    else events.set(this.ints.subarray(0, n));
    const data = new Uint8Array(buffer, at + n * 4, this.size);
    copyIn(data, 0, this.data, 0, this.size);
    return [events, data, this.topics];
  }
}

/** The batches waiting for delivery, oldest first; events go to the last. */
class Batches {
  #list: Batch[] = [new Batch()];

  /** The batch to add an event to (a new one when the last is full). */
  get tail(): Batch {
    const last = this.#list[this.#list.length - 1];
    if (last.count < BATCH_EVENTS) return last;
    const next = new Batch();
    this.#list.push(next);
    return next;
  }

  /** The last batch as it is, for a Written event to replace its last event. */
  get last(): Batch {
    return this.#list[this.#list.length - 1];
  }

  get empty(): boolean {
    return this.#list[0].count === 0;
  }

  /** Takes the oldest batch, as the handler's arguments; its arrays are
   *  kept for the next events. */
  shift(): [Int32Array, Uint8Array, string[]] {
    const first = this.#list.length > 1 ? this.#list.shift()! : this.#list[0];
    const taken = first.take();
    first.clear();
    return taken;
  }
}

/** A publish, subscribe or unsubscribe on its way: its block in the
 *  engine's memory holds what the engine sends (tmq_wasm_publish's and
 *  tmq_wasm_subscribe's layout) until its final event. */
interface Job {
  kind: 'publish' | 'subscribe' | 'unsubscribe';
  token: number;
  at: number;
  size: number;
  /** publish: topic, payload, property block lengths, qos, retain */
  topicLen: number;
  payloadLen: number;
  propsLen: number;
  qos: number;
  retain: number;
  /** (un)subscribe: filters */
  count: number;
  /** bytes the offline queue counts for it (0: none) */
  queued: number;
  /** QoS 0: its bytes in the client's unwritten count */
  unwritten: number;
}

/** Read coalescing for a transport that can pause (Node's sockets, TLS too):
 *  the engine's rule (tmq_coalesce, tinymqtt/drive.h) decides when a
 *  client's reads are coalesced, from its state in the module's memory;
 *  this applies the decision. Node has no receive low-water mark, so a read
 *  is held by pausing the transport until a timer COALESCE_MAX_DELAY_MS
 *  later; the first read after the resume is what the timer found, and
 *  none within HOLD_TURNS turns of the event loop means it found nothing.
 *  What the timer found is told to the rule as such (by_timer) only when
 *  the hold began at the read of the hold before: a broker with Nagle's
 *  algorithm on (mosquitto's default) sends one segment and keeps the rest
 *  until the subscriber reads it, which a socket with a mark acknowledges
 *  at once and a paused one does not, so a hold that began at any other
 *  read (the one that turned coalescing on, or one after a read that was
 *  not held) finds one packet whatever the stream, and the rest comes in
 *  the next. A read of COALESCE_MAX_MARK bytes or more is not held (the
 *  largest mark is met already). One per connection. */
class ReadHold {
  /** the tmq_coalesce */
  readonly state: number;
  readonly #engine: Engine;
  #paused = false;
  /** the hold began at the read of the hold before */
  #chained = false;
  /** turns of the loop since the timer resumed the transport, until a read (0: none) */
  #turns = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;
  readonly #conn: WasmConnection & { pause(): void; resume(): void };
  #refd: boolean;

  constructor(engine: Engine, state: number, conn: WasmConnection & { pause(): void; resume(): void }, refd: boolean) {
    this.#engine = engine;
    this.state = state;
    this.#conn = conn;
    this.#refd = refd;
    engine.tmq_coalesce_reset(state);   // a new connection starts over
  }

  /** After a poll that read `bytes` (0: none); `submitted`: the client
   *  submitted something since the previous poll; `inflight`: its QoS 1/2
   *  publishes in flight (asked only when submitted). */
  afterPoll(bytes: number, submitted: boolean, inflight: () => number): void {
    const held = this.#turns !== 0 && bytes !== 0;   // the read a hold found
    if (held) this.#turns = 0;
    this.#apply(this.#engine.tmq_coalesce_after_poll(this.state, micros(performance.now()), bytes,
      held && this.#chained ? 1 : 0, submitted ? 1 : 0, submitted ? inflight() : 0), bytes, held);
  }

  /** The rule's mark after a read of `bytes` (held: the read a hold found):
   *  nothing held while it is 1. */
  #apply(mark: number, bytes: number, held: boolean): void {
    if (mark === 1) {
      this.#turns = 0;
      if (this.#paused) {
        this.#paused = false;
        this.#conn.resume();
      }
      return;
    }
    if (bytes && !this.#paused && bytes < COALESCE_MAX_MARK) {
      this.#chained = held;
      this.#pause();
    }
  }

  #pause(): void {
    this.#paused = true;
    this.#conn.pause();
    const timer = this.#timer as { refresh?(): unknown } | undefined;
    if (timer?.refresh) timer.refresh();
    else {
      this.#timer = setTimeout(() => this.#resume(), COALESCE_MAX_DELAY_MS);
      refTimer(this.#timer, this.#refd);
    }
  }

  #resume(): void {
    if (!this.#paused) return;
    this.#paused = false;
    this.#turns = 1;
    this.#conn.resume();
    nextTurn(this.#turn);
  }

  /** A turn of the loop after the timer's resume with no read yet: after
   *  HOLD_TURNS of them the timer found nothing. */
  readonly #turn = (): void => {
    if (!this.#turns) return;   // a read came, or it stopped
    if (this.#turns++ < HOLD_TURNS) {
      nextTurn(this.#turn);
      return;
    }
    this.#turns = 0;
    this.#apply(this.#engine.tmq_coalesce_after_poll(this.state, micros(performance.now()), 0, 1, 0, 0), 0, false);
  };

  /** A paused transport keeps no process alive: the timer does while the client is ref'd. */
  ref(on: boolean): void {
    this.#refd = on;
    refTimer(this.#timer, on);
  }

  /** The connection is gone: no resume. */
  close(): void {
    this.#paused = false;
    this.#turns = 0;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}

/** One connection attempt of a client, and what its transport said. */
interface Link {
  conn: WasmConnection | undefined;
  state: 'connecting' | 'open' | 'closed';
  /** bytes received, not yet read by the engine; `off` into the first */
  chunks: Uint8Array[];
  off: number;
  /** set by closed(error) */
  error: number;
  /** the last write returned false: nothing more until drain */
  blocked: boolean;
  /** when the transport can pause and options.coalesceReads is not false */
  coalescing: ReadHold | undefined;
}

export function createWasmNative(module: WebAssembly.Module | BufferSource, transport: WasmTransport,
  options: WasmNativeOptions = {}): Native {
  const clients = new Map<number, WasmClient>();
  let handler: BatchHandler | undefined;
  let nextId = 1;
  const batches = new Batches();
  /** clients with submitted work, polled in the next turn, each once
   *  (WasmClient.kicked; not a Set, whose deletes reallocated its table) */
  const kicked: WasmClient[] = [];
  const kick = (c: WasmClient) => {
    if (c.kicked) return;
    c.kicked = true;
    kicked.push(c);
  };
  let flushArmed = false;
  /** clients waiting awake for a reply (WasmClient.spin) */
  const spinning = new Set<WasmClient>();
  let spinArmed = false;
  /** inside a poll or a delivery: events wait for its end */
  let running = false;

  const mod = module instanceof WebAssembly.Module ? module : new WebAssembly.Module(module);
  const of = (id: number) => clients.get(id);
  const env = {
    tmq_js_connect: (id: number, host: number, port: number) => of(id)?.ioConnect(cString(host >>> 0), port) ?? TMQ_ERR_CLOSED,
    tmq_js_send: (id: number, p: number, len: number) => of(id)?.ioSend(p >>> 0, len) ?? TMQ_ERR_CLOSED,
    tmq_js_recv: (id: number, p: number, len: number) => of(id)?.ioRecv(p >>> 0, len) ?? TMQ_ERR_CLOSED,
    tmq_js_close: (id: number) => of(id)?.ioClose(),
    tmq_js_random: (p: number, len: number) => { crypto.getRandomValues(view(p, len) as Uint8Array<ArrayBuffer>); },
    tmq_js_rx_grow: (id: number, size: number) => of(id)?.growRx(size) ?? 0,
    tmq_js_connack: (id: number, present: number, reason: number, p: number, len: number) =>
      emitBytes(id, EventKind.Connack, present, reason, p, len),
    tmq_js_message: (id: number, topic: number, topicLen: number, payload: number, payloadLen: number, qos: number,
      retain: number, dup: number, packetId: number, props: number, propsLen: number) => {
      const batch = batches.tail;
      let flags = qos | (retain ? 4 : 0) | (dup ? 8 : 0) | (packetId << 16);
      if (propsLen) {
        batch.append(view(props, propsLen));
        batch.append(new Uint8Array([propsLen & 255, (propsLen >>> 8) & 255, (propsLen >>> 16) & 255, propsLen >>> 24]));
        flags |= MESSAGE_HAS_PROPS;
      }
      const mem = heap.bytes, off = batch.appendFrom(mem, payload >>> 0, payloadLen >>> 0);
      batch.add(id, EventKind.Message, batch.topic(mem, topic >>> 0, topicLen >>> 0), off, payloadLen, flags);
      scheduleFlush();
    },
    tmq_js_sent: (id: number, token: number, reason: number, written: number) => {
      if (!written || !batches.last.replace(id, EventKind.Written, token))
        batches.tail.add(id, written ? EventKind.Written : EventKind.Sent, token, reason);
      of(id)?.finished(token);
      scheduleFlush();
    },
    tmq_js_codes: (id: number, unsub: number, token: number, codes: number, count: number, props: number, propsLen: number) => {
      const batch = batches.tail;
      batch.append(view(props, propsLen));
      const off = batch.append(view(codes, count));
      batch.add(id, unsub ? EventKind.Unsuback : EventKind.Suback, token, off, count, propsLen);
      of(id)?.finished(token);
      scheduleFlush();
    },
    tmq_js_pong: (id: number) => emit(id, EventKind.Pong),
    tmq_js_disconnect: (id: number, err: number, reason: number, packet: number, p: number, len: number) => {
      const failure = packet ? undefined : of(id)?.failure;
      if (failure && err !== TMQ_OK) {
        const text = encoder.encode(failure), batch = batches.tail;
        batch.add(id, EventKind.Failure, err, 0, batch.append(text), text.length);
      }
      emitBytes(id, EventKind.Disconnect, err, reason, p, len);
    },
    tmq_js_error: (id: number, err: number, token: number) => {
      emit(id, EventKind.Error, err, token);
      if (token) of(id)?.finished(token);
    },
    tmq_js_state: (id: number, state: number, delay: number, server: number, failingOver: number) => {
      const c = of(id);
      if (c) { c.ready = state === TMQ_STATE_READY; c.server = server; }
      emit(id, EventKind.State, state, Math.min(delay >>> 0, 2 ** 31 - 1), server, failingOver);
    },
    tmq_js_auth: (id: number, reason: number, p: number, len: number) => emitBytes(id, EventKind.Auth, reason, 0, p, len),
    // options.logPackets: a packet in or out, as the binding's Packet event (its text is tinymqtt/describe.h's)
    tmq_js_packet: (id: number, p: number, len: number) => emitBytes(id, EventKind.Packet, 0, 0, p, len),
  };
  const engine = new WebAssembly.Instance(mod, { env }).exports as unknown as Engine;
  const heap = new WasmHeap(engine.memory, engine.__heap_base.value as number);
  const PROPS = engine.tmq_wasm_props_size(), SUB = engine.tmq_wasm_sub_size();

  /** The bytes at pointer p (an i32 from the module: above 2 GiB it is negative). */
  function view(p: number, len: number): Uint8Array {
    const at = p >>> 0;
    return heap.bytes.subarray(at, at + (len >>> 0));
  }

  /** The last topic published and its UTF-8 bytes (a stream of publishes
   *  mostly repeats its topic). */
  let lastTopic = '', lastTopicBytes = new Uint8Array(0);
  function encodeTopic(topic: string): Uint8Array {
    lastTopicBytes = encoder.encode(topic);
    lastTopic = topic;
    return lastTopicBytes;
  }

  function cString(p: number): string {
    const bytes = heap.bytes;
    let end = p;
    while (bytes[end]) end++;
    return decoder.decode(bytes.subarray(p, end));
  }

  /** A block holding bytes (and a NUL after them with `nul`); 0 for none. */
  function place(bytes: Uint8Array | undefined, blocks: [number, number][], nul = false): number {
    if (bytes === undefined) return 0;
    const size = bytes.length + (nul ? 1 : 0) || 1, at = heap.alloc(size);
    blocks.push([at, size]);
    const mem = heap.bytes;
    mem.set(bytes, at);
    if (nul) mem[at + bytes.length] = 0;
    return at;
  }

  function emit(id: number, kind: number, a = 0, b = 0, c = 0, d = 0): void {
    batches.tail.add(id, kind, a, b, c, d);
    scheduleFlush();
  }

  function emitBytes(id: number, kind: number, a: number, b: number, p: number, len: number): void {
    const batch = batches.tail, off = len ? batch.append(view(p, len)) : 0;
    batch.add(id, kind, a, b, off, len);
    scheduleFlush();
  }

  function scheduleFlush(): void {
    if (flushArmed || running) return;
    flushArmed = true;
    nextTurn(onFlush);
  }

  function onFlush(): void {
    flushArmed = false;
    running = true;
    runKicked();
    finish();
  }

  function runKicked(): void {
    while (kicked.length) {
      const c = kicked.shift()!;
      c.kicked = false;
      c.poll();
      c.spin();
    }
  }

  /** While a client spins, the loop does not sleep: an immediate each turn,
   *  until its reply came (poll) or its budget is spent. */
  function armSpin(): void {
    if (spinArmed) return;
    spinArmed = true;
    setImmediate(onSpin);
  }

  function onSpin(): void {
    spinArmed = false;
    const t = performance.now();
    for (const c of spinning) c.spun(t);
    if (spinning.size) armSpin();
  }

  /** The client's transport or timer is ready: poll it, then deliver. */
  function ready(c: WasmClient): void {
    running = true;
    c.poll();
    finish();
  }

  /** After polls: submits what waits, delivers the events; what the handler
   *  submitted is written right after it (a few rounds, then next turn), and
   *  what its promises' reactions submit, once they have run (a microtask
   *  after theirs; not again from there, so a loop of publishes still yields
   *  to the event loop). */
  function finish(inMicrotask = false): void {
    for (let round = 0; ; round++) {
      for (const c of clients.values()) c.retry();
      running = false;
      const delivered = deliver();
      if (!kicked.length) {
        if (delivered && !inMicrotask) queueMicrotask(afterReactions);
        return;
      }
      if (round === 4) { scheduleFlush(); return; }
      running = true;
      runKicked();
    }
  }

  function afterReactions(): void {
    if (!kicked.length || running) return;
    running = true;
    runKicked();
    finish(true);
  }

  /** Hands the batches to the handler; whether there were any. */
  function deliver(): boolean {
    let any = false;
    while (!batches.empty && handler) {
      const [events, data, topics] = batches.shift();
      any = true;
      handler(events, data, topics);
    }
    return any;
  }

  class WasmClient implements NativeClient {
    readonly id: number;
    readonly #w: number;
    readonly #blocks: [number, number][] = [];
    readonly #jobs = new Map<number, Job>();
    readonly #offline: Job[] = [];
    #unwritten = 0;
    #closed = false;
    #link: Link | undefined;
    #big: [number, number] | undefined;
    #closeProps: [number, number] | undefined;
    #timer: ReturnType<typeof setTimeout> | undefined;
    #timerAt = 0;
    #refd = true;
    /** bytes the engine has read from the transport (for read coalescing) */
    #received = 0;
    /** an operation was submitted since the last poll */
    #submitted = false;
    /** the last poll wrote what was submitted (for spin) */
    #wroteSubmitted = false;
    /** its tmq_coalesce and tmq_spin in the module's memory (tmq_wasm_coalesce, tmq_wasm_spin) */
    readonly #coalesce: number;
    readonly #spin: number;
    /** waiting for a reply without sleeping: until when (0: not waiting) */
    #spinUntil = 0;
    readonly #options: NativeClientOptions;
    readonly #version: number;
    /** engine state READY, as of its last State event */
    ready = false;
    /** in `kicked` */
    kicked = false;
    /** the index in options.servers of the server in use or tried */
    server = 0;
    /** the transport's reason for the last failure, or '' */
    failure = '';

    constructor(o: NativeClientOptions) {
      this.id = nextId++;
      this.#options = o;
      this.#version = o.protocolVersion;
      const blocks = this.#blocks, e = engine;
      const w = this.#w = heap.alloc(e.tmq_wasm_size());
      blocks.push([w, e.tmq_wasm_size()]);
      e.tmq_wasm_new(w, this.id);
      this.#coalesce = e.tmq_wasm_coalesce(w);
      this.#spin = e.tmq_wasm_spin(w);
      // the bounds as lib/client.ts checked them (queueLimit a uint32); none when absent
      e.tmq_wasm_set_offline(w, o.queueLimit ?? 0xffffffff, o.queueByteLimit ?? Infinity, (o.queueQoSZero ?? true) ? 1 : 0);
      try {
        this.#configure(o);
      } catch (err) {
        this.#freeAll();
        throw err;
      }
      clients.set(this.id, this);
    }

    #configure(o: NativeClientOptions): void {
      const e = engine, w = this.#w, blocks = this.#blocks;
      const str = (s: string | undefined, nul = false) => place(s === undefined ? undefined : encoder.encode(s), blocks, nul);
      // a string the engine reads as C text (the addon's OptionReader::Text)
      const text = (s: string, name: string) => {
        if (typeof s !== 'string') throw new TypeError(`createClient: options.${name} must be a string`);
        if (s.includes('\0')) throw new TypeError(`createClient: options.${name} must not contain NUL characters`);
        return str(s, true);
      };
      const len = (s: string | undefined) => (s === undefined ? 0 : encoder.encode(s).length);
      const clientId = str(o.clientId), username = str(o.username), password = place(o.password, blocks);
      const props = place(o.properties, blocks);
      e.tmq_wasm_set_connect(w, text(o.host, 'host'), o.port, o.protocolVersion, clientId, len(o.clientId), o.clean ? 1 : 0,
        o.keepalive, username, len(o.username), password, o.password?.length ?? 0, props, o.properties?.length ?? 0,
        o.connectTimeout, o.maxInflight, o.autoAssignTopicAlias ? 1 : 0);
      if (o.will) {
        const wl = o.will;
        e.tmq_wasm_set_will(w, str(wl.topic), len(wl.topic), place(wl.payload, blocks), wl.payload.length, wl.qos,
          wl.retain ? 1 : 0, place(wl.properties, blocks), wl.properties?.length ?? 0);
      }
      if (o.servers?.length) {
        const size = e.tmq_wasm_server_size() * o.servers.length, list = heap.alloc(size);
        blocks.push([list, size]);
        o.servers.forEach((s, i) => e.tmq_wasm_set_server(w, list, i, o.servers!.length, text(s.host, `servers[${i}].host`), s.port, s.tls ? 1 : 0));
      }
      const why = o.tls && options.checkTls?.(o.tls);
      if (why) refused('options.tls refused', TMQ_ERR_ARG, why);
      const seed = crypto.getRandomValues(new Uint32Array(1))[0];
      e.tmq_wasm_set_reconnect(w, o.reconnectPeriod, o.reconnectMaxPeriod, o.reconnectFactor, o.reconnectJitter ? 1 : 0,
        o.reconnectResetAfter, seed);
      if (o.ws && options.engineWebSocket) {
        const tx = this.#block(WS_TX + WS_RX);
        const rc = e.tmq_wasm_set_ws(w, text(o.ws.path, 'ws.path'), text(o.ws.host, 'ws.host'), o.ws.headers ? text(o.ws.headers, 'ws.headers') : 0,
          tx, WS_TX, tx + WS_TX, WS_RX);
        if (rc !== TMQ_OK) refused('options.ws refused', rc);
      }
      let aliases = 0, aliasMax = 0;
      if (o.protocolVersion === 5 && o.properties) {
        aliasMax = e.tmq_wasm_prop_num(props, o.properties.length, PROP_TOPIC_ALIAS_MAXIMUM);
        if (aliasMax > IN_ALIASES_MAX)
          throw new RangeError(`createClient: options.properties.topicAliasMaximum must be at most ${IN_ALIASES_MAX}`);
        if (aliasMax) aliases = this.#block(aliasMax * IN_ALIAS_SLOT);
      }
      if (o.logPackets) e.tmq_wasm_log_packets(w);
      const rxCap = Math.min(o.maxPacketSize, RX_BUFFER);
      const msgs = this.#block(e.tmq_wasm_msg_size() * MSG_SLOTS);
      const rc = e.tmq_wasm_init(w, this.#block(o.sendBufferSize), o.sendBufferSize, this.#block(rxCap), rxCap, o.maxPacketSize,
        msgs, MSG_SLOTS, this.#block(QOS2_IDS * 2), QOS2_IDS, this.#block(ASSIGNED_ID), ASSIGNED_ID,
        aliases, aliasMax, IN_ALIAS_SLOT, this.#block(OUT_ALIASES * OUT_ALIAS_SLOT), OUT_ALIASES, OUT_ALIAS_SLOT);
      if (rc !== TMQ_OK) refused('options refused', rc);
    }

    /** A block of the client's own, freed when it closes. */
    #block(size: number): number {
      const at = heap.alloc(size);
      this.#blocks.push([at, size]);
      return at;
    }

    #freeAll(): void {
      for (const [at, size] of this.#blocks) heap.free(at, size);
      this.#blocks.length = 0;
      if (this.#big) heap.free(...this.#big);
      if (this.#closeProps) heap.free(...this.#closeProps);
      this.#big = this.#closeProps = undefined;
    }

    #checkOpen(method: string): void {
      if (this.#closed) throw codeError(`${method}: the client is closed`, 'TMQ_ERR_CLOSED');
    }

    // ---- NativeClient ----

    connect(): void {
      this.#checkOpen('connect');
      const rc = engine.tmq_client_connect(this.#w, now());
      if (rc !== TMQ_OK && rc !== TMQ_ERR_STATE) emit(this.id, EventKind.Disconnect, rc, 0);
      this.#kick();
    }

    publish(topic: string | Uint8Array, payload: Uint8Array, qos: number, retain: boolean, token: number, properties?: Uint8Array): number {
      this.#checkOpen('publish');
      if (typeof topic !== 'string' && !(topic instanceof Uint8Array)) throw new TypeError('publish: topic must be a string or a Buffer of UTF-8');
      if (!(payload instanceof Uint8Array)) throw new TypeError('publish: payload must be a Buffer');
      checkByte(qos, 'publish', 'qos must be an integer from 0 to 2', 255);   // the engine refuses 3 to 255: an Error event
      if (typeof retain !== 'boolean') throw new TypeError('publish: retain must be a boolean');
      checkToken(token, 'publish');
      const props = checkProps(properties, 'publish');
      const t = typeof topic !== 'string' ? topic : topic === lastTopic ? lastTopicBytes : encodeTopic(topic);
      const size = PROPS + t.length + payload.length + props.length;
      const at = heap.alloc(size), mem = heap.bytes;
      mem.set(t, at + PROPS);
      mem.set(payload, at + PROPS + t.length);
      mem.set(props, at + PROPS + t.length + payload.length);
      const job: Job = {
        kind: 'publish', token, at, size, topicLen: t.length, payloadLen: payload.length, propsLen: props.length,
        qos, retain: retain ? 1 : 0, count: 0, queued: 0, unwritten: 0,
      };
      if (!this.ready) {
        try {
          job.queued = this.#admit(qos, engine.tmq_wasm_publish_size(this.#w, at, t.length, payload.length, props.length, qos, job.retain));
        } catch (e) {
          heap.free(at, size);
          throw e;
        }
      }
      if (qos === 0) {
        job.unwritten = size - PROPS + 1;
        this.#unwritten += job.unwritten;
      }
      this.#submit(job);
      this.#kick();
      return this.#unwritten;
    }

    subscribe(filters: string[], opts: number[], token: number, properties?: Uint8Array): void {
      this.#checkOpen('subscribe');
      if (!Array.isArray(opts) || !Array.isArray(filters) || opts.length !== filters.length)
        throw new TypeError('subscribe: options must be an array of numbers, one per filter');
      this.#filters('subscribe', filters, opts, token, properties);
    }

    unsubscribe(filters: string[], token: number, properties?: Uint8Array): void {
      this.#checkOpen('unsubscribe');
      this.#filters('unsubscribe', filters, undefined, token, properties);
    }

    #filters(kind: 'subscribe' | 'unsubscribe', filters: string[], opts: number[] | undefined, token: number, properties?: Uint8Array): void {
      if (!Array.isArray(filters) || filters.some((f) => typeof f !== 'string')) throw new TypeError(`${kind}: filters must be an array of strings`);
      checkToken(token, kind);
      const props = checkProps(properties, kind);
      const encoded = filters.map((f) => encoder.encode(f));
      if (encoded.some((f) => f.length > 0xffff)) {   // the engine's refusal, as an event
        emit(this.id, EventKind.Error, TMQ_ERR_TOO_LARGE, token);
        return;
      }
      opts?.forEach((v) => checkByte(v, kind, 'options must be integers from 0 to 255', 255));
      const each = opts ? 3 : 2;
      const size = PROPS + SUB * filters.length + encoded.reduce((n, f) => n + each + f.length, 0) + props.length;
      const at = heap.alloc(size), mem = heap.bytes;
      let p = at + PROPS + SUB * filters.length;
      encoded.forEach((f, i) => {
        mem[p] = f.length & 255;
        mem[p + 1] = f.length >>> 8;
        mem.set(f, p + 2);
        p += 2 + f.length;
        if (opts) mem[p++] = opts[i];
      });
      mem.set(props, p);
      this.#submit({
        kind, token, at, size, topicLen: 0, payloadLen: 0, propsLen: props.length, qos: 0, retain: 0,
        count: filters.length, queued: 0, unwritten: 0,
      });
      this.#kick();
    }

    ping(token: number): void {
      this.#checkOpen('ping');
      checkToken(token, 'ping');
      const rc = engine.tmq_client_ping(this.#w, now());
      if (rc !== TMQ_OK) emit(this.id, EventKind.Error, rc, token);
      this.#kick();
    }

    cancel(token: number): void {
      this.#checkOpen('cancel');
      checkToken(token, 'cancel');
      const i = this.#offline.findIndex((j) => j.token === token);
      if (i >= 0) this.#free(this.#offline.splice(i, 1)[0]);   // no event follows
    }

    disconnect(reason?: number, token?: number, properties?: Uint8Array): void {
      this.#checkOpen('disconnect');
      let rc: number;
      if (arguments.length === 0) {
        rc = engine.tmq_wasm_disconnect(this.#w, 0, 0, 0, now());
      } else {
        checkByte(reason, 'disconnect', 'reason must be an integer from 0 to 255', 255);
        if (token !== undefined) checkToken(token, 'disconnect');
        const props = checkProps(properties, 'disconnect');
        let block = 0;
        if (reason || props.length) {   // kept until sent: the engine points into it
          if (this.#closeProps) heap.free(...this.#closeProps);
          this.#closeProps = [block = heap.alloc(props.length || 1), props.length || 1];
          heap.bytes.set(props, block);
        }
        rc = engine.tmq_wasm_disconnect(this.#w, reason!, block, props.length, now());
      }
      if (rc !== TMQ_OK) emit(this.id, EventKind.Error, rc, token ?? 0);
      this.#kick();
    }

    auth(reason: number, token: number | undefined, properties: Uint8Array): void {
      this.#checkOpen('auth');
      checkByte(reason, 'auth', 'reason must be an integer from 0 to 255', 255);
      if (token !== undefined) checkToken(token, 'auth');
      const props = checkProps(properties, 'auth');
      const size = props.length || 1, at = heap.alloc(size);
      heap.bytes.set(props, at);
      const rc = engine.tmq_wasm_auth(this.#w, reason, at, props.length);
      heap.free(at, size);
      if (rc !== TMQ_OK) emit(this.id, EventKind.Error, rc, token ?? 0);
      this.#kick();
    }

    setReconnect(p: ReconnectPolicy): void {
      this.#checkOpen('setReconnect');
      for (const k of ['reconnectPeriod', 'reconnectMaxPeriod', 'reconnectFactor', 'reconnectResetAfter'] as const)
        if (!Number.isInteger(p?.[k]) || p[k] < 0 || p[k] > 2 ** 32 - 1) throw new TypeError(`setReconnect: policy.${k} must be an integer from 0 to 4294967295`);
      if (typeof p.reconnectJitter !== 'boolean') throw new TypeError('setReconnect: policy.reconnectJitter must be a boolean');
      engine.tmq_wasm_change_reconnect(this.#w, p.reconnectPeriod, p.reconnectMaxPeriod, p.reconnectFactor,
        p.reconnectJitter ? 1 : 0, p.reconnectResetAfter, now());
      this.#kick();
    }

    close(): void {
      if (this.#closed) return;
      this.#closed = true;
      if (this.kicked) kicked.splice(kicked.indexOf(this), 1);
      this.kicked = false;
      this.#stopSpin();
      this.#stopTimer();
      engine.tmq_wasm_close(this.#w);   // the transport closes; Error TMQ_ERR_CLOSED for each message
      for (const job of this.#offline.splice(0)) {
        emit(this.id, EventKind.Error, TMQ_ERR_CLOSED, job.token);
        this.#free(job);
      }
      clients.delete(this.id);
      this.#freeAll();
      emit(this.id, EventKind.Closed);
    }

    ref(): void { this.#setRef(true); }
    unref(): void { this.#setRef(false); }

    #setRef(on: boolean): void {
      if (this.#closed || this.#refd === on) return;
      this.#refd = on;
      refTimer(this.#timer, on);
      this.#link?.coalescing?.ref(on);
      const conn = this.#link?.conn;
      if (on) conn?.ref?.(); else conn?.unref?.();
    }

    // ---- the offline queue (tinymqtt/offline.h's rule, the binding's too) ----

    /** Counts a publish made while not connected, or throws why the offline
     *  queue refuses it (tinymqtt/offline.h); the bytes counted for it. */
    #admit(qos: number, packet: number): number {
      const entry = engine.tmq_wasm_offline_admit(this.#w, qos, packet);
      if (entry > 0) return entry;
      const buf = heap.alloc(REFUSAL_TEXT);
      try {
        engine.tmq_wasm_offline_refusal(this.#w, -entry, packet, buf, REFUSAL_TEXT);
        throw codeError(cString(buf), cString(engine.tmq_offline_code(-entry) >>> 0));
      } finally {
        heap.free(buf, REFUSAL_TEXT);
      }
    }

    #release(job: Job): void {
      if (!job.queued) return;
      engine.tmq_wasm_offline_release(this.#w, job.queued);
      job.queued = 0;
    }

    #free(job: Job): void {
      this.#release(job);
      if (job.unwritten) this.#unwritten -= job.unwritten;
      heap.free(job.at, job.size);
    }

    #submit(job: Job): void {
      // once anything waits, everything after it waits too
      if (this.#offline.length || engine.tmq_client_state(this.#w) !== TMQ_STATE_READY || !this.#trySubmit(job))
        this.#offline.push(job);
    }

    /** Hands the job to the engine: false (still ours) when its message
     *  slots are full; else it is the engine's, or refused with an Error event. */
    #trySubmit(job: Job): boolean {
      const w = this.#w;
      const rc = job.kind === 'publish'
        ? engine.tmq_wasm_publish(w, job.at, job.topicLen, job.payloadLen, job.propsLen, job.qos, job.retain, job.token)
        : engine.tmq_wasm_subscribe(w, job.at, job.count, job.propsLen, job.kind === 'unsubscribe' ? 1 : 0, job.token);
      if (rc === TMQ_ERR_QUEUE_FULL) return false;
      this.#release(job);
      if (rc >= 0) {
        this.#jobs.set(job.token, job);
      } else {
        emit(this.id, EventKind.Error, rc, job.token);
        this.#free(job);
      }
      return true;
    }

    /** A message's final event: its job goes. */
    finished(token: number): void {
      const job = this.#jobs.get(token);
      if (!job) return;
      this.#jobs.delete(token);
      this.#free(job);
    }

    /** Submits what waits, in order, while READY (after a CONNACK, a completion). */
    retry(): void {
      const q = this.#offline;
      let n = 0;
      while (n < q.length && !this.#closed && this.ready && engine.tmq_client_state(this.#w) === TMQ_STATE_READY) {
        if (!this.#trySubmit(q[n])) break;
        n++;
      }
      if (n) {
        q.splice(0, n);
        this.#kick();
      }
    }

    // ---- driving ----

    #kick(): void {
      if (this.#closed) return;
      this.#submitted = true;
      kick(this);
      scheduleFlush();
    }

    poll(): void {
      if (this.#closed) return;
      const received = this.#received;
      engine.tmq_client_poll(this.#w, now());
      if (this.#closed) return;
      const link = this.#link;
      const bytes = this.#received - received;
      if (bytes && this.#spinUntil) {   // the reply came while waiting awake
        engine.tmq_spin_hit(this.#spin);
        this.#stopSpin();
      }
      link?.coalescing?.afterPoll(bytes, this.#submitted, this.#inflight);
      this.#wroteSubmitted = this.#submitted;
      this.#submitted = false;
      if (link?.state === 'open' && (link.chunks.length || (!link.blocked && engine.tmq_wasm_wants_write(this.#w)))) kick(this);
      const t = engine.tmq_client_timeout(this.#w, now()) >>> 0;
      if (t === 0xffffffff) {
        this.#stopTimer();
        return;
      }
      const at = performance.now() + t;
      if (this.#timer !== undefined && this.#timerAt <= at + 1) return;   // an earlier wake-up polls anyway
      this.#stopTimer();
      this.#timerAt = at;
      this.#timer = setTimeout(() => { this.#timer = undefined; ready(this); }, t);
      if (!this.#refd) refTimer(this.#timer, false);
    }

    /** its QoS 1/2 publishes in flight (for ReadHold.afterPoll) */
    readonly #inflight = (): number => engine.tmq_wasm_inflight(this.#w);

    /** After a poll of the client kicked by a call: when the engine's rule
     *  (tmq_spin_after_write, tinymqtt/drive.h) says so, the loop does not
     *  sleep (an immediate each turn) until bytes arrive (a hit) or
     *  SPIN_BUDGET_MS pass (a miss). Not where there is no setImmediate (a
     *  browser). */
    spin(): void {
      const l = this.#link;
      if (!this.#wroteSubmitted || this.#options.spinForReplies === false || typeof setImmediate !== 'function' ||
        l?.state !== 'open') return;
      this.#wroteSubmitted = false;
      if (!engine.tmq_spin_after_write(this.#spin, l.coalescing?.state ?? 0)) return;
      this.#spinUntil = performance.now() + SPIN_BUDGET_MS;
      spinning.add(this);
      armSpin();
    }

    /** A turn of the spin at time t: the budget spent is a miss. */
    spun(t: number): void {
      if (t < this.#spinUntil) return;
      engine.tmq_spin_miss(this.#spin);
      this.#stopSpin();
    }

    #stopSpin(): void {
      this.#spinUntil = 0;
      spinning.delete(this);
    }

    #stopTimer(): void {
      if (this.#timer !== undefined) clearTimeout(this.#timer);
      this.#timer = undefined;
    }

    growRx(size: number): number {
      if (this.#big) heap.free(...this.#big);
      this.#big = undefined;
      if (!size) return 0;
      try {
        this.#big = [heap.alloc(size), size];
      } catch {
        return 0;   // no memory: the packet is refused (TMQ_ERR_TOO_LARGE)
      }
      return this.#big[0];
    }

    // ---- the transport (the engine's tmq_transport calls) ----

    ioConnect(host: string, port: number): number {
      const link = this.#link;
      if (link) return link.state === 'open' ? TMQ_OK : link.state === 'closed' ? link.error : TMQ_IO_CONNECTING;
      const o = this.#options, s = o.servers?.[this.server];
      const server: WasmServer = { host, port, tls: s ? s.tls : o.tls !== undefined };
      if (server.tls && o.tls) server.tlsOptions = o.tls;
      if (o.ws && !options.engineWebSocket) server.ws = { path: o.ws.path, headers: headerRecord(o.ws.headers) };
      const l: Link = { conn: undefined, state: 'connecting', chunks: [], off: 0, error: 0, blocked: false, coalescing: undefined };
      this.#link = l;
      this.failure = '';
      try {
        l.conn = transport(server, {
          open: () => {
            if (this.#link !== l || l.state !== 'connecting') return;
            l.state = 'open';
            ready(this);
          },
          data: (bytes) => {
            if (this.#link !== l || l.state === 'closed' || !bytes.length) return;
            l.chunks.push(bytes);
            ready(this);
            // what the engine did not read is copied: the bytes are the caller's
            if (this.#link === l && l.chunks.length && l.chunks[l.chunks.length - 1] === bytes)
              l.chunks[l.chunks.length - 1] = bytes.slice();
          },
          closed: (error) => {
            if (this.#link !== l || l.state === 'closed') return;
            l.error = error ? transportError(error.code) : TMQ_ERR_CLOSED;
            if (error) this.failure = error.message;
            l.state = 'closed';
            ready(this);
          },
          drain: () => {
            if (this.#link !== l || !l.blocked) return;
            l.blocked = false;
            ready(this);
          },
        });
      } catch (e) {
        l.state = 'closed';
        l.error = TMQ_ERR_IO;
        this.failure = String((e as Error)?.message ?? e);
        return TMQ_ERR_IO;
      }
      if (!this.#refd) l.conn.unref?.();
      const conn = l.conn;
      if (o.coalesceReads !== false && conn.pause && conn.resume)
        l.coalescing = new ReadHold(engine, this.#coalesce, conn as WasmConnection & { pause(): void; resume(): void }, this.#refd);
      return l.state === 'open' ? TMQ_OK : l.state === 'closed' ? l.error : TMQ_IO_CONNECTING;
    }

    ioSend(p: number, len: number): number {
      const l = this.#link;
      if (!l || l.state === 'connecting') return TMQ_IO_AGAIN;
      if (l.state === 'closed') return l.error;
      if (l.blocked) return TMQ_IO_AGAIN;
      let ok: boolean | void;
      if (len <= SLAB_PIECE) {
        const at = carve(len), bytes = new Uint8Array(slab, at, len);
        copyIn(bytes, 0, heap.bytes, p, len);
        ok = l.conn!.write(bytes);
      } else if (len < POOLED_WRITE) ok = l.conn!.write(copy(heap.bytes.subarray(p, p + len)));
      else {
        const buffer = writeBuffers.take(len);
        buffer.set(heap.bytes.subarray(p, p + len));
        ok = l.conn!.write(buffer.subarray(0, len), () => writeBuffers.give(buffer));
      }
      if (ok === false) l.blocked = true;
      return len;
    }

    ioRecv(p: number, len: number): number {
      const l = this.#link;
      if (!l) return TMQ_ERR_CLOSED;
      if (!l.chunks.length) return l.state === 'closed' ? l.error : TMQ_IO_AGAIN;
      const mem = heap.bytes;
      let n = 0;
      while (n < len && l.chunks.length) {
        const chunk = l.chunks[0], take = Math.min(len - n, chunk.length - l.off);
        copyIn(mem, p + n, chunk, l.off, take);
        n += take;
        l.off += take;
        this.#received += take;
        if (l.off === chunk.length) {
          l.chunks.shift();
          l.off = 0;
        }
      }
      return n;
    }

    ioClose(): void {
      const l = this.#link;
      this.#link = undefined;
      l?.coalescing?.close();
      if (l && l.state !== 'closed') {
        l.state = 'closed';
        l.conn?.close();
      }
    }
  }

  function refused(what: string, rc: number, detail?: string): never {
    const name = strerror(rc);
    throw codeError(`createClient: ${what} (${name})${detail ? `: ${detail}` : ''}`, name);
  }

  function strerror(code: number): string {
    if (typeof code !== 'number') throw new TypeError('strerror: code must be a number');
    if (!Number.isInteger(code)) throw new TypeError('strerror: code must be an integer');
    if (code < -(2 ** 31) || code > 2 ** 31 - 1) return 'TMQ_ERR_UNKNOWN';
    return cString(engine.tmq_strerror(code) >>> 0);
  }

  /** A string's UTF-8 bytes in a scratch block, for a call that reads it
   *  there: f(at, len). */
  function withBytes<T>(strings: Uint8Array[], f: (...ptrs: number[]) => T): T {
    const size = strings.reduce((n, s) => n + s.length, 0) || 1, at = heap.alloc(size), mem = heap.bytes;
    const ptrs: number[] = [];
    let p = at;
    for (const s of strings) {
      mem.set(s, p);
      ptrs.push(p, s.length);
      p += s.length;
    }
    try {
      return f(...ptrs);
    } finally {
      heap.free(at, size);
    }
  }

  function check(rule: 'tmq_topic_check' | 'tmq_filter_check', s: string): number {
    if (typeof s !== 'string') throw new TypeError('check: the argument must be a string');
    const b = encoder.encode(s);
    if (b.length > 0xffff) return TMQ_ERR_TOO_LARGE;
    return withBytes([b], (p, n) => engine[rule](p, n));
  }

  const unsupported = (what: string, why: string) => new MqttError('ERR_NOT_SUPPORTED',
    `${what} is not available on the WebAssembly engine (client.engine 'wasm'), ${why}; ` +
    'use the async API, or a platform with the native addon');
  const BLOCKING = 'which cannot block this thread while the engine runs on it';
  const NO_STORE = 'which has no file system';

  return {
    version: () => options.version ?? '0.0.0',
    strerror,
    checkTopic: (t) => check('tmq_topic_check', t),
    checkFilter: (f) => check('tmq_filter_check', f),
    topicMatch(filter, topic) {
      if (typeof filter !== 'string' || typeof topic !== 'string') throw new TypeError('topicMatch: filter and topic must be strings');
      const f = encoder.encode(filter), t = encoder.encode(topic);
      if (f.length > 0xffff || t.length > 0xffff) return false;
      return withBytes([f, t], (fp, fl, tp, tl) => engine.tmq_topic_match(fp, fl, tp, tl) !== 0);
    },
    checkDisconnect(reason, properties) {
      if (typeof reason !== 'number' || (properties !== undefined && !(properties instanceof Uint8Array)))
        throw new TypeError('checkDisconnect: reason must be a number, properties a Buffer or undefined');
      const props = properties ?? new Uint8Array(0);
      return withBytes([props], (p, n) => engine.tmq_wasm_check_disconnect(reason >>> 0, properties ? p : 0, n));
    },
    waitEvents: () => { throw unsupported('a blocking call (connectSync, waitSync, a sync method of the embedded APIs)', BLOCKING); },
    waitInlineEvents: () => { throw unsupported('a blocking call (connectSync, waitSync, a sync method of the embedded APIs)', BLOCKING); },
    setBatchHandler(h) {
      if (typeof h !== 'function') throw new TypeError('setBatchHandler: handler must be a function');
      handler = h;
    },
    createClient: (o) => create(o, 'createClient'),
    createInlineClient: (o) => create(o, 'createInlineClient'),
    NativeStore: class {
      constructor() { throw unsupported('the durable store (FileStore, options.store)', NO_STORE); }
    } as unknown as new (path: string, fsync: number, compactBytes: number) => NativeStore,
  };

  function create(o: NativeClientOptions, method: string): NativeClient {
    if (!handler) throw new Error(`${method}: call setBatchHandler first`);
    if (typeof o !== 'object' || o === null) throw new TypeError('createClient: options must be an object');
    if (o.store !== undefined) throw unsupported('the durable store (FileStore, options.store)', NO_STORE);
    return new WasmClient(o);
  }
}

function checkToken(token: unknown, method: string): void {
  if (!Number.isInteger(token) || (token as number) < 1 || (token as number) > 2 ** 31 - 1)
    throw new TypeError(`${method}: token must be a positive 32-bit integer`);
}

function checkByte(v: unknown, method: string, what: string, max: number): void {
  if (!Number.isInteger(v) || (v as number) < 0 || (v as number) > max) throw new TypeError(`${method}: ${what}`);
}

function checkProps(props: unknown, method: string): Uint8Array {
  if (props === undefined) return EMPTY;
  if (!(props instanceof Uint8Array)) throw new TypeError(`${method}: properties must be a Buffer or undefined`);
  return props;
}

const EMPTY = new Uint8Array(0);

/** 'Name: value\r\n' lines (lib/ws.ts) as a record, for a transport that frames. */
function headerRecord(lines: string): Record<string, string> | undefined {
  const out: Record<string, string> = {};
  for (const line of lines.split('\r\n')) {
    const i = line.indexOf(':');
    if (i > 0) out[line.slice(0, i)] = line.slice(i + 1).trim();
  }
  return Object.keys(out).length ? out : undefined;
}

/** A Node timer's ref/unref (a browser's timer is a number: nothing to do). */
function refTimer(timer: unknown, on: boolean): void {
  const t = timer as { ref?(): void; unref?(): void } | undefined;
  if (on) t?.ref?.(); else t?.unref?.();
}
