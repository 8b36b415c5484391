// Many clients in one process: a thousand MqttClients on the environment's
// one engine loop thread, connected to mosquitto at the same time, each
// publishing once and receiving once.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MqttClient } from '../lib/index.js';
import { startMosquitto, type Broker } from './support/mosquitto.js';

let broker: Broker;
beforeAll(async () => { broker = await startMosquitto(); });
afterAll(async () => { await broker?.stop(); });

const N = 1000;

describe('scale', () => {
  it(`connects ${N} clients at once; each publishes once to the next and receives once`, async () => {
    const started = performance.now();
    const clients: MqttClient[] = [];
    let got: string[][] = [];
    try {
      for (let i = 0; i < N; i++) clients.push(new MqttClient({ host: '127.0.0.1', port: broker.port, clientId: `scale-${i}`, keepalive: 0 }));
      await Promise.all(clients.map((c) => c.connect()));
      expect(clients.every((c) => c.connected)).toBe(true);
      await Promise.all(clients.map((c, i) => c.subscribe(`scale/${i}`, { qos: 1 })));

      got = clients.map(() => []);
      let pending = N;
      const all = new Promise<void>((resolve) => clients.forEach((c, i) => c.on('message', (_t: string, p: Buffer) => {
        got[i].push(p.toString());
        if (--pending === 0) resolve();
      })));
      await Promise.all(clients.map((c, i) => c.publish(`scale/${(i + 1) % N}`, `from ${i}`, { qos: 1 })));
      await all;
    } finally {
      await Promise.all(clients.map((c) => c.end()));
    }
    expect(got).toEqual(clients.map((_, i) => [`from ${(i + N - 1) % N}`]));   // once each, nothing more by the end
    // a few seconds on a loaded two-core machine; a stall would take far longer
    expect(performance.now() - started).toBeLessThan(20_000);
  }, 30_000);
});
