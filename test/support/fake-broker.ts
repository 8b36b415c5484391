// A scripted fake broker on 127.0.0.1 for exact bytes and hostile input: it
// records what a client sends, split into MQTT packets, and answers only
// what the test tells it to, byte for byte (half a packet, a lying length,
// an oversized packet, nothing at all).
import { createServer, type Server, type Socket } from 'node:net';
import tls from 'node:tls';
import { connack, splitPackets, Type } from './mqtt-bytes.js';

/** Lets one waiter sleep until something arrives (or time runs out). */
class Arrivals {
  #wake: (() => void) | undefined;

  notify(): void {
    this.#wake?.();
  }

  /** Resolves to whether `ready()` holds, rechecked on each arrival, within `ms`. */
  async until(ready: () => boolean, ms: number): Promise<boolean> {
    const deadline = performance.now() + ms;
    while (!ready()) {
      const left = deadline - performance.now();
      if (left <= 0) return false;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#wake = () => { clearTimeout(timer); resolve(); };
      });
      this.#wake = undefined;
    }
    return true;
  }
}

/** A packet the client sent, and when it arrived (performance.now() ms). */
export interface Received { bytes: Buffer; at: number }

/** One client connection to the fake broker. */
export class FakeConnection {
  /** Every whole packet the client sent, in order. */
  readonly received: Received[] = [];
  /** Settles when the connection is closed, by either side. */
  readonly closed: Promise<void>;
  /** Whether the client closed its side (sent FIN) rather than the broker. */
  closedByClient = false;
  #pending = Buffer.alloc(0);
  #taken = 0;
  #arrivals = new Arrivals();

  constructor(private readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      const { packets, rest } = splitPackets(Buffer.concat([this.#pending, chunk]));
      this.#pending = Buffer.from(rest);
      const at = performance.now();
      for (const bytes of packets) this.received.push({ bytes: Buffer.from(bytes), at });
      this.#arrivals.notify();
    });
    socket.on('end', () => { this.closedByClient = true; });
    socket.on('error', () => { /* the client reset the connection: 'close' follows */ });
    this.closed = new Promise((resolve) => socket.once('close', () => { this.#arrivals.notify(); resolve(); }));
  }

  /** The next packet the client sends (each is taken once), within `ms`. */
  async next(ms = 5000): Promise<Buffer> {
    const more = () => this.#taken < this.received.length;
    if (!(await this.#arrivals.until(() => more() || this.socket.destroyed, ms)))
      throw new Error(`no packet from the client within ${ms} ms; it sent ${this.#describe()}`);
    if (!more()) throw new Error(`the connection closed; the client sent ${this.#describe()}`);
    return this.received[this.#taken++].bytes;
  }

  /** The next packet, which must be of `type` (Type.*). */
  async expect(type: number, ms = 5000): Promise<Buffer> {
    const p = await this.next(ms);
    if (p[0] >> 4 !== type) throw new Error(`expected packet type ${type}, got ${p.toString('hex')}`);
    return p;
  }

  /** Writes exactly these bytes to the client. */
  send(...chunks: Buffer[]): void {
    this.socket.write(Buffer.concat(chunks));
  }

  /** Closes the broker's side (FIN), as a broker that hangs up does. */
  end(): void {
    this.socket.end();
  }

  /** Stops reading: what the client sends from now on backs up in the
   *  sockets' buffers, then in the client. */
  stopReading(): void {
    this.socket.pause();
  }

  /** Closes at once; with bytes left unread the client gets a reset (RST),
   *  so its next write fails. */
  destroy(): void {
    this.socket.destroy();
  }

  #describe(): string {
    return this.received.length ? this.received.map((r) => r.bytes.toString('hex')).join(' ') : 'nothing';
  }
}

/** A listening fake broker; each client connection becomes a FakeConnection. */
export class FakeBroker {
  #connections: FakeConnection[] = [];
  #arrivals = new Arrivals();
  #sockets = new Set<Socket>();

  private constructor(private readonly server: Server, readonly port: number, secure: boolean) {
    server.on(secure ? 'secureConnection' : 'connection', (socket: Socket) => {
      this.#sockets.add(socket);
      socket.once('close', () => this.#sockets.delete(socket));
      this.#connections.push(new FakeConnection(socket));
      this.#arrivals.notify();
    });
  }

  /** Starts listening on a free 127.0.0.1 port; over TLS with this
   *  certificate and key (PEM) when given. */
  static async start(secure?: { cert: string; key: string }): Promise<FakeBroker> {
    const server = secure ? tls.createServer(secure) : createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    return new FakeBroker(server, (server.address() as { port: number }).port, secure !== undefined);
  }

  /** The next client connection, within `ms`. */
  async accept(ms = 5000): Promise<FakeConnection> {
    if (!(await this.#arrivals.until(() => this.#connections.length > 0, ms)))
      throw new Error(`no client connected to the fake broker within ${ms} ms`);
    return this.#connections.shift()!;
  }

  /** Accepts a connection, takes its CONNECT and accepts it with CONNACK 0
   *  (in the 5.0 layout when `v5`). */
  async acceptConnected(v5 = false): Promise<FakeConnection> {
    const conn = await this.accept();
    await conn.expect(Type.CONNECT);
    conn.send(connack(0, v5));
    return conn;
  }

  /** Closes every connection and stops listening. */
  async stop(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const socket of this.#sockets) socket.destroy();
    await closed;
  }
}
