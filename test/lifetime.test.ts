// MqttClient and the life of its process or worker: workers that use it
// and exit by themselves, a process that exits by itself after end(), one
// that exits with a connected client it unref()'d, and one ref() keeps
// alive. (The addon-level rules: test/native.test.ts 'process lifetime'.)
import { Worker } from 'node:worker_threads';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMosquitto, type Broker } from './support/mosquitto.js';
import { DIST_URL, runScript } from './support/script.js';

let broker: Broker;
beforeAll(async () => { broker = await startMosquitto(); });
afterAll(async () => { await broker?.stop(); });

describe('worker threads', () => {
  // each worker has its own environment: its own loop thread and client ids
  const workerCode = `
    const { parentPort, workerData } = require('node:worker_threads');
    import(workerData.dist).then(async ({ connect }) => {
      const c = await connect({ host: '127.0.0.1', port: workerData.port, protocolVersion: 5 });
      await c.subscribe(workerData.topic, { qos: 1 });
      const got = new Promise((resolve) => c.once('message', (topic, payload) => resolve(payload.toString())));
      await c.publish(workerData.topic, 'from worker ' + workerData.n, { qos: 1 });
      parentPort.postMessage(await got);
      await c.end();
    });`;

  /** What the worker posted and its exit code; it must exit by itself within `ms`. */
  function runWorker(n: number, ms = 10_000): Promise<{ posted: unknown; exitCode: number }> {
    const worker = new Worker(workerCode, { eval: true, workerData: { dist: DIST_URL, port: broker.port, topic: `worker/${n}`, n } });
    return new Promise((resolve, reject) => {
      let posted: unknown;
      const timer = setTimeout(() => {
        void worker.terminate();
        reject(new Error(`worker ${n} did not exit by itself within ${ms} ms (posted ${String(posted)})`));
      }, ms);
      worker.on('message', (m) => (posted = m));
      worker.on('error', (e) => { clearTimeout(timer); reject(e); });
      worker.on('exit', (exitCode) => { clearTimeout(timer); resolve({ posted, exitCode }); });
    });
  }

  it('runs an MqttClient in each of several workers at once; each round-trips a message, ends, and exits by itself', async () => {
    const results = await Promise.all([1, 2, 3].map((n) => runWorker(n)));
    expect(results).toEqual([1, 2, 3].map((n) => ({ posted: `from worker ${n}`, exitCode: 0 })));
  });
});

describe('process lifetime', () => {
  it('exits by itself after end()', async () => {
    const r = await runScript(`
      const c = await tinymqtt.connect({ host: '127.0.0.1', port });
      await c.publish('life/end', 'x', { qos: 1 });
      await c.end();
      console.log('ended');`, broker.port);
    expect(r).toMatchObject({ code: 0, signal: null, stdout: 'ended\n', stderr: '' });
    expect(r.ms).toBeLessThan(5000);
  });

  it('exits by itself with a connected client it unref()\'d, which still worked', async () => {
    // an unref()'d client does not keep the process alive even while an
    // operation waits (as an unref()'d socket): a timer does during the round trip
    const r = await runScript(`
      const c = await tinymqtt.connect({ host: '127.0.0.1', port });
      c.unref();
      const alive = setTimeout(() => {}, 10000);
      await c.subscribe('life/unref', { qos: 1 });
      const got = new Promise((resolve) => c.once('message', (topic, payload) => resolve(payload.toString())));
      await c.publish('life/unref', 'still works', { qos: 1 });
      console.log(await got, c.connected);
      clearTimeout(alive);`, broker.port);
    expect(r).toMatchObject({ code: 0, signal: null, stdout: 'still works true\n', stderr: '' });
    expect(r.ms).toBeLessThan(5000);
  });

  it('stays alive while a connected client is referenced again with ref()', async () => {
    const r = await runScript(`
      const c = await tinymqtt.connect({ host: '127.0.0.1', port });
      c.unref();
      c.ref();
      console.log('connected');`, broker.port, 1500);
    expect(r).toMatchObject({ stdout: 'connected\n', signal: 'SIGTERM' });   // killed after 1.5 s: it did not exit
  });
});
