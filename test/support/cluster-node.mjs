// One aedes node of test/cluster.test.ts's cluster, in a process of its own
// so the test can SIGKILL it: sessions, subscriptions and queued messages in
// Redis (aedes-persistence-redis), messages routed between the nodes through
// Redis pub/sub (mqemitter-redis). It starts as a spare: the broker is
// created and joined to the cluster, then warmed up (a subscriber and a
// publisher of its own, on a private topic over a private port, pass
// WARMUP_MESSAGES QoS 1/2 messages through it, so V8 has compiled the
// broker's paths: a cold node runs its first thousand messages 3-5 times
// slower), and "warm" is printed; then it waits for a port on stdin,
// listens on 127.0.0.1:<port> and prints "ready" (a node killed in a test
// is replaced by a warm one in milliseconds, its start-up paid beforehand).
//   node cluster-node.mjs <redis port> <node id>
import { Aedes } from 'aedes';
import persistence from 'aedes-persistence-redis';
import mqtt from 'mqtt';
import mqemitter from 'mqemitter-redis';
import { createServer } from 'node:net';

const WARMUP_MESSAGES = 500;
const [redisPort, id] = [Number(process.argv[2]), process.argv[3]];
const redis = { host: '127.0.0.1', port: redisPort };
// ioredis's auto-pipelining (mqemitter-redis turns it on for its own
// connections) writes the commands of one tick together
const broker = await Aedes.createBroker({
  id, persistence: persistence({ ...redis, enableAutoPipelining: true }), mq: mqemitter(redis),
});
const serve = (socket) => broker.handle(socket);

/** Streams WARMUP_MESSAGES through the broker from a publisher to a
 *  subscriber with persistent sessions, then removes the subscription. */
async function warmUp() {
  const server = createServer(serve);
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `mqtt://127.0.0.1:${server.address().port}`;
  const topic = `warmup/${id}`;
  const sub = await mqtt.connectAsync(url, { clientId: `${id}-warmup-sub`, clean: false, reconnectPeriod: 0 });
  const pub = await mqtt.connectAsync(url, { clientId: `${id}-warmup-pub`, clean: false, reconnectPeriod: 0 });
  let received = 0;
  const all = new Promise((resolve) => sub.on('message', () => { if (++received === WARMUP_MESSAGES) resolve(); }));
  await sub.subscribeAsync(topic, { qos: 2 });
  const pending = new Set();
  for (let n = 0; n < WARMUP_MESSAGES; n++) {
    const p = pub.publishAsync(topic, String(n), { qos: n % 2 ? 2 : 1 }).finally(() => pending.delete(p));
    pending.add(p);
    if (pending.size >= 50) await Promise.race(pending);
  }
  await Promise.all(pending);
  await all;
  await sub.unsubscribeAsync(topic);
  await sub.endAsync();
  await pub.endAsync();
  await new Promise((resolve) => server.close(resolve));
}

await warmUp();
const server = createServer(serve);
server.on('error', (e) => {
  process.stderr.write(`cluster-node ${id}: ${e.message}\n`);
  process.exit(2);
});
process.stdout.write('warm\n');
let input = '';
process.stdin.on('data', (d) => {
  input += d.toString();
  if (!input.includes('\n')) return;
  process.stdin.pause();
  server.listen(Number(input), '127.0.0.1', () => process.stdout.write('ready\n'));
});
process.stdin.on('end', () => process.exit(0));   // the test went before giving it a port
