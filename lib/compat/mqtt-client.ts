// tinymqtt/mqtt's client: MQTT.js's MqttClient (callbacks and the *Async
// forms, its events and flags) over one core client at a time, which
// reconnect() replaces once it has ended.
import { EventEmitter } from 'node:events';
import {
  MqttClient as CoreClient, type ConnackPacket, type MessagePacket, type MqttClientOptions, type PublishOptions, type QoS,
  type SubscribeOptions, type SubscriptionGrant, type SubscriptionOptions, type UnsubscribeOptions,
} from '../client.js';
import { MqttError, argError } from '../errors.js';
import { checkBool, describe, isList, isPlainObject, readEntries } from '../validate.js';
import { warn } from './luatos-zerynth-callback.js';
import { resolveOptions, type IClientOptions } from './mqtt-options.js';
import {
  connackPacket, publishPacket, type IAckPacket, type IConnackPacket, type IDisconnectPacket, type IPublishPacket,
  type Packet,
} from './mqtt-packets.js';

/** publish()'s options, MQTT.js's names. */
export interface IClientPublishOptions {
  qos?: QoS;
  retain?: boolean;
  /** must be false: the client sets DUP itself when it sends again */
  dup?: boolean;
  properties?: PublishOptions['properties'];
}
/** subscribe()'s options: QoS, the 5.0 subscription options and properties. */
export type IClientSubscribeOptions = Omit<SubscribeOptions, 'signal'>;
/** unsubscribe()'s options (5.0 properties). */
export type IClientUnsubscribeOptions = Omit<UnsubscribeOptions, 'signal'>;
/** What subscribe() gives for each filter: the QoS granted, or a refusal
 *  code from 0x80. */
export type ISubscriptionGrant = SubscriptionGrant;
/** subscribe()'s first argument. */
export type SubscribeTopics = string | string[] | Record<string, QoS | SubscriptionOptions>;

/** publish()'s callback: the error, or the PUBACK/PUBCOMP (nothing at QoS 0). */
export type PacketCallback = (error?: Error, packet?: Packet) => void;
/** subscribe()'s callback: null or the error, and what each filter was
 *  granted (also when the broker refused some: the error says which). */
export type ClientSubscribeCallback = (error: Error | null, granted?: ISubscriptionGrant[]) => void;
/** end()'s callback. */
export type DoneCallback = (error?: Error) => void;

/** The events of tinymqtt/mqtt's client and their arguments (MQTT.js's). */
export interface MqttClientEventCallbacks {
  connect: [connack: IConnackPacket];
  reconnect: [];
  close: [];
  disconnect: [packet: IDisconnectPacket];
  offline: [];
  end: [];
  error: [error: MqttError];
  message: [topic: string, payload: Buffer, packet: IPublishPacket];
  packetsend: [packet: Packet];
  packetreceive: [packet: Packet];
}

/** The highest MQTT packet identifier: this layer's message ids wrap after it. */
const MAX_ID = 65535;

/** MQTT.js's MqttClient on tinymqtt's engine: `connect()` (tinymqtt/mqtt)
 *  makes one, and it connects at once (unless options.manualConnect) and
 *  goes on trying until connected. */
export class MqttClient extends EventEmitter<MqttClientEventCallbacks> {
  /** the options as given (the URL's included) with the defaults the
   *  client chose: host, hostname, port, protocol, clientId, keepalive, ... */
  readonly options: IClientOptions;
  /** CONNACK received, and the connection not lost since */
  connected = false;
  /** between a lost connection (or a failed attempt) and the next CONNACK */
  reconnecting = false;
  /** from end() until the client has ended */
  disconnecting = false;
  /** the client has ended (reconnect() starts it again) */
  disconnected = false;
  #core: CoreClient;
  #coreOptions: MqttClientOptions;
  /** whether the current core client was told to connect */
  #started = false;
  /** QoS 1/2 publishes not yet acknowledged, by this layer's message id */
  #outgoing = new Map<number, AbortController>();
  #lastId = 0;

  /** A client for MQTT.js's options (without a URL: connect(url, options)
   *  takes one); it connects at once unless options.manualConnect. Bad
   *  options throw an MqttError naming them. */
  constructor(options: IClientOptions = {}) {
    super();
    const resolved = resolveOptions(undefined, options);
    this.#coreOptions = resolved.core;
    this.#core = this.#attach(new CoreClient(resolved.core));
    const chosen = this.#core.options;
    this.options = {
      ...resolved.given, host: chosen.host, hostname: chosen.host, port: chosen.port,
      protocol: chosen.tls ? 'mqtts' : 'mqtt', clientId: chosen.clientId, keepalive: chosen.keepalive, clean: chosen.clean,
      protocolVersion: chosen.protocolVersion, reconnectPeriod: chosen.reconnectPeriod, connectTimeout: chosen.connectTimeout,
    };
    if (!resolved.manualConnect) this.#start();
  }

  /** Connects (with options.manualConnect; otherwise the client already
   *  does). Returns the client. */
  connect(): this {
    if (!this.#started && !this.disconnecting && !this.disconnected) this.#start();
    return this;
  }

  /** Publishes; `callback(error, packet)` runs when QoS 0 is written (or
   *  accepted under the high-water mark), on PUBACK for QoS 1 and on
   *  PUBCOMP for QoS 2, with the error if it failed. Returns the client. */
  publish(topic: string, message: string | Buffer | Uint8Array, callback?: PacketCallback): this;
  publish(topic: string, message: string | Buffer | Uint8Array, options?: IClientPublishOptions, callback?: PacketCallback): this;
  publish(topic: string, message: string | Buffer | Uint8Array, options?: IClientPublishOptions | PacketCallback, callback?: PacketCallback): this {
    const [opts, cb] = optionsAndCallback<IClientPublishOptions, PacketCallback>('publish', options, callback);
    deliver<Packet | undefined>(this.publishAsync(topic, message, opts), cb, this, 'publish');
    return this;
  }

  /** publish() as a promise: the PUBACK/PUBCOMP packet, undefined at QoS 0. */
  publishAsync(topic: string, message: string | Buffer | Uint8Array, options?: IClientPublishOptions): Promise<Packet | undefined> {
    let o: Record<string, unknown>;
    try {
      o = readKnown('options', options, ['qos', 'retain', 'dup', 'properties']);
      if (o.dup !== undefined && checkBool('options.dup', o.dup))
        throw argError('options.dup', 'must be false: the client sets DUP itself when it sends a message again');
    } catch (e) {
      return Promise.reject(e);
    }
    const qos = o.qos as QoS | undefined;
    const coreOptions: PublishOptions = { qos, retain: o.retain as boolean | undefined, properties: o.properties as PublishOptions['properties'] };
    if (!qos) {
      const done = this.#core.publish(topic, message, coreOptions);
      this.#packetSent(done, () => ({ cmd: 'publish', topic, payload: Buffer.from(message), qos: 0, retain: o.retain === true, dup: false }));
      return done.then(() => undefined);
    }
    const messageId = this.#nextId();
    const removal = new AbortController();
    this.#outgoing.set(messageId, removal);
    const done = this.#core.publish(topic, message, { ...coreOptions, signal: removal.signal });
    this.#packetSent(done, () => ({ cmd: 'publish', topic, payload: Buffer.from(message), qos, retain: o.retain === true, dup: false, messageId }));
    return done.then(() => this.#received({ cmd: qos === 1 ? 'puback' : 'pubcomp', messageId } satisfies IAckPacket))
      .finally(() => this.#outgoing.delete(messageId));
  }

  /** Subscribes; `callback(error, granted)` runs on SUBACK. A refusal of
   *  any filter is an MqttError ERR_SUBACK_REFUSED, with `granted` listing
   *  every filter's result. Returns the client. */
  subscribe(topics: SubscribeTopics, callback?: ClientSubscribeCallback): this;
  subscribe(topics: SubscribeTopics, options?: IClientSubscribeOptions, callback?: ClientSubscribeCallback): this;
  subscribe(topics: SubscribeTopics, options?: IClientSubscribeOptions | ClientSubscribeCallback, callback?: ClientSubscribeCallback): this {
    const [opts, cb] = optionsAndCallback<IClientSubscribeOptions, ClientSubscribeCallback>('subscribe', options, callback);
    const done = this.subscribeAsync(topics, opts);
    if (cb) done.then((granted) => call(cb, null, granted), (e: MqttError) => call(cb, e, e.granted));
    else deliver(done, undefined, this, 'subscribe');
    return this;
  }

  /** subscribe() as a promise of what the broker granted. */
  subscribeAsync(topics: SubscribeTopics, options?: IClientSubscribeOptions): Promise<ISubscriptionGrant[]> {
    const messageId = this.#nextId();
    const done = this.#core.subscribe(topics, options);
    this.#packetSent(done, () => ({ cmd: 'subscribe', messageId, subscriptions: subscriptionsOf(topics, options) }));
    return done.then((granted) => {
      this.#received({ cmd: 'suback', messageId, granted: granted.map((g) => g.qos) });
      return granted;
    });
  }

  /** Unsubscribes; `callback(error, packet)` runs on UNSUBACK. Returns the
   *  client. */
  unsubscribe(topics: string | string[], callback?: PacketCallback): this;
  unsubscribe(topics: string | string[], options?: IClientUnsubscribeOptions, callback?: PacketCallback): this;
  unsubscribe(topics: string | string[], options?: IClientUnsubscribeOptions | PacketCallback, callback?: PacketCallback): this {
    const [opts, cb] = optionsAndCallback<IClientUnsubscribeOptions, PacketCallback>('unsubscribe', options, callback);
    deliver<Packet>(this.unsubscribeAsync(topics, opts), cb, this, 'unsubscribe');
    return this;
  }

  /** unsubscribe() as a promise of the UNSUBACK packet. */
  unsubscribeAsync(topics: string | string[], options?: IClientUnsubscribeOptions): Promise<Packet> {
    const messageId = this.#nextId();
    const done = this.#core.unsubscribe(topics, options);
    this.#packetSent(done, () => ({ cmd: 'unsubscribe', messageId, unsubscriptions: typeof topics === 'string' ? [topics] : [...topics] }));
    return done.then(() => this.#received({ cmd: 'unsuback', messageId } satisfies IAckPacket));
  }

  /** Ends the client: lets what is in progress finish, sends DISCONNECT and
   *  closes; with `force` closes at once. `options` are the 5.0
   *  DISCONNECT's, handed to the core client's end(). `callback` runs once
   *  ended, after the 'end' event. Returns the client. */
  end(force?: boolean | Record<string, unknown> | DoneCallback, options?: Record<string, unknown> | DoneCallback, callback?: DoneCallback): this {
    const [f, opts, cb] = endArguments(force, options, callback);
    deliver(this.#end(f, opts), cb, this, 'end');
    return this;
  }

  /** end() as a promise. */
  endAsync(force?: boolean | Record<string, unknown>, options?: Record<string, unknown>): Promise<void> {
    try {
      const [f, opts] = endArguments(force, options, undefined);
      return this.#end(f, opts);
    } catch (e) {
      return Promise.reject(e);
    }
  }

  /** Connects again: at once when waiting for the next attempt or
   *  stopped; connected or ending, it first ends (as end() does) and then
   *  connects a fresh core client with the same options, as it does once
   *  ended. Emits 'reconnect'. Returns the client. */
  reconnect(): this {
    if (this.#core.state !== 'waiting-reconnect') this.emit('reconnect');   // else the core client's attempt emits it
    if (this.disconnected) {
      this.#replace();
    } else if (this.connected || this.disconnecting) {
      this.disconnecting = true;
      this.#core.end().then(() => this.#replace(), () => this.#replace());
    } else {
      this.#start();
    }
    return this;
  }

  /** Gives up the QoS 1/2 publish `messageId` (this layer's id): its
   *  callback gets an MqttError ERR_ABORTED. Still in the offline queue it
   *  is never sent; once the connection has taken it, it goes on. Returns
   *  the client. */
  removeOutgoingMessage(messageId: number): this {
    this.#outgoing.get(messageId)?.abort(`removed by removeOutgoingMessage(${messageId})`);
    return this;
  }

  /** The message id of the last publish (QoS 1/2), subscribe or unsubscribe. */
  getLastMessageId(): number {
    return this.#lastId;
  }

  /** Ends the current core client; settles when it has ended. */
  #end(force: boolean, options: Record<string, unknown>): Promise<void> {
    if (this.disconnected || this.disconnecting) return Promise.resolve();
    const ended = this.#core.end({ ...options, force });
    this.disconnecting = true;
    this.reconnecting = false;
    const core = this.#core;
    if (!this.#started) ended.then(() => this.#ended(core), () => {});   // a client never started has no events; a refusal is the caller's
    return ended.catch((e: unknown) => {
      if ((e as MqttError).code === 'ERR_INVALID_ARG') this.disconnecting = false;   // refused before anything changed
      throw e;
    });
  }

  /** A fresh core client with the same options in place of the ended
   *  one, connecting. */
  #replace(): void {
    this.#core = this.#attach(new CoreClient(this.#coreOptions));
    this.disconnecting = this.disconnected = false;
    this.#start();
  }

  /** Tells the current core client to connect: it goes on trying until
   *  connected (options.retryFirstConnect), unless reconnectPeriod is 0. */
  #start(): void {
    this.#started = true;
    const core = this.#core;
    core.connect().catch((e: MqttError) => {
      // stopped for good, or only one attempt: that attempt's failure
      if (core === this.#core && e.code !== 'ERR_CLOSED' && e.code !== 'ERR_STATE') this.#attemptFailed(e);
    });
  }

  /** Listens to the core client `core`; its events count while it is the
   *  current one. */
  #attach(core: CoreClient): CoreClient {
    const current = () => core === this.#core;
    core.on('connect', (connack) => current() && this.#onConnect(connack));
    core.on('message', (topic, payload, packet) => current() && this.#onMessage(topic, payload, packet));
    core.on('error', (error) => current() && this.#onError(error));
    core.on('offline', () => current() && this.#onOffline());
    core.on('reconnect', () => current() && this.#onReconnect());
    core.on('pong', () => current() && this.#received({ cmd: 'pingresp' }));
    core.on('close', () => current() && this.#ended(core));
    return core;
  }

  #onConnect(connack: ConnackPacket): void {
    this.connected = true;
    this.reconnecting = false;
    const packet = connackPacket(connack);
    this.#received(packet);
    this.emit('connect', packet);
  }

  #onMessage(topic: string, payload: Buffer, message: MessagePacket): void {
    const packet = publishPacket(message);
    this.#received(packet);
    this.emit('message', topic, payload, packet);
  }

  /** A 5.0 DISCONNECT from the server is 'disconnect'; a failure while not
   *  connected is a failed attempt; the rest is 'error'. */
  #onError(error: MqttError): void {
    if (error.code === 'ERR_SERVER_DISCONNECT') {
      const packet: IDisconnectPacket = { cmd: 'disconnect', reasonCode: error.reasonCode ?? 0 };
      this.#received(packet);
      this.emit('disconnect', packet);
    } else if (!this.connected && error.code !== 'ERR_CLOSED') {
      this.#attemptFailed(error);
    } else {
      this.#emitError(error);
    }
  }

  /** An attempt failed: 'error', 'close', and 'offline' the first time
   *  while the core client goes on trying. */
  #attemptFailed(error: MqttError): void {
    this.#emitError(error);
    this.emit('close');
    this.#offline();
  }

  /** The connection was lost: 'close', then 'offline' unless ending. */
  #onOffline(): void {
    this.connected = false;
    this.emit('close');
    this.#offline();
  }

  /** 'offline' once per outage, while the core client is to try again. */
  #offline(): void {
    if (this.reconnecting || this.disconnecting || this.#core.state !== 'waiting-reconnect') return;
    this.reconnecting = true;
    this.emit('offline');
  }

  #onReconnect(): void {
    this.reconnecting = true;
    this.emit('reconnect');
  }

  /** The core client `core` has closed for good: 'close' if it was
   *  connected, then 'end'. */
  #ended(core: CoreClient): void {
    if (core !== this.#core || this.disconnected) return;
    if (this.connected) {
      this.connected = false;
      this.emit('close');
    }
    this.disconnecting = this.reconnecting = false;
    this.disconnected = true;
    this.emit('end');
  }

  #emitError(error: MqttError): void {
    if (this.listenerCount('error') > 0) this.emit('error', error);
  }

  /** 'packetreceive', when listened to; returns the packet. */
  #received<P extends Packet>(packet: P): P {
    if (this.listenerCount('packetreceive') > 0) this.emit('packetreceive', packet);
    return packet;
  }

  /** 'packetsend' for an operation the core client took (its promise did
   *  not fail at once), when listened to. */
  #packetSent(operation: Promise<unknown>, packet: () => Packet): void {
    if (this.listenerCount('packetsend') === 0) return;
    const taken = Symbol('taken');
    // an operation refused at once has rejected already, and loses the race
    Promise.race([operation, taken]).then(() => this.emit('packetsend', packet()), () => {});
  }

  /** The next message id, 1 to 65535, skipping those of publishes not yet
   *  acknowledged. */
  #nextId(): number {
    do this.#lastId = this.#lastId >= MAX_ID ? 1 : this.#lastId + 1;
    while (this.#outgoing.has(this.#lastId));
    return this.#lastId;
  }
}

/** The options and callback of a method that takes (options?, callback?)
 *  or (callback); anything else in their places is an MqttError naming it. */
function optionsAndCallback<O, C>(method: string, options: O | C | undefined, callback: C | undefined): [O | undefined, C | undefined] {
  if (typeof options === 'function') {
    if (callback !== undefined) throw argError(`${method}'s callback`, 'comes once: the options are a function already');
    return [undefined, options as C];
  }
  if (callback !== undefined && typeof callback !== 'function') throw argError(`${method}'s callback`, `must be a function, not ${describe(callback)}`);
  return [options as O | undefined, callback];
}

/** end()'s arguments as MQTT.js takes them: (force?, options?, callback?),
 *  each of them optional. */
function endArguments(force: unknown, options: unknown, callback: unknown): [boolean, Record<string, unknown>, DoneCallback | undefined] {
  const args = [force, options, callback].filter((a) => a !== undefined && a !== null);
  let i = 0;
  const f = typeof args[i] === 'boolean' ? args[i++] as boolean : false;
  const o = isPlainObject(args[i]) ? Object.fromEntries(readEntries('options', args[i++] as object)) : {};
  const cb = typeof args[i] === 'function' ? args[i++] as DoneCallback : undefined;
  if (i < args.length) throw argError('end\'s arguments', `must be (force?: boolean, options?: object, callback?: function), not ${describe(args[i])} in place ${i + 1}`);
  return [f, o, cb];
}

/** The own fields of an options object, each read once; an MqttError names
 *  one not in `known`. */
function readKnown(name: string, value: unknown, known: readonly string[]): Record<string, unknown> {
  if (value === undefined) return {};
  if (!isPlainObject(value)) throw argError(name, `must be an object, not ${describe(value)}`);
  const entries = readEntries(name, value);
  const unknown = entries.find(([k, v]) => v !== undefined && !known.includes(k));
  if (unknown) throw argError(`${name}.${unknown[0]}`, `is not an option here (the options are ${known.join(', ')})`);
  return Object.fromEntries(entries);
}

/** What a SUBSCRIBE asks for, for 'packetsend'. */
function subscriptionsOf(topics: SubscribeTopics, options: IClientSubscribeOptions | undefined): { topic: string; qos: number }[] {
  const qos = options?.qos ?? 0;
  if (typeof topics === 'string') return [{ topic: topics, qos }];
  if (isList(topics)) return topics.map((topic) => ({ topic, qos }));
  return Object.entries(topics).map(([topic, v]) => ({ topic, qos: typeof v === 'number' ? v : v.qos ?? 0 }));
}

/** Runs a user callback; what it throws is thrown again outside the
 *  promise chain, as an exception of MQTT.js's callbacks would be. */
function call<A extends unknown[]>(callback: (...args: A) => void, ...args: A): void {
  try {
    callback(...args);
  } catch (e) {
    process.nextTick(() => { throw e; });
  }
}

/** Settles an operation's callback: (undefined, value) or (error). With no
 *  callback a failure is the client's 'error' event, or a process warning
 *  when nobody listens: never dropped. */
function deliver<T>(operation: Promise<T>, callback: ((error?: Error, value?: T) => void) | undefined, client: MqttClient, what: string): void {
  operation.then(
    (value) => {
      if (callback && value === undefined) call(callback, undefined);   // end() and QoS 0: the error only, as in MQTT.js
      else if (callback) call(callback, undefined, value);
    },
    (error: MqttError) => {
      if (callback) call(callback, error);
      else if (client.listenerCount('error') > 0) client.emit('error', error);
      else warn(`${what} failed`, error);
    },
  );
}
