// What arrives with the CONNACK (the QoS 1 messages a kept session queued
// while the client was away) waits until the caller of connect() can have
// attached its listeners: after `await connect()`, after connectSync() for
// the synchronous embedded APIs, and for the embedded APIs' callbacks.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, MqttClient } from '../lib/index.js';
import { mqtt } from '../lib/compat/luatos.js';
import { MQTTClient } from '../lib/compat/umqtt.js';
import { Client as ZerynthClient, PUBLISH } from '../lib/compat/zerynth.js';
import { pollUntil } from './support/events.js';
import { startMosquitto, type Broker } from './support/mosquitto.js';

let broker: Broker;
let publisher: MqttClient;
beforeAll(async () => {
  broker = await startMosquitto();
  publisher = await connect({ host: '127.0.0.1', port: broker.port });
});
afterAll(async () => {
  await publisher?.end();
  await broker?.stop();
});

const COUNT = 20;
const url = () => `mqtt://127.0.0.1:${broker.port}`;

/** Makes a kept session for `clientId` subscribed to `topic` at QoS 1, and
 *  ends that connection. */
async function keptSession(clientId: string, topic: string): Promise<void> {
  const c = await connect(url(), { clientId, clean: false });
  await c.subscribe(topic, { qos: 1 });
  await c.end();
}

/** Publishes COUNT QoS 1 messages `${tag}-0`... to `topic` (queued by the
 *  broker for the absent kept session); returns their payloads in order. */
async function queue(topic: string, tag: string | number): Promise<string[]> {
  const sent = Array.from({ length: COUNT }, (_, k) => `${tag}-${k}`);
  for (const m of sent) await publisher.publish(topic, m, { qos: 1 });
  return sent;
}

describe('events that arrive with the CONNACK', () => {
  it(`reach a listener attached after await connect(), all ${COUNT} in order, in each of 20 reconnects`, async () => {
    const topic = 'held/core';
    await keptSession('held-core', topic);
    for (let round = 0; round < 20; round++) {
      const sent = await queue(topic, round);
      const client = await connect(url(), { clientId: 'held-core', clean: false });
      const got: string[] = [];
      client.on('message', (_topic, payload) => got.push(payload.toString()));
      await pollUntil(() => got.length >= COUNT, 3000);
      await client.end();
      expect(got, `round ${round}`).toEqual(sent);
    }
  });

  it('reach a messages() iterator created after await connect()', async () => {
    const topic = 'held/iterator';
    await keptSession('held-iterator', topic);
    const sent = await queue(topic, 'it');
    const client = await connect(url(), { clientId: 'held-iterator', clean: false });
    const got: string[] = [];
    const timer = setTimeout(() => void client.end({ force: true }), 3000);   // ends the iterator if some never come
    for await (const m of client.messages(topic)) {
      got.push(m.payload.toString());
      if (got.length === COUNT) break;
    }
    clearTimeout(timer);
    await client.end();
    expect(got).toEqual(sent);
  });

  it('reach a listener attached after connectSync(), emitted by the next waitSync()', async () => {
    const topic = 'held/sync';
    await keptSession('held-sync', topic);
    const sent = await queue(topic, 'sync');
    const got: string[] = [];
    const c = new MqttClient({ host: '127.0.0.1', port: broker.port, clientId: 'held-sync', clean: false });
    c.connectSync();
    c.on('message', (_topic, payload) => got.push(payload.toString()));
    const deadline = performance.now() + 3000;
    while (got.length < COUNT && performance.now() < deadline) c.waitSync(100, () => got.length >= COUNT);
    const seen = [...got];   // what the blocking calls delivered, before anything lets a turn of the event loop run
    await c.end();
    expect(seen).toEqual(sent);
  });

  it("reach umqtt's callback set after connect(), through check_msg()", async () => {
    const topic = 'held/umqtt';
    await keptSession('held-umqtt', topic);
    const sent = await queue(topic, 'umqtt');
    const c = new MQTTClient('held-umqtt', '127.0.0.1', { port: broker.port });
    c.connect(false);
    const got: string[] = [];
    c.set_callback((_topic, msg) => got.push(msg.toString()));
    const deadline = performance.now() + 3000;
    while (got.length < COUNT && performance.now() < deadline) c.check_msg();   // never blocks: only the flush can deliver
    c.disconnect();
    expect(got).toEqual(sent);
  });

  it("reach Zerynth's PUBLISH callback set after connect()", async () => {
    const topic = 'held/zerynth';
    await keptSession('held-zerynth', topic);
    const sent = await queue(topic, 'zerynth');
    const c = new ZerynthClient('held-zerynth', false);
    c.connect('127.0.0.1', 60, broker.port);
    const got: string[] = [];
    c.on(PUBLISH, (_client, data) => { if (data.message) got.push(data.message.payload.toString()); });
    c.loop();
    await pollUntil(() => got.length >= COUNT, 3000);
    c.disconnect();
    expect(got).toEqual(sent);
  });

  it("reach LuatOS's on(cb) callback", async () => {
    const topic = 'held/luatos';
    await keptSession('held-luatos', topic);
    const sent = await queue(topic, 'luatos');
    const c = mqtt.create(null, '127.0.0.1', broker.port);
    c.auth('held-luatos', '', '', false);
    const got: string[] = [];
    c.on((_client, event, _data, payload) => { if (event === 'recv') got.push(String(payload)); });
    c.connect();
    await pollUntil(() => got.length >= COUNT, 3000);
    c.close();
    expect(got).toEqual(sent);
  });
});
