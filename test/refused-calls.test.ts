// The bad calls a fuzz of the API found (test/api-fuzz.test.ts keeps the
// fuzz): each is refused with an MqttError ERR_INVALID_ARG naming the
// argument, before anything changes, so a refused call has no effect.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, MqttClient, MqttError } from '../lib/index.js';
import { mqtt } from '../lib/compat/luatos.js';
import { MQTTClient } from '../lib/compat/umqtt.js';
import { Client as ZerynthClient } from '../lib/compat/zerynth.js';
import { startMosquitto, type Broker } from './support/mosquitto.js';

let broker: Broker;
beforeAll(async () => { broker = await startMosquitto(); });
afterAll(async () => { await broker?.stop(); });

const url = () => `mqtt://127.0.0.1:${broker.port}`;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** An object made with Object.create(null) holding `fields`. */
const bare = (fields: Record<string, unknown> = {}) => Object.assign(Object.create(null) as object, fields);
/** An object whose `key` getter throws. */
const throwing = (key: string) => Object.defineProperty({}, key, { enumerable: true, get() { throw new Error(`getter ${key}`); } });

/** The MqttError `fn` throws (fails the test if it throws anything else or nothing). */
function thrown(fn: () => unknown): MqttError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(MqttError);
    return e as MqttError;
  }
  throw new Error('did not throw');
}

/** The MqttError `promise` rejects with. */
async function rejected(promise: Promise<unknown>): Promise<MqttError> {
  const e = await promise.then(() => { throw new Error('resolved'); }, (err: unknown) => err);
  expect(e).toBeInstanceOf(MqttError);
  return e as MqttError;
}

const invalid = (name: string) => expect.objectContaining({ code: 'ERR_INVALID_ARG', message: expect.stringContaining(name) });

describe('refused calls', () => {
  it('messages() with a bad signal throws and leaves no listener behind, so end() is safe', async () => {
    const c = await connect(url());
    for (const opts of [{ signal: 5 }, throwing('signal'), null, bare({ signal: {} })])
      expect(thrown(() => c.messages(undefined, opts as never))).toEqual(invalid('options'));
    expect(c.listenerCount('message')).toBe(0);
    expect(c.listenerCount('close')).toBe(0);
    await c.end();   // the process would die here of an uncaught TypeError
  });

  it('publish() and subscribe() with a bad signal reject and send nothing', async () => {
    const c = await connect(url());
    const watcher = await connect(url());
    await watcher.subscribe('refused/#', { qos: 1 });
    const got: string[] = [];
    watcher.on('message', (topic) => got.push(topic));
    expect(await rejected(c.publish('refused/pub', 'x', { qos: 1, signal: 5 as never }))).toEqual(invalid('options.signal'));
    expect(await rejected(c.subscribe('refused/sub', { signal: {} as never }))).toEqual(invalid('options.signal'));
    const look = { aborted: false, addEventListener() {}, removeEventListener() {} };
    expect(await rejected(c.publish('refused/pub', 'x', { qos: 1, signal: look as never }))).toEqual(invalid('options.signal'));
    await watcher.publish('refused/sub', 'to the subscription that must not exist', { qos: 1 });
    await c.publish('refused/marker', 'm', { qos: 1 });
    await sleep(200);
    expect(got).toEqual(['refused/sub', 'refused/marker']);   // watcher's own; nothing from the refused publishes
    expect(c.listenerCount('message')).toBe(0);
    await Promise.all([c.end(), watcher.end()]);
  });

  it('null and null-prototype options are ERR_INVALID_ARG naming the argument, not TypeErrors', async () => {
    const c = await connect(url());
    expect(await rejected(c.end(null as never))).toEqual(invalid('options'));
    expect(c.connected).toBe(true);   // refused: nothing ended
    expect(await rejected(c.ping(null as never))).toEqual(invalid('options'));
    expect(await rejected(c.subscribe('x', null as never))).toEqual(invalid('options'));
    expect(await rejected(c.unsubscribe('x', null as never))).toEqual(invalid('options'));
    expect(thrown(() => c.messages('x', null as never))).toEqual(invalid('options'));
    expect(thrown(() => c.waitSync(1, {} as never))).toEqual(invalid('until'));
    expect(thrown(() => c.awaitSync(null as never, 10))).toEqual(invalid('operation'));
    expect(await rejected(c.publish('x', 'y', bare({ qos: bare() }) as never))).toEqual(invalid('options.qos'));
    expect(await rejected(c.publish('x', 'y', throwing('qos') as never))).toEqual(invalid('options.qos'));
    expect(await rejected(c.subscribe({ x: bare({ qos: bare() }) } as never))).toEqual(invalid("filters['x'].qos"));
    expect(await rejected(c.subscribe(Buffer.alloc(3) as never))).toEqual(invalid('filters'));   // not a { filter: qos } map
    expect(thrown(() => new MqttClient(bare({ port: bare() }) as never))).toEqual(invalid('options.port'));
    expect(thrown(() => new MqttClient(bare({ protocol: bare() }) as never))).toEqual(invalid('options.protocol'));
    expect(thrown(() => new MqttClient(throwing('host') as never))).toEqual(invalid('options.host'));
    expect(await rejected(connect(url(), throwing('clientId') as never))).toEqual(invalid('options.clientId'));
    expect(c.connected).toBe(true);
    await c.end();
  });

  it('reads each option once', async () => {
    const reads: string[] = [];
    const counted = <T>(fields: Record<string, T>) => Object.defineProperties({}, Object.fromEntries(Object.entries(fields).map(
      ([k, v]) => [k, { enumerable: true, get: () => { reads.push(k); return v; } }])));
    const c = new MqttClient(counted<unknown>({ port: broker.port, protocol: 'mqtt', will: counted({ topic: 'w', payload: 'p' }) }) as never);
    expect(reads.sort()).toEqual(['payload', 'port', 'protocol', 'topic', 'will']);
    reads.length = 0;
    await c.connect();
    await c.publish('once/x', 'y', counted<unknown>({ qos: 1, retain: false }) as never);
    await c.subscribe('once/x', counted<unknown>({ qos: 1, nl: undefined }) as never);
    expect(reads.sort()).toEqual(['nl', 'qos', 'qos', 'retain']);
    await c.end();
  });

  it('an abort reason that cannot be turned into text still gives ERR_ABORTED', async () => {
    const c = await connect(url());
    const controller = new AbortController();
    controller.abort(bare());
    expect(await rejected(c.publish('x', 'y', { qos: 1, signal: controller.signal }))).toMatchObject({ code: 'ERR_ABORTED' });
    await c.end();
  });

  it('the embedded APIs refuse null-prototype tables and throwing getters with ERR_INVALID_ARG', () => {
    expect(thrown(() => mqtt.create(null, '127.0.0.1', broker.port, null, bare({ rxSize: bare() }) as never))).toEqual(invalid('opts.rxSize'));
    expect(thrown(() => mqtt.create(null, '127.0.0.1', broker.port, bare({ verify: bare() }) as never))).toEqual(invalid('ssl.verify'));
    const luatos = mqtt.create(null, '127.0.0.1', broker.port);
    expect(thrown(() => luatos.publish('x', 'y', throwing('qos') as never))).toEqual(invalid('qos'));
    expect(thrown(() => luatos.subscribe(throwing('a/b') as never))).toEqual(invalid('topic'));
    expect(thrown(() => new MQTTClient('id', '127.0.0.1', throwing('port') as never))).toEqual(invalid('port'));
    expect(thrown(() => new MQTTClient('id', '127.0.0.1', { version: bare() as never }))).toEqual(invalid('version'));
    expect(thrown(() => new ZerynthClient('id').on(Symbol('c') as never, () => {}))).toEqual(invalid('command'));
    luatos.close();
  });
});
