// The worker thread of the embedded broker (embedded-broker.ts): aedes on a
// free 127.0.0.1 port. It reports the port, sends a client what it is asked
// to after a delay unless cancelled, and on 'stop' closes every connection
// and lets the thread end.
import { createServer, type Socket } from 'node:net';
import { parentPort } from 'node:worker_threads';
import { Aedes, type Client } from 'aedes';
import type { BrokerRequest, BrokerReport } from './embedded-broker.js';

const port = parentPort!;
const report = (message: BrokerReport) => port.postMessage(message);

try {
  const aedes = await Aedes.createBroker();
  const clients = new Map<string, Client>();
  aedes.on('client', (client) => clients.set(client.id, client));
  aedes.on('clientDisconnect', (client) => { if (clients.get(client.id) === client) clients.delete(client.id); });
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    socket.on('error', () => {});   // a client's reset: aedes sees the close
    aedes.handle(socket);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const timers = new Map<number, NodeJS.Timeout>();
  port.on('message', (request: BrokerRequest) => {
    if (request.type === 'send') {
      timers.set(request.id, setTimeout(() => {
        timers.delete(request.id);
        const packet = { cmd: 'publish', topic: request.topic, payload: Buffer.from(request.payload), qos: 0, retain: false, dup: false } as const;
        clients.get(request.clientId)?.publish(packet, () => {});
      }, request.delayMs));
    } else if (request.type === 'cancel') {
      clearTimeout(timers.get(request.id));
      timers.delete(request.id);
    } else {
      for (const timer of timers.values()) clearTimeout(timer);
      for (const socket of sockets) socket.destroy();
      server.close();
      aedes.close(() => port.close());
    }
  });
  report({ type: 'listening', port: (server.address() as { port: number }).port });
} catch (e) {
  report({ type: 'failed', message: (e as Error).message });
  port.close();
}
