// LuatOS `mqtt` (lib/compat/luatos.ts) against mosquitto, aedes and the fake
// broker: the seed's examples line for line (Lua in the comments; the public
// broker 120.55.137.106 replaced by the test broker, TLS examples against its
// TLS listeners), every method with its defaults, return values and error
// paths, and the two LuatOS defects we fix (no resend, no QoS 2
// de-duplication).
import { describe, expect, it, vi } from 'vitest';
import { connect } from '../lib/index.js';
import { mqtt, type LuatosClient, type LuatosEventArgs } from '../lib/compat/luatos.js';
import { startAedes } from './support/aedes.js';
import { connectFields, type ConnectFields } from './support/connect-fields.js';
import { nextMessages } from './support/events.js';
import { FakeBroker } from './support/fake-broker.js';
import { connack, packet, packetId, publish, pubackFor, Type, u16 } from './support/mqtt-bytes.js';
import { freePort, KEY_PASSPHRASE, USERS } from './support/mosquitto.js';
import { mosquittoWithWatcher } from './support/mosquitto-watcher.js';
import { FaultProxy } from './support/proxy.js';
import { DIST_URL, Script } from './support/script.js';
import { withWarnings } from './support/warnings.js';

const env = mosquittoWithWatcher();

const HOST = '127.0.0.1';

/** Every event the client's callback receives, in order (and that the
 *  callback's first argument is the client). */
function recorder(mqttc: LuatosClient): LuatosEventArgs[] {
  const events: LuatosEventArgs[] = [];
  mqttc.on((client, ...event) => {
    expect(client).toBe(mqttc);
    events.push(event as LuatosEventArgs);
  });
  return events;
}

const named = (events: LuatosEventArgs[], name: string) => events.filter((e) => e[0] === name);

/** Waits until `events` has `n` events named `name`; returns them. */
async function until(events: LuatosEventArgs[], name: string, n = 1, ms = 5000): Promise<LuatosEventArgs[]> {
  await vi.waitFor(() => {
    if (named(events, name).length < n) throw new Error(`${named(events, name).length} of ${n} '${name}' events within ${ms} ms: ${JSON.stringify(events.map((e) => e[0]))}`);
  }, { timeout: ms, interval: 5 });
  return named(events, name);
}

/** Creates a client on `port` (mosquitto's plain listener by default),
 *  connects it and waits for conack. */
async function connected(port = env.broker.port): Promise<{ mqttc: LuatosClient; events: LuatosEventArgs[] }> {
  const mqttc = mqtt.create(null, HOST, port);
  const events = recorder(mqttc);
  expect(mqttc.connect()).toBe(true);
  await until(events, 'conack');
  return { mqttc, events };
}

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The CONNECT a client prepared by `setup` sends to `fake` (then closed). */
async function sentConnect(fake: FakeBroker, setup: (mqttc: LuatosClient) => void = () => {}): Promise<ConnectFields> {
  const mqttc = mqtt.create(null, HOST, fake.port);
  setup(mqttc);
  mqttc.connect();
  const conn = await fake.accept();
  const fields = connectFields(await conn.expect(Type.CONNECT));
  mqttc.close();
  return fields;
}

describe('examples of the seed', () => {
  // mqttc = mqtt.create(nil,"120.55.137.106", 1884)
  // mqttc = mqtt.create(nil,"120.55.137.106", 1884, nil, {rxSize = 4096})
  // mqttc = mqtt.create(nil,"120.55.137.106", 8883, true)
  // mqttc = mqtt.create(nil,"120.55.137.106", 8883, {server_cert=io.readFile("/luadb/ca.crt")})
  // mqttc = mqtt.create(nil,"120.55.137.106", 8883, {server_cert=io.readFile("/luadb/ca.crt"), verify=1})
  // mqttc = mqtt.create(nil,"120.55.137.106", 8883, {server_cert=..., client_cert=..., client_key=..., client_password="123456"})
  const creations: Array<[string, () => LuatosClient]> = [
    ['plain TCP', () => mqtt.create(null, HOST, env.broker.port)],
    ['plain TCP, rxSize 4096', () => mqtt.create(null, HOST, env.broker.port, null, { rxSize: 4096 })],
    ['TLS without verification', () => mqtt.create(null, HOST, env.broker.tlsPort, true)],
    ['TLS verifying the server', () => mqtt.create(null, HOST, env.broker.tlsPort, { server_cert: env.broker.certs.ca })],
    ['TLS with optional verification', () => mqtt.create(null, HOST, env.broker.tlsPort, { server_cert: env.broker.certs.ca, verify: 1 })],
    ['mutual TLS', () => mqtt.create(null, HOST, env.broker.mtlsPort, {
      server_cert: env.broker.certs.ca,
      client_cert: env.broker.certs.clientCert,
      client_key: env.broker.certs.clientKeyEncrypted,
      client_password: KEY_PASSPHRASE,
    })],
  ];
  for (const [what, create] of creations) {
    it(`mqtt.create: ${what} connects, and a message goes both ways`, async () => {
      const mqttc = create();
      const events = recorder(mqttc);
      expect(mqttc.connect()).toBe(true);
      await until(events, 'conack');
      const topic = `luatos/create/${what.replaceAll(' ', '-')}`;
      mqttc.subscribe(topic, 1);
      await until(events, 'suback');
      mqttc.publish(topic, 'both ways', 1);
      const [recv] = await until(events, 'recv');
      expect(recv.slice(0, 3)).toEqual(['recv', topic, 'both ways']);
      mqttc.close();
    });
  }

  it('mqttc:auth: the four forms, each returning true, as the CONNECT shows', async () => {
    const fake = await FakeBroker.start();
    try {
      const forms: Array<[(c: LuatosClient) => boolean, Partial<ConnectFields>]> = [
        // mqttc:auth("123456789")
        [(c) => c.auth('123456789'), { clientId: '123456789', clean: true }],
        // mqttc:auth("123456789","username","password")
        [(c) => c.auth('123456789', 'username', 'password'), { clientId: '123456789', clean: true, username: 'username', password: Buffer.from('password') }],
        // mqttc:auth("123456789","username","password", false)
        [(c) => c.auth('123456789', 'username', 'password', false), { clientId: '123456789', clean: false, username: 'username', password: Buffer.from('password') }],
        // mqttc:auth()
        [(c) => c.auth(), { clientId: '', clean: true }],
      ];
      for (const [auth, expected] of forms)
        expect(await sentConnect(fake, (c) => expect(auth(c)).toBe(true))).toEqual({ level: 4, keepalive: 240, ...expected });
    } finally {
      await fake.stop();
    }
  });

  it('mqttc:keepalive(30) sets the CONNECT keepalive', async () => {
    const fake = await FakeBroker.start();
    // mqttc:keepalive(30)
    expect((await sentConnect(fake, (mqttc) => expect(mqttc.keepalive(30)).toBeUndefined())).keepalive).toBe(30);
    await fake.stop();
  });

  it('mqttc:on: the example callback logs each event with the client, data and payload', async () => {
    const logged: unknown[][] = [];
    const log = { info: (...args: unknown[]) => logged.push(args) };
    const mqttc = mqtt.create(null, HOST, env.broker.port);
    // mqttc:on(function(mqtt_client, event, data, payload, metas)
    //     log.info("mqtt", "event", event, mqtt_client, data, payload)
    // end)
    mqttc.on((mqtt_client, event, data, payload) => {
      log.info('mqtt', 'event', event, mqtt_client, data, payload);
    });
    mqttc.connect();
    await vi.waitFor(() => expect(logged.length).toBeGreaterThan(0));
    mqttc.subscribe('luatos/on', 1);
    await vi.waitFor(() => expect(logged.length).toBe(2));
    const id = mqttc.publish('luatos/on', 'logged', 1);
    await vi.waitFor(() => expect(logged.length).toBe(4));
    mqttc.unsubscribe('luatos/on');
    await vi.waitFor(() => expect(logged.length).toBe(5));
    mqttc.disconnect();
    await vi.waitFor(() => expect(logged.length).toBe(6));
    expect(logged.slice(0, 2)).toEqual([
      ['mqtt', 'event', 'conack', mqttc, undefined, undefined],
      ['mqtt', 'event', 'suback', mqttc, true, 1],
    ]);
    // the PUBACK and the message itself race
    expect(logged.slice(2, 4)).toEqual(expect.arrayContaining([
      ['mqtt', 'event', 'sent', mqttc, id, undefined],
      ['mqtt', 'event', 'recv', mqttc, 'luatos/on', 'logged'],
    ]));
    expect(logged.slice(4)).toEqual([
      ['mqtt', 'event', 'unsuback', mqttc, undefined, undefined],
      ['mqtt', 'event', 'disconnect', mqttc, undefined, undefined],
    ]);
    mqttc.close();
  });

  it('mqttc:connect() starts connecting (true; false while connecting or connected); ready() says when it is up', async () => {
    const mqttc = mqtt.create(null, HOST, env.broker.port);
    const events = recorder(mqttc);
    // mqttc:connect()
    expect(mqttc.connect()).toBe(true);
    // local error = mqttc:ready()
    expect(mqttc.ready()).toBe(false);
    expect(mqttc.connect()).toBe(false);
    await until(events, 'conack');
    expect(mqttc.ready()).toBe(true);
    expect(mqttc.connect()).toBe(false);
    mqttc.close();
  });

  it('mqttc:subscribe: one topic with QoS 0, one with QoS 1, a table of two', async () => {
    const { mqttc, events } = await connected();
    // mqttc:subscribe("/luatos/123456", 0)
    const a = mqttc.subscribe('/luatos/123456', 0);
    // mqttc:subscribe("/luatos/12345678", 1)
    const b = mqttc.subscribe('/luatos/12345678', 1);
    // mqttc:subscribe({["/luatos/1234567"]=1,["/luatos/12345678"]=2})
    const c = mqttc.subscribe({ '/luatos/1234567': 1, '/luatos/12345678': 2 });
    expect([a, b, c].every((id) => typeof id === 'number' && id > 0)).toBe(true);
    expect(new Set([a, b, c]).size).toBe(3);
    expect(await until(events, 'suback', 4)).toEqual([['suback', true, 0], ['suback', true, 1], ['suback', true, 1], ['suback', true, 2]]);
    for (const [topic, qos] of [['/luatos/123456', 0], ['/luatos/1234567', 1], ['/luatos/12345678', 2]] as const) await env.watcher.publish(topic, topic, { qos });
    const recv = await until(events, 'recv', 3);
    expect(recv.map((e) => [e[1], e[3] && (e[3] as { qos: number }).qos])).toEqual([['/luatos/123456', 0], ['/luatos/1234567', 1], ['/luatos/12345678', 2]]);
    mqttc.close();
  });

  it('mqttc:unsubscribe: one topic, then a list of two; nothing arrives on them afterwards', async () => {
    const { mqttc, events } = await connected();
    mqttc.subscribe({ '/luatos/123456': 1, '/luatos/1234567': 1, '/luatos/12345678': 1 });
    await until(events, 'suback', 3);
    // mqttc:unsubscribe("/luatos/123456")
    expect(mqttc.unsubscribe('/luatos/123456')).toBeUndefined();
    // mqttc:unsubscribe({"/luatos/1234567","/luatos/12345678"})
    expect(mqttc.unsubscribe(['/luatos/1234567', '/luatos/12345678'])).toBeUndefined();
    await until(events, 'unsuback', 3);
    mqttc.subscribe('/luatos/marker', 1);
    await until(events, 'suback', 4);
    for (const topic of ['/luatos/123456', '/luatos/1234567', '/luatos/12345678', '/luatos/marker']) await env.watcher.publish(topic, topic, { qos: 1 });
    const [first] = await until(events, 'recv');
    expect(first[1]).toBe('/luatos/marker');
    mqttc.close();
  });

  it('mqttc:disconnect() ends the connection (true, a disconnect event) and keeps the client for another connect()', async () => {
    const { mqttc, events } = await connected();
    // mqttc:disconnect()
    expect(mqttc.disconnect()).toBe(true);
    await until(events, 'disconnect');
    expect(mqttc.ready()).toBe(false);
    expect(mqttc.state()).toBe(mqtt.STATE_DISCONNECT);
    expect(mqttc.connect()).toBe(true);
    await until(events, 'conack', 2);
    expect(mqttc.ready()).toBe(true);
    mqttc.close();
  });

  it('mqttc:autoreconn(true): reconnects 3000 ms after the broker drops the client (a duplicate client id)', async () => {
    const mqttc = mqtt.create(null, HOST, env.broker.port);
    const events = recorder(mqttc);
    mqttc.auth('luatos-autoreconn');
    // mqttc:autoreconn(true)
    expect(mqttc.autoreconn(true)).toBeUndefined();
    mqttc.connect();
    await until(events, 'conack');
    // "相同client_id会互相踢下线"; the intruder kicks once and does not come
    // back (with its own reconnect, its jittered delay could be a few ms and
    // kick mqttc again before ready() is asked)
    const intruder = await connect({ host: HOST, port: env.broker.port, clientId: 'luatos-autoreconn', reconnectPeriod: 0 });
    await until(events, 'disconnect');
    const dropped = performance.now();
    await until(events, 'conack', 2, 6000);
    expect(performance.now() - dropped).toBeGreaterThan(2800);
    expect(mqttc.ready()).toBe(true);
    mqttc.close();
    await intruder.end({ force: true });
  });

  it('mqttc:publish("/luatos/123456", "123"): QoS 0, message id 0, a sent event, the message delivered', async () => {
    const { mqttc, events } = await connected();
    await env.watcher.subscribe('/luatos/123456');
    const arriving = nextMessages(env.watcher, 1);
    // mqttc:publish("/luatos/123456", "123")
    expect(mqttc.publish('/luatos/123456', '123')).toBe(0);
    expect(await until(events, 'sent')).toEqual([['sent', 0]]);
    expect((await arriving)[0]).toMatchObject({ topic: '/luatos/123456', payload: Buffer.from('123'), qos: 0, retain: false });
    await env.watcher.unsubscribe('/luatos/123456');
    mqttc.close();
  });

  it('mqttc:close() releases the client: no callback, no connection, nothing accepted', async () => {
    const { mqttc, events } = await connected();
    const before = events.length;
    // mqttc:close()
    expect(mqttc.close()).toBeUndefined();
    await pause(100);
    expect(events.length).toBe(before);
    expect(mqttc.ready()).toBe(false);
    expect(mqttc.state()).toBe(mqtt.STATE_DISCONNECT);
    expect(mqttc.connect()).toBe(false);
    expect(mqttc.disconnect()).toBe(false);
    expect(mqttc.publish('luatos/closed', 'x', 1)).toBeUndefined();
    expect(mqttc.subscribe('luatos/closed')).toBeUndefined();
    expect(mqttc.will('luatos/closed', 'x')).toBe(false);
  });

  it('mqttc:state(): the documented states in order, STATE_* constants 0 to 3', async () => {
    expect([mqtt.STATE_DISCONNECT, mqtt.STATE_SCONNECT, mqtt.STATE_MQTT, mqtt.STATE_READY]).toEqual([0, 1, 2, 3]);
    const fake = await FakeBroker.start();
    const mqttc = mqtt.create(null, HOST, fake.port);
    const events = recorder(mqttc);
    // local state = mqttc:state()
    expect(mqttc.state()).toBe(mqtt.STATE_DISCONNECT);
    mqttc.connect();
    expect(mqttc.state()).toBe(mqtt.STATE_SCONNECT);
    const conn = await fake.accept();
    await conn.expect(Type.CONNECT);
    await vi.waitFor(() => expect(mqttc.state()).toBe(mqtt.STATE_MQTT));
    conn.send(connack(0));
    await until(events, 'conack');
    expect(mqttc.state()).toBe(mqtt.STATE_READY);
    mqttc.disconnect();
    expect(mqttc.state()).toBe(mqtt.STATE_DISCONNECT);
    mqttc.close();
    await fake.stop();
  });

  it('mqttc:will("/xxx/xxx", "xxxxxx"): true; the broker publishes it when the device dies', async () => {
    await env.watcher.subscribe('/xxx/xxx', { qos: 1 });
    const luatos = new URL('compat/luatos.js', DIST_URL).href;
    const script = new Script(`
      const { mqtt } = await import(${JSON.stringify(luatos)});
      const mqttc = mqtt.create(null, '127.0.0.1', port);
      mqttc.auth('luatos-will');
      console.log(String(mqttc.will('/xxx/xxx', 'xxxxxx')));
      mqttc.on((c, event) => { if (event === 'conack') console.log('conack'); });
      mqttc.connect();`, env.broker.port);
    try {
      await script.printed('true');
      await script.printed('conack');
      const arriving = nextMessages(env.watcher, 1);
      script.child.kill('SIGKILL');
      expect((await arriving)[0]).toMatchObject({ topic: '/xxx/xxx', payload: Buffer.from('xxxxxx'), qos: 0, retain: false });
    } finally {
      script.child.kill('SIGKILL');
      await env.watcher.unsubscribe('/xxx/xxx');
    }
  });
});

describe('mqtt.create', () => {
  it('refuses arguments of the wrong type or value with ERR_INVALID_ARG naming them', () => {
    const bad: Array<[() => unknown, string]> = [
      [() => mqtt.create('eth0' as never, HOST, 1883), 'adapter'],
      [() => mqtt.create(null, 42 as never, 1883), 'host'],
      [() => mqtt.create(null, HOST, 0), 'port'],
      [() => mqtt.create(null, HOST, 1883, 'yes' as never), 'ssl'],
      [() => mqtt.create(null, HOST, 1883, { verify: 3 as never }), 'ssl.verify'],
      [() => mqtt.create(null, HOST, 1883, { server_crt: 'x' } as never), 'server_crt'],
      [() => mqtt.create(null, HOST, 1883, null, { rxSize: -1 }), 'opts.rxSize'],
      [() => mqtt.create(null, HOST, 1883, null, { rx_size: 1 } as never), 'rx_size'],
      [() => mqtt.create(null, HOST, 1883, null, 'v6' as never), 'opts'],
    ];
    for (const [call, name] of bad) expect(call).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG', message: expect.stringContaining(name) }));
  });

  it('takes an adapter number and IPv6 as a boolean or in opts (accepted; the engine resolves both families)', async () => {
    for (const mqttc of [mqtt.create(1, HOST, env.broker.port, false, true), mqtt.create(undefined, HOST, env.broker.port, null, { ipv6: true })]) {
      const events = recorder(mqttc);
      mqttc.connect();
      await until(events, 'conack');
      mqttc.close();
    }
  });

  it('opts.rxSize bounds the packets received: a larger one closes the connection (error, then disconnect)', async () => {
    const mqttc = mqtt.create(null, HOST, env.broker.port, null, { rxSize: 1024 });
    const events = recorder(mqttc);
    mqttc.connect();
    await until(events, 'conack');
    mqttc.subscribe('luatos/rx', 0);
    await until(events, 'suback');
    await env.watcher.publish('luatos/rx', Buffer.alloc(900, 1));
    await until(events, 'recv');
    await env.watcher.publish('luatos/rx', Buffer.alloc(2000, 1));
    await until(events, 'disconnect');
    expect(named(events, 'error')).toEqual([['error', 'other', 0, expect.objectContaining({ code: 'ERR_PACKET_TOO_LARGE' })]]);
    expect(named(events, 'recv').length).toBe(1);
    mqttc.close();
  });

  const tlsFailures: Array<[string, () => LuatosClient, string]> = [
    ['a server its certificate table cannot verify (no CA given, verify 2)', () => mqtt.create(null, HOST, env.broker.tlsPort, {}), 'ERR_TLS_VERIFY'],
    ['a server signed by another CA', () => mqtt.create(null, HOST, env.broker.tlsPort, { server_cert: env.broker.certs.wrongCa }), 'ERR_TLS_VERIFY'],
    ['the mutual TLS listener without a client certificate', () => mqtt.create(null, HOST, env.broker.mtlsPort, { server_cert: env.broker.certs.ca }), 'ERR_TLS'],
    ['a plain listener', () => mqtt.create(null, HOST, env.broker.port, true), 'ERR_TLS'],
  ];
  for (const [what, create, code] of tlsFailures) {
    it(`TLS to ${what}: an error event of kind connect (${code}), then disconnect`, async () => {
      const mqttc = create();
      const events = recorder(mqttc);
      expect(mqttc.connect()).toBe(true);
      await until(events, 'disconnect');
      expect(events).toEqual([['error', 'connect', 0, expect.objectContaining({ code })], ['disconnect']]);
      mqttc.close();
    });
  }

  it('verify 0 connects to a server signed by another CA', async () => {
    const mqttc = mqtt.create(null, HOST, env.broker.tlsPort, { server_cert: env.broker.certs.wrongCa, verify: 0 });
    const events = recorder(mqttc);
    mqttc.connect();
    await until(events, 'conack');
    mqttc.close();
  });
});

describe('connecting', () => {
  it('a refused TCP connection: error (connect, 0), disconnect; connect() may be called again', async () => {
    const mqttc = mqtt.create(null, HOST, await freePort());
    const events = recorder(mqttc);
    expect(mqttc.connect()).toBe(true);
    await until(events, 'disconnect');
    expect(events).toEqual([['error', 'connect', 0, expect.objectContaining({ code: 'ERR_REFUSED' })], ['disconnect']]);
    expect(mqttc.connect()).toBe(true);
    await until(events, 'disconnect', 2);
    mqttc.close();
  });

  it('settings refused as the connection starts: a password without a user name is an error event (ERR_PASSWORD); rxSize 8 throws', async () => {
    const mqttc = mqtt.create(null, HOST, env.broker.port);
    const events = recorder(mqttc);
    mqttc.auth('luatos-no-user', '', 'secret');
    expect(mqttc.connect()).toBe(true);
    await until(events, 'disconnect');
    expect(events).toEqual([['error', 'connect', 0, expect.objectContaining({ code: 'ERR_PASSWORD' })], ['disconnect']]);
    mqttc.close();
    expect(() => mqtt.create(null, HOST, env.broker.port, null, { rxSize: 8 }).connect())
      .toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG', message: expect.stringContaining('maxPacketSize') }));
  });

  it('the password listener: a wrong password is error (conack, 5: mosquitto\'s "not authorised"), the right one connects', async () => {
    const wrong = mqtt.create(null, HOST, env.broker.passwordPort);
    const events = recorder(wrong);
    wrong.auth('luatos-wrong', 'alice', 'wrong');
    wrong.connect();
    await until(events, 'disconnect');
    expect(events).toEqual([['error', 'conack', 5, expect.objectContaining({ code: 'ERR_CONNACK_NOT_AUTHORIZED' })], ['disconnect']]);
    wrong.close();
    const right = mqtt.create(null, HOST, env.broker.passwordPort);
    const ok = recorder(right);
    right.auth('luatos-right', 'alice', USERS.alice);
    right.connect();
    await until(ok, 'conack');
    right.close();
  });

  it('a CONNACK refusal gives its return code: 4 for bad user name or password, 2 for an identifier rejected', async () => {
    const fake = await FakeBroker.start();
    for (const code of [4, 2]) {
      const mqttc = mqtt.create(null, HOST, fake.port);
      const events = recorder(mqttc);
      mqttc.connect();
      const conn = await fake.accept();
      await conn.expect(Type.CONNECT);
      conn.send(connack(code));
      await until(events, 'disconnect');
      expect(named(events, 'error')).toEqual([['error', 'conack', code, expect.objectContaining({ code: code === 4 ? 'ERR_CONNACK_BAD_AUTH' : 'ERR_CONNACK_ID' })]]);
      mqttc.close();
    }
    await fake.stop();
  });

  it('disconnect() while connecting gives the attempt up: a disconnect event, no error', async () => {
    const fake = await FakeBroker.start();
    const mqttc = mqtt.create(null, HOST, fake.port);
    const events = recorder(mqttc);
    mqttc.connect();
    const conn = await fake.accept();
    await conn.expect(Type.CONNECT);
    expect(mqttc.disconnect()).toBe(true);
    await conn.closed;
    await until(events, 'disconnect');
    await pause(100);
    expect(events).toEqual([['disconnect']]);
    expect(mqttc.state()).toBe(mqtt.STATE_DISCONNECT);
    mqttc.close();
    await fake.stop();
  });

  it('autoreconn retries a failed connection every reconnect_time ms (1000 at least) until autoreconn(false)', async () => {
    const mqttc = mqtt.create(null, HOST, await freePort());
    const events = recorder(mqttc);
    mqttc.autoreconn(true, 200);   // raised to 1000, as LuatOS does
    const start = performance.now();
    mqttc.connect();
    await until(events, 'disconnect', 2, 4000);
    expect(performance.now() - start).toBeGreaterThan(950);
    mqttc.autoreconn(false);
    await pause(1300);
    expect(named(events, 'disconnect').length).toBe(2);
    mqttc.close();
  });

  it('autoreconn({ reconnect: true, reconnect_time: 1000 }) works as an options object; close() stops it', async () => {
    const mqttc = mqtt.create(null, HOST, await freePort());
    const events = recorder(mqttc);
    mqttc.autoreconn({ reconnect: true, reconnect_time: 1000 });
    mqttc.connect();
    await until(events, 'disconnect');
    mqttc.close();
    await pause(1300);
    expect(named(events, 'disconnect').length).toBe(1);
  });

  /** A client through a proxy to mosquitto (the broker that goes away),
   *  connected, and when each of its events came. */
  async function behindProxy(): Promise<{ mqttc: LuatosClient; events: LuatosEventArgs[]; at: number[]; proxy: FaultProxy }> {
    const proxy = await FaultProxy.start(env.broker.port);
    const mqttc = mqtt.create(null, HOST, proxy.port);
    const events: LuatosEventArgs[] = [], at: number[] = [];
    mqttc.on((_client, ...event) => {
      events.push(event as LuatosEventArgs);
      at.push(performance.now());
    });
    mqttc.connect();
    await until(events, 'conack');
    return { mqttc, events, at, proxy };
  }

  /** The ms between consecutive `disconnect` events, as this process saw
   *  them: a loaded process sees an event some ms late, so the bounds below
   *  leave room for that on either side, and still tell a fixed period from
   *  full jitter (most draws well below it) and 1000 from 2000. */
  const gaps = (events: LuatosEventArgs[], at: number[]) => {
    const times = at.filter((_, i) => events[i][0] === 'disconnect');
    return times.slice(1).map((t, i) => t - times[i]);
  };

  it('autoreconn on a live client, the broker gone: every attempt exactly reconnect_time ms after the last (no jitter), and back once it returns', async () => {
    const { mqttc, events, at, proxy } = await behindProxy();
    mqttc.autoreconn(true, 1000);   // after connect(): the live client's policy
    await proxy.stop();   // the connection drops and the broker refuses every attempt
    await until(events, 'disconnect', 4, 6000);
    expect(named(events, 'error').slice(0, 3)).toEqual([
      ['error', 'other', 0, expect.objectContaining({ code: 'ERR_CLOSED' })],   // the connection lost
      ...Array(2).fill(['error', 'connect', 0, expect.objectContaining({ code: 'ERR_REFUSED' })]),   // each attempt, as connect()'s
    ]);
    for (const gap of gaps(events, at)) {   // full jitter would draw most of them well below 1000
      expect(gap).toBeGreaterThan(900);
      expect(gap).toBeLessThan(1600);
    }
    expect(mqttc.state()).toBe(mqtt.STATE_DISCONNECT);
    const back = await FaultProxy.start(env.broker.port, proxy.port);
    await until(events, 'conack', 2, 3000);
    expect(mqttc.ready()).toBe(true);
    mqttc.close();
    await back.stop();
  });

  it('autoreconn(true, 2000) on a live client: the wait under way keeps its period, the next ones take the new one', async () => {
    const { mqttc, events, at, proxy } = await behindProxy();
    mqttc.autoreconn(true, 1000);
    await proxy.stop();
    await until(events, 'disconnect');
    mqttc.autoreconn(true, 2000);
    await until(events, 'disconnect', 4, 7000);
    const [first, ...later] = gaps(events, at);
    expect(first).toBeGreaterThan(900);
    expect(first).toBeLessThan(1600);
    for (const gap of later) {
      expect(gap).toBeGreaterThan(1900);
      expect(gap).toBeLessThan(2600);
    }
    mqttc.close();
  });

  it('autoreconn(false) on a live client: a lost connection stays lost, and a pending attempt is cancelled', async () => {
    const { mqttc, events, proxy } = await behindProxy();
    mqttc.autoreconn(true, 1000);
    mqttc.autoreconn(false);
    proxy.cut();
    await until(events, 'disconnect');
    await pause(1300);
    expect(proxy.accepted).toBe(1);
    expect(mqttc.state()).toBe(mqtt.STATE_DISCONNECT);
    expect(mqttc.publish('luatos/off', 'x')).toBeUndefined();
    // on again, connected again, lost again: reconnected; then off while the attempt waits
    mqttc.autoreconn(true);
    expect(mqttc.connect()).toBe(true);
    await until(events, 'conack', 2);
    proxy.cut();
    await until(events, 'disconnect', 2);
    mqttc.autoreconn(false);
    await pause(3300);
    expect(proxy.accepted).toBe(2);
    expect(named(events, 'conack').length).toBe(2);
    expect(mqttc.connect()).toBe(true);   // connect() still works after
    await until(events, 'conack', 3);
    mqttc.close();
    await proxy.stop();
  });

  it('keepalive: 240 by default, raised to 15, lowered to 600; an options object works', async () => {
    const fake = await FakeBroker.start();
    const settings: Array<[(c: LuatosClient) => void, number]> = [
      [() => {}, 240], [(c) => c.keepalive(), 240], [(c) => c.keepalive(10), 15], [(c) => c.keepalive(1000), 600], [(c) => c.keepalive({ time: 45 }), 45],
    ];
    for (const [set, expected] of settings) expect((await sentConnect(fake, set)).keepalive).toBe(expected);
    expect(() => mqtt.create(null, HOST, fake.port).keepalive(1.5)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG' }));
    await fake.stop();
  });

  it('auth and will: an options object, the will\'s qos and retain, a client id forcing a clean session when empty', async () => {
    const fake = await FakeBroker.start();
    expect(await sentConnect(fake, (mqttc) => {
      expect(mqttc.auth({ client_id: 'luatos-opts', cleanSession: false })).toBe(true);
      expect(mqttc.will('luatos/will', Buffer.from([0, 1, 2]), { qos: 1, retain: 1 })).toBe(true);
    })).toMatchObject({ clientId: 'luatos-opts', clean: false, will: { topic: 'luatos/will', payload: Buffer.from([0, 1, 2]), qos: 1, retain: true } });
    expect(await sentConnect(fake, (mqttc) => mqttc.auth('', 'user', 'pass', false))).toMatchObject({ clientId: '', clean: true, username: 'user' });
    await fake.stop();
  });

  it('auth, will and autoreconn refuse bad arguments', () => {
    const mqttc = mqtt.create(null, HOST, 1883);
    expect(() => mqttc.auth(42 as never)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG', message: expect.stringContaining('client_id') }));
    expect(() => mqttc.auth({ clientId: 'x' } as never)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG', message: expect.stringContaining('clientId') }));
    expect(() => (mqttc.auth as (...args: unknown[]) => boolean)('a', 'b', 'c', true, 1)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG', message: expect.stringContaining('at most 4') }));
    expect(() => mqttc.will('a/+', 'x')).toThrow(expect.objectContaining({ code: 'ERR_INVALID_TOPIC' }));
    expect(() => mqttc.will('a', 'x', 3 as never)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG', message: expect.stringContaining('qos') }));
    expect(() => mqttc.autoreconn('yes' as never)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG', message: expect.stringContaining('reconnect') }));
    expect(() => mqttc.debug(1 as never)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG', message: expect.stringContaining('onoff') }));
  });
});

describe('operations', () => {
  it('publish returns nil (undefined) before connect(), after disconnect() and after a lost connection without autoreconn', async () => {
    const mqttc = mqtt.create(null, HOST, env.broker.port);
    const events = recorder(mqttc);
    mqttc.auth('luatos-nil');
    expect(mqttc.publish('luatos/nil', 'x', 1)).toBeUndefined();
    expect(mqttc.subscribe('luatos/nil')).toBeUndefined();
    mqttc.connect();
    expect(mqttc.publish('luatos/nil', 'x', 1)).toBe(1);   // while connecting: queued for the connection
    await until(events, 'sent');
    const intruder = await connect({ host: HOST, port: env.broker.port, clientId: 'luatos-nil' });
    await until(events, 'disconnect');
    expect(mqttc.publish('luatos/nil', 'x', 1)).toBeUndefined();
    await intruder.end();
    mqttc.connect();
    await until(events, 'conack', 2);
    mqttc.disconnect();
    expect(mqttc.publish('luatos/nil', 'x', 1)).toBeUndefined();
    mqttc.close();
  });

  it('publish: ids count up for QoS 1 and 2; sent comes on PUBACK and PUBCOMP with the id; retain reaches later subscribers', async () => {
    const { mqttc, events } = await connected();
    const ids = [mqttc.publish('luatos/ids', 'a', 1), mqttc.publish('luatos/ids', 'b', 2), mqttc.publish('luatos/ids', 'c', { qos: 1, retain: 1 })];
    expect(ids[1]).toBe(ids[0]! + 1);
    expect(ids[2]).toBe(ids[1]! + 1);
    const sent = await until(events, 'sent', 3);
    expect(sent.map((e) => e[1]).sort()).toEqual([...ids].sort());
    const late = await connected();
    late.mqttc.subscribe('luatos/ids', 1);
    const [recv] = await until(late.events, 'recv');
    expect(recv).toEqual(['recv', 'luatos/ids', 'c', expect.objectContaining({ qos: 1, retain: 1, dup: 0 })]);
    mqttc.publish('luatos/ids', '', 0, true);   // clears the retained message
    mqttc.close();
    late.mqttc.close();
  });

  it('publish and subscribe refuse bad arguments', async () => {
    const { mqttc } = await connected();
    const bad: Array<[() => unknown, string]> = [
      [() => mqttc.publish('a/+', 'x'), 'ERR_INVALID_TOPIC'],
      [() => mqttc.publish('a', 42 as never), 'ERR_INVALID_ARG'],
      [() => mqttc.publish('a', 'x', 3 as never), 'ERR_INVALID_ARG'],
      [() => mqttc.publish('a', 'x', 0, 2 as never), 'ERR_INVALID_ARG'],
      [() => mqttc.publish('a', 'x', { qos: 1, dup: true } as never), 'ERR_INVALID_ARG'],
      [() => mqttc.subscribe('a/#/b'), 'ERR_INVALID_FILTER'],
      [() => mqttc.subscribe({}), 'ERR_INVALID_ARG'],
      [() => mqttc.subscribe({ 'a/b': 3 as never }), 'ERR_INVALID_ARG'],
      [() => mqttc.unsubscribe([]), 'ERR_INVALID_ARG'],
      [() => mqttc.unsubscribe(['ok', '#/x']), 'ERR_INVALID_FILTER'],
    ];
    for (const [call, code] of bad) expect(call).toThrow(expect.objectContaining({ code }));
    expect(mqttc.ready()).toBe(true);
    mqttc.close();
  });

  it('binary payloads survive: recv gives text, and metas.raw the bytes', async () => {
    const { mqttc, events } = await connected();
    mqttc.subscribe('luatos/binary', 1);
    await until(events, 'suback');
    const bytes = Buffer.from([0, 0xff, 0xfe, 0x00, 0x41]);
    mqttc.publish('luatos/binary', bytes, 1);
    const [recv] = await until(events, 'recv');
    const metas = recv[3] as { raw: Buffer; message_id: number };
    expect(metas.raw.equals(bytes)).toBe(true);
    expect(recv[2]).toBe(bytes.toString());
    expect(metas.message_id).toBeGreaterThan(0);   // the QoS 1 PUBLISH's packet identifier
    mqttc.close();
  });

  it('a publish that fails after it returned is an error event of kind tx (a payload over the 2 MiB send buffer)', async () => {
    const { mqttc, events } = await connected();
    expect(mqttc.publish('luatos/big', Buffer.alloc(3 << 20), 1)).toBeGreaterThan(0);
    const [error] = await until(events, 'error');
    expect(error).toEqual(['error', 'tx', 0, expect.objectContaining({ code: 'ERR_PACKET_TOO_LARGE' })]);
    expect(mqttc.ready()).toBe(true);
    mqttc.close();
  });

  it('a refused subscription is suback false with the failure code (aedes refusing it); the others are granted', async () => {
    const aedes = await startAedes({ authorizeSubscribe: (_c, sub, done) => done(null, sub.topic.startsWith('secret/') ? null : sub) });
    try {
      const { mqttc, events } = await connected(aedes.port);
      mqttc.subscribe({ 'open/a': 1, 'secret/b': 2 });
      expect(await until(events, 'suback', 2)).toEqual([['suback', true, 1], ['suback', false, 0x80]]);
      mqttc.close();
    } finally {
      await aedes.stop();
    }
  });

  it('pong: the PINGRESP of a keepalive ping', async () => {
    const fake = await FakeBroker.start();
    const mqttc = mqtt.create(null, HOST, fake.port);
    const events = recorder(mqttc);
    mqttc.keepalive(15);
    mqttc.connect();
    const conn = await fake.acceptConnected();
    await until(events, 'conack');
    await conn.expect(Type.PINGREQ, 20000);
    conn.send(packet(0xd0, []));
    expect(await until(events, 'pong')).toEqual([['pong']]);
    mqttc.close();
    await fake.stop();
  }, 30000);

  it('debug(true) logs every event with console.debug; debug(false) stops it', async () => {
    const debug = vi.spyOn(console, 'debug').mockImplementation(() => {});
    try {
      const mqttc = mqtt.create(null, HOST, env.broker.port);
      expect(mqttc.debug(true)).toBeUndefined();
      mqttc.connect();
      await vi.waitFor(() => expect(debug).toHaveBeenCalledWith('[tinymqtt luatos]', 'conack'));
      mqttc.debug(false);
      mqttc.disconnect();
      await pause(100);
      expect(debug).toHaveBeenCalledTimes(1);
      mqttc.close();
    } finally {
      debug.mockRestore();
    }
  });

  it('on(): a callback that throws becomes a process warning and the client goes on; on(nil) removes the callback', async () => {
    await withWarnings(async (warnings) => {
      const mqttc = mqtt.create(null, HOST, env.broker.port);
      const seen: string[] = [];
      mqttc.on((_c, event) => {
        seen.push(event);
        throw new Error(`boom on ${event}`);
      });
      mqttc.connect();
      await vi.waitFor(() => expect(warnings.length).toBe(1));
      expect(warnings[0]).toMatchObject({ name: 'TinymqttWarning', message: expect.stringContaining('boom on conack') });
      mqttc.subscribe('luatos/throw');
      await vi.waitFor(() => expect(seen).toEqual(['conack', 'suback']));
      mqttc.on(null);
      mqttc.subscribe('luatos/throw2');
      await pause(100);
      expect(seen).toEqual(['conack', 'suback']);
      mqttc.close();
    });
  });
});

describe('fixed defects of LuatOS', () => {
  it('a QoS 1 message unacknowledged when the connection drops is sent again (DUP, same id), once, after autoreconn restores it ("没有重发机制" in LuatOS)', async () => {
    const fake = await FakeBroker.start();
    try {
      const mqttc = mqtt.create(null, HOST, fake.port);
      const events = recorder(mqttc);
      mqttc.auth('luatos-resend', '', '', false);
      mqttc.autoreconn(true, 1000);
      mqttc.connect();
      const conn = await fake.acceptConnected();
      await until(events, 'conack');
      const id = mqttc.publish('luatos/resend', 'once more', 1);
      const first = await conn.expect(Type.PUBLISH);
      conn.end();   // no PUBACK: the connection drops first
      await until(events, 'disconnect');
      const conn2 = await fake.accept();
      expect(connectFields(await conn2.expect(Type.CONNECT))).toMatchObject({ clientId: 'luatos-resend', clean: false });
      conn2.send(Buffer.from([0x20, 2, 1, 0]));   // CONNACK, session present
      const again = await conn2.expect(Type.PUBLISH);
      expect(again[0]).toBe(first[0] | 0x08);
      expect(packetId(again)).toBe(packetId(first));
      expect(again.subarray(again.length - 9).toString()).toBe('once more');
      conn2.send(pubackFor(again));
      expect(await until(events, 'sent')).toEqual([['sent', id]]);
      await pause(200);
      expect(conn2.received.filter((r) => r.bytes[0] >> 4 === Type.PUBLISH).length).toBe(1);
      expect(named(events, 'sent').length).toBe(1);
      mqttc.close();
    } finally {
      await fake.stop();
    }
  });

  it('an incoming QoS 2 message sent twice (DUP) before PUBREL is received once (LuatOS passes both on)', async () => {
    const fake = await FakeBroker.start();
    try {
      const mqttc = mqtt.create(null, HOST, fake.port);
      const events = recorder(mqttc);
      mqttc.connect();
      const conn = await fake.acceptConnected();
      await until(events, 'conack');
      conn.send(publish('luatos/q2', 'exactly once', { qos: 2, id: 7 }));
      await conn.expect(Type.PUBREC);
      conn.send(publish('luatos/q2', 'exactly once', { qos: 2, id: 7, dup: true }));
      await conn.expect(Type.PUBREC);
      conn.send(packet(0x62, u16(7)));
      await conn.expect(Type.PUBCOMP);
      await pause(100);
      expect(named(events, 'recv')).toEqual([['recv', 'luatos/q2', 'exactly once', expect.objectContaining({ qos: 2 })]]);
      mqttc.close();
    } finally {
      await fake.stop();
    }
  });
});
