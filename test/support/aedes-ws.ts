// aedes served over WebSockets, as aedes deployments do: an http or https
// server on a free 127.0.0.1 port, the `ws` package's WebSocketServer on it,
// and each connection handed to aedes as a stream.
import { Aedes } from 'aedes';
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { Socket } from 'node:net';
import { WebSocketServer, createWebSocketStream } from 'ws';

export interface AedesWsBroker {
  port: number;
  aedes: Aedes;
  /** the request path of every upgrade, in order */
  paths: string[];
  /** the request headers of every upgrade, in order */
  headers: Record<string, string | string[] | undefined>[];
  /** drops every connection from the server's side (the TCP connection
   *  destroyed, no close frame) */
  drop(): void;
  stop(): Promise<void>;
}

/** Starts aedes behind a WebSocket server on `path` (others are refused
 *  with 400 by ws); with `tls` ({ cert, key } PEM) over https, and with
 *  its `ca` too, requiring a client certificate signed by it. */
export async function startAedesWs(options: { path?: string; tls?: { cert: string; key: string; ca?: string } } = {}): Promise<AedesWsBroker> {
  const aedes = await Aedes.createBroker();
  const { tls } = options;
  const server: Server = tls ? createHttpsServer({ ...tls, requestCert: !!tls.ca, rejectUnauthorized: !!tls.ca }) : createHttpServer();
  const sockets = new Set<Socket>();
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
  });
  const paths: string[] = [];
  const headers: AedesWsBroker['headers'] = [];
  const wss = new WebSocketServer({ server, path: options.path ?? '/mqtt' });
  wss.on('connection', (ws, req) => {
    paths.push(req.url ?? '');
    headers.push(req.headers);
    aedes.handle(createWebSocketStream(ws) as never);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as { port: number };
  return {
    port, aedes, paths, headers,
    drop() {
      for (const client of wss.clients) client.terminate();
    },
    async stop() {
      for (const client of wss.clients) client.terminate();
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await new Promise<void>((resolve) => aedes.close(() => resolve()));
    },
  };
}
