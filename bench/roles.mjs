// What a Node client process does in a benchmark, the same for every Node
// implementation, over the interface of clients/interface.mjs. mosq_bench.c
// does the same for libmosquitto, with the same keys and the same result
// fields: raw figures (nanoseconds, CPU microseconds, bytes); rates are
// computed by the parent. Each role stops by itself at its deadline (ms).
// Only here: the idle keys `ports` and `end`, which the tinymqtt-only case
// idle100k uses.
import { performance } from 'node:perf_hooks';
import { readFileSync } from 'node:fs';

const nowNs = () => Math.round(performance.now() * 1e6);
/** User plus system CPU of the whole process (every thread), microseconds. */
const cpuUs = () => { const u = process.cpuUsage(); return u.user + u.system; };

/** Resolves to true when `promise` settles first, false when `deadline`
 *  (a performance.now() time) comes first. */
async function beforeDeadline(promise, deadline) {
  let timer;
  const late = new Promise((resolve) => { timer = setTimeout(resolve, Math.max(0, deadline - performance.now()), false); });
  try {
    return await Promise.race([promise.then(() => true), late]);
  } finally {
    clearTimeout(timer);
  }
}

/** A promise that rejects when the client's connection is lost (never
 *  resolves): raced against what a role waits for. */
function lostConnection(client) {
  const lost = new Promise((_, reject) => client.onLost(reject));
  lost.catch(() => {});   // heard through the race
  return lost;
}

/** Counts events (messages received, publishes completed) and measures time
 *  and CPU from event `warmup` to event `warmup + count`. */
class Interval {
  constructor({ warmup, count }) {
    this.warmup = warmup;
    this.total = warmup + count;
    this.count = count;
    this.events = 0;
    this.done = new Promise((resolve) => { this.finish = resolve; });
  }

  tick() {
    this.events++;
    if (this.events === this.warmup) [this.t0, this.cpu0] = [nowNs(), cpuUs()];
    if (this.events === this.total) {
      [this.t1, this.cpu1] = [nowNs(), cpuUs()];
      this.finish();
    }
  }

  result(extra) {
    const measured = this.t1 !== undefined;
    return {
      count: measured ? this.count : 0, ns: measured ? this.t1 - this.t0 : 0, cpuUs: measured ? this.cpu1 - this.cpu0 : 0,
      events: this.events, timedOut: !measured, ...extra,
    };
  }
}

/** Options of a measuring client: its window, room for the payload, the CA
 *  file when it connects over TLS, and `ws` (1) when over WebSockets. */
const clientOptions = (p, name) => ({
  port: p.port, clientId: `${name}-${process.pid}`, maxInflight: p.window ?? 0,
  maxPacketSize: Math.max(1 << 20, (p.size ?? 0) + 1024), cafile: p.cafile, ws: p.ws,
});

/** Receives warmup + count messages on `topic` at `qos`. */
async function sub(open, p, ready) {
  const client = await open(clientOptions(p, 'sub'));
  const interval = new Interval(p);
  let bad = 0;
  client.onMessage((_topic, payload) => {
    if (payload.length !== p.size) bad++;
    interval.tick();
  });
  await client.subscribe(p.topic, p.qos);
  ready();
  await beforeDeadline(Promise.race([interval.done, lostConnection(client)]), p.deadlineAt);
  await client.end();
  return interval.result({ bad });
}

/** Publishes warmup + count messages, keeping at most `window` not yet
 *  completed (QoS 0: written, 1: PUBACK, 2: PUBCOMP). */
async function pub(open, p, ready) {
  const client = await open(clientOptions(p, 'pub'));
  ready();
  const payload = Buffer.alloc(p.size, 'x');
  const interval = new Interval(p);
  let sent = 0, failure;
  const pump = () => {
    for (; sent < interval.total && sent - interval.events < p.window; sent++)
      client.publish(p.topic, payload, p.qos).then(completed, (e) => { failure ??= e; interval.finish(); });
  };
  const completed = () => { interval.tick(); pump(); };
  pump();
  await beforeDeadline(Promise.race([interval.done, lostConnection(client)]), p.deadlineAt);
  if (failure) throw failure;
  await client.end();
  return interval.result({});
}

/** Publishes one QoS 0 message, waits for its echo, and again: warmup +
 *  count round trips; reports the last count in microseconds. */
async function ping(open, p, ready) {
  const client = await open(clientOptions(p, 'ping'));
  const lost = lostConnection(client);
  let echoed = () => {};
  client.onMessage(() => echoed());
  await client.subscribe(p.topic, 0);
  ready();
  const payload = Buffer.alloc(p.size, 'x');
  const samplesUs = [];
  let round = 0;
  for (; round < p.warmup + p.count; round++) {
    const echo = new Promise((resolve) => { echoed = resolve; });
    const t = performance.now();
    const roundTrip = Promise.all([client.publish(p.topic, payload, 0), echo]);
    if (!(await beforeDeadline(Promise.race([roundTrip, lost]), p.deadlineAt))) break;
    if (round >= p.warmup) samplesUs.push(Math.round((performance.now() - t) * 1e4) / 10);
  }
  await client.end();
  return { samplesUs, timedOut: round < p.warmup + p.count };
}

/** After a full garbage collection (the process runs with --expose-gc):
 *  { rss, anon }, the resident set and its anonymous part in bytes
 *  (/proc/self/status RssAnon: without the file-backed pages, such as the
 *  node binary's code the JIT first touches, which no client owns). */
function settledRss() {
  globalThis.gc();
  const anonKiB = Number(/^RssAnon:\s+(\d+) kB/m.exec(readFileSync('/proc/self/status', 'utf8'))[1]);
  return { rss: process.memoryUsage().rss, anon: anonKiB * 1024 };
}

/** Connects `clients` idle clients (at most `concurrency` waiting for
 *  CONNACK at once) after one warm-up client, client i to port i mod the
 *  comma-separated `ports` (default: `port`); reports the time and the RSS
 *  before and after. With `end` it then ends them all, the warm-up client
 *  too, and reports how many ended and the time; otherwise they are left to
 *  the process exit. */
async function idle(open, p, ready) {
  const warm = await open(clientOptions(p, 'warm'));
  ready();
  const ports = p.ports ? p.ports.split(',').map(Number) : [p.port];
  const before = settledRss();
  const t0 = nowNs();
  const clients = [];
  let started = 0;
  const lane = async () => {
    while (started < p.clients && performance.now() < p.deadlineAt) {
      const index = started++;
      clients.push(await open({ ...clientOptions(p, `idle${index}`), port: ports[index % ports.length] }));
    }
  };
  await beforeDeadline(Promise.all(Array.from({ length: p.concurrency }, lane)), p.deadlineAt);
  const connectNs = nowNs() - t0;
  await new Promise((resolve) => setTimeout(resolve, 500));
  const after = settledRss();
  const figures = {
    clients: p.clients, connected: clients.length, connectNs, rssBefore: before.rss, rssAfter: after.rss,
    anonBefore: before.anon, anonAfter: after.anon, timedOut: clients.length < p.clients,
  };
  if (!p.end) return figures;
  const t1 = nowNs();
  let ended = 0;
  const endAll = Promise.all([warm, ...clients].map((client) => client.end().then(() => { ended++; })));
  await beforeDeadline(endAll, p.deadlineAt);
  return { ...figures, ended, endNs: nowNs() - t1 };
}

/** The roles by name: each (open, params, ready) => result. */
export const ROLES = { sub, pub, ping, idle };
