// The blocking primitives the embedded APIs are built on: connectSync and
// waitSync block the calling JS thread only; the engine's loop thread keeps
// the connection alive meanwhile, and events are emitted on the blocked
// thread as they arrive.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MqttClient, MqttError } from '../lib/index.js';
import { freePort, startMosquitto, type Broker } from './support/mosquitto.js';

let broker: Broker;
beforeAll(async () => { broker = await startMosquitto(); });
afterAll(async () => { await broker?.stop(); });

describe('blocking primitives', () => {
  it('connectSync returns connected; waitSync emits a message on the calling thread before returning', async () => {
    const client = new MqttClient({ host: '127.0.0.1', port: broker.port });
    client.connectSync();
    expect(client.connected).toBe(true);
    await client.subscribe('blk/a');
    let received: string | undefined;
    client.on('message', (_topic: string, payload: Buffer) => { received = payload.toString(); });
    // QoS 0 resolves on acceptance, within this macrotask: no event can have
    // been emitted yet, so the message can only arrive inside waitSync
    await client.publish('blk/a', 'hello');
    expect(received).toBeUndefined();
    const got = client.waitSync(5000, () => received !== undefined);
    expect(got).toBe(true);
    expect(received).toBe('hello');
    await client.end();
  });

  it('awaitSync returns what an operation resolves to, or throws its error, without returning to the event loop', async () => {
    const client = new MqttClient({ host: '127.0.0.1', port: broker.port });
    client.connectSync();
    const granted = client.awaitSync(client.subscribe('blk/c', { qos: 2 }), 5000);
    expect(granted).toEqual([{ topic: 'blk/c', qos: 2 }]);
    let received = 0;
    client.on('message', () => { received++; });
    expect(client.awaitSync(client.publish('blk/c', 'x', { qos: 2 }), 5000)).toBeUndefined();   // PUBCOMP
    expect(client.waitSync(5000, () => received === 1)).toBe(true);
    expect(() => client.awaitSync(client.publish('blk/+', 'x'), 1000)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_TOPIC' }));
    expect(() => client.awaitSync(Promise.resolve(), 10)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG' }));
    client.awaitSync(client.end(), 5000);
    expect(client.connected).toBe(false);
  });

  it('connectSync throws the refusal synchronously', async () => {
    const client = new MqttClient({ host: '127.0.0.1', port: await freePort(), connectTimeout: 5000 });
    let thrown: unknown;
    try {
      client.connectSync();
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toBeInstanceOf(MqttError);
    expect(thrown).toMatchObject({ code: 'ERR_REFUSED' });
    await client.end();
  });

  it('keeps the connection alive while the JS thread is blocked (PINGREQ/PINGRESP with keepalive 1)', async () => {
    const client = new MqttClient({ host: '127.0.0.1', port: broker.port, keepalive: 1 });
    client.connectSync();
    let pongs = 0;
    client.on('pong', () => { pongs++; });
    // one wait, no return to the event loop: the pong comes from the engine's thread
    expect(client.waitSync(4000, () => pongs >= 2)).toBe(true);
    expect(client.connected).toBe(true);
    await client.end();
  });

  it('waitSync(0) only emits what has arrived, and returns false when nothing has', async () => {
    const client = new MqttClient({ host: '127.0.0.1', port: broker.port, keepalive: 0 });
    client.connectSync();
    expect(client.waitSync(0)).toBe(false);
    await client.end();
  });

  it('refuses to block inside an event listener, and before connect()', async () => {
    const client = new MqttClient({ host: '127.0.0.1', port: broker.port });
    expect(() => client.waitSync(10)).toThrow(expect.objectContaining({ code: 'ERR_NOT_CONNECTED' }));
    client.connectSync();
    await client.subscribe('blk/b');
    let inner: unknown;
    client.once('message', () => {
      try {
        client.waitSync(10);
      } catch (e) {
        inner = e;
      }
    });
    await client.publish('blk/b', 'x');
    expect(client.waitSync(5000, () => inner !== undefined)).toBe(true);
    expect(inner).toMatchObject({ code: 'ERR_STATE', message: expect.stringContaining('event listener') });
    expect(() => client.waitSync(-1)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG', message: expect.stringContaining('timeoutMs') }));
    await client.end();
  });
});
