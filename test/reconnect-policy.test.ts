// MqttClient.setReconnect: the reconnect policy of a live client, on both
// drivers. The engine's delays are read from the 'reconnect' event (exact,
// so no timing margin is needed); the scripted fake broker drops each
// attempt.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MqttClient } from '../lib/index.js';
import { pollUntil } from './support/events.js';
import { FakeBroker } from './support/fake-broker.js';
import { Type } from './support/mqtt-bytes.js';

let broker: FakeBroker;
let client: MqttClient | undefined;
beforeEach(async () => { broker = await FakeBroker.start(); });
afterEach(async () => {
  await client?.end({ force: true });
  await broker.stop();
});

describe.each(['inline', 'thread'] as const)('setReconnect (%s driver)', (driver) => {
  it('turns reconnecting on without jitter, changes the period from the next delay, and off ends the wait', async () => {
    const c = new MqttClient({ host: '127.0.0.1', port: broker.port, reconnectPeriod: 0, driver });
    client = c;
    c.on('error', () => undefined);
    const delays: number[] = [];
    c.on('reconnect', ({ delay }) => delays.push(delay));
    const connecting = c.connect();
    const conn = await broker.acceptConnected();
    await connecting;
    c.setReconnect({ reconnectPeriod: 300, reconnectMaxPeriod: 300, reconnectFactor: 1, reconnectJitter: false });
    conn.end();
    const conn2 = await broker.accept(3000);
    await conn2.expect(Type.CONNECT);
    c.setReconnect({ reconnectPeriod: 500, reconnectMaxPeriod: 500 });
    conn2.end();   // the attempt fails: the next delay is the new period's
    const conn3 = await broker.accept(3000);
    await conn3.expect(Type.CONNECT);
    conn3.end();
    expect(await pollUntil(() => c.state === 'waiting-reconnect', 2000)).toBe(true);
    c.setReconnect({ reconnectPeriod: 0 });
    expect(await pollUntil(() => c.state === 'disconnected', 2000)).toBe(true);
    await expect(broker.accept(800)).rejects.toThrow(/no client connected/);
    expect(delays).toEqual([300, 500]);
    expect(c.options).toMatchObject({ reconnectPeriod: 0, reconnectMaxPeriod: 500, reconnectFactor: 1, reconnectJitter: false });
  });
});
