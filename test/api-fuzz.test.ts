// A seeded, bounded fuzz of the public API against a real mosquitto: tens of
// thousands of calls of the core client, the four embedded APIs and MQTT.js's with wrong
// types, huge and invalid values (null-prototype objects, throwing getters,
// proxies, symbols, bigints, NaN, huge strings and buffers, look-alike and
// aborted signals). Every call must return, or fail with an MqttError (thrown,
// rejected, or handed to its callback or the 'error' event); none
// may crash the process, leave a rejection unhandled or hang; and afterwards
// the connections are still up and the QoS 1 messages queued and published
// before the fuzz have all arrived. FUZZ_SEED=n repeats a run.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, MqttClient, MqttError } from '../lib/index.js';
import { mqtt } from '../lib/compat/luatos.js';
import mqttjs from '../lib/compat/mqtt.js';
import { MQTT } from '../lib/compat/pika.js';
import { MQTTClient } from '../lib/compat/umqtt.js';
import { Client as ZerynthClient, PUBLISH } from '../lib/compat/zerynth.js';
import { pollUntil } from './support/events.js';
import { startMosquitto, type Broker } from './support/mosquitto.js';

let broker: Broker;
beforeAll(async () => { broker = await startMosquitto(); });
afterAll(async () => { await broker?.stop(); });

const CALLS = Number(process.env.FUZZ_CALLS ?? 30_000);
/** Messages queued for the fuzzed client's kept session, and published by it, before the fuzz. */
const BEFORE = 50;
/** A call that takes longer than this is a hang. */
const HANG_MS = 3000;

/** mulberry32: a small seeded generator of numbers in [0, 1). */
function generator(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** An object with `fields`, made with Object.create(null). */
const bare = (fields: Record<string, unknown> = {}) => Object.assign(Object.create(null) as object, fields);

/** An object whose every property read throws (a getter on each `keys`). */
function throwingGetters(keys: string[]): object {
  const o = {};
  for (const k of keys) Object.defineProperty(o, k, { enumerable: true, get() { throw new Error(`getter ${k}`); } });
  return o;
}

const OPTION_KEYS = ['signal', 'qos', 'retain', 'properties', 'force', 'highWaterMark', 'nl', 'rap', 'rh', 'port', 'host',
  'will', 'clean', 'clientId', 'protocolVersion', 'keepalive', 'user', 'password', 'rxSize', 'ipv6', 'time', 'clean_session'];

/** Signals of every odd kind, made fresh for each use. */
function weirdSignals(): unknown[] {
  const aborted = new AbortController();
  aborted.abort();
  const nullReason = new AbortController();
  nullReason.abort(bare());
  const symbolReason = new AbortController();
  symbolReason.abort(Symbol('why'));
  const throwingReason = new AbortController();
  throwingReason.abort(throwingGetters(['message', 'name', 'stack']));
  const ownGetter = new AbortController().signal;
  Object.defineProperty(ownGetter, 'aborted', { get() { throw new Error('aborted getter'); } });
  Object.defineProperty(ownGetter, 'addEventListener', { value: () => { throw new Error('addEventListener'); } });
  const later = new AbortController();
  setTimeout(() => later.abort(bare()), 1);
  return [
    5, {}, null, 'signal', bare(), aborted.signal, nullReason.signal, symbolReason.signal, throwingReason.signal, ownGetter,
    later.signal, new AbortController().signal, { aborted: false, addEventListener() {}, removeEventListener() {} },
    new Proxy(new AbortController().signal, {}), new EventTarget(), AbortSignal.timeout(1),
  ];
}

/** The values the fuzz draws from. */
function pool(): unknown[] {
  const revocable = Proxy.revocable({}, {});
  revocable.revoke();
  return [
    undefined, null, 0, -0, 1, 2, 3, -1, 0.5, NaN, Infinity, -Infinity, 2 ** 31, 2 ** 53, Number.MAX_VALUE, 65535, 65536,
    true, false, 0n, 1n, -(2n ** 70n), Symbol('fuzz'), Symbol.iterator,
    '', 'a', 'fuzz/t', 'fuzz/+', 'fuzz/#', '#', '+', '$SYS/x', 'a//b', 'a/#/b', '\u0000', 'a\uD800', 'é/ü', '3.1.1', '3.1',
    'mqtt://127.0.0.1:1', 'x'.repeat(65536), 'y'.repeat(300_000),
    {}, [], ['fuzz/a'], [1], [undefined], [Symbol('x')], ['fuzz/a', 1], bare(), bare({ qos: 1 }), bare({ signal: 5 }),
    bare({ properties: bare() }), throwingGetters(OPTION_KEYS), { qos: 3 }, { qos: '1' }, { qos: 1n }, { qos: NaN },
    { retain: 1 }, { properties: {} }, { properties: bare({ contentType: bare() }) }, { properties: throwingGetters(['contentType']) },
    { properties: { userProperties: bare({ a: bare() }) } }, { properties: { contentType: Symbol('c') } },
    { signal: {} }, { signal: 5 }, { signal: null }, { highWaterMark: -1 }, { highWaterMark: 1n }, { force: 'yes' }, { force: bare() },
    { 'fuzz/t': bare() }, { 'fuzz/t': 3 }, { 'fuzz/t': throwingGetters(['qos']) }, throwingGetters(['fuzz/t']),
    { toString() { throw new Error('toString'); } }, { [Symbol.toPrimitive]() { throw new Error('toPrimitive'); } },
    new Date(NaN), /re/, new Map(), new Set([1]), Promise.resolve(1), () => {}, new Error('e'),
    Buffer.alloc(0), Buffer.from('fuzz'), Buffer.alloc(70_000), Buffer.alloc(3 << 20), new Uint8Array(4), new Uint16Array(2),
    new ArrayBuffer(8), new Proxy({}, { get() { throw new Error('trap'); }, ownKeys() { throw new Error('trap'); } }),
    new Proxy({}, {}), revocable.proxy, Object.freeze({}),
  ];
}

interface Finding { call: string; what: string }

describe('the public API under fuzzing', () => {
  it(`takes ${CALLS} calls of wrong, huge and hostile values: only MqttErrors, no crash, no hang, nothing lost`, async () => {
    const seed = Number(process.env.FUZZ_SEED ?? Math.floor(Math.random() * 2 ** 32));
    const random = generator(seed);
    const values = pool();
    const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)];
    const value = () => (random() < 0.1 ? pick(weirdSignals()) : pick(values));
    const args = (n = Math.floor(random() * 5)) => Array.from({ length: n }, value);
    const findings: Finding[] = [];
    const pending = new Set<Promise<unknown>>();
    const unhandled = (e: unknown) => findings.push({ call: '(process)', what: `unhandled: ${String(e)}` });
    process.on('unhandledRejection', unhandled);
    process.on('uncaughtException', unhandled);

    const url = `mqtt://127.0.0.1:${broker.port}`;
    const host = '127.0.0.1';
    const port = broker.port;
    // the fuzzed core client: a kept session with BEFORE messages queued while away
    const first = await connect(url, { clientId: 'fuzz-core', clean: false });
    await first.subscribe('fuzz/pre/#', { qos: 1 });
    await first.end();
    const peer = await connect(url, { clientId: 'fuzz-peer' });
    await peer.subscribe('fuzz/out/#', { qos: 1 });
    const outs: string[] = [];
    peer.on('message', (topic) => { if (topic.startsWith('fuzz/out/')) outs.push(topic); });
    for (let k = 0; k < BEFORE; k++) await peer.publish(`fuzz/pre/${k}`, `${k}`, { qos: 1 });
    const core = await connect(url, { clientId: 'fuzz-core', clean: false });
    const pre: string[] = [];
    core.on('message', (topic) => { if (topic.startsWith('fuzz/pre/')) pre.push(topic); });
    core.on('error', () => { /* reported, and counted by the final checks */ });
    const published = Array.from({ length: BEFORE }, (_, k) => core.publish(`fuzz/out/${k}`, 'x', { qos: 1 }));

    const umqtt = new MQTTClient('fuzz-umqtt', host, { port });
    umqtt.connect();
    umqtt.set_callback(() => {});
    const pika = new MQTT(host, { port, clientID: 'fuzz-pika' });
    expect(pika.connect()).toBe(0);
    const luatos = mqtt.create(null, host, port);
    luatos.auth('fuzz-luatos');
    luatos.connect();
    const zerynth = new ZerynthClient('fuzz-zerynth');
    zerynth.connect(host, 60, port);
    zerynth.on(PUBLISH, () => {});
    zerynth.loop();
    expect(await pollUntil(() => luatos.ready(), 3000)).toBe(true);
    const mq = mqttjs.connect(url, { clientId: 'fuzz-mqttjs' });
    mq.on('error', (e) => judge('mqttjs error event', e));
    expect(await pollUntil(() => mq.connected, 3000)).toBe(true);
    /** A callback for the MQTT.js layer that judges the error it gets. */
    const mqCallback = (name: string) => pick([undefined, value(), (e?: unknown) => { if (e) judge(`${name} callback`, e); }]);

    /** A time limit for a blocking call: a fuzzed value, but at most 50 ms
     *  (a valid long wait is not a hang). */
    const shortWait = () => {
      const v = value();
      return (typeof v === 'number' && v > 50 ? 50 : v) as number;
    };
    const iterators: AsyncIterableIterator<unknown>[] = [];
    const spare = () => new MqttClient({ host, port, reconnectPeriod: 0 });
    /** The targets: a name and a call with fuzzed arguments. Calls that
     *  would end or replace a fuzzed connection with valid arguments
     *  (end(), disconnect(), connect() of the embedded APIs) are not made. */
    const targets: Array<[string, () => unknown]> = [
      ['MqttClient()', () => new MqttClient(value() as never)],
      ['connect(url, options)', () => connect(pick([url, value()]) as string, value() as never).then((c) => c.end({ force: true }))],
      ['core.connect', () => core.connect(value() as never)],
      ['core.publish', () => core.publish(pick(['fuzz/t', value()]) as string, pick(['p', value()]) as string, value() as never)],
      ['core.subscribe', () => core.subscribe(pick(['fuzz/t', value()]) as string, value() as never)],
      ['core.unsubscribe', () => core.unsubscribe(pick(['fuzz/t', value()]) as string, value() as never)],
      ['core.ping', () => core.ping(value() as never)],
      ['core.messages', () => { iterators.push(core.messages(pick([undefined, 'fuzz/t', value()]) as string, value() as never)); }],
      ['core.waitSync', () => core.waitSync(shortWait(), pick([undefined, () => true, value()]) as never)],
      ['core.awaitSync', () => core.awaitSync(pick([value(), core.ping()]) as never, shortWait())],
      ['spare.end', () => spare().end(value() as never)],
      ['umqtt MQTTClient()', () => new MQTTClient(value() as never, value() as never, ...(args() as []))],
      ['umqtt.publish', () => umqtt.publish(pick(['fuzz/t', value()]) as string, value() as never, ...(args(2) as []))],
      ['umqtt.subscribe', () => umqtt.subscribe(pick(['fuzz/t', value()]) as string, ...(args(2) as []))],
      ['umqtt.set_callback', () => umqtt.set_callback(pick([() => {}, value()]) as never)],
      ['umqtt.set_last_will', () => umqtt.set_last_will(value() as never, value() as never, ...(args(2) as []))],
      ['umqtt.check_msg', () => umqtt.check_msg()],
      ['pika MQTT()', () => new MQTT(value() as never, ...(args() as []))],
      ['pika setters', () => (pika as unknown as Record<string, (v: unknown) => unknown>)[pick(['setClientID', 'setUsername',
        'setPassword', 'setVersion', 'setCa', 'setKeepAlive', 'setDisconnectHandler'])](value())],
      ['pika.setWill', () => pika.setWill(value() as never, value() as never, ...(args(2) as []))],
      ['pika.publish', () => pika.publish(pick(['fuzz/t', value()]) as string, value() as never, ...(args(2) as []))],
      ['pika.subscribe', () => pika.subscribe(pick(['fuzz/t', value()]) as string, pick([() => {}, value()]) as never, ...(args(1) as []))],
      ['pika.unsubscribe', () => pika.unsubscribe(pick(['fuzz/t', value()]) as string)],
      ['luatos mqtt.create', () => mqtt.create(value() as never, pick([host, value()]) as string, pick([port, value()]) as number, value() as never, value() as never)],
      ['luatos.auth', () => luatos.auth(...(args() as []))],
      ['luatos.keepalive', () => luatos.keepalive(...(args(1) as []))],
      ['luatos.will', () => luatos.will(value() as never, value() as never, ...(args(2) as []))],
      ['luatos.on', () => luatos.on(pick([() => {}, value()]) as never)],
      ['luatos.debug', () => { const v = value(); if (v !== true && v !== 1) luatos.debug(v as never); }],
      ['luatos.autoreconn', () => luatos.autoreconn(...(args(2) as []))],
      ['luatos.publish', () => luatos.publish(pick(['fuzz/t', value()]) as string, value() as never, ...(args(2) as []))],
      ['luatos.subscribe', () => luatos.subscribe(pick(['fuzz/t', value()]) as string, ...(args(1) as []))],
      ['luatos.unsubscribe', () => luatos.unsubscribe(pick(['fuzz/t', value()]) as string)],
      ['zerynth Client()', () => new ZerynthClient(value() as never, ...(args(1) as []))],
      ['zerynth.on', () => zerynth.on(value() as never, pick([() => {}, value()]) as never, value() as never, value() as never)],
      ['zerynth.set_will', () => zerynth.set_will(value() as never, value() as never, value() as never, value() as never)],
      ['zerynth.set_username_pw', () => zerynth.set_username_pw(value() as never, value() as never)],
      ['zerynth.publish', () => zerynth.publish(pick(['fuzz/t', value()]) as string, value() as never, ...(args(2) as []))],
      ['zerynth.subscribe', () => zerynth.subscribe(pick([[['fuzz/t', 1]], [[value(), value()]], value()]) as never)],
      ['zerynth.unsubscribe', () => zerynth.unsubscribe(pick([['fuzz/t'], [value()], value()]) as never)],
      ['mqttjs connect()', () => mqttjs.connect(pick([url, value()]) as never, value() as never).on('error', () => {}).end(true)],
      ['mqttjs.publish', () => mq.publish(pick(['fuzz/t', value()]) as string, pick(['p', value()]) as string, value() as never, mqCallback('mqttjs.publish') as never)],
      ['mqttjs.publishAsync', () => mq.publishAsync(pick(['fuzz/t', value()]) as string, pick(['p', value()]) as string, value() as never)],
      ['mqttjs.subscribe', () => mq.subscribe(pick(['fuzz/t', value()]) as string, value() as never, mqCallback('mqttjs.subscribe') as never)],
      ['mqttjs.subscribeAsync', () => mq.subscribeAsync(pick(['fuzz/t', value()]) as string, value() as never)],
      ['mqttjs.unsubscribe', () => mq.unsubscribe(pick(['fuzz/t', value()]) as string, value() as never, mqCallback('mqttjs.unsubscribe') as never)],
      ['mqttjs.unsubscribeAsync', () => mq.unsubscribeAsync(pick(['fuzz/t', value()]) as string, value() as never)],
      ['mqttjs.removeOutgoingMessage', () => mq.removeOutgoingMessage(pick([mq.getLastMessageId(), value()]) as number)],
      ['mqttjs spare end()', () => mqttjs.connect(url, { manualConnect: true }).end(value() as never, value() as never, mqCallback('mqttjs end') as never)],
    ];

    /** Records a failure that is not an MqttError. */
    const judge = (call: string, e: unknown) => {
      if (!(e instanceof MqttError)) findings.push({ call, what: e instanceof Error ? `${e.name}: ${e.message}` : typeof e });
    };
    const started = performance.now();
    for (let n = 0; n < CALLS; n++) {
      const [name, call] = pick(targets);
      const t0 = performance.now();
      try {
        const result = call();
        if (result instanceof Promise) {
          const settled = result.then(() => {}, (e: unknown) => judge(name, e)).finally(() => pending.delete(settled));
          pending.add(settled);
        }
      } catch (e) {
        judge(name, e);
      }
      if (performance.now() - t0 > HANG_MS) findings.push({ call: name, what: `took ${Math.round(performance.now() - t0)} ms` });
      if (n % 200 === 199) await new Promise((resolve) => setImmediate(resolve));
    }
    for (const it of iterators) void it.return?.();
    const hung = await Promise.race([
      Promise.all(pending).then(() => 0),
      new Promise<number>((resolve) => setTimeout(() => resolve(pending.size), 10_000)),
    ]);
    if (hung > 0) findings.push({ call: '(promises)', what: `${hung} never settled` });
    const ms = Math.round(performance.now() - started);
    process.off('unhandledRejection', unhandled);
    process.off('uncaughtException', unhandled);
    console.log(`api fuzz: seed ${seed}, ${CALLS} calls in ${ms} ms, ${findings.length} findings`);
    for (const f of findings.slice(0, 20)) console.log(`  ${f.call}: ${f.what}`);

    // the connections are up and nothing from before the fuzz was lost
    await Promise.all(published);
    expect(await pollUntil(() => pre.length >= BEFORE && outs.length >= BEFORE, 5000)).toBe(true);
    // a fuzzed subscribe('#') may add copies of what was still arriving: each first copy counts
    expect([...new Set(pre)]).toEqual(Array.from({ length: BEFORE }, (_, k) => `fuzz/pre/${k}`));
    expect(outs).toEqual(Array.from({ length: BEFORE }, (_, k) => `fuzz/out/${k}`));
    expect(core.connected).toBe(true);
    await core.publish('fuzz/out/after', 'x', { qos: 1 });
    expect(umqtt.get_mqttsta()).toBe(0);
    expect(pika.client.connected).toBe(true);
    expect(luatos.ready()).toBe(true);
    expect(mq.connected).toBe(true);
    expect(findings).toEqual([]);

    umqtt.disconnect();
    pika.disconnect();
    luatos.close();
    zerynth.disconnect();
    await Promise.all([core.end(), peer.end(), mq.endAsync()]);
  });
});
