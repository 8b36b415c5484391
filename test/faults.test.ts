// Faults between the client and mosquitto, made by a proxy (support/proxy.ts):
// connections cut in the middle of QoS 1 and QoS 2 streams, and a link that
// goes silent. With a persistent session and automatic reconnect, every
// publish settles as delivered and the subscriber gets every message (QoS 2:
// exactly once). Bounded in count and time.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, MqttClient } from '../lib/index.js';
import { freePort, startMosquitto, type Broker } from './support/mosquitto.js';
import { pollUntil } from './support/events.js';
import { FaultProxy } from './support/proxy.js';
import { StreamTally } from './support/stream-tally.js';

let broker: Broker;
let proxy: FaultProxy;
beforeAll(async () => {
  broker = await startMosquitto();
  proxy = await FaultProxy.start(broker.port);
});
afterAll(async () => {
  await proxy?.stop();
  await broker?.stop();
});

/** Counts the payloads a subscriber receives on `topic`. */
function tally(client: MqttClient, topic: string): Map<string, number> {
  const seen = new Map<string, number>();
  client.on('message', (t, payload) => {
    if (t === topic) seen.set(payload.toString(), (seen.get(payload.toString()) ?? 0) + 1);
  });
  return seen;
}


describe('faults between client and broker', () => {
  for (const qos of [1, 2] as const) {
    it(`QoS ${qos}: connections cut mid-stream, 10 cycles of 2,000 messages: nothing lost, order kept${qos === 2 ? ', nothing duplicated' : ''}`, async () => {
      const topic = `fault/cut/${qos}`;
      const subscriber = await connect({ host: '127.0.0.1', port: broker.port });
      await subscriber.subscribe(topic, { qos });
      const stream = StreamTally.of(subscriber, topic);
      const publisher = await connect({
        host: '127.0.0.1', port: proxy.port, clientId: `fault-pub-${qos}`, clean: false,
        reconnectPeriod: 50, reconnectMaxPeriod: 200, maxInflight: 20,
      });
      const before = proxy.accepted;
      const cycles = 10, perCycle = 2000, total = cycles * perCycle;
      let rejected = 0;
      for (let cycle = 0; cycle < cycles; cycle++) {
        let done = 0;
        // cut every connection once half of the cycle's publishes have completed
        const results = await Promise.allSettled(Array.from({ length: perCycle }, (_, i) => publisher.publish(topic, String(cycle * perCycle + i), { qos })
          .finally(() => { if (++done === perCycle / 2) proxy.cut(); })));
        rejected += results.filter((r) => r.status === 'rejected').length;
      }
      await pollUntil(() => stream.missing(0, total).length === 0, 10000);
      console.log(`[figures] proxy cuts mid-stream, QoS ${qos}: ${cycles} cycles x ${perCycle} = ${total} messages; lost ${stream.missing(0, total).length}, `
        + `rejected ${rejected}, duplicated ${stream.duplicated}, out of order ${stream.outOfOrder}; connections ${proxy.accepted - before}`);
      expect(stream.missing(0, total)).toEqual([]);
      expect(rejected).toBe(0);
      expect(proxy.accepted - before).toBeGreaterThanOrEqual(cycles);   // it really reconnected after each cut
      expect(stream.outOfOrder).toBe(0);
      if (qos === 2) expect(stream.duplicated).toBe(0);
      await publisher.end();
      await subscriber.end();
    }, 60000);
  }

  for (const resubscribe of [true, false]) {
    it(`after a reconnect without the session, ${resubscribe ? 'subscribes again to what was subscribed' : 'does not subscribe again with resubscribe: false'}`, async () => {
      const client = await connect({
        host: '127.0.0.1', port: proxy.port, clientId: `fault-resub-${resubscribe}`, reconnectPeriod: 50, reconnectMaxPeriod: 200, resubscribe,
      });
      const topic = `fault/resub/${resubscribe}`;
      await client.subscribe({ [`${topic}/kept`]: 1, [`${topic}/dropped`]: 1 });
      await client.unsubscribe(`${topic}/dropped`);
      const seen = tally(client, `${topic}/kept`);
      const dropped = tally(client, `${topic}/dropped`);
      const reconnected = new Promise<{ sessionPresent: boolean }>((resolve) => client.once('connect', resolve));
      const stateWhenOffline: string[] = [];
      client.once('offline', () => stateWhenOffline.push(client.state));
      proxy.cut();
      expect((await reconnected).sessionPresent).toBe(false);   // clean session: the broker forgot
      expect(stateWhenOffline).toEqual(['waiting-reconnect']);   // never 'connected' once offline
      await client.ping();   // the SUBSCRIBE, when there is one, went out before this PINGREQ
      const publisher = await connect({ host: '127.0.0.1', port: broker.port });
      await publisher.publish(`${topic}/kept`, 'after', { qos: 1 });
      await publisher.publish(`${topic}/dropped`, 'after', { qos: 1 });
      expect(await pollUntil(() => seen.size > 0, resubscribe ? 5000 : 500)).toBe(resubscribe);
      expect(dropped.size).toBe(0);   // unsubscribed before the cut: never restored
      await publisher.end();
      await client.end();
    }, 20000);
  }

  it('a slow link (delayed and throttled) delivers a large QoS 1 message', async () => {
    const topic = 'fault/slow';
    const subscriber = await connect({ host: '127.0.0.1', port: broker.port, maxPacketSize: 1 << 20 });
    await subscriber.subscribe(topic, { qos: 1 });
    const seen = tally(subscriber, topic);
    const publisher = await connect({ host: '127.0.0.1', port: proxy.port, clientId: 'fault-slow' });
    proxy.delay(30);
    proxy.throttle(400_000);
    try {
      const started = Date.now();
      await publisher.publish(topic, 'x'.repeat(256 * 1024), { qos: 1 });
      expect(Date.now() - started).toBeGreaterThanOrEqual(500);   // it really went through the throttle
      expect(await pollUntil(() => seen.get('x'.repeat(256 * 1024)) === 1, 5000)).toBe(true);
    } finally {
      proxy.delay(0);
      proxy.throttle(0);
    }
    await publisher.end();
    await subscriber.end();
  }, 30000);

  it('reconnects with jittered delays whose ceilings grow by the factor up to the maximum, one event per attempt', async () => {
    const port = await freePort();   // nothing listens: every attempt is refused at once
    const client = new MqttClient({ host: '127.0.0.1', port, reconnectPeriod: 100, reconnectFactor: 2, reconnectMaxPeriod: 400 });
    const attempts: Array<{ attempt: number; delay: number }> = [];
    client.on('reconnect', (info) => attempts.push(info));
    client.on('error', () => undefined);
    await expect(client.connect()).rejects.toMatchObject({ code: 'ERR_REFUSED' });
    expect(await pollUntil(() => attempts.length >= 6, 10000)).toBe(true);
    await client.end();
    expect(attempts.slice(0, 6).map((a) => a.attempt)).toEqual([1, 2, 3, 4, 5, 6]);
    const ceilings = [100, 200, 400, 400, 400, 400];
    attempts.slice(0, 6).forEach((a, i) => {
      expect(a.delay).toBeGreaterThanOrEqual(1);
      expect(a.delay).toBeLessThanOrEqual(ceilings[i]);
    });
  }, 20000);

  for (const [i, traffic] of ['one QoS 1 publish as it goes silent', 'QoS 0 publishes every 200 ms into the silence'].entries()) {
    it(`a black-holed link is found dead within 1.5x the keepalive after the last packet from the broker (${traffic})`, async () => {
      const keepalive = 1;
      const client = await connect({ host: '127.0.0.1', port: proxy.port, clientId: `fault-ka-${i}`, keepalive, reconnectPeriod: 0 });
      let found = 0;
      client.on('error', (e) => { if (e.code === 'ERR_KEEPALIVE') found = performance.now(); });
      await client.ping();   // the last packet from the broker before the silence
      const heard = performance.now();
      proxy.blackhole(true);
      const publish = () => client.publish('fault/ka', 'x', { qos: traffic.startsWith('one') ? 1 : 0 }).catch(() => undefined);
      publish();
      const stream = traffic.startsWith('one') ? undefined : setInterval(publish, 200);
      await pollUntil(() => found > 0, 4000 * keepalive);
      clearInterval(stream);
      proxy.blackhole(false);
      proxy.cut();
      console.log(`[figures] black hole (${traffic}), keepalive ${keepalive} s: ${found ? `dead after ${Math.round(found - heard)} ms` : `not found dead within ${4 * keepalive} s`}`);
      await client.end({ force: true });
      expect(found).toBeGreaterThan(0);
      expect(found - heard).toBeLessThanOrEqual(1.5 * keepalive * 1000 + 100);   // 100 ms for timers and event delivery
    }, 20000);
  }

  it('a silent link (black-holed) is found dead by keepalive, and the client reconnects and delivers', async () => {
    const topic = 'fault/silent';
    const subscriber = await connect({ host: '127.0.0.1', port: broker.port });
    await subscriber.subscribe(topic, { qos: 1 });
    const seen = tally(subscriber, topic);
    const publisher = await connect({
      host: '127.0.0.1', port: proxy.port, clientId: 'fault-silent', clean: false, keepalive: 1, reconnectPeriod: 50, reconnectMaxPeriod: 200, connectTimeout: 2000,
    });
    const errors: string[] = [];
    publisher.on('error', (e) => errors.push(e.code));
    proxy.blackhole(true);
    const sent = publisher.publish(topic, 'through the silence', { qos: 1 });
    await pollUntil(() => errors.includes('ERR_KEEPALIVE'), 10000);
    proxy.blackhole(false);
    proxy.cut();   // the old, silent connections go away
    await sent;
    expect(errors, `errors: ${errors.join(', ')}`).toContain('ERR_KEEPALIVE');
    expect(await pollUntil(() => seen.get('through the silence') !== undefined, 5000)).toBe(true);
    await publisher.end();
    await subscriber.end();
  }, 30000);
});
