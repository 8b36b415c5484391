// The durable store's write cost per message: one tinymqtt client publishes
// 64-byte QoS 1 messages (window 100) to mosquitto without a store and with
// a FileStore under each fsync policy, and the table shows, per message,
// the wall time, the time publish() itself took on the JS thread (where the
// message's record is written), the process's CPU time (JS and loop
// threads), and the ratio of wall time to the run without a store.
//   npm run bench:store [-- --quick] [-- --dir /path/on/the/disk/to/measure]
// Each configuration runs 3 times (once with --quick), interleaved; the
// table has medians. A run stops publishing at its deadline (10 s) and is
// measured on what it completed. Stores go to a temp dir (or --dir): what
// 'always' costs depends on that file system.
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { FileStore, connect } from '../dist/index.js';
import { startBroker } from './broker.mjs';
import { median } from './stats.mjs';

const { values: opts } = parseArgs({ options: { quick: { type: 'boolean' }, dir: { type: 'string' } } });
const MESSAGES = opts.quick ? 2000 : 20000;
const REPEATS = opts.quick ? 1 : 3;
const WINDOW = 100;
const DEADLINE_MS = 10000;
const PAYLOAD = Buffer.alloc(64, 'x');
const CONFIGS = ['none', 'never', 'batch', 'always'];

/** One run: publishes until MESSAGES are acknowledged or the deadline, then
 *  ends the client; per-message figures over what completed. */
async function run(port, dir, config, index) {
  const file = path.join(dir, `${config}-${index}.store`);
  const store = config === 'none' ? undefined : new FileStore(file, { fsync: config });
  const client = await connect({ host: '127.0.0.1', port, clientId: `bench-store-${config}`, clean: false, store });
  const outstanding = new Set();
  let inPublish = 0n, completed = 0, failure;
  const cpu = process.cpuUsage();
  const started = process.hrtime.bigint();
  const deadline = performance.now() + DEADLINE_MS;
  for (let i = 0; i < MESSAGES && performance.now() < deadline && !failure; i++) {
    const t = process.hrtime.bigint();
    const done = client.publish('bench/store', PAYLOAD, { qos: 1 });
    inPublish += process.hrtime.bigint() - t;
    const settled = done.then(() => { completed++; outstanding.delete(settled); }, (e) => { failure = e; });
    outstanding.add(settled);
    if (outstanding.size >= WINDOW) await Promise.race(outstanding);
  }
  await Promise.all(outstanding);
  const wallNs = Number(process.hrtime.bigint() - started);
  const used = process.cpuUsage(cpu);
  await client.end();
  const log = store ? statSync(file).size : 0;
  store?.close();
  if (failure) throw failure;
  return {
    completed,
    wallUs: wallNs / 1000 / completed,
    publishUs: Number(inPublish) / 1000 / completed,
    cpuUs: (used.user + used.system) / completed,
    logBytes: log,
  };
}

const dir = opts.dir ? mkdtempSync(path.join(opts.dir, 'tmq-store-bench-')) : mkdtempSync(path.join(tmpdir(), 'tmq-store-bench-'));
const broker = await startBroker();
const results = Object.fromEntries(CONFIGS.map((c) => [c, []]));
try {
  for (let r = 0; r < REPEATS; r++) {
    for (const config of CONFIGS) {
      process.stderr.write(`store bench: ${config}, run ${r + 1} of ${REPEATS}\n`);
      results[config].push(await run(broker.port, dir, config, r));
    }
  }
} finally {
  await broker.stop();
  rmSync(dir, { recursive: true, force: true });
}

const base = median(results.none.map((x) => x.wallUs));
const rows = CONFIGS.map((config) => {
  const xs = results[config];
  const wall = median(xs.map((x) => x.wallUs));
  return [config, String(median(xs.map((x) => x.completed))), wall.toFixed(1), median(xs.map((x) => x.publishUs)).toFixed(1),
    median(xs.map((x) => x.cpuUs)).toFixed(1), `${(wall / base).toFixed(2)}x`];
});
const head = ['store (fsync)', 'messages', 'wall µs/msg', 'publish() µs/msg', 'CPU µs/msg', 'wall vs none'];
const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
const line = (cells) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
console.log(`QoS 1, ${PAYLOAD.length}-byte payloads, window ${WINDOW}, medians of ${REPEATS} run(s), store in ${opts.dir ?? tmpdir()}`);
console.log(line(head));
for (const row of rows) console.log(line(row));
