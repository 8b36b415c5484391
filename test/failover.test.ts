// options.servers and a list of URLs: the client tries the servers in order,
// says which one it is on, and fails over when its server goes away. Two
// aedes brokers in process that share nothing, so a failover always lands
// on a node without the session ('sessionLost'); the cluster with shared
// sessions is test/cluster.test.ts.
import { afterEach, describe, expect, it } from 'vitest';
import { MqttClient, MqttError, connect, type ConnackPacket } from '../lib/index.js';
import { startAedes, type AedesBroker } from './support/aedes.js';
import { nextEvent } from './support/events.js';
import { freePort, startMosquitto } from './support/mosquitto.js';

const brokers: AedesBroker[] = [];
const clients: MqttClient[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) await c.end({ force: true });
  for (const b of brokers.splice(0)) await b.stop();
});

async function aedes(): Promise<AedesBroker> {
  const b = await startAedes();
  brokers.push(b);
  return b;
}

describe.each(['inline', 'thread'] as const)('server list (%s driver)', (driver) => {
  it('passes over a server that refuses and says which one it is on', async () => {
    const dead = await freePort();
    const live = await aedes();
    const c = new MqttClient({ servers: [{ host: '127.0.0.1', port: dead }, { host: '127.0.0.1', port: live.port }], driver });
    clients.push(c);
    expect(c.server).toBeUndefined();
    const errors: MqttError[] = [];
    c.on('error', (e) => errors.push(e));
    const connected = nextEvent(c, 'connect');
    await c.connect();
    const [connack] = (await connected) as [ConnackPacket];
    expect(connack.server).toEqual({ host: '127.0.0.1', port: live.port, protocol: 'mqtt' });
    expect(c.server).toEqual(connack.server);
    expect(errors.map((e) => e.code)).toEqual(['ERR_REFUSED']);
    expect(errors[0].message).toContain(`127.0.0.1:${dead}`);
  });

  it('takes a list mixing mqtt and mqtts, each server with its own protocol', async () => {
    const dead = await freePort();
    const live = await aedes();
    const mosquitto = await startMosquitto();
    try {
      // a dead plain server, then a TLS one; then a dead TLS server, then a plain one
      const toTls = await connect([`mqtt://127.0.0.1:${dead}`, `mqtts://127.0.0.1:${mosquitto.tlsPort}`], { ca: mosquitto.certs.ca, driver });
      clients.push(toTls);
      expect(toTls.server).toEqual({ host: '127.0.0.1', port: mosquitto.tlsPort, protocol: 'mqtts' });
      const got = nextEvent(toTls, 'message');
      await toTls.subscribe('mixed/tls');
      await toTls.publish('mixed/tls', 'over TLS');
      expect(String((await got)[1])).toBe('over TLS');
      const toPlain = new MqttClient({ servers: [{ host: '127.0.0.1', port: mosquitto.tlsPort, protocol: 'mqtts' }, { host: '127.0.0.1', port: live.port }], driver });
      clients.push(toPlain);
      const errors: MqttError[] = [];
      toPlain.on('error', (e) => errors.push(e));
      await toPlain.connect();
      expect(toPlain.server).toEqual({ host: '127.0.0.1', port: live.port, protocol: 'mqtt' });
      expect(errors.map((e) => e.code)).toEqual(['ERR_TLS_VERIFY']);
    } finally {
      await mosquitto.stop();
    }
  });

  it('takes a list of URLs in connect()', async () => {
    const dead = await freePort();
    const live = await aedes();
    const c = await connect([`mqtt://127.0.0.1:${dead}`, `mqtt://127.0.0.1:${live.port}`], { driver });
    clients.push(c);
    expect(c.server?.port).toBe(live.port);
  });

  it('rejects connect() with the last error once every server failed, without automatic reconnect', async () => {
    const ports = [await freePort(), await freePort(), await freePort()];
    const c = new MqttClient({ servers: ports.map((port) => ({ host: '127.0.0.1', port })), reconnectPeriod: 0, driver });
    clients.push(c);
    const reconnects: number[] = [];
    c.on('reconnect', ({ delay }) => reconnects.push(delay));
    await expect(c.connect()).rejects.toMatchObject({ code: 'ERR_REFUSED' });
    expect(c.server?.port).toBe(ports[2]);
    expect(reconnects).toEqual([0, 0]);   // the next server at once, twice
    expect(c.state).toBe('disconnected');
  });

  it('fails over when its server goes away, and says the session was lost', async () => {
    const a = await aedes();
    const b = await aedes();
    const c = new MqttClient({
      servers: [{ host: '127.0.0.1', port: a.port }, { host: '127.0.0.1', port: b.port }],
      clientId: `failover-${driver}`, clean: false, reconnectPeriod: 50, driver,
    });
    clients.push(c);
    c.on('error', () => undefined);
    await c.connect();
    expect(c.server?.port).toBe(a.port);
    await c.subscribe('fo/#', { qos: 1 });
    const lost = nextEvent(c, 'sessionLost', 10000);
    const reconnected = nextEvent(c, 'connect', 10000);
    await a.stop();
    brokers.splice(brokers.indexOf(a), 1);
    const [connack] = (await reconnected) as [ConnackPacket];
    expect(connack.server.port).toBe(b.port);
    expect(connack.sessionPresent).toBe(false);
    expect(await lost).toEqual([{ server: connack.server, resubscribed: true }]);
    // resubscribed on b: a message published there arrives
    const got = nextEvent(c, 'message');
    const p = await connect(`mqtt://127.0.0.1:${b.port}`);
    clients.push(p);
    await p.publish('fo/x', 'after failover', { qos: 1 });
    const [topic, payload] = await got;
    expect(topic).toBe('fo/x');
    expect(String(payload)).toBe('after failover');
  });
});

describe('server list: bad input', () => {
  const cases: [string, unknown, string][] = [
    ['an empty list', { servers: [] }, 'options.servers'],
    ['not a list', { servers: { host: 'x' } }, 'options.servers'],
    ['a server that is not an object', { servers: ['mqtt://x'] }, 'options.servers[0]'],
    ['a host that is not a string', { servers: [{ host: 1, port: 1883 }] }, 'options.servers[0].host'],
    ['a port out of range', { servers: [{ host: 'a', port: 1883 }, { host: 'b', port: 0 }] }, 'options.servers[1].port'],
    ['a protocol other than mqtt and mqtts', { servers: [{ host: 'a', port: 1883, protocol: 'ws' }] }, 'options.servers[0].protocol'],
  ];
  it.each(cases)('refuses %s with ERR_INVALID_ARG naming it', (_, options, name) => {
    let err: unknown;
    try {
      new MqttClient(options as never);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(MqttError);
    expect(err).toMatchObject({ code: 'ERR_INVALID_ARG' });
    expect((err as Error).message).toContain(name);
  });

  it('refuses a URL list with a WebSocket URL or mixing credentials', async () => {
    await expect(connect(['mqtt://a:1', 'ws://b:2'])).rejects.toMatchObject({ code: 'ERR_INVALID_ARG', message: expect.stringContaining('url[1]') });
    await expect(connect(['mqtt://u:p@a:1', 'mqtt://v:p@b:2'])).rejects.toMatchObject({ code: 'ERR_INVALID_ARG', message: expect.stringContaining('url[1]') });
    await expect(connect([])).rejects.toMatchObject({ code: 'ERR_INVALID_ARG', message: expect.stringContaining('url') });
  });

  it('refuses a server list over WebSockets, which would need an upgrade request per node', async () => {
    await expect(connect(['ws://a:1', 'ws://b:2'])).rejects.toMatchObject({ code: 'ERR_INVALID_ARG', message: expect.stringMatching(/^url\[0\] must be an mqtt:\/\/ or mqtts:\/\/ URL, not ws:\/\//) });
    expect(() => new MqttClient({ protocol: 'wss', servers: [{ host: 'a', port: 1 }] })).toThrow(/^options\.servers is not supported with protocol "wss"/);
  });
});
