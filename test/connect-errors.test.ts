// Connection errors that say where and why: host:port, then the OS error,
// the TLS reason or the broker's refusal by name, against real parts on
// loopback (a closed port, mosquitto's TLS and password listeners, the fake
// broker for silence, hang-ups and a 5.0 DISCONNECT). What only another
// network produces (EHOSTUNREACH, a TCP connect timeout) is checked at the
// unit level: native/test/test_tcp.c names the errors, and the wording of a
// timeout per step is checked here on connectionError itself.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { MqttClient, MqttError, type MqttClientOptions } from '../lib/index.js';
import { EXIT } from '../lib/cli/options.js';
import { connectClient } from '../lib/cli/run.js';
import { connectionError } from '../lib/connect-errors.js';
import { TMQ_ERR_CONNECT_TIMEOUT, TMQ_STATE_TCP_CONNECTING, TMQ_STATE_TLS_HANDSHAKING } from '../lib/constants.js';
import { FakeBroker } from './support/fake-broker.js';
import { packet, str, vbi } from './support/mqtt-bytes.js';
import { freePort, startMosquitto, type Broker } from './support/mosquitto.js';

let broker: Broker;
let fake: FakeBroker;
beforeAll(async () => { [broker, fake] = await Promise.all([startMosquitto(), FakeBroker.start()]); });
afterAll(async () => { await Promise.all([broker?.stop(), fake?.stop()]); });

/** The error connect() rejects with. */
async function failure(options: MqttClientOptions): Promise<MqttError> {
  const c = new MqttClient({ host: '127.0.0.1', reconnectPeriod: 0, connectTimeout: 5000, ...options });
  const err = await c.connect().then(() => { throw new Error('connected'); }, (e: unknown) => e as MqttError);
  await c.end();
  return err;
}

describe('connection errors', () => {
  it('name the address and the OS error of a refused TCP connection', async () => {
    const port = await freePort();
    const err = await failure({ port });
    expect(err.code).toBe('ERR_REFUSED');
    expect(err.message).toBe(`connection to 127.0.0.1:${port} failed: ERR_REFUSED: ECONNREFUSED (Connection refused)`);
    expect(err.server).toEqual({ host: '127.0.0.1', port });
  });

  it('say which step ran out of time', async () => {
    // the fake broker takes the connection and never answers
    const [err] = await Promise.all([failure({ port: fake.port, connectTimeout: 300 }), fake.accept()]);
    expect(err.message).toBe(`connection to 127.0.0.1:${fake.port} failed: ERR_CONNECT_TIMEOUT: no CONNACK within 300 ms (options.connectTimeout)`);
    const base = { host: '::1', port: 1883, error: TMQ_ERR_CONNECT_TIMEOUT, reasonCode: 0, version: 4, wasConnected: false,
      connectTimeout: 1000, detail: '', reasonString: undefined };
    expect(connectionError({ ...base, state: TMQ_STATE_TCP_CONNECTING }).message)
      .toBe('connection to [::1]:1883 failed: ERR_CONNECT_TIMEOUT: no TCP connection within 1000 ms (options.connectTimeout)');
    expect(connectionError({ ...base, state: TMQ_STATE_TLS_HANDSHAKING }).message).toContain('no TLS handshake within 1000 ms');
    expect(connectionError({ ...base, state: TMQ_STATE_TLS_HANDSHAKING }).server).toEqual({ host: '::1', port: 1883 });
  });

  it('give the TLS reason: unknown CA, host name mismatch, the server refusing the handshake', async () => {
    const tls = { protocol: 'mqtts' as const, port: broker.tlsPort };
    const unknown = await failure({ ...tls, ca: broker.certs.wrongCa });
    expect(unknown.code).toBe('ERR_TLS_VERIFY');
    expect(unknown.message).toMatch(new RegExp(`^connection to 127\\.0\\.0\\.1:${broker.tlsPort} failed: ERR_TLS_VERIFY: unknown CA \\(.*trusted CA.*\\)$`));
    const mismatch = await failure({ ...tls, ca: broker.certs.ca, servername: 'elsewhere.example' });
    expect(mismatch.message).toMatch(/: ERR_TLS_VERIFY: host name mismatch \(/);
    const noCert = await failure({ protocol: 'mqtts', port: broker.mtlsPort, ca: broker.certs.ca });
    expect(noCert.code).toBe('ERR_TLS');
    expect(noCert.message).toMatch(/: ERR_TLS: (handshake alert \d+ \(\w+\) from the server|the server closed the connection during the handshake)/);
  });

  it("give the broker's refusal by name, in 3.1.1 and 5.0", async () => {
    // mosquitto answers a wrong password with "not authorized"
    const v4 = await failure({ port: broker.passwordPort, username: 'alice', password: 'wrong' });
    expect(v4.message).toBe(`connection to 127.0.0.1:${broker.passwordPort} refused by the broker: ERR_CONNACK_NOT_AUTHORIZED: reason 0x05 not authorized`);
    const v5 = await failure({ port: broker.passwordPort, username: 'alice', password: 'wrong', protocolVersion: 5 });
    expect(v5).toMatchObject({ code: 'ERR_CONNACK_NOT_AUTHORIZED', reasonCode: 0x87 });
    expect(v5.message).toBe(`connection to 127.0.0.1:${broker.passwordPort} refused by the broker: ERR_CONNACK_NOT_AUTHORIZED: reason 0x87 Not authorized`);
  });

  it('say how a connection was lost: the broker hanging up, or its 5.0 DISCONNECT', async () => {
    for (const [v5, end] of [[false, 'hang up'], [true, 'disconnect']] as const) {
      const c = new MqttClient({ host: '127.0.0.1', port: fake.port, reconnectPeriod: 0, protocolVersion: v5 ? 5 : 4 });
      const connected = c.connect();
      const conn = await fake.acceptConnected(v5);
      await connected;
      const lost = new Promise<MqttError>((resolve) => c.once('error', resolve));
      if (end === 'hang up') {
        conn.end();
        expect((await lost).message).toBe(`connection to 127.0.0.1:${fake.port} lost: ERR_CLOSED: the broker closed the connection`);
      } else {
        const props = Buffer.concat([Buffer.from([0x1f]), str('maintenance')]);
        conn.send(packet(0xe0, [0x8b], vbi(props.length), props));
        expect((await lost).message).toBe(`connection to 127.0.0.1:${fake.port} ended by the broker: ERR_SERVER_DISCONNECT: ` +
          'reason 0x8b Server shutting down (the broker says: maintenance)');
      }
      await c.end();
    }
  });
});


describe('the CLI tells them from other errors by `server`, not by their words', () => {
  it('prints a connection error as it is, whatever its message says; another failure with what failed', async () => {
    const port = await freePort();
    const lost = new MqttError('ERR_CLOSED', 'the broker hung up on us');
    lost.server = { host: '127.0.0.1', port };
    const spy = vi.spyOn(MqttClient.prototype, 'connect').mockRejectedValueOnce(lost);
    try {
      await expect(connectClient({ host: '127.0.0.1', port })).rejects.toMatchObject({ message: 'the broker hung up on us', code: EXIT.connection });
      spy.mockRejectedValueOnce(new MqttError('ERR_CLOSED', 'connection to nowhere'));
      await expect(connectClient({ host: '127.0.0.1', port })).rejects.toMatchObject({
        message: `could not connect to 127.0.0.1:${port}: ERR_CLOSED: connection to nowhere`, code: EXIT.connection,
      });
    } finally {
      spy.mockRestore();
    }
  });
});
