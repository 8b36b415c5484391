// One aedes node of test/cluster.test.ts's cluster, in a process of its own
// so the test can SIGKILL it: sessions, subscriptions and queued messages in
// Redis (aedes-persistence-redis), messages routed between the nodes through
// Redis pub/sub (mqemitter-redis). Listens on 127.0.0.1:<port> and prints
// "ready" once it does.
//   node cluster-node.mjs <redis port> <mqtt port> <node id>
import { Aedes } from 'aedes';
import persistence from 'aedes-persistence-redis';
import mqemitter from 'mqemitter-redis';
import { createServer } from 'node:net';

const [redisPort, port, id] = process.argv.slice(2).map((a, i) => (i < 2 ? Number(a) : a));
const redis = { host: '127.0.0.1', port: redisPort };
const broker = await Aedes.createBroker({ id, persistence: persistence(redis), mq: mqemitter(redis) });
const server = createServer((socket) => broker.handle(socket));
server.on('error', (e) => {
  process.stderr.write(`cluster-node ${id}: ${e.message}\n`);
  process.exit(2);
});
server.listen(port, '127.0.0.1', () => process.stdout.write('ready\n'));
