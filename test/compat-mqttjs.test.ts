// tinymqtt/mqtt (lib/compat/mqtt.ts), MQTT.js's API, against mosquitto and
// the fake broker: every function with its callback and *Async form, every
// event in MQTT.js's order, the flags, the option names, and where we are
// stricter than MQTT.js (docs/compat/mqttjs.md).
import { createServer, type Server } from 'node:net';
import { describe, expect, it, vi } from 'vitest';
import mqtt, { connect, connectAsync, MqttClient, type Packet } from '../lib/compat/mqtt.js';
import { MqttError } from '../lib/index.js';
import { nextEvent, nextMessages } from './support/events.js';
import { FakeBroker } from './support/fake-broker.js';
import { connack, packet, packetId, Type, u16 } from './support/mqtt-bytes.js';
import { freePort, USERS } from './support/mosquitto.js';
import { mosquittoWithWatcher } from './support/mosquitto-watcher.js';
import { withWarnings } from './support/warnings.js';

const env = mosquittoWithWatcher();
const url = () => `mqtt://127.0.0.1:${env.broker.port}`;

/** A client of tinymqtt/mqtt, connected. */
async function connected(options: Parameters<typeof connect>[1] = {}): Promise<MqttClient> {
  const client = connect(url(), options);
  await nextEvent(client, 'connect');
  return client;
}

/** Every event of `client` named in `names`, in order. */
function record(client: MqttClient, names: string[]): string[] {
  const seen: string[] = [];
  for (const name of names) client.on(name as 'close', () => seen.push(name));
  return seen;
}

/** Settles with a callback's arguments. */
function callback<A extends unknown[]>(): { cb: (...args: A) => void; called: Promise<A> } {
  let cb!: (...args: A) => void;
  const called = new Promise<A>((resolve) => { cb = (...args) => resolve(args); });
  return { cb, called };
}

/** A server on `port` that answers every CONNECT with CONNACK 0. */
function acceptingOn(port: number): Promise<Server> {
  const server = createServer((socket) => {
    socket.once('data', () => socket.write(connack(0)));
    socket.on('error', () => {});
  });
  return new Promise((resolve) => server.listen(port, '127.0.0.1', () => resolve(server)));
}

describe('connect', () => {
  it('the default export and the named exports are the same functions', () => {
    expect(mqtt.connect).toBe(connect);
    expect(mqtt.connectAsync).toBe(connectAsync);
    expect(mqtt.MqttClient).toBe(MqttClient);
  });

  it('returns a client at once; connect gives the CONNACK; options tell what was chosen', async () => {
    const client = connect(url(), { clientId: 'mqttjs-connect', keepalive: 20 });
    expect(client.connected).toBe(false);
    const [connackPacket] = await nextEvent(client, 'connect');
    expect(connackPacket).toEqual({ cmd: 'connack', sessionPresent: false, returnCode: 0, reasonCode: 0 });
    expect(client.connected).toBe(true);
    expect(client.options).toMatchObject({
      host: '127.0.0.1', hostname: '127.0.0.1', port: env.broker.port, protocol: 'mqtt', clientId: 'mqttjs-connect',
      keepalive: 20, clean: true, protocolVersion: 4, reconnectPeriod: 1000, connectTimeout: 30000,
    });
    client.end();
    await nextEvent(client, 'end');
  });

  it('takes options alone, tcp:// and MQTT.js names (hostname, protocol tcp, protocolId)', async () => {
    for (const make of [
      () => connect({ hostname: '127.0.0.1', port: env.broker.port, protocol: 'tcp' }),
      () => connect(`tcp://127.0.0.1:${env.broker.port}`, { protocolId: 'MQIsdp', protocolVersion: 3 }),
      () => new MqttClient({ host: '127.0.0.1', port: env.broker.port, protocolId: 'MQTT', protocolVersion: 5 }),
    ]) {
      const client = make();
      await nextEvent(client, 'connect');
      await client.endAsync();
    }
  });

  it('options win over the URL, as in MQTT.js', async () => {
    const client = connect('mqtt://127.0.0.1:1', { port: env.broker.port });
    await nextEvent(client, 'connect');
    expect(client.options.port).toBe(env.broker.port);
    await client.endAsync();
  });

  it('refuses bad options at once with an MqttError naming them; unknown names reach the core check', () => {
    const refused = (f: () => unknown, name: string) => {
      try {
        f();
      } catch (e) {
        expect(e).toBeInstanceOf(MqttError);
        expect((e as MqttError).code).toBe('ERR_INVALID_ARG');
        expect((e as MqttError).message).toContain(name);
        return;
      }
      throw new Error(`not refused: ${name}`);
    };
    refused(() => connect(url(), { incomingStore: {} } as never), 'options.incomingStore');
    refused(() => connect(url(), { protocolId: 'MQIsdp' }), 'options.protocolId');
    refused(() => connect(url(), { manualConnect: 'yes' } as never), 'options.manualConnect');
    refused(() => connect(url(), { keepalive: -1 }), 'options.keepalive');
    refused(() => connect('http://127.0.0.1'), 'url');
    refused(() => connect(42 as never), 'url');
    refused(() => connect(url(), { host: 'a.example', hostname: 'b.example' }), 'options.hostname');
    refused(() => connect(url(), { authPacket: {} }), 'options.authPacket');
  });

  it('autoAssignTopicAlias (5.0) reaches the core client', async () => {
    const client = connect(url(), { protocolVersion: 5, autoAssignTopicAlias: true });
    await nextEvent(client, 'connect');
    await env.watcher.subscribe('mqttjs/alias');
    const got = nextMessages(env.watcher, 2);
    await client.publishAsync('mqttjs/alias', 'one');
    await client.publishAsync('mqttjs/alias', 'two');
    expect((await got).map((m) => `${m.topic} ${m.payload}`)).toEqual(['mqttjs/alias one', 'mqttjs/alias two']);
    await client.endAsync();
  });

  it('keeps trying until connected: error, close, offline, then reconnect, error, close each time, at a fixed period', async () => {
    const port = await freePort();
    const client = connect(`mqtt://127.0.0.1:${port}`, { reconnectPeriod: 100 });
    const seen = record(client, ['error', 'close', 'offline', 'reconnect', 'connect']);
    const errors: MqttError[] = [];
    client.on('error', (e) => errors.push(e));
    const start = performance.now();
    for (let i = 0; i < 4; i++) await nextEvent(client, 'reconnect', 3000);
    // MQTT.js waits reconnectPeriod each time (doubling, it would take 100+200+400+800 ms)
    expect(performance.now() - start).toBeLessThan(1400);
    expect(client.reconnecting).toBe(true);
    expect(seen.slice(0, 5)).toEqual(['error', 'close', 'offline', 'reconnect', 'error']);
    expect(seen.filter((e) => e === 'offline')).toHaveLength(1);
    expect(errors[0].code).toBe('ERR_REFUSED');
    const server = await acceptingOn(port);
    try {
      await nextEvent(client, 'connect', 3000);
      expect(client.connected).toBe(true);
      expect(client.reconnecting).toBe(false);
      await client.endAsync(true);
    } finally {
      server.close();
    }
  });

  it('with reconnectPeriod 0 makes one attempt: error and close, no offline', async () => {
    const client = connect(`mqtt://127.0.0.1:${await freePort()}`, { reconnectPeriod: 0 });
    const seen = record(client, ['error', 'close', 'offline', 'reconnect']);
    client.on('error', () => {});
    await nextEvent(client, 'close');
    await new Promise((r) => setTimeout(r, 100));
    expect(seen).toEqual(['error', 'close']);
    await client.endAsync();
  });

  it('manualConnect: a publish before connect() calls back ERR_NOT_CONNECTED saying to call connect() first; one right after connect() is sent', async () => {
    const client = connect(url(), { manualConnect: true });
    const { cb, called } = callback<[Error?]>();
    client.publish('mqttjs/early', 'x', cb);
    expect((await called)[0]).toMatchObject({
      code: 'ERR_NOT_CONNECTED', message: expect.stringMatching(/^publish: call connect\(\) first \(operations wait in the offline queue from connect\(\) on/),
    });
    await env.watcher.subscribe('mqttjs/early');
    const got = nextMessages(env.watcher, 1);
    client.connect();
    client.publish('mqttjs/early', 'after connect()');
    expect((await got)[0].payload.toString()).toBe('after connect()');
    await client.endAsync();
  });

  it('manualConnect waits for connect(); end() before it still ends', async () => {
    const client = connect(url(), { manualConnect: true });
    await new Promise((r) => setTimeout(r, 50));
    expect(client.connected).toBe(false);
    expect(client.connect()).toBe(client);
    await nextEvent(client, 'connect');
    await client.endAsync();
    const idle = connect(url(), { manualConnect: true });
    const { cb, called } = callback<[Error?]>();
    const seen = record(idle, ['end']);
    idle.end(cb);
    expect(await called).toEqual([undefined]);
    expect(seen).toEqual(['end']);
    expect(idle.disconnected).toBe(true);
  });

  it('connectAsync resolves with the connected client, and rejects with the first error, ending the client', async () => {
    const client = await connectAsync(url(), { clientId: 'mqttjs-async' });
    expect(client.connected).toBe(true);
    await client.endAsync();
    const failed = connectAsync(`mqtt://127.0.0.1:${await freePort()}`, { reconnectPeriod: 100 });
    await expect(failed).rejects.toMatchObject({ code: 'ERR_REFUSED' });
    await expect(connectAsync(url(), { bogus: 1 } as never)).rejects.toMatchObject({ code: 'ERR_INVALID_ARG' });
  });

  it('a CONNACK refusal is an error and a close, and the client stops trying', async () => {
    const client = connect(`mqtt://127.0.0.1:${env.broker.passwordPort}`, { username: 'alice', password: 'wrong', reconnectPeriod: 100 });
    const seen = record(client, ['error', 'close', 'offline', 'reconnect']);
    const [error] = await nextEvent(client, 'error') as [MqttError];
    expect(error.code).toBe('ERR_CONNACK_NOT_AUTHORIZED');
    expect(error.reasonCode).toBe(5);
    await new Promise((r) => setTimeout(r, 300));
    expect(seen).toEqual(['error', 'close']);
    await client.endAsync();
    const alice = await connectAsync(`mqtt://alice:${USERS.alice}@127.0.0.1:${env.broker.passwordPort}`);
    await alice.endAsync();
  });
});

describe('options', () => {
  it('TLS: mqtts:// and ssl:// with ca, the TLS options by their names', async () => {
    const { tlsPort, certs } = env.broker;
    for (const target of [`mqtts://127.0.0.1:${tlsPort}`, `ssl://127.0.0.1:${tlsPort}`]) {
      const client = connect(target, { ca: certs.ca, servername: 'localhost', rejectUnauthorized: true });
      await nextEvent(client, 'connect');
      expect(client.options.protocol).toBe('mqtts');
      await client.endAsync();
    }
    const untrusted = connect({ host: '127.0.0.1', port: tlsPort, protocol: 'tls', ca: certs.wrongCa, reconnectPeriod: 0 });
    const [error] = await nextEvent(untrusted, 'error') as [MqttError];
    expect(error.code).toBe('ERR_TLS_VERIFY');
    await untrusted.endAsync();
  });

  it('queueQoSZero false refuses a QoS 0 publish while offline; true (the default) sends it once connected', async () => {
    const port = await freePort();
    const strict = connect(`mqtt://127.0.0.1:${port}`, { queueQoSZero: false, reconnectPeriod: 50 });
    strict.on('error', () => {});
    await nextEvent(strict, 'offline');
    const { cb, called } = callback<[Error?]>();
    strict.publish('mqttjs/q0', 'x', cb);
    expect((await called)[0]).toMatchObject({ code: 'ERR_NOT_CONNECTED' });
    await strict.endAsync();
    await env.watcher.subscribe('mqttjs/q0');
    const client = connect(url(), { manualConnect: true });
    client.connect();
    const got = nextMessages(env.watcher, 1);
    client.publish('mqttjs/q0', 'queued before the CONNACK');
    expect((await got)[0].payload.toString()).toBe('queued before the CONNACK');
    await client.endAsync();
  });

  it('servers: the core client\'s failover list, tried in order', async () => {
    const closed = await freePort();
    const client = connect({ servers: [{ host: '127.0.0.1', port: closed }, { host: '127.0.0.1', port: env.broker.port }] });
    await nextEvent(client, 'connect');
    expect(client.connected).toBe(true);
    await client.endAsync();
  });
});

describe('operations', () => {
  it('publish: callback at QoS 0, on PUBACK and on PUBCOMP; publishAsync gives the packet', async () => {
    const client = await connected();
    const got = nextMessages(env.watcher, 3);
    await env.watcher.subscribe('mqttjs/pub/#', { qos: 2 });
    const results = await Promise.all([0, 1, 2].map((qos) => {
      const { cb, called } = callback<[Error?, Packet?]>();
      expect(client.publish(`mqttjs/pub/${qos}`, `m${qos}`, { qos: qos as 0 | 1 | 2 }, cb)).toBe(client);
      return called;
    }));
    expect(results[0]).toEqual([undefined]);
    expect(results[1][0]).toBeUndefined();
    expect(results[1][1]).toMatchObject({ cmd: 'puback' });
    expect(results[2][1]).toMatchObject({ cmd: 'pubcomp' });
    expect((await got).map((m) => [m.topic, m.payload.toString(), m.qos])).toEqual([
      ['mqttjs/pub/0', 'm0', 0], ['mqttjs/pub/1', 'm1', 1], ['mqttjs/pub/2', 'm2', 2]]);
    expect(await client.publishAsync('mqttjs/pub/0', 'x')).toBeUndefined();
    expect(await client.publishAsync('mqttjs/pub/1', 'x', { qos: 1 })).toEqual({ cmd: 'puback', messageId: client.getLastMessageId() });
    const { cb, called } = callback<[Error?, Packet?]>();
    client.publish('mqttjs/pub/0', Buffer.from('buffer and no options'), cb);
    expect((await called)[0]).toBeUndefined();
    await client.endAsync();
  });

  it('subscribe: (null, granted) for a string, an array and an object; message gives topic, payload and packet', async () => {
    const client = await connected();
    const one = callback<[Error | null, unknown?]>();
    client.subscribe('mqttjs/sub/a', one.cb);
    expect(await one.called).toEqual([null, [{ topic: 'mqttjs/sub/a', qos: 0 }]]);
    const two = callback<[Error | null, unknown?]>();
    client.subscribe(['mqttjs/sub/b', 'mqttjs/sub/c'], { qos: 1 }, two.cb);
    expect(await two.called).toEqual([null, [{ topic: 'mqttjs/sub/b', qos: 1 }, { topic: 'mqttjs/sub/c', qos: 1 }]]);
    expect(await client.subscribeAsync({ 'mqttjs/sub/d': { qos: 2 }, 'mqttjs/sub/e': 1 })).toEqual([
      { topic: 'mqttjs/sub/d', qos: 2 }, { topic: 'mqttjs/sub/e', qos: 1 }]);
    const message = nextEvent(client, 'message');
    await env.watcher.publish('mqttjs/sub/d', 'hello', { qos: 1, retain: false });
    const [topic, payload, packetArg] = await message;
    expect(topic).toBe('mqttjs/sub/d');
    expect((payload as Buffer).toString()).toBe('hello');
    expect(packetArg).toMatchObject({ cmd: 'publish', topic: 'mqttjs/sub/d', qos: 1, retain: false, dup: false });
    await client.endAsync();
  });

  it('subscribe: a refused filter gives the error and every filter\'s result', async () => {
    const fake = await FakeBroker.start();
    try {
      const client = connect(`mqtt://127.0.0.1:${fake.port}`);
      const conn = await fake.acceptConnected();
      const { cb, called } = callback<[Error | null, unknown?]>();
      client.subscribe(['ok/+', 'denied/#'], { qos: 1 }, cb);
      const sub = await conn.expect(Type.SUBSCRIBE);
      conn.send(packet(0x90, u16(packetId(sub)), [1, 0x80]));
      const [error, granted] = await called;
      expect(error).toMatchObject({ code: 'ERR_SUBACK_REFUSED' });
      expect(granted).toEqual([{ topic: 'ok/+', qos: 1 }, { topic: 'denied/#', qos: 0x80 }]);
      await client.endAsync(true);
    } finally {
      await fake.stop();
    }
  });

  it('unsubscribe: callback on UNSUBACK; unsubscribeAsync; no message afterwards', async () => {
    const client = await connected();
    await client.subscribeAsync(['mqttjs/unsub/a', 'mqttjs/unsub/b']);
    const { cb, called } = callback<[Error?, Packet?]>();
    expect(client.unsubscribe('mqttjs/unsub/a', cb)).toBe(client);
    expect(await called).toEqual([undefined, { cmd: 'unsuback', messageId: client.getLastMessageId() }]);
    expect(await client.unsubscribeAsync(['mqttjs/unsub/b'], {})).toMatchObject({ cmd: 'unsuback' });
    const seen: string[] = [];
    client.on('message', (t) => seen.push(t));
    await env.watcher.publish('mqttjs/unsub/a', 'x', { qos: 1 });
    await client.subscribeAsync('mqttjs/unsub/c');
    const last = nextEvent(client, 'message');
    await env.watcher.publish('mqttjs/unsub/c', 'x', { qos: 1 });
    await last;
    expect(seen).toEqual(['mqttjs/unsub/c']);
    await client.endAsync();
  });

  it('end: close, end, then the callback; end(force); a second end calls back at once; endAsync', async () => {
    const client = await connected();
    const seen = record(client, ['close', 'end', 'offline']);
    const { cb, called } = callback<[Error?]>();
    expect(client.end(cb)).toBe(client);
    expect(client.disconnecting).toBe(true);
    await called;
    expect(seen).toEqual(['close', 'end']);
    expect(client.disconnected).toBe(true);
    expect(client.disconnecting).toBe(false);
    const again = callback<[Error?]>();
    client.end(again.cb);
    await again.called;
    const forced = await connected();
    const forcedSeen = record(forced, ['close', 'end']);
    const f = callback<[Error?]>();
    forced.end(true, {}, f.cb);
    await f.called;
    expect(forcedSeen).toEqual(['close', 'end']);
    const other = await connected();
    await other.endAsync(false);
    expect(other.disconnected).toBe(true);
  });

  it('end: unknown DISCONNECT options are refused and the client stays as it was', async () => {
    const client = await connected();
    const { cb, called } = callback<[Error?]>();
    client.end(false, { bogus: 1 }, cb);
    const [error] = await called;
    expect(error).toMatchObject({ code: 'ERR_INVALID_ARG' });
    expect(error!.message).toContain('options.bogus');
    expect(client.connected).toBe(true);
    expect(client.disconnecting).toBe(false);
    expect(() => client.end('now' as never)).toThrow(/end's arguments/);
    await client.endAsync();
  });

  it('reconnect(): after end it connects again, and while connected it ends and connects', async () => {
    const client = await connected();
    await client.endAsync();
    const seen = record(client, ['reconnect', 'connect', 'close', 'end']);
    expect(client.reconnect()).toBe(client);
    await nextEvent(client, 'connect');
    expect(client.connected).toBe(true);
    client.reconnect();
    await nextEvent(client, 'connect');
    expect(seen).toEqual(['reconnect', 'connect', 'reconnect', 'close', 'end', 'connect']);
    await client.subscribeAsync('mqttjs/reconnect');
    const message = nextEvent(client, 'message');
    await env.watcher.publish('mqttjs/reconnect', 'after', { qos: 1 });
    await message;
    await client.endAsync();
  });

  it('removeOutgoingMessage: the publish\'s callback gets ERR_ABORTED, and a queued one is never sent', async () => {
    const fake = await FakeBroker.start();
    try {
      const client = connect(`mqtt://127.0.0.1:${fake.port}`, { reconnectPeriod: 50 });
      const conn = await fake.acceptConnected();
      const unacked = callback<[Error?, Packet?]>();
      client.publish('t/unacked', 'x', { qos: 1 }, unacked.cb);
      await conn.expect(Type.PUBLISH);
      expect(client.removeOutgoingMessage(client.getLastMessageId())).toBe(client);
      const [error] = await unacked.called;
      expect(error).toMatchObject({ code: 'ERR_ABORTED' });
      expect(error!.message).toContain('removeOutgoingMessage');
      // while offline it is withdrawn from the queue
      conn.end();
      await nextEvent(client, 'offline');
      const queued = callback<[Error?, Packet?]>();
      client.publish('t/queued', 'y', { qos: 1 }, queued.cb);
      client.removeOutgoingMessage(client.getLastMessageId());
      expect((await queued.called)[0]).toMatchObject({ code: 'ERR_ABORTED' });
      client.publish('t/kept', 'z', { qos: 1 }, () => {});   // closed below: ERR_CLOSED
      const again = await fake.acceptConnected();
      const topics: string[] = [];
      for (;;) {
        const p = await again.next();
        if (p[0] >> 4 !== Type.PUBLISH) continue;
        topics.push(p.subarray(4, 4 + p.readUInt16BE(2)).toString());
        if (topics.at(-1) === 't/kept') break;
      }
      expect(topics).not.toContain('t/queued');
      client.end(true);
    } finally {
      await fake.stop();
    }
  });
});

describe('events', () => {
  it('packetsend and packetreceive, when listened to', async () => {
    const client = connect(url());
    const sent: string[] = [], received: string[] = [];
    client.on('packetsend', (p) => sent.push(p.cmd));
    client.on('packetreceive', (p) => received.push(p.cmd));
    await nextEvent(client, 'connect');
    await client.subscribeAsync('mqttjs/packets');
    const message = nextEvent(client, 'message');
    await client.publishAsync('mqttjs/packets', 'x', { qos: 1 });
    await message;
    await client.unsubscribeAsync('mqttjs/packets');
    client.publish('bad/+', 'x', () => {});   // refused at once: never sent
    await client.publishAsync('mqttjs/packets', 'qos 0');
    expect(sent).toEqual(['subscribe', 'publish', 'unsubscribe', 'publish']);
    expect(received.filter((c) => c !== 'publish')).toEqual(['connack', 'suback', 'puback', 'unsuback']);
    expect(received).toContain('publish');
    await client.endAsync();
  });

  it('a 5.0 DISCONNECT from the server is disconnect (not error), then close and offline', async () => {
    const fake = await FakeBroker.start();
    try {
      const client = connect(`mqtt://127.0.0.1:${fake.port}`, { protocolVersion: 5, reconnectPeriod: 1000 });
      const seen = record(client, ['disconnect', 'error', 'close', 'offline']);
      const conn = await fake.acceptConnected(true);
      await nextEvent(client, 'connect');
      const disconnect = nextEvent(client, 'disconnect');
      conn.send(Buffer.from([0xe0, 0x01, 0x8b]));   // DISCONNECT, Server shutting down
      expect(await disconnect).toEqual([{ cmd: 'disconnect', reasonCode: 0x8b }]);
      await vi.waitFor(() => expect(seen).toContain('offline'));
      expect(seen).toEqual(['disconnect', 'close', 'offline']);
      expect(client.connected).toBe(false);
      expect(client.reconnecting).toBe(true);
      await client.endAsync();
    } finally {
      await fake.stop();
    }
  });

  it('a lost connection is close and offline, then reconnect and connect', async () => {
    const fake = await FakeBroker.start();
    try {
      const client = connect(`mqtt://127.0.0.1:${fake.port}`, { reconnectPeriod: 50 });
      const seen = record(client, ['connect', 'close', 'offline', 'reconnect', 'error']);
      client.on('error', () => {});
      const conn = await fake.acceptConnected();
      await nextEvent(client, 'connect');
      conn.end();
      await fake.acceptConnected();
      await nextEvent(client, 'connect');
      expect(seen.filter((e) => e !== 'error')).toEqual(['connect', 'close', 'offline', 'reconnect', 'connect']);
      await client.endAsync(true);
    } finally {
      await fake.stop();
    }
  });
});

describe('stricter than MQTT.js', () => {
  it('a wildcard in a publish topic, a null payload, dup and unknown options go to the callback as MqttErrors', async () => {
    const client = await connected();
    const cases: Array<[(cb: (e?: Error | null) => void) => void, string]> = [
      [(cb) => client.publish('a/+', 'x', cb), 'ERR_INVALID_TOPIC'],
      [(cb) => client.publish('a/b', null as never, cb), 'ERR_INVALID_ARG'],
      [(cb) => client.publish('a/b', 'x', { dup: true }, cb), 'ERR_INVALID_ARG'],
      [(cb) => client.publish('a/b', 'x', { cbStorePut: () => {} } as never, cb), 'ERR_INVALID_ARG'],
      [(cb) => client.subscribe('a/#/b', cb), 'ERR_INVALID_FILTER'],
      [(cb) => client.subscribe('a', { qos: 1, bogus: true } as never, cb), 'ERR_INVALID_ARG'],
      [(cb) => client.unsubscribe([], cb), 'ERR_INVALID_ARG'],
    ];
    for (const [call, code] of cases) {
      const { cb, called } = callback<[(Error | null)?]>();
      call(cb);
      expect((await called)[0], code).toMatchObject({ code });
    }
    expect(() => client.publish('a/b', 'x', {}, 'not a function' as never)).toThrow(MqttError);
    await client.endAsync();
  });

  it('without a callback, a failure is an error event, or a process warning when nobody listens', async () => {
    const client = await connected();
    const errored = nextEvent(client, 'error');
    client.publish('a/+', 'x');
    expect((await errored)[0]).toMatchObject({ code: 'ERR_INVALID_TOPIC' });
    await withWarnings(async (warnings) => {
      const quiet = await connected();
      quiet.subscribe('a/#/b');
      await new Promise((r) => setTimeout(r, 50));
      expect(warnings.map((w) => w.message)).toEqual([expect.stringContaining('subscribe failed')]);
      await quiet.endAsync();
    });
    await client.endAsync();
  });

  it('an exception in a callback is not swallowed: it reaches the process, as with MQTT.js', async () => {
    const client = await connected();
    const thrown = new Promise<Error>((resolve) => process.once('uncaughtException', resolve));
    const listeners = process.listeners('uncaughtException');
    client.publish('a/b', 'x', () => { throw new Error('from the callback'); });
    expect((await thrown).message).toBe('from the callback');
    expect(process.listeners('uncaughtException')).toHaveLength(listeners.length - 1);
    await client.endAsync();
  });
});
