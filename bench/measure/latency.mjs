// Ping-pong latency: one client publishes QoS 0 to a topic it subscribes to,
// waits for its own message back from the broker, and publishes the next.
import { runClient } from '../child.mjs';
import { percentile } from '../stats.mjs';

/** One run: { p50Us, p99Us, maxUs } of the round trips after the warm-up. */
export async function latency(impl, p, { port, topic }) {
  const r = await runClient(impl, 'ping', { port, topic, size: p.size, count: p.count, warmup: p.warmup, deadline: p.deadline });
  if (r.timedOut) throw new Error(`only ${r.samplesUs.length} of ${p.count} round trips within ${p.deadline} ms`);
  const sorted = r.samplesUs.sort((a, b) => a - b);
  return { p50Us: percentile(sorted, 50), p99Us: percentile(sorted, 99), maxUs: sorted[sorted.length - 1] };
}
