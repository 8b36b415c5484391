// For the tests of the synchronous embedded APIs (umqtt, PikaPython): a
// blocking sleep, as the device's time.sleep, and scripts of a compat layer
// run in their own node process. A blocking call cannot be served by a
// broker in the same thread (aedes, the fake broker), nor can a publisher in
// the same thread act while the test blocks; a script's process can.
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { packageRoot } from '../../lib/native.js';
import type { AedesHooks } from './aedes.js';
import type { FakeBroker, FakeConnection } from './fake-broker.js';
import { Type } from './mqtt-bytes.js';
import { Script } from './script.js';

/** Blocks the calling thread for `ms`, as time.sleep() on a device. */
export function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** Starts `body` (an ES module body) in its own node process, with the
 *  built compat layer `api` (dist/compat/<api>.js) imported as `api`, and
 *  `tinymqtt` and `port` as Script gives them. Killed after `ms`. */
export function compatScript(api: 'umqtt' | 'pika', body: string, port: number, ms?: number): Script {
  const url = pathToFileURL(path.join(packageRoot, 'dist', 'compat', `${api}.js`)).href;
  return new Script(`const api = await import(${JSON.stringify(url)});\n${body}`, port, ms);
}

/** Publishes `payload` to `topic` (QoS 1) from another process after
 *  `delayMs`, while this thread may be blocked. */
export function publishLater(port: number, topic: string, payload: string, delayMs: number): Script {
  return new Script(`
    await new Promise((resolve) => setTimeout(resolve, ${delayMs}));
    const c = await tinymqtt.connect({ host: '127.0.0.1', port });
    await c.publish(${JSON.stringify(topic)}, ${JSON.stringify(payload)}, { qos: 1 });
    await c.end();
  `, port, delayMs + 10000);
}

/** What a watchdog publishes. */
export const WATCHDOG = 'watchdog';

/** Runs `body`, which blocks in wait_msg() until a message comes to a
 *  client subscribed to `topic`: if none comes within `ms`, another process
 *  publishes WATCHDOG to `topic`, so the wait ends and the test fails on that
 *  message instead of blocking its thread for good. */
export function withWatchdog<T>(port: number, topic: string, body: () => T, ms = 10_000): T {
  const dog = publishLater(port, topic, WATCHDOG, ms);
  try {
    return body();
  } finally {
    dog.child.kill();
  }
}

/** The lines a script printed. */
export function lines(stdout: string): string[] {
  return stdout.split('\n').filter((l) => l !== '');
}

/** A maker of client ids unique to this process, named for what they are for. */
export function uniqueIds(api: string): (what: string) => string {
  let n = 0;
  return (what) => `${api}-${what}-${process.pid}-${++n}`;
}

/** An aedes authenticate hook that refuses every client with the CONNACK
 *  return code its user name spells ('2' to '5'). */
export const refuseWithUsernameCode: AedesHooks['authenticate'] = (_client, username, _password, done) =>
  done(Object.assign(new Error('refused'), { returnCode: Number(username) }), null);

/** The protocol name and level of the CONNECT the next client sends to
 *  `fake`, and its connection. */
export async function acceptConnect(fake: FakeBroker): Promise<{ conn: FakeConnection; name: string; level: number }> {
  const conn = await fake.accept();
  const p = await conn.expect(Type.CONNECT);
  const length = p.readUInt16BE(2);   // a CONNECT's remaining length fits one byte here
  return { conn, name: p.subarray(4, 4 + length).toString(), level: p[4 + length] };
}
