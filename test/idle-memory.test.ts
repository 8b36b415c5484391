// What an idle client keeps committed of its engine block (binding/README.md,
// "Per client, one block"): after its CONNACK and after each PINGRESP the
// binding gives the pages of its buffers back to the system, when they hold
// nothing; the next packet brings them back, and traffic works as before.
// Read from /proc/self/smaps: the block is the one mapping of its size.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect } from '../lib/index.js';
import { nextMessages } from './support/events.js';
import { startMosquitto, type Broker } from './support/mosquitto.js';

let broker: Broker;
beforeAll(async () => { broker = await startMosquitto(); });
afterAll(async () => { await broker?.stop(); });

/** A send buffer no other mapping of the process is near the size of. */
const SEND_BUFFER = 5 << 20;

/** The resident KiB of each mapping of [min, max) bytes. */
function residentKiB(min: number, max: number): number[] {
  const found: number[] = [];
  let inRange = false;
  for (const line of readFileSync('/proc/self/smaps', 'utf8').split('\n')) {
    const range = /^([0-9a-f]+)-([0-9a-f]+) /.exec(line);
    if (range) {
      const size = parseInt(range[2], 16) - parseInt(range[1], 16);
      inRange = size >= min && size < max;
      continue;
    }
    const rss = /^Rss:\s+(\d+) kB/.exec(line);
    if (rss && inRange) found.push(Number(rss[1]));
  }
  return found;
}

describe('an idle client\'s engine block', () => {
  it('holds no buffer page after CONNACK and after a PINGRESP, and takes 40 KiB messages between them (inline driver)', async () => {
    const client = await connect({ host: '127.0.0.1', port: broker.port, sendBufferSize: SEND_BUFFER, keepalive: 0, driver: 'inline' });
    try {
      const block = () => residentKiB(SEND_BUFFER, SEND_BUFFER + (1 << 20));
      // the inline driver gives back right after the poll that read the CONNACK
      expect(block()).toEqual([0]);
      await client.subscribe('idle-memory/t', { qos: 1 });
      const big = Buffer.alloc(40 << 10, 7);   // through the 64 KiB packet buffer
      for (let round = 0; round < 2; round++) {
        const arriving = nextMessages(client, 2);
        await client.publish('idle-memory/t', big, { qos: 1 });
        await client.publish('idle-memory/t', `small ${round}`, { qos: 1 });
        const [first, second] = await arriving;
        expect(first.payload.equals(big)).toBe(true);
        expect(second.payload.toString()).toBe(`small ${round}`);
        expect(block()[0]).toBeGreaterThanOrEqual(40);   // the pages came back with the traffic
        await client.ping();
        // all but the message slots' first page, where the QoS 1 publishes were
        expect(block()[0]).toBeLessThanOrEqual(8);
      }
    } finally {
      await client.end();
    }
  });
});
