// MQTT wire bytes written by hand for the fake broker: the building blocks of
// a packet, and the split of a byte stream into packets by the fixed header.
// Written from the specifications, independently of the engine's codec.

/** A variable byte integer (remaining length, 5.0 property lengths). */
export function vbi(n: number): Buffer {
  const out: number[] = [];
  do {
    let b = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) b |= 0x80;
    out.push(b);
  } while (n > 0);
  return Buffer.from(out);
}

/** A two-byte big-endian integer (packet ids, string lengths). */
export function u16(n: number): Buffer {
  return Buffer.from([n >> 8, n & 0xff]);
}

/** A UTF-8 string or binary field with its two-byte length. */
export function str(s: string | Buffer): Buffer {
  const b = typeof s === 'string' ? Buffer.from(s) : s;
  return Buffer.concat([u16(b.length), b]);
}

/** A whole packet: `first` (type << 4 | flags), the remaining length, the body. */
export function packet(first: number, ...body: Array<Buffer | number[]>): Buffer {
  const b = Buffer.concat(body.map((p) => Buffer.from(p)));
  return Buffer.concat([Buffer.from([first]), vbi(b.length), b]);
}

/** Packet types (the high nibble of the first byte). */
export const Type = {
  CONNECT: 1, CONNACK: 2, PUBLISH: 3, PUBACK: 4, PUBREC: 5, PUBREL: 6, PUBCOMP: 7,
  SUBSCRIBE: 8, SUBACK: 9, UNSUBSCRIBE: 10, UNSUBACK: 11, PINGREQ: 12, PINGRESP: 13, DISCONNECT: 14,
} as const;

/** CONNACK: 3.x return code, or (v5) a 5.0 reason code with empty properties. */
export function connack(code = 0, v5 = false): Buffer {
  return v5 ? packet(0x20, [0, code, 0]) : packet(0x20, [0, code]);
}

/** A PUBLISH from the broker (3.1.1 layout; id only for QoS 1 and 2). */
export function publish(topic: string, payload: string | Buffer, opts: { qos?: number; id?: number; dup?: boolean; retain?: boolean } = {}): Buffer {
  const qos = opts.qos ?? 0;
  const first = 0x30 | (opts.dup ? 8 : 0) | (qos << 1) | (opts.retain ? 1 : 0);
  return packet(first, str(topic), qos > 0 ? u16(opts.id ?? 1) : [], Buffer.from(payload));
}

/** The packet id of a QoS 1 or 2 PUBLISH (3.1.1 layout), or of a packet
 *  whose variable header starts with one (SUBSCRIBE, PUBREL, ...). */
export function packetId(p: Buffer): number {
  let at = 1;
  while (p[at] & 0x80) at++;   // the remaining length
  at++;
  if (p[0] >> 4 === Type.PUBLISH) at += 2 + p.readUInt16BE(at);   // the topic
  return p.readUInt16BE(at);
}

/** PUBACK (3.1.1 layout) for a QoS 1 PUBLISH the client sent. */
export function pubackFor(publish: Buffer): Buffer {
  return packet(0x40, u16(packetId(publish)));
}

/** Splits a byte stream into whole packets; returns them and the bytes of
 *  an unfinished one. Throws on a remaining length longer than 4 bytes. */
export function splitPackets(bytes: Buffer): { packets: Buffer[]; rest: Buffer } {
  const packets: Buffer[] = [];
  let at = 0;
  for (;;) {
    let len = 0, mul = 1, i = at + 1;
    for (;; i++) {
      if (i >= bytes.length) return { packets, rest: bytes.subarray(at) };
      if (i - at > 4) throw new Error(`remaining length longer than 4 bytes at offset ${at}`);
      len += (bytes[i] & 0x7f) * mul;
      mul *= 128;
      if ((bytes[i] & 0x80) === 0) break;
    }
    const end = i + 1 + len;
    if (end > bytes.length) return { packets, rest: bytes.subarray(at) };
    packets.push(bytes.subarray(at, end));
    at = end;
  }
}
