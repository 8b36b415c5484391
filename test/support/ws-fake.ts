// A scripted WebSocket server on 127.0.0.1 for exact bytes: a plain TCP
// server that reads the client's upgrade request, then writes whatever the
// test says (a right or wrong answer, frames whole, split or hostile), and
// unmasks what the client sends back into MQTT packets.
import { createHash } from 'node:crypto';
import { createServer, type Server, type Socket } from 'node:net';
import { splitPackets } from './mqtt-bytes.js';

/** The Sec-WebSocket-Accept a key gives (RFC 6455 4.2.2). */
export function acceptFor(key: string): string {
  return createHash('sha1').update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest('base64');
}

/** An accepting upgrade response for `key` (or with `accept` instead). */
export function upgradeResponse(key: string, accept = acceptFor(key)): string {
  return `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\nSec-WebSocket-Protocol: mqtt\r\n\r\n`;
}

/** A server frame: FIN unless `more`, unmasked unless `mask` (4 bytes). */
export function frame(opcode: number, payload: Buffer | string, opts: { more?: boolean; mask?: Buffer } = {}): Buffer {
  const data = Buffer.from(payload);
  const first = (opts.more ? 0 : 0x80) | opcode;
  const maskBit = opts.mask ? 0x80 : 0;
  let head: Buffer;
  if (data.length < 126) head = Buffer.from([first, maskBit | data.length]);
  else if (data.length < 65536) head = Buffer.from([first, maskBit | 126, data.length >> 8, data.length & 255]);
  else {
    head = Buffer.alloc(10);
    head[0] = first;
    head[1] = maskBit | 127;
    head.writeBigUInt64BE(BigInt(data.length), 2);
  }
  if (!opts.mask) return Buffer.concat([head, data]);
  const masked = Buffer.from(data.map((b, i) => b ^ opts.mask![i & 3]));
  return Buffer.concat([head, opts.mask, masked]);
}

/** One client connection: its upgrade request, and what it sent after. */
export class WsFakeConnection {
  /** the request's text, up to its empty line */
  readonly request: Promise<string>;
  /** whole MQTT packets the client sent in its frames, in order */
  readonly packets: Buffer[] = [];
  /** the client's frames' opcodes, in order (2 binary, 8 close, 10 pong) */
  readonly opcodes: number[] = [];
  readonly closed: Promise<void>;
  #wire = Buffer.alloc(0);
  #payload = Buffer.alloc(0);
  #upgraded = false;

  constructor(readonly socket: Socket) {
    let settle: (text: string) => void;
    this.request = new Promise((resolve) => { settle = resolve; });
    socket.on('data', (chunk: Buffer) => {
      this.#wire = Buffer.concat([this.#wire, chunk]);
      if (!this.#upgraded) {
        const end = this.#wire.indexOf('\r\n\r\n');
        if (end < 0) return;
        this.#upgraded = true;
        settle(this.#wire.subarray(0, end).toString('latin1'));
        this.#wire = this.#wire.subarray(end + 4);
      }
      this.#readFrames();
    });
    socket.on('error', () => { /* the client reset the connection: 'close' follows */ });
    this.closed = new Promise((resolve) => socket.once('close', () => resolve()));
  }

  /** The request's Sec-WebSocket-Key. */
  async key(): Promise<string> {
    return /^sec-websocket-key:\s*(\S+)/im.exec(await this.request)?.[1] ?? '';
  }

  /** Writes bytes now. */
  write(bytes: Buffer | string): void {
    this.socket.write(bytes);
  }

  /** Unmasks the client's frames into packets (all frames from a client must be masked). */
  #readFrames(): void {
    for (;;) {
      const w = this.#wire;
      if (w.length < 2) return;
      let len = w[1] & 0x7f, at = 2;
      if (len === 126) { if (w.length < 4) return; len = w.readUInt16BE(2); at = 4; }
      else if (len === 127) { if (w.length < 10) return; len = Number(w.readBigUInt64BE(2)); at = 10; }
      if (!(w[1] & 0x80)) throw new Error('the client sent an unmasked frame');
      if (w.length < at + 4 + len) return;
      const mask = w.subarray(at, at + 4);
      const data = Buffer.from(w.subarray(at + 4, at + 4 + len).map((b, i) => b ^ mask[i & 3]));
      this.opcodes.push(w[0] & 0x0f);
      if ((w[0] & 0x0f) === 2 || (w[0] & 0x0f) === 0) this.#payload = Buffer.concat([this.#payload, data]);
      this.#wire = w.subarray(at + 4 + len);
      const { packets, rest } = splitPackets(this.#payload);
      this.packets.push(...packets.map((p) => Buffer.from(p)));
      this.#payload = Buffer.from(rest);
    }
  }
}

export interface WsFake {
  port: number;
  connections: WsFakeConnection[];
  /** the next connection (each is taken once) */
  next(): Promise<WsFakeConnection>;
  stop(): Promise<void>;
}

/** Starts the fake on a free loopback port. */
export async function startWsFake(): Promise<WsFake> {
  const connections: WsFakeConnection[] = [];
  let taken = 0;
  let wake: (() => void) | undefined;
  const server: Server = createServer((socket) => {
    connections.push(new WsFakeConnection(socket));
    wake?.();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return {
    port: (server.address() as { port: number }).port,
    connections,
    async next() {
      while (connections.length <= taken) await new Promise<void>((resolve) => { wake = resolve; });
      return connections[taken++];
    },
    async stop() {
      for (const c of connections) c.socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
