// A TCP proxy on 127.0.0.1 between a client and a broker, for fault tests:
// it forwards both ways until told to cut every connection, black-hole
// traffic (stop forwarding, keep the sockets open), delay or throttle it.
import { createServer, connect as tcpConnect, type Server, type Socket } from 'node:net';

interface Pair { client: Socket; broker: Socket }

export class FaultProxy {
  readonly port: number;
  /** connections accepted so far */
  accepted = 0;
  #server: Server;
  #pairs = new Set<Pair>();
  #blackhole = false;
  #delayMs = 0;
  #bytesPerSecond = 0;

  private constructor(server: Server, port: number) {
    this.#server = server;
    this.port = port;
  }

  /** A proxy on 127.0.0.1:port (default: a free port) forwarding to
   *  127.0.0.1:target. */
  static async start(target: number, port = 0): Promise<FaultProxy> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    const proxy = new FaultProxy(server, (server.address() as { port: number }).port);
    server.on('connection', (client) => proxy.#accept(client, target));
    return proxy;
  }

  /** Closes every connection at once, both ways (a reset, as when a link dies). */
  cut(): void {
    for (const p of this.#pairs) {
      p.client.resetAndDestroy();
      p.broker.resetAndDestroy();
    }
    this.#pairs.clear();
  }

  /** Stops forwarding (true) or forwards again (false); sockets stay open
   *  and what arrives meanwhile is dropped. */
  blackhole(on: boolean): void {
    this.#blackhole = on;
  }

  /** Holds every chunk for `ms` before forwarding it. */
  delay(ms: number): void {
    this.#delayMs = ms;
  }

  /** Forwards at most `bytesPerSecond` each way per connection (0: no limit). */
  throttle(bytesPerSecond: number): void {
    this.#bytesPerSecond = bytesPerSecond;
  }

  /** Cuts every connection and stops listening. */
  async stop(): Promise<void> {
    this.cut();
    await new Promise((resolve) => this.#server.close(resolve));
  }

  #accept(client: Socket, target: number): void {
    this.accepted++;
    const broker = tcpConnect(target, '127.0.0.1');
    const pair = { client, broker };
    this.#pairs.add(pair);
    const drop = () => {
      client.destroy();
      broker.destroy();
      this.#pairs.delete(pair);
    };
    client.on('error', drop).on('close', drop);
    // a black hole hides the broker's side going away too: the client's
    // socket stays open and silent until cut() or the client closes it
    const brokerGone = () => (this.#blackhole ? broker.destroy() : drop());
    broker.on('error', brokerGone).on('close', brokerGone);
    this.#forward(client, broker);
    this.#forward(broker, client);
  }

  /** Pipes from -> to through the current faults, in order. */
  #forward(from: Socket, to: Socket): void {
    let chain = Promise.resolve();
    from.on('data', (chunk: Buffer) => {
      if (this.#blackhole) return;
      const delay = this.#delayMs, rate = this.#bytesPerSecond;
      chain = chain.then(async () => {
        if (delay > 0) await sleep(delay);
        if (rate > 0) {
          for (let i = 0; i < chunk.length; i += rate / 10) {
            if (!to.destroyed) to.write(chunk.subarray(i, i + rate / 10));
            await sleep(100);
          }
        } else if (!to.destroyed) {
          to.write(chunk);
        }
      });
    });
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
