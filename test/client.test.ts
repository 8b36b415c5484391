// The TypeScript client against a real mosquitto: connect, subscribe,
// publish at every QoS and receive, unsubscribe, end, state, disposal,
// signals, messages(). (Bad input: test/validation.test.ts.)
import { getEventListeners } from 'node:events';
import { createServer } from 'node:net';
import v8 from 'node:v8';
import vm from 'node:vm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, matchTopic, MqttClient, MqttError } from '../lib/index.js';
import { nextMessages, pollUntil } from './support/events.js';
import { freePort, startMosquitto, type Broker } from './support/mosquitto.js';

let broker: Broker;
beforeAll(async () => { broker = await startMosquitto(); });
afterAll(async () => { await broker?.stop(); });

describe('MqttClient against mosquitto', () => {
  for (const protocolVersion of [3, 4, 5] as const) {
    it(`publishes and receives QoS 0, 1 and 2 (protocol ${protocolVersion})`, async () => {
      const client = await connect(`mqtt://127.0.0.1:${broker.port}`, { protocolVersion, clientId: `rt-${protocolVersion}` });
      try {
        expect(client.connected).toBe(true);
        const grants = await client.subscribe({ [`rt/${protocolVersion}/+`]: 2 });
        expect(grants).toEqual([{ topic: `rt/${protocolVersion}/+`, qos: 2 }]);
        const arriving = nextMessages(client, 3);
        const binary = Buffer.from([0, 1, 2, 0, 255]);
        await Promise.all([
          client.publish(`rt/${protocolVersion}/q0`, 'zero', { qos: 0 }),
          client.publish(`rt/${protocolVersion}/q1`, binary, { qos: 1 }),
          client.publish(`rt/${protocolVersion}/q2`, 'two', { qos: 2 }),
        ]);
        const got = (await arriving).sort((x, y) => x.topic.localeCompare(y.topic));
        expect(got.map((m) => [m.topic, m.qos])).toEqual([
          [`rt/${protocolVersion}/q0`, 0], [`rt/${protocolVersion}/q1`, 1], [`rt/${protocolVersion}/q2`, 2]]);
        expect(got[0].payload.toString()).toBe('zero');
        expect(got[1].payload.equals(binary)).toBe(true);
        expect(got[2].payload.toString()).toBe('two');
      } finally {
        await client.end();
      }
    });
  }

  it('gives each received message its packet identifier (0 at QoS 0)', async () => {
    const client = await connect({ port: broker.port, host: '127.0.0.1' });
    await client.subscribe('mid/+', { qos: 2 });
    const ids = new Map<string, number>();
    client.on('message', (topic, _payload, packet) => ids.set(topic, packet.messageId));
    await client.publish('mid/zero', 'x', { qos: 0 });
    await client.publish('mid/two', 'x', { qos: 2 });
    expect(await pollUntil(() => ids.size === 2, 2000)).toBe(true);
    expect(ids.get('mid/zero')).toBe(0);
    expect(ids.get('mid/two')).toBeGreaterThan(0);
    expect(ids.get('mid/two')).toBeLessThanOrEqual(65535);
    await client.end();
  });

  it('stops receiving after unsubscribe', async () => {
    const client = await connect({ port: broker.port, host: '127.0.0.1' });
    try {
      await client.subscribe('un/a');
      await client.unsubscribe('un/a');
      await client.subscribe('un/marker');
      const arriving = nextMessages(client, 1);
      await client.publish('un/a', 'must not arrive', { qos: 1 });
      await client.publish('un/marker', 'marker', { qos: 1 });
      const [m] = await arriving;
      expect(m.topic).toBe('un/marker'); /* un/a, published first, never came */
    } finally {
      await client.end();
    }
  });

  it('ends cleanly and settles, and a second end is harmless', async () => {
    const client = new MqttClient({ port: broker.port, host: '127.0.0.1' });
    await client.connect();
    const closed = new Promise((resolve) => client.once('close', () => resolve(undefined)));
    await client.end();
    await closed;
    expect(client.connected).toBe(false);
    await client.end();
    await expect(client.publish('t', 'x')).rejects.toMatchObject({ code: 'ERR_CLOSED' });
  });

  it('reports its connection state', async () => {
    // a server that accepts the connection and never answers CONNECT
    const silent = createServer((sock) => sock.on('error', () => undefined));   // the forced close may reset it
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const waiting = new MqttClient({ port: (silent.address() as { port: number }).port, host: '127.0.0.1' });
    expect(waiting.state).toBe('disconnected');
    waiting.connect().catch(() => undefined);
    expect(await pollUntil(() => waiting.state === 'mqtt-connecting', 5000)).toBe(true);
    await waiting.end({ force: true });
    expect(waiting.state).toBe('closed');
    silent.close();

    const client = await connect({ port: broker.port, host: '127.0.0.1' });
    expect(client.state).toBe('connected');
    await client.end();
    expect(client.state).toBe('closed');
  });

  it('pings on request: ping() resolves on PINGRESP, with a pong event', async () => {
    const client = new MqttClient({ port: broker.port, host: '127.0.0.1', keepalive: 0 });
    await expect(client.ping()).rejects.toMatchObject({ code: 'ERR_NOT_CONNECTED' });
    await client.connect();
    let pongs = 0;
    client.on('pong', () => { pongs++; });
    await Promise.all([client.ping(), client.ping()]);   // settled by the next PINGRESP
    expect(pongs).toBeGreaterThanOrEqual(1);
    // the second ping may have gone out after the first PINGRESP, and its
    // PINGRESP came later: one more round trip lets every earlier one in
    await client.ping();
    const before = pongs;
    await client.ping();
    expect(pongs).toBe(before + 1);
    await client.end();
  });

  it('matches topics against filters with the engine\'s rules (matchTopic)', () => {
    expect(matchTopic('a/+/c', 'a/b/c')).toBe(true);
    expect(matchTopic('a/#', 'a')).toBe(true);
    expect(matchTopic('#', '$SYS/x')).toBe(false);
    expect(matchTopic('$share/g/a/+', 'a/b')).toBe(true);
    expect(matchTopic('a/+', 'a/b/c')).toBe(false);
    expect(() => matchTopic('a/#/b', 'a')).toThrow(expect.objectContaining({ code: 'ERR_INVALID_FILTER', message: expect.stringContaining('filter') }));
    expect(() => matchTopic('a/#', 'a/+')).toThrow(expect.objectContaining({ code: 'ERR_INVALID_TOPIC', message: expect.stringContaining('topic') }));
  });

  it('is disposed by await using', async () => {
    let outer: MqttClient | undefined;
    {
      await using client = await connect({ port: broker.port, host: '127.0.0.1' });
      outer = client;
      expect(client.connected).toBe(true);
    }
    expect(outer.connected).toBe(false);
    await expect(outer.publish('t', 'x')).rejects.toMatchObject({ code: 'ERR_CLOSED' });
  });

  it('refuses operations with ERR_NOT_CONNECTED before connect() and after a lost connection with no reconnect', async () => {
    const client = new MqttClient({ port: await freePort(), host: '127.0.0.1', connectTimeout: 5000, reconnectPeriod: 0 });
    await expect(client.publish('t', 'x')).rejects.toMatchObject({ code: 'ERR_NOT_CONNECTED', message: expect.stringContaining('connect()') });
    await expect(client.connect()).rejects.toMatchObject({ code: 'ERR_REFUSED' });
    await expect(client.subscribe('t')).rejects.toMatchObject({ code: 'ERR_NOT_CONNECTED', message: expect.stringContaining('reconnectPeriod') });
    await client.end();
  });

  it('delivers a burst of 400 QoS 2 publishes whole over 3.1.1 with the default window', async () => {
    // mosquitto 2.0 completes QoS 2 messages beyond its 20 in flight and
    // drops them; 3.1.1 cannot tell the client, so the default window is 20
    const sub = await connect(`mqtt://127.0.0.1:${broker.port}`);
    await sub.subscribe('burst/q2', { qos: 2 });
    let got = 0;
    sub.on('message', () => got++);
    const pub = await connect(`mqtt://127.0.0.1:${broker.port}`);
    expect(pub.options.maxInflight).toBe(20);
    await Promise.all(Array.from({ length: 400 }, (_, i) => pub.publish('burst/q2', `m${i}`, { qos: 2 })));
    expect(await pollUntil(() => got === 400, 5000)).toBe(true);
    await Promise.all([pub.end(), sub.end()]);
  });

  it('keeps every payload and topic it handed out, one message at a time on alternating topics, of sizes on each side of the addon\'s pooled batch data', async () => {
    // small batches reuse the addon's arrays and fill a data pool
    // (binding/deliver.h, BatchCache): what was handed out is never written again
    const client = await connect({ host: '127.0.0.1', port: broker.port });
    try {
      await client.subscribe('keep/+');
      const got: Array<{ topic: string; payload: Buffer }> = [];
      let arrived = () => {};
      client.on('message', (topic, payload) => { got.push({ topic, payload }); arrived(); });
      const sizes = [1, 64, 700, 3000, 4096, 4097, 9000];
      const sent: Array<{ topic: string; payload: Buffer }> = [];
      for (let i = 0; i < 120; i++) {
        const m = { topic: `keep/${Math.floor(i / 3) % 2 ? 'b' : 'a'}`, payload: Buffer.alloc(sizes[i % sizes.length], i % 251) };
        sent.push(m);
        const next = new Promise<void>((resolve) => { arrived = resolve; });
        await client.publish(m.topic, m.payload);
        await next;
      }
      expect(got).toEqual(sent);
    } finally {
      await client.end();
    }
  });

  it('rejects a refused connection with ERR_REFUSED', async () => {
    const port = await freePort(); /* nothing listens there */
    const err = await connect({ host: '127.0.0.1', port, connectTimeout: 5000 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MqttError);
    expect((err as MqttError).code).toBe('ERR_REFUSED');
  });
});

describe('large messages into a kept session (mosquitto resends what it could not deliver)', () => {
  it('default options receive a 3 MiB QoS 1 message, 3.1.1 and 5.0', async () => {
    for (const protocolVersion of [4, 5] as const) {
      const topic = `large/default/${protocolVersion}`;
      const sub = await connect({ host: '127.0.0.1', port: broker.port, protocolVersion, clientId: `large-default-${protocolVersion}`, clean: false });
      await sub.subscribe(topic, { qos: 1 });
      const arriving = nextMessages(sub, 1, 10000);
      const pub = await connect({ host: '127.0.0.1', port: broker.port, sendBufferSize: 4 << 20 });
      const big = Buffer.alloc(3 << 20, protocolVersion);
      await pub.publish(topic, big, { qos: 1 });
      expect((await arriving)[0].payload.equals(big)).toBe(true);
      expect(sub.connected).toBe(true);
      await pub.end();
      await sub.end();
    }
  });

  it('receives messages on each side of the 3 KiB receive buffer and the 64 KiB packet buffer, in order', async () => {
    const topic = 'large/sizes';
    const sub = await connect({ host: '127.0.0.1', port: broker.port });
    await sub.subscribe(topic, { qos: 1 });
    const sizes = [10, 3000, 3100, 20000, 65000, 65600, 70000, 3000, 10];
    const arriving = nextMessages(sub, sizes.length, 10000);
    const pub = await connect({ host: '127.0.0.1', port: broker.port });
    const payloads = sizes.map((n, i) => Buffer.alloc(n, i + 1));
    await Promise.all(payloads.map((p) => pub.publish(topic, p, { qos: 1 })));
    expect((await arriving).map((m) => m.payload)).toEqual(payloads);
    await pub.end();
    await sub.end();
  });

  it('3.1.1 with maxPacketSize set: one ERR_PACKET_TOO_LARGE, no reconnect loop; 5.0: announced, so the broker never sends it', async () => {
    const topic = 'large/limited';
    const limited = (protocolVersion: 4 | 5) => connect({
      host: '127.0.0.1', port: broker.port, protocolVersion, clientId: `large-limited-${protocolVersion}`, clean: false,
      maxPacketSize: 1024, reconnectPeriod: 20, reconnectMaxPeriod: 20,
    });
    const v3 = await limited(4), v5 = await limited(5);
    const errors: Record<number, string[]> = { 4: [], 5: [] };
    let reconnects = 0;
    for (const [c, v] of [[v3, 4], [v5, 5]] as const) {
      await c.subscribe(topic, { qos: 1 });
      c.on('error', (e) => errors[v].push(e.code));
      c.on('reconnect', () => { reconnects++; });
    }
    const received: string[] = [];
    v5.on('message', (_t, p) => received.push(p.length > 100 ? `${p.length} bytes` : p.toString()));
    const pub = await connect({ host: '127.0.0.1', port: broker.port });
    await pub.publish(topic, Buffer.alloc(2000), { qos: 1 });
    await pub.publish(topic, 'small', { qos: 1 });
    expect(await pollUntil(() => v3.state === 'disconnected' && received.length > 0, 5000)).toBe(true);
    await new Promise((r) => setTimeout(r, 500));   // 25 reconnect periods
    expect(received).toEqual(['small']);
    expect(errors).toEqual({ 4: ['ERR_PACKET_TOO_LARGE'], 5: [] });
    expect(reconnects).toBe(0);
    expect(v5.connected).toBe(true);
    await pub.end();
    await v5.end();
    await v3.end();
  });
});

describe('large payloads (the addon: a buffer of their own, reused once collected)', () => {
  // gc() without --expose-gc on the command line
  v8.setFlagsFromString('--expose-gc');
  const gc = vm.runInNewContext('gc') as () => void;
  const collect = async () => {
    gc();
    await new Promise((r) => setTimeout(r, 10));   // the ArrayBuffers' finalizers give the buffers back
  };

  it.each(['inline', 'thread'] as const)(
    'the %s driver: payloads the application keeps stay whole while collected ones\' buffers take new messages',
    async (driver) => {
      const topic = `large/kept/${driver}`;
      const sub = await connect({ host: '127.0.0.1', port: broker.port, protocolVersion: 5, driver, maxPacketSize: 2 << 20 });
      const pub = await connect({ host: '127.0.0.1', port: broker.port, protocolVersion: 5, sendBufferSize: 2 << 20 });
      try {
        await sub.subscribe(topic, { qos: 1 });
        const size = 1 << 20;
        const expected = (i: number) => Buffer.alloc(size, i & 0xff);
        const got: Array<{ payload: Buffer; n: string | string[] | undefined }> = [];
        const bad: number[] = [];
        sub.on('message', (_t, payload, packet) => {
          const i = got.length;
          if (!payload.equals(expected(i))) bad.push(i);
          got.push({ payload, n: packet.properties?.userProperties?.n });
        });
        const send = async (from: number, to: number) => {
          const sent = [];
          for (let i = from; i < to; i++)
            sent.push(pub.publish(topic, expected(i), { qos: 1, properties: { userProperties: { n: String(i) } } }));
          await Promise.all(sent);
          expect(await pollUntil(() => got.length === to, 10000)).toBe(true);
        };
        await send(0, 30);                         // kept: every payload stays referenced
        await collect();
        for (let round = 1; round <= 4; round++) { // dropped after arrival, collected between rounds
          await send(30 * round, 30 * (round + 1));
          for (let i = 30 * round; i < 30 * (round + 1); i++) got[i].payload = Buffer.alloc(0);
          await collect();
        }
        expect(bad).toEqual([]);
        got.forEach((m, i) => expect(m.n).toBe(String(i)));
        for (let i = 0; i < 30; i++) expect(got[i].payload.equals(expected(i))).toBe(true);
      } finally {
        await pub.end();
        await sub.end();
      }
    });
});

describe('signals', () => {
  it('honours an aborted signal', async () => {
    const client = await connect({ port: broker.port, host: '127.0.0.1' });
    try {
      const ac = new AbortController();
      ac.abort('no longer wanted');
      await expect(client.publish('t', 'x', { qos: 1, signal: ac.signal })).rejects.toMatchObject({ code: 'ERR_ABORTED' });
    } finally {
      await client.end();
    }
  });

  it('lets go of a long-lived signal once each operation settles, and an abort after that changes nothing', async () => {
    const client = await connect({ port: broker.port, host: '127.0.0.1' });
    try {
      const ac = new AbortController();
      const ops = Array.from({ length: 200 }, (_, i) => client.publish('signals/long-lived', `m${i}`, { qos: 1, signal: ac.signal }));
      ops.push(client.subscribe('signals/#', { signal: ac.signal }) as Promise<never>, client.ping({ signal: ac.signal }));
      await Promise.all(ops);
      expect(getEventListeners(ac.signal, 'abort')).toHaveLength(0);
      ac.abort('too late');
      // a settled operation keeps its outcome: awaitSync reads it
      expect(client.awaitSync(ops[0], 1000)).toBeUndefined();
      await expect(ops[0]).resolves.toBeUndefined();
    } finally {
      await client.end();
    }
  });
});

describe('messages()', () => {
  it('yields the matching messages in order and detaches on break', async () => {
    const client = await connect({ port: broker.port, host: '127.0.0.1' });
    try {
      await client.subscribe('it/#', { qos: 1 });
      const listeners = client.listenerCount('message');
      const seen: string[] = [];
      const reading = (async () => {
        for await (const m of client.messages('it/+/temp')) {
          seen.push(`${m.topic}=${m.payload.toString()}`);
          if (seen.length === 3) break;
        }
      })();
      for (const [topic, value] of [['it/a/temp', '1'], ['it/a/hum', 'x'], ['it/b/temp', '2'], ['it/c/d/temp', 'y'], ['it/c/temp', '3']])
        await client.publish(topic, value, { qos: 1 });
      await reading;
      expect(seen).toEqual(['it/a/temp=1', 'it/b/temp=2', 'it/c/temp=3']);
      expect(client.listenerCount('message')).toBe(listeners); /* break detached it */
      expect(() => client.messages('a/#/b')).toThrow(/filter/);
    } finally {
      await client.end();
    }
  });

  it('ends when the client ends', async () => {
    const client = await connect({ port: broker.port, host: '127.0.0.1' });
    const iterator = client.messages();
    const next = iterator.next();
    await client.end();
    await expect(next).resolves.toEqual({ value: undefined, done: true });
  });

  it('tells a consumer that fell behind instead of growing or dropping silently', async () => {
    const client = await connect({ port: broker.port, host: '127.0.0.1' });
    try {
      await client.subscribe('hw/+', { qos: 1 });
      const iterator = client.messages('hw/+', { highWaterMark: 2 });
      const arrived = nextMessages(client, 3);
      for (const n of ['1', '2', '3']) await client.publish(`hw/${n}`, n, { qos: 1 });
      await arrived;
      await expect(iterator.next()).resolves.toMatchObject({ value: { topic: 'hw/1' } });
      await expect(iterator.next()).resolves.toMatchObject({ value: { topic: 'hw/2' } });
      await expect(iterator.next()).rejects.toMatchObject({ code: 'ERR_QUEUE_FULL', message: expect.stringContaining('highWaterMark') });
    } finally {
      await client.end();
    }
  });

  it('stops on its signal', async () => {
    const client = await connect({ port: broker.port, host: '127.0.0.1' });
    try {
      const ac = new AbortController();
      const iterator = client.messages(undefined, { signal: ac.signal });
      const next = iterator.next();
      ac.abort('done here');
      await expect(next).rejects.toMatchObject({ code: 'ERR_ABORTED' });
    } finally {
      await client.end();
    }
  });
});
