// Consumer throughput through a shared subscription: one publisher process
// and 1, 2 and 4 consumer processes of one implementation subscribed to
// $share/bench/<topic>, which the broker splits between them. Each consumer
// measures its part of the stream (the broker's split is near even, not
// exact, so each counts 90% of an even share after 5% of warm-up, and the
// publisher sends the whole stream); the rate is the sum of what the
// consumers counted over the longest of their measured intervals.
import { startClient } from '../child.mjs';

/** The consumer counts a run measures. */
export const CONSUMERS = [1, 2, 4];

/** One run with `consumers` consumer processes; messages per second. */
async function split(impl, p, port, topic, consumers) {
  const share = p.count / consumers;
  const common = { port, qos: p.qos, size: p.size, deadline: p.deadline };
  const subs = Array.from({ length: consumers }, () =>
    startClient(impl, 'sub', { ...common, topic: `$share/bench/${topic}`, warmup: Math.floor(share * 0.05), count: Math.floor(share * 0.9) }));
  let pub;
  try {
    await Promise.all(subs.map((s) => s.ready));
    pub = startClient(impl, 'pub', { ...common, topic, warmup: 0, count: p.count, window: p.window });
    const [q, ...results] = await Promise.all([pub.result, ...subs.map((s) => s.result)]);
    if (q.timedOut || results.some((r) => r.timedOut))
      throw new Error(`${consumers} consumers: not done within ${p.deadline} ms (received ${results.map((r) => r.events).join('/')} of about ${Math.round(share)} each)`);
    const counted = results.reduce((sum, r) => sum + r.count, 0);
    return counted / (Math.max(...results.map((r) => r.ns)) / 1e9);
  } finally {
    for (const s of subs) s.kill();
    pub?.kill();
  }
}

/** One run: { rate1, rate2, rate4 }, messages per second with that many consumers. */
export async function shared(impl, p, { port, topic }) {
  const out = {};
  for (const n of CONSUMERS) out[`rate${n}`] = await split(impl, p, port, `${topic}/${n}`, n);
  return out;
}
