// The scenes of `tinymqtt demo`: the core API, then each embedded API,
// subscribing, publishing and receiving through the embedded broker, written
// as a script for that API would be. Every wait is bounded; every client is
// closed when its scene ends, whether it worked or not.
import { connect, type MqttClient } from '../index.js';
import { mqtt as luatos, type LuatosEventArgs } from '../compat/luatos.js';
import { MQTT } from '../compat/pika.js';
import { MQTTClient, type Bytes } from '../compat/umqtt.js';
import * as zerynth from '../compat/zerynth.js';
import type { Narrator } from './demo-narrator.js';
import type { EmbeddedBroker } from './embedded-broker.js';
import { EXIT } from './options.js';

/** The most any one step waits (a blocking call, an event, a message). */
export const STEP_MS = 5000;

/** What a scene gets: the broker and the narrator. */
export interface Stage { broker: EmbeddedBroker; say: Narrator }

/** `s` in single quotes, as the scenes print strings. */
export const quote = (s: string) => `'${s}'`;

/** A promise of what `arm` resolves, failing the demo after STEP_MS. */
export function within<T>(say: Narrator, what: string, arm: (resolve: (value: T) => void) => void): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(say.failure(`${what} did not happen within ${STEP_MS} ms`, EXIT.timeout)), STEP_MS);
    arm((value) => { clearTimeout(timer); resolve(value); });
  });
}

/** The core API: connect, subscribe, publish at QoS 0, 1 and 2, receive
 *  through messages(), end. */
export async function coreScene({ broker, say }: Stage): Promise<void> {
  say.section('core', 'Core API', "import { connect } from 'tinymqtt'");
  const client: MqttClient = await say.callAsync(`connect('${broker.url}')`, () => connect(broker.url, { clientId: 'demo-core' }),
    () => 'connected (CONNACK)');
  try {
    await say.callAsync("subscribe('demo/core/#', { qos: 2 })", () => client.subscribe('demo/core/#', { qos: 2 }),
      (g) => `granted QoS ${g[0].qos} (SUBACK)`);
    const inbox = say.call("messages('demo/core/#')", () => client.messages('demo/core/#', { signal: AbortSignal.timeout(STEP_MS) }),
      () => 'an async iterator of what arrives');
    const sent = ([0, 1, 2] as const).map((qos) => ({ topic: `demo/core/qos${qos}`, payload: `hello at QoS ${qos}`, qos }));
    const acknowledgement = ['accepted (QoS 0: no acknowledgement)', 'acknowledged (PUBACK)', 'completed (PUBREC, PUBREL, PUBCOMP)'];
    for (const m of sent) {
      await say.callAsync(`publish('${m.topic}', '${m.payload}', { qos: ${m.qos} })`, () => client.publish(m.topic, m.payload, { qos: m.qos }),
        () => acknowledgement[m.qos], true);
    }
    const expected = new Map(sent.map((m) => [m.topic, m]));
    try {
      for await (const m of inbox) {
        const want = expected.get(m.topic) ?? sent[0];
        say.received(`message ${m.topic} ${quote(m.payload.toString())} at QoS ${m.qos}`, { topic: m.topic, payload: m.payload.toString() }, want);
        expected.delete(m.topic);
        if (expected.size === 0) break;
      }
    } catch (e) {
      throw say.failure(`only ${sent.length - expected.size} of ${sent.length} messages arrived within ${STEP_MS} ms (${(e as Error).message})`, EXIT.timeout);
    }
    await say.callAsync('end()', () => client.end(), () => 'disconnected (DISCONNECT)');
  } finally {
    await client.end({ force: true });
  }
}

/** PikaPython's MQTT: blocking calls returning codes, a per-topic callback
 *  that runs on the event loop. */
export async function pikaScene({ broker, say }: Stage): Promise<void> {
  say.section('pika', 'PikaPython', "import { MQTT } from 'tinymqtt/pika'");
  const topic = 'demo/pika', payload = 'hello from PikaPython';
  const code = (what: string) => (c: number) => (c === 0 ? `0 (${what})` : String(c));
  const c = say.call(`c = new MQTT('${broker.host}', ${broker.port}, { clientID: 'demo-pika' })`,
    () => new MQTT(broker.host, broker.port, { clientID: 'demo-pika', timeout: STEP_MS }));
  const check = (what: string, returned: number) => {
    if (returned !== 0) throw say.failure(`${what} returned ${returned}, not 0`);
  };
  try {
    check('connect()', say.call('c.connect()', () => c.connect(), code('blocked until CONNACK')));
    let arrived!: (evt: { topic: string; msg: string }) => void;
    const message = within(say, `the callback of ${topic}`, (resolve: typeof arrived) => { arrived = resolve; });
    check('subscribe()', say.call(`c.subscribe('${topic}', sub_cb, 1)`, () => c.subscribe(topic, (evt) => arrived(evt), 1),
      code('blocked until SUBACK')));
    check('publish()', say.call(`c.publish('${topic}', '${payload}', 1)`, () => c.publish(topic, payload, 1), code('blocked until PUBACK'), true));
    say.note('(the callback runs once the script is back on the event loop)');
    const evt = await message;
    say.received(`sub_cb(evt): evt.topic ${quote(evt.topic)}, evt.msg ${quote(evt.msg)}`, { topic: evt.topic, payload: evt.msg }, { topic, payload });
    check('disconnect()', say.call('c.disconnect()', () => c.disconnect(), code('disconnected')));
  } finally {
    c.disconnect();
  }
}

/** umqtt's MQTTClient as a MicroPython (umqtt.simple) or a QuecPython script
 *  uses it: blocking calls, and wait_msg() running the callback. */
export function umqttScene({ broker, say }: Stage, flavour: 'MicroPython' | 'QuecPython'): void {
  const quec = flavour === 'QuecPython';
  say.section(flavour.toLowerCase(), quec ? 'QuecPython umqtt' : 'MicroPython umqtt.simple', "import { MQTTClient } from 'tinymqtt/umqtt'");
  const topic = `demo/${flavour.toLowerCase()}`, payload = `hello from ${flavour}`;
  const id = `demo-${flavour.toLowerCase()}`;
  const c = say.call(quec ? `c = new MQTTClient('${id}', '${broker.host}', ${broker.port}, { reconn: false })`
    : `c = new MQTTClient('${id}', '${broker.host}', ${broker.port})`,
  () => new MQTTClient(id, broker.host, { port: broker.port, timeout: STEP_MS, ...(quec ? { reconn: false } : {}) }));
  let got: { topic: string; payload: string } | undefined;
  try {
    say.call('c.set_callback(sub_cb)', () => c.set_callback((t: Bytes, m: Bytes) => {
      got = { topic: t.decode(), payload: m.decode() };
      say.received(`sub_cb(topic, msg): topic ${quote(got.topic)}, msg ${quote(got.payload)}`, got, { topic, payload });
    }));
    if (quec) say.call('c.error_register_cb(err_cb)', () => c.error_register_cb((text) => say.event(`err_cb: ${text}`)));
    say.call('c.connect()', () => c.connect(), (r) => `${r} (blocked until CONNACK)`);
    if (quec) say.call('c.get_mqttsta()', () => c.get_mqttsta(), (s) => `${s} (connected)`);
    say.call(`c.subscribe('${topic}', 1)`, () => c.subscribe(topic, 1), () => 'blocked until SUBACK');
    say.call(`c.publish('${topic}', '${payload}', false, 1)`, () => c.publish(topic, payload, false, 1), () => 'blocked until PUBACK', true);
    // wait_msg() has no time limit, as on the device: should the message not
    // come, the broker sends the client a stand-in that ends the wait (and fails the check)
    const standIn = `nothing arrived within ${STEP_MS} ms`;
    const cancel = broker.sendLater(id, topic, standIn, STEP_MS);
    try {
      say.call('c.wait_msg()', () => c.wait_msg(), () => 'blocked until the message came, ran sub_cb');
    } finally {
      cancel();
    }
    if (!got) throw say.failure('wait_msg() returned without calling sub_cb');
    if (got.payload === standIn) throw say.failure(`wait_msg(): ${standIn}`, EXIT.timeout);
    say.call('c.disconnect()', () => c.disconnect(), () => 'disconnected (DISCONNECT)');
    if (quec) say.call('c.get_mqttsta()', () => c.get_mqttsta(), (s) => `${s} (not connected)`);
  } finally {
    c.close();
  }
}

/** LuatOS's mqttc: calls return at once; one callback gets every event. */
export async function luatosScene({ broker, say }: Stage): Promise<void> {
  say.section('luatos', 'LuatOS', "import { mqtt } from 'tinymqtt/luatos'");
  const topic = 'demo/luatos', payload = 'hello from LuatOS';
  const mqttc = say.call(`mqttc = mqtt.create(null, '${broker.host}', ${broker.port})`, () => luatos.create(null, broker.host, broker.port));
  try {
    const waiting = new Map<string, (args: LuatosEventArgs) => void>();
    const next = (event: string) => within(say, `the '${event}' event`, (resolve: (args: LuatosEventArgs) => void) => { waiting.set(event, resolve); });
    say.call("mqttc.auth('demo-luatos')", () => mqttc.auth('demo-luatos'), String);
    say.call('mqttc.on(callback)', () => mqttc.on((_client, ...args) => {
      const event = args as LuatosEventArgs;
      if (event[0] === 'recv') say.received(`callback: recv ${quote(event[1])} ${quote(event[2])} qos ${event[3].qos}`, { topic: event[1], payload: event[2] }, { topic, payload });
      else say.event(`callback: ${event.slice(0, 3).map((a) => (typeof a === 'string' && a !== event[0] ? quote(a) : String(a))).join(' ')}`);
      waiting.get(event[0])?.(event);
      waiting.delete(event[0]);
    }));
    const conack = next('conack');
    say.call('mqttc.connect()', () => mqttc.connect(), (ok) => `${ok} (connecting)`);
    await conack;
    const suback = next('suback');
    say.call(`mqttc.subscribe('${topic}', 1)`, () => mqttc.subscribe(topic, 1), (id) => `${id} (message id)`);
    const granted = await suback;
    if (granted[1] !== true) throw say.failure(`the broker refused the subscription (${granted[2]})`);
    const sent = next('sent'), recv = next('recv');
    say.call(`mqttc.publish('${topic}', '${payload}', 1)`, () => mqttc.publish(topic, payload, 1), (id) => `${id} (message id)`, true);
    await Promise.all([sent, recv]);
    const closed = next('disconnect');
    say.call('mqttc.disconnect()', () => mqttc.disconnect(), String);
    await closed;
  } finally {
    mqttc.close();
  }
}

/** Zerynth's Client: a blocking connect, then callbacks per command once
 *  loop() runs. */
export async function zerynthScene({ broker, say }: Stage): Promise<void> {
  say.section('zerynth', 'Zerynth', "import * as mqtt from 'tinymqtt/zerynth'");
  const topic = 'demo/zerynth', payload = 'hello from Zerynth';
  const client = say.call("client = new mqtt.Client('demo-zerynth', true)", () => new zerynth.Client('demo-zerynth', true));
  let connected = false;
  try {
    const keepalive = STEP_MS / 1000;
    say.call(`client.connect('${broker.host}', ${keepalive}, ${broker.port})`, () => client.connect(broker.host, keepalive, broker.port),
      () => 'blocked until CONNACK');
    connected = true;
    const suback = within(say, 'the SUBACK callback', (resolve: (d: zerynth.ZerynthData) => void) => {
      client.on(zerynth.SUBACK, (_c, data) => { say.event(`SUBACK callback: mid ${data.mid}, granted_qos ${data.granted_qos}`); resolve(data); });
    });
    const puback = within(say, 'the PUBACK callback', (resolve: (d: zerynth.ZerynthData) => void) => {
      client.on(zerynth.PUBACK, (_c, data) => { say.event(`PUBACK callback: mid ${data.mid}`); resolve(data); });
    });
    const message = within(say, 'the message callback', (resolve: (m: zerynth.MQTTMessage) => void) => {
      say.call('client.loop(on_message)', () => client.loop((_c, data) => {
        const m = data.message!;
        say.received(`on_message: message.topic ${quote(m.topic)}, message.payload ${quote(m.payload)}, qos ${m.qos}`,
          { topic: m.topic, payload: m.payload }, { topic, payload });
        resolve(m);
      }), () => 'callbacks run from now on');
    });
    say.call(`client.subscribe([['${topic}', 1]])`, () => client.subscribe([[topic, 1]]), () => 'returned at once');
    await suback;
    say.call(`client.publish('${topic}', '${payload}', 1)`, () => client.publish(topic, payload, 1), (mid) => `${mid} (mid)`, true);
    await Promise.all([puback, message]);
    say.call('client.disconnect()', () => client.disconnect(), () => 'DISCONNECT once in-flight messages are done');
    connected = false;
  } finally {
    if (connected) client.disconnect();
  }
}
