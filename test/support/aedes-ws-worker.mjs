// aedes behind the `ws` package's WebSocketServer (path /mqtt) on a free
// 127.0.0.1 port, in a worker thread of its own, so that its writes do not
// wait for the test's thread (test/coalesce-counts.test.ts: a subscriber on
// that thread must see a stream arrive while it reads, as from a broker in
// another process). Posts its port once listening; any message stops it.
import { parentPort } from 'node:worker_threads';
import { createServer } from 'node:http';
import { Aedes } from 'aedes';
import { WebSocketServer, createWebSocketStream } from 'ws';

const aedes = await Aedes.createBroker();
const server = createServer();
const wss = new WebSocketServer({ server, path: '/mqtt' });
wss.on('connection', (ws) => aedes.handle(createWebSocketStream(ws)));
server.listen(0, '127.0.0.1', () => parentPort.postMessage(server.address().port));
parentPort.once('message', () => {
  for (const client of wss.clients) client.terminate();
  server.close();
  aedes.close(() => process.exit(0));
});
