// The npm package as a user gets it: the tarball `npm pack` makes (with the
// prebuild that its prepack step makes, here run directly), with its
// documentation, installed into a fresh project with --ignore-scripts (what
// npm 12 does to the install scripts of dependencies) in at most 15 packages,
// then used from ES modules and from CommonJS against mosquitto, its five
// entry points type-checked, its command run (the demo once aedes, an
// optional peer, is added); where no addon fits, the WebAssembly engine (and
// with TINYMQTT_ENGINE=native the MqttError loading the addon throws); and the
// install script's build from source where no prebuild fits.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packageRoot as root } from '../lib/native.js';
import { typeCheckAsConsumer } from './support/consumer-types.js';
import { compareVersions, GLIBC_FLOOR, GLIBC_LIBRARY, glibcVersions, neededLibraries } from './support/elf.js';
import { startMosquitto, type Broker } from './support/mosquitto.js';

const PREBUILD = path.join('prebuilds', `${process.platform}-${process.arch}`, 'node.napi.glibc.node');
// each command is bounded; installing from npm's cache takes seconds, the
// build from source about 10-30 s on a shared 2-core machine
const COMMAND_MS = 120_000;
// what a fresh `npm install --ignore-scripts` of the tarball may add, the
// package itself included (issue 16: MQTT.js pulls 44)
const MAX_PACKAGES = 15;

/** Runs a command to completion; fails with its output unless it exits 0. */
function run(cmd: string, args: string[], cwd: string, timeout = COMMAND_MS, env?: Record<string, string>): { stdout: string; stderr: string } {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', timeout, env: env && { ...process.env, ...env } });
  if (r.error) throw new Error(`${cmd} ${args.join(' ')}: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status ?? r.signal}:\n${r.stderr}${r.stdout}`);
  return { stdout: r.stdout, stderr: r.stderr };
}

/** npm, without the npm warnings about this machine's user config on stderr. */
const npm = (args: string[], cwd: string) => run('npm', ['--loglevel=error', ...args], cwd);

/** A publish/subscribe round trip through the broker at `port`, as a user
 *  script written against the package; `load` is its import or require line. */
function roundTripScript(load: string): string {
  return `${load}
async function main(port, topic) {
  const client = await connect({ host: '127.0.0.1', port: Number(port) });
  const received = new Promise((resolve) => client.on('message', (t, payload) => resolve(t + ' ' + payload)));
  await client.subscribe(topic, { qos: 1 });
  await client.publish(topic, 'hello', { qos: 1 });
  console.log(await received);
  await client.end();
}
main(...process.argv.slice(2)).catch((error) => { console.error(error); process.exitCode = 1; });
`;
}

let broker: Broker;
let work: string;      // the tarball and the consumer project
let project: string;
let tarball: string;
let installed: string; // node_modules/tinymqtt of the project
let added: string[];    // the packages that install added, by path

beforeAll(async () => {
  broker = await startMosquitto();
  work = mkdtempSync(path.join(tmpdir(), 'tmq-package-'));
  run('bash', [path.join(root, 'scripts', 'prebuild')], root);
  // the global setup built dist/; --ignore-scripts keeps prepare from rewriting
  // it under the test files running beside this one
  const [packed] = JSON.parse(npm(['pack', '--ignore-scripts', '--json', '--pack-destination', work], root).stdout) as { filename: string }[];
  tarball = path.join(work, packed.filename);
  project = path.join(work, 'project');
  run('mkdir', [project], work);
  writeFileSync(path.join(project, 'package.json'), '{ "name": "consumer", "version": "1.0.0", "private": true }\n');
  npm(['install', '--ignore-scripts', '--prefer-offline', '--no-audit', '--no-fund', tarball], project);
  installed = path.join(project, 'node_modules', 'tinymqtt');
  const lock = JSON.parse(readFileSync(path.join(project, 'node_modules', '.package-lock.json'), 'utf8')) as { packages: object };
  added = Object.keys(lock.packages);
  writeFileSync(path.join(project, 'esm.mjs'), roundTripScript("import { connect } from 'tinymqtt';"));
  writeFileSync(path.join(project, 'cjs.cjs'), roundTripScript("const { connect } = require('tinymqtt');"));
}, 4 * COMMAND_MS);

afterAll(async () => {
  await broker?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

/** Runs a script of the project with node: its stdout; no warning allowed. */
function node(args: string[], env?: Record<string, string>): string {
  const r = run(process.execPath, args, project, 20_000, env);
  expect(r.stderr).toBe('');
  return r.stdout;
}

/** The file node-gyp-build loads for the installed package. */
const loadedAddon = () =>
  node(['-p', `require('node-gyp-build').path(${JSON.stringify(installed)})`]).trim();

describe('the packed tarball', () => {
  const tarballFiles = () => run('tar', ['-tzf', tarball], work).stdout.trim().split('\n').map((f) => f.replace(/^package\//, ''));

  it('holds dist/, the prebuild, the license, the changelog, the install script and what a build from source needs, and nothing else', () => {
    const files = tarballFiles();
    for (const f of ['package.json', 'LICENSE', 'CHANGELOG.md', 'README.md', PREBUILD, 'dist/index.js', 'dist/index.d.ts', 'dist/tinymqtt.wasm',
      'dist/cli/main.js', 'dist/compat/pika.d.ts', 'dist/compat/mqtt.d.ts', 'CMakeLists.txt', 'binding/CMakeLists.txt', 'binding/exports.map',
      'binding/addon.cc', 'binding/glibc-floor.c', 'native/CMakeLists.txt', 'native/src/client.c', 'native/include/tinymqtt/client.h',
      'native/port/mbedtls/tls.c', 'native/examples/tmq_pub.c', 'scripts/install.mjs',
      'dist/browser/tinymqtt.js', 'dist/browser/tinymqtt.wasm', 'dist/browser/types/web/index.d.ts'])
      expect(files).toContain(f);
    const docs = /^(docs\/compat\/\w+\.md|docs\/store\.md|docs\/web\.md|bench\/README\.md|bench\/results\/chart\.svg|firmware\/README\.md|native\/README\.md)$/;
    const stray = files.filter((f) => !docs.test(f) && f !== 'scripts/install.mjs' &&
      (/^(test|bench|build|docs|scripts|node_modules|native\/test|firmware\/(?!arm-none-eabi\.cmake$))\b/.test(f) || f.endsWith('.tgz')));
    expect(stray).toEqual([]);
  });

  it('holds the guides and the examples, so every relative link of README.md and lib/README.md works from npm', () => {
    const files = tarballFiles();
    for (const f of ['lib/README.md', 'lib/compat/README.md', 'docs/compat/pika.md', 'docs/compat/umqtt.md', 'docs/compat/luatos.md',
      'docs/compat/zerynth.md', 'docs/store.md', 'examples/core.mjs', 'examples/luatos.mjs', 'examples/pika.mjs',
      'examples/umqtt.mjs', 'examples/zerynth.mjs'])
      expect(files).toContain(f);
    for (const readme of ['README.md', 'lib/README.md']) {
      const text = readFileSync(path.join(installed, readme), 'utf8');
      const links = [...text.matchAll(/\]\(([^)#:\s]+)/g)].map((m) => path.posix.normalize(path.posix.join(path.posix.dirname(readme), m[1])));
      expect(links.length).toBeGreaterThan(0);
      for (const link of links)
        expect(files.some((f) => f === link || f.startsWith(link.replace(/\/?$/, '/'))), `${readme} links ${link}`).toBe(true);
    }
    expect(readFileSync(path.join(installed, 'lib', 'README.md'), 'utf8')).not.toMatch(/seeds\//);
  });

  it(`installs in at most ${MAX_PACKAGES} packages: the runtime needs only the loader`, () => {
    expect(added.length, added.join('\n')).toBeLessThanOrEqual(MAX_PACKAGES);
    for (const optional of ['aedes', 'cmake-js']) expect(added).not.toContain(`node_modules/${optional}`);
  });

  it(`installs without running a script, and node-gyp-build loads the prebuild, which needs only glibc ${GLIBC_FLOOR} or later`, () => {
    expect(existsSync(path.join(installed, 'build'))).toBe(false);
    expect(loadedAddon()).toBe(path.join(installed, PREBUILD));
    const needed = neededLibraries(path.join(installed, PREBUILD));
    expect(needed).toContain('libc.so.6');
    for (const lib of needed) expect(lib).toMatch(GLIBC_LIBRARY);
    expect(glibcVersions(path.join(installed, PREBUILD)).filter((v) => compareVersions(v, GLIBC_FLOOR) > 0)).toEqual([]);
  });
});

describe('the installed package', () => {
  it('publishes and receives through mosquitto from an ES module', () => {
    expect(node(['esm.mjs', String(broker.port), 'package/esm'])).toBe('package/esm hello\n');
  });

  it('publishes and receives through mosquitto from CommonJS (require)', () => {
    expect(node(['cjs.cjs', String(broker.port), 'package/cjs'])).toBe('package/cjs hello\n');
  });

  it('has types for each entry point, for ES module and CommonJS consumers', () => {
    // each expect-error proves its import has types: were it `any`, the
    // directive would be unused, an error itself
    const body = `import { connect, MqttError } from 'tinymqtt';
import { MQTT } from 'tinymqtt/pika';
import { MQTTClient } from 'tinymqtt/umqtt';
import { mqtt } from 'tinymqtt/luatos';
import { Client } from 'tinymqtt/zerynth';
import mqttjs, { connectAsync } from 'tinymqtt/mqtt';
// @ts-expect-error connect() resolves to a client
export const core: Promise<number> = connect('mqtt://127.0.0.1:1');
export const isError = (e: unknown): e is MqttError => e instanceof MqttError;
// @ts-expect-error a client is not a number
export const pika: number = new MQTT('127.0.0.1');
// @ts-expect-error a client is not a number
export const umqtt: number = new MQTTClient('id', '127.0.0.1');
// @ts-expect-error a client is not a number
export const luatos: number = mqtt.create(null, '127.0.0.1', 1883);
// @ts-expect-error a client is not a number
export const zerynth: number = new Client('id');
// @ts-expect-error a client is not a number
export const mqttjsClient: number = mqttjs.connect('mqtt://127.0.0.1:1', { manualConnect: true });
// @ts-expect-error connectAsync() resolves to a client
export const mqttjsAsync: Promise<number> = connectAsync('mqtt://127.0.0.1:1');
`;
    expect(typeCheckAsConsumer(project, body)).toEqual({ output: '', status: 0 });
  });

  /** What require('tinymqtt') throws in the project with TINYMQTT_ENGINE=native
   *  (it must throw: without it, the package runs on the WebAssembly engine). */
  function loadError(): { name: string; code: string; message: string; isMqttError: boolean } {
    const r = spawnSync(process.execPath, ['-e', `try { require('tinymqtt'); console.log('{}') } catch (e) {
      console.log(JSON.stringify({ name: e.name, code: e.code, message: e.message, isMqttError: e.constructor.name === 'MqttError' })) }`],
    { cwd: project, encoding: 'utf8', timeout: 20_000, env: { ...process.env, TINYMQTT_ENGINE: 'native' } });
    return JSON.parse(r.stdout) as ReturnType<typeof loadError>;
  }

  /** The round trip of esm.mjs with no TINYMQTT_ENGINE: its output, stderr and
   *  the engine the client ran on. */
  function fallbackRoundTrip(topic: string): { stdout: string; stderr: string } {
    const env = { ...process.env };
    delete env.TINYMQTT_ENGINE;
    const r = spawnSync(process.execPath, ['esm.mjs', String(broker.port), topic], { cwd: project, encoding: 'utf8', timeout: 20_000, env });
    return { stdout: r.stdout, stderr: r.stderr };
  }

  it('where no addon fits and nothing was built, runs a QoS 1 round trip on the WebAssembly engine, saying so once; with TINYMQTT_ENGINE=native require() throws an MqttError naming the platform, the prebuilds and the build command', () => {
    // this machine's prebuild goes; another's (linux-arm64, when one was made) stays
    const prebuilds = path.join(installed, 'prebuilds', `${process.platform}-${process.arch}`);
    const aside = path.join(work, 'prebuild-aside');
    renameSync(prebuilds, aside);
    const others = readdirSync(path.join(installed, 'prebuilds')).sort().map((target) => `${target} (glibc)`);
    try {
      expect(existsSync(path.join(installed, 'dist', 'tinymqtt.wasm'))).toBe(true);
      const { stdout, stderr } = fallbackRoundTrip('package/wasm');
      expect(stdout).toBe('package/wasm hello\n');
      const warnings = stderr.split('\n').filter((l) => l.includes('TINYMQTT_WASM_ENGINE'));
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toContain(`no native addon for ${process.platform}-${process.arch} (glibc `);
      expect(warnings[0]).toContain('Using the WebAssembly engine instead');
      expect(node(['--input-type=module', '-e', `import { MqttClient } from 'tinymqtt'; console.log(new MqttClient({}).engine)`], { TINYMQTT_ENGINE: 'wasm' }))
        .toBe('wasm\n');
      const e = loadError();
      expect(e).toMatchObject({ name: 'MqttError', code: 'ERR_NO_ADDON', isMqttError: true });
      expect(e.message).toContain(`no native addon for ${process.platform}-${process.arch} (glibc `);
      expect(e.message).toContain(others.length ? `this package has prebuilds for ${others.join(', ')};` : 'this package has no prebuilds;');
      expect(e.message).toContain('`npm rebuild tinymqtt --ignore-scripts=false`');
    } finally {
      renameSync(aside, prebuilds);
    }
  });

  it('where the prebuild that fits does not load, falls back to the WebAssembly engine saying why; with TINYMQTT_ENGINE=native require() throws an MqttError saying why, with the build command', () => {
    const prebuild = path.join(installed, PREBUILD);
    const aside = path.join(work, 'prebuild-file-aside');
    renameSync(prebuild, aside);
    writeFileSync(prebuild, 'not an ELF file, long enough for the loader to read a header\n'.repeat(4));
    try {
      const { stdout, stderr } = fallbackRoundTrip('package/wasm2');
      expect(stdout).toBe('package/wasm2 hello\n');
      expect(stderr).toMatch(/TINYMQTT_WASM_ENGINE.*does not load on/);
      const e = loadError();
      expect(e).toMatchObject({ name: 'MqttError', code: 'ERR_ADDON_LOAD', isMqttError: true });
      expect(e.message).toContain(`native addon ${prebuild} does not load on ${process.platform}-${process.arch} (glibc `);
      expect(e.message).toMatch(/\(.*invalid ELF header.*\)/);
      expect(e.message).toContain('`npm rebuild tinymqtt --ignore-scripts=false`');
    } finally {
      renameSync(aside, prebuild);
    }
  });

  it('runs its command: npx tinymqtt --help', () => {
    const r = spawnSync('npx', ['tinymqtt', '--help'], { cwd: project, encoding: 'utf8', timeout: 30_000 });
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^Usage: tinymqtt COMMAND/);
    expect(r.stdout).toMatch(/\bpub\b.*\n.*\bsub\b/);
  });

  it('runs the demo once aedes is added, and says how to add it before', () => {
    const demo = () => spawnSync('npx', ['tinymqtt', 'demo'], { cwd: project, encoding: 'utf8', timeout: 60_000 });
    const without = demo();
    expect(without.stderr).toMatch(/the embedded broker \(aedes\) is not installed: .*`npm install aedes`/);
    expect(without.stderr).not.toMatch(/^\s+at /m);
    expect(without.status).toBe(2);
    npm(['install', '--ignore-scripts', '--prefer-offline', '--no-audit', '--no-fund', 'aedes@^1.2.0'], project);
    const withAedes = demo();
    expect(withAedes.stderr).toBe('');
    expect(withAedes.stdout).toMatch(/^tinymqtt demo: an MQTT broker \(aedes\) runs in this process/);
    expect(withAedes.status).toBe(0);
  });

  // last: it replaces the prebuild of the installed package with a build
  it('builds from source at install where no prebuild fits (scripts/install.mjs: one line saying why, no stack trace, then cmake-js)', () => {
    rmSync(path.join(installed, 'prebuilds'), { recursive: true });
    const { stdout, stderr } = npm(['rebuild', 'tinymqtt', '--foreground-scripts', '--prefer-offline'], project);
    const output = stdout + stderr;
    expect(output).toMatch(/tinymqtt: No native build was found for platform=linux .*; building the addon from source \(npm /);
    expect(output).toMatch(/cmake-js compile/);
    expect(output).not.toMatch(/^\s+at /m);
    expect(loadedAddon()).toBe(path.join(installed, 'build', 'Release', 'tinymqtt.node'));
    expect(node(['cjs.cjs', String(broker.port), 'package/built'])).toBe('package/built hello\n');
  }, 2 * COMMAND_MS);
});
