// Idle clients: one process connects many clients (a bounded number waiting
// for CONNACK at once) and reports the time it took and its RSS growth; with
// `listeners` it spreads them over that many of the broker's plain
// listeners, and with `end` it ends them all at the end and reports the time.
import { readFileSync } from 'node:fs';
import { runClient } from '../child.mjs';

/** How many ephemeral ports the kernel gives connections to one destination. */
function ephemeralPorts() {
  const [low, high] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);
  return high - low + 1;
}

/** One run: { connectMs, rssKiBPerClient (anonymous memory),
 *  totalRssKiBPerClient }, and endMs with `end`. */
export async function idle(impl, p, { broker }) {
  const ports = broker.ports.slice(0, p.listeners ?? 1);
  const perPort = Math.ceil(p.clients / ports.length), available = ephemeralPorts();
  if (perPort > available)
    throw new Error(`${perPort} clients per listener, but net.ipv4.ip_local_port_range gives only ${available} ephemeral ports: widen it or use more listeners`);
  const args = { port: ports[0], clients: p.clients, concurrency: p.concurrency, deadline: p.deadline };
  if (ports.length > 1) args.ports = ports.join(',');
  if (p.end) args.end = 1;
  const r = await runClient(impl, 'idle', args, { fileLimit: p.fileLimit });
  if (r.timedOut) throw new Error(`only ${r.connected} of ${r.clients} clients connected within ${p.deadline} ms`);
  const perClientKiB = (before, after) => (after - before) / r.clients / 1024;
  const figures = {
    connectMs: r.connectNs / 1e6,
    rssKiBPerClient: perClientKiB(r.anonBefore, r.anonAfter),
    totalRssKiBPerClient: perClientKiB(r.rssBefore, r.rssAfter),
  };
  if (!p.end) return figures;
  // the warm-up client is ended too
  if (r.ended < r.connected + 1) throw new Error(`only ${r.ended} of ${r.connected + 1} clients ended within ${p.deadline} ms`);
  return { ...figures, endMs: r.endNs / 1e6 };
}
