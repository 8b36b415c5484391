/**
 * umqtt's MQTTClient: MicroPython's and Makeblock's umqtt.simple and
 * QuecPython's umqtt as one class over the core client, synchronous as on
 * the device (see docs/compat/umqtt.md).
 *
 * @module tinymqtt/umqtt
 */
import { MqttClient, MqttError, type MqttClientOptions, type QoS } from '../index.js';
import { pyArgs, pyBool, pyText, type PyArgs } from './common-umqtt-pika-args.js';
import { BlockingConnection, DEFAULT_TIMEOUT_MS, Inbox, onNextTurn } from './common-umqtt-pika-connection.js';
import { asBytes, type Bytes } from './umqtt-bytes.js';
import { umqttError } from './umqtt-errors.js';
import { describe, isPlainObject, readEntries } from '../validate.js';

export { MQTTException, OSError } from './umqtt-errors.js';
export type { Bytes } from './umqtt-bytes.js';

/** Python's str or bytes. */
export type Text = string | Buffer | Uint8Array;
/** Python's bool, or the 0/1 Python code passes for it. */
export type Bool = boolean | 0 | 1;
/** What publish() and set_last_will() send. */
export type Payload = string | Buffer;

/** `ssl_params`: the keyword arguments of MicroPython's `ssl.wrap_socket`
 *  (and CPython's names for them), as PEM text, not file names. */
export interface SslParams {
  /** trusted CA certificates (MicroPython `cadata`, CPython `ca_certs`);
   *  the system's by default */
  cadata?: string | Buffer;
  ca_certs?: string | Buffer;
  /** client certificate and key, for brokers that require one */
  cert?: string | Buffer;
  certfile?: string | Buffer;
  key?: string | Buffer;
  keyfile?: string | Buffer;
  /** the name to verify the certificate against (default: `server`) */
  server_hostname?: string;
  /** ssl.CERT_NONE 0 and CERT_OPTIONAL 1: do not verify the broker;
   *  CERT_REQUIRED 2: verify (our default; MicroPython's is CERT_NONE) */
  cert_reqs?: 0 | 1 | 2;
}

/** The constructor's optional parameters by name (all but client_id and
 *  server), and tinymqtt's two additions. */
export interface MQTTClientOptions {
  port?: number;
  user?: Text | null;
  password?: Text | null;
  keepalive?: number;
  ssl?: Bool;
  ssl_params?: SslParams;
  reconn?: Bool;
  version?: 3 | 4;
  /** tinymqtt: ms between automatic reconnect attempts with reconn (default
   *  5000, a fixed delay; backoff comes with a later release) */
  reconnect_period?: number;
  /** tinymqtt: the most a blocking call waits, in ms (default 10000): the
   *  connect (TCP, TLS and CONNACK), a QoS 1/2 publish's acknowledgement, a
   *  SUBACK, a graceful disconnect */
  timeout?: number;
}

type Positional = [port: number, user: Text | null, password: Text | null, keepalive: number, ssl: Bool,
  ssl_params: SslParams, reconn: Bool, version: 3 | 4];

/** The callback of set_callback(): the topic and the payload, as bytes. */
export type MessageCallback = (topic: Bytes, msg: Bytes) => void;
/** The callback of error_register_cb(): the error's text (what QuecPython
 *  passes) and the error itself. */
export type ErrorCallback = (error: string, exception: MqttError) => void;

/** Resolved constructor parameters. */
interface Settings {
  clientId: string | undefined;
  host: string;
  port: number;
  username: string | undefined;
  password: Payload | undefined;
  keepalive: number;
  tls: Partial<MqttClientOptions> | undefined;
  reconn: boolean;
  version: 3 | 4;
  reconnectPeriod: number;
  timeout: number;
}

/** How long wait_msg() sleeps per wait of the core client; it waits again
 *  until something arrives. */
const WAIT_SLICE_MS = 60_000;

/** The core client's TLS options for `ssl_params`. */
function tlsOptions(params: unknown): Partial<MqttClientOptions> {
  if (!isPlainObject(params)) throw new MqttError('ERR_INVALID_ARG', `ssl_params must be a dict (object), not ${describe(params)}`);
  const out: Partial<MqttClientOptions> = { protocol: 'mqtts' };
  for (const [key, value] of readEntries('ssl_params', params)) {
    if (value === undefined || value === null) continue;
    // their types are the core client's to check
    if (key === 'cadata' || key === 'ca_certs') out.ca = value as string;
    else if (key === 'cert' || key === 'certfile') out.cert = value as string;
    else if (key === 'key' || key === 'keyfile') out.key = value as string;
    else if (key === 'server_hostname') out.servername = value as string;
    else if (key === 'cert_reqs' && (value === 0 || value === 1 || value === 2)) out.rejectUnauthorized = value === 2;
    else throw new MqttError('ERR_INVALID_ARG', `ssl_params['${key}'] is not one of cadata, ca_certs, cert, certfile, key, keyfile, server_hostname, cert_reqs (0, 1, 2)`);
  }
  return out;
}

/** Resolves the constructor's parameters. */
function settingsOf(clientId: unknown, server: unknown, args: readonly unknown[]): Settings {
  const a = pyArgs('MQTTClient', {
    positional: ['port', 'user', 'password', 'keepalive', 'ssl', 'ssl_params', 'reconn', 'version'],
    keywordOnly: ['reconnect_period', 'timeout'],
    objectParams: ['ssl_params'],
  }, args);
  const ssl = pyBool('ssl', a.ssl ?? false);
  const version = a.version ?? 4;
  if (version !== 3 && version !== 4) throw new MqttError('ERR_INVALID_ARG', `version must be 3 (MQTT 3.1) or 4 (MQTT 3.1.1), not ${describe(version)}`);
  const text = (name: string, v: unknown) => (v === undefined || v === null || v === '' ? undefined : pyText(name, v));
  return {
    clientId: text('client_id', clientId),
    host: pyText('server', server),
    port: a.port === undefined || a.port === 0 ? (ssl ? 8883 : 1883) : a.port as number,
    username: text('user', a.user),
    password: a.password === null || a.password === '' ? undefined : a.password as Payload | undefined,
    keepalive: (a.keepalive ?? 0) as number,
    tls: ssl ? tlsOptions(a.ssl_params ?? {}) : undefined,
    reconn: pyBool('reconn', a.reconn ?? true),
    version,
    reconnectPeriod: (a.reconnect_period ?? 5000) as number,
    timeout: (a.timeout ?? DEFAULT_TIMEOUT_MS) as number,
  };
}

/**
 * umqtt's MQTT client: MicroPython's (and Makeblock's) `umqtt.simple` and
 * QuecPython's `umqtt` in one class.
 *
 * `MQTTClient(client_id, server, port=0, user=None, password=None,
 * keepalive=0, ssl=False, ssl_params={}, reconn=True, version=4)`: the
 * optional parameters positionally, or from any point on as one object
 * (`new MQTTClient('id', 'host', { port: 1883, user: 'u', password: 'p' })`).
 *
 * Synchronous as on the device: connect(), publish(), subscribe(),
 * disconnect() and wait_msg() block the calling JS thread (only: the engine
 * keeps reading, acknowledging and pinging on its own thread), and every
 * wait but wait_msg()'s is bounded (`timeout`, 10 s by default) where the
 * device would raise. Callbacks run on the calling thread, from wait_msg()
 * and check_msg(), as on the device, so they may call the blocking methods.
 */
export class MQTTClient {
  readonly #settings: Settings;
  readonly #conn: BlockingConnection;
  #will: MqttClientOptions['will'];
  /** the clean_session of the last successful connect(), for reconnect() */
  #clean: boolean | undefined;
  #callback: MessageCallback | null = null;
  #errorCallback: ErrorCallback | null = null;
  /** messages waiting for wait_msg()/check_msg() */
  readonly #inbox = new Inbox<[Bytes, Bytes]>();
  /** PINGRESPs wait_msg() has not returned for yet */
  #pongs = 0;
  /** errors waiting for the error_register_cb() callback */
  #errors: MqttError[] = [];
  /** calls the error callback on the next turn of the event loop */
  readonly #scheduleErrorCallback = onNextTurn(() => this.#callErrorCallback());
  /** refused automatic resubscriptions (the core client renews the
   *  subscriptions: options.resubscribe), raised by the next
   *  wait_msg()/check_msg() */
  #failures: unknown[] = [];

  /**
   * Creates the client; nothing is sent until connect().
   * - `client_id`: empty or None means a random one (then connect() needs
   *   clean_session True).
   * - `port`: 0 (the default) means 1883, or 8883 with `ssl`. (MicroPython's
   *   document says 8833 for TLS: a typo, its code uses 8883.)
   * - `user`, `password`: sent when not None or empty.
   * - `keepalive`: seconds, 0 by default (no keepalive), as both
   *   signatures say (MicroPython's prose says 60).
   * - `ssl`, `ssl_params`: TLS, see SslParams. Unlike MicroPython, the broker's
   *   certificate is verified unless `cert_reqs` is 0 (CERT_NONE).
   * - `reconn` (QuecPython): reconnect automatically after a lost
   *   connection (delays below `reconnect_period` ms, then below a ceiling
   *   doubling up to 30 s), and renew the subscriptions;
   *   True by default. With False a lost connection is raised by
   *   wait_msg()/check_msg() and reported to error_register_cb().
   * - `version` (QuecPython): 4 is MQTT 3.1.1 (the default), 3 is MQTT 3.1.
   * Bad arguments throw an MqttError (ERR_INVALID_ARG, ...) naming them.
   */
  constructor(client_id: Text | null, server: Text, ...args: PyArgs<Positional, MQTTClientOptions>) {
    this.#settings = settingsOf(client_id, server, args);
    this.#conn = new BlockingConnection(this.#options(true), { attach: (client) => this.#attach(client) });
  }

  /** tinymqtt: the core client (lib/client.ts) of the current connection
   *  (before the first connect(), the one it would use). A new one comes
   *  with each connect(); listeners put on it go with it. */
  get client(): MqttClient {
    return this.#conn.client;
  }

  /** `set_callback(f)`: `f(topic, msg)` is called with each received
   *  message, both as bytes (Buffers with `decode()`), from wait_msg() and
   *  check_msg(). */
  set_callback(f: MessageCallback | null): void {
    if (f !== null && typeof f !== 'function') throw new MqttError('ERR_INVALID_ARG', 'set_callback(f): f must be a function');
    this.#callback = f;
  }

  /** `error_register_cb(callback)` (QuecPython): with `reconn` False,
   *  `callback(error)` is called with the text of each error of the
   *  connection (a lost connection, a protocol error); not with `reconn`
   *  True, as QuecPython documents. It runs on the Node event loop, or
   *  inside wait_msg()/check_msg() just before they raise, whichever comes
   *  first (never inside an event listener, so it may call reconnect()). */
  error_register_cb(callback: ErrorCallback | null): void {
    if (callback !== null && typeof callback !== 'function')
      throw new MqttError('ERR_INVALID_ARG', 'error_register_cb(callback): callback must be a function');
    this.#errorCallback = callback;
  }

  /** `set_last_will(topic, msg, retain=False, qos=0)`: the message the
   *  broker publishes if the connection ends without disconnect(); for the
   *  next connect(). QoS 2 is allowed too (QuecPython documents 0 or 1).
   *  Checked at once: an MqttError for a bad topic or QoS. */
  set_last_will(topic: Text, msg: Payload, ...args: PyArgs<[retain: Bool, qos: QoS], { retain?: Bool; qos?: QoS }>): void {
    const a = pyArgs('set_last_will', { positional: ['retain', 'qos'] }, args);
    const will = { topic: pyText('topic', topic), payload: msg, retain: pyBool('retain', a.retain ?? false), qos: (a.qos ?? 0) as QoS };
    this.#conn.configure(this.#options(true, will));
    this.#will = will;
  }

  /** `connect(clean_session=True)`: connects, blocking until the broker
   *  accepts (returns 0) or refuses: MQTTException with the CONNACK return
   *  code (4 bad user name or password, 5 not authorized, ...), OSError for
   *  the network (111 refused, 110 timed out, -2 unknown host, 5 TLS). An
   *  open connection is closed first. (QuecPython's table says the default
   *  is False; its signature, and MicroPython's, say True.) */
  connect(...args: PyArgs<[clean_session: Bool], { clean_session?: Bool }>): 0 {
    const a = pyArgs('connect', { positional: ['clean_session'] }, args);
    const clean = pyBool('clean_session', a.clean_session ?? true);
    if (!clean && this.#settings.clientId === undefined)
      throw new MqttError('ERR_INVALID_ARG', 'connect(): clean_session must be True when client_id is empty (a random id has no session to keep)');
    this.#errors = [];
    this.#failures = [];
    this.#pongs = 0;
    try {
      this.#conn.open(this.#options(clean));
    } catch (e) {
      throw umqttError(e);
    }
    this.#clean = clean;
    return 0;
  }

  /** `reconnect()`: connect() again with the clean_session of the last
   *  connect(), after closing what is left of the connection. An MqttError
   *  (ERR_STATE) before any connect(). */
  reconnect(): 0 {
    if (this.#clean === undefined) throw new MqttError('ERR_STATE', 'reconnect(): call connect() first');
    return this.connect(this.#clean);
  }

  /** `disconnect()`: lets what is in progress finish, sends DISCONNECT (so
   *  no will) and closes; get_mqttsta() is -1 afterwards. Waits at most
   *  `timeout`, then closes at once. Nothing to do when not connected. */
  disconnect(): void {
    this.#conn.close(true, this.#settings.timeout);
  }

  /** `close()` (QuecPython): closes the socket at once, without DISCONNECT
   *  (the broker publishes the will); connect() or reconnect() may follow. */
  close(): void {
    this.#conn.close(false, 0);
  }

  /** `ping()`: sends PINGREQ now; the PINGRESP makes a wait_msg() return.
   *  QuecPython says it is disabled with keepalive 0; here it always pings
   *  (a PINGREQ is valid at any keepalive). OSError 107 when not connected. */
  ping(): void {
    const client = this.#conn.client;
    if (!this.#conn.live || !client.connected) throw umqttError(new MqttError('ERR_NOT_CONNECTED', 'ping(): not connected'));
    client.ping().catch(() => { /* the connection was lost first: wait_msg()/check_msg() raise that */ });
  }

  /** `publish(topic, msg, retain=False, qos=0)`: QoS 0 returns once handed
   *  to the engine; QoS 1 blocks until PUBACK, QoS 2 until PUBCOMP (the
   *  originals cannot do QoS 2), for at most `timeout` (then OSError 110).
   *  With `reconn` False a connection lost meanwhile raises OSError; with
   *  True the message is resent after the reconnect. */
  publish(topic: Text, msg: Payload, ...args: PyArgs<[retain: Bool, qos: QoS], { retain?: Bool; qos?: QoS }>): void {
    const a = pyArgs('publish', { positional: ['retain', 'qos'] }, args);
    const name = pyText('topic', topic);
    const retain = pyBool('retain', a.retain ?? false);
    this.#block((client, signal) => client.publish(name, msg, { qos: (a.qos ?? 0) as QoS, retain, signal }));
  }

  /** `subscribe(topic, qos=0)`: blocks until SUBACK; a refusal raises
   *  MQTTException(0x80). As in umqtt's code, set_callback() must come first
   *  (an MqttError ERR_STATE otherwise). */
  subscribe(topic: Text, ...args: PyArgs<[qos: QoS], { qos?: QoS }>): void {
    const a = pyArgs('subscribe', { positional: ['qos'] }, args);
    const filter = pyText('topic', topic);
    const qos = (a.qos ?? 0) as QoS;
    if (!this.#callback) throw new MqttError('ERR_STATE', 'subscribe(): Subscribe callback is not set (call set_callback() first)');
    this.#block((client, signal) => client.subscribe(filter, { qos, signal }));
  }

  /** `wait_msg()`: blocks until a message or a PINGRESP arrives (no time
   *  limit, as on the device) and calls the callback, on the calling
   *  thread, for every message that has arrived. Raises what went wrong
   *  instead: with `reconn` False a lost connection (OSError), OSError 107
   *  when not connected, ERR_QUEUE_FULL when more than 10,000 messages
   *  arrived unread (the rest were not kept), a failed automatic
   *  resubscription. */
  wait_msg(): void {
    for (;;) {
      if (this.#deliver()) return;
      this.#raiseIfDown('wait_msg');
      const client = this.#conn.client;
      client.waitSync(WAIT_SLICE_MS, () => this.#hasNews(client));
    }
  }

  /** `check_msg()`: as wait_msg(), but never blocks: handles what has
   *  already arrived and returns. */
  check_msg(): void {
    if (this.#deliver()) return;
    if (this.#conn.live) this.#conn.client.waitSync(0);
    if (this.#deliver()) return;
    this.#raiseIfDown('check_msg');
  }

  /** `get_mqttsta()` (QuecPython): 0 connected, 1 connecting (or waiting
   *  to reconnect), 2 the connection was closed by the server or lost, -1
   *  not connected (before connect(), after a failed connect(),
   *  disconnect() or close()). */
  get_mqttsta(): -1 | 0 | 1 | 2 {
    if (!this.#conn.live) return -1;
    const client = this.#conn.client;
    if (client.connected) return 0;
    // lost for good (the core client's state may not say so yet)
    if (client.state === 'disconnected' || (this.#conn.lost && !this.#settings.reconn)) return 2;
    return client.state === 'closed' ? -1 : 1;
  }

  /** The core client's options for a connection. */
  #options(clean: boolean, will = this.#will): MqttClientOptions {
    const s = this.#settings;
    return {
      host: s.host, port: s.port, clientId: s.clientId, username: s.username, password: s.password, keepalive: s.keepalive,
      clean, protocolVersion: s.version, will, ...s.tls, connectTimeout: s.timeout, reconnectPeriod: s.reconn ? s.reconnectPeriod : 0,
      resubscribe: true,   // reconn renews the subscriptions; a refusal reaches wait_msg() (#attach)
    };
  }

  /** This layer's listeners on a new core client. */
  #attach(client: MqttClient): void {
    client.on('message', (topic, payload) => this.#inbox.push([asBytes(Buffer.from(topic)), asBytes(payload)]));
    client.on('pong', () => { this.#pongs++; });
    client.on('error', (e) => {
      // the core client's only 'error' with this code: a refused resubscription
      if (e.code === 'ERR_SUBACK_REFUSED') this.#failures.push(umqttError(e));
      else if (!this.#settings.reconn && this.#conn.live) this.#queueError(umqttError(e) as MqttError);
    });
  }

  /** Blocks on an operation of the connection; raises as umqtt does. */
  #block<T>(operation: (client: MqttClient, signal: AbortSignal) => Promise<T>): T {
    try {
      return this.#conn.block(operation, this.#settings.timeout, !this.#settings.reconn);
    } catch (e) {
      throw umqttError(e);
    }
  }

  /** Calls the callback for the messages that have arrived (not those that
   *  arrive meanwhile); returns whether wait_msg() has something to return
   *  for (a message or a PINGRESP). Raises a failure that is waiting. */
  #deliver(): boolean {
    const dropped = this.#inbox.takeDropped();
    if (dropped > 0) {
      throw new MqttError('ERR_QUEUE_FULL', `${dropped} messages were not kept: more than ${this.#inbox.limit} arrived between calls of wait_msg()/check_msg()`);
    }
    if (this.#failures.length > 0) throw this.#failures.shift();
    const messages = this.#inbox.length;
    for (let i = 0; i < messages; i++) {
      const [topic, msg] = this.#inbox.shift()!;
      if (!this.#callback) throw new MqttError('ERR_STATE', `a message arrived on ${topic.toString()} and no callback is set (set_callback())`);
      this.#callback(topic, msg);
    }
    const pongs = this.#pongs;
    this.#pongs = 0;
    return messages > 0 || pongs > 0;
  }

  /** Whether wait_msg() has something to do for `client`. */
  #hasNews(client: MqttClient): boolean {
    return this.#inbox.length > 0 || this.#pongs > 0 || this.#errors.length > 0 || this.#failures.length > 0
      || this.#conn.client !== client || (!this.#settings.reconn && this.#conn.lost !== undefined);
  }

  /** Calls the error callback with the errors waiting for it, then raises
   *  what keeps wait_msg()/check_msg() from waiting, unless the callback
   *  put it right (reconnect()). */
  #raiseIfDown(what: string): void {
    this.#callErrorCallback();
    if (!this.#conn.live) throw umqttError(new MqttError('ERR_NOT_CONNECTED', `${what}(): not connected (call connect())`));
    if (!this.#settings.reconn && this.#conn.lost) throw umqttError(this.#conn.lost);
  }

  /** Queues an error for the error callback, called on the event loop (or
   *  by the next wait_msg()/check_msg() that would raise). */
  #queueError(error: MqttError): void {
    this.#errors.push(error);
    this.#scheduleErrorCallback();
  }

  #callErrorCallback(): void {
    for (const e of this.#errors.splice(0)) this.#errorCallback?.(e.message, e);
  }
}
