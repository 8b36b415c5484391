// For the tests of the synchronous embedded APIs (umqtt, PikaPython): a
// blocking sleep, as the device's time.sleep, and scripts of a compat layer
// run in their own node process. A blocking call cannot be served by a
// broker in the same thread (aedes, the fake broker), nor can a publisher in
// the same thread act while the test blocks; a script's process can.
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { packageRoot } from '../../lib/native.js';
import { Script, type Exit } from './script.js';

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
 *  `delayMs`, while this thread may be blocked; resolves when it exits. */
export function publishLater(port: number, topic: string, payload: string, delayMs: number): Promise<Exit> {
  return new Script(`
    await new Promise((resolve) => setTimeout(resolve, ${delayMs}));
    const c = await tinymqtt.connect({ host: '127.0.0.1', port });
    await c.publish(${JSON.stringify(topic)}, ${JSON.stringify(payload)}, { qos: 1 });
    await c.end();
  `, port).exited;
}

/** The lines a script printed. */
export function lines(stdout: string): string[] {
  return stdout.split('\n').filter((l) => l !== '');
}
