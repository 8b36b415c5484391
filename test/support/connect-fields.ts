// Reads the fields of a CONNECT packet (3.1.1 layout) the client sent to the
// fake broker, for tests of what a compat layer put in it. Written from the
// specification, independently of the engine's codec.

/** The fields of a 3.1.1 CONNECT. */
export interface ConnectFields {
  level: number;
  clean: boolean;
  keepalive: number;
  clientId: string;
  will?: { topic: string; payload: Buffer; qos: number; retain: boolean };
  username?: string;
  password?: Buffer;
}

/** The fields of `packet`, a whole CONNECT (fixed header included). */
export function connectFields(packet: Buffer): ConnectFields {
  let at = 1;
  while (packet[at] & 0x80) at++;   // the remaining length
  at++;
  const field = (): Buffer => {
    const len = packet.readUInt16BE(at);
    const value = packet.subarray(at + 2, at + 2 + len);
    at += 2 + len;
    return value;
  };
  field();   // protocol name
  const level = packet[at++];
  const flags = packet[at++];
  const keepalive = packet.readUInt16BE(at);
  at += 2;
  const fields: ConnectFields = { level, clean: (flags & 0x02) !== 0, keepalive, clientId: field().toString() };
  if (flags & 0x04) {
    const topic = field().toString();
    fields.will = { topic, payload: Buffer.from(field()), qos: (flags >> 3) & 3, retain: (flags & 0x20) !== 0 };
  }
  if (flags & 0x80) fields.username = field().toString();
  if (flags & 0x40) fields.password = Buffer.from(field());
  return fields;
}
