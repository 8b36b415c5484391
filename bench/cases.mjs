// The benchmark cases: what each measures, with which parameters (full and
// --quick), for which implementations, and the metrics it reports. Counts
// are messages (or round trips, or clients); windows are publishes not yet
// completed; deadlines are per client process, in ms. Parameters the broker
// must provide for: `tls` (its TLS listener), `ws` (aedes over WebSockets beside it), `listeners` (plain listeners to
// spread clients over), `fileLimit` (open files of broker and client).
import { FILE_LIMIT } from './file_limit.mjs';
import { IMPLEMENTATIONS, byId } from './implementations.mjs';
import { idle } from './measure/idle.mjs';
import { latency } from './measure/latency.mjs';
import { CONSUMERS, shared } from './measure/shared.mjs';
import { throughput } from './measure/throughput.mjs';

// A metric: `key` names a figure of the measure's result; a label may be a
// function of the case's parameters.
const rate = (id, label) => ({ id, label, unit: 'msg/s', better: 'higher', key: 'msgsPerSec' });
const cpuMetrics = (name, label) => [
  { id: `${name}.pubCpu`, label: `${label} publisher CPU`, unit: 'µs/msg', better: 'lower', key: 'pubCpuUsPerMsg' },
  { id: `${name}.subCpu`, label: `${label} subscriber CPU`, unit: 'µs/msg', better: 'lower', key: 'subCpuUsPerMsg' },
];
const idleMetrics = (name) => [
  { id: `${name}.connect`, label: (p) => `${p.clients.toLocaleString('en')} idle clients: connect all`, unit: 'ms', better: 'lower', key: 'connectMs' },
  // anonymous memory (what the clients hold); the whole RSS beside it also
  // counts file-backed pages, such as the node binary's code the JIT first
  // touches, which grow once per process, not per client
  { id: `${name}.rss`, label: (p) => `${p.clients.toLocaleString('en')} idle clients: anonymous RSS per client`, unit: 'KiB', better: 'lower', key: 'rssKiBPerClient' },
  { id: `${name}.rssTotal`, label: (p) => `${p.clients.toLocaleString('en')} idle clients: whole RSS per client`, unit: 'KiB', better: 'lower', key: 'totalRssKiBPerClient' },
];

export const CASES = [
  {
    name: 'qos0', measure: throughput, impls: IMPLEMENTATIONS,
    full: { qos: 0, size: 64, count: 200_000, warmup: 20_000, window: 1000, repeats: 5, deadline: 60_000 },
    quick: { qos: 0, size: 64, count: 20_000, warmup: 2_000, window: 1000, repeats: 1, deadline: 30_000 },
    metrics: [rate('qos0.rate', 'QoS 0 64 B end to end'), ...cpuMetrics('qos0', 'QoS 0')],
  },
  {
    name: 'qos1', measure: throughput, impls: IMPLEMENTATIONS,
    full: { qos: 1, size: 64, count: 50_000, warmup: 5_000, window: 100, repeats: 5, deadline: 60_000 },
    quick: { qos: 1, size: 64, count: 5_000, warmup: 500, window: 100, repeats: 1, deadline: 30_000 },
    metrics: [rate('qos1.rate', 'QoS 1 64 B end to end')],
  },
  {
    name: 'qos2', measure: throughput, impls: IMPLEMENTATIONS,
    full: { qos: 2, size: 64, count: 20_000, warmup: 2_000, window: 100, repeats: 5, deadline: 60_000 },
    quick: { qos: 2, size: 64, count: 2_000, warmup: 200, window: 100, repeats: 1, deadline: 30_000 },
    metrics: [rate('qos2.rate', 'QoS 2 64 B end to end')],
  },
  {
    // qos1 over mqtts:// to the broker's TLS listener; clients verify its certificate with the CA
    name: 'qos1tls', measure: throughput, impls: IMPLEMENTATIONS,
    full: { qos: 1, size: 64, count: 50_000, warmup: 5_000, window: 100, tls: true, repeats: 5, deadline: 60_000 },
    quick: { qos: 1, size: 64, count: 5_000, warmup: 500, window: 100, tls: true, repeats: 1, deadline: 30_000 },
    metrics: [rate('qos1tls.rate', 'QoS 1 64 B over TLS end to end'), ...cpuMetrics('qos1tls', 'QoS 1 over TLS')],
  },
  {
    // qos0 over ws:// to aedes behind the ws package (ws_server.mjs): mosquitto
    // 2.0.11 of Debian has no WebSocket listener, and libmosquitto no
    // WebSocket client, so tinymqtt against MQTT.js only
    name: 'ws', measure: throughput, impls: IMPLEMENTATIONS.filter((impl) => impl.id !== 'libmosquitto'),
    full: { qos: 0, size: 64, count: 100_000, warmup: 10_000, window: 1000, ws: true, repeats: 5, deadline: 60_000 },
    quick: { qos: 0, size: 64, count: 10_000, warmup: 1_000, window: 1000, ws: true, repeats: 1, deadline: 30_000 },
    metrics: [rate('ws.rate', 'QoS 0 64 B over WebSockets end to end'), ...cpuMetrics('ws', 'QoS 0 over WebSockets')],
  },
  {
    // the warm-up takes the JS implementations past V8's tiering (about
    // 1,500 round trips here), so the figures are the steady state's
    name: 'latency', measure: latency, impls: IMPLEMENTATIONS,
    full: { size: 64, count: 5_000, warmup: 3_000, repeats: 5, deadline: 60_000 },
    quick: { size: 64, count: 500, warmup: 300, repeats: 1, deadline: 30_000 },
    metrics: [
      { id: 'latency.p50', label: 'ping-pong QoS 0 latency p50', unit: 'µs', better: 'lower', key: 'p50Us' },
      { id: 'latency.p99', label: 'ping-pong QoS 0 latency p99', unit: 'µs', better: 'lower', key: 'p99Us' },
    ],
  },
  {
    name: 'idle', measure: idle, impls: IMPLEMENTATIONS,
    full: { clients: 1_000, concurrency: 100, repeats: 1, deadline: 60_000 },
    quick: { clients: 100, concurrency: 100, repeats: 1, deadline: 30_000 },
    metrics: idleMetrics('idle'),
  },
  {
    name: 'idle10k', measure: idle, impls: [byId('tinymqtt')],
    full: { clients: 10_000, concurrency: 100, repeats: 1, deadline: 120_000 },
    quick: { clients: 1_000, concurrency: 100, repeats: 1, deadline: 60_000 },
    metrics: idleMetrics('idle10k'),
  },
  {
    // the warm-up (100 MiB) takes every implementation past the first
    // collection of the payloads it has handed out: before it, a JS
    // subscriber writes each payload into memory the process has not
    // touched yet, which on this machine costs more than the rest of the
    // message (bench/README.md, "Large messages")
    name: 'large', measure: throughput, impls: IMPLEMENTATIONS,
    full: { qos: 1, size: 1 << 20, count: 100, warmup: 100, window: 10, repeats: 5, deadline: 60_000 },
    quick: { qos: 1, size: 1 << 20, count: 10, warmup: 2, window: 10, repeats: 1, deadline: 30_000 },
    metrics: [{ id: 'large.rate', label: '1 MiB QoS 1 end to end', unit: 'MB/s', better: 'higher', key: 'mbPerSec' }],
  },
  {
    // QoS 1 consumers splitting one stream through $share/bench/...: 1, 2
    // and 4 consumer processes (measure/shared.mjs). Not run by default.
    name: 'shared', measure: shared, impls: [byId('tinymqtt'), byId('mqttjs'), byId('libmosquitto')], optional: true,
    full: { qos: 1, size: 64, count: 50_000, window: 100, repeats: 3, deadline: 60_000 },
    quick: { qos: 1, size: 64, count: 5_000, window: 100, repeats: 1, deadline: 30_000 },
    metrics: CONSUMERS.map((n) => ({
      ...rate(`shared.rate${n}`, `QoS 1 64 B, ${n} shared-subscription consumer${n > 1 ? 's' : ''}`), key: `rate${n}`,
    })),
  },
  {
    // One destination port offers one client address about 28,000 ephemeral
    // ports (ip_local_port_range), so the clients are spread over `listeners`
    // plain listeners; they are ended at the end and the time it takes is
    // reported. Not run by default (bench/README.md).
    name: 'idle100k', measure: idle, impls: [byId('tinymqtt')], optional: true,
    full: { clients: 100_000, listeners: 5, concurrency: 100, fileLimit: 110_000, end: true, repeats: 1, deadline: 300_000 },
    quick: { clients: 10_000, listeners: 5, concurrency: 100, end: true, repeats: 1, deadline: 120_000 },
    metrics: [
      ...idleMetrics('idle100k'),
      { id: 'idle100k.end', label: (p) => `${p.clients.toLocaleString('en')} idle clients: end all`, unit: 'ms', better: 'lower', key: 'endMs' },
    ],
  },
];

export const CASE_NAMES = CASES.map((c) => c.name);
/** The cases a run without --case runs. */
export const DEFAULT_CASE_NAMES = CASES.filter((c) => !c.optional).map((c) => c.name);

/** What the broker must provide for `cases` (their full or quick
 *  parameters): the options of startBroker (broker.mjs). */
export function brokerOptions(cases, quick) {
  const params = cases.map((kase) => (quick ? kase.quick : kase.full));
  return {
    listeners: Math.max(1, ...params.map((p) => p.listeners ?? 1)),
    tls: params.some((p) => p.tls),
    ws: params.some((p) => p.ws),
    fileLimit: Math.max(FILE_LIMIT, ...params.map((p) => p.fileLimit ?? 0)),
  };
}
