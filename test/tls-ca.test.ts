// options.ca beyond one PEM text, against mosquitto's TLS listener: an
// array of PEM texts and Buffers (as Node's tls takes), a directory of
// certificate files, and the refusals of what holds no certificate.
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MqttClient, MqttError, type MqttClientOptions } from '../lib/index.js';
import { startMosquitto, type Broker } from './support/mosquitto.js';

/** The test's own directory, for the CA directories it makes. */
const dir = mkdtempSync(path.join(tmpdir(), 'tinymqtt-ca-'));
let broker: Broker;
beforeAll(async () => { broker = await startMosquitto(); });
afterAll(async () => { await broker?.stop(); rmSync(dir, { recursive: true, force: true }); });

/** 'connected', or the code connect() (or the constructor) failed with. */
async function outcome(ca: unknown): Promise<string> {
  let c: MqttClient;
  try {
    c = new MqttClient({ host: '127.0.0.1', port: broker.tlsPort, protocol: 'mqtts', connectTimeout: 5000, ca } as MqttClientOptions);
  } catch (e) {
    return (e as MqttError).code;
  }
  const result = await c.connect().then(() => 'connected', (e: unknown) => (e instanceof MqttError ? e.code : String(e)));
  await c.end();
  return result;
}

/** A new directory under the test's own holding these files. */
function caDir(name: string, files: Record<string, string>): string {
  const d = path.join(dir, name);
  mkdirSync(d);
  for (const [file, text] of Object.entries(files)) writeFileSync(path.join(d, file), text);
  return d;
}

describe('options.ca', () => {
  it('takes an array of PEM texts and Buffers; the server is verified by any of them', async () => {
    expect(await outcome([broker.certs.wrongCa, Buffer.from(broker.certs.ca)])).toBe('connected');
    expect(await outcome([broker.certs.wrongCa])).toBe('ERR_TLS_VERIFY');
  });

  it('takes a directory of certificate files', async () => {
    const both = caDir('both', { 'other.pem': broker.certs.wrongCa, 'test.crt': broker.certs.ca, 'notes.txt': 'not a certificate' });
    expect(await outcome(both)).toBe('connected');
    expect(await outcome([caDir('wrong', { 'a1b2c3d4.0': broker.certs.wrongCa })])).toBe('ERR_TLS_VERIFY');
  });

  it('refuses a directory without certificates and an empty array, naming the option', async () => {
    const empty = caDir('empty', { 'readme.txt': 'nothing here' });
    const err = await (async () => { try { new MqttClient({ protocol: 'mqtts', ca: empty }); } catch (e) { return e; } })();
    expect(err).toMatchObject({ code: 'ERR_INVALID_ARG', message: expect.stringContaining(`options.ca names a directory with no PEM certificate files`) });
    expect(await outcome([])).toBe('ERR_INVALID_ARG');
    expect(await outcome([broker.certs.ca, 42])).toBe('ERR_INVALID_ARG');
  });
});
