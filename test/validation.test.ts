// Every check lib/client.ts makes on what a caller passes (options, publish,
// subscribe, unsubscribe, messages, connect): the MqttError code, a message
// that names the argument, and a connection that survives the refusal with
// its queued operations intact.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, MqttClient, MqttError, type MqttClientOptions } from '../lib/index.js';
import { nextMessages } from './support/events.js';
import { startMosquitto, type Broker } from './support/mosquitto.js';
import { runScript } from './support/script.js';

let broker: Broker;
beforeAll(async () => { broker = await startMosquitto(); });
afterAll(async () => { await broker?.stop(); });

const plain = () => ({ host: '127.0.0.1', port: broker.port });

/** An expectation on an MqttError: its code and a part of its message. */
type Refusal = [code: string, names: string];

/** What a call threw or rejected with (undefined if it did neither). */
async function refusal(call: () => unknown): Promise<unknown> {
  try {
    await call();
    return undefined;
  } catch (e) {
    return e;
  }
}

/** What `call` threw synchronously. */
function captureThrow(call: () => unknown): unknown {
  try {
    call();
  } catch (e) {
    return e;
  }
  return undefined;
}

function expectRefusal(err: unknown, [code, names]: Refusal): void {
  expect(err).toBeInstanceOf(MqttError);
  expect(err).toMatchObject({ code, message: expect.stringContaining(names) });
}

describe('options', () => {
  const sur = '\ud800';   // a lone surrogate: no UTF-8 form
  const cases: Array<[string, unknown, Refusal]> = [
    ['not an object', 'mqtt://x', ['ERR_INVALID_ARG', 'options must be an object']],
    ['null', null, ['ERR_INVALID_ARG', 'options must be an object']],
    ['protocol', { protocol: 'http' }, ['ERR_INVALID_ARG', 'options.protocol']],
    ['ws path', { protocol: 'ws', path: 'mqtt' }, ['ERR_INVALID_ARG', 'options.path']],
    ['ws path with a space', { protocol: 'wss', path: '/a b' }, ['ERR_INVALID_ARG', 'options.path']],
    ['wsOptions field', { protocol: 'ws', wsOptions: { header: {} } }, ['ERR_INVALID_ARG', 'options.wsOptions has unknown fields header']],
    ['ws header name', { protocol: 'ws', wsOptions: { headers: { 'a b': 'x' } } }, ['ERR_INVALID_ARG', 'options.wsOptions.headers["a b"]']],
    ['ws header value', { protocol: 'ws', wsOptions: { headers: { 'X-T': 'a\r\nb' } } }, ['ERR_INVALID_ARG', 'options.wsOptions.headers["X-T"]']],
    ['ws header of the client', { protocol: 'ws', wsOptions: { headers: { host: 'x' } } }, ['ERR_INVALID_ARG', 'options.wsOptions.headers["host"]']],
    ['ws header type', { protocol: 'ws', wsOptions: { headers: { 'X-N': 1 } } }, ['ERR_INVALID_ARG', 'options.wsOptions.headers["X-N"]']],
    ['protocolVersion', { protocolVersion: 6 }, ['ERR_INVALID_ARG', 'options.protocolVersion']],
    ['host type', { host: 1 }, ['ERR_INVALID_ARG', 'options.host']],
    ['host surrogate', { host: `a${sur}` }, ['ERR_UTF8', 'options.host']],
    ['port range', { port: 70000 }, ['ERR_INVALID_ARG', 'options.port']],
    ['port zero', { port: 0 }, ['ERR_INVALID_ARG', 'options.port']],
    ['port type', { port: '1883' }, ['ERR_INVALID_ARG', 'options.port']],
    ['clientId type', { clientId: 7 }, ['ERR_INVALID_ARG', 'options.clientId']],
    ['clientId surrogate', { clientId: sur }, ['ERR_UTF8', 'options.clientId']],
    ['keepalive fraction', { keepalive: 1.5 }, ['ERR_INVALID_ARG', 'options.keepalive']],
    ['keepalive range', { keepalive: 65536 }, ['ERR_INVALID_ARG', 'options.keepalive']],
    ['connectTimeout zero', { connectTimeout: 0 }, ['ERR_INVALID_ARG', 'options.connectTimeout']],
    ['maxInflight negative', { maxInflight: -1 }, ['ERR_INVALID_ARG', 'options.maxInflight']],
    ['reconnectPeriod negative', { reconnectPeriod: -1 }, ['ERR_INVALID_ARG', 'options.reconnectPeriod']],
    ['reconnectJitter type', { reconnectJitter: 'no' }, ['ERR_INVALID_ARG', 'options.reconnectJitter']],
    ['maxPacketSize too small', { maxPacketSize: 15 }, ['ERR_INVALID_ARG', 'options.maxPacketSize']],
    ['maxPacketSize too large', { maxPacketSize: 268435461 }, ['ERR_INVALID_ARG', 'options.maxPacketSize']],
    ['clean type', { clean: 'yes' }, ['ERR_INVALID_ARG', 'options.clean']],
    ['username type', { username: 1 }, ['ERR_INVALID_ARG', 'options.username']],
    ['username surrogate', { username: sur }, ['ERR_UTF8', 'options.username']],
    ['password type', { password: 1 }, ['ERR_INVALID_ARG', 'options.password']],
    ['will not an object', { will: 'x' }, ['ERR_INVALID_ARG', 'options.will must be an object']],
    ['will topic wildcard', { will: { topic: 'w/#', payload: 'x' } }, ['ERR_INVALID_TOPIC', 'options.will.topic']],
    ['will topic empty', { will: { topic: '', payload: 'x' } }, ['ERR_INVALID_TOPIC', 'options.will.topic']],
    ['will topic NUL', { will: { topic: 'a\u0000', payload: 'x' } }, ['ERR_UTF8', 'options.will.topic']],
    ['will payload', { will: { topic: 'w', payload: 5 } }, ['ERR_INVALID_ARG', 'options.will.payload']],
    ['will qos', { will: { topic: 'w', payload: 'x', qos: 3 } }, ['ERR_INVALID_ARG', 'options.will.qos']],
    ['ca type', { protocol: 'mqtts', ca: 1 }, ['ERR_INVALID_ARG', 'options.ca']],
    ['cert type', { protocol: 'mqtts', cert: {} }, ['ERR_INVALID_ARG', 'options.cert']],
    ['key type', { protocol: 'mqtts', key: null }, ['ERR_INVALID_ARG', 'options.key']],
    ['passphrase type', { protocol: 'mqtts', passphrase: 1 }, ['ERR_INVALID_ARG', 'options.passphrase']],
    ['servername type', { protocol: 'mqtts', servername: 1 }, ['ERR_INVALID_ARG', 'options.servername']],
    ['ALPNProtocols entry', { protocol: 'mqtts', ALPNProtocols: ['mqtt', 1] }, ['ERR_INVALID_ARG', 'options.ALPNProtocols[1]']],
  ];
  for (const [what, options, expected] of cases) {
    it(`refuses ${what} in the constructor: ${expected[0]} naming ${expected[1]}`, () => {
      expectRefusal(captureThrow(() => new MqttClient(options as MqttClientOptions)), expected);
    });
  }

  it('refuses a string that is not a URL, or another scheme, in connect(url)', async () => {
    expectRefusal(await refusal(() => connect('not a url')), ['ERR_INVALID_ARG', 'url']);
    expectRefusal(await refusal(() => connect('http://127.0.0.1')), ['ERR_INVALID_ARG', 'url must start with mqtt://']);
  });

  /** The MqttError an option refusal gives, wherever it is given: the
   *  constructor, or the promise connect() returns. Anything else (another
   *  error type, connect() throwing instead of rejecting) fails. */
  async function optionRefusal(options: MqttClientOptions): Promise<unknown> {
    let c: MqttClient;
    try {
      c = new MqttClient({ ...plain(), ...options });
    } catch (e) {
      return e;
    }
    let connecting: Promise<void>;
    try {
      connecting = c.connect();
    } catch (e) {
      throw new Error(`connect() threw instead of rejecting: ${String(e)}`, { cause: e });
    }
    const err = await connecting.then(() => undefined, (e: unknown) => e);
    await c.end();
    return err;
  }

  // the engine's own option checks run in native.createClient inside
  // connect(): they must come back as the promise's MqttError, mapped code
  it('refuses options the engine rejects with an MqttError, not a synchronous throw', async () => {
    const badArg = 'ERR_INVALID_ARG';   // the engine's TMQ_ERR_ARG
    const { certs } = broker;
    const cases: Array<[MqttClientOptions, unknown]> = [
      [{ clientId: '', clean: false }, 'ERR_CLIENT_ID'],                 // a persistent session needs an id
      [{ protocolVersion: 3, clientId: 'x'.repeat(24) }, 'ERR_CLIENT_ID'], // 3.1 ids have at most 23 characters
      [{ password: 'secret' }, 'ERR_PASSWORD'],                          // 3.1.1: a password needs a user name
      [{ clientId: 'a\u0000b' }, 'ERR_UTF8'],
      [{ username: 'x'.repeat(70000) }, 'ERR_PACKET_TOO_LARGE'],
      [{ protocol: 'mqtts', ca: 'not a certificate' }, badArg],
      [{ protocol: 'mqtts', cert: certs.clientCert, key: certs.clientKeyEncrypted, passphrase: 'wrong' }, badArg],
    ];
    for (const [options, code] of cases) {
      const err = await optionRefusal(options);
      expect(err, JSON.stringify(options)).toBeInstanceOf(MqttError);
      expect(err, JSON.stringify(options)).toMatchObject({ code });
    }
  });

  // checked in lib/client.ts, or by the addon (a NUL in the host) and
  // turned into an MqttError naming the option
  it('refuses options of the wrong type the constructor does not check, with an MqttError naming them', async () => {
    const cases: Array<[unknown, string]> = [
      [{ will: null }, 'options.will'],
      [{ will: { topic: 'w', payload: 'x', retain: 'yes' } }, 'options.will.retain'],
      [{ protocol: 'mqtts', rejectUnauthorized: 'no' }, 'options.rejectUnauthorized'],
      [{ protocol: 'mqtts', ALPNProtocols: 'mqtt' }, 'options.ALPNProtocols'],
      [{ host: 'local\u0000host' }, 'options.host'],
    ];
    for (const [options, names] of cases)
      expectRefusal(await optionRefusal(options as MqttClientOptions), ['ERR_INVALID_ARG', names]);
  });
});

describe('operations on a connected client', () => {
  let client: MqttClient;
  beforeAll(async () => { client = await connect(plain()); });
  afterAll(async () => { await client?.end(); });

  const sur = '\udc00';
  const cases: Array<[string, () => unknown, Refusal]> = [
    ['publish: topic type', () => client.publish(42 as unknown as string, 'x'), ['ERR_INVALID_ARG', 'topic must be a string']],
    ['publish: wildcard topic', () => client.publish('a/+', 'x', { qos: 1 }), ['ERR_INVALID_TOPIC', 'topic']],
    ['publish: empty topic', () => client.publish('', 'x'), ['ERR_INVALID_TOPIC', 'topic']],
    ['publish: NUL in topic', () => client.publish('a\u0000b', 'x'), ['ERR_UTF8', 'topic']],
    ['publish: lone surrogate in topic', () => client.publish(`a${sur}`, 'x'), ['ERR_UTF8', 'topic']],
    ['publish: topic over 65535 bytes', () => client.publish('t'.repeat(65536), 'x'), ['ERR_PACKET_TOO_LARGE', 'topic']],
    ['publish: payload type', () => client.publish('t', {} as unknown as string), ['ERR_INVALID_ARG', 'payload']],
    ['publish: payload null', () => client.publish('t', null as unknown as string), ['ERR_INVALID_ARG', 'payload']],
    ['publish: qos 3', () => client.publish('t', 'x', { qos: 3 as 0 }), ['ERR_INVALID_ARG', 'options.qos']],
    ['publish: qos fraction', () => client.publish('t', 'x', { qos: 0.5 as 0 }), ['ERR_INVALID_ARG', 'options.qos']],
    ['publish: a packet over the send buffer', () => client.publish('t', Buffer.alloc(2 << 20), { qos: 1 }), ['ERR_PACKET_TOO_LARGE', 'options.sendBufferSize']],
    ['subscribe: filters type', () => client.subscribe(5 as unknown as string), ['ERR_INVALID_ARG', 'filters must be']],
    ['subscribe: filters null', () => client.subscribe(null as unknown as string), ['ERR_INVALID_ARG', 'filters must be']],
    ['subscribe: no filters', () => client.subscribe([]), ['ERR_INVALID_ARG', 'filters must name at least one']],
    ['subscribe: empty map', () => client.subscribe({}), ['ERR_INVALID_ARG', 'filters must name at least one']],
    ['subscribe: filter type', () => client.subscribe(['ok', 1 as unknown as string]), ['ERR_INVALID_ARG', 'filters[1]']],
    ['subscribe: misplaced #', () => client.subscribe('a/#/b'), ['ERR_INVALID_FILTER', 'filters[0]']],
    ['subscribe: misplaced +', () => client.subscribe(['ok/#', 'a+']), ['ERR_INVALID_FILTER', 'filters[1]']],
    ['subscribe: empty filter', () => client.subscribe(''), ['ERR_INVALID_FILTER', 'filters[0]']],
    ['subscribe: bad shared filter', () => client.subscribe(['ok/#', '$share//x']), ['ERR_INVALID_FILTER', 'filters[1]']],
    ['subscribe: lone surrogate', () => client.subscribe(sur), ['ERR_UTF8', 'filters[0]']],
    ['subscribe: filter over 65535 bytes', () => client.subscribe('f'.repeat(70000)), ['ERR_PACKET_TOO_LARGE', 'filters[0]']],
    ['subscribe: map qos', () => client.subscribe({ 'a/b': 3 as 0 }), ['ERR_INVALID_ARG', "filters['a/b']"]],
    ['subscribe: options.qos', () => client.subscribe('a', { qos: -1 as 0 }), ['ERR_INVALID_ARG', 'options.qos']],
    // the engine's limit, after the call: one SUBSCRIBE must fit the send buffer
    ['subscribe: more filters than a packet holds', () => client.subscribe(Array.from({ length: 70000 }, (_, i) => `f/${i}`)), ['ERR_PACKET_TOO_LARGE', '']],
    ['unsubscribe: filters type', () => client.unsubscribe(null as unknown as string), ['ERR_INVALID_ARG', 'filters must be']],
    ['unsubscribe: no filters', () => client.unsubscribe([]), ['ERR_INVALID_ARG', 'filters must be']],
    ['unsubscribe: filter type', () => client.unsubscribe([1 as unknown as string]), ['ERR_INVALID_ARG', 'filters[0]']],
    ['unsubscribe: bad filter', () => client.unsubscribe(['x', 'a+']), ['ERR_INVALID_FILTER', 'filters[1]']],
    ['messages: bad filter', () => client.messages('#/a'), ['ERR_INVALID_FILTER', 'filter']],
    ['messages: highWaterMark 0', () => client.messages(undefined, { highWaterMark: 0 }), ['ERR_INVALID_ARG', 'options.highWaterMark']],
  ];

  it('refuses each bad call with its code and the argument named, and the connection and queued operations survive', async () => {
    const base = `valid/${process.pid}`;
    await client.subscribe(`${base}/#`, { qos: 1 });
    const arriving = nextMessages(client, 2);
    const before = client.publish(`${base}/before`, 'queued before', { qos: 1 });
    for (const [what, call, expected] of cases) {
      const err = await refusal(call);
      expect(err, what).toBeInstanceOf(MqttError);
      expect(err, what).toMatchObject({ code: expected[0], message: expect.stringContaining(expected[1]) });
    }
    const after = client.publish(`${base}/after`, 'sent after', { qos: 1 });
    await Promise.all([before, after]);
    expect((await arriving).map((m) => `${m.topic.slice(base.length)} ${m.payload.toString()}`))
      .toEqual(['/before queued before', '/after sent after']);
    expect(client.connected).toBe(true);
  });

  // a refusal must leave no operation registered: ending the client later
  // would reject it unobserved and kill the process (unhandled rejection)
  it('refuses a non-boolean retain flag with an MqttError, and ending afterwards is harmless', async () => {
    const r = await runScript(`
      const c = await tinymqtt.connect({ host: '127.0.0.1', port });
      const err = await c.publish('t', 'x', { qos: 1, retain: 'yes' }).catch((e) => e);
      console.log(err instanceof tinymqtt.MqttError, err.code, err.message);
      await c.end();
      console.log('ended');`, broker.port);
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/^true ERR_INVALID_ARG .*options\.retain.*\nended\n$/);
    expect(r.code).toBe(0);
  });
});

describe('the client\'s state', () => {
  it('refuses a second connect() while connecting (ERR_STATE) and any connect() after end (ERR_CLOSED)', async () => {
    const c = new MqttClient(plain());
    const first = c.connect();
    expectRefusal(await refusal(() => c.connect()), ['ERR_STATE', 'already connecting']);
    await first;
    await c.end();
    expectRefusal(await refusal(() => c.connect()), ['ERR_CLOSED', 'connect']);
    for (const call of [() => c.subscribe('a'), () => c.unsubscribe('a'), () => c.publish('a', 'x')])
      expectRefusal(await refusal(call), ['ERR_CLOSED', 'the client was ended']);
  });

  it('setReconnect: refuses bad values and unknown names, naming them; keeps what it was not given; ERR_CLOSED after end', async () => {
    const c = await connect(plain());
    for (const [policy, expected] of [
      [{ reconnectPeriod: -1 }, ['ERR_INVALID_ARG', 'policy.reconnectPeriod']],
      [{ reconnectFactor: 0 }, ['ERR_INVALID_ARG', 'policy.reconnectFactor']],
      [{ reconnectJitter: 1 }, ['ERR_INVALID_ARG', 'policy.reconnectJitter']],
      [{ period: 1000 }, ['ERR_INVALID_ARG', 'policy has unknown fields period']],
      [null, ['ERR_INVALID_ARG', 'policy must be an object']],
    ] as const) expectRefusal(captureThrow(() => c.setReconnect(policy as never)), expected as unknown as Refusal);
    c.setReconnect({ reconnectPeriod: 2500, reconnectJitter: false });
    expect(c.options).toMatchObject({ reconnectPeriod: 2500, reconnectJitter: false, reconnectMaxPeriod: 30000, reconnectFactor: 2 });
    await c.end();
    expectRefusal(captureThrow(() => c.setReconnect({ reconnectPeriod: 0 })), ['ERR_CLOSED', 'setReconnect']);
  });

  // connect() on a connected client must settle (it rejects with ERR_STATE)
  it('settles connect() on a client that is already connected', async () => {
    const c = await connect(plain());
    c.on('error', () => undefined);
    try {
      const again = await Promise.race([
        c.connect().then(() => 'resolved', (e: MqttError) => e.code),
        new Promise((resolve) => setTimeout(() => resolve('still pending after 1 s'), 1000)),
      ]);
      expect(again).toBe('ERR_STATE');
    } finally {
      await c.end();
    }
  });
});
