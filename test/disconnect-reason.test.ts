// MQTT 5.0 DISCONNECT from end(): its reason code and properties as bytes
// (fake broker), what mosquitto does with them (0x04 publishes the will, a
// Session Expiry Interval of 0 drops a kept session), and the refusals made
// before anything changes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MqttClient, connect } from '../lib/index.js';
import { FakeBroker } from './support/fake-broker.js';
import { connack, Type } from './support/mqtt-bytes.js';
import { startMosquitto, type Broker } from './support/mosquitto.js';

let broker: Broker;
let fake: FakeBroker;
beforeAll(async () => { [broker, fake] = await Promise.all([startMosquitto(), FakeBroker.start()]); });
afterAll(async () => { await Promise.all([broker?.stop(), fake?.stop()]); });

const v5 = () => ({ host: '127.0.0.1', port: broker.port, protocolVersion: 5 as const });

describe('end() with a 5.0 reason and properties', () => {
  it('sends them in the DISCONNECT', async () => {
    const client = new MqttClient({ host: '127.0.0.1', port: fake.port, protocolVersion: 5, properties: { sessionExpiryInterval: 60 } });
    const done = client.connect();
    const conn = await fake.accept();
    await conn.expect(Type.CONNECT);
    conn.send(connack(0, true));
    await done;
    const ended = client.end({ reasonCode: 0x04, properties: { sessionExpiryInterval: 5, reasonString: 'bye' } });
    const bytes = await conn.expect(Type.DISCONNECT);
    expect(bytes).toEqual(Buffer.from([0xe0, 0x0d, 0x04, 0x0b, 0x11, 0, 0, 0, 5, 0x1f, 0, 3, 0x62, 0x79, 0x65]));
    await ended;
  });

  it('with reason 0x04 has mosquitto publish the will', async () => {
    const watcher = await connect(v5());
    await watcher.subscribe('will/reason', { qos: 1 });
    const will = new Promise<string>((resolve) => watcher.on('message', (_t, p) => resolve(p.toString())));
    const client = await connect({ ...v5(), will: { topic: 'will/reason', payload: 'gone', qos: 1 } });
    await client.end({ reasonCode: 0x04 });
    expect(await will).toBe('gone');
    await watcher.end();
  });

  it('with sessionExpiryInterval 0 has mosquitto drop the session it would have kept', async () => {
    const options = { ...v5(), clientId: `expiry-${process.pid}`, clean: false, properties: { sessionExpiryInterval: 300 } };
    const first = await connect({ ...options, clean: true });
    await first.end();   // the session stays for 300 s
    const kept = new MqttClient(options);
    const present = new Promise((resolve) => kept.once('connect', (c) => resolve(c.sessionPresent)));
    await kept.connect();
    expect(await present).toBe(true);
    await kept.end({ properties: { sessionExpiryInterval: 0 } });
    const again = new MqttClient(options);
    const presentAgain = new Promise((resolve) => again.once('connect', (c) => resolve(c.sessionPresent)));
    await again.connect();
    expect(await presentAgain).toBe(false);
    await again.end({ properties: { sessionExpiryInterval: 0 } });
  });

  it('refuses what a DISCONNECT cannot carry, leaving the client connected', async () => {
    const client = await connect(v5());   // CONNECT set no session expiry
    await expect(client.end({ properties: { sessionExpiryInterval: 10 } })).rejects.toMatchObject({
      code: 'ERR_INVALID_ARG', message: expect.stringContaining('options.properties.sessionExpiryInterval') });
    await expect(client.end({ reasonCode: 0x05 })).rejects.toMatchObject({ code: 'ERR_REASON' });
    await expect(client.end({ properties: { contentType: 'x' } } as object)).rejects.toMatchObject({ code: 'ERR_INVALID_ARG' });
    await expect(client.end({ reasonCode: 256 })).rejects.toMatchObject({ code: 'ERR_INVALID_ARG' });
    expect(client.connected).toBe(true);
    await client.publish('still/here', 'x', { qos: 1 });
    await client.end();
    const v311 = await connect({ host: '127.0.0.1', port: broker.port });
    await expect(v311.end({ reasonCode: 0 })).rejects.toMatchObject({ code: 'ERR_INVALID_ARG', message: expect.stringContaining('protocolVersion 5') });
    await v311.end();
  });
});
