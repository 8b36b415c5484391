// The addon's raw client surface (lib/native.ts) against a real mosquitto:
// batches, tokens, close, worker threads, and the process lifetime rules
// (an unref'd client does not keep node alive; a closed one never does).
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import {
  EVENT_FIELDS, EventKind, MESSAGE_LARGE_PAYLOAD, engine, native, packageRoot, type NativeClient, type NativeClientOptions,
} from '../lib/native.js';
import { freePort, KEY_PASSPHRASE, startMosquitto, type Broker } from './support/mosquitto.js';

const ADDON = path.join(packageRoot, 'build', 'Release', 'tinymqtt.node');
const TMQ_ERR_QOS = -10;
const TMQ_ERR_CLOSED = -38;

// ---- events, per client ---------------------------------------------------------

interface Ev { kind: number; a: number; b: number; c: number; d: number; topic?: string; payload?: Buffer; codes?: number[] }

const listeners = new Map<number, (e: Ev) => void>();
const batchSizes: number[] = [];
const batchTopics: number[] = [];
const batchLargeBytes: number[] = [];   // the bytes of a batch's large payloads

native.setBatchHandler((events, bytes, topics, large) => {
  expect(events.length % EVENT_FIELDS).toBe(0);
  expect(Buffer.isBuffer(bytes)).toBe(false);   // a plain Uint8Array (binding/deliver.h)
  const data = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  batchSizes.push(events.length / EVENT_FIELDS);
  batchTopics.push(topics.length);
  batchLargeBytes.push((large ?? []).reduce((sum, p) => sum + p.byteLength, 0));
  let nextLarge = 0;
  for (let i = 0; i < events.length; i += EVENT_FIELDS) {
    const [id, kind, a, b, c, d] = events.subarray(i, i + EVENT_FIELDS);
    const e: Ev = { kind, a, b, c, d };
    if (kind === EventKind.Message) {
      e.topic = topics[a];
      if (d & MESSAGE_LARGE_PAYLOAD) {
        const p = large![nextLarge++];
        expect(p.byteLength).toBe(c);
        e.payload = Buffer.from(p.buffer, p.byteOffset, p.byteLength);
      } else {
        e.payload = data.subarray(b, b + c);
      }
    } else if (kind === EventKind.Suback || kind === EventKind.Unsuback) {
      e.codes = [...data.subarray(b, b + c)];
    }
    listeners.get(id)?.(e);
  }
  expect(nextLarge).toBe(large?.length ?? 0);   // one large payload per flagged message, none left over
});

/** A native client and everything it reported. */
class Probe {
  readonly client: NativeClient;
  readonly events: Ev[] = [];
  private readonly counts = new Map<number, number>();
  private waiters: Array<() => void> = [];

  constructor(port: number, options: Partial<NativeClientOptions> = {}, inline = false) {
    this.client = (inline ? native.createInlineClient : native.createClient)({
      host: '127.0.0.1', port, protocolVersion: 5, clientId: '', clean: true, keepalive: 30,
      connectTimeout: 5000, maxInflight: 0, reconnectPeriod: 0, reconnectMaxPeriod: 0, reconnectFactor: 2, reconnectResetAfter: 0, reconnectJitter: true, maxPacketSize: 1 << 20, sendBufferSize: 1 << 18, ...options,
    });
    listeners.set(this.client.id, (e) => {
      this.events.push(e);
      this.counts.set(e.kind, this.count(e.kind) + 1);
      for (const w of this.waiters.splice(0)) w();
    });
  }

  of(kind: number): Ev[] {
    return this.events.filter((e) => e.kind === kind);
  }

  count(kind: number): number {
    return this.counts.get(kind) ?? 0;
  }

  /** Resolves once pred holds (checked after every event). */
  until(pred: (probe: Probe) => boolean, what: string, ms = 5000): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}: ${JSON.stringify(this.events.slice(-20))}`)), ms);
      const check = () => {
        if (pred(this)) {
          clearTimeout(timer);
          resolve();
        } else {
          this.waiters.push(check);
        }
      };
      check();
    });
  }

  async connect(): Promise<void> {
    this.client.connect();
    await this.until((p) => p.count(EventKind.Connack) + p.count(EventKind.Disconnect) > 0, 'CONNACK');
    expect(this.of(EventKind.Connack)).toHaveLength(1);
  }

  async close(): Promise<void> {
    this.client.close();
    await this.until((p) => p.count(EventKind.Closed) > 0, 'Closed');
    listeners.delete(this.client.id);
  }
}

let broker: Broker;
beforeAll(async () => { broker = await startMosquitto(); });
afterAll(async () => { await broker?.stop(); });

const unique = () => `tmq-native/${process.pid}/${Math.random().toString(36).slice(2)}`;

describe('a native client', () => {
  for (const version of [4, 5] as const) {
    it(`connects, subscribes, publishes QoS 0/1/2 and receives them back (MQTT ${version === 5 ? '5.0' : '3.1.1'})`, async () => {
      const p = new Probe(broker.port, { protocolVersion: version, clientId: `native-${version}-${process.pid}` });
      expect(p.client.id).toBeGreaterThan(0);
      await p.connect();
      expect(p.of(EventKind.State).map((e) => e.a)).toEqual([1, 3, 4]);   // TCP connecting, MQTT connecting, ready
      expect(p.of(EventKind.Connack)[0]).toMatchObject({ a: 0, b: 0 });

      const base = unique();
      p.client.subscribe([`${base}/#`, `${base}/other`], [2, 1], 7);
      await p.until((q) => q.count(EventKind.Suback) > 0, 'SUBACK');
      expect(p.of(EventKind.Suback)[0]).toMatchObject({ a: 7, codes: [2, 1] });

      for (const qos of [0, 1, 2]) p.client.publish(`${base}/q${qos}`, Buffer.from(`payload ${qos}`), qos, false, 100 + qos);
      p.client.publish(`${base}/empty`, Buffer.alloc(0), 1, false, 110);
      await p.until((q) => q.count(EventKind.Message) === 4 && q.count(EventKind.Sent) === 3 && q.count(EventKind.Written) === 1, 'messages and acks');

      expect(p.of(EventKind.Written).map((e) => e.a)).toEqual([100]);   // QoS 0: written
      expect(p.of(EventKind.Sent).map((e) => e.a).sort()).toEqual([101, 102, 110]);
      expect(p.of(EventKind.Sent).every((e) => e.b === 0)).toBe(true);
      // sorted: mosquitto forwards a QoS 2 message only after its PUBREL, so a later one may overtake it
      const got = p.of(EventKind.Message).map((e) => [e.topic, e.payload!.toString(), e.d & 3]).sort();
      expect(got).toEqual([
        [`${base}/empty`, '', 1], [`${base}/q0`, 'payload 0', 0], [`${base}/q1`, 'payload 1', 1], [`${base}/q2`, 'payload 2', 2],
      ]);

      p.client.unsubscribe([`${base}/#`], 8);
      await p.until((q) => q.count(EventKind.Unsuback) > 0, 'UNSUBACK');
      expect(p.of(EventKind.Unsuback)[0]).toMatchObject({ a: 8, codes: version === 5 ? [0] : [] });

      await p.close();
      expect(p.events.at(-1)!.kind).toBe(EventKind.Closed);
    });
  }

  it('gives engine refusals back as Error events with their token, in order with the rest', async () => {
    const p = new Probe(broker.port);
    await p.connect();
    const base = unique();
    p.client.publish(`${base}/a`, Buffer.from('x'), 3, false, 1);          // QoS 3
    p.client.publish(`${base}/+`, Buffer.from('x'), 0, false, 2);          // wildcard in a topic name
    p.client.subscribe([], [], 3);                                          // no filters
    p.client.subscribe([`${base}/#/x`], [0], 4);                            // bad filter
    p.client.publish(`${base}/ok`, Buffer.from('x'), 1, false, 5);
    await p.until((q) => q.count(EventKind.Sent) > 0, 'the good publish');
    const errors = p.of(EventKind.Error);
    expect(errors.map((e) => e.b)).toEqual([1, 2, 3, 4]);
    expect(native.strerror(errors[0].a)).toBe('TMQ_ERR_QOS');
    expect(errors[0].a).toBe(TMQ_ERR_QOS);
    expect(native.strerror(errors[1].a)).toBe('TMQ_ERR_TOPIC');
    expect(native.strerror(errors[2].a)).toBe('TMQ_ERR_NO_FILTERS');
    expect(native.strerror(errors[3].a)).toBe('TMQ_ERR_FILTER');
    expect(p.of(EventKind.Sent).map((e) => e.a)).toEqual([5]);
    await p.close();
  });

  it('fails what is pending with TMQ_ERR_CLOSED on close, then Closed, then nothing', async () => {
    // never connected: everything stays queued until close
    const p = new Probe(broker.port);
    const tokens: number[] = [];
    for (let t = 1; t <= 1500; t++) {   // more than the engine's 1024 message slots
      p.client.publish(`${unique()}/x`, Buffer.from('queued'), (t % 3), false, t);
      tokens.push(t);
    }
    p.client.subscribe(['a/b'], [1], 2000);
    await p.close();
    const closed = p.events.findIndex((e) => e.kind === EventKind.Closed);
    expect(closed).toBe(p.events.length - 1);
    const errors = p.of(EventKind.Error);
    expect(errors.every((e) => e.a === TMQ_ERR_CLOSED)).toBe(true);
    expect(errors.map((e) => e.b)).toEqual([...tokens, 2000]);   // every token, in submission order
    expect(() => p.client.publish('a', Buffer.from('x'), 0, false, 1)).toThrow(expect.objectContaining({ code: 'TMQ_ERR_CLOSED' }));
    p.client.close();   // a second close is harmless
    p.client.unref();
  });

  it('queues operations beyond the engine\'s slots and sends every one', async () => {
    const p = new Probe(broker.port);
    await p.connect();
    const base = unique();
    p.client.subscribe([`${base}/#`], [1], 1);
    const n = 3000;
    for (let t = 0; t < n; t++) p.client.publish(`${base}/${t % 7}`, Buffer.from(String(t)), 1, false, 10 + t);
    await p.until((q) => q.count(EventKind.Message) === n && q.count(EventKind.Sent) === n, `${n} messages`, 20000);
    expect(p.of(EventKind.Error)).toEqual([]);
    expect(p.of(EventKind.Sent).map((e) => e.a)).toEqual(Array.from({ length: n }, (_, t) => 10 + t));
    expect(p.of(EventKind.Message).map((e) => Number(e.payload!.toString()))).toEqual(Array.from({ length: n }, (_, t) => t));
    await p.close();
  });

  it('delivers many messages in batches of at most about 1024 events, each topic made once per batch', async () => {
    const sub = new Probe(broker.port);
    const pub = new Probe(broker.port);
    await sub.connect();
    await pub.connect();
    const base = unique();
    sub.client.subscribe([`${base}/#`], [0], 1);
    await sub.until((q) => q.count(EventKind.Suback) > 0, 'SUBACK');
    const n = 20000;
    const first = batchSizes.length;
    for (let t = 0; t < n; t++) pub.client.publish(`${base}/${t % 3}`, Buffer.from(`m${t}`), 0, false, t + 1);
    await sub.until((q) => q.count(EventKind.Message) === n, `${n} messages`, 30000);
    const sizes = batchSizes.slice(first);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(1024);
    expect(sizes.length).toBeGreaterThan(1);
    expect(Math.max(...batchTopics.slice(first))).toBeLessThanOrEqual(3);
    const payloads = sub.of(EventKind.Message).map((e) => e.payload!.toString());
    expect(payloads).toEqual(Array.from({ length: n }, (_, t) => `m${t}`));
    await sub.close();
    await pub.close();
  });

  it.each([['the loop thread', false], ['the inline', true]])(
    '%s driver hands a payload over 64 KiB to JS in an array of its own, about 4 MiB of them a batch', async (_driver, inline) => {
      const sub = new Probe(broker.port, { maxPacketSize: 2 << 20 }, inline);
      const pub = new Probe(broker.port, { sendBufferSize: 2 << 20 });
      await sub.connect();
      await pub.connect();
      const base = unique();
      sub.client.subscribe([`${base}/#`], [1], 1);
      await sub.until((q) => q.count(EventKind.Suback) > 0, 'SUBACK');
      const sizes = [100, 65536, 65537, 70000, ...Array<number>(12).fill(1 << 20), 10, 200000];
      const first = batchLargeBytes.length;
      sizes.forEach((n, t) => pub.client.publish(`${base}/${t}`, Buffer.alloc(n, t + 1), 1, false, t + 1));
      await sub.until((q) => q.count(EventKind.Message) === sizes.length, `${sizes.length} messages`, 20000);
      const got = sub.of(EventKind.Message);
      expect(got.map((e) => e.topic)).toEqual(sizes.map((_, t) => `${base}/${t}`));
      got.forEach((e, t) => expect(e.payload!.equals(Buffer.alloc(sizes[t], t + 1))).toBe(true));
      // the flag marks exactly the payloads over 64 KiB (the WebAssembly
      // engine's driver copies every payload out of its memory into data)
      const large = (n: number) => engine === 'native' && n > 65536;
      expect(got.map((e) => (e.d & MESSAGE_LARGE_PAYLOAD) !== 0)).toEqual(sizes.map(large));
      const perBatch = batchLargeBytes.slice(first);
      expect(perBatch.reduce((a, b) => a + b, 0)).toBe(sizes.filter(large).reduce((a, b) => a + b, 0));
      expect(Math.max(...perBatch)).toBeLessThanOrEqual((4 << 20) + (1 << 20));   // a batch ends past 4 MiB
      await sub.close();
      await pub.close();
    });

  it('throws a TypeError naming the option for a wrong or missing option', () => {
    const good: NativeClientOptions = {
      host: '127.0.0.1', port: broker.port, protocolVersion: 4, clientId: 'x', clean: true, keepalive: 0,
      connectTimeout: 1000, maxInflight: 0, reconnectPeriod: 0, reconnectMaxPeriod: 0, reconnectFactor: 2, reconnectResetAfter: 0, reconnectJitter: true, maxPacketSize: 4096, sendBufferSize: 4096,
    };
    const create = native.createClient as (o: unknown) => NativeClient;
    const cases: Array<[unknown, RegExp]> = [
      [undefined, /options must be an object/],
      [{ ...good, host: 1 }, /options\.host must be a string/],
      [{ ...good, port: '1883' }, /options\.port must be an integer/],
      [{ ...good, clean: 1 }, /options\.clean must be a boolean/],
      [{ ...good, clientId: undefined }, /options\.clientId must be a string/],
      [{ ...good, password: 'secret' }, /options\.password must be a Buffer/],
      [{ ...good, will: { topic: 't', payload: Buffer.alloc(0), qos: '1', retain: false } }, /options\.will\.qos/],
      [{ ...good, tls: { rejectUnauthorized: 'no' } }, /options\.tls\.rejectUnauthorized must be a boolean/],
      [{ ...good, tls: { rejectUnauthorized: true, alpn: 'mqtt' } }, /options\.tls\.alpn must be an array/],
    ];
    for (const [options, message] of cases)
      expect(() => create(options)).toThrow(expect.objectContaining({ name: 'TypeError', message: expect.stringMatching(message) }));
    expect(() => create({ ...good, port: 70000 })).toThrow(RangeError);
    expect(() => create({ ...good, clientId: '', clean: false })).toThrow(expect.objectContaining({ code: 'TMQ_ERR_CLIENT_ID' }));
    expect(() => create({ ...good, tls: { rejectUnauthorized: true, ca: 'not a certificate' } }))
      .toThrow(expect.objectContaining({ code: 'TMQ_ERR_ARG' }));
  });

  it('throws a TypeError naming the argument for a wrong publish argument, and takes a string or a Buffer topic', async () => {
    const probe = new Probe(broker.port);
    const publish = probe.client.publish as (...args: unknown[]) => number;
    const good: unknown[] = [Buffer.from('t/args'), Buffer.from('x'), 0, false, 1, undefined];
    const cases: Array<[number, unknown, RegExp]> = [
      [0, 42, /topic must be a string or a Buffer/],
      [1, 'x', /payload must be a Buffer/],
      [1, undefined, /payload must be a Buffer/],
      [2, '0', /qos must be an integer/],
      [2, 0.5, /qos must be an integer/],
      [3, 0, /retain must be a boolean/],
      [4, 0, /token must be a positive 32-bit integer/],
      [4, '1', /token must be a positive 32-bit integer/],
      [5, 'props', /properties must be a Buffer or undefined/],
    ];
    for (const [at, value, message] of cases) {
      const args = good.slice();
      args[at] = value;
      expect(() => publish.apply(probe.client, args)).toThrow(expect.objectContaining({ name: 'TypeError', message: expect.stringMatching(message) }));
    }
    expect(publish.apply(probe.client, good)).toBeGreaterThan(0);                     // queued offline: not yet written
    expect(publish.apply(probe.client, ['t/args', new Uint8Array(2), 0, true, 2, Buffer.alloc(0)])).toBeGreaterThan(0);
    await probe.close();
  });

  it('reports a refused connection as a Disconnect event', async () => {
    const p = new Probe(await freePort());
    p.client.connect();
    await p.until((q) => q.count(EventKind.Disconnect) > 0, 'Disconnect');
    expect(native.strerror(p.of(EventKind.Disconnect)[0].a)).toBe('TMQ_ERR_REFUSED');
    await p.close();
  });
});

describe('a native client over TLS', () => {
  const tlsProbe = (port: number, tls: NativeClientOptions['tls']) => new Probe(port, { tls });

  async function outcome(p: Probe): Promise<string> {
    p.client.connect();
    await p.until((q) => q.count(EventKind.Connack) + q.count(EventKind.Disconnect) > 0, 'the handshake');
    const d = p.of(EventKind.Disconnect)[0];
    await p.close();
    return d ? native.strerror(d.a) : 'connected';
  }

  it('verifies the server with the CA given as PEM text (by IP address, and by servername)', async () => {
    const { ca } = broker.certs;
    expect(await outcome(tlsProbe(broker.tlsPort, { ca, rejectUnauthorized: true }))).toBe('connected');
    expect(await outcome(tlsProbe(broker.tlsPort, { ca, rejectUnauthorized: true, servername: 'localhost', alpn: ['mqtt'] })))
      .toBe('connected');
    expect(await outcome(tlsProbe(broker.tlsPort, { ca, rejectUnauthorized: true, servername: 'elsewhere.example' })))
      .toBe('TMQ_ERR_TLS_VERIFY');
  });

  it('refuses an untrusted server unless rejectUnauthorized is false', async () => {
    const { wrongCa } = broker.certs;
    expect(await outcome(tlsProbe(broker.tlsPort, { ca: wrongCa, rejectUnauthorized: true }))).toBe('TMQ_ERR_TLS_VERIFY');
    expect(await outcome(tlsProbe(broker.tlsPort, { ca: wrongCa, rejectUnauthorized: false }))).toBe('connected');
  });

  it('sends a client certificate, with an encrypted key and its passphrase', async () => {
    const { ca, clientCert: cert, clientKey: key, clientKeyEncrypted } = broker.certs;
    expect(await outcome(tlsProbe(broker.mtlsPort, { ca, cert, key, rejectUnauthorized: true }))).toBe('connected');
    expect(await outcome(tlsProbe(broker.mtlsPort, { ca, cert, key: clientKeyEncrypted, passphrase: KEY_PASSPHRASE, rejectUnauthorized: true })))
      .toBe('connected');
    expect(await outcome(tlsProbe(broker.mtlsPort, { ca, rejectUnauthorized: true }))).toBe('TMQ_ERR_TLS');
    expect(() => tlsProbe(broker.mtlsPort, { ca, cert, key: clientKeyEncrypted, passphrase: 'wrong', rejectUnauthorized: true }))
      .toThrow(expect.objectContaining({ code: 'TMQ_ERR_ARG' }));
  });

  it('publishes and receives over TLS', async () => {
    const p = tlsProbe(broker.tlsPort, { ca: broker.certs.ca, rejectUnauthorized: true });
    await p.connect();
    const base = unique();
    p.client.subscribe([`${base}/#`], [1], 1);
    await p.until((q) => q.count(EventKind.Suback) > 0, 'SUBACK');
    const big = Buffer.alloc(100_000, 7);   // several TLS records
    p.client.publish(`${base}/big`, big, 1, false, 2);
    await p.until((q) => q.count(EventKind.Message) === 1 && q.count(EventKind.Sent) === 1, 'the message');
    expect(p.of(EventKind.Message)[0].payload!.equals(big)).toBe(true);
    await p.close();
  });
});

describe('worker threads', () => {
  // The same round trip in a worker: its own environment, loop thread and handler.
  const workerCode = `
    const { parentPort, workerData } = require('node:worker_threads');
    const native = require(workerData.addon);
    const seen = [];
    let client;
    native.setBatchHandler((ev, bytes, topics) => {
      const data = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      for (let i = 0; i < ev.length; i += 6) {
        const kind = ev[i + 1], a = ev[i + 2], b = ev[i + 3], c = ev[i + 4];
        if (kind === 1) {
          client.subscribe([workerData.base + '/#'], [2], 1);
        } else if (kind === 4) {
          for (const qos of [0, 1, 2]) client.publish(workerData.base + '/' + qos, Buffer.from('w' + qos), qos, false, 10 + qos);
        } else if (kind === 3 || kind === 11) {   // Sent, Written (QoS 0)
          seen.push('sent ' + a);
        } else if (kind === 2) {
          seen.push(topics[a].slice(workerData.base.length) + ' ' + data.subarray(b, b + c).toString());
        } else if (kind === 10) {
          parentPort.postMessage(seen);
        }
        if (kind === 1 && workerData.stay) parentPort.postMessage('connected');
        if ((kind === 2 || kind === 3 || kind === 11) && seen.length === 6 && !workerData.stay) client.close();   // 3 messages, 3 acks
      }
    });
    client = native.createClient({ host: '127.0.0.1', port: workerData.port, protocolVersion: 5, clientId: '',
      clean: true, keepalive: 30, connectTimeout: 5000, maxInflight: 0, reconnectPeriod: 0, reconnectMaxPeriod: 0, reconnectFactor: 2, reconnectResetAfter: 0, reconnectJitter: true, maxPacketSize: 65536, sendBufferSize: 65536 });
    client.connect();`;

  function runWorker(stay = false): { worker: Worker; result: Promise<{ message: unknown; exitCode: number }> } {
    const worker = new Worker(workerCode, { eval: true, workerData: { addon: ADDON, port: broker.port, base: unique(), stay } });
    const result = new Promise<{ message: unknown; exitCode: number }>((resolve, reject) => {
      let message: unknown;
      worker.on('message', (m) => (message = m));
      worker.on('error', reject);
      worker.on('exit', (exitCode) => resolve({ message, exitCode }));
    });
    return { worker, result };
  }

  it('runs clients in several workers at once, each exiting by itself after close', async () => {
    const results = await Promise.all([0, 1, 2].map(() => runWorker().result));
    for (const r of results) {
      expect(r.exitCode).toBe(0);
      const seen = r.message as string[];
      expect(seen.filter((s) => !s.startsWith('sent'))).toEqual(['/0 w0', '/1 w1', '/2 w2']);
      expect(seen.filter((s) => s.startsWith('sent')).sort()).toEqual(['sent 10', 'sent 11', 'sent 12']);
    }
  });

  it('cleans up a worker terminated with a connected client, and the main thread keeps working', async () => {
    const { worker, result } = runWorker(true);
    await new Promise<void>((resolve) => worker.once('message', () => resolve()));
    expect(await worker.terminate()).toBe(1);
    await result;
    const p = new Probe(broker.port);
    await p.connect();
    await p.close();
  });
});

describe('process lifetime', () => {
  // the engine this run tests: the addon's file, or (TINYMQTT_ENGINE=wasm,
  // which the child inherits) the WebAssembly engine as lib/native.ts loads it
  const load = engine === 'wasm' ? `require(${JSON.stringify(path.join(packageRoot, 'dist', 'native.js'))}).native`
    : `require(${JSON.stringify(ADDON)})`;
  function script(body: string): string {
    return `
      const native = ${load};
      let client;
      native.setBatchHandler((ev) => {
        for (let i = 0; i < ev.length; i += 6) on(ev[i + 1], ev[i + 2]);
      });
      client = native.createClient({ host: '127.0.0.1', port: ${broker.port}, protocolVersion: 4, clientId: '',
        clean: true, keepalive: 30, connectTimeout: 5000, maxInflight: 0, reconnectPeriod: 0, reconnectMaxPeriod: 0, reconnectFactor: 2, reconnectResetAfter: 0, reconnectJitter: true, maxPacketSize: 65536, sendBufferSize: 65536 });
      client.connect();
      ${body}`;
  }

  function run(body: string, timeout = 10000) {
    const started = Date.now();
    const r = spawnSync(process.execPath, ['-e', script(body)], { encoding: 'utf8', timeout });
    return { ...r, ms: Date.now() - started };
  }

  it('exits by itself with one unref\'d connected client', () => {
    const r = run(`function on(kind) { if (kind === 1) { client.unref(); console.log('connected'); } }`);
    expect(r.error).toBeUndefined();   // no timeout
    expect(r.stdout).toBe('connected\n');
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  it('exits by itself once its only client is closed', () => {
    const r = run(`function on(kind) { if (kind === 1) client.close(); if (kind === 10) console.log('closed'); }`);
    expect(r.error).toBeUndefined();
    expect(r.stdout).toBe('closed\n');
    expect(r.status).toBe(0);
  });

  it('stays alive while a referenced client is open', () => {
    const r = run(`function on(kind) { if (kind === 1) console.log('connected'); }`, 1500);
    expect(r.stdout).toBe('connected\n');
    expect(r.signal).toBe('SIGTERM');   // killed by the timeout
  });

  it('turns an exception in the batch handler into an uncaught exception', () => {
    const r = run(`function on(kind) { if (kind === 1) throw new Error('handler failed'); }`);
    expect(r.error).toBeUndefined();
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/handler failed/);
  });
});
