// A TCP relay on 127.0.0.1 between one MQTT 3.1.1 client and a broker that
// reads the traffic as it passes, unchanged. For a publisher it records which
// payloads the broker acknowledged (PUBACK for QoS 1, PUBREC for QoS 2: from
// then on a message is the broker's to keep), so a test can tell a message the
// broker lost after acknowledging it from one the client failed to deliver.
// For a subscriber it counts the QoS 2 exchanges the broker started with each
// payload (a PUBLISH under an id the client had not got open), so a test can
// tell a copy the client delivered twice within one exchange from one the
// broker sent again as new after the client had completed it (PUBCOMP). It can
// also turn new connections away (closed at once) while a test arranges what
// the publisher should find when it comes back. One tap may relay to several
// brokers (the nodes of a cluster), a port for each, with one record for
// the client wherever it connects. Every packet that passes is also kept in
// `wire` (when, which connection and node, type, id, payload), so a test can
// trace one message through failovers.
import { createServer, connect as tcpConnect, type Server, type Socket } from 'node:net';
import { packetId, splitPackets, Type } from './mqtt-bytes.js';

/** One packet (or a connection's start or end) as the tap saw it. */
export interface WireEvent {
  /** performance.now() when the tap read it */
  t: number;
  /** the relayed connection (numbered from 0 in the order accepted) and the
   *  index of the target (node) it goes to */
  conn: number;
  node: number;
  /** who sent it; 'open' marks the connection's start, 'close' and
   *  'clientClose' the end of its broker and its client side */
  from: 'client' | 'broker' | 'open' | 'close' | 'clientClose';
  type: number;
  /** packet id (0 where there is none) */
  id: number;
  /** QoS 1/2 PUBLISH: payload as text, QoS and DUP */
  text?: string;
  qos?: number;
  dup?: boolean;
  /** CONNACK: Session Present */
  sessionPresent?: boolean;
}

export class AckTap {
  /** the port relaying to the first (or only) target */
  readonly port: number;
  /** the port relaying to each target, in order */
  readonly ports: number[];
  /** payloads (as text) the broker acknowledged so far */
  readonly acknowledged = new Set<string>();
  /** payload (as text) -> QoS 2 exchanges the broker started with it: a
   *  PUBLISH under an id that had no exchange open (its first, or one after
   *  the broker's PUBREL or the client's PUBCOMP closed the last, or after a
   *  session was lost) */
  readonly exchanges = new Map<string, number>();
  /** payloads (as text) of every QoS 1/2 PUBLISH the broker sent the client */
  readonly fromBroker = new Set<string>();
  /** payloads (as text) of the client's QoS 1/2 PUBLISHes, in the order of
   *  their first transmission (its own order, whatever the broker does) */
  readonly firstSent: string[] = [];
  /** every packet relayed, both ways, in the order read */
  readonly wire: WireEvent[] = [];
  /** reads from the client and the packets they held: how the client
   *  batches its writes (a broker handles one read's packets together) */
  readonly fromClientReads = { reads: 0, packets: 0 };
  /** connections accepted and passed on */
  relayed = 0;
  #sent = new Set<string>();
  #servers: Server[];
  #sockets = new Set<Socket>();
  #open = true;
  /** packet id -> payload of the last QoS 1/2 PUBLISH the client sent with it */
  #inFlight = new Map<number, string>();
  /** ids of the broker's QoS 2 PUBLISHes not yet released (no PUBREL or PUBCOMP yet) */
  #incoming = new Set<number>();

  private constructor(servers: Server[]) {
    this.#servers = servers;
    this.ports = servers.map((s) => (s.address() as { port: number }).port);
    this.port = this.ports[0];
  }

  /** A relay on a free port of 127.0.0.1 to 127.0.0.1:target. */
  static start(target: number): Promise<AckTap> {
    return AckTap.startEach([target]);
  }

  /** Relays on a free port of 127.0.0.1 to each 127.0.0.1:target (tap.ports
   *  in the same order), recording one client's traffic through all. */
  static async startEach(targets: number[]): Promise<AckTap> {
    const servers = targets.map(() => createServer());
    for (const server of servers) await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const tap = new AckTap(servers);
    servers.forEach((server, i) => server.on('connection', (client) => tap.#accept(client, targets[i])));
    return tap;
  }

  /** Passes new connections on (true, the default) or closes them at once
   *  (false); connections already relayed are not touched. */
  admit(open: boolean): void {
    this.#open = open;
  }

  /** Resolves once every relayed connection has closed on both sides, so
   *  what a broker wrote before it closed its side has been read and
   *  recorded, or once `ms` have passed. */
  async closed(ms: number): Promise<void> {
    const deadline = performance.now() + ms;
    while (this.#sockets.size > 0 && performance.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  }

  /** Closes every connection and stops listening. */
  async stop(): Promise<void> {
    for (const s of this.#sockets) s.destroy();
    await Promise.all(this.#servers.map((server) => new Promise((resolve) => server.close(resolve))));
  }

  #accept(client: Socket, target: number): void {
    if (!this.#open) {
      client.destroy();
      return;
    }
    const conn = this.relayed++;
    const node = this.ports.indexOf((client.address() as { port: number }).port);
    const log = (from: WireEvent['from'], p?: Buffer) => this.#log(conn, node, from, p);
    log('open');
    const broker = tcpConnect(target, '127.0.0.1');
    broker.once('close', () => log('close'));
    client.once('close', () => log('clientClose'));
    // when one side goes away the other still gets what was relayed to it,
    // then the end, as over a direct connection to a broker that died
    const pairs: [Socket, Socket][] = [[client, broker], [broker, client]];
    for (const [s, other] of pairs) {
      this.#sockets.add(s);
      s.on('error', () => s.destroy());
      s.on('close', () => {
        this.#sockets.delete(s);
        other.end();
      });
    }
    this.#relay(client, broker, (p) => { log('client', p); this.#fromClient(p); }, this.fromClientReads);
    this.#relay(broker, client, (p) => { log('broker', p); this.#fromBroker(p); });
  }

  #log(conn: number, node: number, from: WireEvent['from'], p?: Buffer): void {
    const e: WireEvent = { t: performance.now(), conn, node, from, type: p ? p[0] >> 4 : 0, id: 0 };
    if (p && e.type >= Type.PUBLISH && e.type <= Type.UNSUBACK && (e.type !== Type.PUBLISH || qos(p) > 0)) e.id = packetId(p);
    if (p && e.type === Type.PUBLISH && qos(p) > 0) {
      e.text = payload(p);
      e.qos = qos(p);
      e.dup = (p[0] & 8) !== 0;
    }
    if (p && e.type === Type.CONNACK) e.sessionPresent = (p[2] & 1) === 1;
    this.wire.push(e);
  }

  /** Forwards from -> to as it comes, handing each whole packet to `read`. */
  #relay(from: Socket, to: Socket, read: (packet: Buffer) => void, count?: { reads: number; packets: number }): void {
    let rest = Buffer.alloc(0);
    from.on('data', (chunk: Buffer) => {
      if (!to.destroyed) to.write(chunk);
      const split = splitPackets(rest.length > 0 ? Buffer.concat([rest, chunk]) : chunk);
      if (count) {
        count.reads++;
        count.packets += split.packets.length;
      }
      split.packets.forEach(read);
      rest = Buffer.from(split.rest);
    });
  }

  /** A QoS 1/2 PUBLISH: remembers its payload under its packet id.
   *  PUBCOMP: the client completed the broker's QoS 2 message with that id. */
  #fromClient(p: Buffer): void {
    const type = p[0] >> 4;
    if (type === Type.PUBCOMP) this.#incoming.delete(packetId(p));
    else if (type === Type.PUBLISH && qos(p) > 0) {
      const text = payload(p);
      this.#inFlight.set(packetId(p), text);
      if (!this.#sent.has(text)) {
        this.#sent.add(text);
        this.firstSent.push(text);
      }
    }
  }

  /** PUBACK or PUBREC: the broker took the message with that id. A QoS 1/2
   *  PUBLISH: recorded; at QoS 2 a new exchange unless one is open under its id.
   *  PUBREL: the exchange under its id is over for the client, which forgets
   *  the id when it reads it (the PUBCOMP it answers may die with the
   *  connection, unseen here), so a PUBLISH under that id is a new one. A
   *  CONNACK without a session: no exchange is open any more. */
  #fromBroker(p: Buffer): void {
    const type = p[0] >> 4;
    if (type === Type.PUBACK || type === Type.PUBREC) {
      const sent = this.#inFlight.get(packetId(p));
      if (sent !== undefined) this.acknowledged.add(sent);
    } else if (type === Type.PUBLISH && qos(p) > 0) {
      const text = payload(p);
      this.fromBroker.add(text);
      if (qos(p) === 2 && !this.#incoming.has(packetId(p))) {
        this.#incoming.add(packetId(p));
        this.exchanges.set(text, (this.exchanges.get(text) ?? 0) + 1);
      }
    } else if (type === Type.PUBREL) {
      this.#incoming.delete(packetId(p));
    } else if (type === Type.CONNACK && (p[2] & 1) === 0) {
      this.#incoming.clear();
    }
  }
}

/** A PUBLISH's QoS. */
function qos(p: Buffer): number {
  return (p[0] >> 1) & 3;
}

/** A 3.1.1 QoS 1/2 PUBLISH's payload, as text. */
function payload(p: Buffer): string {
  let at = 1;
  while (p[at] & 0x80) at++;   // the remaining length
  at += 1 + 2 + p.readUInt16BE(at + 1) + 2;   // the topic and the packet id (3.1.1: no properties)
  return p.subarray(at).toString();
}
