// The core API (tinymqtt) and MQTT.js users' habits (issue 17): unknown
// options are refused naming the key (host, hostname, port and protocol
// taken), a callback where the core API takes none is refused pointing to
// tinymqtt/mqtt before anything is sent, options.retryFirstConnect keeps
// connect() trying through failed attempts, and parseUrl is exported.
import { createServer, type Server } from 'node:net';
import { describe, expect, it } from 'vitest';
import { connect, MqttClient, MqttError, parseUrl } from '../lib/index.js';
import { nextEvent } from './support/events.js';
import { connack } from './support/mqtt-bytes.js';
import { freePort } from './support/mosquitto.js';
import { mosquittoWithWatcher } from './support/mosquitto-watcher.js';

const env = mosquittoWithWatcher();
const HOST = '127.0.0.1';

/** `object[method]` called with any arguments (a JavaScript caller's). */
const untyped = (object: object, method: string) => (...args: unknown[]) =>
  (object as Record<string, (...a: unknown[]) => unknown>)[method](...args);

/** The MqttError `f` throws, or the one its promise rejects with. */
async function refusal(f: () => unknown): Promise<MqttError> {
  try {
    await f();
  } catch (e) {
    expect(e).toBeInstanceOf(MqttError);
    return e as MqttError;
  }
  throw new Error('not refused');
}

describe('options', () => {
  it('refuses an unknown option naming it, and takes one whose value is undefined', async () => {
    for (const key of ['hostnme', 'manualConnect', 'reconnectperiod']) {
      const e = await refusal(() => new MqttClient({ host: HOST, [key]: 1 } as never));
      expect(e.code).toBe('ERR_INVALID_ARG');
      expect(e.message).toMatch(new RegExp(`^options\\.${key} is not an option here \\(the options are host, hostname, port`));
    }
    expect((await refusal(() => connect(`mqtt://${HOST}:${env.broker.port}`, { bogus: true } as never))).message).toContain('options.bogus');
    expect((await refusal(() => connect({ host: HOST, port: env.broker.port, bogus: true } as never))).message).toContain('options.bogus');
    const client = await connect({ host: HOST, port: env.broker.port, bogus: undefined } as never);
    await client.end();
  });

  it('hostname is where it connects (MQTT.js\'s name for host); both must agree', async () => {
    const client = await connect({ hostname: HOST, port: env.broker.port });
    expect(client.options.host).toBe(HOST);
    await client.end();
    const e = await refusal(() => new MqttClient({ host: 'localhost', hostname: HOST }));
    expect(e.message).toContain('options.hostname');
    expect((await refusal(() => new MqttClient({ hostname: 5 } as never))).message).toContain('options.hostname');
    await (await connect({ host: HOST, hostname: HOST, port: env.broker.port, protocol: 'mqtt' })).end();
  });

  it('unknown fields of operation options, the will and end() are refused too', async () => {
    const client = await connect({ host: HOST, port: env.broker.port });
    expect((await refusal(() => untyped(client, 'subscribe')('a', { qos: 1, bogus: 1 }))).message).toContain('options.bogus');
    expect((await refusal(() => client.subscribe({ a: { qos: 1, properties: {} } as never }))).message).toContain("filters['a'].properties");
    expect((await refusal(() => untyped(client, 'unsubscribe')('a', { bogus: 1 }))).message).toContain('options.bogus');
    expect((await refusal(() => untyped(client, 'end')({ force: true, bogus: 0 }))).message).toContain('options.bogus');
    expect(client.connected).toBe(true);
    expect((await refusal(() => new MqttClient({ will: { topic: 't', payload: 'p', qoss: 1 } } as never))).message).toContain('options.will.qoss');
    await client.end();
  });
});

describe('callbacks', () => {
  it('a function where the core API takes none is ERR_INVALID_ARG pointing to tinymqtt/mqtt, and nothing is sent', async () => {
    const client = await connect({ host: HOST, port: env.broker.port });
    await env.watcher.subscribe('habits/#');
    const received: string[] = [];
    env.watcher.on('message', (t) => received.push(t));
    const cb = () => { throw new Error('never called'); };
    const calls: Array<[() => unknown, string]> = [
      [() => untyped(client, 'publish')('habits/a', 'x', { qos: 1 }, cb), "publish's argument 4"],
      [() => untyped(client, 'publish')('habits/b', 'x', cb), 'options'],
      [() => untyped(client, 'subscribe')('habits/c', cb), 'options'],
      [() => untyped(client, 'subscribe')('habits/c', {}, cb), "subscribe's argument 3"],
      [() => untyped(client, 'unsubscribe')('habits/c', {}, cb), "unsubscribe's argument 3"],
      [() => untyped(client, 'end')(cb), 'options'],
      [() => untyped(client, 'end')({}, cb), "end's argument 2"],
      [() => untyped(client, 'ping')(cb), 'options'],
      [() => untyped(client, 'connect')(cb), 'options'],
      [() => untyped({ connect }, 'connect')(`mqtt://${HOST}:${env.broker.port}`, {}, cb), "connect's argument 3"],
      [() => new (MqttClient as unknown as new (...args: unknown[]) => unknown)({}, cb), "new MqttClient's argument 2"],
    ];
    for (const [call, name] of calls) {
      const e = await refusal(call);
      expect(e.code, name).toBe('ERR_INVALID_ARG');
      expect(e.message, name).toBe(`${name} is a function, but the core API takes no callbacks: its methods return promises (for MQTT.js's callbacks, import from 'tinymqtt/mqtt')`);
    }
    expect((await refusal(() => untyped(client, 'publish')('habits/d', 'x', {}, 'extra'))).message).toContain("publish's argument 4 is not taken");
    const last = nextEvent(env.watcher, 'message');
    await untyped(client, 'publish')('habits/e', 'still works', { qos: 1 }, undefined);
    await last;
    expect(received).toEqual(['habits/e']);
    expect(client.connected).toBe(true);
    await client.end();
  });
});

describe('retryFirstConnect', () => {
  /** A server on `port` that answers every CONNECT with CONNACK 0. */
  const acceptingOn = (port: number) => new Promise<Server>((resolve) => {
    const server = createServer((socket) => {
      socket.once('data', () => socket.write(connack(0)));
      socket.on('error', () => {});
    });
    server.listen(port, HOST, () => resolve(server));
  });

  it('connect() goes on through failed attempts, each an error event, until connected', async () => {
    const port = await freePort();
    const client = new MqttClient({ host: HOST, port, reconnectPeriod: 50, reconnectJitter: false, reconnectFactor: 1, retryFirstConnect: true });
    const errors: MqttError[] = [];
    client.on('error', (e) => errors.push(e));
    let settled = false;
    const connecting = client.connect().finally(() => { settled = true; });
    for (let i = 0; i < 3; i++) await nextEvent(client, 'reconnect', 2000);
    expect(settled).toBe(false);
    expect(errors.map((e) => e.code)).toEqual(['ERR_REFUSED', 'ERR_REFUSED', 'ERR_REFUSED']);
    const server = await acceptingOn(port);
    try {
      await connecting;
      expect(client.connected).toBe(true);
      await client.end({ force: true });
    } finally {
      server.close();
    }
  });

  it('without it connect() rejects with the first failure; the connect() function with it waits', async () => {
    const port = await freePort();
    const once = new MqttClient({ host: HOST, port, reconnectPeriod: 50 });
    expect((await refusal(() => once.connect())).code).toBe('ERR_REFUSED');
    await once.end();
    const waiting = connect({ host: HOST, port, reconnectPeriod: 50, reconnectFactor: 1, retryFirstConnect: true });
    await new Promise((r) => setTimeout(r, 200));
    const server = await acceptingOn(port);
    try {
      await (await waiting).end({ force: true });
    } finally {
      server.close();
    }
  });

  it('rejects when the broker refuses for good, when ended, and needs automatic reconnect', async () => {
    const bad = new MqttClient({ host: HOST, port: env.broker.passwordPort, username: 'alice', password: 'wrong', retryFirstConnect: true });
    expect((await refusal(() => bad.connect())).code).toBe('ERR_CONNACK_NOT_AUTHORIZED');
    await bad.end();
    const ended = new MqttClient({ host: HOST, port: await freePort(), reconnectPeriod: 50, retryFirstConnect: true });
    ended.on('error', () => {});
    const connecting = ended.connect();
    await nextEvent(ended, 'reconnect');
    await ended.end();
    expect((await refusal(() => connecting)).code).toBe('ERR_CLOSED');
    const e = await refusal(() => new MqttClient({ reconnectPeriod: 0, retryFirstConnect: true }));
    expect(e.message).toContain('options.retryFirstConnect needs automatic reconnect');
  });
});

describe('parseUrl', () => {
  it('gives the options of an mqtt://, mqtts://, ws:// or wss:// URL for new MqttClient()', async () => {
    expect(parseUrl('mqtts://us%40er:p%3Ass@broker.example')).toEqual({ protocol: 'mqtts', host: 'broker.example', username: 'us@er', password: 'p:ss' });
    expect(parseUrl('wss://broker.example/ws?token=1')).toEqual({ protocol: 'wss', host: 'broker.example', path: '/ws?token=1' });
    expect(parseUrl('mqtt://[::1]:1884')).toEqual({ protocol: 'mqtt', host: '::1', port: 1884 });
    const client = new MqttClient({ ...parseUrl(`mqtt://${HOST}:${env.broker.port}`), clientId: 'parsed' });
    await client.connect();
    await client.end();
    expect((await refusal(() => parseUrl('http://x'))).message).toContain('url must start with mqtt://, mqtts://, ws:// or wss://');
    expect((await refusal(() => parseUrl('not a url'))).code).toBe('ERR_INVALID_ARG');
    expect((await refusal(() => parseUrl(42 as never))).message).toBe('url must be a string, not 42');
  });
});
