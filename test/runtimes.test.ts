// Deno and Bun (from npm: devDependencies `deno` and `bun`): tinymqtt/web
// against aedes over ws on loopback, and the package itself, which chooses
// the WebAssembly engine there (its engine over the runtime's node:net),
// against aedes over TCP: a subscription and a QoS 0, 1 and 2 round trip
// each (test/support/runtime-client.mjs), each run bounded to 30 s.
import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAedes, type AedesBroker } from './support/aedes.js';
import { startAedesWs, type AedesWsBroker } from './support/aedes-ws.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const script = path.join(root, 'test', 'support', 'runtime-client.mjs');
const require = createRequire(import.meta.url);
/** each runtime's command: deno through its package's launcher (which finds
 *  the binary of this platform), bun's binary as its postinstall placed it */
const RUNTIMES = {
  deno: { command: process.execPath, args: [require.resolve('deno/bin.cjs'), 'run', '--allow-read', '--allow-net', '--allow-env'] },
  bun: { command: require.resolve('bun/bin/bun.exe'), args: [] as string[] },
};

/** the environment without TINYMQTT_ENGINE (the wasm run sets it): the
 *  package chooses its engine by itself */
const withoutEngine = Object.fromEntries(Object.entries(process.env).filter(([name]) => name !== 'TINYMQTT_ENGINE'));

/** Runs the client script in `runtime`; what it printed, parsed. */
function run(runtime: keyof typeof RUNTIMES, kind: 'web' | 'node', url: string): Promise<Record<string, unknown>> {
  const { command, args } = RUNTIMES[runtime];
  const dir = path.join(root, 'dist', kind === 'web' ? 'browser' : '');
  return new Promise((resolve, reject) => {
    execFile(command, [...args, script, kind, dir, url], { timeout: 30_000, env: { ...withoutEngine, NO_COLOR: '1' } },
      (error, stdout, stderr) => {
        const line = stdout.trim().split('\n').pop() ?? '';
        try {
          resolve(JSON.parse(line) as Record<string, unknown>);
        } catch {
          reject(new Error(`${runtime} printed no result (${error?.message ?? 'exit 0'}): ${stdout}${stderr}`));
        }
      });
  });
}

let ws: AedesWsBroker;
let tcp: AedesBroker;
beforeAll(async () => {
  ws = await startAedesWs();
  tcp = await startAedes();
});
afterAll(async () => {
  await ws?.stop();
  await tcp?.stop();
});

const roundTrips = (kind: string) => [0, 1, 2].map((qos) => `runtime/${kind}/q${qos} hello at QoS ${qos} qos=${qos}`);

describe.each(['deno', 'bun'] as const)('%s', (runtime) => {
  it('runs tinymqtt/web against aedes over ws: QoS 0, 1 and 2 round trips', async () => {
    const r = await run(runtime, 'web', `ws://127.0.0.1:${ws.port}/mqtt`);
    expect(r).toEqual({ runtime, engine: 'wasm', granted: [{ topic: 'runtime/web/#', qos: 2 }], got: roundTrips('web'), state: 'closed' });
  }, 40_000);

  it('runs tinymqtt, which chooses the WebAssembly engine there, against aedes over TCP: QoS 0, 1 and 2 round trips', async () => {
    const r = await run(runtime, 'node', `mqtt://127.0.0.1:${tcp.port}`);
    expect(r).toEqual({ runtime, engine: 'wasm', granted: [{ topic: 'runtime/node/#', qos: 2 }], got: roundTrips('node'), state: 'closed' });
  }, 40_000);
});
