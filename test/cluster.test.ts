// Failover across a real broker cluster: three aedes nodes, each in its own
// process, sharing sessions and routing messages through one Redis
// (support/cluster.ts). A subscriber and a publisher with persistent
// sessions and the node list stream numbered QoS 1 and QoS 2 messages while
// the node they use is SIGKILLed (and started again) twice per cycle (both
// nodes when the two clients are on different ones).
// tinymqtt and MQTT.js run the same stream on the same cluster, one after
// the other, and both results are printed.
//
// Each client's traffic passes through an AckTap with a port per node, which
// tells the broker's doing from the client's on the wire: a message the
// broker acknowledged (PUBACK, PUBREC) and never delivered is the cluster's
// loss; a QoS 2 message the subscriber got more often than the broker
// started an exchange with it (a PUBLISH under an id not open) is the
// client's duplicate, while a new exchange for a message already completed
// is the broker's. The test fails only on the client's faults; the broker's
// are printed (aedes writes PUBACK before it stores the message, and a node
// killed between the two loses it).
//
// The issue asks for 10 cycles of 2,000 messages (`npm run test:cluster`,
// or CLUSTER_CYCLES=10 CLUSTER_MESSAGES=2000); the default is its first 3
// cycles (each of 2,000 messages, half QoS 1, half QoS 2), what fits the
// suite's minute: each result prints where its seconds went (test/README.md
// has the figures).
// The cluster's own costs are most of them: a node handles about a
// thousand messages a second once V8 has compiled it, three to five times
// fewer while cold (so the spares warm up before they take a port), and a
// subscriber's session restore on the new node replays its queue from Redis
// one key at a time.
import mqtt from 'mqtt';
import { writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { MqttClient } from '../lib/index.js';
import { AckTap } from './support/ack-tap.js';
import { AedesCluster } from './support/cluster.js';
import { pollUntil } from './support/events.js';
import { beforeConnack, traceFirstSends, traceLosses, type FirstSends, type Kill, type LossReport } from './support/loss-trace.js';
import { StreamTally } from './support/stream-tally.js';

const CYCLES = Number(process.env.CLUSTER_CYCLES ?? 3);
const MESSAGES = Number(process.env.CLUSTER_MESSAGES ?? 2000);
/** publishes awaited at once by the publisher, the same for both libraries
 *  (CLUSTER_WINDOW to try another) */
const WINDOW = Number(process.env.CLUSTER_WINDOW ?? 50);
/** how long the subscriber may take to receive the rest after the last
 *  publish settled, and the quiet time after which nothing more is awaited
 *  (what the cluster lost never comes) */
const DRAIN_MS = 15000;
const QUIET_MS = 2000;
/** longest wait at a kill point for both clients to be connected */
const RECONNECT_MS = 10000;
/** each library's bound: about 6 ms a message was measured, so this is ample */
const TEST_MS = 60000 + CYCLES * MESSAGES * 20;

/** What the stream needs of a client library. */
interface StreamClient {
  publish(topic: string, payload: string, qos: 1 | 2): Promise<unknown>;
  subscribe(filter: string, qos: 1 | 2): Promise<unknown>;
  onMessage(fn: (topic: string, payload: Buffer) => void): void;
  /** the port of the node the client is on now, while connected */
  port(): number | undefined;
  /** CONNACKs after the first, how many of them had Session Present, and
   *  when the last came (performance.now()) */
  reconnects: { total: number; sessionPresent: number; last: number };
  /** error events by code */
  errors: Record<string, number>;
  end(): Promise<void>;
}

/** The client's CONNACKs from now on (its reconnects), counted, and when the last came. */
function countReconnects(client: { on(event: 'connect', fn: (connack: { sessionPresent: boolean }) => void): unknown }) {
  const reconnects = { total: 0, sessionPresent: 0, last: 0 };
  client.on('connect', ({ sessionPresent }) => {
    reconnects.total++;
    reconnects.last = performance.now();
    if (sessionPresent) reconnects.sessionPresent++;
  });
  return reconnects;
}

/** A tinymqtt client on the node list, with MQTT.js's reconnect timing
 *  and in-flight limit (test/README.md: with its own defaults, a jittered
 *  delay and 20 in flight, its subscriber restored its session while the
 *  publisher streamed, and aedes wrote messages before CONNACK). */
async function tinymqtt(clientId: string, ports: number[]): Promise<StreamClient> {
  const c = new MqttClient({
    servers: ports.map((port) => ({ host: '127.0.0.1', port })), clientId, clean: false, keepalive: 10, connectTimeout: 3000,
    // what MQTT.js does: a fixed 100 ms between rounds, no limit of its own
    // on the messages in flight (the stream's window is the limit for both)
    reconnectPeriod: 100, reconnectFactor: 1, reconnectJitter: false, maxInflight: WINDOW,
  });
  const errors: Record<string, number> = {};
  // each failed node is reported; counted by code, the stream's results are what count
  c.on('error', (e: { code?: string }) => { errors[e.code ?? '?'] = (errors[e.code ?? '?'] ?? 0) + 1; });
  await c.connect();
  return {
    errors,
    reconnects: countReconnects(c),
    publish: (t, p, qos) => c.publish(t, p, { qos }),
    subscribe: (f, qos) => c.subscribe(f, { qos }),
    onMessage: (fn) => c.on('message', fn),
    port: () => (c.connected ? c.server?.port : undefined),
    end: () => c.end({ force: true }),
  };
}

/** An MQTT.js client on the node list (its `servers` option). */
async function mqttjs(clientId: string, ports: number[]): Promise<StreamClient> {
  const c = await mqtt.connectAsync({
    servers: ports.map((port) => ({ host: '127.0.0.1', port })), clientId, clean: false, reconnectPeriod: 100,
    keepalive: 10, connectTimeout: 3000,
  });
  const errors: Record<string, number> = {};
  c.on('error', (e: Error & { code?: unknown }) => { errors[String(e.code)] = (errors[String(e.code)] ?? 0) + 1; });
  return {
    errors,
    reconnects: countReconnects(c),
    publish: (t, p, qos) => c.publishAsync(t, p, { qos }),
    subscribe: (f, qos) => c.subscribeAsync(f, { qos }),
    onMessage: (fn) => c.on('message', fn),
    port: () => (c.connected ? c.options.port : undefined),
    end: () => c.endAsync(true),
  };
}

/** What one library did on the cluster. */
interface Result {
  library: string;
  published: number;
  rejected: number;
  /** outOfOrder: first copies the subscriber got after a higher number's;
   *  brokerOutOfOrder: the same in the order the broker first sent them (the
   *  cluster's order); sentOutOfOrder: the publisher's first transmissions
   *  out of order (its own) */
  qos1: {
    missing: number; clusterLost: number; clientLost: number; sentToSubscriber: number; trace: LossReport; duplicated: number;
    outOfOrder: number; brokerOutOfOrder: number; sentOutOfOrder: number;
  };
  qos2: {
    missing: number; clusterLost: number; clientLost: number; sentToSubscriber: number; trace: LossReport;
    clientDuplicated: number; brokerDuplicated: number;
    outOfOrder: number; brokerOutOfOrder: number; sentOutOfOrder: number;
  };
  kills: number;
  /** the broker's first sends to the subscriber the client never answered */
  firstSends: FirstSends;
  /** the broker's PUBLISHes to the subscriber before its CONNACK */
  beforeConnack: { messages: number; connections: number };
  /** the clients' error events by code */
  errors: { subscriber: Record<string, number>; publisher: Record<string, number> };
  /** kill points where the two clients were on different nodes (both killed) */
  apart: number;
  /** packets per read the publisher's nodes got from it (how it batches) */
  publisherPacketsPerRead: number;
  /** the subscriber's and the publisher's reconnects with Session Present
   *  (aedes reports it only for a client with subscriptions) */
  sessionPresent: { subscriber: string; publisher: string };
  seconds: number;
  /** where the seconds went, and per kill the time until both clients were
   *  connected again (median and longest) */
  phases: Record<string, number>;
  reconnectMs: { median: number; max: number };
}

/** Milliseconds as seconds to a tenth. */
const tenths = (ms: number) => Math.round(ms / 100) / 10;

let cluster: AedesCluster;
const results: Result[] = [];
beforeAll(async () => { cluster = await AedesCluster.start(3); }, 2 * 60000);
afterAll(async () => {
  await cluster?.stop();
  for (const r of results) console.log(`cluster ${r.library}: ${JSON.stringify(r)}`);
});

/** The QoS 1 and QoS 2 numbered streams through the cluster with two kills
 *  per cycle of the node the publisher is on. */
async function stream(library: string, make: typeof tinymqtt): Promise<Result> {
  const started = performance.now();
  const subTap = await AckTap.startEach(cluster.ports);
  const pubTap = await AckTap.startEach(cluster.ports);
  const tag = `${library}-${Date.now()}`;
  const sub = await make(`sub-${tag}`, subTap.ports);
  const pub = await make(`pub-${tag}`, pubTap.ports);
  const [t1, t2] = [`cl/${tag}/q1`, `cl/${tag}/q2`];
  const q1 = new StreamTally(), q2 = new StreamTally();
  let lastArrival = performance.now();
  // payloads are a0, a1, ... (QoS 1) and b0, b1, ... (QoS 2): distinct on the wire
  sub.onMessage((topic, payload) => {
    lastArrival = performance.now();
    (topic === t1 ? q1 : topic === t2 ? q2 : undefined)?.add(Number(payload.subarray(1).toString()));
  });
  await sub.subscribe(t1, 1);
  await sub.subscribe(t2, 2);
  const phases = { setup: 0, publishing: 0, atKills: 0, settling: 0, draining: 0, teardown: 0 };
  let phaseStart = started;
  const phase = (name: keyof typeof phases) => {
    const now = performance.now();
    phases[name] += now - phaseStart;
    phaseStart = now;
  };
  phase('setup');
  /** per kill, how long until both clients had connected again */
  const reconnectMs: number[] = [];
  let killedAt = 0;
  const reconnected = () => {
    const back = Math.min(pub.reconnects.last, sub.reconnects.last);
    if (killedAt > 0 && back > killedAt) reconnectMs.push(back - killedAt);
  };
  const pending = new Set<Promise<unknown>>();
  let rejected = 0, kills = 0, apart = 0, n1 = 0, n2 = 0;
  const killLog: Kill[] = [];
  let restarting: Promise<void> = Promise.resolve();
  for (let cycle = 0; cycle < CYCLES; cycle++) {
    for (let k = 0; k < MESSAGES; k++) {
      if (k === Math.floor(MESSAGES / 3) || k === Math.floor((2 * MESSAGES) / 3)) {
        phase('publishing');
        reconnected();
        await restarting;   // the nodes killed last are back: a round always finds one
        // both clients connected (the other library's stream kills nodes
        // too), then the publisher's node and the subscriber's, when they
        // are apart (the third node stays up)
        await pollUntil(() => pub.port() !== undefined && sub.port() !== undefined, RECONNECT_MS);
        const nodes = [...new Set([pubTap.ports.indexOf(pub.port() ?? -1), subTap.ports.indexOf(sub.port() ?? -1)])].filter((i) => i >= 0);
        const killed: number[] = [];
        for (const node of nodes) {
          const t = performance.now();
          if (await cluster.kill(node)) {
            killed.push(node);
            killLog.push({ t, node });
          }
        }
        kills += killed.length;
        if (killed.length > 1) apart++;
        killedAt = performance.now();
        // started again from a warm spare once the clients have seen it gone
        restarting = new Promise((r) => setTimeout(r, 300)).then(async () => {
          for (const node of killed) await cluster.startNode(node);
        });
        restarting.catch(() => undefined);   // its failure is thrown where it is awaited
        phase('atKills');
      }
      const p = k % 2 === 0 ? pub.publish(t1, `a${n1++}`, 1) : pub.publish(t2, `b${n2++}`, 2);
      const tracked: Promise<unknown> = p.catch(() => { rejected++; }).finally(() => pending.delete(tracked));
      pending.add(tracked);
      // a full window is refilled by halves: publishes go out (and are read
      // by the node, stored in Redis) in batches, not one per acknowledgement
      if (pending.size >= WINDOW) while (pending.size > WINDOW / 2) await Promise.race(pending);
    }
  }
  phase('publishing');
  await Promise.all(pending);
  phase('settling');
  await pollUntil(() => (q1.missing(0, n1).length === 0 && q2.missing(0, n2).length === 0) ||
    performance.now() - lastArrival > QUIET_MS, DRAIN_MS);
  reconnected();
  phase('draining');
  await restarting;
  await sub.end();
  await pub.end();
  await subTap.stop();
  await pubTap.stop();
  phase('teardown');
  // missing: acknowledged to the publisher (the cluster's to deliver) or not
  // (the client's); of those, how many the broker did send the subscriber
  // (which then never acknowledged them: the broker's to send again)
  const lost = (tally: StreamTally, total: number, prefix: string) => {
    const missing = tally.missing(0, total);
    const clusterLost = missing.filter((n) => pubTap.acknowledged.has(`${prefix}${n}`)).length;
    const sentToSubscriber = missing.filter((n) => subTap.fromBroker.has(`${prefix}${n}`)).length;
    const trace = traceLosses(missing.map((n) => `${prefix}${n}`), prefix === 'a' ? 1 : 2, pubTap.wire, subTap.wire, killLog);
    return { missing: missing.length, clusterLost, clientLost: missing.length - clusterLost, sentToSubscriber, trace };
  };
  // first transmissions after a higher number's: the publisher's (its own
  // order) and the broker's to the subscriber (the cluster's)
  const breaks = (firsts: Iterable<string>, prefix: string) => {
    let highest = -1, out = 0;
    for (const t of firsts) {
      if (t[0] !== prefix) continue;
      const n = Number(t.slice(1));
      if (n < highest) out++;
      else highest = n;
    }
    return out;
  };
  if (process.env.CLUSTER_TRACE_FILE) {
    writeFileSync(`${process.env.CLUSTER_TRACE_FILE}.${library}.json`, JSON.stringify({
      kills: killLog, pub: pubTap.wire, sub: subTap.wire, missing1: q1.missing(0, n1), missing2: q2.missing(0, n2),
    }));
  }
  // a QoS 2 copy beyond the exchanges the broker started with that message is the client's
  const repeated2 = q2.repeated();
  const clientDuplicated = repeated2.filter(([n, copies]) => copies > (subTap.exchanges.get(`b${n}`) ?? 0)).length;
  return {
    library, published: n1 + n2, rejected, kills, apart, errors: { subscriber: sub.errors, publisher: pub.errors }, firstSends: traceFirstSends(subTap.wire),
    beforeConnack: beforeConnack(subTap.wire),
    publisherPacketsPerRead: Math.round((10 * pubTap.fromClientReads.packets) / Math.max(1, pubTap.fromClientReads.reads)) / 10,
    sessionPresent: {
      subscriber: `${sub.reconnects.sessionPresent} of ${sub.reconnects.total}`,
      publisher: `${pub.reconnects.sessionPresent} of ${pub.reconnects.total}`,
    },
    qos1: {
      ...lost(q1, n1, 'a'), duplicated: q1.duplicated,
      outOfOrder: q1.outOfOrder, brokerOutOfOrder: breaks(subTap.fromBroker, 'a'), sentOutOfOrder: breaks(pubTap.firstSent, 'a'),
    },
    qos2: {
      ...lost(q2, n2, 'b'), clientDuplicated, brokerDuplicated: repeated2.length - clientDuplicated,
      outOfOrder: q2.outOfOrder, brokerOutOfOrder: breaks(subTap.fromBroker, 'b'), sentOutOfOrder: breaks(pubTap.firstSent, 'b'),
    },
    seconds: tenths(performance.now() - started),
    phases: Object.fromEntries(Object.entries(phases).map(([name, ms]) => [name, tenths(ms)])),
    reconnectMs: { median: Math.round(reconnectMs.sort((a, b) => a - b)[reconnectMs.length >> 1] ?? 0), max: Math.round(reconnectMs.at(-1) ?? 0) },
  };
}

describe('a cluster of three aedes nodes over Redis, the node in use SIGKILLed twice per cycle', () => {
  it(`tinymqtt: ${CYCLES} cycles of ${MESSAGES} messages, every publish settles, nothing of the client's lost or duplicated`, async ({ expect }) => {
    const r = await stream('tinymqtt', tinymqtt);
    results.push(r);
    expect(r.kills).toBeGreaterThanOrEqual(2 * CYCLES);
    // the client's guarantees; what the cluster lost is printed, by phase
    // (test/README.md), not asserted: every publish settled, none rejected
    expect(r.rejected).toBe(0);
    // every message not acknowledged by a node was sent again until one did
    expect(r.qos1.clientLost).toBe(0);
    expect(r.qos2.clientLost).toBe(0);
    // the subscriber delivered each QoS 2 message at most once per exchange
    expect(r.qos2.clientDuplicated).toBe(0);
    // the publisher's first transmissions in the order published
    expect(r.qos1.sentOutOfOrder).toBe(0);
    expect(r.qos2.sentOutOfOrder).toBe(0);
    // the subscriber acknowledged only what it delivered: at QoS 1 always,
    // at QoS 2 but for a PUBLISH under an id whose exchange the broker had
    // left open (a duplicate until its PUBREL [MQTT-4.3.3-2])
    expect(r.qos1.trace.phases.sentAnswered).toBe(0);
    expect(r.qos2.trace.phases.sentAnswered).toBe(r.qos2.trace.sentAnsweredHeldId);
  }, TEST_MS);

  it('MQTT.js on the same cluster (measured, printed; not asserted)', async () => {
    results.push(await stream('mqtt.js', mqttjs));
  }, TEST_MS);
});
