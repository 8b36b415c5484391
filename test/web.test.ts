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
    expect(result.afterBig).toBe('web/after: after the big one');
    expect(result.reconnect).toEqual({
      server: { host: '127.0.0.1', port: broker.port, protocol: 'ws' }, connected: true, roundTrip: 'web/again: after the reconnect',
    });
    expect(result.state).toBe('closed');
    expect(result.wss).toEqual({ server: { host: '127.0.0.1', port: secure.port, protocol: 'wss' }, roundTrip: 'web/tls: over wss' });
    const early = result.refusedEarly as Record<string, string>;
    expect(early.mqtt).toBe('ERR_INVALID_ARG: url must be a ws:// or wss:// URL in tinymqtt/web (a browser has no TCP sockets), not mqtt://');
    expect(early.mqtts).toBe('ERR_INVALID_ARG: url must be a ws:// or wss:// URL in tinymqtt/web (a browser has no TCP sockets), not mqtts://');
    expect(early.notLoaded).toMatch(/^ERR_NOT_LOADED: /);   // the refused connect()s loaded nothing
    const refused = result.refused as Record<string, string>;
    expect(refused.mqtt).toMatch(/^ERR_INVALID_ARG: url must be a ws:\/\/ or wss:\/\/ URL in tinymqtt\/web/);
    expect(refused.newMqtt).toBe("ERR_INVALID_ARG: options.protocol must be 'ws' or 'wss' in tinymqtt/web (a browser has no TCP sockets), not 'mqtt'");
    expect(refused.newMqtts).toBe("ERR_INVALID_ARG: options.protocol must be 'ws' or 'wss' in tinymqtt/web (a browser has no TCP sockets), not 'mqtts'");
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

// The stand-ins the bundle puts in place of Node's Buffer and EventEmitter,
// checked against Node's own on what lib/ does with them.
describe('tinymqtt/web\'s stand-ins for Node', () => {
  it('Buffer: UTF-8 in and out, views and copies, the property decoder\'s reads, as Node\'s Buffer', async () => {
    const { Buffer: WebBuffer } = await import('../lib/web/shims/buffer.js');
    for (const text of ['', 'topic/a', 'é ü ß', '€ 中文', '\u{1F600} and \u{10FFFF}', 'x'.repeat(300)]) {
      expect([...WebBuffer.from(text)]).toEqual([...Buffer.from(text)]);
      expect(WebBuffer.byteLength(text)).toBe(Buffer.byteLength(text));
      expect(WebBuffer.from(text).toString()).toBe(text);
    }
    const bytes = [0xff, 0x61, 0xe2, 0x82, 0xac, 0xc3, 0x28, 0xf0, 0x9f, 0x98, 0x80, 0x80];   // malformed sequences among good ones
    const web = WebBuffer.from(bytes), node = Buffer.from(bytes);
    for (const [start, end] of [[0, 12], [1, 5], [2, 4], [5, 7], [7, 11], [6, 12]])
      expect(web.toString('utf8', start, end), `${start}-${end}`).toBe(node.toString('utf8', start, end));
    for (let i = 0; i + 4 <= bytes.length; i++) {
      expect(web.readUInt16BE(i)).toBe(node.readUInt16BE(i));
      expect(web.readUInt32BE(i)).toBe(node.readUInt32BE(i));
      expect(web.readUInt32LE(i)).toBe(node.readUInt32LE(i));
    }
    expect(() => web.readUInt32LE(9)).toThrow(RangeError);
    expect(() => web.readUInt16BE(-1)).toThrow(RangeError);
    // a view of an ArrayBuffer shares it; from() of an array or a Uint8Array copies
    const memory = new Uint8Array([1, 2, 3, 4, 5, 6]);
    const view = WebBuffer.from(memory.buffer, 2, 3);
    memory[2] = 9;
    expect([...view]).toEqual([9, 4, 5]);
    const copy = WebBuffer.from(memory);
    memory[0] = 7;
    expect(copy[0]).toBe(1);
    expect(view.subarray(1)).toBeInstanceOf(WebBuffer);
    expect(WebBuffer.isBuffer(view.subarray(1))).toBe(true);
    expect(WebBuffer.isBuffer(memory)).toBe(false);
    expect([...WebBuffer.alloc(3)]).toEqual([0, 0, 0]);
  });

  it('EventEmitter: order, once, off (the last one added), an unhandled error thrown, as Node\'s', async () => {
    const { EventEmitter: WebEmitter } = await import('../lib/web/shims/events.js');
    const { EventEmitter: NodeEmitter } = await import('node:events');
    const trace = (E: new () => { on: Function; once: Function; off: Function; prependListener: Function; emit: Function; listenerCount: Function }) => {
      const e = new E(), seen: string[] = [];
      const a = (x: number) => seen.push(`a${x}`), b = (x: number) => seen.push(`b${x}`);
      e.on('m', a);
      e.once('m', b);
      e.on('m', a);
      e.prependListener('m', (x: number) => seen.push(`p${x}`));
      e.emit('m', 1);
      e.emit('m', 2);
      e.off('m', a);   // the last added
      e.emit('m', 3);
      e.once('n', b);
      e.off('n', b);   // a once listener, removed by the function given
      const had = e.emit('n', 4);
      e.on('m', function (this: unknown) { seen.push(this === e ? 'this' : 'other'); });
      e.emit('m', 5);
      let thrown = '';
      try {
        e.emit('error', new Error('unhandled'));
      } catch (err) {
        thrown = (err as Error).message;
      }
      return { seen, had, count: e.listenerCount('m'), thrown };
    };
    expect(trace(WebEmitter as never)).toEqual(trace(NodeEmitter as never));
  });
});
