// Run by scripts/test-arm64 with an arm64 node under qemu-aarch64: loads
// the package (dist/) with the linux-arm64 prebuild that TINYMQTT_PREBUILD
// points node-gyp-build at, and makes a QoS 1 publish and subscribe round trip
// through the broker at 127.0.0.1:PORT. Prints one line per check, "ok NAME"
// or "not ok NAME: why", and exits 1 if any failed.
import { createRequire } from 'node:module';

const [port, topic = 'arm64/round-trip'] = process.argv.slice(2);
const require = createRequire(import.meta.url);
let failed = 0;

/** Runs one check and prints its line. */
async function check(name, body) {
  try {
    await body();
    console.log(`ok ${name}`);
  } catch (e) {
    failed++;
    console.log(`not ok ${name}: ${e?.message ?? e}`);
  }
}

const expect = (what, got, want) => { if (got !== want) throw new Error(`${what} is ${got}, expected ${want}`); };

let tinymqtt;
await check('the package loads the linux-arm64 prebuild on an arm64 node', async () => {
  expect('process.arch', process.arch, 'arm64');
  const loaded = require('node-gyp-build').path(new URL('../..', import.meta.url).pathname);
  if (!/prebuilds\/linux-arm64\/node\.napi\.glibc\.node$/.test(loaded)) throw new Error(`node-gyp-build picks ${loaded}`);
  tinymqtt = await import('../../dist/index.js');
});

await check('a QoS 1 publish comes back through mosquitto to its subscriber', async () => {
  const client = await tinymqtt.connect({ host: '127.0.0.1', port: Number(port), clientId: 'arm64-round-trip' });
  try {
    const received = new Promise((resolve) => client.on('message', (t, payload, packet) => resolve(`${t} ${payload} ${packet.qos}`)));
    await client.subscribe(topic, { qos: 1 });
    await client.publish(topic, 'hello from arm64', { qos: 1 });
    const timeout = new Promise((_, reject) => setTimeout(() => reject(new Error('no message within 20 s')), 20_000).unref());
    expect('the message', await Promise.race([received, timeout]), `${topic} hello from arm64 1`);
  } finally {
    await client.end();
  }
});

process.exitCode = failed ? 1 : 0;
