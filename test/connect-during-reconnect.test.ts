// connect() called while an automatic reconnect is under way joins it: it
// settles with that attempt (resolves on its CONNACK, rejects with its
// failure) and leaves the client's events and state as they would be
// without the call. Against the scripted fake broker, which decides when
// each attempt is answered.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MqttClient, type MqttError } from '../lib/index.js';
import { pollUntil } from './support/events.js';
import { FakeBroker, type FakeConnection } from './support/fake-broker.js';
import { connack, Type } from './support/mqtt-bytes.js';

let broker: FakeBroker;
let client: MqttClient | undefined;
beforeEach(async () => { broker = await FakeBroker.start(); });
afterEach(async () => {
  await client?.end({ force: true });
  await broker.stop();
});

/** A client connected to the fake broker (its first connection accepted),
 *  recording its events by name (errors by code). */
async function connectedClient(reconnectPeriod: number): Promise<{ c: MqttClient; conn: FakeConnection; events: string[] }> {
  const c = new MqttClient({ host: '127.0.0.1', port: broker.port, reconnectPeriod, reconnectMaxPeriod: reconnectPeriod });
  client = c;
  const connecting = c.connect();
  const conn = await broker.acceptConnected();
  await connecting;
  const events: string[] = [];
  for (const name of ['offline', 'reconnect', 'connect'] as const) c.on(name, () => events.push(name));
  c.on('error', (e: MqttError) => events.push(e.code));
  return { c, conn, events };
}

describe('connect() during an automatic reconnect', () => {
  it('joins the attempt in flight (CONNECT sent) and resolves on its CONNACK; the client stays connected', async () => {
    const { c, conn, events } = await connectedClient(20);
    conn.end();
    const conn2 = await broker.accept(3000);
    await conn2.expect(Type.CONNECT);
    expect(await pollUntil(() => c.state === 'mqtt-connecting', 2000)).toBe(true);
    const joined = c.connect();
    await new Promise((resolve) => setTimeout(resolve, 50));   // the engine has the call before the CONNACK
    conn2.send(connack(0));
    await joined;
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(c.connected).toBe(true);
    expect(c.state).toBe('connected');
    expect(events.filter((e) => e !== 'ERR_CLOSED')).toEqual(['offline', 'reconnect', 'connect']);
    await expect(broker.accept(200)).rejects.toThrow(/no client connected/);   // no extra attempt
  });

  it('called right as the reconnect completes, resolves and leaves the client connected', async () => {
    const { c, conn, events } = await connectedClient(20);
    conn.end();
    const conn2 = await broker.accept(3000);
    await conn2.expect(Type.CONNECT);
    conn2.send(connack(0));
    const joined = c.connect();   // the engine is likely READY before it takes the call
    await joined;
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(c.connected).toBe(true);
    expect(c.state).toBe('connected');
    expect(events.filter((e) => e !== 'ERR_CLOSED')).toEqual(['offline', 'reconnect', 'connect']);
  });

  it('while waiting to reconnect, starts the attempt at once and rejects with its refusal as a first attempt would', async () => {
    const { c, conn, events } = await connectedClient(60_000);
    conn.end();
    expect(await pollUntil(() => c.state === 'waiting-reconnect', 2000)).toBe(true);
    const joined = c.connect();
    const conn2 = await broker.accept(1000);   // not after the (up to 60 s) reconnect delay
    await conn2.expect(Type.CONNECT);
    conn2.send(connack(5));   // not authorized
    await expect(joined).rejects.toMatchObject({ code: 'ERR_CONNACK_NOT_AUTHORIZED', reasonCode: 5 });
    expect(c.connected).toBe(false);
    expect(events).not.toContain('ERR_STATE');
    expect(events).not.toContain('connect');
  });
});
