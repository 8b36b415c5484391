// MqttClient against a scripted fake broker: the exact bytes it sends, its
// timing, and what it does with refusals and with malformed, oversized,
// duplicated or truncated packets from a hostile broker.
import { readFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MqttClient, MqttError, type MqttClientOptions } from '../lib/index.js';
import { nextEvent, nextMessages } from './support/events.js';
import { FakeBroker, type FakeConnection } from './support/fake-broker.js';
import { connack, packet, packetId, publish, pubackFor, str, Type, u16 } from './support/mqtt-bytes.js';

let broker: FakeBroker;
const clients: MqttClient[] = [];
beforeEach(async () => { broker = await FakeBroker.start(); });
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.end({ force: true })));
  await broker.stop();
});

/** A client of the fake broker (ended after the test). */
function client(options: MqttClientOptions = {}): MqttClient {
  const c = new MqttClient({ host: '127.0.0.1', port: broker.port, connectTimeout: 5000, ...options });
  clients.push(c);
  return c;
}

/** A client connected to the fake broker, and its connection there. */
async function connected(options: MqttClientOptions = {}): Promise<{ c: MqttClient; conn: FakeConnection }> {
  const c = client(options);
  const connecting = c.connect();
  const conn = await broker.acceptConnected(options.protocolVersion === 5);
  await connecting;
  return { c, conn };
}

/** The CONNECT a client with these options sends (left unanswered). */
async function sentConnect(options: MqttClientOptions): Promise<Buffer> {
  void client(options).connect().catch(() => undefined);
  return (await broker.accept()).expect(Type.CONNECT);
}

/** The error a connect() rejects with. */
async function connectError(c: MqttClient): Promise<MqttError> {
  const err = await c.connect().then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(MqttError);
  return err as MqttError;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('CONNECT, byte for byte', () => {
  const will = { topic: 'w/t', payload: 'bye', qos: 1 as const, retain: true };
  const options = { clientId: 'fake-id', username: 'user', password: 'pass', keepalive: 30, will };
  // flags: user name, password, will retain, will QoS 1, will, clean session
  const FLAGS = 0xee;

  for (const [version, name] of [[4, 'MQTT'], [3, 'MQIsdp']] as const) {
    it(`${version === 4 ? '3.1.1' : '3.1'}: protocol name ${name}, level ${version}`, async () => {
      expect((await sentConnect({ ...options, protocolVersion: version })).toString('hex')).toBe(packet(0x10,
        str(name), [version, FLAGS], u16(30), str('fake-id'), str('w/t'), str('bye'), str('user'), str('pass')).toString('hex'));
    });
  }

  it('5.0, with the Receive Maximum and Maximum Packet Size the client can hold', async () => {
    const sent = await sentConnect({ ...options, protocolVersion: 5, maxPacketSize: 4096 });
    // properties: Receive Maximum (0x21) 65535, the binding's incoming QoS 2
    // ids (every packet id); Maximum Packet Size (0x27) 4096, options.maxPacketSize
    const props = Buffer.from([0x21, 0xff, 0xff, 0x27, 0x00, 0x00, 0x10, 0x00]);
    expect(sent.toString('hex')).toBe(packet(0x10,
      str('MQTT'), [5, FLAGS], u16(30), [props.length], props, str('fake-id'),
      [0] /* no will properties */, str('w/t'), str('bye'), str('user'), str('pass')).toString('hex'));
  });

  it('a minimal 3.1.1 CONNECT: clean session, no will, no credentials, keepalive off', async () => {
    expect((await sentConnect({ clientId: 'min', keepalive: 0 })).toString('hex')).toBe(packet(0x10, str('MQTT'), [4, 0x02], u16(0), str('min')).toString('hex'));
  });
});

describe('keepalive', () => {
  it('sends PINGREQ about every keepalive second while idle and emits pong for each PINGRESP', async () => {
    const { c, conn } = await connected({ keepalive: 1 });
    let pongs = 0;
    c.on('pong', () => pongs++);
    const connectedAt = conn.received[0].at;
    const times: number[] = [];
    for (let i = 0; i < 2; i++) {
      const ping = await conn.expect(Type.PINGREQ, 3000);
      expect(ping.toString('hex')).toBe('c000');
      times.push(conn.received.at(-1)!.at);
      conn.send(packet(0xd0));
    }
    const gaps = [times[0] - connectedAt, times[1] - times[0]];
    for (const gap of gaps) {
      expect(gap).toBeGreaterThan(800);
      expect(gap).toBeLessThan(1600);
    }
    await sleep(50);
    expect(pongs).toBe(2);
  });

  it('declares the link dead (ERR_KEEPALIVE) when no PINGRESP comes', async () => {
    const { c, conn } = await connected({ keepalive: 1 });
    const errors: MqttError[] = [];
    c.on('error', (e: MqttError) => errors.push(e));
    const offline = nextEvent(c, 'offline', 4000);
    await conn.expect(Type.PINGREQ, 3000);
    const pingAt = performance.now();
    await offline;
    expect(performance.now() - pingAt).toBeLessThan(1600);
    expect(errors.map((e) => e.code)).toEqual(['ERR_KEEPALIVE']);
    expect(c.connected).toBe(false);
    await conn.closed;
    expect(conn.closedByClient).toBe(true);
  });
});

describe('incoming QoS 2', () => {
  it('delivers a PUBLISH the broker resends with DUP once, and completes the exchange', async () => {
    const { c, conn } = await connected();
    const got: string[] = [];
    c.on('message', (topic: string, payload: Buffer, p: { dup: boolean }) => got.push(`${topic}=${payload.toString()}${p.dup ? ' dup' : ''}`));
    conn.send(publish('q2/once', 'first', { qos: 2, id: 7 }));
    expect((await conn.expect(Type.PUBREC)).toString('hex')).toBe('50020007');
    conn.send(publish('q2/once', 'first', { qos: 2, id: 7, dup: true }));
    expect((await conn.expect(Type.PUBREC)).toString('hex')).toBe('50020007');
    conn.send(packet(0x62, u16(7)));   // PUBREL
    expect((await conn.expect(Type.PUBCOMP)).toString('hex')).toBe('70020007');
    // id 7 is free again: a new message with it is a new message
    const next = nextMessages(c, 1);
    conn.send(publish('q2/again', 'second', { qos: 2, id: 7 }));
    await conn.expect(Type.PUBREC);
    conn.send(packet(0x62, u16(7)));
    await conn.expect(Type.PUBCOMP);
    await next;
    expect(got).toEqual(['q2/once=first', 'q2/again=second']);
  });
});

describe('a connection that breaks', () => {
  it('closed in the middle of a PUBACK: offline and error; the publish stays pending until the reconnection sends it again and gets its PUBACK', async () => {
    const { c, conn } = await connected();
    const errors: MqttError[] = [];
    c.on('error', (e: MqttError) => errors.push(e));
    const offline = nextEvent(c, 'offline');
    let settled = 'pending';
    const publishing = c.publish('mid/packet', 'x', { qos: 1 }).then(() => { settled = 'resolved'; }, (e: MqttError) => { settled = e.code; });
    const sent = await conn.expect(Type.PUBLISH);
    conn.send(pubackFor(sent).subarray(0, 3));   // 3 of PUBACK's 4 bytes
    conn.end();
    await offline;
    expect(errors.map((e) => e.code)).toEqual(['ERR_CLOSED']);
    expect(c.connected).toBe(false);
    // the automatic reconnection (its first delay is drawn from 0-1000 ms)
    // sends it again, and only that PUBACK resolves it
    const reconnected = nextEvent(c, 'connect');
    const conn2 = await broker.acceptConnected();
    await reconnected;
    expect(settled).toBe('pending');
    const resent = await conn2.expect(Type.PUBLISH);
    expect(Buffer.from([resent[0] & ~8, ...resent.subarray(1)]).equals(sent)).toBe(true);   // DUP aside, the same
    conn2.send(pubackFor(resent));
    await publishing;
    expect(settled).toBe('resolved');
  });
});

describe('5.0: QoS 2 recovery after a reconnect', () => {
  it('a resent PUBREL answered with PUBCOMP 0x92 (Packet Identifier not found) resolves the publish: the broker had completed it', async () => {
    const { c, conn } = await connected({ protocolVersion: 5, clean: false, reconnectPeriod: 20, reconnectMaxPeriod: 20 });
    c.on('error', () => undefined);
    const publishing = c.publish('recover/t', 'x', { qos: 2 });
    const id = packetId(await conn.expect(Type.PUBLISH));
    conn.send(packet(0x50, u16(id)));   // PUBREC
    await conn.expect(Type.PUBREL);
    conn.end();   // the PUBCOMP is lost with the connection
    const conn2 = await broker.accept();
    await conn2.expect(Type.CONNECT);
    conn2.send(Buffer.from([0x20, 3, 1, 0, 0]));   // CONNACK: session present
    expect(packetId(await conn2.expect(Type.PUBREL))).toBe(id);
    conn2.send(packet(0x70, u16(id), [0x92, 0]));   // PUBCOMP: Packet Identifier not found
    await expect(publishing).resolves.toBeUndefined();
  });
});

describe('operations and the connection\'s state', () => {
  it('queues operations issued while connecting and sends them after CONNACK, in order', async () => {
    const c = client();
    const connecting = c.connect();
    const sub = c.subscribe('early/sub', { qos: 1 });
    const pub = c.publish('early/pub', 'x', { qos: 1 });
    const conn = await broker.accept();
    await conn.expect(Type.CONNECT);
    await sleep(50);
    expect(conn.received).toHaveLength(1);   // nothing before CONNACK
    conn.send(connack(0));
    await connecting;
    const subscribe = await conn.expect(Type.SUBSCRIBE);
    const published = await conn.expect(Type.PUBLISH);
    conn.send(packet(0x90, u16(packetId(subscribe)), [1]), pubackFor(published));
    expect(await sub).toEqual([{ topic: 'early/sub', qos: 1 }]);
    await pub;
  });

  it('with reconnectPeriod and a persistent session, reconnects after the broker hangs up and resends the unacknowledged publish with DUP', async () => {
    const { c, conn } = await connected({ reconnectPeriod: 100, clean: false, clientId: 'persistent' });
    const events: string[] = [];
    for (const name of ['offline', 'reconnect', 'connect'] as const) c.on(name, () => events.push(name));
    c.on('error', (e: MqttError) => events.push(e.code));
    const pub = c.publish('again/x', 'x', { qos: 1 });
    const first = await conn.expect(Type.PUBLISH);
    conn.end();
    const conn2 = await broker.accept(3000);
    expect((await conn2.expect(Type.CONNECT))[9] & 0x02).toBe(0);   // clean session flag still off
    conn2.send(Buffer.from([0x20, 0x02, 0x01, 0x00]));   // CONNACK, session present
    const resent = await conn2.expect(Type.PUBLISH);
    expect(resent.toString('hex')).toBe(Buffer.from([first[0] | 0x08, ...first.subarray(1)]).toString('hex'));
    conn2.send(pubackFor(resent));
    await pub;
    expect(events).toEqual(['ERR_CLOSED', 'offline', 'reconnect', 'connect']);
  });
});

describe('acknowledgements that do not fit', () => {
  it('a PUBACK for an id never sent: error ERR_PROTOCOL_VIOLATION, and the connection stays', async () => {
    const { c, conn } = await connected();
    const error = nextEvent(c, 'error');
    conn.send(packet(0x40, u16(99)));
    expect(((await error)[0] as MqttError).code).toBe('ERR_PROTOCOL_VIOLATION');
    const pub = c.publish('still/up', 'x', { qos: 1 });
    conn.send(pubackFor(await conn.expect(Type.PUBLISH)));
    await pub;
    expect(c.connected).toBe(true);
  });

  it('a SUBACK with more codes than filters: the subscribe rejects with ERR_SUBACK_COUNT', async () => {
    const { c, conn } = await connected();
    const sub = c.subscribe('one/filter', { qos: 1 });
    conn.send(packet(0x90, u16(packetId(await conn.expect(Type.SUBSCRIBE))), [1, 1]));
    await expect(sub).rejects.toMatchObject({ code: 'ERR_SUBACK_COUNT' });
  });
});

describe('5.0: the broker hangs up with DISCONNECT', () => {
  it('error ERR_SERVER_DISCONNECT with its reasonCode, then offline', async () => {
    const { c, conn } = await connected({ protocolVersion: 5 });
    const events: string[] = [];
    c.on('error', (e: MqttError) => events.push(`${e.code} 0x${e.reasonCode?.toString(16)}`));
    const offline = nextEvent(c, 'offline').then(() => events.push('offline'));
    conn.send(packet(0xe0, [0x8e, 0]));   // Session taken over, no properties
    await offline;
    expect(events).toEqual(['ERR_SERVER_DISCONNECT 0x8e', 'offline']);
    await conn.closed;
  });
});

/** The most a loopback connection's kernel buffers hold: the largest
 *  send buffer (client) plus the largest receive buffer (broker). */
function kernelBufferBound(): number {
  const max = (f: string) => Number(readFileSync(`/proc/sys/net/ipv4/${f}`, 'utf8').trim().split(/\s+/)[2]);
  return max('tcp_wmem') + max('tcp_rmem');
}

describe('the broker hangs up while the client has bytes it cannot write', () => {
  // The engine wrote before reading: its write failed on the reset and the
  // DISCONNECT waiting in the socket was never read (ERR_CLOSED instead).
  it.each(['inline', 'thread'] as const)('5.0 DISCONNECT before the reset: its reason is reported (%s driver)', async (driver) => {
    const big = Buffer.alloc(kernelBufferBound() + (1 << 20));   // more than the sockets can take
    const { c, conn } = await connected({
      protocolVersion: 5, keepalive: 0, reconnectPeriod: 0, driver, highWaterMark: 0, sendBufferSize: big.length + (1 << 20),
    });
    conn.stopReading();
    await c.publish('first', 'x');   // written (highWaterMark 0)
    const rest = c.publish('fill', big).catch(() => undefined);
    // the client writes what the sockets take and holds the rest (a pause to
    // let it, not a measure: the reason must come whenever the reset does)
    await new Promise((resolve) => setTimeout(resolve, 100));
    const errors: MqttError[] = [];
    c.on('error', (e: MqttError) => errors.push(e));
    const offline = nextEvent(c, 'offline');
    conn.send(packet(0xe0, [0x97, 0]));   // Quota exceeded, no properties
    conn.destroy();                       // unread bytes: a reset
    await offline;
    expect(errors.map((e) => `${e.code} 0x${e.reasonCode?.toString(16)}`)).toEqual(['ERR_SERVER_DISCONNECT 0x97']);
    await c.end({ force: true });
    await rest;
  });
});

describe('end()', () => {
  it('with QoS 1 and 2 publishes on the wire: waits for their acks, refuses new operations, then DISCONNECT', async () => {
    const { c, conn } = await connected();
    const outcomes = ([0, 1, 2] as const).map((qos) => c.publish('end/q', `q${qos}`, { qos }).then(() => 'resolved', (e: MqttError) => e.code));
    await conn.expect(Type.PUBLISH);
    const q1 = await conn.expect(Type.PUBLISH);
    const q2 = await conn.expect(Type.PUBLISH);
    const ended = c.end();
    await expect(c.publish('end/q', 'late')).rejects.toMatchObject({ code: 'ERR_CLOSED' });
    conn.send(pubackFor(q1), packet(0x50, u16(packetId(q2))));   // PUBACK, PUBREC
    const pubrel = await conn.expect(Type.PUBREL);
    expect(packetId(pubrel)).toBe(packetId(q2));
    conn.send(packet(0x70, u16(packetId(q2))));                 // PUBCOMP
    expect((await conn.next()).toString('hex')).toBe('e000');    // DISCONNECT only now
    await ended;
    expect(await Promise.all(outcomes)).toEqual(['resolved', 'resolved', 'resolved']);
    await conn.closed;
    expect(conn.closedByClient).toBe(true);
  });

  it('with publishes never acknowledged: end({ force: true }) closes at once and they reject with ERR_CLOSED', async () => {
    const { c, conn } = await connected();
    const outcomes = ([1, 2] as const).map((qos) => c.publish('end/q', `q${qos}`, { qos }).then(() => 'resolved', (e: MqttError) => e.code));
    for (let i = 0; i < 2; i++) await conn.expect(Type.PUBLISH);
    const graceful = c.end();
    await c.end({ force: true });
    await graceful;
    expect(await Promise.all(outcomes)).toEqual(['ERR_CLOSED', 'ERR_CLOSED']);
    await conn.closed;
    expect(conn.received.some((r) => r.bytes[0] === 0xe0)).toBe(false);   // no DISCONNECT: the will stays armed
  });

  // end() waits for what is pending before DISCONNECT: publishes the loop
  // thread takes in the same turn as the end must still go out
  it('sends every publish made before end() ahead of DISCONNECT', async () => {
    for (let round = 0; round < 10; round++) {
      const { c, conn } = await connected();
      const outcomes = Array.from({ length: 200 }, (_, i) => c.publish('end/all', `m${i}`).then(() => 'sent', (e: MqttError) => e.code));
      await c.end();
      await conn.closed;
      expect(await Promise.all(outcomes), `round ${round}`).toEqual(outcomes.map(() => 'sent'));
      expect(conn.received.slice(1).map((r) => r.bytes[0] >> 4), `round ${round}`)
        .toEqual([...outcomes.map(() => Type.PUBLISH), Type.DISCONNECT]);
    }
  });

  it('while connecting: connect() rejects with ERR_CLOSED, then close and end', async () => {
    const c = client();
    const events: string[] = [];
    for (const name of ['connect', 'offline', 'close', 'end'] as const) c.on(name, () => events.push(name));
    const connecting = c.connect().then(() => 'connected', (e: MqttError) => e.code);
    const conn = await broker.accept();
    await conn.expect(Type.CONNECT);
    await c.end();
    expect(await connecting).toBe('ERR_CLOSED');
    expect(events).toEqual(['close', 'end']);
    await conn.closed;
  });
});

describe('malformed packets from the broker', () => {
  const cases: Array<[string, Buffer, string]> = [
    ['reserved flags on PUBACK', Buffer.from([0x42, 0x02, 0x00, 0x01]), 'ERR_FLAGS'],
    ['a topic length running past the packet (a lying length)', Buffer.concat([Buffer.from([0x30, 0x05]), u16(16), Buffer.from('abc')]), 'ERR_TOPIC_LENGTH'],
    ['a remaining length of 5 bytes', Buffer.from([0x30, 0xff, 0xff, 0xff, 0xff, 0x01]), 'ERR_VBI'],
    ['QoS 3', packet(0x36, str('t'), u16(1), Buffer.from('x')), 'ERR_QOS'],
    ['DUP on QoS 0', packet(0x38, str('t'), Buffer.from('x')), 'ERR_DUP'],
    ['a reserved packet type', Buffer.from([0xf0, 0x00]), 'ERR_TYPE'],
    ['a topic with U+0000', packet(0x30, str('a\u0000b'), Buffer.from('x')), 'ERR_UTF8'],
    ['a topic with a wildcard', packet(0x30, str('a/+'), Buffer.from('x')), 'ERR_INVALID_TOPIC'],
    ['a second CONNACK', connack(0), 'ERR_PROTOCOL_VIOLATION'],
  ];
  for (const [what, bytes, code] of cases) {
    it(`${what} → ${code}, and the client closes the connection`, async () => {
      const { c, conn } = await connected();
      const error = nextEvent(c, 'error');
      const messages: string[] = [];
      c.on('message', (topic: string) => messages.push(topic));
      conn.send(bytes);
      const [err] = await error as [MqttError];
      expect(err).toBeInstanceOf(MqttError);
      expect(err.code).toBe(code);
      await conn.closed;
      expect(conn.closedByClient).toBe(true);
      expect(c.connected).toBe(false);
      expect(messages).toEqual([]);
    });
  }
});

describe('5.0: the client says why it hangs up', () => {
  const cases: Array<[string, Buffer, number, MqttClientOptions]> = [
    ['a malformed packet: DISCONNECT 0x81 Malformed Packet', Buffer.from([0x42, 0x02, 0x00, 0x01]), 0x81, {}],
    ['an oversized packet: DISCONNECT 0x95 Packet Too Large', Buffer.from([0x30, 0xd1, 0x0f]), 0x95, { maxPacketSize: 1024 }],
    ['a second CONNACK: DISCONNECT 0x82 Protocol Error', connack(0, true), 0x82, {}],
  ];
  for (const [what, bytes, reason, options] of cases) {
    it(what, async () => {
      const { c, conn } = await connected({ protocolVersion: 5, ...options });
      c.on('error', () => undefined);
      conn.send(bytes);
      // the reason code alone: no properties, so the remaining length is 1
      expect((await conn.expect(Type.DISCONNECT)).toString('hex')).toBe(packet(0xe0, [reason]).toString('hex'));
      await conn.closed;
      expect(conn.closedByClient).toBe(true);
    });
  }
});

describe('an oversized packet', () => {
  it('beyond maxPacketSize → ERR_PACKET_TOO_LARGE, refused from its header, without waiting for its body', async () => {
    const { c, conn } = await connected({ maxPacketSize: 1024 });
    const error = nextEvent(c, 'error');
    conn.send(Buffer.from([0x30, 0xd1, 0x0f]));   // a PUBLISH announcing 2001 bytes, none of them sent
    const [err] = await error as [MqttError];
    expect(err.code).toBe('ERR_PACKET_TOO_LARGE');
    await conn.closed;
    expect(conn.closedByClient).toBe(true);
  });

  it('a header announcing 200 MiB commits only the memory of the bytes that come (the client driven on this thread)', async () => {
    const rssMiB = () => Number(/^Rss:\s+(\d+) kB/m.exec(readFileSync('/proc/self/smaps_rollup', 'utf8'))![1]) / 1024;
    const { c, conn } = await connected({ driver: 'inline' });
    const before = rssMiB();
    const size = 200 << 20, topic = 'big';
    const vbi: number[] = [];
    for (let n = size; ; n >>= 7) {
      vbi.push((n & 0x7f) | (n >= 0x80 ? 0x80 : 0));
      if (n < 0x80) break;
    }
    conn.send(Buffer.concat([Buffer.from([0x30, ...vbi]), str(topic), Buffer.alloc(1 << 20, 1)]));   // 1 MiB of it
    await new Promise((r) => setTimeout(r, 300));
    expect(rssMiB() - before).toBeLessThan(32);
    expect(c.connected).toBe(true);   // still waiting for the rest (afterEach ends it)
  });

  it('with the default maxPacketSize (the protocol maximum) a 5 MiB message arrives, then the stream goes on', async () => {
    const { c, conn } = await connected();
    const arriving = nextMessages(c, 3);
    const big = Buffer.alloc(5 << 20, 7);
    conn.send(publish('small', 'a'), publish('big', big, { qos: 1, id: 1 }), publish('small', 'b'));
    const got = await arriving;
    expect(got.map((m) => m.payload.length)).toEqual([1, 5 << 20, 1]);
    expect(got[1].payload.equals(big)).toBe(true);
    expect(got[2].payload.toString()).toBe('b');
    expect(packetId(await conn.expect(Type.PUBACK))).toBe(1);
    expect(c.connected).toBe(true);
  });

  it('3.1.1, beyond a maxPacketSize set: ERR_PACKET_TOO_LARGE once, and no reconnect that would bring it back', async () => {
    const { c, conn } = await connected({ maxPacketSize: 1024, reconnectPeriod: 50, reconnectMaxPeriod: 50 });
    const errors: MqttError[] = [];
    let reconnects = 0;
    c.on('error', (e) => errors.push(e));
    c.on('reconnect', () => { reconnects++; });
    conn.send(publish('big', Buffer.alloc(2000), { qos: 1, id: 1 }));
    await conn.closed;
    await sleep(500);   // ten reconnect periods
    expect(errors.map((e) => e.code)).toEqual(['ERR_PACKET_TOO_LARGE']);
    expect(reconnects).toBe(0);
    expect(c.state).toBe('disconnected');
    await expect(broker.accept(100)).rejects.toThrow(/no client connected/);
  });

  it('of exactly maxPacketSize bytes is delivered; one byte more is refused', async () => {
    const { c, conn } = await connected({ maxPacketSize: 1024 });
    const arriving = nextMessages(c, 1);
    const fill = (total: number) => publish('big', Buffer.alloc(total - 8, 1));   // 8: first byte, 2 length bytes, topic
    expect(fill(1024).length).toBe(1024);
    conn.send(fill(1024));
    expect((await arriving)[0].payload.length).toBe(1016);
    const error = nextEvent(c, 'error');
    conn.send(fill(1025));
    expect(((await error)[0] as MqttError).code).toBe('ERR_PACKET_TOO_LARGE');
  });
});

describe('CONNACK refusals', () => {
  /** The error connect() rejects with when the broker answers CONNECT with `answer`. */
  async function answeredWith(answer: Buffer, options: MqttClientOptions = {}): Promise<MqttError> {
    const failing = connectError(client(options));
    const conn = await broker.accept();
    await conn.expect(Type.CONNECT);
    conn.send(answer);
    const err = await failing;
    await conn.closed;
    return err;
  }

  const codes3 = ['ERR_CONNACK_VERSION', 'ERR_CONNACK_ID', 'ERR_CONNACK_UNAVAILABLE', 'ERR_CONNACK_BAD_AUTH', 'ERR_CONNACK_NOT_AUTHORIZED'];
  codes3.forEach((code, i) => {
    it(`3.1.1 return code ${i + 1} → ${code}`, async () => {
      expect(await answeredWith(connack(i + 1))).toMatchObject({ code, reasonCode: i + 1 });
    });
  });

  const codes5: Array<[number, string]> = [
    [0x80, 'ERR_CONNACK_REFUSED'], [0x84, 'ERR_CONNACK_VERSION'], [0x85, 'ERR_CONNACK_ID'], [0x86, 'ERR_CONNACK_BAD_AUTH'],
    [0x87, 'ERR_CONNACK_NOT_AUTHORIZED'], [0x88, 'ERR_CONNACK_UNAVAILABLE'], [0x89, 'ERR_CONNACK_UNAVAILABLE'], [0x9f, 'ERR_CONNACK_REFUSED'],
  ];
  for (const [reason, code] of codes5) {
    it(`5.0 reason 0x${reason.toString(16)} → ${code} with reasonCode`, async () => {
      expect(await answeredWith(connack(reason, true), { protocolVersion: 5 })).toMatchObject({ code, reasonCode: reason });
    });
  }

  it('5.0 Session Present 1 in answer to Clean Start 1 → ERR_SESSION_PRESENT [MQTT-3.2.2-4]', async () => {
    const present = Buffer.from([0x20, 3, 1, 0, 0]);   // session present, success, no properties
    expect((await answeredWith(present, { protocolVersion: 5 })).code).toBe('ERR_SESSION_PRESENT');
  });

  it('a 3.1.1 return code above 5 is a protocol error, not a connection', async () => {
    expect((await answeredWith(connack(6))).code).toBe('ERR_REASON');
  });
});

describe('a broker that does not answer', () => {
  it('times out a CONNACK that never comes after connectTimeout', async () => {
    const c = client({ connectTimeout: 300 });
    const started = performance.now();
    const failing = connectError(c);
    const conn = await broker.accept();
    await conn.expect(Type.CONNECT);
    expect((await failing).code).toBe('ERR_CONNECT_TIMEOUT');
    expect(performance.now() - started).toBeGreaterThanOrEqual(250);
    expect(performance.now() - started).toBeLessThan(1500);
  });

  it('connects when the CONNACK comes late but in time', async () => {
    const c = client({ connectTimeout: 2000 });
    const connecting = c.connect();
    const conn = await broker.accept();
    await conn.expect(Type.CONNECT);
    await sleep(300);
    conn.send(connack(0));
    await connecting;
    expect(c.connected).toBe(true);
  });
});
