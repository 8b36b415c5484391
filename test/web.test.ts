// tinymqtt/web: the bundle (dist/browser, npm run build:web) in headless
// Chromium against aedes over ws on loopback (QoS 0/1/2 round trips, a 1 MiB
// message, a reconnect after the server drops the connection, the options a
// browser cannot honour refused); its declarations type-checked without
// Node's types; the bundle free of Node built-ins.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAedesWs, type AedesWsBroker } from './support/aedes-ws.js';
import { openPage } from './support/browser.js';
import { makeCerts } from './support/mosquitto.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const bundle = (file: string) => readFileSync(path.join(root, 'dist', 'browser', file));

/** A loopback port nothing listens on (one that was free a moment ago). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

let broker: AedesWsBroker;
/** aedes over wss, with a certificate of the test's own CA */
let secure: AedesWsBroker;
let certDir: string;
beforeAll(async () => {
  broker = await startAedesWs();
  certDir = mkdtempSync(path.join(tmpdir(), 'tmq-web-'));
  const certs = makeCerts(certDir);
  secure = await startAedesWs({ tls: { cert: certs.serverCert, key: certs.serverKey } });
});
afterAll(async () => {
  await broker?.stop();
  await secure?.stop();
  if (certDir) rmSync(certDir, { recursive: true, force: true });
});

describe('tinymqtt/web', () => {
  it('in headless Chromium against aedes over ws: QoS 0/1/2, 1 MiB, a reconnect after the server drops the connection; and over wss', async () => {
    const closed = await closedPort();
    const page = await openPage({
      '/index.html': { type: 'text/html', body: '<!doctype html><title>tinymqtt/web</title><script type="module" src="/page.js"></script>' },
      '/page.js': { type: 'text/javascript', body: readFileSync(path.join(root, 'test', 'support', 'web-page.mjs')) },
      '/tinymqtt.js': { type: 'text/javascript', body: bundle('tinymqtt.js') },
      '/tinymqtt.wasm': { type: 'application/wasm', body: bundle('tinymqtt.wasm') },
    }, `/index.html?broker=${broker.port}&secure=${secure.port}&closed=${closed}`, { drop: () => broker.drop() },
    // the browser trusts the test broker's certificate (its CA is no system's)
    ['--ignore-certificate-errors']);
    let result: Record<string, unknown>;
    try {
      result = await page.report('done', 90_000) as Record<string, unknown>;
    } finally {
      await page.close();
    }
    expect(result, page.transcript()).toMatchObject({ step: 'done' });
    expect(result.engine).toBe('wasm');
    expect(result.isClient).toBe(true);
    expect(result.matchTopic).toBe(true);
    expect(result.granted).toEqual([{ topic: 'web/#', qos: 2 }]);
    expect(result.roundTrips).toEqual([0, 1, 2].map((qos) => ({ topic: `web/q${qos}`, text: `hello at QoS ${qos}`, qos, uint8: true })));
    expect(result.big).toEqual({ topic: 'web/big', length: 1 << 20, same: true });
    expect(result.reconnect).toEqual({
      server: { host: '127.0.0.1', port: broker.port, protocol: 'ws' }, connected: true, roundTrip: 'web/again: after the reconnect',
    });
    expect(result.state).toBe('closed');
    expect(result.wss).toEqual({ server: { host: '127.0.0.1', port: secure.port, protocol: 'wss' }, roundTrip: 'web/tls: over wss' });
    const refused = result.refused as Record<string, string>;
    expect(refused.mqtt).toMatch(/^ERR_INVALID_ARG: options\.protocol must be 'ws' or 'wss' in tinymqtt\/web/);
    expect(refused.ca).toMatch(/^ERR_INVALID_ARG: options\.ca is not taken by tinymqtt\/web: the browser .*does TLS/);
    expect(refused.rejectUnauthorized).toMatch(/^ERR_INVALID_ARG: options\.rejectUnauthorized is not taken/);
    expect(refused.headers).toMatch(/^ERR_INVALID_ARG: options\.wsOptions\.headers cannot be sent from a browser/);
    expect(refused.closedPort).toBe(`ERR_IO: connection to 127.0.0.1:${closed} failed: ERR_IO: the WebSocket to ws://127.0.0.1:${closed}/mqtt ` +
      'failed before it opened: the browser does not say why (refused, no such host, TLS or the upgrade refused: see its console)');
  }, 120_000);

  it('its declarations type-check without Node\'s types (no @types/node, DOM and ES2022 libraries)', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'tmq-web-types-'));
    try {
      writeFileSync(path.join(dir, 'app.ts'), [
        "import { connect, loadEngine, MqttClient, MqttError, type MqttClientOptions } from 'tinymqtt/web';",
        "const options: MqttClientOptions = { protocol: 'wss', host: 'broker.example', keepalive: 30 };",
        'export async function main(): Promise<void> {',
        "  await loadEngine(new URL('/assets/tinymqtt.wasm', 'https://app.example'));",
        "  const client = await connect('wss://broker.example/mqtt', options);",
        "  client.on('message', (topic: string, payload: Uint8Array) => console.log(topic, new TextDecoder().decode(payload)));",
        "  await client.subscribe('a/#', { qos: 1 });",
        "  await client.publish('a/b', new Uint8Array([1, 2]), { qos: 2 });",
        "  new MqttClient(options).once('error', (e: MqttError) => console.log(e.code));",
        '  await client.end();',
        '}',
        // a listener of the wrong type is an error, so the events are typed
        "// @ts-expect-error: 'message' gives a string topic",
        "export const wrong = (c: MqttClient) => c.on('message', (topic: number) => topic);",
      ].join('\n'));
      writeFileSync(path.join(dir, 'tsconfig.json'), JSON.stringify({
        compilerOptions: {
          target: 'ES2022', module: 'ESNext', moduleResolution: 'Bundler', strict: true, noEmit: true,
          types: [], lib: ['ES2022', 'DOM', 'ESNext.Disposable'], skipLibCheck: false,
          paths: { 'tinymqtt/web': [path.join(root, 'dist', 'browser', 'types', 'web', 'index.d.ts')] },
        },
        files: ['app.ts'],
      }));
      const tsc = spawnSync(process.execPath, [path.join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', dir], { encoding: 'utf8' });
      expect(`${tsc.stdout}${tsc.stderr}`).toBe('');
      expect(tsc.status).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);

  it('the bundle uses no Node built-in (module, global or type)', () => {
    const js = bundle('tinymqtt.js').toString();
    expect(js).not.toMatch(/["']node:|\brequire\(|\bprocess\.(env|stderr|platform|versions|nextTick)\b|\bBuffer\.(from|alloc|isBuffer)\b|__dirname/);
    // the shims stand in for them (lib/web/shims): the bundle still reaches the names it replaced only as its own
    expect(js).toContain('new URL("./tinymqtt.wasm",import.meta.url)');
  });
});
