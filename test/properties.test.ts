// MQTT 5.0 in the TypeScript API: properties sent with CONNECT, PUBLISH,
// SUBSCRIBE and UNSUBSCRIBE reach mosquitto and come back on received
// messages; subscription options; CONNACK properties on 'connect'; and
// properties refused before anything is sent when they cannot be sent.
import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MqttClient, connect, type ConnackPacket, type MessagePacket } from '../lib/index.js';
import { startMosquitto, type Broker } from './support/mosquitto.js';

let broker: Broker;
beforeAll(async () => { broker = await startMosquitto(); });
afterAll(async () => { await broker?.stop(); });

const v5 = () => ({ host: '127.0.0.1', port: broker.port, protocolVersion: 5 as const });

/** The next message the client receives on `topic`. */
function nextOn(client: MqttClient, topic: string): Promise<MessagePacket> {
  return new Promise((resolve) => {
    const on = (t: string, _p: Buffer, packet: MessagePacket) => {
      if (t !== topic) return;
      client.off('message', on);
      resolve(packet);
    };
    client.on('message', on);
  });
}

describe('MQTT 5.0 properties', () => {
  it('sends PUBLISH properties that arrive with the message, with the subscription identifier', async () => {
    const client = await connect(v5());
    await client.subscribe('props/a', { qos: 1, properties: { subscriptionIdentifier: 42, userProperties: { why: 'test' } } });
    const got = nextOn(client, 'props/a');
    await client.publish('props/a', 'body', {
      qos: 1,
      properties: {
        payloadFormatIndicator: true,
        messageExpiryInterval: 3600,
        contentType: 'text/plain',
        responseTopic: 'props/reply',
        correlationData: Buffer.from([0, 1, 2, 255]),
        userProperties: { a: '1', b: ['x', 'y'] },
      },
    });
    const m = await got;
    expect(m.payload.toString()).toBe('body');
    expect(m.properties).toMatchObject({
      payloadFormatIndicator: true,
      contentType: 'text/plain',
      responseTopic: 'props/reply',
      correlationData: Buffer.from([0, 1, 2, 255]),
      userProperties: { a: '1', b: ['x', 'y'] },
      subscriptionIdentifier: 42,
    });
    expect(m.properties!.messageExpiryInterval).toBeGreaterThan(3500);   // the broker counts down
    expect(m.properties!.messageExpiryInterval).toBeLessThanOrEqual(3600);
    await client.unsubscribe('props/a', { properties: { userProperties: { bye: 'now' } } });
    await client.end();
  });

  it('gives a message without properties no properties field', async () => {
    const client = await connect(v5());
    await client.subscribe('props/plain');
    const got = nextOn(client, 'props/plain');
    await client.publish('props/plain', 'x');
    expect((await got).properties).toBeUndefined();
    await client.end();
  });

  it('honours No Local: its own publishes are not sent back, others are', async () => {
    const client = await connect(v5());
    const other = await connect(v5());
    await client.subscribe({ 'props/nl': { qos: 1, nl: true } });
    const got = nextOn(client, 'props/nl');
    await client.publish('props/nl', 'mine', { qos: 1 });
    await other.publish('props/nl', 'theirs', { qos: 1 });
    expect((await got).payload.toString()).toBe('theirs');
    await Promise.all([client.end(), other.end()]);
  });

  it('reports CONNACK properties on connect (an assigned client identifier for an empty one)', async () => {
    const client = new MqttClient({ ...v5(), clientId: '', properties: { sessionExpiryInterval: 0, userProperties: { app: 'test' } } });
    const connack = new Promise<ConnackPacket>((resolve) => client.once('connect', resolve));
    await client.connect();
    const packet = await connack;
    expect(packet.reasonCode).toBe(0);
    expect(packet.properties?.assignedClientIdentifier).toMatch(/.+/);
    await client.end();
  });

  it("refuses a PUBLISH above the broker's Maximum Packet Size before sending it", async () => {
    // a broker whose CONNACK says Maximum Packet Size 100, and counts PUBLISH packets
    let publishes = 0;
    const server = createServer((sock) => {
      sock.on('error', () => undefined);   // the client's forced close may reset it
      sock.once('data', () => {
        sock.write(Buffer.from([0x20, 8, 0, 0, 5, 0x27, 0, 0, 0, 100]));
        sock.on('data', (d) => { if ((d[0] & 0xf0) === 0x30) publishes++; });
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    const client = await connect({ host: '127.0.0.1', port, protocolVersion: 5, keepalive: 0 });
    await expect(client.publish('big', Buffer.alloc(100))).rejects.toMatchObject({
      code: 'ERR_PACKET_TOO_LARGE', message: expect.stringContaining("Maximum Packet Size (100)"),
    });
    // 1 + 1 + (2 + 3 topic + 1 props length + 92 payload) = 100 bytes: fits exactly
    await client.publish('big', Buffer.alloc(92));
    await expect(client.publish('big', Buffer.alloc(93))).rejects.toMatchObject({ code: 'ERR_PACKET_TOO_LARGE' });
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(publishes).toBe(1);
    await client.end({ force: true });
    await new Promise((resolve) => server.close(resolve));
  });

  it("refuses a SUBSCRIBE or UNSUBSCRIBE above the broker's Maximum Packet Size, properties counted, before sending it", async () => {
    // a broker whose CONNACK says Maximum Packet Size 30, and counts SUBSCRIBE and UNSUBSCRIBE packets
    let requests = 0;
    const server = createServer((sock) => {
      sock.on('error', () => undefined);
      sock.once('data', () => {
        sock.write(Buffer.from([0x20, 8, 0, 0, 5, 0x27, 0, 0, 0, 30]));
        sock.on('data', (d) => { if ((d[0] & 0xf0) === 0x80 || (d[0] & 0xf0) === 0xa0) requests++; });
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    const client = await connect({ host: '127.0.0.1', port, protocolVersion: 5, keepalive: 0 });
    // SUBSCRIBE: 1 + 1 + (2 id + 1 props length + 2 + 23 filter + 1 options) = 31 bytes
    const filter = 'f'.repeat(23);
    await expect(client.subscribe(filter)).rejects.toMatchObject({
      code: 'ERR_PACKET_TOO_LARGE', message: expect.stringContaining('31-byte SUBSCRIBE'),
    });
    // UNSUBSCRIBE of it: 30 bytes, which fits; with a user property it does not
    await expect(client.unsubscribe(filter, { properties: { userProperties: { k: 'v' } } })).rejects.toMatchObject({
      code: 'ERR_PACKET_TOO_LARGE', message: expect.stringContaining("Maximum Packet Size (30)"),
    });
    void client.unsubscribe(filter).catch(() => undefined);   // never answered by this broker
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(requests).toBe(1);
    await client.end({ force: true });
    await new Promise((resolve) => server.close(resolve));
  });

  it('refuses properties it cannot send, naming them, before anything is sent', async () => {
    expect(() => new MqttClient({ host: '127.0.0.1', properties: { sessionExpiryInterval: 1 } }))
      .toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG', message: expect.stringContaining('options.properties needs protocolVersion 5') }));
    expect(() => new MqttClient({ ...v5(), properties: { topicAlias: 1 } as never }))
      .toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG', message: expect.stringContaining('options.properties.topicAlias') }));
    expect(() => new MqttClient({ ...v5(), will: { topic: 'w', payload: 'x', properties: { willDelayInterval: -1 } } }))
      .toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG', message: expect.stringContaining('options.will.properties.willDelayInterval') }));

    const client = await connect(v5());
    await expect(client.publish('props/t', 'x', { properties: { contentType: 7 as never } }))
      .rejects.toMatchObject({ code: 'ERR_INVALID_ARG', message: expect.stringContaining('options.properties.contentType') });
    await expect(client.publish('props/t', 'x', { properties: { userProperties: { k: 1 as never } } }))
      .rejects.toMatchObject({ code: 'ERR_INVALID_ARG', message: expect.stringContaining("userProperties['k']") });
    await expect(client.publish('props/t', 'x', { properties: { userProperties: { k: '\uD800' } } }))
      .rejects.toMatchObject({ code: 'ERR_UTF8' });
    await expect(client.subscribe('props/t', { properties: { subscriptionIdentifier: 0 } }))
      .rejects.toMatchObject({ code: 'ERR_INVALID_ARG', message: expect.stringContaining('subscriptionIdentifier') });
    await expect(client.subscribe({ 'props/t': { rh: 3 as never } }))
      .rejects.toMatchObject({ code: 'ERR_INVALID_ARG', message: expect.stringContaining("filters['props/t'].rh") });
    // the connection survived every refusal
    await client.subscribe('props/t');
    const got = nextOn(client, 'props/t');
    await client.publish('props/t', 'still here');
    expect((await got).payload.toString()).toBe('still here');
    await client.end();

    const v311 = await connect({ host: '127.0.0.1', port: broker.port });
    await expect(v311.subscribe('props/t', { nl: true })).rejects.toMatchObject({ code: 'ERR_INVALID_ARG', message: expect.stringContaining('need protocolVersion 5') });
    await expect(v311.publish('props/t', 'x', { properties: { contentType: 'a' } })).rejects.toMatchObject({ code: 'ERR_INVALID_ARG' });
    await v311.end();
  });
});
