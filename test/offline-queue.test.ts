// The offline queue and automatic reconnect by default: publishes made while
// the client is not connected wait, bounded in bytes (and in messages if
// asked), and go out in order once it connects, through a broker restart
// too; a full queue rejects with ERR_QUEUE_FULL and keeps what it holds.
// Against mosquitto, with a proxy started late on a port the client is
// already trying, or a mosquitto of its own that is restarted.
import { createServer, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, MqttClient, MqttError } from '../lib/index.js';
import { freePort, startMosquitto, type Broker } from './support/mosquitto.js';
import { nextMessages, pollUntil } from './support/events.js';
import { FaultProxy } from './support/proxy.js';
import { PersistentMosquitto } from './support/persistent-mosquitto.js';

let broker: Broker;
beforeAll(async () => {
  broker = await startMosquitto();
});
afterAll(async () => {
  await broker?.stop();
});

/** A client trying a port where nothing listens yet (it goes on retrying
 *  every 50-100 ms), its first attempt's failure awaited, and a way to open
 *  the port: a proxy to mosquitto on it. */
async function offlineClient(options: ConstructorParameters<typeof MqttClient>[0] = {}) {
  const port = await freePort();
  const client = new MqttClient({ host: '127.0.0.1', port, reconnectPeriod: 50, reconnectMaxPeriod: 100, ...options });
  await expect(client.connect()).rejects.toMatchObject({ code: 'ERR_REFUSED' });
  let proxy: FaultProxy | undefined;
  return {
    client,
    open: async () => { proxy = await FaultProxy.start(broker.port, port); },
    /** closes the port again (the proxy and its connections) */
    drop: async () => { await proxy?.stop(); proxy = undefined; },
    close: async () => { await client.end({ force: true }); await proxy?.stop(); },
  };
}

async function subscriber(topic: string): Promise<MqttClient> {
  const sub = await connect({ host: '127.0.0.1', port: broker.port });
  await sub.subscribe(topic, { qos: 2 });
  return sub;
}

describe('offline queue', () => {
  it('publishes made while not connected go out in order once connected, every QoS', async () => {
    const topic = 'offline/order';
    const sub = await subscriber(topic);
    const off = await offlineClient();
    expect(off.client.state).not.toBe('connected');
    const sent = Array.from({ length: 30 }, (_, i) => off.client.publish(topic, `m${i}`, { qos: (i % 3) as 0 | 1 | 2 }));
    const got = nextMessages(sub, 30, 10000);
    await off.open();
    await Promise.all(sent);
    // in order per QoS: the broker holds a QoS 2 message until its PUBREL
    const received = await got;
    for (const qos of [0, 1, 2])
      expect(received.filter((m) => m.qos === qos).map((m) => m.payload.toString()))
        .toEqual(Array.from({ length: 10 }, (_, k) => `m${k * 3 + qos}`));
    await off.close();
    await sub.end();
  });

  it('rejects past options.queueLimit with ERR_QUEUE_FULL and keeps what it holds', async () => {
    const topic = 'offline/limit';
    const sub = await subscriber(topic);
    const off = await offlineClient({ queueLimit: 3 });
    const kept = [0, 1, 2].map((i) => off.client.publish(topic, `k${i}`, { qos: 1 }));
    const refused = off.client.publish(topic, 'over', { qos: 1 });
    await expect(refused).rejects.toBeInstanceOf(MqttError);
    await expect(refused).rejects.toMatchObject({ code: 'ERR_QUEUE_FULL', message: expect.stringContaining('options.queueLimit (3)') });
    const got = nextMessages(sub, 3, 10000);
    await off.open();
    await Promise.all(kept);
    expect((await got).map((m) => m.payload.toString())).toEqual(['k0', 'k1', 'k2']);
    // connected, the bound does not apply, and the queue counts nothing delivered
    await Promise.all([3, 4, 5, 6].map((i) => off.client.publish(topic, `c${i}`, { qos: 1 })));
    await off.close();
    await sub.end();
  });

  it('gives back what it counted: a withdrawn publish and the sent ones make room again', async () => {
    const topic = 'offline/room';
    const sub = await subscriber(topic);
    const off = await offlineClient({ queueLimit: 2 });
    const stop = new AbortController();
    const withdrawn = off.client.publish(topic, 'withdrawn', { qos: 1, signal: stop.signal });
    const first = off.client.publish(topic, 'a', { qos: 1 });
    await expect(off.client.publish(topic, 'over', { qos: 1 })).rejects.toMatchObject({ code: 'ERR_QUEUE_FULL' });
    stop.abort();
    await expect(withdrawn).rejects.toMatchObject({ code: 'ERR_ABORTED' });
    // the withdrawn one's room, and no more
    const second = off.client.publish(topic, 'b', { qos: 1 });
    await expect(off.client.publish(topic, 'over', { qos: 1 })).rejects.toMatchObject({ code: 'ERR_QUEUE_FULL' });
    const seen: string[] = [];
    sub.on('message', (_t, p) => seen.push(p.toString()));
    await off.open();
    await Promise.all([first, second]);
    // offline again: the two sent ones left the queue, so it takes two more
    await off.drop();
    expect(await pollUntil(() => off.client.state !== 'connected', 5000)).toBe(true);
    const again = [off.client.publish(topic, 'c', { qos: 1 }), off.client.publish(topic, 'd', { qos: 1 })];
    await expect(off.client.publish(topic, 'over', { qos: 1 })).rejects.toMatchObject({ code: 'ERR_QUEUE_FULL' });
    await off.open();
    await Promise.all(again);
    expect(await pollUntil(() => seen.length >= 4, 5000)).toBe(true);
    expect(seen).toEqual(['a', 'b', 'c', 'd']);
    await off.close();
    await sub.end();
  });

  it('rejects past options.queueByteLimit, counting PUBLISH bytes and 1 KiB per message', async () => {
    const off = await offlineClient({ queueByteLimit: 2 * 1024 + 100 });
    // topic 'b' (1 byte) + 2 length bytes + 2 id bytes + payload + 2 header bytes, plus 1024
    const first = off.client.publish('b', Buffer.alloc(60), { qos: 1 });
    const second = off.client.publish('b', Buffer.alloc(60), { qos: 1 });
    await expect(second).rejects.toMatchObject({
      code: 'ERR_QUEUE_FULL', message: expect.stringMatching(/67-byte PUBLISH \(1091 bytes queued\) .* options\.queueByteLimit \(2148 bytes; 1091 used\)/),
    });
    const small = off.client.publish('b', Buffer.alloc(20), { qos: 1 });   // 27 + 1024 bytes still fit
    await off.open();
    await Promise.all([first, small]);
    await off.close();
  });

  it('with queueQoSZero false, QoS 0 rejects with ERR_NOT_CONNECTED while QoS 1 still queues', async () => {
    const topic = 'offline/qos0';
    const sub = await subscriber(topic);
    const off = await offlineClient({ queueQoSZero: false });
    await expect(off.client.publish(topic, 'zero')).rejects.toMatchObject({
      code: 'ERR_NOT_CONNECTED', message: expect.stringContaining('options.queueQoSZero'),
    });
    const one = off.client.publish(topic, 'one', { qos: 1 });
    const got = nextMessages(sub, 1, 10000);
    await off.open();
    await one;
    expect((await got)[0].payload.toString()).toBe('one');
    await off.close();
    await sub.end();
  });

  it('an aborted publish or subscribe in the offline queue is withdrawn and never sent', async () => {
    const topic = 'offline/abort';
    const sub = await subscriber(topic);
    const off = await offlineClient();
    const kept = off.client.publish(topic, 'kept-1', { qos: 1 });
    const stop = new AbortController();
    const withdrawn = off.client.publish(topic, 'withdrawn', { qos: 1, signal: stop.signal });
    const stopSub = new AbortController();
    const withdrawnSub = off.client.subscribe('offline/abort/never', { signal: stopSub.signal });
    const last = off.client.publish(topic, 'kept-2', { qos: 1 });
    stop.abort();
    stopSub.abort();
    await expect(withdrawn).rejects.toMatchObject({ code: 'ERR_ABORTED' });
    await expect(withdrawnSub).rejects.toMatchObject({ code: 'ERR_ABORTED' });
    const seen: string[] = [];
    sub.on('message', (_t, p) => seen.push(p.toString()));
    await off.open();
    await Promise.all([kept, last]);
    // a publish after them, in the same order: had the withdrawn one been
    // sent, it would come before this one
    await off.client.publish(topic, 'after', { qos: 1 });
    expect(await pollUntil(() => seen.includes('after'), 5000)).toBe(true);
    expect(seen).toEqual(['kept-1', 'kept-2', 'after']);
    await off.close();
    await sub.end();
  });

  it('rejects bad bounds naming the option', () => {
    expect(() => new MqttClient({ queueLimit: -1 })).toThrow(/options\.queueLimit/);
    expect(() => new MqttClient({ queueByteLimit: 1.5 })).toThrow(/options\.queueByteLimit/);
    expect(() => new MqttClient({ queueQoSZero: 'yes' as unknown as boolean })).toThrow(/options\.queueQoSZero/);
  });
});

describe('the default offline queue through a broker restart', () => {
  it('a stream of QoS 1 publishes (200 every 10 ms) through two seconds of mosquitto down: nothing refused, nothing lost', async () => {
    const persistent = await PersistentMosquitto.start();
    const topic = 'offline/restart';
    // the subscriber keeps its session (mosquitto saves it on SIGTERM) and comes back quickly
    const sub = await connect({ host: '127.0.0.1', port: persistent.port, clientId: 'offline-restart-sub', clean: false, reconnectPeriod: 50, reconnectMaxPeriod: 100 });
    await sub.subscribe(topic, { qos: 1 });
    const seen = new Set<string>();
    sub.on('message', (_t, p) => seen.add(p.toString()));
    // the publisher with default options
    const pub = await connect({ host: '127.0.0.1', port: persistent.port });
    const results: Promise<unknown>[] = [];
    const BATCH = 200, EVERY_MS = 10, STREAM_MS = 4000;
    const started = performance.now();
    let n = 0;
    const stream = setInterval(() => {
      if (performance.now() - started > STREAM_MS) return;
      for (let i = 0; i < BATCH; i++, n++)
        results.push(pub.publish(topic, String(n).padStart(64, '0'), { qos: 1 }).then(() => undefined, (e: MqttError) => e));
    }, EVERY_MS);
    await new Promise((r) => setTimeout(r, 500));
    await persistent.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 2000));
    await persistent.revive();
    await new Promise((r) => setTimeout(r, STREAM_MS - 2500 + 100));
    clearInterval(stream);
    const outcomes = await Promise.all(results);
    const refused = outcomes.filter((e) => e !== undefined) as MqttError[];
    expect(refused.length, `refused ${refused.length} of ${n}, first: ${refused[0]?.code} ${refused[0]?.message}`).toBe(0);
    expect(await pollUntil(() => seen.size === n, 30000), `the subscriber has ${seen.size} of ${n}`).toBe(true);
    console.log(`[figures] offline queue: ${n} QoS 1 publishes through a 2 s mosquitto restart, 0 refused, ${seen.size} delivered`);
    await pub.end();
    await sub.end();
    await persistent.stop();
  }, 90_000);
});

describe('automatic reconnect by default', () => {
  it('reconnects after a lost connection with default options', async () => {
    const proxy = await FaultProxy.start(broker.port);
    const client = await connect({ host: '127.0.0.1', port: proxy.port });
    const back = new Promise((resolve) => client.once('connect', resolve));
    const reconnect = new Promise<{ attempt: number; delay: number }>((resolve) => client.once('reconnect', resolve));
    proxy.cut();
    const info = await reconnect;
    expect(info.attempt).toBe(1);
    expect(info.delay).toBeLessThanOrEqual(1000);   // full jitter below the default 1000 ms
    await back;
    expect(client.state).toBe('connected');
    await client.end();
    await proxy.stop();
  });

  it('stops reconnecting when the broker refuses the credentials', async () => {
    const client = new MqttClient({ host: '127.0.0.1', port: broker.passwordPort, username: 'alice', password: 'wrong', reconnectPeriod: 20 });
    // mosquitto answers a wrong password with "not authorized"
    await expect(client.connect()).rejects.toMatchObject({ code: expect.stringMatching(/^ERR_CONNACK_(BAD_AUTH|NOT_AUTHORIZED)$/) });
    let attempts = 0;
    client.on('reconnect', () => attempts++);
    await new Promise((r) => setTimeout(r, 300));
    expect(attempts).toBe(0);
    expect(client.state).toBe('disconnected');
    await expect(client.publish('t', 'x')).rejects.toMatchObject({ code: 'ERR_NOT_CONNECTED' });
    await client.end();
  });

  it('connect() closes the client when its first attempt fails, so nothing goes on retrying', async () => {
    const sockets: Socket[] = [];
    const server = createServer((s) => { sockets.push(s); s.destroy(); });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    await expect(connect({ host: '127.0.0.1', port, reconnectPeriod: 20 })).rejects.toBeInstanceOf(MqttError);
    const seen = sockets.length;
    expect(seen).toBe(1);
    expect(await pollUntil(() => sockets.length > seen, 300)).toBe(false);
    await new Promise((r) => server.close(r));
  });
});
