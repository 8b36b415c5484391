// The broker of the ws case, in a process of its own (so its CPU is
// measured apart from the bench's): aedes behind the `ws` package's
// WebSocketServer on a free 127.0.0.1 port, path /mqtt, as aedes
// deployments serve MQTT over WebSockets. Prints {"port":N} once listening;
// runs until killed.
import { Aedes } from 'aedes';
import { createServer } from 'node:http';
import { WebSocketServer, createWebSocketStream } from 'ws';

const aedes = await Aedes.createBroker();
const server = createServer();
const wss = new WebSocketServer({ server, path: '/mqtt' });
wss.on('connection', (ws) => aedes.handle(createWebSocketStream(ws)));
server.listen(0, '127.0.0.1', () => process.stdout.write(`${JSON.stringify({ port: server.address().port })}\n`));
