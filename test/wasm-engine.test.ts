// The WebAssembly engine as the package chooses and builds it (lib/native.ts,
// scripts/build-wasm), in child processes, since the engine is chosen once
// per process: TINYMQTT_ENGINE, client.engine, what it cannot do
// (ERR_NOT_SUPPORTED, before anything starts), and a module that imports
// nothing but its own JS functions. The suites of the core client run on it
// through vitest.wasm.config.ts (npm run test:wasm).
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packageRoot } from '../lib/native.js';
import { startMosquitto, type Broker } from './support/mosquitto.js';

let broker: Broker;
beforeAll(async () => { broker = await startMosquitto(); });
afterAll(async () => { await broker?.stop(); });

const INDEX = JSON.stringify(path.join(packageRoot, 'dist', 'index.js'));

/** Runs an ES module body with `engine` as TINYMQTT_ENGINE (undefined: unset). */
function run(body: string, engine: string | undefined) {
  const env = { ...process.env };
  delete env.TINYMQTT_ENGINE;
  if (engine !== undefined) env.TINYMQTT_ENGINE = engine;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', body], { encoding: 'utf8', timeout: 20_000, env });
  return { stdout: r.stdout, stderr: r.stderr, status: r.status, error: r.error };
}

describe('the WebAssembly engine', () => {
  it('is chosen by TINYMQTT_ENGINE=wasm: client.engine says so, a QoS 1 round trip works, and the process exits after end()', () => {
    const r = run(`import { connect, MqttClient } from ${INDEX};
      console.log(new MqttClient({}).engine);
      const c = await connect({ host: '127.0.0.1', port: ${broker.port} });
      const got = new Promise((resolve) => c.on('message', (t, p) => resolve(t + ' ' + p)));
      await c.subscribe('wasm/engine', { qos: 1 });
      await c.publish('wasm/engine', 'hello', { qos: 1 });
      console.log(await got, c.engine);
      await c.end();`, 'wasm');
    expect(r.error).toBeUndefined();   // no timeout: nothing kept the process alive
    expect(r.stderr).toBe('');   // no warning when chosen
    expect(r.stdout).toBe('wasm\nwasm/engine hello wasm\n');
    expect(r.status).toBe(0);
    expect(run(`import { MqttClient } from ${INDEX}; console.log(new MqttClient({}).engine);`, undefined).stdout).toBe('native\n');
  });

  it('refuses the blocking calls and FileStore with ERR_NOT_SUPPORTED, before any connection starts', () => {
    const r = run(`import { MqttClient, FileStore } from ${INDEX};
      import { MQTTClient } from ${JSON.stringify(path.join(packageRoot, 'dist', 'compat', 'umqtt.js'))};
      const show = (what, f) => { try { f(); console.log(what, 'returned'); } catch (e) { console.log(what, e.code, /WebAssembly engine/.test(e.message)); } };
      const c = new MqttClient({ host: '127.0.0.1', port: ${broker.port} });
      show('connectSync', () => c.connectSync());
      show('FileStore', () => new FileStore('/nonexistent/dir/store'));
      show('umqtt connect', () => new MQTTClient('id', '127.0.0.1', ${broker.port}).connect());
      console.log(c.state);`, 'wasm');
    expect(r.error).toBeUndefined();   // exits: no attempt left running
    expect(r.stdout.split('\n').slice(0, 3)).toEqual([
      'connectSync ERR_NOT_SUPPORTED true', 'FileStore ERR_NOT_SUPPORTED true', expect.stringMatching(/^umqtt connect \S+ true$/),
    ]);
    expect(r.stdout.split('\n')[3]).toBe('disconnected');
  });

  it('refuses a TINYMQTT_ENGINE it does not know, naming it', () => {
    const r = run(`try { await import(${INDEX}); } catch (e) { console.log(e.code, e.message); }`, 'jit');
    expect(r.stdout).toBe(`ERR_INVALID_ARG TINYMQTT_ENGINE must be 'native' or 'wasm', not "jit"\n`);
  });

  it('is a small module that imports only its own JS functions', () => {
    const bytes = readFileSync(path.join(packageRoot, 'dist', 'tinymqtt.wasm'));
    expect(bytes.length).toBeLessThan(64 << 10);
    const imports = WebAssembly.Module.imports(new WebAssembly.Module(bytes));
    expect(imports.length).toBeGreaterThan(0);
    for (const i of imports) expect(`${i.module}.${i.name}:${i.kind}`).toMatch(/^env\.tmq_js_\w+:function$/);
  });
});
