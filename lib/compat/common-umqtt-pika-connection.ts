// The core client behind a synchronous embedded API object (umqtt's
// MQTTClient, PikaPython's MQTT): a new one for each connect(), the layer's
// listeners on it before it connects, blocking operations that give up when
// the connection is lost, and the queue of messages waiting to be handed to
// the application's callbacks.
import { MqttClient, MqttError, type MqttClientOptions } from '../index.js';

/** How long a blocking call waits by default (connect, and an operation's
 *  acknowledgement), in ms. */
export const DEFAULT_TIMEOUT_MS = 10_000;

/** What the layer over a BlockingConnection is told. */
export interface ConnectionHooks {
  /** puts the layer's listeners on a new core client, before it connects
   *  (so nothing that arrives with the CONNACK is missed) */
  attach(client: MqttClient): void;
  /** the live connection was lost (not ended by close()); called inside the
   *  core client's event listener, so it must not block */
  lost?(error: MqttError): void;
}

/** The embedded APIs run on the engine loop thread driver: their scripts
 *  block the JS thread between calls, and the loop thread keeps keepalive
 *  and acknowledgements going meanwhile (and a broker in the same process,
 *  which a blocking call on its thread would stop, can still answer). */
const onLoopThread = (options: MqttClientOptions): MqttClientOptions => ({ ...options, driver: 'thread' });

/** One core client at a time, connected and ended synchronously. */
export class BlockingConnection {
  #client: MqttClient;
  #live = false;
  #lost: MqttError | undefined;
  #lastError: MqttError | undefined;
  /** the blocking operation to abort if the connection is lost meanwhile */
  #blocking: AbortController | undefined;

  /** Checks `options` as the core client does (throws its MqttError). */
  constructor(options: MqttClientOptions, private readonly hooks: ConnectionHooks) {
    this.#client = new MqttClient(onLoopThread(options));
  }

  /** The core client of the current connection, or, before the first
   *  connect, the one the next connect would use. */
  get client(): MqttClient {
    return this.#client;
  }

  /** Whether open() succeeded and close() has not been called since (the
   *  connection may have been lost meanwhile: see lost). */
  get live(): boolean {
    return this.#live;
  }

  /** Why the live connection was lost, until it is back (an automatic
   *  reconnect) or replaced. */
  get lost(): MqttError | undefined {
    return this.#lost;
  }

  /** Checks `options` as the core client does (throws its MqttError); while
   *  not live, `client` becomes a client built from them. */
  configure(options: MqttClientOptions): void {
    const next = new MqttClient(onLoopThread(options));
    if (!this.#live) this.#client = next;
  }

  /** Connects a new core client built from `options`, blocking the calling
   *  thread until CONNACK or failure (the core client's connectTimeout bounds
   *  it). The current one is closed at once first, as a device that opens a
   *  new socket abandons the old one. Throws the core client's MqttError. */
  open(options: MqttClientOptions): void {
    const client = new MqttClient(onLoopThread(options));
    this.#retire();
    this.#client = client;
    this.#lost = undefined;
    this.#lastError = undefined;
    this.#watch(client);
    this.hooks.attach(client);
    try {
      client.connectSync();
    } catch (e) {
      void client.end({ force: true });
      throw e;
    }
    this.#live = true;
  }

  /** Ends the connection: `graceful` and connected, it lets what is in
   *  progress finish and sends DISCONNECT, waiting at most `ms` (then it
   *  closes at once); otherwise it closes at once (no DISCONNECT: the broker
   *  publishes the will). Returns whether a connection was up. */
  close(graceful: boolean, ms: number): boolean {
    const client = this.#client;
    const wasConnected = this.#live && client.connected;
    this.#live = false;
    if (graceful && wasConnected) {
      try {
        client.awaitSync(client.end(), ms);
      } catch (e) {
        if ((e as MqttError).code !== 'ERR_TIMEOUT') throw e;   // then closed at once below
      }
    }
    this.#retire();
    return wasConnected;
  }

  /** Runs one operation of the live core client and blocks the calling
   *  thread until it settles, for at most `ms`; returns its value or throws
   *  its MqttError (ERR_TIMEOUT when the time is up: the operation is then
   *  abandoned, though what was handed to the engine may still be sent).
   *  With `failOnLoss`, a connection lost meanwhile fails it at once with the
   *  loss's error rather than leaving it to wait for a reconnect.
   *  ERR_NOT_CONNECTED when not live. */
  block<T>(operation: (client: MqttClient, signal: AbortSignal) => Promise<T>, ms: number, failOnLoss: boolean): T {
    if (!this.#live) throw new MqttError('ERR_NOT_CONNECTED', 'not connected: call connect() first');
    const client = this.#client;
    const controller = new AbortController();
    if (failOnLoss) this.#blocking = controller;
    try {
      return client.awaitSync(operation(client, controller.signal), ms);
    } catch (e) {
      if (controller.signal.aborted && this.#lost) throw this.#lost;
      // given up on: a graceful close() does not wait for it either
      if ((e as MqttError).code === 'ERR_TIMEOUT') controller.abort();
      throw e;
    } finally {
      if (this.#blocking === controller) this.#blocking = undefined;
    }
  }

  /** Follows the connection of `client` while it is the current one. */
  #watch(client: MqttClient): void {
    client.on('error', (e) => {
      if (client === this.#client) this.#lastError = e;
    });
    client.on('offline', () => {
      if (client !== this.#client || !this.#live) return;
      // a lost connection always reports its error just before 'offline'
      this.#lost = this.#lastError ?? new MqttError('ERR_CLOSED', 'the connection was lost');
      this.#blocking?.abort();
      this.hooks.lost?.(this.#lost);
    });
    client.on('connect', () => {
      this.#lost = undefined;
      this.#lastError = undefined;
    });
  }

  /** Closes the current core client at once and stops listening to it. */
  #retire(): void {
    this.#live = false;
    this.#client.removeAllListeners();
    void this.#client.end({ force: true });
  }
}

/** A function that runs `task` on the next turn of the event loop (outside
 *  any event listener, so `task` may call blocking methods), once however
 *  often it is called before then. */
export function onNextTurn(task: () => void): () => void {
  let scheduled = false;
  return () => {
    if (scheduled) return;
    scheduled = true;
    setImmediate(() => {
      scheduled = false;
      task();
    });
  };
}

/** How many messages an Inbox keeps by default. */
export const INBOX_LIMIT = 10_000;

/** Messages that arrived and wait for the synchronous API to hand them to
 *  the application, oldest first, at most `limit` of them: past it a message
 *  is counted, not kept, and the layer reports the count (memory stays
 *  bounded when the application does not collect its messages). */
export class Inbox<T> {
  #items: T[] = [];
  #head = 0;
  #dropped = 0;

  constructor(readonly limit = INBOX_LIMIT) {}

  /** How many messages wait. */
  get length(): number {
    return this.#items.length - this.#head;
  }

  /** Adds a message, or counts it when `limit` are waiting. */
  push(item: T): void {
    if (this.length >= this.limit) this.#dropped++;
    else this.#items.push(item);
  }

  /** The oldest message, removed; undefined when there is none. */
  shift(): T | undefined {
    if (this.#head >= this.#items.length) return undefined;
    const item = this.#items[this.#head];
    this.#items[this.#head++] = undefined as T;   // not kept alive by the queue
    if (this.#head === this.#items.length) {
      this.#items = [];
      this.#head = 0;
    }
    return item;
  }

  /** How many messages were not kept since the last call. */
  takeDropped(): number {
    const n = this.#dropped;
    this.#dropped = 0;
    return n;
  }
}
