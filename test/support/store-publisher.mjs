// A publisher process for test/store.test.ts, which kills it with SIGKILL at
// random points and starts it again. It publishes the numbered stream
// 0 .. total-1 (payload: the number) to `topic` at `qos` through a FileStore,
// with a fixed client id and a persistent session. Where it starts comes
// from the store alone: publish() records a message before it returns, so
// every number below nextSequence - 1 was handed over and is either stored
// (connect() sends it again, first) or delivered. A total of Infinity
// publishes until the process is killed: a publisher that is to be killed
// must not be able to finish first.
//   node store-publisher.mjs <port> <store path> <qos> <total> <client id> <topic> <fsync>
// Prints one JSON line once connected ({ restored, from }); exits 0 when all
// is acknowledged, 2 on any error.
import { FileStore, connect } from '../../dist/index.js';

const [port, path, qos, total, clientId, topic, fsync] = process.argv.slice(2);
const fail = (e) => {
  process.stderr.write(`store-publisher: ${e?.code ?? ''} ${e?.message ?? e}\n`);
  process.exit(2);
};

try {
  const store = new FileStore(path, { fsync });
  const restored = store.size;
  let next = store.nextSequence - 1;
  const client = await connect({
    host: '127.0.0.1', port: Number(port), clientId, clean: false, store, maxInflight: 20,
  });
  client.on('error', fail);
  process.stdout.write(`${JSON.stringify({ restored, from: next })}\n`);
  const outstanding = new Set();
  for (; next < Number(total); next++) {
    const done = client.publish(topic, String(next), { qos: Number(qos) }).then(() => outstanding.delete(done), fail);
    outstanding.add(done);
    if (outstanding.size >= 200) await Promise.race(outstanding);
  }
  await client.end();   // after every publish, restored ones included, is acknowledged
  store.close();
} catch (e) {
  fail(e);
}
