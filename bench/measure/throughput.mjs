// End-to-end throughput: a subscriber process and a publisher process of one
// implementation on one topic, the subscriber ready before the publisher
// starts; the rate is what the subscriber received over its measured interval.
// With `tls` both connect to the broker's TLS listener and verify it with its CA;
// with `ws` both connect over ws:// to aedes (broker.ws), whose CPU is counted instead.
import { performance } from 'node:perf_hooks';
import { startClient } from '../child.mjs';

/** One run: { msgsPerSec, mbPerSec, pubMsgsPerSec, pubCpuUsPerMsg,
 *  subCpuUsPerMsg, brokerCpuUsPerMsg, brokerBusy }; the broker's figures
 *  cover the whole run, warm-up included (brokerBusy: share of one core from
 *  the subscriber's ready line to the end). */
export async function throughput(impl, p, { port, broker: mosquitto, topic }) {
  const broker = p.ws ? mosquitto.ws : mosquitto;
  const server = p.tls ? { port: broker.tlsPort, cafile: broker.caFile } : p.ws ? { port: broker.port, ws: 1 } : { port };
  const common = { ...server, topic, qos: p.qos, size: p.size, count: p.count, warmup: p.warmup, deadline: p.deadline };
  const sub = startClient(impl, 'sub', common);
  let pub;
  try {
    await sub.ready;
    const [wall0, brokerCpu0] = [performance.now(), broker.cpuUs()];
    pub = startClient(impl, 'pub', { ...common, window: p.window });
    const [s, q] = await Promise.all([sub.result, pub.result]);
    const brokerCpuUs = broker.cpuUs() - brokerCpu0;
    const wallUs = (performance.now() - wall0) * 1000;
    if (s.timedOut || q.timedOut)
      throw new Error(`not done within ${p.deadline} ms: ${q.events} publishes completed, ${s.events} received of ${p.warmup + p.count}`);
    if (s.bad) throw new Error(`${s.bad} messages arrived with a payload that is not ${p.size} bytes`);
    const seconds = s.ns / 1e9;
    return {
      msgsPerSec: s.count / seconds,
      mbPerSec: (s.count * p.size) / seconds / 1e6,
      pubMsgsPerSec: q.count / (q.ns / 1e9),
      pubCpuUsPerMsg: q.cpuUs / q.count,
      subCpuUsPerMsg: s.cpuUs / s.count,
      brokerCpuUsPerMsg: brokerCpuUs / (p.warmup + p.count),
      brokerBusy: brokerCpuUs / wallUs,
    };
  } finally {
    sub.kill();
    pub?.kill();
  }
}
