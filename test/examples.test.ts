// The example programs of examples/ (one per API, shown in the README) run
// as a user runs them, `node examples/<api>.mjs`, against mosquitto given by
// MQTT_URL alone, and each receives its own message; with no broker at that
// address each ends with a message instead of waiting. The README shows each
// one verbatim.
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMosquitto, type Broker } from './support/mosquitto.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const examples = readdirSync(`${root}examples`).filter((f) => f.endsWith('.mjs')).sort();

let broker: Broker;
beforeAll(async () => {
  broker = await startMosquitto();
});
afterAll(async () => {
  await broker?.stop();
});

/** A loopback port nothing listens on (it listened a moment ago). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Runs an example with MQTT_URL (and no MQTT_HOST or MQTT_PORT) to its end,
 *  at most 15 s: exit code and output. */
function run(file: string, url = `mqtt://127.0.0.1:${broker.port}`): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const env: NodeJS.ProcessEnv = { ...process.env, MQTT_URL: url };
    delete env.MQTT_HOST;
    delete env.MQTT_PORT;
    const child = spawn(process.execPath, [`examples/${file}`], { cwd: root, env, timeout: 15000 });
    let out = '';
    child.stdout.on('data', (d: Buffer) => { out += d; });
    child.stderr.on('data', (d: Buffer) => { out += d; });
    child.on('close', (code) => resolve({ code, out }));
  });
}

describe('examples', () => {
  it('has one example per API', () => {
    expect(examples).toEqual(['core.mjs', 'luatos.mjs', 'mqtt.mjs', 'pika.mjs', 'umqtt.mjs', 'zerynth.mjs']);
  });

  it('the README shows each one verbatim', () => {
    const readme = readFileSync(`${root}README.md`, 'utf8');
    for (const file of examples)
      expect(readme, `README.md lacks examples/${file}`).toContain('```js\n' + readFileSync(`${root}examples/${file}`, 'utf8'));
  });

  for (const file of examples) {
    it(`${file} publishes and receives its own message`, async () => {
      const { code, out } = await run(file);
      const api = file.replace('.mjs', '');
      expect(out).toMatch(new RegExp(`^greetings/${api} hello from `, 'm'));
      expect(code).toBe(0);
    }, 20000);

    it(`${file} ends with a message naming the failure when no broker listens at MQTT_URL`, async () => {
      const { code, out } = await run(file, `mqtt://127.0.0.1:${await closedPort()}`);
      expect(code).toBe(1);
      expect(out).toMatch(/ERR_REFUSED|Errno|failed/);
    }, 20000);
  }
});
