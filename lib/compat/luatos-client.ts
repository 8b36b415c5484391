// The LuatOS `mqttc` object that mqtt.create() returns: its methods over one
// core client, its events delivered to the one `on(cb)` callback on the Node
// event loop.
import { MqttClient, MqttError, type MessagePacket, type MqttClientOptions, type QoS, type ReconnectOptions } from '../index.js';
import {
  checkBool, checkFilter, checkInt, checkQos, checkString, checkTopic, isList, isPlainObject, readEntries, readList, toBuffer,
} from '../validate.js';
import {
  STATE_DISCONNECT, STATE_READY, connectFailure, luatosState, type LuatosEventArgs, type LuatosMetas,
} from './luatos-events.js';
import { retainFlag, trailing } from './luatos-zerynth-args.js';
import { runCallback } from './luatos-zerynth-callback.js';
import { MessageIds } from './luatos-zerynth-ids.js';

/** The `mqttc:on(cb)` callback: "参数包括mqtt_client, event, data, payload" and
 *  metas; what each event passes is LuatosEventArgs. */
export type LuatosCallback = (mqtt_client: LuatosClient, event: LuatosEventArgs[0], data?: string | number | boolean,
  payload?: string | number, metas?: LuatosMetas | MqttError) => void;

/** A payload: "string" or, as LuatOS's zbuff, bytes. */
export type LuatosPayload = string | Buffer | Uint8Array;

/** A retain flag: "0/1,默认0"; booleans are accepted too. */
export type LuatosRetain = 0 | 1 | boolean;

/** What mqtt.create() fixed: the server and its transport. */
export interface LuatosServer {
  host: string;
  port: number;
  /** TLS options (luatosTls) and maxPacketSize (rxSize) */
  transport: MqttClientOptions;
}

/** What auth(), keepalive() and will() set; read when a connection starts. */
interface Session {
  clientId: string;
  username: string;
  password: string;
  clean: boolean;
  keepalive: number;
  will?: MqttClientOptions['will'];
}

/** "自动重连周期 单位ms 默认3000ms"; LuatOS raises shorter periods to 1000 ms. */
const DEFAULT_RECONNECT_MS = 3000;
const MIN_RECONNECT_MS = 1000;

/** The LuatOS MQTT client ("mqttc"): MQTT 3.1.1 over TCP or TLS.
 *
 *  Calls that the original documents as returning nil or false when "底层返回失败"
 *  (the lower layer fails) do so here when the client cannot take them (not
 *  connected, closed); arguments of the wrong type or value (a wildcard
 *  topic, QoS 3) throw an MqttError naming the argument, as a Lua argument
 *  error would. */
export class LuatosClient {
  readonly #server: LuatosServer;
  #session: Session = { clientId: '', username: '', password: '', clean: true, keepalive: 240 };
  #callback: LuatosCallback | undefined;
  #debug = false;
  #reconnect = { enabled: false, ms: DEFAULT_RECONNECT_MS };
  /** the core client of the current connection; a new one after disconnect() */
  #core: MqttClient | undefined;
  /** a connection attempt of connect() is under way (its promise settles it) */
  #starting = false;
  /** an automatic attempt of the core client is under way (its 'reconnect'
   *  event; a 'connect' or 'error' event ends it) */
  #retrying = false;
  #closed = false;
  readonly #ids = new MessageIds();

  /** Use mqtt.create(). */
  constructor(server: LuatosServer) {
    this.#server = server;
  }

  /** `mqttc:auth(client_id, username, password, cleanSession)`: "mqtt三元组配置及
   *  cleanSession". All optional: no client id lets the server choose one
   *  ("服务器随机生成id, cleanSession不可配置", so the session is then clean);
   *  cleanSession defaults to true. Returns true. Takes effect when connect()
   *  next starts a connection (after create() or disconnect()); automatic
   *  reconnection restores a connection with the settings it had. */
  auth(...args: [client_id?: string, username?: string, password?: string, cleanSession?: boolean]
    | [options: { client_id?: string; username?: string; password?: string; cleanSession?: boolean }]): boolean {
    const o = trailing('auth', args, ['client_id', 'username', 'password', 'cleanSession']);
    const clientId = checkString('client_id', o.client_id ?? '');
    this.#session = {
      ...this.#session,
      clientId,
      username: checkString('username', o.username ?? ''),
      password: checkString('password', o.password ?? ''),
      clean: clientId === '' || checkBool('cleanSession', o.cleanSession ?? true),
    };
    return true;
  }

  /** `mqttc:keepalive(time)`: the keepalive in seconds, "默认240s. 最先15,最高600"
   *  (default 240, raised to 15, lowered to 600). Takes effect as auth() does. */
  keepalive(...args: [time?: number] | [options: { time?: number }]): void {
    const { time = 240 } = trailing('keepalive', args, ['time']);
    const seconds = checkInt('time', time, Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER);
    this.#session = { ...this.#session, keepalive: Math.min(600, Math.max(15, seconds)) };
  }

  /** `mqttc:will(topic, payload, qos, retain)`: the will message, "要在connect之前
   *  调用" (set it before connect()); qos and retain default to 0. Returns true,
   *  or false once the client is closed. */
  will(topic: string, payload: LuatosPayload, ...rest: [qos?: QoS, retain?: LuatosRetain]
    | [options: { qos?: QoS; retain?: LuatosRetain }]): boolean {
    const { qos = 0, retain = 0 } = trailing('will', rest, ['qos', 'retain']);
    const will = { topic: checkTopic('topic', topic), payload: toBuffer('payload', payload), qos: checkQos('qos', qos), retain: retainFlag('retain', retain) };
    if (this.#closed) return false;
    this.#session = { ...this.#session, will };
    return true;
  }

  /** `mqttc:on(cb)`: "注册mqtt回调", the one callback for every event (see
   *  LuatosEventArgs), replacing the previous one; anything but a function
   *  removes it. Callbacks run on the Node event loop; what one throws becomes
   *  a process warning. */
  on(cb: LuatosCallback | null | undefined): void {
    this.#callback = typeof cb === 'function' ? cb : undefined;
  }

  /** `mqttc:debug(onoff)`: "配置是否打开debug信息". On, every event is also
   *  logged with console.debug (the original logs its network adapter). */
  debug(onoff: boolean): void {
    this.#debug = checkBool('onoff', onoff);
  }

  /** `mqttc:autoreconn(reconnect, reconnect_time)`: reconnect automatically
   *  after a failed attempt or a lost connection, every reconnect_time ms
   *  ("默认3000ms"; LuatOS raises less than 1000 to 1000). A fixed period, as
   *  documented: the core client's reconnect policy with factor 1 and no
   *  jitter. Also on a live client: a new period applies from the next
   *  wait, and autoreconn(false) cancels a pending attempt. As every core
   *  client, it stops after a CONNACK refusing the client id, the
   *  credentials or the authorization (the same CONNECT would be refused
   *  again). Not after disconnect() or close(). */
  autoreconn(...args: [reconnect?: boolean, reconnect_time?: number]
    | [options: { reconnect?: boolean; reconnect_time?: number }]): void {
    const o = trailing('autoreconn', args, ['reconnect', 'reconnect_time']);
    const enabled = o.reconnect === undefined ? this.#reconnect.enabled : checkBool('reconnect', o.reconnect);
    const ms = checkInt('reconnect_time', o.reconnect_time ?? DEFAULT_RECONNECT_MS, 0, 2 ** 31 - 1);
    this.#reconnect = { enabled, ms: enabled ? Math.max(MIN_RECONNECT_MS, ms) : ms };
    this.#core?.setReconnect(this.#policy());
  }

  /** `mqttc:connect()`: starts connecting; "本函数仅代表发起成功, 后续仍需根据ready
   *  函数判断mqtt是否连接正常" (true means started: watch ready() or the
   *  conack event). False when closed, connected or already connecting.
   *  Failures come as an `error` event and a `disconnect` event; here that
   *  includes settings the engine refuses when it starts: a certificate the
   *  TLS layer cannot use (the original refuses it in create()), a password
   *  without a user name (ERR_PASSWORD). Throws for an rxSize the core client
   *  refuses (under 16; the error names options.maxPacketSize). */
  connect(): boolean {
    if (this.#closed || this.#starting || this.#retrying || this.#core?.connected) return false;
    this.#start(this.#core ?? this.#newCore());
    return true;
  }

  /** `mqttc:disconnect()`: "断开服务器连接(不会释放资源)": ends the connection
   *  (operations in flight finish first, then DISCONNECT) and keeps the client
   *  for another connect(). A `disconnect` event follows. True, or false once
   *  closed. */
  disconnect(): boolean {
    if (this.#closed) return false;
    const core = this.#core;
    this.#core = undefined;
    this.#starting = this.#retrying = false;
    if (core) void core.end();
    return true;
  }

  /** `mqttc:close()`: "关闭后资源释放无法再使用": disconnects for good; no
   *  callback runs afterwards. */
  close(): void {
    this.disconnect();
    this.#closed = true;
    this.#callback = undefined;
  }

  /** `mqttc:ready()`: whether the MQTT connection is up (CONNACK received). */
  ready(): boolean {
    return this.#core?.connected ?? false;
  }

  /** `mqttc:state()`: mqtt.STATE_DISCONNECT (0), STATE_SCONNECT (1),
   *  STATE_MQTT (2) or STATE_READY (3). The document also lists 4,
   *  MQTT_STATE_ERROR, which the LuatOS source never sets; nor does this. */
  state(): number {
    if (!this.#core) return STATE_DISCONNECT;
    return this.#core.connected ? STATE_READY : luatosState(this.#core.state, this.#starting);
  }

  /** `mqttc:publish(topic, data, qos, retain)`: returns the message id (1 to
   *  65,535 for QoS 1 and 2, 0 for QoS 0), which the `sent` event gives back:
   *  at once for QoS 0, on PUBACK for QoS 1, on PUBCOMP for QoS 2. nil
   *  (undefined) when not connected or connecting: as in LuatOS, nothing is
   *  queued for later ("没有缓存机制"). Unlike LuatOS ("没有重发机制"), a QoS 1 or
   *  2 message unacknowledged when the connection drops is sent again, once,
   *  when it is restored (with cleanSession false the broker keeps its side).
   *  A message that fails after this returns is an `error` event of kind
   *  `tx`. */
  publish(topic: string, data: LuatosPayload, ...rest: [qos?: QoS, retain?: LuatosRetain]
    | [options: { qos?: QoS; retain?: LuatosRetain }]): number | undefined {
    const o = trailing('publish', rest, ['qos', 'retain']);
    checkTopic('topic', topic);
    const payload = toBuffer('data', data);
    const qos = checkQos('qos', o.qos ?? 0);
    const retain = retainFlag('retain', o.retain ?? 0);
    const core = this.#operable();
    if (!core) return undefined;
    const id = qos > 0 ? this.#ids.next() : 0;
    core.publish(topic, payload, { qos, retain }).then(() => this.#emit('sent', id), (e: MqttError) => this.#failed(core, e));
    return id;
  }

  /** `mqttc:subscribe(topic, qos)`: one topic ("qos topic为string时生效 0/1/2
   *  默认0") or a table { [topic]: qos }. One SUBSCRIBE carries them all; a
   *  `suback` event follows for each topic. Returns the message id, or nil
   *  (undefined) when not connected or connecting. */
  subscribe(topic: string | Record<string, QoS>, ...rest: [qos?: QoS] | [options: { qos?: QoS }]): number | undefined {
    const { qos = 0 } = trailing('subscribe', rest, ['qos']);
    const entries = typeof topic === 'string' ? [[topic, checkQos('qos', qos)]] : isPlainObject(topic) ? readEntries('topic', topic) : [];
    if (entries.length === 0) throw new MqttError('ERR_INVALID_ARG', 'topic must be a string or a non-empty { [topic]: qos } table');
    const filters: Record<string, QoS> = Object.create(null);
    for (const [filter, q] of entries) {
      checkFilter('topic', filter);
      filters[filter as string] = checkQos(`topic['${String(filter)}']`, q ?? 0);
    }
    const core = this.#operable();
    if (!core) return undefined;
    const id = this.#ids.next();
    core.subscribe(filters).then(
      (granted) => granted.forEach((g) => this.#emit('suback', true, g.qos)),
      (e: MqttError) => {
        if (e.granted) e.granted.forEach((g) => this.#emit('suback', g.qos < 0x80, g.qos));
        else this.#failed(core, e);
      });
    return id;
  }

  /** `mqttc:unsubscribe(topic)`: one topic or a list; an `unsuback` event
   *  follows for each. Returns nothing, as documented. */
  unsubscribe(topic: string | string[]): void {
    const list = typeof topic === 'string' ? [topic] : isList(topic) ? readList('topic', topic) as string[] : [];
    if (list.length === 0) throw new MqttError('ERR_INVALID_ARG', 'topic must be a string or a non-empty list of strings');
    list.forEach((f, i) => checkFilter(`topic[${i}]`, f));
    const core = this.#operable();
    if (!core) return;
    core.unsubscribe(list).then(() => list.forEach(() => this.#emit('unsuback')), (e: MqttError) => this.#failed(core, e));
  }

  /** The core client if it can take an operation now: connected, or a
   *  connection attempt under way (the core queues it). */
  #operable(): MqttClient | undefined {
    if (this.#closed || !this.#core) return undefined;
    return this.#starting || this.#retrying || this.#core.connected ? this.#core : undefined;
  }

  /** A core client with the current settings and this client's listeners. */
  #newCore(): MqttClient {
    const s = this.#session;
    const core = new MqttClient({
      ...this.#server.transport,
      host: this.#server.host,
      port: this.#server.port,
      clientId: s.clientId,
      clean: s.clean,
      keepalive: s.keepalive,
      ...this.#policy(),
      driver: 'thread',     // as every embedded API (common-umqtt-pika-connection.ts)
      ...(s.username ? { username: s.username } : {}),
      ...(s.password ? { password: s.password } : {}),
      ...(s.will ? { will: s.will } : {}),
    });
    core.on('connect', () => {
      this.#retrying = false;
      this.#emit('conack');
    });
    core.on('message', (topic, payload, packet) => this.#emit('recv', topic, payload.toString(), metasOf(payload, packet)));
    core.on('pong', () => this.#emit('pong'));
    core.on('reconnect', () => {
      if (core === this.#core && !this.#starting) this.#retrying = true;   // not connect() starting it at once
    });
    core.on('error', (e) => {
      if (!this.#retrying) return this.#emit('error', 'other', 0, e);
      this.#retrying = false;   // the automatic attempt failed, as #start's do
      this.#emit(...connectFailure(e));
      this.#emit('disconnect');
    });
    core.on('offline', () => this.#emit('disconnect'));
    this.#core = core;
    return core;
  }

  /** One connection attempt of `core`; a failure is an `error` and a
   *  `disconnect` event, and with autoreconn the core client tries again
   *  later; an attempt disconnect() gave up is a `disconnect` event. */
  #start(core: MqttClient): void {
    this.#starting = true;
    core.connect().then(() => {
      if (core === this.#core) this.#starting = false;
    }, (e: MqttError) => {
      if (core !== this.#core) {   // disconnect() gave the attempt up
        this.#emit('disconnect');
        return;
      }
      this.#starting = false;
      this.#emit(...connectFailure(e));
      this.#emit('disconnect');
    });
  }

  /** autoreconn()'s setting as the core client's reconnect policy: every
   *  delay the period itself, or none. */
  #policy(): Required<ReconnectOptions> {
    const { enabled, ms } = this.#reconnect;
    return { reconnectPeriod: enabled ? ms : 0, reconnectMaxPeriod: ms, reconnectFactor: 1, reconnectResetAfter: 0, reconnectJitter: false };
  }

  /** An operation of `core` failed after its call returned: an `error` event
   *  of kind `tx`, unless disconnect() or close() gave the core up. */
  #failed(core: MqttClient, e: MqttError): void {
    if (core === this.#core) this.#emit('error', 'tx', 0, e);
  }

  #emit(...event: LuatosEventArgs): void {
    if (this.#debug) console.debug('[tinymqtt luatos]', ...event);
    const cb = this.#callback;
    if (cb) runCallback(`the mqttc:on callback (${event[0]})`, cb, this, ...event);
  }
}

/** The `metas` table of a received message. */
function metasOf(payload: Buffer, packet: MessagePacket): LuatosMetas {
  return { message_id: packet.messageId, qos: packet.qos, retain: packet.retain ? 1 : 0, dup: packet.dup ? 1 : 0, raw: payload };
}
