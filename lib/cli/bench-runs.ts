// The two measurements of `tinymqtt bench`, with the project's own client:
// throughput (one client publishes, another receives) and round-trip latency
// (one client receives what it publishes). Both are bounded by a deadline and
// end at once when a client loses its connection.
import { performance } from 'node:perf_hooks';
import type { MqttClient, MqttClientOptions, QoS } from '../client.js';
import { CliError, EXIT } from './options.js';
import type { ProgressBar } from './progress.js';
import { connectClient, failure } from './run.js';

/** What to measure, and against which broker. */
export interface BenchPlan {
  options: MqttClientOptions;
  /** the topic prefix: the runs use PREFIX/throughput and PREFIX/latency */
  topic: string;
  qos: QoS;
  count: number;
  size: number;
  roundTrips: number;
}

/** A rate over a run. */
export interface Rate { messages: number; seconds: number; perSecond: number }

export interface ThroughputResult { publish: Rate; receive: Rate & { lost: number } }

export interface LatencyResult { roundTrips: number; p50Ms: number; p99Ms: number; maxMs: number }

/** Publishes completed (QoS 0: handed over or written, 1: PUBACK, 2:
 *  PUBCOMP) may trail the publisher by at most this many. */
const WINDOW = 100;
/** Once everything is published, the receiver is done when this long passes
 *  with no message: the rest was lost (a broker may drop QoS 0). */
const QUIET_MS = 1000;

/** The deadline of a bench, and the connection losses that end it early. */
export class Limits {
  readonly #deadline: number;
  readonly #lost: Promise<never>;
  #fail!: (e: CliError) => void;

  constructor(readonly seconds: number) {
    this.#deadline = performance.now() + seconds * 1000;
    this.#lost = new Promise<never>((_, reject) => { this.#fail = reject; });
    this.#lost.catch(() => {});   // heard through within()
  }

  /** Opens a client named `role` (its client id's suffix with -i), watched
   *  for a lost connection until release(); its connect timeout ends by the
   *  deadline. */
  async open(options: MqttClientOptions, role: string): Promise<MqttClient> {
    const left = Math.max(1, Math.round(this.#deadline - performance.now()));
    const client = await connectClient({
      ...options,
      ...(options.clientId === undefined ? {} : { clientId: `${options.clientId}-${role}` }),
      connectTimeout: Math.min(options.connectTimeout ?? 30_000, left),
    });
    client.on('offline', () => this.#fail(new CliError(`the ${role} client lost its connection`, EXIT.connection)));
    return client;
  }

  /** Stops watching `client` (before ending it: ending takes it offline too). */
  release(client: MqttClient): void {
    client.removeAllListeners('offline');
  }

  /** `work`, unless the deadline comes first (a timeout error saying
   *  `where()` it stood) or a client loses its connection. */
  async within<T>(work: Promise<T>, where: () => string): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new CliError(`timed out after ${this.seconds} s (-W) with ${where()}`, EXIT.timeout)),
        Math.max(0, this.#deadline - performance.now()));
    });
    try {
      return await Promise.race([work, this.#lost, late]);
    } finally {
      clearTimeout(timer);
    }
  }
}

const count = (n: number) => n.toLocaleString('en-US');

/** `n` rounded to `digits` decimals. */
const round = (n: number, digits: number) => Math.round(n * 10 ** digits) / 10 ** digits;

/** A rate of `messages` over `ms`: seconds to the microsecond, the rate to a tenth. */
function rate(messages: number, ms: number): Rate {
  return { messages, seconds: round(ms / 1000, 6), perSecond: ms > 0 ? round((messages * 1000) / ms, 1) : 0 };
}

/** Subscribes `client` to `topic` at `qos`, as an operation failure. */
async function subscribe(client: MqttClient, topic: string, qos: QoS, limits: Limits): Promise<void> {
  try {
    await limits.within(client.subscribe(topic, { qos }), () => `no SUBACK for ${topic}`);
  } catch (e) {
    throw failure(e, EXIT.operation, `subscribe to ${topic} failed`);
  }
}

/** Runs `body` with the clients `roles` opened, and ends them whatever happens. */
async function withClients<T>(plan: BenchPlan, limits: Limits, roles: string[], body: (clients: MqttClient[]) => Promise<T>): Promise<T> {
  const clients: MqttClient[] = [];
  try {
    for (const role of roles) clients.push(await limits.open(plan.options, role));
    const result = await body(clients);
    clients.forEach((c) => limits.release(c));
    await Promise.all(clients.map((c) => limits.within(c.end(), () => 'the clients disconnecting')));
    return result;
  } finally {
    await Promise.all(clients.map((c) => c.end({ force: true })));
  }
}

/** One client publishes `count` messages to PREFIX/throughput, at most
 *  WINDOW not yet completed, while another, subscribed, receives them. The
 *  publish rate runs from the first publish to the last completed; the
 *  receive rate to the last message received. */
export function throughput(plan: BenchPlan, limits: Limits, bar: ProgressBar): Promise<ThroughputResult> {
  const topic = `${plan.topic}/throughput`;
  return withClients(plan, limits, ['sub', 'pub'], async ([subscriber, publisher]) => {
    let received = 0, sent = 0, completed = 0, lastArrival = 0;
    const where = () => `${count(completed)} of ${count(plan.count)} published, ${count(received)} received`;
    const show = (force = false) => bar.update('throughput', received, plan.count, where(), force);
    subscriber.on('message', (t) => {
      if (t !== topic) return;
      received++;
      lastArrival = performance.now();
      show();
    });
    await subscribe(subscriber, topic, plan.qos, limits);

    const payload = Buffer.alloc(plan.size, 'x');
    const start = performance.now();
    await limits.within(new Promise<void>((resolve, reject) => {
      const pump = () => {
        for (; sent < plan.count && sent - completed < WINDOW; sent++) {
          publisher.publish(topic, payload, { qos: plan.qos }).then(() => {
            completed++;
            if (completed === plan.count) resolve();
            else pump();
          }, (e) => reject(failure(e, EXIT.operation, `publish to ${topic} failed`)));
        }
      };
      pump();
    }), where);
    const published = performance.now();

    let check: NodeJS.Timeout | undefined;
    try {
      await limits.within(new Promise<void>((resolve) => {
        check = setInterval(() => {
          if (received >= plan.count || performance.now() - Math.max(published, lastArrival) > QUIET_MS) resolve();
        }, 10);
      }), where);
    } finally {
      clearInterval(check);
    }
    show(true);
    bar.clear();
    return {
      publish: rate(completed, published - start),
      receive: { ...rate(received, received > 0 ? lastArrival - start : 0), lost: plan.count - received },
    };
  });
}

/** The p-th percentile (nearest rank) of a list sorted ascending. */
function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length))) - 1];
}

/** One client subscribed to PREFIX/latency publishes a message there and
 *  waits until it has both come back and completed, `roundTrips` times. */
export function latency(plan: BenchPlan, limits: Limits, bar: ProgressBar): Promise<LatencyResult> {
  const topic = `${plan.topic}/latency`;
  return withClients(plan, limits, ['rtt'], async ([client]) => {
    let echoed = () => {};
    client.on('message', (t) => { if (t === topic) echoed(); });
    await subscribe(client, topic, plan.qos, limits);
    const payload = Buffer.alloc(plan.size, 'x');
    const samples: number[] = [];
    const where = () => `${count(samples.length)} of ${count(plan.roundTrips)} round trips`;
    while (samples.length < plan.roundTrips) {
      const echo = new Promise<void>((resolve) => { echoed = resolve; });
      const t = performance.now();
      const sent = client.publish(topic, payload, { qos: plan.qos }).catch((e) => { throw failure(e, EXIT.operation, `publish to ${topic} failed`); });
      await limits.within(Promise.all([sent, echo]), where);
      samples.push(performance.now() - t);
      bar.update('latency   ', samples.length, plan.roundTrips, where());
    }
    bar.clear();
    samples.sort((a, b) => a - b);
    const ms = (n: number) => round(n, 3);
    return { roundTrips: samples.length, p50Ms: ms(percentile(samples, 50)), p99Ms: ms(percentile(samples, 99)), maxMs: ms(samples[samples.length - 1]) };
  });
}
