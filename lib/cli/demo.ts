// tinymqtt demo: starts the embedded broker and walks through the core API,
// MQTT.js's API and the five embedded APIs publishing and receiving,
// printing what happens. Needs no broker installed; ends by itself.
import { parseArgs } from 'node:util';
import { Narrator } from './demo-narrator.js';
import { mqttjsScene } from './demo-scene-mqttjs.js';
import { coreScene, luatosScene, pikaScene, STEP_MS, umqttScene, zerynthScene, type Stage } from './demo-scenes.js';
import { startEmbeddedBroker } from './embedded-broker.js';
import { EXIT } from './options.js';
import { failure } from './run.js';

export const DEMO_HELP = `Usage: tinymqtt demo [--json]

Starts an MQTT broker in this process (aedes, on a free 127.0.0.1 port: no
broker to install) and walks through a short scenario, printing each call,
what it returned, and each message and callback as it happens:

  1. the core API (import { connect } from 'tinymqtt'): connect, subscribe,
     publish at QoS 0, 1 and 2, receive through messages(), end;
  2. MQTT.js's API (import mqtt from 'tinymqtt/mqtt'): connect, then the
     'connect' event, subscribe and publish callbacks, 'message', endAsync;
  3. then each embedded API subscribing, publishing and receiving a message
     in its own style: PikaPython (tinymqtt/pika), MicroPython and QuecPython
     umqtt (tinymqtt/umqtt), LuatOS (tinymqtt/luatos), Zerynth
     (tinymqtt/zerynth).

It ends with how many messages each API sent and received. Every step waits
at most ${STEP_MS / 1000} s.

Options:
      --json              print one object at the end instead: {"ok",
                          "broker", "apis": [{"api", "title", "sent",
                          "received"}], "steps": [{"api", "kind", "text",
                          "result"}]}, and "error" when a step failed
      --help              this text

Exit codes: 0 every API sent and received, 2 the embedded broker did not
start, 3 a step failed, 4 a step timed out.`;

const FLAGS = { json: { type: 'boolean' }, help: { type: 'boolean' } } as const;

/** The scenes in order: each runs, then its section is verified. */
const SCENES: Array<(stage: Stage) => void | Promise<void>> = [
  coreScene,
  mqttjsScene,
  pikaScene,
  (stage) => umqttScene(stage, 'MicroPython'),
  (stage) => umqttScene(stage, 'QuecPython'),
  luatosScene,
  zerynthScene,
];

/** Runs `tinymqtt demo` with its arguments (--help is main's); resolves to the exit code. */
export async function demo(args: string[]): Promise<number> {
  const { values: flags } = parseArgs({ args, options: FLAGS, strict: true });
  const say = new Narrator(flags.json ?? false);
  const broker = await startEmbeddedBroker();
  const report = (extra: object) => console.log(JSON.stringify({ ...extra, broker: broker.url, apis: say.tallies, steps: say.steps }));
  try {
    if (!flags.json) console.log(`tinymqtt demo: an MQTT broker (aedes) runs in this process at ${broker.url}; nothing else is needed.`);
    for (const scene of SCENES) {
      await scene({ broker, say });
      say.verify();
    }
  } catch (e) {
    const error = failure(e, EXIT.operation, 'demo');
    if (flags.json) report({ ok: false, error: error.message });
    throw error;
  } finally {
    await broker.stop();
  }
  if (flags.json) {
    report({ ok: true });
  } else {
    console.log('\nEvery API published and received through the broker:');
    const width = Math.max(...say.tallies.map((t) => t.title.length));
    for (const t of say.tallies) console.log(`  ${t.title.padEnd(width)}   ${t.sent} sent, ${t.received} received`);
  }
  return EXIT.ok;
}
