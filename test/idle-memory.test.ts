// What a quiet client keeps committed of its engine block (binding/README.md,
// "Per client, one block"): after a PINGRESP (and a CONNACK) the binding
// gives the pages of its buffers back to the system when they hold nothing;
// the next packet brings them back, and traffic works as before. Seen in
// the process's RSS (/proc/self/smaps_rollup): one 16 MiB publish fills 16
// MiB of a 20 MiB send buffer, the only change of that size in the process.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect } from '../lib/index.js';
import { nextMessages } from './support/events.js';
import { startMosquitto, type Broker } from './support/mosquitto.js';

let broker: Broker;
beforeAll(async () => { broker = await startMosquitto(); });
afterAll(async () => { await broker?.stop(); });

const MiB = 1 << 20;

/** The process's resident memory, MiB. */
function rssMiB(): number {
  const kb = /^Rss:\s+(\d+) kB/m.exec(readFileSync('/proc/self/smaps_rollup', 'utf8'));
  return Number(kb![1]) / 1024;
}

describe('a quiet client\'s engine block', () => {
  it('gives back the pages a 16 MiB publish filled at the next PINGRESP, twice, and works between (inline driver)', async () => {
    const client = await connect({ host: '127.0.0.1', port: broker.port, sendBufferSize: 20 * MiB, keepalive: 0, driver: 'inline' });
    try {
      await client.subscribe('idle-memory/small', { qos: 1 });
      const big = Buffer.alloc(16 * MiB, 7);   // held here: its own pages do not move
      for (let round = 0; round < 2; round++) {
        // nobody subscribes to it: only the send buffer holds its bytes
        await client.publish('idle-memory/big', big, { qos: 1 });
        const filled = rssMiB();
        await client.ping();
        expect(filled - rssMiB()).toBeGreaterThan(12);
        const arriving = nextMessages(client, 1);
        await client.publish('idle-memory/small', `small ${round}`, { qos: 1 });
        expect((await arriving)[0].payload.toString()).toBe(`small ${round}`);
      }
    } finally {
      await client.end();
    }
  });
});
