// MqttClient over TLS against mosquitto's TLS and mutual-TLS listeners:
// what verifies and connects, and the codes of what is refused. (The same
// engine paths at the addon level: test/native.test.ts.)
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, MqttClient, MqttError, type MqttClientOptions } from '../lib/index.js';
import { nextMessages } from './support/events.js';
import { FakeBroker } from './support/fake-broker.js';
import { publish } from './support/mqtt-bytes.js';
import { KEY_PASSPHRASE, startMosquitto, type Broker } from './support/mosquitto.js';

let broker: Broker;
beforeAll(async () => { broker = await startMosquitto(); });
afterAll(async () => { await broker?.stop(); });

/** 'connected', or the code connect() rejected with. */
async function outcome(options: MqttClientOptions): Promise<string> {
  const c = new MqttClient({ host: '127.0.0.1', connectTimeout: 5000, ...options });
  const result = await c.connect().then(() => 'connected', (e: unknown) => (e instanceof MqttError ? e.code : String(e)));
  await c.end();
  return result;
}

describe('TLS', () => {
  const tls = (options: MqttClientOptions = {}) => ({ protocol: 'mqtts' as const, port: broker.tlsPort, ...options });

  it('connects over mqtts:// with the CA as PEM text, and a message goes both ways', async () => {
    const c = await connect(`mqtts://127.0.0.1:${broker.tlsPort}`, { ca: broker.certs.ca });
    try {
      await c.subscribe('tls/echo', { qos: 1 });
      const arriving = nextMessages(c, 1);
      const payload = Buffer.alloc(200_000, 0x5a);   // many TLS records, more than a 64 KiB read
      await c.publish('tls/echo', payload, { qos: 1 });
      expect((await arriving)[0].payload.equals(payload)).toBe(true);
    } finally {
      await c.end();
    }
  });

  it('verifies the name: localhost by servername, 127.0.0.1 by address; another name is ERR_TLS_VERIFY', async () => {
    const ca = Buffer.from(broker.certs.ca);   // a Buffer works as well as text
    expect(await outcome(tls({ ca, servername: 'localhost' }))).toBe('connected');
    expect(await outcome(tls({ ca, host: 'localhost' }))).toBe('connected');
    expect(await outcome(tls({ ca, servername: 'elsewhere.example' }))).toBe('ERR_TLS_VERIFY');
  });

  it('refuses a server its CA did not sign (ERR_TLS_VERIFY), unless rejectUnauthorized is false', async () => {
    expect(await outcome(tls({ ca: broker.certs.wrongCa }))).toBe('ERR_TLS_VERIFY');
    expect(await outcome(tls())).toBe('ERR_TLS_VERIFY');   // the system's CAs do not know the test CA
    expect(await outcome(tls({ ca: broker.certs.wrongCa, rejectUnauthorized: false }))).toBe('connected');
  });

  it('fails the handshake against a plain listener: ERR_TLS', async () => {
    expect(await outcome(tls({ port: broker.port, ca: broker.certs.ca }))).toBe('ERR_TLS');
  });
});

describe('TLS from a scripted broker', () => {
  it('delivers packets written as a record each, in order, and those written right before the close', async () => {
    const fake = await FakeBroker.start({ cert: broker.certs.serverCert, key: broker.certs.serverKey });
    const c = new MqttClient({ host: '127.0.0.1', port: fake.port, protocol: 'mqtts', ca: broker.certs.ca, reconnectPeriod: 0 });
    try {
      const connected = c.connect();
      const conn = await fake.acceptConnected();
      await connected;
      const arriving = nextMessages(c, 300);
      for (let i = 0; i < 300; i++) conn.send(publish('tls/records', `m${i}`));   // one TLS record each
      conn.end();   // the close right after them
      expect((await arriving).map((m) => m.payload.toString())).toEqual(Array.from({ length: 300 }, (_, i) => `m${i}`));
    } finally {
      await c.end();
      await fake.stop();
    }
  });
});

describe('mutual TLS', () => {
  const mtls = (options: MqttClientOptions) => ({ protocol: 'mqtts' as const, port: broker.mtlsPort, ca: broker.certs.ca, ...options });

  it('connects with a client certificate, its key plain or encrypted with its passphrase', async () => {
    const { clientCert: cert, clientKey: key, clientKeyEncrypted } = broker.certs;
    expect(await outcome(mtls({ cert, key }))).toBe('connected');
    expect(await outcome(mtls({ cert: Buffer.from(cert), key: clientKeyEncrypted, passphrase: KEY_PASSPHRASE }))).toBe('connected');
  });

  it('is refused without a client certificate: ERR_TLS', async () => {
    expect(await outcome(mtls({}))).toBe('ERR_TLS');
  });
});
