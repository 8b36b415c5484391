// MQTT.js's README examples (test/mqttjs-readme/, written in the shape of
// MQTT.js's, importing tinymqtt/mqtt) run as a user runs them, `node
// <file>`, against mosquitto; then each again with only its import changed
// to MQTT.js's ('mqtt', the bench's devDependency), which must print the
// same lines: the port changed nothing but the import.
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMosquitto, type Broker } from './support/mosquitto.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const dir = 'test/mqttjs-readme';
const examples = readdirSync(`${root}${dir}`).filter((f) => f.endsWith('.mjs')).sort();
const IMPORT = "from 'tinymqtt/mqtt';";

let broker: Broker;
beforeAll(async () => {
  broker = await startMosquitto();
});
afterAll(async () => {
  await broker?.stop();
});

/** Runs a program to its end (at most 10 s): exit code and output lines.
 *  With `source`, that text as an ES module from the repository's root. */
function run(file: string, source?: string): Promise<{ code: number | null; lines: string[] }> {
  return new Promise((resolve) => {
    const env = { ...process.env, MQTT_URL: `mqtt://127.0.0.1:${broker.port}` };
    const args = source === undefined ? [`${dir}/${file}`] : ['--input-type=module', '-e', source];
    const child = spawn(process.execPath, args, { cwd: root, env, timeout: 10000 });
    let out = '';
    child.stdout.on('data', (d: Buffer) => { out += d; });
    child.stderr.on('data', (d: Buffer) => { out += d; });
    child.on('close', (code) => resolve({ code, lines: out.split('\n').filter((l) => l !== '') }));
  });
}

describe("MQTT.js's README examples on tinymqtt/mqtt", () => {
  it('are the four programs, each importing tinymqtt/mqtt once', () => {
    expect(examples).toEqual(['async.mjs', 'garage.mjs', 'options.mjs', 'presence.mjs']);
    for (const file of examples) expect(readFileSync(`${root}${dir}/${file}`, 'utf8').split(IMPORT)).toHaveLength(2);
  });

  it('each runs to its end and prints what MQTT.js prints for it', async () => {
    // one library at a time (the programs share the broker's topics), the
    // programs of one library at once
    const ours = await Promise.all(examples.map((f) => run(f)));
    const theirs = await Promise.all(examples.map((f) => run(f, readFileSync(`${root}${dir}/${f}`, 'utf8').replace(IMPORT, "from 'mqtt';"))));
    const expected: Record<string, string> = {
      'async.mjs': 'wow/so/cool: It works!',
      'garage.mjs': 'controller: garage state update to closed',
      'options.mjs': 'watcher: devices/thermostat/status offline (qos 1)',
      'presence.mjs': 'Hello mqtt',
    };
    examples.forEach((file, i) => {
      expect(ours[i], file).toMatchObject({ code: 0 });
      expect(ours[i].lines, file).toContain(expected[file]);
      expect(theirs[i], `${file} with MQTT.js`).toMatchObject({ code: 0 });
      // two connections' events interleave as they will: the same lines, in any order
      expect([...ours[i].lines].sort(), file).toEqual([...theirs[i].lines].sort());
    });
  }, 30000);
});
