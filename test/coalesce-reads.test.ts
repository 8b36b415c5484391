// Read coalescing (options.coalesceReads, tmq_coalesce in
// native/include/tinymqtt/drive.h): both of the addon's drivers (inline, and
// the engine loop thread's tmq_loop_coalesce) let a busy incoming stream
// gather in the socket and read it in batches (the WebAssembly engine's
// driver, pausing the transport, in the wasm run). What must hold
// either way: every message arrives, in order; once the stream slows down
// every message still comes (a read is never left waiting for bytes below
// the socket's low-water mark: here a message held back would never come,
// as each single waits for the previous one to arrive, so the run would
// time out); and round trips after a stream work. That a round trip turns
// coalescing off at once, so its reply waits for no mark and no timer, is
// the policy's C test (native/test/test_drive.c); how fast is the bench's
// business. The publisher runs in a worker thread so that the stream
// arrives while this thread reads.
import { Worker } from 'node:worker_threads';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect } from '../lib/index.js';
import { startMosquitto, type Broker } from './support/mosquitto.js';
import { DIST_URL } from './support/script.js';

let broker: Broker;
beforeAll(async () => { broker = await startMosquitto(); });
afterAll(async () => { await broker?.stop(); });

const BURST = 20_000, SINGLES = 20, SINGLE_GAP_MS = 20;

// Publishes BURST messages as fast as it can (in steps of 500), then, once
// told the burst has arrived, SINGLES messages SINGLE_GAP_MS apart (with
// lockstep, each only once told the previous one has arrived). Payload: 64
// bytes, the message's index first.
const publisherCode = `
  const { parentPort, workerData } = require('node:worker_threads');
  const inbox = [];
  let waiter;
  parentPort.on('message', (m) => { if (waiter) { waiter(m); waiter = undefined; } else inbox.push(m); });
  const told = () => inbox.length > 0 ? Promise.resolve(inbox.shift()) : new Promise((resolve) => { waiter = resolve; });
  import(workerData.dist).then(async ({ connect }) => {
    const c = await connect({ host: '127.0.0.1', port: workerData.port });
    const message = (i) => {
      const b = Buffer.alloc(64);
      b.writeUInt32LE(i, 0);
      return b;
    };
    let i = 0;
    for (; i < workerData.burst; i++) {
      const sent = c.publish(workerData.topic, message(i));
      if (i % 500 === 499) await sent;
    }
    await told();   // the burst arrived
    for (; i < workerData.burst + workerData.singles; i++) {
      await new Promise((resolve) => setTimeout(resolve, workerData.gap));
      await c.publish(workerData.topic, message(i));
      if (workerData.lockstep) await told();   // it arrived
    }
    await c.end();
    process.exit(0);   // the listener on parentPort would keep the thread alive
  });`;

/** The publisher worker, and a promise of its clean exit. */
function startPublisher(topic: string, lockstep = false): { worker: Worker; done: Promise<void> } {
  const worker = new Worker(publisherCode, {
    eval: true, workerData: { dist: DIST_URL, port: broker.port, topic, burst: BURST, singles: SINGLES, gap: SINGLE_GAP_MS, lockstep },
  });
  const done = new Promise<void>((resolve, reject) => {
    worker.on('error', reject);
    worker.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`publisher exited with ${code}`))));
  });
  return { worker, done };
}

for (const driver of ['inline', 'thread'] as const) describe(`read coalescing (${driver} driver)`, () => {
  for (const coalesceReads of [true, false]) {
    it(`delivers a busy stream whole and in order, and each later single message without waiting for another (coalesceReads: ${coalesceReads})`, async () => {
      const topic = `coalesce/${driver}/${coalesceReads}`;
      const sub = await connect({ host: '127.0.0.1', port: broker.port, driver, coalesceReads });
      const indices: number[] = [];
      await sub.subscribe(topic);
      const publisher = startPublisher(topic, true);
      const all = new Promise<void>((resolve) => sub.on('message', (_t, payload) => {
        const i = payload.readUInt32LE(0);
        indices.push(i);
        if (indices.length === BURST) publisher.worker.postMessage('burst received');
        else if (i >= BURST) publisher.worker.postMessage('single received');
        if (indices.length === BURST + SINGLES) resolve();
      }));
      const timeout = new Promise((_, reject) => setTimeout(() => reject(new Error(`${indices.length} of ${BURST + SINGLES} messages arrived within 30 s`)), 30_000));
      await Promise.race([Promise.all([all, publisher.done]), timeout]);
      await sub.end();
      expect(indices).toEqual(Array.from({ length: BURST + SINGLES }, (_, i) => i));
    }, 40_000);
  }

  it('answers round trips after a busy stream, QoS 0 and QoS 1', async () => {
    const topic = `coalesce/${driver}/round-trip`;
    const client = await connect({ host: '127.0.0.1', port: broker.port, driver });
    let echoes = 0;
    client.on('message', (t) => { if (t === `${topic}/echo`) echoes++; });
    await client.subscribe([topic, `${topic}/echo`]);
    const publisher = startPublisher(topic);   // the stream first: coalescing on
    let received = 0;
    await new Promise<void>((resolve) => client.on('message', () => { if (++received === BURST) resolve(); }));
    publisher.worker.postMessage('burst received');
    await publisher.done;
    for (let round = 1; round <= 200; round++) {
      await client.publish(`${topic}/echo`, 'ping');
      while (echoes < round) await new Promise((resolve) => setImmediate(resolve));
    }
    let acked = 0;
    for (let round = 1; round <= 200; round++) {   // one QoS 1 publish at a time: its PUBACK is a reply
      await client.publish(`${topic}/acked`, 'x', { qos: 1 });
      acked++;
    }
    await client.end();
    expect(echoes).toBe(200);
    expect(acked).toBe(200);
  }, 40_000);

  it('completes a stream of QoS 1 publishes kept 100 in flight, the last acknowledgements included', async () => {
    const client = await connect({ host: '127.0.0.1', port: broker.port, driver, maxInflight: 100 });
    const inFlight = new Set<Promise<void>>();
    let done = 0;
    for (let i = 0; i < 10_000; i++) {
      const p = client.publish(`coalesce/${driver}/window`, 'x', { qos: 1 }).then(() => { done++; inFlight.delete(p); });
      inFlight.add(p);
      if (inFlight.size >= 100) await Promise.race(inFlight);
    }
    // the last window's acknowledgements come below any mark: the timer must read them
    await Promise.all(inFlight);
    await client.end();
    expect(done).toBe(10_000);
  }, 40_000);
});
