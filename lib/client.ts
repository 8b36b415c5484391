// The core client: MQTT.js option names and events, promises instead of
// callbacks, over one native client on the environment's engine loop thread.
import { EventEmitter } from 'node:events';
import { types } from 'node:util';
import { TokenQueue } from './token-queue.js';
import {
  AUTH_CONTINUE, AUTH_REAUTHENTICATE, AUTH_SUCCESS, answerChallenge, authBlock, authPacket,
  type AuthAnswer, type AuthHandler,
} from './auth.js';
import {
  MAX_PACKET, TMQ_ERR_CLOSED as ERR_CLOSED_CODE, TMQ_STATE_DISCONNECTED as STATE_DISCONNECTED,
  TMQ_STATE_TCP_CONNECTING as STATE_TCP_CONNECTING, TMQ_STATE_WAITING_RECONNECT as STATE_WAITING_RECONNECT,
} from './constants.js';
import { driverFor, type Driver, type DriverName } from './driver.js';
import { MqttError, argError, engineCode, engineError, nativeError } from './errors.js';
import {
  EVENT_FIELDS, EventKind, MESSAGE_HAS_PROPS, MESSAGE_LARGE_PAYLOAD, engine, native,
  type EngineName, type NativeClient, type NativeClientOptions, type NativeStore, type ReconnectPolicy,
} from './native.js';
import {
  SENDABLE, decodeProperties, encodeProperties,
  type ConnectProperties, type DisconnectProperties, type PublishProperties, type ServerProperties,
  type SubscribeProperties, type UnsubscribeProperties, type WillProperties,
} from './properties.js';
import { FileStore, nativeStore, withStoreDetail } from './store.js';
import { caText } from './tls-ca.js';
import { connectionError } from './connect-errors.js';
import { logFor, type LogFunction } from './log.js';
import { Subscriptions, type SubscribeRequest } from './subscriptions.js';
import { upgradeRefusal, webSocketOptions, type WebSocketOptions } from './ws.js';
import { DEFAULT_PORTS, serverList, urlListOptions, type ServerAddress, type ServerOption } from './servers.js';
import {
  abortReason, checkArgumentCount, checkBool, checkFilter, checkInt, checkQos, checkSignal, checkString, checkTopic, describe,
  isAborted, isList, isPlainObject, offAbort, onAbort, readEntries, readKnownOptions, readList, readOptions, readPublishOptions,
  toBuffer, type PublishOptionValues, type QoS,
} from './validate.js';

export type { QoS } from './validate.js';

/** Connection options; names follow MQTT.js where the concept is the same. */
export interface MqttClientOptions {
  host?: string;
  /** MQTT.js's other name for host (giving both, they must agree) */
  hostname?: string;
  port?: number;
  /** a list of servers (a broker cluster's nodes), used instead of host and
   *  port: each connect and each reconnect round tries them in order, the
   *  next at once when an attempt fails, and the reconnect delay comes only
   *  between rounds. All use `protocol`. `client.server` and the 'connect'
   *  event say which one the client is on. */
  servers?: ServerOption[];
  /** 'mqtts' for TLS, 'ws' for MQTT over WebSockets, 'wss' for it over TLS
   *  (default 'mqtt'). Every TLS option applies to 'wss' as to 'mqtts'. */
  protocol?: 'mqtt' | 'mqtts' | 'ws' | 'wss';
  /** ws and wss: the HTTP path of the upgrade request (default '/mqtt') */
  path?: string;
  /** ws and wss: extra request headers (lib/ws.ts) */
  wsOptions?: WebSocketOptions;
  clientId?: string;
  username?: string;
  password?: string | Buffer;
  /** seconds (default 60); 0 turns keepalive off */
  keepalive?: number;
  /** clean session / clean start (default true) */
  clean?: boolean;
  /** 3 (MQTT 3.1), 4 (3.1.1, default) or 5 */
  protocolVersion?: 3 | 4 | 5;
  will?: { topic: string; payload: string | Buffer; qos?: QoS; retain?: boolean; properties?: WillProperties };
  /** 5.0 CONNECT properties (protocolVersion 5 only) */
  properties?: ConnectProperties;
  /** 5.0: give publishes Topic Aliases automatically, within the broker's
   *  Topic Alias Maximum (up to 64 topics of up to 256 bytes; default false):
   *  a topic goes out whole once per connection, then as its alias */
  autoAssignTopicAlias?: boolean;
  /** 5.0 enhanced authentication (options.properties.authenticationMethod):
   *  answers each AUTH challenge of the broker, during connect() and
   *  reauthenticate() */
  handleAuth?: AuthHandler;
  /** the debug log: packets in and out, connection attempts, reconnects and
   *  their delays, one line each: a function that takes the line, true
   *  (stderr), or false (off). By default it is on when the DEBUG
   *  environment variable names tinymqtt (`DEBUG=tinymqtt`, `DEBUG=*`).
   *  Off, it costs nothing. */
  log?: LogFunction | boolean;
  /** TLS: the trusted CAs: PEM text (one or more certificates) or a Buffer
   *  of it, an array of those (as Node's tls), or the path of a directory of
   *  certificate files (.pem, .crt, .cer and OpenSSL's hashed names); by
   *  default the system's store */
  ca?: string | Buffer | Array<string | Buffer>;
  /** TLS: PEM text */
  cert?: string | Buffer;
  key?: string | Buffer;
  passphrase?: string;
  /** TLS: verify the server (default true) */
  rejectUnauthorized?: boolean;
  servername?: string;
  ALPNProtocols?: string[];
  /** ms for the TCP/TLS connect and CONNACK (default 30000) */
  connectTimeout?: number;
  /** automatic reconnect after a lost connection or a failed attempt: the
   *  first delay's ceiling in ms (default 1000; 0 turns automatic reconnect
   *  off). Each delay is drawn at random below its ceiling (full jitter), and
   *  the ceiling grows by reconnectFactor (default 2) per failed attempt up
   *  to reconnectMaxPeriod (default 30000); it starts over after a
   *  connection that lasted reconnectResetAfter ms (default 10000). A
   *  CONNACK refusing the protocol version, the client id, the credentials
   *  or the authorization stops reconnecting: the same CONNECT would be
   *  refused again. reconnectJitter false (default true) waits each
   *  ceiling itself instead: with reconnectFactor 1, a fixed period. A live
   *  client changes them with setReconnect(). */
  reconnectPeriod?: number;
  reconnectMaxPeriod?: number;
  reconnectFactor?: number;
  reconnectResetAfter?: number;
  reconnectJitter?: boolean;
  /** connect() (and the connect() function) go on through failed attempts,
   *  as MQTT.js does, instead of rejecting with the first one's error: each
   *  failure is an 'error' event, and connect() settles once connected, or
   *  rejects when the client stops trying (a CONNACK refusing it for good),
   *  is ended, or its signal aborts. Needs automatic reconnect
   *  (reconnectPeriod above 0). Default false. */
  retryFirstConnect?: boolean;
  /** outgoing QoS 1/2 messages in flight at once; 0 leaves only the
   *  broker's 5.0 Receive Maximum. Default: 0 with 5.0; 20 before, where a
   *  broker cannot announce its limit (mosquitto 2.0 acknowledges QoS 2
   *  messages beyond its default 20 and drops them) */
  maxInflight?: number;
  /** largest incoming packet in bytes. The default is the protocol's
   *  maximum (268,435,460 bytes), as MQTT.js: packets up to 64 KiB are read
   *  into the client's own buffer, a larger one into heap memory taken for
   *  it and freed once it has been handled. A limit set here is announced
   *  to a 5.0 broker (Maximum Packet Size), which then never sends more; a
   *  3.1.1 broker cannot be told, so a larger packet ends the connection
   *  with ERR_PACKET_TOO_LARGE (one 'error' event) and the client stops
   *  reconnecting, since a kept session would bring it back every time */
  maxPacketSize?: number;
  /** bytes of the send buffer, which bounds the largest packet the client
   *  can send (default 2 MiB; only the pages used take memory) */
  sendBufferSize?: number;
  /** after a reconnect to a broker that did not keep the session, subscribe
   *  again to what was subscribed (default true) */
  resubscribe?: boolean;
  /** bytes of QoS 0 publishes (topic, payload and properties) not yet
   *  written to the socket above which publish() waits for the write
   *  (default 512 KiB) */
  highWaterMark?: number;
  /** the offline queue, for publishes made while not connected (they go
   *  out in order once connected), bounded by memory: queueByteLimit bytes
   *  (default 256 MiB), each message counting its PUBLISH packet plus 1 KiB
   *  for what the client keeps per message (its job, promise and
   *  bookkeeping; about 1.4 KB measured with 64-byte payloads). The default
   *  holds about 240,000 small messages, a 4-second outage at the 54,000
   *  QoS 1 messages a second `npm run bench` measures, or 256 MiB of large
   *  payloads. queueLimit optionally bounds the count too (default: no
   *  limit). Past either, publish() rejects with ERR_QUEUE_FULL */
  queueLimit?: number;
  queueByteLimit?: number;
  /** queue QoS 0 publishes made while not connected (default true); when
   *  false they reject with ERR_NOT_CONNECTED */
  queueQoSZero?: boolean;
  /** a durable store for QoS 1/2 publishes (docs/store.md): publish() has
   *  recorded the message before it returns, and connect() first sends again
   *  what the store holds from an earlier run. Use it with a fixed clientId
   *  and clean: false. */
  store?: FileStore;
  /** what drives the engine (lib/driver.ts): 'inline' (on this JS thread,
   *  so keepalive and acks need this thread to turn) or 'thread' (the
   *  environment's engine loop thread, which goes on while this thread is
   *  busy); default: the TINYMQTT_DRIVER environment variable, else 'inline' */
  driver?: DriverName;
  /** with either driver: while a stream of incoming packets is busy
   *  (packets less than 0.2 ms apart) and this client sends nothing of its
   *  own, let them gather in the socket and read them together, at most
   *  about 2 ms late, instead of waking for each (default true; several
   *  times less CPU per message for a busy subscriber, and for the broker
   *  that wakes it). It never delays a reply to what this client sent.
   *  bench/README.md has the measurements. */
  coalesceReads?: boolean;
  /** with the inline driver: after writing what you submitted, while this
   *  client's replies have been coming back within 0.1 ms (a round trip to
   *  the broker, a QoS 1 publish awaited one at a time), wait for the next
   *  one without letting the event loop sleep, for at most 0.1 ms (default
   *  true; about a quarter off a round trip's latency on the bench's
   *  machine, for that much CPU). Waits that find nothing turn it off for
   *  the client until a probe (one write in 128) finds a reply in time
   *  again. */
  spinForReplies?: boolean;
}

export interface OperationOptions { signal?: AbortSignal }
/** end()'s options. */
export interface EndOptions {
  /** close at once, without DISCONNECT (so the broker publishes the will) */
  force?: boolean;
  /** 5.0: the DISCONNECT's reason code (default 0) */
  reasonCode?: number;
  /** 5.0: the DISCONNECT's properties */
  properties?: DisconnectProperties;
}
export interface PublishOptions extends OperationOptions {
  qos?: QoS;
  retain?: boolean;
  /** 5.0 only */
  properties?: Omit<PublishProperties, 'subscriptionIdentifier'>;
}
/** How to subscribe one filter; nl, rap and rh are 5.0 only. */
export interface SubscriptionOptions {
  qos?: QoS;
  /** No Local: not my own publishes */
  nl?: boolean;
  /** Retain As Published: keep the retain flag as sent */
  rap?: boolean;
  /** Retain Handling: 0 send retained messages, 1 only for a new
   *  subscription, 2 never */
  rh?: 0 | 1 | 2;
}
export interface SubscribeOptions extends OperationOptions, SubscriptionOptions {
  /** 5.0 only */
  properties?: SubscribeProperties;
}
export interface UnsubscribeOptions extends OperationOptions {
  /** 5.0 only */
  properties?: UnsubscribeProperties;
}
export interface MessagesOptions {
  signal?: AbortSignal;
  /** messages the iterator may hold for a slow consumer (default 10000); past
   *  it the iterator fails with ERR_QUEUE_FULL rather than grow or drop */
  highWaterMark?: number;
}

/** A received message; `packet` carries its flags. */
export interface MessagePacket {
  topic: string;
  payload: Buffer;
  qos: QoS;
  retain: boolean;
  dup: boolean;
  /** the PUBLISH's packet identifier (0 at QoS 0) */
  messageId: number;
  /** 5.0: the PUBLISH's properties, when it had any */
  properties?: PublishProperties;
}

/** The 'connect' event's argument. */
export interface ConnackPacket {
  sessionPresent: boolean;
  /** the server this connection is to (options.servers, or host and port) */
  server: ServerAddress;
  reasonCode: number;
  /** 5.0: the CONNACK's properties, when it had any */
  properties?: ServerProperties;
}

/** What the broker granted one filter: its QoS, or a refusal code (>= 0x80). */
export interface SubscriptionGrant { topic: string; qos: number }

interface Pending {
  resolve(value: unknown): void;
  reject(error: Error): void;
  /** subscribe: the SUBSCRIBE, kept for restoring what is granted */
  request?: SubscribeRequest;
  /** unsubscribe: its filters */
  filters?: string[];
  /** QoS 0 publish above the mark: in #awaitingWrite until written */
  awaitsWrite?: boolean;
}

/** MqttClient.state: the engine's tmq_state values by name, and 'closed'. */
export type ConnectionState = 'disconnected' | 'tcp-connecting' | 'tls-handshaking' | 'mqtt-connecting' | 'connected'
  | 'waiting-reconnect' | 'closed';
const STATES: ConnectionState[] = ['disconnected', 'tcp-connecting', 'tls-handshaking', 'mqtt-connecting', 'connected',
  'waiting-reconnect'];

/** Where an MqttClient is in its life, one value for what would otherwise
 *  be several flags. The connection's finer state (TCP connecting, waiting
 *  to reconnect, ...) is the engine's: MqttClient.state.
 *  - 'idle': created, connect() not called yet (no native client).
 *  - 'offline': not connected: connecting, waiting to reconnect, or stopped
 *    for good (no automatic reconnect); operations queue unless stopped.
 *  - 'connected': CONNACK received, and the connection not lost since.
 *  - 'ending': end() while connected: operations in progress finish, new
 *    ones are refused.
 *  - 'disconnecting': ending with nothing left pending: DISCONNECT sent.
 *  - 'closing': the native client was told to close; its Closed event ends
 *    the client.
 *  - 'closed': closed for good. */
type Phase = 'idle' | 'offline' | 'connected' | 'ending' | 'disconnecting' | 'closing' | 'closed';

/** The phases in which the client is connected. */
const isConnected = (phase: Phase) => phase === 'connected' || phase === 'ending' || phase === 'disconnecting';

/** The phases after end(): operations are refused with ERR_CLOSED. */
const isEnded = (phase: Phase) => phase === 'ending' || phase === 'disconnecting' || phase === 'closing' || phase === 'closed';

/** Each open client by native client id: how the batch dispatcher
 *  (MqttClient.#dispatch) reaches a client's private #event, with no
 *  closure per client. */
const clients = new Map<number, MqttClient>();
/** The UTF-8 form of no topic yet (publish() replaces it, never writes to it):
 *  one for every client. */
const NO_BYTES = Buffer.alloc(0);
let handlerSet = false;

/** Bytes of a variable byte integer. */
const vbiLength = (v: number) => (v < 128 ? 1 : v < 16384 ? 2 : v < 2097152 ? 3 : 4);

/** Bytes of a 5.0 property block with its length (none before 5.0). */
function propsLength(version: number, props: Buffer | undefined): number {
  const propBytes = props?.length ?? 0;
  return version === 5 ? vbiLength(propBytes) + propBytes : 0;
}

/** The size of a packet on the wire whose fixed header is followed by `rest` bytes. */
const packetSize = (rest: number) => 1 + vbiLength(rest) + rest;

/** The exact size of a PUBLISH on the wire. */
function publishSize(version: number, topicBytes: number, payloadBytes: number, qos: number, props: Buffer | undefined): number {
  return packetSize(2 + topicBytes + (qos > 0 ? 2 : 0) + propsLength(version, props) + payloadBytes);
}

/** The exact size of a SUBSCRIBE (an options byte per filter) or an
 *  UNSUBSCRIBE on the wire. */
function requestSize(version: number, filters: string[], subscribe: boolean, props: Buffer | undefined): number {
  const each = subscribe ? 3 : 2;
  return packetSize(filters.reduce((n, f) => n + each + Buffer.byteLength(f), 2 + propsLength(version, props)));
}

function pemText(name: string, value: unknown): string | undefined {
  if (value === undefined) return undefined;
  return typeof value === 'string' ? value : toBuffer(name, value).toString();
}

/** The error of an operation its signal aborted, naming the reason. */
function aborted(signal: AbortSignal): MqttError {
  const reason = abortReason(signal);
  let text = typeof reason === 'string' ? reason : describe(reason);
  if (!types.isProxy(reason) && reason instanceof Error) {
    try {
      text = String(reason);   // 'AbortError: This operation was aborted'
    } catch { /* a getter of the reason threw: its kind will do */ }
  }
  return new MqttError('ERR_ABORTED', `aborted: ${text}`);
}

/** How an operation's promise settled, readable synchronously (awaitSync),
 *  kept on the promise under this symbol. */
interface Outcome { settled: boolean; failed: boolean; value?: unknown; error?: unknown }
const OUTCOME = Symbol('tinymqtt.outcome');
type Observed<T> = Promise<T> & { [OUTCOME]?: Outcome };

/** Attaches the outcome record of an operation's promise. */
function observed<T>(promise: Promise<T>, outcome: Outcome): Promise<T> {
  (promise as Observed<T>)[OUTCOME] = outcome;
  return promise;
}

/** What every operation that succeeds at once returns (an accepted QoS 0
 *  publish, end() of a closed client): one shared resolved promise. */
const DONE: Promise<void> = observed(Promise.resolve(), { settled: true, failed: false });

/** An engine event kept for later: kind, its four fields, the batch's data
 *  and topics. */
type HeldEvent = [kind: number, a: number, b: number, c: number, d: number, data: Buffer, topics: string[], large?: Buffer];

/** An operation refused at once: a rejected promise whose outcome awaitSync
 *  can read. */
function failed(error: unknown): Promise<never> {
  return observed(Promise.reject(error), { settled: true, failed: true, error });
}

/** The native client for checked options. What the addon still refuses
 *  (option values the engine or TLS reject: a persistent session without a
 *  client id, a password without a user name, a bad certificate, ...)
 *  becomes an MqttError with the engine's code, naming the option. */
function createNative(driver: Driver, options: NativeClientOptions): NativeClient {
  try {
    return driver.create(options);
  } catch (e) {
    throw nativeError(e, 'createClient: ');
  }
}

/** A 5.0 property block, or an MqttError naming the argument when given
 *  before protocol 5.0. */
function v5Properties(version: number, name: string, props: unknown, allowed: readonly string[]): Buffer | undefined {
  if (props !== undefined && version !== 5) throw argError(name, 'needs protocolVersion 5');
  return encodeProperties(name, props, allowed);
}

/** The signal of an operation's options argument, checked (the options
 *  read once). */
const operationSignal = (opts: unknown) => checkSignal('options.signal', readOptions('options', opts, SIGNAL_OPTION).signal);

/** publish()'s options as read (readPublishOptions), one object for every call. */
const PUBLISH_READ: PublishOptionValues = { qos: undefined, retain: undefined, properties: undefined, signal: undefined };

/** The option names each operation reads (readOptions), made once. */
const SIGNAL_OPTION = ['signal'] as const;
const SUBSCRIBE_OPTIONS = ['qos', 'nl', 'rap', 'rh', 'properties', 'signal'] as const;
const UNSUBSCRIBE_OPTIONS = ['properties', 'signal'] as const;
const END_OPTIONS = ['force', 'reasonCode', 'properties'] as const;
const SUBSCRIPTION_KEYS = ['qos', 'nl', 'rap', 'rh'] as const;

/** The options of the reconnect policy (options at creation, setReconnect()). */
const RECONNECT_OPTIONS = [
  'reconnectPeriod', 'reconnectMaxPeriod', 'reconnectFactor', 'reconnectResetAfter', 'reconnectJitter',
] as const satisfies readonly (keyof ReconnectPolicy)[];

/** The reconnect options setReconnect() takes (as MqttClientOptions names
 *  them); those not given stay. */
export type ReconnectOptions = Pick<MqttClientOptions,
  'reconnectPeriod' | 'reconnectMaxPeriod' | 'reconnectFactor' | 'reconnectResetAfter' | 'reconnectJitter'>;

/** The names of MqttClientOptions, each read once from what the caller
 *  gave (readOptions). */
const CLIENT_OPTIONS = [
  'host', 'hostname', 'port', 'servers', 'protocol', 'path', 'wsOptions', 'clientId', 'username', 'password', 'keepalive', 'clean', 'protocolVersion', 'will',
  'properties', 'autoAssignTopicAlias', 'handleAuth', 'log', 'ca', 'cert', 'key', 'passphrase', 'rejectUnauthorized', 'servername', 'ALPNProtocols', 'connectTimeout',
  ...RECONNECT_OPTIONS, 'retryFirstConnect', 'maxInflight', 'maxPacketSize', 'sendBufferSize', 'resubscribe', 'highWaterMark', 'queueLimit', 'queueByteLimit', 'queueQoSZero', 'store', 'driver',
  'coalesceReads', 'spinForReplies',
] as const satisfies readonly (keyof MqttClientOptions)[];

/** The options the caller gave, each read once into a plain object. */
const clientOptions = (options: unknown) => readOptions('options', options, CLIENT_OPTIONS) as MqttClientOptions;

/** The reconnect policy's defaults. */
const DEFAULT_RECONNECT: ReconnectPolicy = {
  reconnectPeriod: 1000, reconnectMaxPeriod: 30000, reconnectFactor: 2, reconnectResetAfter: 10000, reconnectJitter: true,
};

/** Validates the reconnect options of `o` (errors name `name`.option),
 *  taking those not given from `base`. */
function reconnectPolicy(name: string, o: ReconnectOptions, base: ReconnectPolicy): ReconnectPolicy {
  return {
    reconnectPeriod: checkInt(`${name}.reconnectPeriod`, o.reconnectPeriod ?? base.reconnectPeriod, 0, 2 ** 31 - 1),
    reconnectMaxPeriod: checkInt(`${name}.reconnectMaxPeriod`, o.reconnectMaxPeriod ?? base.reconnectMaxPeriod, 0, 2 ** 31 - 1),
    reconnectFactor: checkInt(`${name}.reconnectFactor`, o.reconnectFactor ?? base.reconnectFactor, 1, 100),
    reconnectResetAfter: checkInt(`${name}.reconnectResetAfter`, o.reconnectResetAfter ?? base.reconnectResetAfter, 0, 2 ** 31 - 1),
    reconnectJitter: checkBool(`${name}.reconnectJitter`, o.reconnectJitter ?? base.reconnectJitter),
  };
}

/** Validates options (read once: clientOptions) and fills in defaults for
 *  the native client. */
function nativeOptions(o: MqttClientOptions): NativeClientOptions {
  const ws = o.protocol === 'ws' || o.protocol === 'wss', ownTls = o.protocol === 'mqtts' || o.protocol === 'wss';
  if (o.protocol !== undefined && o.protocol !== 'mqtt' && !ownTls && !ws)
    throw argError('options.protocol', `must be 'mqtt', 'mqtts', 'ws' or 'wss', not ${describe(o.protocol)}`);
  // a server list may mix mqtt and mqtts: TLS is set up when any takes it
  const servers = serverList('options.servers', o.servers, o.protocol ?? 'mqtt');
  const tls = ownTls || (servers?.some((s) => s.protocol === 'mqtts') ?? false);
  const version = o.protocolVersion ?? 4;
  if (version !== 3 && version !== 4 && version !== 5)
    throw argError('options.protocolVersion', `must be 3, 4 or 5, not ${describe(version)}`);
  if (o.host !== undefined && o.hostname !== undefined && o.host !== o.hostname)
    throw argError('options.hostname', `names another host than options.host (${describe(o.hostname)}, ${describe(o.host)})`);
  const out: NativeClientOptions = {
    host: checkString(o.host === undefined && o.hostname !== undefined ? 'options.hostname' : 'options.host', o.host ?? o.hostname ?? 'localhost'),
    port: checkInt('options.port', o.port ?? DEFAULT_PORTS[o.protocol ?? 'mqtt'], 1, 65535),
    protocolVersion: version,
    clientId: checkString('options.clientId', o.clientId ?? `tinymqtt_${Math.random().toString(16).slice(2, 10)}`),
    clean: checkBool('options.clean', o.clean ?? true),
    keepalive: checkInt('options.keepalive', o.keepalive ?? 60, 0, 65535),
    connectTimeout: checkInt('options.connectTimeout', o.connectTimeout ?? 30000, 1, 2 ** 31 - 1),
    maxInflight: checkInt('options.maxInflight', o.maxInflight ?? (version === 5 ? 0 : 20), 0, 65535),
    ...reconnectPolicy('options', o, DEFAULT_RECONNECT),
    maxPacketSize: checkInt('options.maxPacketSize', o.maxPacketSize ?? MAX_PACKET, 16, MAX_PACKET),
    sendBufferSize: checkInt('options.sendBufferSize', o.sendBufferSize ?? 2 << 20, 64, MAX_PACKET),
    coalesceReads: checkBool('options.coalesceReads', o.coalesceReads ?? true),
    spinForReplies: checkBool('options.spinForReplies', o.spinForReplies ?? true),
    queueByteLimit: checkInt('options.queueByteLimit', o.queueByteLimit ?? 256 << 20, 0, 2 ** 31 - 1),
    queueQoSZero: checkBool('options.queueQoSZero', o.queueQoSZero ?? true),
  };
  if (ws) out.ws = webSocketOptions(o.path, o.wsOptions, out.host, out.port, ownTls);
  if (servers) out.servers = servers.map(({ host, port, protocol }) => ({ host, port, tls: protocol === 'mqtts' }));
  if (o.queueLimit !== undefined) out.queueLimit = checkInt('options.queueLimit', o.queueLimit, 0, 2 ** 31 - 1);
  if (o.username !== undefined) out.username = checkString('options.username', o.username);
  if (o.password !== undefined) out.password = toBuffer('options.password', o.password);
  if (o.will !== undefined) {
    const will = readOptions('options.will', o.will, ['topic', 'payload', 'qos', 'retain', 'properties']);
    out.will = {
      topic: checkTopic('options.will.topic', will.topic),
      payload: toBuffer('options.will.payload', will.payload),
      qos: checkQos('options.will.qos', will.qos ?? 0),
      retain: checkBool('options.will.retain', will.retain ?? false),
    };
    const willProps = v5Properties(version, 'options.will.properties', will.properties, SENDABLE.will);
    if (willProps) out.will.properties = willProps;
  }
  const connectProps = v5Properties(version, 'options.properties', o.properties, SENDABLE.connect);
  if (connectProps) out.properties = connectProps;   // the addon bounds topicAliasMaximum (its memory)
  if (o.autoAssignTopicAlias !== undefined) {
    out.autoAssignTopicAlias = checkBool('options.autoAssignTopicAlias', o.autoAssignTopicAlias);
    if (out.autoAssignTopicAlias && version !== 5) throw argError('options.autoAssignTopicAlias', 'needs protocolVersion 5');
  }
  if (tls) {
    out.tls = { rejectUnauthorized: checkBool('options.rejectUnauthorized', o.rejectUnauthorized ?? true) };
    const ca = caText('options.ca', o.ca), cert = pemText('options.cert', o.cert);
    const key = pemText('options.key', o.key);
    if (ca !== undefined) out.tls.ca = ca;
    if (cert !== undefined) out.tls.cert = cert;
    if (key !== undefined) out.tls.key = key;
    if (o.passphrase !== undefined) out.tls.passphrase = checkString('options.passphrase', o.passphrase);
    if (o.servername !== undefined) out.tls.servername = checkString('options.servername', o.servername);
    if (o.ALPNProtocols !== undefined) {
      if (!isList(o.ALPNProtocols)) throw argError('options.ALPNProtocols', 'must be an array of strings');
      out.tls.alpn = o.ALPNProtocols.map((p, i) => checkString(`options.ALPNProtocols[${i}]`, p));
    }
  }
  return out;
}

/** The events of an MqttClient and their arguments. */
export interface MqttClientEvents {
  /** CONNACK accepted: the client is connected */
  connect: [connack: ConnackPacket];
  message: [topic: string, payload: Buffer, packet: MessagePacket];
  /** a failure no promise was waiting for (a lost connection, a protocol
   *  error, an accepted QoS 0 publish that could not be written) */
  error: [error: MqttError];
  /** the connection was lost */
  offline: [];
  /** after a 'connect' without clean session (clean: false) the server had
   *  no session for the client (a failover to a node that does not share
   *  it, or a broker that lost it): what the broker held for the client is
   *  gone. What the client does about it follows the usual rules
   *  (lib/README.md, "Failover"): the subscriptions are made again when
   *  `resubscribed` (options.resubscribe), unacknowledged QoS 1/2 publishes
   *  are sent again as new messages, and a QoS 2 publish the lost session
   *  had acknowledged with PUBREC counts as delivered */
  sessionLost: [info: { server: ServerAddress; resubscribed: boolean }];
  /** an automatic reconnect attempt starts: the how-many-th since the last
   *  connection, after how long a wait (ms) */
  reconnect: [info: { attempt: number; delay: number }];
  /** PINGRESP */
  pong: [];
  /** the client is closed for good; 'end' follows at once */
  close: [];
  end: [];
}

/** An MQTT client with typed events (MqttClientEvents). */
export class MqttClient extends EventEmitter<MqttClientEvents> {
  #options: Readonly<NativeClientOptions>;
  #native: NativeClient | undefined;
  /** operations waiting for their event, by token (made by the first one:
   *  an idle client has none) */
  #pending: Map<number, Pending> | undefined;
  #nextToken = 1;
  /** where the client is in its life (Phase) */
  #phase: Phase = 'idle';
  /** connect()'s operation in flight, settled by CONNACK or its failure */
  #connecting: Pending | undefined;
  /** end()'s promise and its operation, settled by the Closed event */
  #ended: Promise<void> | undefined;
  #endOperation: Pending | undefined;
  /** the engine's connection state (tmq_state), and the one before it (where
   *  a connection that just ended was: the step a timeout cut short) */
  #state = STATE_DISCONNECTED;
  #stateBefore = STATE_DISCONNECTED;
  /** the transport's reason for the failure the next Disconnect event reports */
  #failureDetail = '';
  #highWaterMark: number;
  /** QoS 0 publishes resolved on acceptance and not yet written, in order:
   *  token and bytes (a later failure goes to 'error') */
  #accepted: TokenQueue | undefined;
  /** QoS 0 publishes above the mark, whose promises wait for the write (in
   *  #pending too), in order */
  #awaitingWrite: TokenQueue | undefined;
  /** the QoS 0 publishes above the mark made since the last write, when
   *  nothing else was submitted in between: one promise for them all,
   *  registered under the last one's token (#awaitWrite) */
  #writeGroup: { last: number; pending: Pending; promise: Promise<void> } | undefined;
  /** the last topic publish() validated, and its UTF-8 form: a stream of
   *  publishes to one topic checks and converts it once */
  #lastTopic: string | undefined;
  #lastTopicBytes = NO_BYTES;
  /** 5.0: the Maximum Packet Size of the broker's CONNACK */
  #serverMaxPacket = MAX_PACKET;
  /** reconnect attempts since the last CONNACK, and the delay before the next */
  #attempts = 0;
  #reconnectDelay = 0;
  /** the index in the server list of the server in use or tried (-1: none
   *  yet), and whether the engine is about to try the next one of a round */
  #serverIndex = -1;
  #failingOver = false;
  /** a CONNACK has come with clean: false: the client has had a session */
  #hadSession = false;
  /** the subscriptions granted and not unsubscribed, restored after a
   *  reconnect without the session (options.resubscribe) */
  #subscriptions: Subscriptions | undefined;
  #resubscribe: boolean;
  /** tokens of ping() calls waiting for PINGRESP */
  #pings: number[] | undefined;
  /** events this client has had (waitSync watches it) */
  #events = 0;
  /** events that arrived after a CONNACK and wait until the caller of
   *  connect() can listen (#hold), oldest first; undefined: no hold */
  #held: HeldEvent[] | undefined;
  /** accepted QoS 0 publishes that closing the client left unwritten */
  #closedUnwritten = 0;
  #store: FileStore | undefined;
  #driver: Driver;
  /** 5.0: the broker's CONNACK properties, of the current or last connection */
  #serverProperties: ServerProperties | undefined;
  /** 5.0 enhanced authentication: CONNECT's method, the handler of the
   *  broker's challenges, a reauthenticate() waiting for its outcome, and
   *  why the client gave up an exchange (the Disconnect it caused says so) */
  #authMethod: string | undefined;
  #handleAuth: AuthHandler | undefined;
  #reauth: { token: number; pending: Pending } | undefined;
  #authFailure: MqttError | undefined;
  /** connections ended so far (Disconnect events): tells one connection's
   *  late AUTH answer from the next connection's */
  #connections = 0;
  /** the debug log, when on (options.log, DEBUG) */
  #log: LogFunction | undefined;
  /** end()'s 5.0 DISCONNECT reason and properties, when given */
  #disconnect: { reason: number; props: Buffer | undefined } | undefined;
  /** options.retryFirstConnect */
  #retryFirstConnect: boolean;

  constructor(opts: MqttClientOptions = {}) {
    super();
    checkArgumentCount('new MqttClient', arguments, 1);
    const options = clientOptions(opts);
    this.#log = logFor('options.log', options.log);
    this.#options = this.#log ? { ...nativeOptions(options), logPackets: true } : nativeOptions(options);
    native.checkOptions?.(this.#options);
    this.#retryFirstConnect = checkBool('options.retryFirstConnect', options.retryFirstConnect ?? false);
    if (this.#retryFirstConnect && this.#options.reconnectPeriod === 0)
      throw argError('options.retryFirstConnect', 'needs automatic reconnect, but options.reconnectPeriod is 0');
    this.#highWaterMark = checkInt('options.highWaterMark', options.highWaterMark ?? 512 << 10, 0, 2 ** 31 - 1);
    this.#resubscribe = checkBool('options.resubscribe', options.resubscribe ?? true);
    if (options.store !== undefined) nativeStore(options.store);   // throws unless a FileStore
    this.#store = options.store;
    this.#driver = driverFor(options.driver);
    if (options.handleAuth !== undefined && typeof options.handleAuth !== 'function')
      throw argError('options.handleAuth', `must be a function, not ${describe(options.handleAuth)}`);
    this.#handleAuth = options.handleAuth;
    if (this.#options.properties)
      this.#authMethod = decodeProperties(this.#options.properties).authenticationMethod as string | undefined;
  }

  /** 5.0: the properties of the broker's CONNACK (its limits: Receive
   *  Maximum, Maximum QoS, Topic Alias Maximum, ...; an assigned client id),
   *  from the last connection; undefined before the first or without any. */
  get serverProperties(): ServerProperties | undefined {
    return this.#serverProperties;
  }

  /** The options, validated and with their defaults (setReconnect() changes
   *  the reconnect policy's). */
  get options(): Readonly<NativeClientOptions> {
    return this.#options;
  }

  /** Which engine runs this client: 'native' (the addon) or 'wasm' (the
   *  same engine compiled to WebAssembly: where no addon fits this platform,
   *  or with TINYMQTT_ENGINE=wasm). On 'wasm' the blocking calls
   *  (connectSync, waitSync, the embedded APIs' sync methods) and FileStore
   *  throw an MqttError with code ERR_NOT_SUPPORTED. */
  get engine(): EngineName {
    return engine;
  }

  /** Changes the reconnect policy (MqttClientOptions.reconnectPeriod and
   *  the others; those not given stay) of a client, also a connected one.
   *  The next delay follows it. reconnectPeriod 0 turns automatic reconnect
   *  off, and ends a wait for the next attempt: the client is then
   *  disconnected until connect(). Bad values and unknown names throw an
   *  MqttError naming them (policy.reconnectPeriod, ...); ERR_CLOSED once
   *  ended. */
  setReconnect(policy: ReconnectOptions): void {
    checkArgumentCount('setReconnect', arguments, 1);
    const o = readKnownOptions('policy', policy, RECONNECT_OPTIONS) as ReconnectOptions;
    if (isEnded(this.#phase)) throw new MqttError('ERR_CLOSED', 'setReconnect: the client was ended');
    const next = reconnectPolicy('policy', o, this.#options);
    this.#options = { ...this.#options, ...next };
    this.#native?.setReconnect(next);
  }

  /** The server the client is connected to, or was last trying; undefined
   *  before the first attempt. */
  get server(): ServerAddress | undefined {
    if (this.#serverIndex < 0) return undefined;
    const o = this.#options;
    if (o.servers) {
      const { host, port, tls } = o.servers[this.#serverIndex];
      return { host, port, protocol: tls ? 'mqtts' : 'mqtt' };
    }
    return { host: o.host, port: o.port, protocol: o.ws ? (o.tls ? 'wss' : 'ws') : o.tls ? 'mqtts' : 'mqtt' };
  }

  /** Whether the client is connected (CONNACK received, not yet lost). */
  get connected(): boolean {
    return isConnected(this.#phase);
  }

  /** Where the connection is: 'disconnected', 'tcp-connecting',
   *  'tls-handshaking', 'mqtt-connecting' (CONNECT sent), 'connected',
   *  'waiting-reconnect', or 'closed' once ended. */
  get state(): ConnectionState {
    return this.#phase === 'closed' ? 'closed' : STATES[this.#state] ?? 'disconnected';
  }

  /** Connects; resolves on CONNACK, rejects with the refusal (code
   *  'ERR_CONNACK_BAD_AUTH', ..., reasonCode set) or the transport error of
   *  the first attempt. With automatic reconnect (options.reconnectPeriod)
   *  the client goes on trying after a failed attempt, unless the broker
   *  refused it for good; its 'connect' event tells when one succeeds, and
   *  end() stops it. During an automatic reconnect it joins the attempt in
   *  flight (or starts the next at once) and settles with it. */
  connect(opts: OperationOptions = {}): Promise<void> {
    try {
      checkArgumentCount('connect', arguments, 1);
      return this.#startConnect(operationSignal(opts));
    } catch (e) {
      return failed(e);
    }
  }

  /** Connects, blocking the calling thread (only: the engine's loop thread
   *  keeps running) until CONNACK or failure, for at most
   *  options.connectTimeout. Events, this client's and others', are emitted
   *  on this thread meanwhile. Throws what connect() would reject with. */
  connectSync(): void {
    // the WebAssembly engine cannot block: its waitEvents throws
    // ERR_NOT_SUPPORTED, here before an attempt starts that nobody ends
    if (engine === 'wasm') this.#driver.waitEvents(0);
    // the engine fails the attempt after connectTimeout; the extra second
    // only bounds the wait should its event never come
    this.awaitSync(this.connect(), this.#options.connectTimeout + 1000);
  }

  /** Blocks the calling thread as waitSync does until `operation`, a promise
   *  one of this client's methods returned, settles; returns its value or
   *  throws its error (ERR_TIMEOUT after timeoutMs). For the synchronous
   *  embedded APIs: `client.awaitSync(client.publish(t, m, { qos: 1 }), 5000)`. */
  awaitSync<T>(operation: Promise<T>, timeoutMs: number): T {
    checkInt('timeoutMs', timeoutMs, 0, 2 ** 31 - 1);
    const outcome = types.isPromise(operation) ? (operation as Observed<T>)[OUTCOME] : undefined;
    if (!outcome) throw argError('operation', `must be a promise returned by this client, not ${describe(operation)}`);
    operation.catch(() => {});   // its error is thrown here instead
    if (!outcome.settled && !this.waitSync(timeoutMs, () => outcome.settled))
      throw new MqttError('ERR_TIMEOUT', `awaitSync: not settled within ${timeoutMs} ms`);
    if (outcome.failed) throw outcome.error;
    return outcome.value as T;
  }

  /** Blocks the calling thread (never the engine's loop thread), emitting
   *  events as they arrive, until `until()` returns true (by default: until
   *  this client has had an event) or timeoutMs pass. With timeoutMs 0 it
   *  only emits what has already arrived. Returns `until()`'s last answer.
   *  Not from inside an event listener (ERR_STATE). */
  waitSync(timeoutMs: number, until?: () => boolean): boolean {
    checkInt('timeoutMs', timeoutMs, 0, 2 ** 31 - 1);
    if (until !== undefined && typeof until !== 'function') throw argError('until', `must be a function, not ${describe(until)}`);
    if (!this.#native) throw new MqttError('ERR_NOT_CONNECTED', 'waitSync: call connect() first');
    const seen = this.#events;
    const done = until ?? (() => this.#events !== seen);
    const deadline = performance.now() + timeoutMs;
    try {
      for (;;) {
        if (done()) return true;
        if (this.#held) {   // held since a CONNACK: the caller of connect() went on long ago
          this.#release();
          continue;
        }
        const left = Math.max(0, Math.ceil(deadline - performance.now()));
        if (this.#driver.waitEvents(left) === 0 && left === 0) return done();
      }
    } catch (e) {
      if (!(e instanceof MqttError) && (e as { code?: unknown })?.code === 'TMQ_ERR_STATE')
        throw new MqttError('ERR_STATE', 'waitSync: cannot block inside an event listener');
      throw e;
    }
  }

  /** Starts connecting; throws for a client that cannot. */
  #startConnect(signal: AbortSignal | undefined): Promise<void> {
    if (isEnded(this.#phase)) throw new MqttError('ERR_CLOSED', 'connect: the client was ended');
    if (this.#connecting) throw new MqttError('ERR_STATE', 'connect: already connecting');
    if (this.#phase === 'connected') throw new MqttError('ERR_STATE', 'connect: already connected');
    if (signal && isAborted(signal)) throw aborted(signal);
    if (!this.#native) {
      if (!handlerSet) {
        native.setBatchHandler(MqttClient.#dispatch);
        handlerSet = true;
      }
      this.#native = this.#store ? this.#createWithStore(nativeStore(this.#store)) : createNative(this.#driver, this.#options);
      clients.set(this.#native.id, this);
      this.#phase = 'offline';
    }
    const done = this.#track(signal, (p) => { this.#connecting = p; });
    this.#native.connect();
    return done as Promise<void>;
  }

  /** The native client over a store: what the store holds is handed to the
   *  engine again, each message with a token whose failure (no promise waits
   *  for it) is reported through 'error'. Closing leaves them in the store. */
  #createWithStore(store: NativeStore): NativeClient {
    const first = this.#nextToken, count = store.count;
    const client = createNative(this.#driver, { ...this.#options, store, restoreToken: first });
    const path = this.#store!.path;
    for (let token = first; token < first + count; token++) {
      this.#wait(token, {
        resolve: () => undefined,
        reject: (e) => {
          const err = e instanceof MqttError ? e : new MqttError('ERR_STORE', String(e));
          if (err.code !== 'ERR_CLOSED') this.#report(new MqttError(err.code, `a message restored from ${path}: ${err.message}`, err.reasonCode));
        },
      });
    }
    this.#nextToken = first + count;
    return client;
  }

  /** Publishes. QoS 0 resolves once accepted, at once while less than
   *  options.highWaterMark bytes wait to be written, else when this one is
   *  written (publishes made one after the other above the mark before the
   *  next write share one promise, which settles when the last of them is
   *  written; a later failure of an accepted QoS 0 publish is an 'error'
   *  event); QoS 1 resolves on PUBACK, QoS 2 on PUBCOMP. Rejects with an
   *  MqttError: bad input before anything is sent, or the broker's refusal
   *  with its reasonCode. */
  publish(topic: string, payload: string | Buffer | Uint8Array, opts?: PublishOptions): Promise<void> {
    try {
      if (arguments.length > 3) checkArgumentCount('publish', arguments, 3);
      readPublishOptions(opts, PUBLISH_READ);
      const { qos: qosOption, retain: retainOption, properties: propsOption, signal: signalOption } = PUBLISH_READ;
      const signal = checkSignal('options.signal', signalOption);
      if (topic !== this.#lastTopic) {
        checkTopic('topic', topic);
        this.#lastTopic = topic;
        this.#lastTopicBytes = Buffer.from(topic);
      }
      const body = toBuffer('payload', payload);
      const qos = checkQos('options.qos', qosOption ?? 0);
      const retain = checkBool('options.retain', retainOption ?? false);
      const props = this.#properties('options.properties', propsOption, SENDABLE.publish);
      const size = publishSize(this.#options.protocolVersion, this.#lastTopicBytes.length, body.length, qos, props);
      this.#checkSize('PUBLISH', size, body.length);
      const n = this.#open('publish');
      if (signal && isAborted(signal)) throw aborted(signal);
      const token = this.#nextToken++;
      // first the addon (it may still throw: the offline queue's bounds,
      // tinymqtt/offline.h), then the bookkeeping: its events come in a
      // later batch. It answers with the bytes of QoS 0 publishes not yet
      // written, this one included.
      const unwritten = n.publish(this.#lastTopicBytes, body, qos, retain, token, props);
      if (qos !== 0) return this.#awaitAck(signal, token);
      if (unwritten <= this.#highWaterMark) {
        this.#writeGroup = undefined;
        (this.#accepted ??= new TokenQueue()).push(token);   // resolved now; its Written event only ends its count
        return DONE;
      }
      return this.#awaitWrite(signal, token);
    } catch (e) {
      return failed(nativeError(e));
    }
  }

  /** The promise of QoS 1/2 publish `token`: settled by its PUBACK or
   *  PUBCOMP. (Apart from publish() so that publish() allocates nothing.) */
  #awaitAck(signal: AbortSignal | undefined, token: number): Promise<void> {
    return this.#track(signal, (p) => this.#wait(token, p), token) as Promise<void>;
  }

  /** The promise of QoS 0 publish `token`, made above the high-water mark:
   *  settled when it is written. The publishes without a signal made one
   *  after the other between two writes share one promise (#writeGroup),
   *  settled when the last of them is written; the others are accepted
   *  ones meanwhile (a failure of one is an 'error' event, as for a
   *  publish below the mark). A promise and its bookkeeping per publish
   *  were most of a busy publisher's garbage. */
  #awaitWrite(signal: AbortSignal | undefined, token: number): Promise<void> {
    const group = this.#writeGroup;
    if (group && !signal) {
      // the group's last publish becomes an accepted one, this one its last
      this.#pending!.delete(group.last);
      (this.#accepted ??= new TokenQueue()).push(group.last);
      this.#awaitingWrite!.replaceLast(token);
      group.last = token;
      this.#pending!.set(token, group.pending);
      return group.promise;
    }
    (this.#awaitingWrite ??= new TokenQueue()).push(token);
    let pending: Pending | undefined;
    const promise = this.#track(signal, (p) => { pending = { ...p, awaitsWrite: true }; this.#wait(token, pending); }, token) as Promise<void>;
    this.#writeGroup = signal ? undefined : { last: token, pending: pending!, promise };
    return promise;
  }

  /** Throws ERR_PACKET_TOO_LARGE for a packet of `size` bytes that the send
   *  buffer or the broker's 5.0 Maximum Packet Size cannot take
   *  ([MQTT-3.2.2-15]); `what` is the packet's kind (and payloadBytes a
   *  PUBLISH's payload size, for the message). */
  #checkSize(what: string, size: number, payloadBytes = 0): void {
    if (size <= this.#options.sendBufferSize && size <= this.#serverMaxPacket) return;   // every publish: no allocation
    const [limit, by] = size > this.#options.sendBufferSize ? [this.#options.sendBufferSize, 'options.sendBufferSize']
      : [this.#serverMaxPacket, "the broker's Maximum Packet Size"];
    const made = what === 'PUBLISH' ? `payload of ${payloadBytes} bytes makes a ${size}-byte PUBLISH` : `filters make a ${size}-byte ${what}`;
    throw new MqttError('ERR_PACKET_TOO_LARGE', `${made}, more than ${by} (${limit})`);
  }

  /** Subscribes to one filter, several, or a { filter: qos } map; resolves to
   *  the QoS the broker granted each. Rejects with ERR_SUBACK_REFUSED when the
   *  broker refused any filter (error.granted has every filter's result, the
   *  refused ones with their code >= 0x80); the others are subscribed. */
  subscribe(filters: string | string[] | Record<string, QoS | SubscriptionOptions>, opts: SubscribeOptions = {}): Promise<SubscriptionGrant[]> {
    try {
      checkArgumentCount('subscribe', arguments, 2);
      const o = readOptions('options', opts, SUBSCRIBE_OPTIONS);
      const signal = checkSignal('options.signal', o.signal);
      let list: string[], options: number[];
      if (typeof filters === 'string' || isList(filters)) {
        list = typeof filters === 'string' ? [filters] : readList('filters', filters) as string[];
        const byte = this.#subscriptionByte('options', o, SUBSCRIBE_OPTIONS);
        options = list.map(() => byte);
      } else if (isPlainObject(filters)) {
        const entries = readEntries('filters', filters);
        list = entries.map(([f]) => f);
        options = entries.map(([f, v]) => {
          const name = `filters['${f}']`;
          return typeof v === 'number' ? checkQos(name, v) : this.#subscriptionByte(name, v);
        });
      } else {
        throw argError('filters', 'must be a string, an array of strings or a { filter: qos | options } object');
      }
      if (list.length === 0) throw argError('filters', 'must name at least one filter');
      list.forEach((f, i) => checkFilter(`filters[${i}]`, f));
      const props = this.#properties('options.properties', o.properties, SENDABLE.subscribe);
      const size = requestSize(this.#options.protocolVersion, list, true, props);
      this.#checkSize('SUBSCRIBE', size);
      const n = this.#open('subscribe');
      if (signal && isAborted(signal)) throw aborted(signal);
      const token = this.#nextToken++;
      n.subscribe(list, options, token, props);
      const request: SubscribeRequest = { filters: list, options, props };
      return this.#track(signal, (p) => this.#wait(token, { ...p, request }), token) as Promise<SubscriptionGrant[]>;
    } catch (e) {
      return failed(e);
    }
  }

  /** Unsubscribes from one filter or several. */
  unsubscribe(filters: string | string[], opts: UnsubscribeOptions = {}): Promise<void> {
    try {
      checkArgumentCount('unsubscribe', arguments, 2);
      const o = readOptions('options', opts, UNSUBSCRIBE_OPTIONS);
      const signal = checkSignal('options.signal', o.signal);
      const list = typeof filters === 'string' ? [filters] : isList(filters) ? readList('filters', filters) as string[] : [];
      if (list.length === 0) throw argError('filters', 'must be a string or a non-empty array of strings');
      list.forEach((f, i) => checkFilter(`filters[${i}]`, f));
      const props = this.#properties('options.properties', o.properties, SENDABLE.unsubscribe);
      const size = requestSize(this.#options.protocolVersion, list, false, props);
      this.#checkSize('UNSUBSCRIBE', size);
      const n = this.#open('unsubscribe');
      if (signal && isAborted(signal)) throw aborted(signal);
      const token = this.#nextToken++;
      n.unsubscribe(list, token, props);
      return this.#track(signal, (p) => this.#wait(token, { ...p, filters: list }), token) as Promise<void>;
    } catch (e) {
      return failed(e);
    }
  }

  /** After a reconnect to a broker that did not keep the session: subscribes
   *  again to every filter granted and not unsubscribed, one SUBSCRIBE per
   *  subscribe() call's properties. A failure is an 'error' event, emitted
   *  as its event is handled (a blocking waitSync() sees it); a refusal is
   *  the only ERR_SUBACK_REFUSED that reaches 'error' (a subscribe() rejects
   *  its promise instead), which is how compat/umqtt.ts tells it. */
  #restoreSubscriptions(): void {
    for (const request of this.#subscriptions?.requests() ?? []) {
      const token = this.#nextToken++;
      this.#native!.subscribe(request.filters, request.options, token, request.props);
      this.#wait(token, { resolve: () => undefined, reject: (e) => this.#report(e as MqttError), request });
    }
  }

  /** Sends PINGREQ now (keepalive sends them by itself); resolves on the
   *  next PINGRESP, rejects with ERR_STATE when not connected. */
  ping(opts: OperationOptions = {}): Promise<void> {
    try {
      checkArgumentCount('ping', arguments, 1);
      const signal = operationSignal(opts);
      const n = this.#open('ping');
      if (signal && isAborted(signal)) throw aborted(signal);
      const token = this.#nextToken++;
      n.ping(token);
      return this.#track(signal, (p) => { this.#wait(token, p); (this.#pings ??= []).push(token); }, token) as Promise<void>;
    } catch (e) {
      return failed(e);
    }
  }

  /** A SUBSCRIBE options byte: QoS, and the 5.0 bits No Local, Retain As
   *  Published and Retain Handling (refused before 5.0). */
  #subscriptionByte(name: string, value: unknown, known: readonly string[] = SUBSCRIPTION_KEYS): number {
    if (value === null || typeof value !== 'object') throw argError(name, 'must be a QoS or an object of subscription options');
    const o = readOptions(name, value, SUBSCRIPTION_KEYS, known);
    const qos = checkQos(`${name}.qos`, o.qos ?? 0);
    const nl = checkBool(`${name}.nl`, o.nl ?? false);
    const rap = checkBool(`${name}.rap`, o.rap ?? false);
    const rh = checkInt(`${name}.rh`, o.rh ?? 0, 0, 2);
    if ((nl || rap || rh !== 0) && this.#options.protocolVersion !== 5)
      throw argError(name, 'nl, rap and rh need protocolVersion 5');
    return qos | (nl ? 4 : 0) | (rap ? 8 : 0) | (rh << 4);
  }

  /** Ends the client. Connected, it first lets every operation in progress
   *  finish (QoS 0 written, QoS 1/2 acknowledged, subscriptions answered),
   *  then sends DISCONNECT and closes; new operations are refused meanwhile.
   *  With force, or while not connected, it closes at once, and what is still
   *  pending rejects with ERR_CLOSED. A connection lost while finishing closes
   *  the client the same way. In 5.0 the DISCONNECT carries
   *  options.reasonCode (default 0; 0x04 asks the broker to publish the will)
   *  and options.properties (a new sessionExpiryInterval, which CONNECT must
   *  have set nonzero, a reasonString, userProperties). */
  end(opts: EndOptions = {}): Promise<void> {
    let force: boolean, disconnect: { reason: number; props: Buffer | undefined } | undefined;
    try {
      checkArgumentCount('end', arguments, 1);
      const o = readOptions('options', opts, END_OPTIONS);
      force = checkBool('options.force', o.force ?? false);
      disconnect = this.#disconnectFields(o.reasonCode, o.properties);
    } catch (e) {
      return failed(e);
    }
    if (!this.#ended) this.#disconnect = disconnect;   // a second end() cannot change the first's DISCONNECT
    if (this.#phase === 'closed' || this.#phase === 'idle') {
      this.#phase = 'closed';
      return DONE;
    }
    if (force && this.#ended) {
      this.#close();
      return this.#ended;
    }
    if (this.#ended) return this.#ended;
    this.#ended = this.#track(undefined, (p) => { this.#endOperation = p; }) as Promise<void>;
    if (force || this.#phase !== 'connected') {
      this.#close();
    } else {
      this.#phase = 'ending';
      this.#disconnectWhenIdle();
    }
    return this.#ended;
  }

  /** end()'s 5.0 DISCONNECT reason code and property block, checked
   *  (undefined: a plain DISCONNECT). */
  #disconnectFields(reasonCode: unknown, properties: unknown): { reason: number; props: Buffer | undefined } | undefined {
    if (reasonCode === undefined && properties === undefined) return undefined;
    const reason = checkInt('options.reasonCode', reasonCode ?? 0, 0, 255);
    const props = v5Properties(this.#options.protocolVersion, 'options.properties', properties, SENDABLE.disconnect);
    if (this.#options.protocolVersion !== 5) throw argError('options.reasonCode', 'needs protocolVersion 5');
    const err = native.checkDisconnect(reason, props);
    if (err !== 0) throw new MqttError(engineCode(err), `options.reasonCode or options.properties: not a valid DISCONNECT (${engineCode(err)})`);
    const expiry = props ? decodeProperties(props).sessionExpiryInterval as number | undefined : undefined;
    const asked = this.#options.properties ? decodeProperties(this.#options.properties).sessionExpiryInterval : undefined;
    if (expiry && !asked)
      throw argError('options.properties.sessionExpiryInterval', 'cannot be set when CONNECT asked for no session expiry (options.properties.sessionExpiryInterval)');
    return { reason, props };
  }

  /** While ending: DISCONNECT once no operation is pending. */
  #disconnectWhenIdle(): void {
    if (this.#phase !== 'ending' || (this.#pending?.size ?? 0) > 0 || (this.#accepted?.size ?? 0) > 0) return;
    this.#phase = 'disconnecting';
    if (this.#disconnect) this.#native!.disconnect(this.#disconnect.reason, undefined, this.#disconnect.props);
    else this.#native!.disconnect();
  }

  /** 5.0: starts a re-authentication (AUTH 0x19 with CONNECT's
   *  Authentication Method and `answer`'s data); the broker's challenges go
   *  to options.handleAuth. Resolves when the broker answers AUTH success;
   *  rejects with ERR_STATE when not connected or without an
   *  authenticationMethod, ERR_AUTH when the handler fails, or what ends
   *  the connection meanwhile. */
  reauthenticate(answer: AuthAnswer = {}): Promise<void> {
    try {
      if (!this.#authMethod) throw new MqttError('ERR_STATE', 'reauthenticate: CONNECT had no options.properties.authenticationMethod');
      const props = authBlock('answer', this.#authMethod, answer);
      if (this.#reauth) throw new MqttError('ERR_STATE', 'reauthenticate: already re-authenticating');
      if (this.#phase !== 'connected') throw new MqttError('ERR_STATE', 'reauthenticate: not connected');
      const token = this.#nextToken++;
      const done = this.#track(undefined, (pending) => {
        this.#reauth = { token, pending };
        this.#wait(token, pending);
      }, token);
      this.#native!.auth(AUTH_REAUTHENTICATE, token, props);
      return done as Promise<void>;
    } catch (e) {
      return failed(e);
    }
  }

  /** Closes the native client at once (its Closed event finishes the end). */
  #close(): void {
    if (this.#phase === 'closing' || this.#phase === 'closed') return;
    this.#phase = 'closing';
    this.#native!.close();
  }

  /** Lets the process exit while this client is open (it still works). */
  unref(): this {
    this.#native?.unref();
    return this;
  }

  /** Keeps the process alive while this client is open (the default). */
  ref(): this {
    this.#native?.ref();
    return this;
  }

  /** The messages this client receives from now on (those matching `filter`
   *  when given), as an async iterator; it ends when the client closes or its
   *  signal aborts. Subscribing is separate: call subscribe() as well. */
  messages(filter?: string, opts: MessagesOptions = {}): AsyncIterableIterator<MessagePacket> {
    checkArgumentCount('messages', arguments, 2);
    if (filter !== undefined) checkFilter('filter', filter);
    const o = readOptions('options', opts, ['highWaterMark', 'signal']);
    const limit = checkInt('options.highWaterMark', o.highWaterMark ?? 10000, 1, 2 ** 31 - 1);
    const signal = checkSignal('options.signal', o.signal);
    const queue: MessagePacket[] = [];
    let waiting: { resolve(r: IteratorResult<MessagePacket>): void; reject(e: Error): void } | undefined;
    let failure: Error | undefined;
    let done = false;
    const finish = (err?: Error) => {
      if (done) return;
      done = true;
      failure = err;
      this.off('message', onMessage);
      this.off('close', onClose);
      if (signal) offAbort(signal, abortIteration);
      if (waiting && (err === undefined || queue.length === 0)) {
        const w = waiting;
        waiting = undefined;
        if (err) w.reject(err);
        else w.resolve({ value: undefined, done: true });
      }
    };
    const onMessage = (topic: string, _payload: Buffer, packet: MessagePacket) => {
      if (filter !== undefined && !native.topicMatch(filter, topic)) return;
      if (waiting) {
        const w = waiting;
        waiting = undefined;
        w.resolve({ value: packet, done: false });
      } else if (queue.length >= limit) {
        finish(new MqttError('ERR_QUEUE_FULL', `messages(): the consumer fell more than ${limit} messages behind (options.highWaterMark)`));
      } else {
        queue.push(packet);
      }
    };
    const onClose = () => finish();
    const abortIteration = () => finish(signal ? aborted(signal) : undefined);
    this.on('message', onMessage);
    this.once('close', onClose);
    if (signal && isAborted(signal)) abortIteration();
    else if (signal) onAbort(signal, abortIteration);
    const iterator: AsyncIterableIterator<MessagePacket> = {
      next: () => {
        const value = queue.shift();
        if (value) return Promise.resolve({ value, done: false });
        if (done) return failure ? Promise.reject(failure) : Promise.resolve({ value: undefined, done: true });
        return new Promise((resolve, reject) => { waiting = { resolve, reject }; });
      },
      return: () => {
        finish();
        queue.length = 0;
        return Promise.resolve({ value: undefined, done: true });
      },
      [Symbol.asyncIterator]: () => iterator,
    };
    return iterator;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.end();
  }

  /** An operation's 5.0 property block (see v5Properties). */
  #properties(name: string, props: unknown, allowed: readonly string[]): Buffer | undefined {
    return v5Properties(this.#options.protocolVersion, name, props, allowed);
  }

  /** The native client, or an MqttError if the client cannot take operations:
   *  ERR_CLOSED once ended, ERR_NOT_CONNECTED before connect() and while
   *  disconnected with no automatic reconnect (nothing would ever send it).
   *  While connecting or waiting to reconnect operations queue. */
  #open(what: string): NativeClient {
    if (isEnded(this.#phase)) throw new MqttError('ERR_CLOSED', `${what}: the client was ended`);
    if (!this.#native)
      throw new MqttError('ERR_NOT_CONNECTED', `${what}: call connect() first (operations wait in the offline queue from connect() on, while connecting and reconnecting; before it nothing would send them)`);
    if (this.#state === STATE_DISCONNECTED && !this.#connecting)
      throw new MqttError('ERR_NOT_CONNECTED', `${what}: not connected and not reconnecting (options.reconnectPeriod is 0, or the broker refused the connection for good); call connect() again`);
    return this.#native;
  }

  /** A promise for an operation, settled by its events or its signal. */
  #track(signal: AbortSignal | undefined, register: (p: Pending) => void, token?: number): Promise<unknown> {
    const outcome: Outcome = { settled: false, failed: false };
    return observed(new Promise((resolve, reject) => {
      // the first settlement counts; it also lets go of the signal, so a
      // long-lived signal does not collect one listener per operation
      const settled = () => {
        if (outcome.settled) return false;
        outcome.settled = true;
        if (signal) offAbort(signal, onAborted);
        return true;
      };
      const pending: Pending = {
        resolve: (value) => { if (settled()) { outcome.value = value; resolve(value); } },
        reject: (error) => { if (settled()) { Object.assign(outcome, { failed: true, error }); reject(error); } },
      };
      const onAborted = () => {
        if (outcome.settled) return;
        if (token !== undefined) {
          this.#settle(token);
          if (this.#phase !== 'closing' && this.#phase !== 'closed') this.#native?.cancel(token);   // withdrawn if still offline
        }
        else if (this.#connecting === pending) this.#connecting = undefined;
        pending.reject(aborted(signal!));
      };
      register(pending);
      if (signal) onAbort(signal, onAborted);
    }), outcome);
  }

  /** Registers the operation `token` until its event (#settle). */
  #wait(token: number, p: Pending): void {
    (this.#pending ??= new Map()).set(token, p);
  }

  #settle(token: number): Pending | undefined {
    const p = this.#pending?.get(token);
    this.#pending?.delete(token);
    if (this.#writeGroup?.last === token) this.#writeGroup = undefined;
    if (p?.awaitsWrite) this.#awaitingWrite!.take(token);
    else if (!p) this.#accepted?.take(token);
    this.#disconnectWhenIdle();
    return p;
  }

  /** QoS 0 publishes are written up to token `upTo`: the accepted ones are
   *  done, the waiting ones resolve. */
  #written(upTo: number): void {
    this.#writeGroup = undefined;   // what comes next waits for a later write
    if ((this.#awaitingWrite?.size ?? 0) === 0) {
      this.#accepted?.takeUpTo(upTo);   // the usual case: one step for the lot
      this.#disconnectWhenIdle();
      return;
    }
    for (;;) {
      const a = this.#accepted?.first, w = this.#awaitingWrite!.first;
      const token = a === undefined ? w : w === undefined ? a : Math.min(a, w);
      if (token === undefined || token > upTo) break;
      this.#settle(token)?.resolve(undefined);
    }
  }

  /** An error with no promise left to reject: the 'error' event. */
  #report(err: MqttError): void {
    if (this.listenerCount('error') > 0) this.emit('error', err);
  }

  /** Routes a batch of engine events to the clients they belong to. */
  static #dispatch(events: Int32Array, bytes: Uint8Array, topics: string[], large?: Uint8Array[]): void {
    // a view, made in JS: cheap; none for a batch without data (a Written event)
    const data = bytes.byteLength === 0 ? NO_BYTES : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    let next = 0;   // the next of the large payloads
    for (let i = 0; i < events.length; i += EVENT_FIELDS) {
      let payload: Buffer | undefined;
      if (large && events[i + 1] === EventKind.Message && (events[i + 5] & MESSAGE_LARGE_PAYLOAD)) {
        const p = large[next++];
        payload = Buffer.from(p.buffer, p.byteOffset, p.byteLength);
      }
      const client = clients.get(events[i]);
      if (client) client.#event(events, i, data, topics, payload);
    }
  }

  /** One engine event for this client (from the batch dispatcher):
   *  handled now, or held with those before it while a hold is on. */
  #event(ev: Int32Array, i: number, data: Buffer, topics: string[], large?: Buffer): void {
    if (this.#held) this.#held.push([ev[i + 1], ev[i + 2], ev[i + 3], ev[i + 4], ev[i + 5], data, topics, large]);
    else this.#handle(ev[i + 1], ev[i + 2], ev[i + 3], ev[i + 4], ev[i + 5], data, topics, large);
  }

  /** After a CONNACK: holds what arrives next until the caller of connect()
   *  can have attached its listeners, that is until the next turn of the
   *  event loop (its continuation, a chain of microtasks, runs first) or
   *  the next blocking call (connectSync's caller goes on synchronously). */
  #hold(): void {
    if (this.#held) return;   // a CONNACK among held events: #release waits again
    this.#held = [];
    setImmediate(() => this.#release());
  }

  /** Handles the held events in order, up to and including a CONNACK among
   *  them (the rest then waits another turn for that connect()'s caller).
   *  A listener that blocks meanwhile (waitSync) goes on from here; one
   *  that throws leaves the rest for the next turn. */
  #release(): void {
    const held = this.#held;
    if (!held) return;
    let again = false;
    try {
      while (held.length > 0 && !again) {
        const event = held.shift()!;
        again = event[0] === EventKind.Connack;
        this.#handle(...event);
      }
    } finally {
      if (again || held.length > 0) setImmediate(() => this.#release());
      else if (this.#held === held) this.#held = undefined;
    }
  }

  /** One engine event for this client, to the handler of its kind (the
   *  fields a-d are EventKind's, lib/native.ts; `large`: a Message's
   *  payload when it is not in data). */
  #handle(kind: number, a: number, b: number, c: number, d: number, data: Buffer, topics: string[], large?: Buffer): void {
    this.#events++;
    switch (kind) {
      case EventKind.Connack: return this.#onConnack(a === 1, b, data.subarray(c, c + d));
      case EventKind.Message: return this.#onMessage(topics[a], data, b, c, d, large);
      case EventKind.Sent: return this.#onSent(a, b);
      case EventKind.Written: return this.#written(a);
      case EventKind.Suback: return this.#onSuback(a, data.subarray(b, b + c), data.subarray(b - d, b));
      case EventKind.Unsuback: return this.#onUnsuback(a);
      case EventKind.Pong: return this.#onPong();
      case EventKind.Disconnect: return this.#onDisconnect(a, b, data.subarray(c, c + d));
      case EventKind.Error: return this.#onError(a, b);
      case EventKind.State: return this.#onState(a, b, c, d);
      case EventKind.Closed: return this.#onClosed();
      case EventKind.Auth: return this.#onAuth(a, data.subarray(c, c + d));
      case EventKind.Failure: this.#failureDetail = data.toString('utf8', c, c + d); return;
      case EventKind.Packet: return this.#logLine(data.toString('utf8', c, c + d));
    }
  }

  /** CONNACK accepted: connect() resolves, the subscriptions are restored
   *  if the broker did not keep the session, and 'connect' is emitted with
   *  what arrives next held for its listeners. */
  #onConnack(sessionPresent: boolean, reasonCode: number, props: Buffer): void {
    if (this.#phase === 'offline') this.#phase = 'connected';   // not when end() came first
    this.#attempts = 0;
    const p = this.#connecting;
    this.#connecting = undefined;
    p?.resolve(undefined);
    const server = this.server!;
    const connack: ConnackPacket = { sessionPresent, server, reasonCode };
    if (props.length > 0) connack.properties = decodeProperties(props) as ServerProperties;
    this.#serverProperties = connack.properties;
    this.#serverMaxPacket = connack.properties?.maximumPacketSize ?? MAX_PACKET;
    // held subscriptions come from an earlier connection: this is a reconnection
    const resubscribed = (this.#subscriptions?.size ?? 0) > 0 && !sessionPresent && this.#resubscribe && this.#phase === 'connected';
    if (resubscribed) this.#restoreSubscriptions();
    const lost = this.#hadSession && !sessionPresent;
    this.#hadSession = !this.#options.clean;
    this.#hold();
    this.emit('connect', connack);
    if (lost) this.emit('sessionLost', { server, resubscribed });
  }

  /** A PUBLISH: the payload is `large`, or `length` bytes at `offset` in
   *  `data`; `flags` as EventKind.Message's d. The hot path: one packet
   *  object per message. */
  #onMessage(topic: string, data: Buffer, offset: number, length: number, flags: number, large?: Buffer): void {
    const payload = large ?? data.subarray(offset, offset + length);
    const packet: MessagePacket = {
      topic, payload, qos: (flags & 3) as QoS, retain: (flags & 4) !== 0, dup: (flags & 8) !== 0, messageId: flags >>> 16,
    };
    if (flags & MESSAGE_HAS_PROPS) {
      const propsLength = data.readUInt32LE(offset - 4);
      packet.properties = decodeProperties(data.subarray(offset - 4 - propsLength, offset - 4)) as PublishProperties;
    }
    this.emit('message', topic, payload, packet);
  }

  /** A publish is done: written (QoS 0), PUBACK (1) or PUBCOMP (2); a 5.0
   *  reason code from 0x80 is the broker's refusal. */
  #onSent(token: number, reasonCode: number): void {
    const p = this.#settle(token);
    if (reasonCode >= 0x80) p?.reject(new MqttError('ERR_REFUSED_BY_BROKER', `publish refused by the broker (reason 0x${reasonCode.toString(16)})`, reasonCode));
    else p?.resolve(undefined);
  }

  /** SUBACK: one code per filter, and the property block before them. */
  #onSuback(token: number, codes: Buffer, props: Buffer): void {
    const p = this.#settle(token);
    if (!p?.request) return;
    (this.#subscriptions ??= new Subscriptions()).answered(p.request, codes);
    settleSuback(p, p.request.filters, codes, reasonString(props));
  }

  /** UNSUBACK. */
  #onUnsuback(token: number): void {
    const p = this.#settle(token);
    if (p?.filters) this.#subscriptions?.unsubscribed(p.filters);
    p?.resolve(undefined);
  }

  /** PINGRESP: settles every ping() waiting. */
  #onPong(): void {
    const pings = this.#pings;
    this.#pings = undefined;
    for (const token of pings ?? []) this.#settle(token)?.resolve(undefined);
    this.emit('pong');
  }

  /** The connection ended or an attempt failed: `error` is the engine's (0
   *  after a requested disconnect), `reasonCode` the broker's, `props` the
   *  5.0 DISCONNECT's or CONNACK's properties. While ending the client
   *  closes; otherwise the engine reconnects or stops by itself. */
  #onDisconnect(error: number, reasonCode: number, props: Buffer): void {
    const wasConnected = isConnected(this.#phase);
    this.#connections++;
    if (this.#phase === 'connected') this.#phase = 'offline';
    else if (wasConnected) this.#close();   // ending: lost before it finished
    // a failed attempt the engine follows with the next server of the list:
    // connect() waits for the round's outcome
    const p = this.#failingOver ? undefined : this.#connecting;
    if (p) this.#connecting = undefined;
    const authFailure = this.#authFailure;
    this.#authFailure = undefined;
    if (error === 0 && authFailure) {
      if (p) p.reject(authFailure);
      else this.#report(authFailure);
    }
    if (this.#reauth) {   // lost before the broker answered
      this.#settle(this.#reauth.token)?.reject(engineError(error || ERR_CLOSED_CODE, 'reauthenticate: the connection ended'));
      this.#reauth = undefined;
    }
    const detail = this.#failureDetail;
    this.#failureDetail = '';
    if (error !== 0) {
      const refusal = upgradeRefusal(error, reasonCode);
      const server = this.server ?? this.#options;
      const err = withStoreDetail(refusal ? engineError(error, refusal) : connectionError({
        host: server.host, port: server.port, error, reasonCode, version: this.#options.protocolVersion,
        wasConnected, state: this.#stateBefore, connectTimeout: this.#options.connectTimeout, detail,
        reasonString: reasonString(props),
      }), this.#store);
      if (this.#log) this.#logLine(err.message);
      // the engine set its state first: waiting to reconnect, or stopped
      if (p && this.#retryFirstConnect && this.#state === STATE_WAITING_RECONNECT) {
        this.#connecting = p;
        this.#report(err);
      }
      else if (p) p.reject(err);
      else this.#report(err);
    }
    if (wasConnected) this.emit('offline');
  }

  /** 5.0: an AUTH from the broker. A challenge (0x18) goes to
   *  options.handleAuth, whose answer is sent back; a handler that fails
   *  ends the connection (the attempt or reauthenticate() rejects with
   *  ERR_AUTH). Success (0x00) ends a re-authentication. */
  #onAuth(reasonCode: number, props: Buffer): void {
    const packet = authPacket(reasonCode, props);
    if (reasonCode === AUTH_SUCCESS) {
      const reauth = this.#reauth;
      this.#reauth = undefined;
      if (reauth) this.#settle(reauth.token)?.resolve(undefined);
      return;
    }
    const native = this.#native!, connection = this.#connections;
    const answered = this.#handleAuth
      ? answerChallenge(this.#handleAuth, this.#authMethod!, packet)
      : Promise.reject(new MqttError('ERR_AUTH', 'the broker sent an AUTH challenge and options.handleAuth is not set'));
    answered.then((block) => {
      // only on the connection that asked (a late answer must not reach the next one)
      if (this.#connections === connection && this.#phase !== 'closing' && this.#phase !== 'closed') native.auth(AUTH_CONTINUE, undefined, block);
    }, (err: MqttError) => { if (this.#connections === connection) this.#giveUpAuth(err); });
  }

  /** Ends the connection whose authentication the client could not go on
   *  with; err is what the attempt (or reauthenticate()) rejects with. */
  #giveUpAuth(err: MqttError): void {
    if (this.#phase === 'closing' || this.#phase === 'closed') return;
    const reauth = this.#reauth;
    this.#reauth = undefined;
    if (reauth) this.#settle(reauth.token)?.reject(err);
    else this.#authFailure = err;
    const stop = reconnectPolicy('policy', { reconnectPeriod: 0 }, this.#options);   // the same exchange would fail again
    this.#options = { ...this.#options, ...stop };
    this.#native!.setReconnect(stop);
    this.#native!.disconnect();
  }

  /** An operation failed (`token`), or the connection had an error (token 0). */
  #onError(error: number, token: number): void {
    const accepted = this.#accepted?.has(token) ?? false;
    const p = token ? this.#settle(token) : undefined;
    if (accepted && error === ERR_CLOSED_CODE) this.#closedUnwritten++;   // reported once, on Closed
    else if (accepted) this.#report(engineError(error, 'an accepted QoS 0 publish failed'));
    else if (p) p.reject(engineError(error, 'operation failed'));
    else this.#report(engineError(error, 'protocol'));
  }

  /** The engine's connection state changed; `delay` is the wait before the
   *  next attempt when it is waiting to reconnect, `server` the index of the
   *  server in use or tried, `failingOver` 1 when the wait is for the next
   *  server of a round. */
  #onState(state: number, delay: number, server: number, failingOver: number): void {
    this.#serverIndex = server;
    this.#failingOver = failingOver === 1;
    if (state === STATE_WAITING_RECONNECT) this.#reconnectDelay = delay;
    if (state === STATE_TCP_CONNECTING && this.#state === STATE_WAITING_RECONNECT)
      this.emit('reconnect', { attempt: ++this.#attempts, delay: this.#reconnectDelay });
    if (this.#log) this.#logState(state, delay);
    this.#stateBefore = this.#state;
    this.#state = state;
  }

  /** A line of the debug log, with the broker's address. */
  #logLine(text: string): void {
    this.#log?.(`${this.#options.host}:${this.#options.port} ${text}`);
  }

  /** Logs a state change: connecting, a reconnect's wait, disconnected. */
  #logState(state: number, delay: number): void {
    if (state === STATE_WAITING_RECONNECT) this.#logLine(`reconnecting in ${delay} ms (attempt ${this.#attempts + 1})`);
    else if (state === STATE_TCP_CONNECTING) this.#logLine(this.#attempts ? `reconnect attempt ${this.#attempts}` : 'connecting');
    else if (state === STATE_DISCONNECTED) this.#logLine('disconnected');
  }

  /** The native client is closed: everything pending rejects with
   *  ERR_CLOSED, end() resolves, 'close' and 'end' are emitted. */
  #onClosed(): void {
    clients.delete(this.#native!.id);
    this.#phase = 'closed';
    const closed = new MqttError('ERR_CLOSED', 'the client was closed');
    const unwritten = this.#closedUnwritten + (this.#accepted?.size ?? 0);
    const pending = this.#pending;
    this.#pending = undefined;
    for (const p of pending?.values() ?? []) p.reject(closed);
    this.#accepted?.clear();
    this.#awaitingWrite?.clear();
    this.#writeGroup = undefined;
    if (unwritten > 0)
      this.#report(new MqttError('ERR_CLOSED', `the client was closed before ${unwritten} accepted QoS 0 publishes were written`));
    this.#connecting?.reject(closed);
    this.#connecting = undefined;
    this.#endOperation?.resolve(undefined);
    this.#endOperation = undefined;
    this.emit('close');
    this.emit('end');
  }
}

/** The 5.0 Reason String of a property block, if it has one. */
function reasonString(block: Buffer): string | undefined {
  return block.length > 0 ? (decodeProperties(block).reasonString as string | undefined) : undefined;
}

/** Resolves a subscribe with what the broker granted each filter, or rejects
 *  it with ERR_SUBACK_REFUSED (the error's `granted` lists every filter's
 *  result) when the broker refused any of them. */
function settleSuback(p: Pending, filters: string[], codes: Uint8Array, why: string | undefined): void {
  const granted = filters.map((topic, k) => ({ topic, qos: codes[k] }));
  const refused = granted.filter((g) => g.qos >= 0x80);
  if (refused.length === 0) {
    p.resolve(granted);
    return;
  }
  const list = refused.map((g) => `${g.topic} (0x${g.qos.toString(16)})`).join(', ');
  const err = new MqttError('ERR_SUBACK_REFUSED', `subscribe: the broker refused ${list}${why ? ` (${why})` : ''}`, refused[0].qos);
  err.granted = granted;
  p.reject(err);
}

/** The protocol of each URL scheme. */
const URL_PROTOCOLS: Record<string, MqttClientOptions['protocol']> = { 'mqtt:': 'mqtt', 'mqtts:': 'mqtts', 'ws:': 'ws', 'wss:': 'wss' };

/** The options an mqtt://, mqtts://, ws:// or wss:// URL gives (protocol,
 *  host, port, user name, password; for ws and wss the request path with
 *  its query, '/mqtt' when the URL has none but '/') and, for mqtt and
 *  mqtts, its path without the leading '/' (decoded; '' when none). Errors
 *  are MqttErrors naming the argument `name`. */
export function urlOptions(url: string, name: string): { options: MqttClientOptions; path: string } {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw argError(name, `is not a URL: ${url}`);
  }
  const protocol = URL_PROTOCOLS[u.protocol];
  if (!protocol) throw argError(name, `must start with mqtt://, mqtts://, ws:// or wss://, not ${u.protocol}//`);
  const options: MqttClientOptions = { protocol, host: u.hostname.replace(/^\[|\]$/g, '') };
  if (u.port) options.port = Number(u.port);
  if (u.username) options.username = decodeURIComponent(u.username);
  if (u.password) options.password = decodeURIComponent(u.password);
  if (protocol === 'ws' || protocol === 'wss') {
    if (u.pathname !== '/' || u.search) options.path = u.pathname + u.search;
    return { options, path: '' };
  }
  return { options, path: decodeURIComponent(u.pathname.slice(1)) };
}

/** The options of an mqtt://, mqtts://, ws:// or wss:// URL (protocol,
 *  host, port, user name, password, and for ws/wss the path), for
 *  `new MqttClient({ ...parseUrl(url), clientId })`. Anything else is an
 *  MqttError (ERR_INVALID_ARG) naming the argument `url`. */
export function parseUrl(url: string): MqttClientOptions {
  if (typeof url !== 'string') throw argError('url', `must be a string, not ${describe(url)}`);
  return urlOptions(url, 'url').options;
}

/** Connects to `url` ('mqtt://host:1883', 'mqtts://user:pass@host'), to a
 *  list of URLs (a cluster's nodes, tried in order as options.servers: mqtt:// and
 *  mqtts://, the credentials of the first) or with options, and resolves to
 *  a connected client. When the first attempt fails the client is closed
 *  (it does not go on reconnecting) and the promise rejects with the
 *  attempt's error; with options.retryFirstConnect it goes on trying, and
 *  rejects only when the client stops trying. */
export async function connect(url: string | string[] | MqttClientOptions, options: MqttClientOptions = {}): Promise<MqttClient> {
  checkArgumentCount('connect', arguments, typeof url === 'string' || isList(url) ? 2 : 1);
  const opts = typeof url === 'string' ? { ...clientOptions(options), ...urlOptions(url, 'url').options }
    : isList(url) ? { ...clientOptions(options), ...urlListOptions('url', readList('url', url).map((u, i) => urlOptions(checkString(`url[${i}]`, u), `url[${i}]`).options)) }
    : url;
  const client = new MqttClient(opts);
  try {
    await client.connect();
  } catch (e) {
    await client.end({ force: true });
    throw e;
  }
  return client;
}
