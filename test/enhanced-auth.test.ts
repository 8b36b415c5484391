// MQTT 5.0 enhanced authentication from Node, against the fake broker
// playing a SCRAM-SHA-256 server (RFC 5802's exchange carried in CONNECT,
// AUTH and CONNACK): the first exchange, a re-authentication, and a handler
// that fails or is missing.
import { createHash, createHmac, pbkdf2Sync, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MqttClient, type AuthPacket } from '../lib/index.js';
import { FakeBroker, type FakeConnection } from './support/fake-broker.js';
import { packet, str, Type, vbi } from './support/mqtt-bytes.js';

let fake: FakeBroker;
beforeAll(async () => { fake = await FakeBroker.start(); });
afterAll(async () => { await fake?.stop(); });

const METHOD = 'SCRAM-SHA-256';
const PASSWORD = 'pencil';
const SALT = randomBytes(16);
const ITERATIONS = 4096;

const hmac = (key: Buffer, text: string) => createHmac('sha256', key).update(text).digest();
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest();
const xor = (a: Buffer, b: Buffer) => Buffer.from(a.map((x, i) => x ^ b[i]));
const salted = pbkdf2Sync(PASSWORD, SALT, ITERATIONS, 32, 'sha256');

/** The SCRAM client: start() makes the first message of an exchange (a
 *  new nonce each time), and the handler answers the server's first message
 *  with the final one (the proof). */
function scramClient(user: string) {
  let nonce = '', first = '';
  const start = () => {
    nonce = randomBytes(12).toString('base64');
    first = `n=${user},r=${nonce}`;
    return Buffer.from(`n,,${first}`);
  };
  const handler = (p: AuthPacket) => {
    const serverFirst = p.properties.authenticationData!.toString();
    const combined = /r=([^,]+)/.exec(serverFirst)![1];
    if (!combined.startsWith(nonce)) throw new Error('server nonce does not extend ours');
    const withoutProof = `c=biws,r=${combined}`;
    const clientKey = hmac(salted, 'Client Key');
    const signature = hmac(sha256(clientKey), `${first},${serverFirst},${withoutProof}`);
    return { authenticationData: Buffer.from(`${withoutProof},p=${xor(clientKey, signature).toString('base64')}`) };
  };
  return { start, handler };
}

/** The properties of a 5.0 CONNECT or AUTH the client sent, by id (0x15
 *  method, 0x16 data) as Buffers. */
function authProps(p: Buffer): Map<number, Buffer> {
  let at = 1;
  while (p[at] & 0x80) at++;
  at++;
  if (p[0] >> 4 === Type.CONNECT) at += 2 + 4 + 1 + 1 + 2;   // "MQTT", level, flags, keepalive
  else at += 1;   // AUTH: the reason code
  const out = new Map<number, Buffer>();
  const end = at + 1 + p[at];   // property length below 128 here
  for (at++; at < end;) {
    const id = p[at++];
    if (id === 0x15 || id === 0x16) {
      const len = p.readUInt16BE(at);
      out.set(id, p.subarray(at + 2, at + 2 + len));
      at += 2 + len;
    } else if (id === 0x21 || id === 0x22) {
      at += 2;
    } else if (id === 0x27) {
      at += 4;
    } else {
      throw new Error(`unexpected property 0x${id.toString(16)}`);
    }
  }
  return out;
}

/** Authentication Method and Data as a property block. */
const block = (data: string) => Buffer.concat([Buffer.from([0x15]), str(METHOD), Buffer.from([0x16]), str(data)]);
const auth = (reason: number, data: string) => { const b = block(data); return packet(0xf0, [reason], vbi(b.length), b); };
const connack5 = (data: string) => { const b = block(data); return packet(0x20, [0, 0], vbi(b.length), b); };

/** The SCRAM server side of one exchange on conn: reads the client's first
 *  message from `firstData`, challenges, checks the proof. Returns the
 *  server signature it sends with `done`. */
async function serveScram(conn: FakeConnection, firstData: Buffer, done: (signature: string) => Buffer): Promise<string> {
  const clientFirst = firstData.toString().replace(/^n,,/, '');
  const serverFirst = `r=${/r=([^,]+)/.exec(clientFirst)![1]}srv${randomBytes(6).toString('base64')},s=${SALT.toString('base64')},i=${ITERATIONS}`;
  conn.send(auth(0x18, serverFirst));
  const answer = await conn.expect(15);
  expect(answer[2]).toBe(0x18);   // Continue authentication
  const props = authProps(answer);
  expect(props.get(0x15)!.toString()).toBe(METHOD);
  const final = props.get(0x16)!.toString();
  const withoutProof = final.replace(/,p=.*$/, '');
  const authMessage = `${clientFirst},${serverFirst},${withoutProof}`;
  const proof = Buffer.from(/p=(.*)$/.exec(final)![1], 'base64');
  const clientKey = xor(proof, hmac(sha256(hmac(salted, 'Client Key')), authMessage));
  expect(sha256(clientKey)).toEqual(sha256(hmac(salted, 'Client Key')));   // the proof holds
  const signature = `v=${hmac(hmac(salted, 'Server Key'), authMessage).toString('base64')}`;
  conn.send(done(signature));
  return signature;
}

const v5 = (extra: object) => ({ host: '127.0.0.1', port: fake.port, protocolVersion: 5 as const, reconnectPeriod: 0, ...extra });

describe('enhanced authentication', () => {
  it('runs a SCRAM exchange in CONNECT, AUTH and CONNACK, then a re-authentication', async () => {
    const scram = scramClient('user');
    const client = new MqttClient(v5({
      properties: { authenticationMethod: METHOD, authenticationData: scram.start() }, handleAuth: scram.handler,
    }));
    const connected = client.connect();
    const conn = await fake.accept();
    const props = authProps(await conn.expect(Type.CONNECT));
    expect(props.get(0x15)!.toString()).toBe(METHOD);
    const signature = await serveScram(conn, props.get(0x16)!, connack5);
    await connected;
    expect(client.serverProperties).toEqual({ authenticationMethod: METHOD, authenticationData: Buffer.from(signature) });

    const reauth = client.reauthenticate({ authenticationData: scram.start() });
    const start = await conn.expect(15);
    expect(start[2]).toBe(0x19);   // Re-authenticate
    await serveScram(conn, authProps(start).get(0x16)!, (sig) => auth(0, sig));
    await reauth;
    expect(client.connected).toBe(true);
    await client.end();
  });

  it('rejects connect() with ERR_AUTH when the handler throws, and stops', async () => {
    const client = new MqttClient(v5({
      properties: { authenticationMethod: METHOD }, handleAuth: () => { throw new Error('no such user'); },
    }));
    const connected = client.connect();
    const conn = await fake.accept();
    await conn.expect(Type.CONNECT);
    conn.send(auth(0x18, 'r=x'));
    const err = await connected.catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'ERR_AUTH', message: expect.stringContaining('no such user') });
    expect((err as Error).cause).toBeInstanceOf(Error);
    await conn.closed;
    expect(client.state).toBe('disconnected');
    await client.end();
  });

  it('rejects connect() with ERR_AUTH when the broker challenges and there is no handler', async () => {
    const client = new MqttClient(v5({ properties: { authenticationMethod: METHOD } }));
    const connected = client.connect();
    const conn = await fake.accept();
    await conn.expect(Type.CONNECT);
    conn.send(auth(0x18, 'r=x'));
    await expect(connected).rejects.toMatchObject({ code: 'ERR_AUTH', message: expect.stringContaining('options.handleAuth') });
    await client.end();
  });

  it('refuses what cannot work before anything is sent', async () => {
    expect(() => new MqttClient(v5({ handleAuth: 'yes' }))).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG' }));
    const client = new MqttClient(v5({}));
    await expect(client.reauthenticate()).rejects.toMatchObject({ code: 'ERR_STATE', message: expect.stringContaining('authenticationMethod') });
    const withMethod = new MqttClient(v5({ properties: { authenticationMethod: METHOD } }));
    await expect(withMethod.reauthenticate({ authenticationMethod: 'other' } as object)).rejects.toMatchObject({ code: 'ERR_INVALID_ARG' });
    await expect(withMethod.reauthenticate()).rejects.toMatchObject({ code: 'ERR_STATE', message: expect.stringContaining('not connected') });
  });
});
