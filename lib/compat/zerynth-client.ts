// Zerynth's mqtt.Client over the core client: a blocking connect() and
// reconnect(), non-blocking operations, and the packet callbacks of on() run
// on the Node event loop once loop() has started.
import { MqttClient, MqttError, type MqttClientOptions, type QoS, type SubscriptionGrant } from '../index.js';
import { checkBool, checkFilter, checkInt, checkQos, checkString, checkTopic, isList, readKnownOptions, toBuffer } from '../validate.js';
import { retainFlag, trailing } from './luatos-zerynth-args.js';
import { runCallback, warn } from './luatos-zerynth-callback.js';
import { MessageIds } from './luatos-zerynth-ids.js';
import {
  CallbackTable, PINGRESP, PUBACK, PUBCOMP, PUBLISH, PUBREC, PUBREL, SUBACK, UNSUBACK,
  type ZerynthCondition, type ZerynthData,
} from './zerynth-callbacks.js';
import { MQTTMessage } from './zerynth-message.js';

/** `function(client, data)`: a callback set with on(), or loop()'s on_message. */
export type ZerynthCallback = (client: Client, data: ZerynthData) => void;

/** breconnect_cb / aconnect_cb: called with the client. */
export type ZerynthConnectionCallback = (client: Client) => void;

/** connect()'s ssl_ctx. Zerynth takes a context of its SSL module; here the
 *  core client's TLS options (PEM text or Buffers). */
export type ZerynthSslContext = Pick<MqttClientOptions, 'ca' | 'cert' | 'key' | 'passphrase' | 'rejectUnauthorized' | 'servername' | 'ALPNProtocols'>;
const SSL_CONTEXT_FIELDS = ['ca', 'cert', 'key', 'passphrase', 'rejectUnauthorized', 'servername', 'ALPNProtocols'];

/** A payload: text, bytes, or None (an empty message). */
export type ZerynthPayload = string | Buffer | Uint8Array | null;

/** connect()'s optional parameters, by their documented names. */
export interface ZerynthConnectOptions {
  port?: number;
  ssl_ctx?: ZerynthSslContext | null;
  breconnect_cb?: ZerynthConnectionCallback | null;
  aconnect_cb?: ZerynthConnectionCallback | null;
  sock_keepalive?: [count: number, idle: number, interval: number] | null;
}

/** The ceiling of the first automatic reconnection delay, ms. Zerynth's loop
 *  thread retries at once, 25 times, then gives up; here the core client
 *  retries until it is connected or disconnect() is called, each delay drawn
 *  at random below a ceiling that starts here and doubles up to 30 s. */
const RECONNECT_PERIOD_MS = 1000;

/** Where connect() connected, for reconnect() after disconnect(). */
interface Connection {
  options: MqttClientOptions;
  breconnect?: ZerynthConnectionCallback;
  aconnect?: ZerynthConnectionCallback;
}

/** An optional callback argument. */
function optionalFunction<F>(name: string, value: unknown): F | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'function') throw new MqttError('ERR_INVALID_ARG', `${name} must be a function, not ${typeof value}`);
  return value as F;
}

/** The core client's TLS options for an ssl_ctx, or none. */
function tlsOptions(ssl: unknown): MqttClientOptions {
  if (ssl === undefined || ssl === null) return {};
  return { protocol: 'mqtts', ...readKnownOptions('ssl_ctx', ssl, SSL_CONTEXT_FIELDS) };
}

/** Checks sock_keepalive: none, or [count, idle, interval]. */
function checkSockKeepalive(value: unknown): void {
  if (value === undefined || value === null) return;
  if (!isList(value) || value.length !== 3) throw new MqttError('ERR_INVALID_ARG', 'sock_keepalive must be [count, idle, interval]');
  value.forEach((v, i) => checkInt(`sock_keepalive[${i}]`, v, 0, 2 ** 31 - 1));
}

/** Zerynth's `mqtt.Client`: "After connecting to a broker it is suggested to
 *  subscribe to some channels and configure callbacks. Then, a non-blocking
 *  loop function, starts a separate thread to handle incoming packets."
 *  MQTT 3.1.1. connect() and reconnect() block the calling JS thread only;
 *  the other calls return at once. */
export class Client {
  readonly #clientId: string;
  readonly #clean: boolean;
  #will: MqttClientOptions['will'];
  #username: string | undefined;
  #password: string | undefined;
  #connection: Connection | undefined;
  #core: MqttClient | undefined;
  /** the last failure of an automatic reconnection attempt */
  #lastError: MqttError | undefined;
  readonly #callbacks = new CallbackTable<ZerynthCallback>();
  readonly #ids = new MessageIds();
  /** packets waiting for loop(), or for the next turn of the event loop */
  #queue: Array<[command: number, data: ZerynthData]> = [];
  #looping = false;
  #drainScheduled = false;

  /** `Client(client_id, clean_session=True)`. "*clean_session* ... If True,
   *  the broker will remove all information about this client when it
   *  disconnects. If False, the client is a persistent client". Either way,
   *  "a client will never discard its own outgoing messages if accidentally
   *  disconnected": unacknowledged QoS 1 and 2 messages are sent again after
   *  a reconnection, once each (Zerynth resends its first unacknowledged
   *  message at every reconnection, forever). */
  constructor(client_id: string, ...rest: [clean_session?: boolean] | [options: { clean_session?: boolean }]) {
    const { clean_session = true } = trailing('Client', rest, ['clean_session']);
    this.#clientId = checkString('client_id', client_id);
    this.#clean = checkBool('clean_session', clean_session);
  }

  /** `on(command, function, condition=None, priority=0)`: "Set a callback in
   *  response to an MQTT received command." With a condition, the callback
   *  runs when its condition holds and no higher priority callback's does
   *  (the first set wins among equals); without one, it is the command's
   *  "low priority" callback, "called only if all the more specific
   *  callbacks (the ones with condition) get a False condition response"
   *  (one per command: a later one replaces it). Callbacks run on the Node
   *  event loop, after loop(); what a condition or a callback throws ends
   *  that packet's dispatch and becomes a process warning. Zerynth ignores
   *  priorities of -100 and below; here any number works. PINGREQ callbacks
   *  never run (brokers do not send PINGREQ), nor do CONNECT, CONNACK and the
   *  client-to-server commands. */
  on(command: number, fn: ZerynthCallback, condition?: ZerynthCondition | null, priority = 0): void {
    this.#callbacks.add(command, fn, condition, priority);
  }

  /** `set_will(topic, payload, qos, retain)`: "Set client will." Used by
   *  the next connect(). */
  set_will(topic: string, payload: ZerynthPayload, qos: QoS, retain: boolean): void {
    this.#will = { topic: checkTopic('topic', topic), payload: toBuffer('payload', payload ?? ''), qos: checkQos('qos', qos), retain: retainFlag('retain', retain) };
  }

  /** `set_username_pw(username, password = None)`: "Set connection username
   *  and password." Used by the next connect(); automatic reconnection
   *  keeps those the connection was made with. */
  set_username_pw(username: string, password: string | null = null): void {
    this.#username = checkString('username', username);
    this.#password = password === null ? undefined : checkString('password', password);
  }

  /** `connect(host, keepalive, port=1883, ssl_ctx=None, breconnect_cb=None,
   *  aconnect_cb=None, sock_keepalive=None)`: "Connects to a remote broker."
   *  Blocks until connected, or throws the MqttError of the failure
   *  (ERR_REFUSED, ERR_CONNACK_BAD_AUTH, ERR_TLS_VERIFY, ...), as Zerynth
   *  raises. The wait is bounded by `keepalive` seconds (Zerynth's socket
   *  timeout), 30 s with keepalive 0: ERR_CONNECT_TIMEOUT.
   *  - ssl_ctx: TLS options (ZerynthSslContext) instead of a Zerynth SSL
   *    context; the port stays 1883 unless given.
   *  - breconnect_cb(client): "actions to be performed before the client
   *    tries to reconnect when connection is lost": runs as each automatic
   *    reconnection attempt starts (the core client reconnects every second
   *    once connected; what it does cannot change that attempt's settings).
   *  - aconnect_cb(client): "actions to be performed after the client
   *    successfully connects": after this connect and every reconnection.
   *  - sock_keepalive [count, idle, interval]: checked and not applied (the
   *    core client has no TCP keepalive option; MQTT keepalive detects a
   *    dead link).
   *  Throws ERR_STATE when already connected. */
  connect(host: string, keepalive: number, ...rest: [port?: number, ssl_ctx?: ZerynthSslContext | null,
    breconnect_cb?: ZerynthConnectionCallback | null, aconnect_cb?: ZerynthConnectionCallback | null,
    sock_keepalive?: [number, number, number] | null] | [options: ZerynthConnectOptions]): void {
    const o = trailing('connect', rest, ['port', 'ssl_ctx', 'breconnect_cb', 'aconnect_cb', 'sock_keepalive']);
    checkSockKeepalive(o.sock_keepalive);
    const seconds = checkInt('keepalive', keepalive, 0, 65535);
    const connection: Connection = {
      options: {
        ...tlsOptions(o.ssl_ctx),
        host: checkString('host', host),
        port: checkInt('port', o.port ?? 1883, 1, 65535),
        keepalive: seconds,
        connectTimeout: seconds > 0 ? seconds * 1000 : 30000,
      },
      breconnect: optionalFunction<ZerynthConnectionCallback>('breconnect_cb', o.breconnect_cb),
      aconnect: optionalFunction<ZerynthConnectionCallback>('aconnect_cb', o.aconnect_cb),
    };
    if (this.#core?.connected) throw new MqttError('ERR_STATE', 'connect: already connected; call disconnect() first');
    this.#connection = connection;
    this.#open(connection);
  }

  /** `reconnect()`: "Reconnects the client if accidentally disconnected",
   *  blocking until connected; unacknowledged QoS 1 and 2 messages are sent
   *  again, once each. While the automatic reconnection is under way it
   *  waits for it (at most a connect timeout and a second, then throws the
   *  last attempt's error); after disconnect() it connects again as connect()
   *  did. Connected, it returns at once (Zerynth drops and reopens the
   *  connection). Throws ERR_NOT_CONNECTED before connect(). */
  reconnect(): void {
    const connection = this.#connection;
    if (!connection) throw new MqttError('ERR_NOT_CONNECTED', 'reconnect: call connect() first');
    const core = this.#core;
    if (core?.connected) return;
    if (!core) {
      if (connection.breconnect) runCallback('breconnect_cb', connection.breconnect, this);
      this.#open(connection);
      return;
    }
    const limit = (connection.options.connectTimeout ?? 30000) + RECONNECT_PERIOD_MS + 1000;
    if (!core.waitSync(limit, () => core.connected))
      throw this.#lastError ?? new MqttError('ERR_CONNECT_TIMEOUT', `reconnect: not reconnected within ${limit} ms`);
  }

  /** `subscribe(topics)`: topics "a list structured this way:
   *  [[topic1,qos1],[topic2,qos2],...]". Returns at once; a SUBACK callback
   *  follows (data.mid, data.granted_qos). Throws ERR_NOT_CONNECTED when not
   *  connected (Zerynth raises MQTTConnectionError). */
  subscribe(topics: Array<[topic: string, qos: QoS]>): void {
    if (!isList(topics) || topics.length === 0) throw new MqttError('ERR_INVALID_ARG', 'topics must be a non-empty list of [topic, qos]');
    const filters: Record<string, QoS> = {};
    topics.forEach((t, i) => {
      if (!isList(t) || t.length !== 2) throw new MqttError('ERR_INVALID_ARG', `topics[${i}] must be [topic, qos]`);
      filters[checkFilter(`topics[${i}][0]`, t[0])] = checkQos(`topics[${i}][1]`, t[1]);
    });
    const core = this.#operable('subscribe');
    const mid = this.#ids.next();
    const suback = (granted: SubscriptionGrant[]) => this.#dispatch(SUBACK, { mid, granted_qos: granted[0].qos, return_code: 0 });
    core.subscribe(filters).then(suback, (e: MqttError) => (e.granted ? suback(e.granted) : warn('subscribe failed', e)));
  }

  /** `unsubscribe(topics)`: "topics is list of strings that are subscribed
   *  topics to unsubscribe from." Returns at once; an UNSUBACK callback
   *  follows (data.mid). Throws ERR_NOT_CONNECTED when not connected. */
  unsubscribe(topics: string[]): void {
    if (!isList(topics) || topics.length === 0) throw new MqttError('ERR_INVALID_ARG', 'topics must be a non-empty list of strings');
    topics.forEach((t, i) => checkFilter(`topics[${i}]`, t));
    const core = this.#operable('unsubscribe');
    const mid = this.#ids.next();
    core.unsubscribe(topics).then(() => this.#dispatch(UNSUBACK, { mid, return_code: 0 }), (e: unknown) => warn('unsubscribe failed', e));
  }

  /** `publish(topic, payload=None, qos=0, retain=False)`: "Publishes a
   *  message on a topic." None is an empty message. "It returns the mid
   *  generated for the message to give the possibility to set a callback
   *  precisely for that message": the PUBACK (QoS 1), PUBREC and PUBCOMP
   *  (QoS 2) callbacks get it as data.mid. Returns at once; while the
   *  connection is being restored the message waits for it (Zerynth blocks).
   *  Throws ERR_NOT_CONNECTED when not connected; a message that fails later
   *  becomes a process warning. */
  publish(topic: string, payload: ZerynthPayload = null, ...rest: [qos?: QoS, retain?: boolean]
    | [options: { qos?: QoS; retain?: boolean }]): number {
    const o = trailing('publish', rest, ['qos', 'retain']);
    checkTopic('topic', topic);
    const body = toBuffer('payload', payload ?? '');
    const qos = checkQos('qos', o.qos ?? 0);
    const retain = retainFlag('retain', o.retain ?? false);
    const core = this.#operable('publish');
    const mid = this.#ids.next();
    core.publish(topic, body, { qos, retain }).then(() => {
      if (qos === 1) this.#dispatch(PUBACK, { mid, return_code: 0 });
      if (qos === 2) {
        this.#dispatch(PUBREC, { mid, return_code: 0 });
        this.#dispatch(PUBCOMP, { mid, return_code: 0 });
      }
    }, (e: unknown) => warn(`publish of mid ${mid} failed`, e));
    return mid;
  }

  /** `disconnect()`: "Sends a disconnect message": operations in flight
   *  finish, then DISCONNECT; no automatic reconnection follows. Returns at
   *  once. Throws ERR_NOT_CONNECTED when not connected. */
  disconnect(): void {
    const core = this.#operable('disconnect');
    this.#core = undefined;
    void core.end();
  }

  /** `loop(on_message = None)`: "Non blocking loop method that starts a
   *  thread to handle incoming packets." Here the engine handles packets all
   *  along; loop() starts running the callbacks, first those of packets that
   *  came before it. on_message: "a generic callback on messages with qos
   *  equal to 0, 1 or 2", set as Zerynth does: the generic PUBREL callback,
   *  and a PUBLISH callback with priority -1 for messages that have data.message. */
  loop(on_message?: ZerynthCallback | null): void {
    const fn = optionalFunction<ZerynthCallback>('on_message', on_message);
    if (fn) {
      this.on(PUBREL, fn);
      this.on(PUBLISH, fn, (data) => 'message' in data, -1);
    }
    this.#looping = true;
    this.#scheduleDrain();
  }

  /** The core client if it can take an operation: connected, or restoring
   *  the connection (it queues the operation meanwhile). */
  #operable(what: string): MqttClient {
    const core = this.#core;
    if (!core || (!core.connected && (core.state === 'closed' || core.state === 'disconnected')))
      throw new MqttError('ERR_NOT_CONNECTED', `${what}: not connected; call connect() first`);
    return core;
  }

  /** Connects a new core client for `connection`, blocking; gives up the
   *  previous one (a failed or disconnected connection). */
  #open(connection: Connection): void {
    void this.#core?.end({ force: true });
    const core = new MqttClient({
      ...connection.options,
      clientId: this.#clientId,
      clean: this.#clean,
      protocolVersion: 4,
      reconnectPeriod: RECONNECT_PERIOD_MS,
      driver: 'thread',   // as every embedded API (common-umqtt-pika-connection.ts)
      ...(this.#username !== undefined ? { username: this.#username } : {}),
      ...(this.#password !== undefined ? { password: this.#password } : {}),
      ...(this.#will ? { will: this.#will } : {}),
    });
    this.#core = core;
    this.#lastError = undefined;
    core.on('connect', () => {
      if (connection.aconnect) runCallback('aconnect_cb', connection.aconnect, this);
    });
    core.on('reconnect', () => {
      if (connection.breconnect) runCallback('breconnect_cb', connection.breconnect, this);
    });
    core.on('error', (e) => { this.#lastError = e; });
    core.on('message', (topic, payload, packet) => {
      const message = MQTTMessage.of(topic, payload, packet);
      if (packet.qos < 2) {
        this.#dispatch(PUBLISH, { message, return_code: 0 });
      } else {
        this.#dispatch(PUBLISH, { return_code: 0 });
        this.#dispatch(PUBREL, { message, return_code: 0 });
      }
    });
    core.on('pong', () => this.#dispatch(PINGRESP, { return_code: 0 }));
    try {
      core.connectSync();
    } catch (e) {
      this.#core = undefined;
      void core.end({ force: true });
      throw e;
    }
  }

  /** Queues a packet's callback; they run on the event loop once loop() has
   *  started. */
  #dispatch(command: number, data: ZerynthData): void {
    this.#queue.push([command, data]);
    this.#scheduleDrain();
  }

  #scheduleDrain(): void {
    if (!this.#looping || this.#drainScheduled || this.#queue.length === 0) return;
    this.#drainScheduled = true;
    setImmediate(() => {
      this.#drainScheduled = false;
      for (const [command, data] of this.#queue.splice(0)) {
        runCallback(`the callback of command 0x${command.toString(16)}`, () => this.#callbacks.select(command, data)?.(this, data));
      }
    });
  }
}
