// That read coalescing (tmq_coalesce, tinymqtt/drive.h) engages, by counts
// instead of times: a subscriber driven inline receives a stream of QoS 0 messages in
// far fewer polls than messages, over plain TCP (mosquitto) and over
// WebSockets (aedes behind the `ws` package, which writes every message as
// five frames of 3 to 66 bytes). The counts are the inline driver's
// diagnostics (NativeClient.readStats). Without coalescing such a subscriber
// polls about once a message or more (0.55 and 1.1 a message measured on the
// project's machine), so a broken policy or a mark that never reaches the
// socket fails here; how much CPU it saves is the bench's business. The raw
// addon client is used, as only it shows the counts; the publisher (and the
// WebSocket broker) run in worker threads, so that the stream arrives while
// this thread reads.
import { Worker } from 'node:worker_threads';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EVENT_FIELDS, EventKind, engine, native, type NativeClient, type NativeClientOptions } from '../lib/native.js';
import { startMosquitto, type Broker } from './support/mosquitto.js';
import { DIST_URL } from './support/script.js';

const MESSAGES = 20_000;
/** At most one poll for this many messages while coalescing (measured
 *  under load: 50 over TCP, 8 over WebSockets). */
const MESSAGES_PER_POLL = 4;

const handlers = new Map<number, (kind: number, a: number) => void>();
if (engine === 'native') {
  native.setBatchHandler((events) => {
    for (let i = 0; i < events.length; i += EVENT_FIELDS) handlers.get(events[i])?.(events[i + 1], events[i + 2]);
  });
}

// Publishes `count` 64-byte QoS 0 messages to `topic` as fast as it can
// (waiting for the send buffer every 500), then ends.
const publisherCode = `
  const { workerData } = require('node:worker_threads');
  import(workerData.dist).then(async ({ connect }) => {
    const c = await connect(workerData.url);
    const payload = Buffer.alloc(64, 7);
    for (let i = 0; i < workerData.count; i++) {
      const sent = c.publish(workerData.topic, payload);
      if (i % 500 === 499) await sent;
    }
    await c.end();
    process.exit(0);
  });`;

function runPublisher(url: string, topic: string): Promise<void> {
  const worker = new Worker(publisherCode, { eval: true, workerData: { dist: DIST_URL, url, topic, count: MESSAGES } });
  return new Promise((resolve, reject) => {
    worker.on('error', reject);
    worker.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`publisher exited with ${code}`))));
  });
}

/** An inline native client, connected and subscribed to `topic`; resolves
 *  with it and a promise of the MESSAGES messages of the stream. */
async function subscriber(port: number, topic: string, extra: Partial<NativeClientOptions>) {
  const client: NativeClient = native.createInlineClient({
    host: '127.0.0.1', port, protocolVersion: 4, clientId: '', clean: true, keepalive: 30, connectTimeout: 5000,
    maxInflight: 0, reconnectPeriod: 0, reconnectMaxPeriod: 0, reconnectFactor: 2, reconnectResetAfter: 0,
    reconnectJitter: true, maxPacketSize: 1 << 20, sendBufferSize: 1 << 18, coalesceReads: true, ...extra,
  });
  let received = 0;
  let step: (kind: number) => void = () => {};
  handlers.set(client.id, (kind) => {
    if (kind === EventKind.Message) received++;
    step(kind);
  });
  const next = (kind: number, what: string) => new Promise<void>((resolve, reject) => {
    step = (k) => {
      if (k === kind) resolve();
      else if (k === EventKind.Disconnect || k === EventKind.Error) reject(new Error(`${what}: event ${k}`));
    };
  });
  const connected = next(EventKind.Connack, 'connect');
  client.connect();
  await connected;
  const subscribed = next(EventKind.Suback, 'subscribe');
  client.subscribe([topic], [0], 1);
  await subscribed;
  const all = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${received} of ${MESSAGES} messages within 30 s`)), 30_000);
    step = () => {
      if (received === MESSAGES) {
        clearTimeout(timer);
        resolve();
      }
    };
  });
  return { client, all };
}

async function close(client: NativeClient): Promise<void> {
  const closed = new Promise<void>((resolve) => handlers.set(client.id, (kind) => { if (kind === EventKind.Closed) resolve(); }));
  client.close();
  await closed;
  handlers.delete(client.id);
}

/** Streams MESSAGES messages through the broker to an inline subscriber;
 *  returns its read counts over the stream. */
async function stream(port: number, publisherUrl: string, topic: string, extra: Partial<NativeClientOptions> = {}) {
  const { client, all } = await subscriber(port, topic, extra);
  const before = client.readStats!()!;
  await Promise.all([all, runPublisher(publisherUrl, topic)]);
  const after = client.readStats!()!;
  await close(client);
  return { polls: after.polls - before.polls, reads: after.reads - before.reads, bytes: after.bytes - before.bytes };
}

describe.runIf(engine === 'native')('read coalescing engages (inline driver, counts)', () => {
  let mosquitto: Broker;
  let wsBroker: Worker;
  let wsPort: number;
  beforeAll(async () => {
    mosquitto = await startMosquitto();
    wsBroker = new Worker(new URL('./support/aedes-ws-worker.mjs', import.meta.url));
    wsPort = await new Promise<number>((resolve, reject) => {
      wsBroker.once('message', resolve);
      wsBroker.once('error', reject);
    });
  });
  afterAll(async () => {
    await mosquitto?.stop();
    if (wsBroker) {
      const exited = new Promise((resolve) => wsBroker.once('exit', resolve));
      wsBroker.postMessage('stop');
      await exited;
    }
  });

  it('reads a stream over plain TCP in far fewer polls than messages', async () => {
    const url = `mqtt://127.0.0.1:${mosquitto.port}`;
    const counts = await stream(mosquitto.port, url, 'coalesce/counts/tcp');
    expect(counts.bytes).toBeGreaterThanOrEqual(MESSAGES * 75);   // every message's 75 bytes
    expect(counts.polls * MESSAGES_PER_POLL, JSON.stringify(counts)).toBeLessThan(MESSAGES);
  }, 40_000);

  it('reads a stream over WebSockets in far fewer polls than messages', async () => {
    const url = `ws://127.0.0.1:${wsPort}/mqtt`;
    const counts = await stream(wsPort, url, 'coalesce/counts/ws', { ws: { path: '/mqtt', host: `127.0.0.1:${wsPort}`, headers: '' } });
    expect(counts.bytes).toBeGreaterThanOrEqual(MESSAGES * 75);   // MQTT bytes and frame headers
    expect(counts.polls * MESSAGES_PER_POLL, JSON.stringify(counts)).toBeLessThan(MESSAGES);
  }, 40_000);
});
