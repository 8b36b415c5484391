// The addon build pipeline, end to end: cmake-js output where node-gyp-build
// looks, the engine really inside the .node, nothing needed at run time beyond
// glibc, worker threads, and the built package working for require, import
// and TypeScript consumers of both kinds.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { errorName, nativeVersion } from '../lib/index.js';
import { typeCheckAsConsumer } from './support/consumer-types.js';
import { compareVersions, GLIBC_FLOOR, GLIBC_LIBRARY, glibcVersions, neededLibraries } from './support/elf.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const require = createRequire(import.meta.url);
const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { version: string; exports: Record<string, unknown> };
const addonPath = (require('node-gyp-build') as { path(dir: string): string }).path(root);

// every code of native/include/tinymqtt/error.h, 0 to -65, by name
const CODE_NAMES = [
  'TMQ_OK', 'TMQ_ERR_BUF_TOO_SMALL', 'TMQ_ERR_INCOMPLETE', 'TMQ_ERR_VBI', 'TMQ_ERR_SHORT_PACKET',
  'TMQ_ERR_FIELD_LENGTH', 'TMQ_ERR_TOPIC_LENGTH', 'TMQ_ERR_TRAILING', 'TMQ_ERR_TYPE', 'TMQ_ERR_FLAGS',
  'TMQ_ERR_QOS', 'TMQ_ERR_DUP', 'TMQ_ERR_UTF8', 'TMQ_ERR_TOPIC', 'TMQ_ERR_FILTER', 'TMQ_ERR_SHARED',
  'TMQ_ERR_SUBACK_COUNT', 'TMQ_ERR_NO_FILTERS', 'TMQ_ERR_PACKET_ID', 'TMQ_ERR_PROTOCOL',
  'TMQ_ERR_RESERVED', 'TMQ_ERR_WILL', 'TMQ_ERR_PASSWORD', 'TMQ_ERR_CLIENT_ID', 'TMQ_ERR_REASON',
  'TMQ_ERR_PROP_ID', 'TMQ_ERR_PROP_PACKET', 'TMQ_ERR_PROP_DUP', 'TMQ_ERR_PROP_VALUE',
  'TMQ_ERR_PROP_LENGTH', 'TMQ_ERR_TOO_LARGE', 'TMQ_ERR_VERSION', 'TMQ_ERR_ARG',
  'TMQ_ERR_WOULD_BLOCK', 'TMQ_ERR_QUEUE_FULL', 'TMQ_ERR_STATE', 'TMQ_ERR_CONNECT_TIMEOUT',
  'TMQ_ERR_KEEPALIVE', 'TMQ_ERR_CLOSED', 'TMQ_ERR_IO', 'TMQ_ERR_DNS', 'TMQ_ERR_REFUSED', 'TMQ_ERR_TLS',
  'TMQ_ERR_TLS_VERIFY', 'TMQ_ERR_CONNACK_VERSION', 'TMQ_ERR_CONNACK_ID', 'TMQ_ERR_CONNACK_UNAVAILABLE',
  'TMQ_ERR_CONNACK_AUTH', 'TMQ_ERR_CONNACK_NOT_AUTHORIZED', 'TMQ_ERR_CONNACK_REFUSED',
  'TMQ_ERR_SERVER_DISCONNECT', 'TMQ_ERR_PROTOCOL_VIOLATION', 'TMQ_ERR_QOS_NOT_SUPPORTED',
  'TMQ_ERR_RETAIN_NOT_SUPPORTED', 'TMQ_ERR_STORE', 'TMQ_ERR_SESSION_PRESENT', 'TMQ_ERR_WS_HANDSHAKE',
  'TMQ_ERR_WS_RESPONSE', 'TMQ_ERR_WS_ACCEPT', 'TMQ_ERR_WS_MASKED', 'TMQ_ERR_WS_FRAME_SIZE', 'TMQ_ERR_WS_TEXT',
  'TMQ_ERR_WS_CLOSE_MID_PACKET', 'TMQ_ERR_WS_OPCODE', 'TMQ_ERR_WS_FRAME', 'TMQ_ERR_TOPIC_ALIAS',
];

/** Runs a tool and returns its stdout; fails the test with its stderr. */
function run(cmd: string, args: string[], cwd = root): string {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8' });
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}: ${r.stderr}${r.stdout}`);
  return r.stdout;
}

describe('the addon', () => {
  it('is the cmake-js build in build/Release, found by node-gyp-build', () => {
    expect(addonPath).toBe(path.join(root, 'build', 'Release', 'tinymqtt.node'));
  });

  it('reports the version of the package it was built from', () => {
    expect(nativeVersion()).toBe(pkg.version);
  });

  it('names error codes through the engine (tmq_strerror)', () => {
    expect(errorName(-12)).toBe('TMQ_ERR_UTF8');
    expect(CODE_NAMES.map((_, i) => errorName(-i))).toEqual(CODE_NAMES);
    for (const code of [-CODE_NAMES.length, 1, 2 ** 31, -(2 ** 31) - 1, 2 ** 53])
      expect(errorName(code)).toBe('TMQ_ERR_UNKNOWN');
  });

  it('throws a TypeError for a code that is not an integer', () => {
    const loose = errorName as (code: unknown) => string;
    for (const bad of [1.5, NaN, Infinity])
      expect(() => loose(bad)).toThrow(expect.objectContaining({ name: 'TypeError', message: expect.stringMatching(/integer/) }));
    for (const bad of ['-12', undefined, null, -12n])
      expect(() => loose(bad)).toThrow(expect.objectContaining({ name: 'TypeError', message: expect.stringMatching(/number/) }));
  });
});

describe('worker threads', () => {
  // Each worker is its own Node environment, with its own Napi::Addon instance.
  function inWorker(): Promise<{ names: string[]; version: string; exitCode: number }> {
    const code = `
      const { parentPort, workerData } = require('node:worker_threads');
      const t = require(workerData.entry);
      const names = [];
      for (let i = 0; i < workerData.count; i++) names.push(t.errorName(-i));
      parentPort.postMessage({ names, version: t.nativeVersion() });`;
    const worker = new Worker(code, {
      eval: true,
      workerData: { entry: path.join(root, 'dist', 'index.js'), count: CODE_NAMES.length },
    });
    return new Promise((resolve, reject) => {
      let result: { names: string[]; version: string } | undefined;
      worker.on('message', (m: { names: string[]; version: string }) => (result = m));
      worker.on('error', reject);
      worker.on('exit', (exitCode) =>
        result ? resolve({ ...result, exitCode }) : reject(new Error(`worker exited ${exitCode} without a result`)));
    });
  }

  it('loads and runs the addon in several workers at once', async () => {
    const results = await Promise.all([inWorker(), inWorker(), inWorker(), inWorker()]);
    for (const r of results) expect(r).toEqual({ names: CODE_NAMES, version: pkg.version, exitCode: 0 });
  });

  it('keeps working on the main thread after workers loaded and unloaded it', async () => {
    await inWorker();
    const worker = new Worker(`require(${JSON.stringify(path.join(root, 'dist', 'index.js'))}); setInterval(() => {}, 1000);`, { eval: true });
    await new Promise((resolve) => worker.once('online', resolve));
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(await worker.terminate()).toBe(1);
    expect(errorName(-13)).toBe('TMQ_ERR_TOPIC');
    expect((await inWorker()).names[12]).toBe('TMQ_ERR_UTF8');
  });
});

describe('the .node file', () => {
  it('needs nothing beyond glibc at run time (ldd, DT_NEEDED)', () => {
    const ldd = run('ldd', [addonPath]);
    expect(ldd).toMatch(/libc\.so\.6/);
    expect(ldd).not.toMatch(/libstdc\+\+/);
    expect(ldd).not.toMatch(/libgcc_s/);
    expect(ldd).not.toMatch(/libmbed/);
    expect(ldd).not.toMatch(/not found/);
    const needed = neededLibraries(addonPath);
    expect(needed).toContain('libc.so.6');
    for (const lib of needed) expect(lib).toMatch(GLIBC_LIBRARY);
  });

  it(`asks for no glibc symbol version newer than ${GLIBC_FLOOR} (objdump -T), so it loads on glibc ${GLIBC_FLOOR} and later`, () => {
    const versions = glibcVersions(addonPath);
    expect(versions.length).toBeGreaterThan(0);
    expect(versions.filter((v) => compareVersions(v, GLIBC_FLOOR) > 0)).toEqual([]);
  });

  it('contains the engine, its TLS port and mbedtls, as local symbols', () => {
    const symbols = run('nm', [addonPath]);
    for (const name of ['tmq_strerror', 'tmq_tls_init', 'mbedtls_ssl_setup', 'mbedtls_x509_crt_parse', 'mbedtls_ctr_drbg_seed'])
      expect(symbols).toMatch(new RegExp(`^[0-9a-f]+ t ${name}$`, 'm'));
  });

  it('exports only the Node-API entry points', () => {
    const exported = run('nm', ['-D', '--defined-only', addonPath]).trim().split('\n').map((l) => l.split(' ').pop());
    expect(exported).toContain('napi_register_module_v1');
    for (const name of exported) expect(name).toMatch(/^(napi_register_module_v1|node_api_module_get_api_version_v1)$/);
  });

  it('leaves only Node-API, libuv and glibc symbols undefined', () => {
    const undefinedSymbols = run('nm', ['-D', '--undefined-only', addonPath]).trim().split('\n')
      .map((l) => l.trim().split(/\s+/))
      .filter(([kind]) => kind === 'U')   // weak (w) ones may stay unresolved
      .map(([, name]) => name);
    expect(undefinedSymbols).toContain('napi_get_instance_data');
    // libuv (the inline driver's handles, on napi_get_uv_event_loop's loop):
    // every Node release exports it, with a stable ABI within libuv 1.x
    for (const name of undefinedSymbols) expect(name).toMatch(/^(napi_|node_api_|uv_)\w+$|@GLIBC_[\d.]+$/);
  });
});

describe('the built package', () => {
  let consumer: string;

  beforeAll(() => {
    // a project that depends on tinymqtt, as `npm link` would set it up
    consumer = mkdtempSync(path.join(tmpdir(), 'tinymqtt-consumer-'));
    mkdirSync(path.join(consumer, 'node_modules'));
    symlinkSync(root, path.join(consumer, 'node_modules', 'tinymqtt'), 'dir');
    writeFileSync(path.join(consumer, 'package.json'), '{ "name": "consumer", "private": true }\n');
  });
  afterAll(() => rmSync(consumer, { recursive: true, force: true }));

  function node(args: string[]): { stdout: string; stderr: string } {
    const r = spawnSync(process.execPath, args, { cwd: consumer, encoding: 'utf8' });
    expect(r.stderr).toBe('');   // no error and no warning (require of ESM is stable on Node >= 20.19)
    expect(r.status).toBe(0);
    return { stdout: r.stdout, stderr: r.stderr };
  }

  it('works with require (CommonJS)', () => {
    const { stdout } = node(['-e',
      "const t = require('tinymqtt'); console.log(JSON.stringify([t.errorName(-12), t.nativeVersion()]))"]);
    expect(JSON.parse(stdout)).toEqual(['TMQ_ERR_UTF8', pkg.version]);
  });

  it('works with import (ES module)', () => {
    const { stdout } = node(['--input-type=module', '-e',
      "import { errorName, nativeVersion } from 'tinymqtt'; console.log(JSON.stringify([errorName(-12), nativeVersion()]))"]);
    expect(JSON.parse(stdout)).toEqual(['TMQ_ERR_UTF8', pkg.version]);
  });

  it('exports the embedded APIs as subpaths, to import and to require', () => {
    // the modules (not package.json, nor the browser entry's .wasm file, an asset to fetch)
    const subpaths = Object.keys(pkg.exports).filter((k) => k !== '.' && k !== './package.json' && !k.endsWith('.wasm'))
      .map((k) => `tinymqtt/${k.slice(2)}`);
    expect(subpaths.length).toBeGreaterThanOrEqual(2);
    const list = JSON.stringify(subpaths);
    const esm = node(['--input-type=module', '-e',
      `for (const p of ${list}) { const m = await import(p); console.log(p, Object.keys(m).length > 0); }`]);
    const cjs = node(['-e', `for (const p of ${list}) console.log(p, Object.keys(require(p)).length > 0);`]);
    const expected = subpaths.map((p) => `${p} true`).join('\n') + '\n';
    expect(esm.stdout).toBe(expected);
    expect(cjs.stdout).toBe(expected);
  });

  it('has types for ES module and CommonJS consumers', () => {
    // the expect-error directive proves the types were found: with `any` it would be unused, an error itself
    const body = `
      const name: string = errorName(-12);
      const version: string = nativeVersion();
      // @ts-expect-error errorName takes a number
      errorName('-12');
      const pending: Promise<MqttClient> = connect('mqtt://127.0.0.1:1', { protocolVersion: 5 });
      // @ts-expect-error qos is 0, 1 or 2
      const bad: MqttClientOptions = { will: { topic: 't', payload: 'p', qos: 3 } };
      const isError = (e: unknown): e is MqttError => e instanceof MqttError;
      export { name, version, pending, bad, isError };
    `;
    const imports = `import { connect, errorName, nativeVersion, MqttClient, MqttError, type MqttClientOptions } from 'tinymqtt';`;
    expect(typeCheckAsConsumer(consumer, `${imports}\n${body}`)).toEqual({ output: '', status: 0 });
  });
});
