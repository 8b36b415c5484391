// Shared subscriptions: four consumers subscribed to $share/g/<topic> split
// one QoS 1 stream, each message going to one of them, and when one of them
// dies mid-stream its share moves to the others. On mosquitto (2.0 has
// shared subscriptions; aedes, the cluster of cluster.test.ts, has none: 1.x
// grants $share/g/t and treats it as a plain filter, so messages to t never
// reach it). The four consumers over a cluster wait for a broker
// that both clusters and shares groups: none from npm or Debian does
// (test/README.md says which were checked and what each does).
//
// The consumers use clean sessions, so the broker ends the dead consumer's
// subscription with its connection. What the broker had given it goes with
// it: MQTT gives a group no redelivery to another member. That is what the
// broker had sent it and it never read (in its socket when it died; an
// AckTap in front of that consumer sees them), and what the broker still
// held for it, never sent: a consumer behind by more than the broker's
// in-flight window (20 at mosquitto's default) when it dies, as any consumer
// can be on a busy machine (the tapped one is the slowest here: the tap
// relays in this same process). mosquitto gives a group's messages to its
// members in turn, so the dead consumer's are every fourth message before
// its death (the test checks that of what it received). Those are printed,
// and every other message must arrive exactly once in total.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { MqttClient, connect } from '../lib/index.js';
import { AckTap } from './support/ack-tap.js';
import { pollUntil } from './support/events.js';
import { startMosquitto, type Broker } from './support/mosquitto.js';

const MESSAGES = 20000;
const CONSUMERS = 4;

let broker: Broker;
beforeAll(async () => { broker = await startMosquitto(); });
afterAll(async () => { await broker?.stop(); });

it(`${CONSUMERS} consumers on $share/g/... split ${MESSAGES} QoS 1 messages exactly once, and a dead consumer's share moves`, async () => {
  const topic = `shared/${Date.now()}`;
  const tap = await AckTap.start(broker.port);   // in front of the consumer that dies
  const consumers: MqttClient[] = [];
  const got = Array.from({ length: CONSUMERS }, () => new Map<number, number>());
  for (let i = 0; i < CONSUMERS; i++) {
    const c = await connect(`mqtt://127.0.0.1:${i === CONSUMERS - 1 ? tap.port : broker.port}`, { clientId: `share-${i}-${topic}` });
    c.on('message', (_t, payload) => {
      const n = Number(payload.toString());
      got[i].set(n, (got[i].get(n) ?? 0) + 1);
    });
    await c.subscribe(`$share/g/${topic}`, { qos: 1 });
    consumers.push(c);
  }
  const pub = await connect(`mqtt://127.0.0.1:${broker.port}`);
  const deadAt = MESSAGES / 2;
  let before = [0, 0, 0, 0];
  const pending: Promise<void>[] = [];
  for (let n = 0; n < MESSAGES; n++) {
    if (n === deadAt) {   // in mid-stream: messages are on their way to it
      before = got.map((m) => m.size);
      await consumers[CONSUMERS - 1].end({ force: true });   // gone without DISCONNECT, as a killed process
      await tap.closed(5000);   // what mosquitto wrote to it before it saw it gone, recorded
      await tap.stop();
    }
    pending.push(pub.publish(topic, String(n), { qos: 1 }));
    if (pending.length >= 200) await Promise.all(pending.splice(0));
  }
  await Promise.all(pending);
  const total = () => got.reduce((s, m) => s + m.size, 0);
  await pollUntil(() => total() >= MESSAGES, 10000);
  const copies = new Map<number, number>();
  for (const m of got) for (const [n, c] of m) copies.set(n, (copies.get(n) ?? 0) + c);
  const missing: number[] = [];
  for (let n = 0; n < MESSAGES; n++) if (!copies.has(n)) missing.push(n);
  // given to the dead consumer before its death (every CONSUMERS-th message,
  // as those it received), sent and never read, or held by the broker and never sent
  const dead = got[CONSUMERS - 1], turn = dead.keys().next().value! % CONSUMERS;
  const givenToDead = (n: number) => n < deadAt && n % CONSUMERS === turn;
  const droppedWithDead = missing.filter((n) => tap.fromBroker.has(String(n)));
  const heldForDead = missing.filter((n) => !tap.fromBroker.has(String(n)) && givenToDead(n));
  const after = got.map((m, i) => m.size - before[i]);
  console.log(`shared subscription: ${MESSAGES} QoS 1 messages over ${CONSUMERS} consumers; shares before the death ${before.join('/')}, ` +
    `after ${after.join('/')}; ${missing.length} missing, of which ${droppedWithDead.length} the broker had sent the dead consumer and ` +
    `${heldForDead.length} it still held for it; ` +
    `${[...copies.values()].filter((c) => c > 1).length} delivered twice`);
  expect(before.every((n) => n > 0)).toBe(true);                    // all four took a share
  expect(after[CONSUMERS - 1]).toBe(0);
  expect(after.slice(0, -1).every((n) => n > 0)).toBe(true);        // the share moved to the other three
  expect([...dead.keys()].filter((n) => !givenToDead(n))).toEqual([]);   // the broker's turns, as assumed
  expect(missing.filter((n) => !givenToDead(n))).toEqual([]);
  expect([...copies.values()].filter((c) => c > 1)).toEqual([]);   // exactly once in total
  await pub.end();
  for (const c of consumers.slice(0, -1)) await c.end();
}, 60000);
