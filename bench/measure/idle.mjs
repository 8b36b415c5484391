// Idle clients: one process connects many clients (a bounded number waiting
// for CONNACK at once) and reports the time it took and its RSS growth.
import { runClient } from '../child.mjs';

/** One run: { connectMs, rssKiBPerClient }. */
export async function idle(impl, p, { port }) {
  const r = await runClient(impl, 'idle', { port, clients: p.clients, concurrency: p.concurrency, deadline: p.deadline });
  if (r.timedOut) throw new Error(`only ${r.connected} of ${r.clients} clients connected within ${p.deadline} ms`);
  return { connectMs: r.connectNs / 1e6, rssKiBPerClient: (r.rssAfter - r.rssBefore) / r.clients / 1024 };
}
