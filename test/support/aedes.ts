// Runs aedes (an MQTT 3.1/3.1.1 broker written in JavaScript) in the test
// process on a free 127.0.0.1 port, with optional authentication and
// authorization hooks, and stops it with every connection it holds.
import { Aedes, type AedesOptions } from 'aedes';
import { createServer, type Server, type Socket } from 'node:net';

/** The aedes hooks a test may set. */
export type AedesHooks = Pick<AedesOptions, 'authenticate' | 'authorizePublish' | 'authorizeSubscribe'>;

export interface AedesBroker {
  port: number;
  aedes: Aedes;
  stop(): Promise<void>;
}

/** Starts aedes with `hooks` on a free loopback port. */
export async function startAedes(hooks: AedesHooks = {}): Promise<AedesBroker> {
  const aedes = await Aedes.createBroker(hooks);
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    aedes.handle(socket);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as { port: number };
  return {
    port,
    aedes,
    async stop() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => aedes.close(() => resolve()));
      await closed;
    },
  };
}
