// MQTT over WebSockets (ws:// and wss://): against aedes served over the
// `ws` package on http and https, and against a scripted WebSocket server
// for exact bytes and hostile frames.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, MqttClient, MqttError, type MqttClientOptions } from '../lib/index.js';
import { startAedesWs, type AedesWsBroker } from './support/aedes-ws.js';
import { nextMessages, pollUntil } from './support/events.js';
import { KEY_PASSPHRASE, makeCerts, type Certs } from './support/mosquitto.js';
import { connack, publish, Type } from './support/mqtt-bytes.js';
import { frame, startWsFake, upgradeResponse, type WsFake, type WsFakeConnection } from './support/ws-fake.js';

let certs: Certs;
let certDir: string;
let plain: AedesWsBroker;
let secure: AedesWsBroker;

beforeAll(async () => {
  certDir = mkdtempSync(path.join(tmpdir(), 'tmq-ws-'));
  certs = makeCerts(certDir);
  plain = await startAedesWs();
  secure = await startAedesWs({ tls: { cert: certs.serverCert, key: certs.serverKey } });
});
afterAll(async () => {
  await plain?.stop();
  await secure?.stop();
  rmSync(certDir, { recursive: true, force: true });
});

/** 'connected', or the code connect() rejected with (and its message). */
async function outcome(options: MqttClientOptions): Promise<string> {
  const c = new MqttClient({ host: '127.0.0.1', connectTimeout: 5000, reconnectPeriod: 0, ...options });
  const result = await c.connect().then(() => 'connected', (e: unknown) => (e instanceof MqttError ? `${e.code}: ${e.message}` : String(e)));
  await c.end({ force: true });
  return result;
}

describe('against aedes over ws and wss', () => {
  const urls = () => [
    ['ws', `ws://127.0.0.1:${plain.port}/mqtt`, {}],
    ['wss', `wss://127.0.0.1:${secure.port}/mqtt`, { ca: certs.ca }],
  ] as const;

  for (const kind of ['ws', 'wss'] as const) {
    it(`${kind}: QoS 0, 1 and 2 round trips and a 1 MiB message`, async () => {
      const [, url, extra] = urls().find(([k]) => k === kind)!;
      const c = await connect(url, { ...extra });
      try {
        await c.subscribe(`${kind}/#`, { qos: 2 });
        for (const qos of [0, 1, 2] as const) {
          const arriving = nextMessages(c, 1);
          await c.publish(`${kind}/q${qos}`, `hello at QoS ${qos}`, { qos });
          const [m] = await arriving;
          expect([m.topic, m.payload.toString(), m.qos]).toEqual([`${kind}/q${qos}`, `hello at QoS ${qos}`, qos]);
        }
        const big = Buffer.alloc(1 << 20);
        for (let i = 0; i < big.length; i += 4) big.writeUInt32LE(i, i);
        const arriving = nextMessages(c, 1);
        await c.publish(`${kind}/big`, big, { qos: 1 });
        expect((await arriving)[0].payload.equals(big)).toBe(true);
      } finally {
        await c.end();
      }
    });
  }

  it('sends the path, the Host and the extra headers; protocol and path as options', async () => {
    const c = new MqttClient({ protocol: 'ws', host: '127.0.0.1', port: plain.port, wsOptions: { headers: { Authorization: 'Bearer t0ken' } } });
    await c.connect();
    await c.end();
    const headers = plain.headers.at(-1)!;
    expect(plain.paths.at(-1)).toBe('/mqtt');
    expect(headers).toMatchObject({ host: `127.0.0.1:${plain.port}`, authorization: 'Bearer t0ken', 'sec-websocket-protocol': 'mqtt' });
    expect(await outcome({ protocol: 'ws', port: plain.port, path: '/elsewhere' })).toMatch(/^ERR_WS_HANDSHAKE: .*HTTP 400/);
    // a Host header the engine refuses to write (a space in the name)
    expect(await outcome({ protocol: 'ws', port: plain.port, host: 'bad host' })).toMatch(/^ERR_INVALID_ARG: options.ws refused/);
  });

  it('wss with a client certificate, its key encrypted, to a server that requires one', async () => {
    const mutual = await startAedesWs({ tls: { cert: certs.serverCert, key: certs.serverKey, ca: certs.ca } });
    try {
      const wss = { protocol: 'wss' as const, port: mutual.port, ca: certs.ca, host: 'localhost' };
      expect(await outcome({ ...wss, cert: certs.clientCert, key: certs.clientKeyEncrypted, passphrase: KEY_PASSPHRASE })).toBe('connected');
      expect(await outcome(wss)).toMatch(/^ERR_TLS/);   // no certificate: the server ends the handshake
    } finally {
      await mutual.stop();
    }
  });

  it('wss refuses an unknown CA and a wrong host name (ERR_TLS_VERIFY), as mqtts does', async () => {
    const wss = { protocol: 'wss' as const, port: secure.port };
    expect(await outcome({ ...wss, ca: certs.wrongCa })).toMatch(/^ERR_TLS_VERIFY/);
    expect(await outcome(wss)).toMatch(/^ERR_TLS_VERIFY/);   // the system's CAs do not know the test CA
    expect(await outcome({ ...wss, ca: certs.ca, servername: 'elsewhere.example' })).toMatch(/^ERR_TLS_VERIFY/);
    expect(await outcome({ ...wss, ca: certs.ca, servername: 'localhost' })).toBe('connected');
    expect(await outcome({ ...wss, ca: certs.wrongCa, rejectUnauthorized: false })).toBe('connected');
  });
});

describe('against a scripted WebSocket server', () => {
  let fake: WsFake;
  beforeAll(async () => { fake = await startWsFake(); });
  afterAll(async () => { await fake?.stop(); });

  const options = (more: MqttClientOptions = {}): MqttClientOptions =>
    ({ protocol: 'ws', host: '127.0.0.1', port: fake.port, connectTimeout: 5000, reconnectPeriod: 0, ...more });

  /** A client connecting, and its connection on the fake, upgraded. */
  async function upgraded(more: MqttClientOptions = {}): Promise<{ c: MqttClient; conn: WsFakeConnection; connecting: Promise<unknown> }> {
    const c = new MqttClient(options(more));
    const connecting = c.connect().catch((e: unknown) => e);
    const conn = await fake.next();
    conn.write(upgradeResponse(await conn.key()));
    return { c, conn, connecting };
  }

  /** The error connect() rejects with when the server answers with `bytes`. */
  async function refusedWith(bytes: (conn: WsFakeConnection) => Promise<Buffer | string>): Promise<MqttError> {
    const c = new MqttClient(options());
    const connecting = c.connect().catch((e: unknown) => e);
    const conn = await fake.next();
    conn.write(await bytes(conn));
    const err = await connecting;
    await c.end({ force: true });
    expect(err).toBeInstanceOf(MqttError);
    return err as MqttError;
  }

  it('a 403 answer to the upgrade is ERR_WS_HANDSHAKE with the status in the message', async () => {
    const err = await refusedWith(async () => 'HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n');
    expect(err.code).toBe('ERR_WS_HANDSHAKE');
    expect(err.message).toContain('HTTP 403');
  });

  it('a wrong Sec-WebSocket-Accept is ERR_WS_ACCEPT', async () => {
    const err = await refusedWith(async (conn) => upgradeResponse(await conn.key(), 'AAAAAAAAAAAAAAAAAAAAAAAAAAA='));
    expect(err.code).toBe('ERR_WS_ACCEPT');
  });

  it('hostile frames get their own codes: masked, text, a 64-bit length over the limit, a reserved opcode', async () => {
    const after = (bytes: Buffer) => async (conn: WsFakeConnection) => Buffer.concat([Buffer.from(upgradeResponse(await conn.key())), bytes]);
    expect((await refusedWith(after(frame(2, connack(), { mask: Buffer.from([1, 2, 3, 4]) })))).code).toBe('ERR_WS_MASKED');
    expect((await refusedWith(after(frame(1, ' \u0002\0\0')))).code).toBe('ERR_WS_TEXT');
    const huge = Buffer.from([0x82, 127, 0, 0, 0x10, 0, 0, 0, 0, 0]);   // 2^44 bytes
    expect((await refusedWith(after(huge))).code).toBe('ERR_WS_FRAME_SIZE');
    expect((await refusedWith(after(Buffer.from([0x83, 0])))).code).toBe('ERR_WS_OPCODE');
  });

  it('a PUBLISH fragmented across frames, with a ping between them, split across reads', async () => {
    const { c, conn, connecting } = await upgraded();
    conn.write(frame(2, connack()));
    expect(await connecting).toBeUndefined();
    const arriving = nextMessages(c, 1);
    const bytes = Buffer.concat([
      frame(2, publish('ws/frag', 'spread over frames').subarray(0, 5), { more: true }),
      frame(9, 'are you there'),
      frame(0, publish('ws/frag', 'spread over frames').subarray(5, 12), { more: true }),
      frame(0, publish('ws/frag', 'spread over frames').subarray(12)),
    ]);
    let from = 0;
    for (const cut of [1, 3, 9, 20, 24, bytes.length]) {   // pieces that end inside headers and payloads
      conn.write(bytes.subarray(from, cut));
      from = cut;
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    const [m] = await arriving;
    expect([m.topic, m.payload.toString()]).toEqual(['ws/frag', 'spread over frames']);
    expect(await pollUntil(() => conn.opcodes.includes(10), 2000)).toBe(true);   // the ping got its pong
    await c.end();
    await conn.closed;
    expect(conn.packets.map((p) => p[0] >> 4)).toEqual([Type.CONNECT, Type.DISCONNECT]);
    expect(conn.opcodes.at(-1)).toBe(8);   // and a close frame last
  });

  it('a close frame in the middle of a packet is ERR_WS_CLOSE_MID_PACKET; one between packets an ordinary close', async () => {
    for (const [bytes, code] of [
      [Buffer.concat([frame(2, publish('ws/cut', 'never whole').subarray(0, 6)), frame(8, Buffer.from([3, 232]))]), 'ERR_WS_CLOSE_MID_PACKET'],
      [frame(8, Buffer.from([3, 232])), 'ERR_CLOSED'],
    ] as const) {
      const { c, conn, connecting } = await upgraded();
      conn.write(frame(2, connack()));
      expect(await connecting).toBeUndefined();
      const failed = new Promise<MqttError>((resolve) => c.once('error', resolve));
      conn.write(bytes);
      expect((await failed).code).toBe(code);
      await c.end({ force: true });
    }
  });

  it('messages queued while the upgrade is refused go out on the next attempt', async () => {
    const c = new MqttClient(options({ reconnectPeriod: 50, reconnectJitter: false }));
    c.on('error', () => {});
    const connecting = c.connect().catch((e: unknown) => e);
    const first = await fake.next();
    first.write('HTTP/1.1 503 Service Unavailable\r\n\r\n');
    expect((await connecting as MqttError).code).toBe('ERR_WS_HANDSHAKE');
    const sent = c.publish('ws/queued', 'kept', { qos: 1 });
    const second = await fake.next();
    second.write(Buffer.concat([Buffer.from(upgradeResponse(await second.key())), frame(2, connack())]));
    for (let i = 0; i < 200 && second.packets.length < 2; i++) await new Promise((resolve) => setTimeout(resolve, 5));
    const pub = second.packets[1];
    expect(pub?.[0] >> 4).toBe(Type.PUBLISH);
    second.write(frame(2, Buffer.from([0x40, 2, pub[pub.indexOf('kept') - 2], pub[pub.indexOf('kept') - 1]])));   // PUBACK
    await sent;
    await c.end({ force: true });
  });
});
