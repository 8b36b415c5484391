/**
 * PikaPython's `mqtt` module: the MQTT class over the core client, with
 * its setters returning true/false, its int error codes and its per-topic
 * callbacks (see docs/compat/pika.md).
 *
 * @module tinymqtt/pika
 */
import { networkInterfaces } from 'node:os';
import { types } from 'node:util';
import { matchTopic, MqttError, type MqttClient, type MqttClientOptions, type QoS } from '../index.js';
import { pyArgs, pyBool, type PyArgs } from './common-umqtt-pika-args.js';
import { BlockingConnection, DEFAULT_TIMEOUT_MS, Inbox, onNextTurn } from './common-umqtt-pika-connection.js';
import { runCallback } from './luatos-zerynth-callback.js';
import { pikaCode, STATE_FAIL_UNKONW, STATE_SUCCESS } from './pika-codes.js';
import { describe } from '../validate.js';

export {
  STATE_SUCCESS, STATE_FAIL_UNKONW, STATE_FAIL_BAD_NAME_PASSWD, STATE_FAIL_BAD_CLINETID, STATE_FAIL_BAD_PROTOCOL,
  STATE_FAIL_BAD_RCODE, STATE_FAIL_PERMISSION,
} from './pika-codes.js';

/** What publish() and setWill() send: text, or bytes. */
export type Payload = string | Buffer;

/** What a subscription's callback receives. PikaPython gives `evt.topic`
 *  and `evt.msg`; the rest is tinymqtt's. */
export interface MessageEvent {
  topic: string;
  /** the payload as text (UTF-8); binary payloads are whole in `payload` */
  msg: string;
  /** tinymqtt: the payload's bytes, unharmed (PikaPython cuts at the first NUL) */
  payload: Buffer;
  qos: QoS;
  retain: boolean;
}

/** A subscription's callback: `def sub_cb(evt)`. */
export type MessageCallback = (evt: MessageEvent) => void;

/** The constructor's optional parameters by name; `clinetID` is the
 *  spelling of PikaPython's code, `clientID` its document's. */
export interface MQTTOptions {
  port?: number;
  clientID?: string;
  clinetID?: string;
  username?: string;
  password?: Payload;
  version?: string;
  ca?: string;
  keepalive?: number;
  /** tinymqtt: the most a blocking call waits, in ms (default 10000): the
   *  connect (TCP, TLS and CONNACK), a SUBACK, a QoS 1/2 publish's
   *  acknowledgement, a graceful disconnect */
  timeout?: number;
}

type Positional = [port: number, clientID: string, username: string, password: Payload, version: string, ca: string,
  keepalive: number];

interface Will { topic: string; payload: Payload; qos: QoS; retain: boolean }

interface Settings {
  ip: string;
  port: number;
  clientID: string | undefined;
  username: string;
  password: Payload;
  version: string;
  ca: string;
  keepalive: number;
  will: Will | undefined;
  timeout: number;
}

interface Received { topic: string; payload: Buffer; qos: QoS; retain: boolean }

const PEM = /-----BEGIN [A-Z0-9 ]+-----/;

/** The first network interface's MAC address as 12 hex digits: the
 *  document's default client id. */
function macAddress(): string | undefined {
  for (const list of Object.values(networkInterfaces())) {
    for (const i of list ?? []) if (!i.internal && i.mac !== '00:00:00:00:00:00') return i.mac.replaceAll(':', '');
  }
  return undefined;
}

/** The core client's options for `s`; throws an MqttError naming what is
 *  wrong. */
function coreOptions(s: Settings): MqttClientOptions {
  const protocolVersion = s.version === '3.1' ? 3 : s.version === '3.1.1' ? 4 : undefined;
  if (protocolVersion === undefined) throw new MqttError('ERR_INVALID_ARG', `version must be "3.1" or "3.1.1", not ${describe(s.version)}`);
  if (s.clientID === '') throw new MqttError('ERR_INVALID_ARG', 'clientID must not be empty');
  if (s.ca !== '' && (typeof s.ca !== 'string' || !PEM.test(s.ca))) throw new MqttError('ERR_INVALID_ARG', 'ca must be a PEM certificate');
  return {
    host: s.ip, port: s.port, clientId: s.clientID, username: s.username === '' ? undefined : s.username,
    password: s.password === '' ? undefined : s.password,
    protocolVersion, keepalive: s.keepalive, will: s.will, connectTimeout: s.timeout, reconnectPeriod: 0,
    ...(s.ca ? { protocol: 'mqtts', ca: s.ca } : {}),
  };
}

/**
 * PikaPython's MQTT client.
 *
 * `MQTT(ip, port=1883, clientID=<MAC address>, username='', password='',
 * version='3.1.1', ca='', keepalive=60)`: the optional parameters
 * positionally, or from any point on as one object
 * (`new MQTT('broker', { clientID: 'pikascript' })`).
 *
 * connect(), subscribe(), unsubscribe(), publish() and disconnect() block
 * the calling JS thread (only: the engine keeps reading, acknowledging and
 * pinging on its own thread), each for at most `timeout` (10 s by default),
 * and return 0 or an error code of the appendix (STATE_*). Subscription and
 * disconnect callbacks run on the Node event loop, never inside a blocking
 * call, so they may call the blocking methods.
 *
 * Fixed here: the default version "3.1.1" is MQTT 3.1.1 (PikaPython sends
 * 3.1), wildcard subscriptions reach their callback, binary payloads arrive
 * whole, and subscribe() returns after the SUBACK (with its result).
 */
export class MQTT {
  #settings: Settings;
  readonly #conn: BlockingConnection;
  /** filter → callback, in the order subscribed */
  readonly #subscriptions = new Map<string, MessageCallback>();
  readonly #inbox = new Inbox<Received>();
  /** hands the messages to their callbacks on the next turn of the event
   *  loop (outside the core client's listener, so callbacks may block) */
  readonly #scheduleDrain = onNextTurn(() => this.#drain());
  #onDisconnect: (() => void) | undefined;

  /** Creates the client; nothing is sent until connect(). A `ca` turns TLS
   *  on. Bad arguments throw an MqttError (ERR_INVALID_ARG, ...) naming
   *  them. Without a MAC address the default client id is random. */
  constructor(ip: string, ...args: PyArgs<Positional, MQTTOptions>) {
    const a = pyArgs('MQTT', {
      positional: ['port', 'clientID', 'username', 'password', 'version', 'ca', 'keepalive'],
      keywordOnly: ['timeout'],
      aliases: { clinetID: 'clientID' },
    }, args);
    this.#settings = {
      ip, port: (a.port ?? 1883) as number, clientID: (a.clientID ?? macAddress()) as string | undefined,
      username: (a.username ?? '') as string, password: (a.password ?? '') as Payload, version: (a.version ?? '3.1.1') as string,
      ca: (a.ca ?? '') as string, keepalive: (a.keepalive ?? 60) as number, will: undefined,
      timeout: (a.timeout ?? DEFAULT_TIMEOUT_MS) as number,
    };
    this.#conn = new BlockingConnection(coreOptions(this.#settings), {
      attach: (client) => this.#attach(client),
      lost: () => setImmediate(() => { if (this.#onDisconnect) runCallback('the setDisconnectHandler callback', this.#onDisconnect); }),
    });
    this.#settings.clientID = this.#conn.client.options.clientId;   // a random one stays the same
  }

  /** tinymqtt: the core client (lib/client.ts) of the current connection
   *  (before the first connect(), the one it would use). A new one comes
   *  with each connect(); listeners put on it go with it. */
  get client(): MqttClient {
    return this.#conn.client;
  }

  /** `setClientID(clientid)`: for the next connect(); false for an empty or
   *  non-string id. */
  setClientID(clientid: string): boolean {
    return this.#set({ clientID: clientid });
  }

  /** `setUsername(username)`: for the next connect(); '' sends none. */
  setUsername(username: string): boolean {
    return this.#set({ username });
  }

  /** `setPassword(password)`: for the next connect(); '' sends none. */
  setPassword(password: Payload): boolean {
    return this.#set({ password });
  }

  /** `setVersion(version)`: "3.1" (MQTT 3.1) or "3.1.1" (MQTT 3.1.1), for
   *  the next connect(); false for anything else. */
  setVersion(version: string): boolean {
    return this.#set({ version });
  }

  /** `setCa(ca)`: the CA certificate (PEM text) that signs the broker's;
   *  from the next connect() on the connection is TLS. False when `ca` is
   *  not PEM text. */
  setCa(ca: string): boolean {
    return ca !== '' && this.#set({ ca });
  }

  /** `setKeepAlive(time)`: seconds (0 to 65535), for the next connect(). */
  setKeepAlive(time: number): boolean {
    return this.#set({ keepalive: time });
  }

  /** `setWill(topic, payload, qos=0, retain=False)`: the message the broker
   *  publishes if the connection ends without disconnect(), for the next
   *  connect(); false for a bad topic, QoS or payload. */
  setWill(topic: string, payload: Payload, ...args: PyArgs<[qos: QoS, retain: boolean | 0 | 1], { qos?: QoS; retain?: boolean | 0 | 1 }>): boolean {
    const a = pyArgs('setWill', { positional: ['qos', 'retain'] }, args);
    try {
      return this.#set({ will: { topic, payload, qos: (a.qos ?? 0) as QoS, retain: pyBool('retain', a.retain ?? false) } });
    } catch {
      return false;
    }
  }

  /** `setDisconnectHandler(callback)`: `callback()` is called, on the Node
   *  event loop, when the connection is lost (not after disconnect()). What
   *  it throws becomes a process warning. */
  setDisconnectHandler(callback: () => void): boolean {
    if (typeof callback !== 'function') return false;
    this.#onDisconnect = callback;
    return true;
  }

  /** `connect()`: connects with the current settings, blocking until the
   *  broker accepts (0) or refuses: 2 bad user name or password (CONNACK 4
   *  or 5), 3 client id rejected, 4 protocol version refused, 1 otherwise
   *  (network, TLS, timeout). Already connected: 0, and nothing changes
   *  (disconnect() first to connect with new settings). A new connection
   *  starts with no subscriptions. */
  connect(): number {
    if (this.#conn.live && this.#conn.client.connected) return STATE_SUCCESS;
    this.#subscriptions.clear();
    try {
      this.#conn.open(coreOptions(this.#settings));
      return STATE_SUCCESS;
    } catch (e) {
      return pikaCode(e, 'connect');
    }
  }

  /** `disconnect()`: lets what is in progress finish, sends DISCONNECT and
   *  closes (waiting at most `timeout`, then closing at once): 0; 1 when
   *  there was no connection. */
  disconnect(): number {
    return this.#conn.close(true, this.#settings.timeout) ? STATE_SUCCESS : STATE_FAIL_UNKONW;
  }

  /** `subscribe(topic, callback, qos=0)`: blocks until the SUBACK: 0 once
   *  subscribed, 5 when the broker refused (SUBACK 0x80), 6 when it closed
   *  the connection in answer (no permission), 1 otherwise. `callback(evt)`
   *  then gets every message whose topic matches `topic`, wildcards
   *  included; subscribing again to the same topic replaces it. What a
   *  callback throws becomes a process warning (a TinymqttWarning); the
   *  other callbacks and the connection go on (the document says nothing
   *  of it; the LuatOS and Zerynth layers, whose callbacks also run on the
   *  event loop, do the same). */
  subscribe(topic: string, callback: MessageCallback, ...args: PyArgs<[qos: QoS], { qos?: QoS }>): number {
    const a = pyArgs('subscribe', { positional: ['qos'] }, args);
    if (typeof topic !== 'string' || typeof callback !== 'function') return STATE_FAIL_UNKONW;
    return this.#operation('subscribe', (client, signal) => client.subscribe(topic, { qos: (a.qos ?? 0) as QoS, signal }),
      () => this.#subscriptions.set(topic, callback));
  }

  /** `unsubscribe(topic)`: blocks until the UNSUBACK: 0, or 6 when the
   *  broker closed the connection in answer, 1 otherwise. */
  unsubscribe(topic: string): number {
    if (typeof topic !== 'string') return STATE_FAIL_UNKONW;
    return this.#operation('unsubscribe', (client, signal) => client.unsubscribe(topic, { signal }),
      () => this.#subscriptions.delete(topic));
  }

  /** `listSubscribeTopics()`: the subscribed topics, in the order
   *  subscribed (PikaPython's tuple: a frozen array). */
  listSubscribeTopics(): readonly string[] {
    return Object.freeze([...this.#subscriptions.keys()]);
  }

  /** `listSubscribeTopic()`: the name in PikaPython's code for
   *  listSubscribeTopics(). */
  listSubscribeTopic(): readonly string[] {
    return this.listSubscribeTopics();
  }

  /** `publish(topic, payload, qos=0)`, also in the order of the document's
   *  example, `publish(topic, qos, payload)`. QoS 0 returns 0 once handed
   *  to the engine; QoS 1 blocks until PUBACK, QoS 2 until PUBCOMP. 6 when
   *  the broker closed the connection in answer (MQTT 3.1.1's way to refuse
   *  a publish), 1 otherwise (not connected, bad topic, timeout). */
  publish(topic: string, payload: Payload, ...args: PyArgs<[qos: QoS], { qos?: QoS }>): number;
  publish(topic: string, qos: QoS, payload: Payload): number;
  publish(topic: string, ...args: unknown[]): number {
    const exampleOrder = typeof args[0] === 'number' && args.length === 2 && (typeof args[1] === 'string' || types.isUint8Array(args[1]));
    const [payload, ...rest] = exampleOrder ? [args[1], args[0]] : args;
    const a = pyArgs('publish', { positional: ['qos'] }, rest);
    return this.#operation('publish', (client, signal) => client.publish(topic, payload as Payload, { qos: (a.qos ?? 0) as QoS, signal }));
  }

  /** Applies a change of settings if the core client accepts the result. */
  #set(change: Partial<Settings>): boolean {
    const next = { ...this.#settings, ...change };
    try {
      this.#conn.configure(coreOptions(next));
    } catch {
      return false;
    }
    this.#settings = next;
    return true;
  }

  /** Blocks on an operation of the connection; its code, `done()` run on
   *  success. */
  #operation(name: 'subscribe' | 'unsubscribe' | 'publish', operation: (client: MqttClient, signal: AbortSignal) => Promise<unknown>,
    done?: () => void): number {
    try {
      this.#conn.block(operation, this.#settings.timeout, true);
    } catch (e) {
      return pikaCode(e, name);
    }
    done?.();
    return STATE_SUCCESS;
  }

  /** This layer's listener on a new core client. */
  #attach(client: MqttClient): void {
    client.on('message', (topic, payload, packet) => {
      this.#inbox.push({ topic, payload, qos: packet.qos, retain: packet.retain });
      this.#scheduleDrain();
    });
  }

  #drain(): void {
    const dropped = this.#inbox.takeDropped();
    if (dropped > 0)
      process.emitWarning(`${dropped} messages were not kept: more than ${this.#inbox.limit} arrived during one blocking call`, { code: 'ERR_QUEUE_FULL' });
    const messages = this.#inbox.length;
    try {
      for (let i = 0; i < messages; i++) this.#route(this.#inbox.shift()!);
    } finally {
      if (this.#inbox.length > 0) this.#scheduleDrain();
    }
  }

  /** Calls the callback of every subscription whose filter matches. */
  #route(m: Received): void {
    const evt: MessageEvent = { topic: m.topic, msg: m.payload.toString('utf8'), payload: m.payload, qos: m.qos, retain: m.retain };
    for (const [filter, callback] of this.#subscriptions)
      if (matchTopic(filter, m.topic)) runCallback(`the subscribe("${filter}") callback`, callback, evt);
  }
}
