// Failover between two mosquitto brokers bridged to each other (A bridges
// bridge/# both ways to B): a publisher with the list [A, B] streams QoS 1
// messages while A is stopped; it goes on with B, every publish settles,
// and a subscriber on B gets every message the client was responsible for.
// The publisher's traffic passes an AckTap, so a message A acknowledged and
// never forwarded over the bridge (A's to lose) is told apart from one the
// client dropped; the first is printed, the second fails the test.
import { afterEach, expect, it } from 'vitest';
import { MqttClient, connect } from '../lib/index.js';
import { AckTap } from './support/ack-tap.js';
import { nextEvent, pollUntil } from './support/events.js';
import { startMosquitto, type Broker } from './support/mosquitto.js';
import { StreamTally } from './support/stream-tally.js';

const MESSAGES = 2000;
const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});

async function broker(general: string[] = []): Promise<Broker> {
  const b = await startMosquitto(general);
  let stopped = false;
  const stop = b.stop.bind(b);
  b.stop = async () => {
    if (!stopped) await stop();
    stopped = true;
  };
  cleanup.push(() => b.stop());
  return b;
}

it('fails over from one bridged mosquitto to the other while publishing QoS 1', async () => {
  const b = await broker();
  const a = await broker(['connection to-b', `address 127.0.0.1:${b.port}`, 'topic bridge/# both 1', 'cleansession true']);
  const sub = await connect(`mqtt://127.0.0.1:${b.port}`);
  cleanup.push(() => sub.end({ force: true }));
  const topic = `bridge/${Date.now()}`;
  await sub.subscribe(topic, { qos: 1 });
  const tally = StreamTally.of(sub, topic);
  const tap = await AckTap.startEach([a.port, b.port]);
  cleanup.push(() => tap.stop());
  const pub = new MqttClient({
    servers: tap.ports.map((port) => ({ host: '127.0.0.1', port })), clientId: `bridge-pub-${Date.now()}`, clean: false,
    reconnectPeriod: 100,
  });
  cleanup.push(() => pub.end({ force: true }));
  pub.on('error', () => undefined);
  await pub.connect();
  // the bridge is up once a message published on A reaches B
  const probe = `${topic}/probe`;
  await sub.subscribe(probe, { qos: 1 });
  let bridged = false;
  sub.on('message', (t) => { if (t === probe) bridged = true; });
  for (let i = 0; i < 50 && !bridged; i++) {
    await pub.publish(probe, 'up?', { qos: 1 });
    await pollUntil(() => bridged, 200);
  }
  expect(bridged).toBe(true);
  expect(pub.server?.port).toBe(tap.ports[0]);
  const lost = nextEvent(pub, 'sessionLost', 10000);
  const published: Promise<void>[] = [];
  for (let n = 0; n < MESSAGES; n++) {
    if (n === MESSAGES / 2) void a.stop();   // A goes away mid-stream
    published.push(pub.publish(topic, String(n), { qos: 1 }));
    if (n % 100 === 99) await published[n];
  }
  const settled = await Promise.allSettled(published);
  expect(settled.filter((s) => s.status === 'rejected')).toEqual([]);
  expect(pub.server?.port).toBe(tap.ports[1]);
  const [info] = (await lost) as [{ server: { port: number } }];
  expect(info.server.port).toBe(tap.ports[1]);
  await pollUntil(() => tally.missing(0, MESSAGES).length === 0, 5000);
  const missing = tally.missing(0, MESSAGES);
  const brokerLost = missing.filter((n) => tap.acknowledged.has(String(n)));
  console.log(`bridge failover: ${MESSAGES} QoS 1 messages, ${missing.length} missing at the subscriber, of which ${brokerLost.length} ` +
    `acknowledged by the stopped broker and never forwarded; ${tally.duplicated} duplicated (QoS 1 resends)`);
  expect(missing.filter((n) => !tap.acknowledged.has(String(n)))).toEqual([]);
}, 60000);
