// tinymqtt bench: publish/receive throughput and round-trip latency against
// a broker given by -h/-p/-L, or the embedded one; a progress bar on a
// terminal's stderr, then a table (or one JSON object) on stdout.
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { checkTopic } from '../validate.js';
import { latency, Limits, throughput, type BenchPlan, type LatencyResult, type ThroughputResult } from './bench-runs.js';
import { startEmbeddedBroker, type EmbeddedBroker } from './embedded-broker.js';
import { CONNECTION_FLAGS, CONNECTION_HELP, CliError, EXIT, MAX_SECONDS, clientOptions, intFlag } from './options.js';
import { ProgressBar } from './progress.js';

export const BENCH_HELP = `Usage: tinymqtt bench [options]

Measures publish and receive throughput and round-trip latency against an
MQTT broker, or, when none of -h, -p and -L is given, against an embedded one
(aedes, in this process, on a free 127.0.0.1 port: nothing to install).

Benchmark:
  -n, --count N           messages of the throughput run (default 10000)
  -s, --size BYTES        payload size, 0 to 1048576 (default 64)
  -R, --round-trips N     round trips of the latency run, 0 to skip it
                          (default 1000)
  -t, --topic PREFIX      topics PREFIX/throughput and PREFIX/latency
                          (default tinymqtt/bench/ and a random suffix)
  -W, --timeout SEC       give up after SEC seconds in all (default 60; code 4)

Throughput: one client subscribes, another publishes N messages at QoS -q,
at most 100 of them not yet completed (QoS 0: handed over, 1: PUBACK,
2: PUBCOMP) and 20 unacknowledged on the wire (mosquitto's default limit).
"publish" is the rate from the first publish to the last completed,
"receive" the rate from the first publish to the last message received. A
message that has not arrived 1 s after the last one is counted as lost (a
broker may drop QoS 0 messages). Latency: one client publishes a message to
a topic it subscribes to and waits for it to come back (and, at QoS 1 or 2,
to complete), then the next: p50, p99 and the slowest round trip. With -i
ID the clients are ID-sub, ID-pub and ID-rtt.

A progress bar goes to stderr when it is a terminal; the table to stdout.

${CONNECTION_HELP}
With --json it prints one object instead of the table: {"broker",
"embedded", "qos", "count", "size", "publish": {"messages", "seconds",
"perSecond"}, "receive": {"messages", "lost", "seconds", "perSecond"},
"latency": {"roundTrips", "p50Ms", "p99Ms", "maxMs"} or null}.`;

const FLAGS = {
  ...CONNECTION_FLAGS,
  count: { type: 'string', short: 'n' },
  size: { type: 'string', short: 's' },
  'round-trips': { type: 'string', short: 'R' },
  topic: { type: 'string', short: 't' },
  timeout: { type: 'string', short: 'W' },
} as const;

/** QoS 1/2 publishes a client keeps unacknowledged at once: mosquitto's
 *  default max_inflight_messages, beyond which mosquitto 2.0 acknowledges
 *  incoming QoS 2 messages and drops them (MQTT 3.1.1 has no way to say so). */
const MAX_INFLIGHT = 20;

/** The largest payload -s takes. */
const MAX_SIZE = 1 << 20;

/** What bench prints, as --json gives it. */
interface BenchReport extends ThroughputResult {
  broker: string;
  embedded: boolean;
  qos: number;
  count: number;
  size: number;
  latency: LatencyResult | null;
}

const whole = (n: number) => Math.round(n).toLocaleString('en-US');
const fixed = (n: number, digits: number) => n.toFixed(digits);

/** Rows as a table: the first column left-aligned, the others right-aligned. */
function table(rows: string[][]): string {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows.map((r) => `  ${r.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join('   ')}`.trimEnd()).join('\n');
}

/** The report as the summary table. */
function summary(r: BenchReport): string {
  const mb = (perSecond: number) => fixed((perSecond * r.size) / 1e6, 2);
  const head = `tinymqtt bench: ${whole(r.count)} messages of ${whole(r.size)} bytes at QoS ${r.qos}, ${r.broker}${r.embedded ? ' (embedded aedes)' : ''}`;
  const throughputRows = [
    ['', 'messages', 'seconds', 'msg/s', 'MB/s', 'lost'],
    ['publish', whole(r.publish.messages), fixed(r.publish.seconds, 3), whole(r.publish.perSecond), mb(r.publish.perSecond), ''],
    ['receive', whole(r.receive.messages), fixed(r.receive.seconds, 3), whole(r.receive.perSecond), mb(r.receive.perSecond), whole(r.receive.lost)],
  ];
  const parts = [head, '', table(throughputRows)];
  if (r.latency) {
    const l = r.latency;
    parts.push('', table([
      ['', 'round trips', 'p50 ms', 'p99 ms', 'max ms'],
      ['latency', whole(l.roundTrips), fixed(l.p50Ms, 3), fixed(l.p99Ms, 3), fixed(l.maxMs, 3)],
    ]));
  }
  return parts.join('\n');
}

type Flags = ReturnType<typeof parseArgs<{ args: string[]; options: typeof FLAGS; strict: true }>>['values'];

/** The plan the flags ask for; the embedded broker's address is filled in later. */
function plan(flags: Flags): BenchPlan & { embedded: boolean; seconds: number } {
  const { options, qos, urlTopic } = clientOptions(flags);
  const embedded = flags.host === undefined && flags.port === undefined && flags.url === undefined;
  if (embedded && options.protocol === 'mqtts')
    throw new CliError('--cafile, --cert and --insecure need a broker given with -h, -p or -L: the embedded one has no TLS', EXIT.usage);
  if (embedded && options.protocolVersion === 5)
    throw new CliError('-V mqttv5 needs a broker given with -h, -p or -L: the embedded one (aedes) speaks MQTT 3.1 and 3.1.1', EXIT.usage);
  const topic = flags.topic ?? urlTopic ?? `tinymqtt/bench/${randomBytes(4).toString('hex')}`;
  checkTopic('-t', topic);
  const size = intFlag('-s', flags.size, 0, MAX_SIZE, 64);
  return {
    options: {
      ...options, maxInflight: MAX_INFLIGHT, maxPacketSize: Math.max(1 << 20, size + 1024), sendBufferSize: Math.max(2 << 20, size + 1024),
    },
    topic,
    qos,
    count: intFlag('-n', flags.count, 1, 10_000_000, 10_000),
    size,
    roundTrips: intFlag('-R', flags['round-trips'], 0, 1_000_000, 1000),
    embedded,
    seconds: intFlag('-W', flags.timeout, 1, MAX_SECONDS, 60),
  };
}

/** mqtt[s]://host:port, without credentials. */
function brokerName(o: BenchPlan['options']): string {
  const protocol = o.protocol ?? 'mqtt';
  return `${protocol}://${o.host ?? 'localhost'}:${o.port ?? (protocol === 'mqtts' ? 8883 : 1883)}`;
}

/** Runs `tinymqtt bench` with its arguments (--help is main's); resolves to the exit code. */
export async function bench(args: string[]): Promise<number> {
  const { values: flags } = parseArgs({ args, options: FLAGS, strict: true });
  const p = plan(flags);
  let broker: EmbeddedBroker | undefined;
  try {
    if (p.embedded) {
      broker = await startEmbeddedBroker();
      p.options = { ...p.options, host: broker.host, port: broker.port };
    }
    const limits = new Limits(p.seconds);
    const bar = new ProgressBar();
    try {
      const flow = await throughput(p, limits, bar);
      const rtt = p.roundTrips > 0 ? await latency(p, limits, bar) : null;
      const report: BenchReport = {
        broker: brokerName(p.options),
        embedded: p.embedded,
        qos: p.qos,
        count: p.count,
        size: p.size,
        ...flow,
        latency: rtt,
      };
      console.log(flags.json ? JSON.stringify(report) : summary(report));
    } finally {
      bar.clear();
    }
  } finally {
    await broker?.stop();
  }
  return EXIT.ok;
}
