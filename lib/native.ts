// The addon's surface, declared once. Everything else in lib/ talks to the
// addon through `native`; lib/compat/ never imports this file.
import { fileURLToPath } from 'node:url';
import { loadAddon } from './load-addon.js';
import { MqttError } from './mqtt-error.js';
import { loadWasm } from './wasm/load.js';
import type { NativeWebSocketOptions } from './ws.js';

/** What the addon (binding/addon.cc) exports. */
export interface Native {
  /** The package version the addon was built from. */
  version(): string;
  /** The engine's constant name for an error code ("TMQ_ERR_UTF8" for -12),
   *  "TMQ_ERR_UNKNOWN" for a code it does not know. Throws a TypeError unless
   *  code is an integer. */
  strerror(code: number): string;
  /** The engine's rules for a topic name (PUBLISH, will): 0 when valid, else
   *  the engine error code (TMQ_ERR_TOPIC, TMQ_ERR_UTF8, TMQ_ERR_TOO_LARGE). */
  checkTopic(topic: string): number;
  /** The engine's rules for a topic filter, shared subscriptions included:
   *  0 when valid, else TMQ_ERR_FILTER, TMQ_ERR_SHARED, TMQ_ERR_UTF8, ... */
  checkFilter(filter: string): number;
  /** Whether topic name `topic` matches the (valid) filter `filter`, by the
   *  engine's rules: '$'-topics not matched by a leading wildcard, shared
   *  subscriptions matching as their inner filter. */
  topicMatch(filter: string, topic: string): boolean;
  /** The engine's rules for a 5.0 DISCONNECT with this reason code and
   *  property block: 0 when valid, else the engine error code
   *  (TMQ_ERR_REASON, TMQ_ERR_PROP_PACKET, ...). */
  checkDisconnect(reason: number, properties?: Buffer): number;
  /** Blocks the calling JS thread (never the loop thread) until events are
   *  queued or timeoutMs pass, then hands one batch to the batch handler
   *  synchronously, on this thread. Returns the number of events delivered
   *  (0 on timeout or with no client). Throws (code TMQ_ERR_STATE) when
   *  called from inside the batch handler. */
  waitEvents(timeoutMs: number): number;
  /** The same for the inline driver's clients: drives them on this thread
   *  (poll(2) on their sockets, their timers) until one has events or
   *  timeoutMs pass, then hands them to the batch handler synchronously. */
  waitInlineEvents(timeoutMs: number): number;
  /** Registers the environment's batch handler (once, before the first client). */
  setBatchHandler(handler: BatchHandler): void;
  /** Creates a client on the environment's loop thread (started on first use,
   *  stopped by the environment's cleanup hook). Throws a TypeError naming the
   *  option for options of the wrong type. */
  createClient(options: NativeClientOptions): NativeClient;
  /** Creates a client driven on this JS thread by libuv (binding/inline.h):
   *  no loop thread; its events go to the same batch handler, after the
   *  read (or the call) that produced them, never inside a call. */
  createInlineClient(options: NativeClientOptions): NativeClient;
  /** Refuses, with an MqttError naming the option, client options that
   *  this engine's transport cannot honour (tinymqtt/web: mqtt and mqtts,
   *  TLS options, request headers); MqttClient's constructor calls it
   *  before it makes anything. Absent (the addon, the wasm engine in Node):
   *  every option is honoured. */
  checkOptions?(options: NativeClientOptions): void;
  /** Opens (creates) a file store and replays it (binding/store.cc). fsync:
   *  0 always, 1 batch, 2 never; compactBytes 0: 4 MiB. Throws an Error with
   *  code TMQ_ERR_STORE whose message names the path. */
  NativeStore: new (path: string, fsync: number, compactBytes: number) => NativeStore;
}

/** A message a NativeStore holds, as pending() gives it. */
export interface NativeStoredMessage {
  sequence: number;
  topic: Buffer;
  payload: Buffer;
  properties: Buffer | undefined;
  qos: number;
  retain: boolean;
  /** packet id it was sent with; 0: never sent */
  packetId: number;
  released: boolean;
}

/** A durable file store (native/port/posix/file_store.c), shared by its JS
 *  object and the one client that uses it. */
export interface NativeStore {
  /** messages stored and not yet completed */
  readonly count: number;
  /** the sequence number the next stored message takes (from 1) */
  readonly nextSequence: number;
  /** the last failure, naming the path, or '' */
  readonly lastError: string;
  /** the messages not completed, oldest first */
  pending(): NativeStoredMessage[];
  /** syncs and closes; throws (TMQ_ERR_STATE) while a client uses it */
  close(): void;
}

/** The reconnect policy (native/include/tinymqtt/backoff.h), given at
 *  creation and by setReconnect. */
export interface ReconnectPolicy {
  /** ceiling of the first reconnect delay in ms; 0: no automatic reconnect */
  reconnectPeriod: number;
  /** largest ceiling of a reconnect delay, ms */
  reconnectMaxPeriod: number;
  /** growth of the ceiling per failed attempt */
  reconnectFactor: number;
  /** ms a connection must last for the delays to start over */
  reconnectResetAfter: number;
  /** true: each delay drawn below its ceiling; false: the ceiling itself */
  reconnectJitter: boolean;
}

/** What a native client connects with. lib/client.ts validates and fills in
 *  defaults before anything reaches the addon. */
export interface NativeClientOptions extends ReconnectPolicy {
  host: string;
  port: number;
  /** servers tried in order instead of host and port (lib/servers.ts),
   *  each with or without TLS */
  servers?: { host: string; port: number; tls: boolean }[];
  protocolVersion: 3 | 4 | 5;
  clientId: string;
  clean: boolean;
  /** seconds; 0 turns keepalive off */
  keepalive: number;
  username?: string;
  password?: Buffer;
  will?: { topic: string; payload: Buffer; qos: 0 | 1 | 2; retain: boolean; properties?: Buffer };
  /** 5.0 CONNECT property block (lib/properties.ts) */
  properties?: Buffer;
  /** ms for the transport and CONNACK */
  connectTimeout: number;
  /** outgoing QoS 1/2 window; 0: only the server's Receive Maximum */
  maxInflight: number;
  /** 5.0: the engine gives PUBLISHes Topic Aliases of its choosing within
   *  the server's Topic Alias Maximum (tmq_client_config.auto_alias) */
  autoAssignTopicAlias?: boolean;
  /** largest incoming packet in bytes (the receive buffer) */
  maxPacketSize: number;
  /** bytes of the send buffer: the largest packet the client can send */
  sendBufferSize: number;
  /** the driver may batch a busy stream's reads (tmq_coalesce,
   *  native/include/tinymqtt/drive.h; the loop thread by tmq_loop_coalesce;
   *  default true) */
  coalesceReads?: boolean;
  /** the inline driver may wait for a reply awake (tmq_spin,
   *  native/include/tinymqtt/drive.h; default true) */
  spinForReplies?: boolean;
  /** Packet events (a line of text per packet in and out) for the debug
   *  log; off by default, and then the engine reports no packets */
  logPackets?: boolean;
  /** the offline queue's bounds (tinymqtt/offline.h), none when absent: a
   *  publish while not connected beyond them throws (code
   *  TMQ_ERR_QUEUE_FULL, or TMQ_ERR_NOT_CONNECTED for QoS 0 with
   *  queueQoSZero false) */
  queueLimit?: number;
  queueByteLimit?: number;
  queueQoSZero?: boolean;
  /** the durable store: QoS 1/2 publishes are recorded in it before
   *  publish() returns; what it holds is restored at creation, the message
   *  at pending()[i] with token restoreToken + i */
  store?: NativeStore;
  restoreToken?: number;
  /** present: MQTT over WebSockets (tinymqtt/ws_posix.h over TLS or TCP) */
  ws?: NativeWebSocketOptions;
  /** present: TLS (tmq_tls over tmq_tcp) */
  tls?: {
    ca?: string;          // PEM text
    cert?: string;        // PEM text
    key?: string;         // PEM text
    passphrase?: string;
    rejectUnauthorized: boolean;
    servername?: string;
    alpn?: string[];
  };
}

// The event kinds, EVENT_FIELDS and MESSAGE_HAS_PROPS belong to binding/events.h
// (lib/constants.ts is generated from it).
export { EVENT_FIELDS, EventKind, MESSAGE_HAS_PROPS, MESSAGE_LARGE_PAYLOAD } from './constants.js';

/** Receives the events of every client of this environment, in order, in
 *  batches: `events` holds EVENT_FIELDS ints per event, `data` the payloads
 *  and SUBACK codes they point into (a plain Uint8Array; views into it stay
 *  valid as long as they are referenced), `topics` the distinct topic
 *  strings of the batch (each made once per batch). A small batch's
 *  `events` is a view the next batch writes again (binding/deliver.h,
 *  BatchCache): read it during the call, never keep it; `data` and
 *  `topics` may be kept. `large`, when the batch has them, holds the
 *  payloads of its Message events flagged MESSAGE_LARGE_PAYLOAD, in order,
 *  each an array of its own (a large payload is not copied into `data`). */
export type BatchHandler = (events: Int32Array, data: Uint8Array, topics: string[], large?: Uint8Array[]) => void;

/** One MQTT client on the environment's engine loop thread. Every method
 *  returns at once; outcomes arrive as events for `id`. Operations carry a
 *  token (a positive integer chosen by the caller) that their Sent, Suback,
 *  Unsuback or Error event gives back. */
export interface NativeClient {
  /** Unique within the environment; the first field of its events. */
  readonly id: number;
  /** Starts connecting (and, with reconnectPeriod, reconnecting), at once
   *  also while waiting to reconnect; a connect that cannot start gives a
   *  Disconnect event with the error. While an attempt is in flight or the
   *  connection is up it does nothing: that attempt's CONNACK or Disconnect
   *  event follows. */
  connect(): void;
  /** Queues a PUBLISH; topic (a string, or its UTF-8 bytes), payload and the
   *  5.0 property block are copied. */
  /** Returns the bytes of this client's QoS 0 publishes (topic, payload,
   *  properties) not yet written, this one included: the owner of that
   *  count is the addon, which knows when they are written. */
  publish(topic: string | Buffer, payload: Buffer, qos: number, retain: boolean, token: number, properties?: Buffer): number;
  /** Queues a SUBSCRIBE: one options byte per filter (QoS and 5.0 option bits). */
  subscribe(filters: string[], options: number[], token: number, properties?: Buffer): void;
  /** Queues an UNSUBSCRIBE. */
  unsubscribe(filters: string[], token: number, properties?: Buffer): void;
  /** Sends PINGREQ now (unless one waits for its PINGRESP); a Pong event
   *  follows, or an Error event with the token when not connected. */
  ping(token: number): void;
  /** Withdraws the publish, subscribe or unsubscribe of `token` if it still
   *  waits for the connection (the offline queue); no event follows. Once
   *  handed to the engine it goes on. */
  cancel(token: number): void;
  /** Sends DISCONNECT after what is queued, then closes the connection; in
   *  5.0 with a reason code and a property block when given (an engine
   *  refusal of them is an Error event with `token`, or with 0 when none is
   *  given, and a plain DISCONNECT goes out instead). */
  disconnect(reason?: number, token?: number, properties?: Buffer): void;
  /** 5.0: sends AUTH with this reason code (0x18 continue, 0x19
   *  re-authenticate) and property block; a refusal is an Error event with
   *  `token` (0: none). The broker's AUTH packets are Auth events. */
  auth(reason: number, token: number | undefined, properties: Buffer): void;
  /** Replaces the reconnect policy: the next delay follows it. Turned off
   *  (reconnectPeriod 0) while waiting to reconnect, the wait ends: a
   *  State event (DISCONNECTED) and a Disconnect event with error 0. */
  setReconnect(policy: ReconnectPolicy): void;
  /** Closes at once: operations not yet completed get an Error event
   *  (TMQ_ERR_CLOSED), then a Closed event; the client is gone after it. */
  close(): void;
  /** Whether this client keeps the process alive while open (default true). */
  ref(): void;
  unref(): void;
  /** Diagnostics for tests, not part of the package's API: how the inline
   *  driver has read this client's socket since the client was made
   *  (binding/driver.h, Driver::ReadStats), e.g. to prove that a busy
   *  stream's reads are batched. Undefined from the loop thread driver and
   *  once closed; absent from the WebAssembly engine. */
  readStats?(): NativeReadStats | undefined;
}

/** NativeClient.readStats: counts since the client was made. */
export interface NativeReadStats {
  /** polls of the client: its socket ready, its timer due, or work submitted */
  polls: number;
  /** polls that received bytes */
  reads: number;
  /** recv system calls */
  recvs: number;
  /** bytes received (TCP payload, under TLS and WebSocket framing) */
  bytes: number;
}

/** The package root: this file is lib/native.ts in the source tree and
 *  dist/native.js once built, one level below the root either way. */
export const packageRoot: string = fileURLToPath(new URL('..', import.meta.url));

/** Which engine runs the clients: the native addon, or the same engine
 *  compiled to WebAssembly (lib/wasm/). */
export type EngineName = 'native' | 'wasm';

/** The engine, chosen once per environment (main thread or worker): the
 *  addon as load-addon.ts finds it (build/Release, a checkout or a build from
 *  source at install, then prebuilds/<platform>-<arch>, the package as
 *  shipped); where none fits or loads, the WebAssembly engine, with one
 *  warning saying why. Under Deno and Bun the WebAssembly engine (measured
 *  with Deno 2.9 and Bun 1.4: their Node-API has no libuv poll handle, which
 *  the addon's inline driver needs, so Bun aborts and Deno never connects;
 *  the thread driver crashes Deno at exit). TINYMQTT_ENGINE=wasm forces the
 *  WebAssembly engine, =native the addon (importing the package then throws
 *  the MqttError that says why there is none). */
function chooseEngine(): { native: Native; engine: EngineName } {
  const forced = process.env.TINYMQTT_ENGINE || undefined;
  if (forced !== undefined && forced !== 'native' && forced !== 'wasm')
    throw new MqttError('ERR_INVALID_ARG', `TINYMQTT_ENGINE must be 'native' or 'wasm', not ${JSON.stringify(forced)}`);
  const otherRuntime = process.versions.bun !== undefined || process.versions.deno !== undefined;
  if (forced === 'wasm' || (otherRuntime && forced === undefined)) return { native: loadWasm(packageRoot), engine: 'wasm' };
  try {
    return { native: loadAddon(packageRoot) as Native, engine: 'native' };
  } catch (e) {
    if (forced === 'native' || !(e instanceof MqttError) || (e.code !== 'ERR_NO_ADDON' && e.code !== 'ERR_ADDON_LOAD')) throw e;
    const wasm = loadWasm(packageRoot);
    process.emitWarning(`${e.message}. Using the WebAssembly engine instead (client.engine 'wasm'; no blocking calls, ` +
      'no FileStore); set TINYMQTT_ENGINE=wasm to choose it without this warning', { code: 'TINYMQTT_WASM_ENGINE' });
    return { native: wasm, engine: 'wasm' };
  }
}

const chosen = chooseEngine();
/** The engine's surface (the addon's exports, or lib/wasm/'s over WebAssembly). */
export const native: Native = chosen.native;
/** Which engine `native` is. */
export const engine: EngineName = chosen.engine;
