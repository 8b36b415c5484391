// MQTT 5.0 topic aliases from Node: the bytes the client sends with a
// caller's topicAlias and with autoAssignTopicAlias (fake broker), the
// aliases a broker uses towards the client resolved before 'message', and
// both directions end to end through mosquitto (which takes up to 10
// aliases from a client and ends the connection on a wrong one).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MqttClient, connect, type MessagePacket } from '../lib/index.js';
import { FakeBroker, type FakeConnection } from './support/fake-broker.js';
import { packet, str, Type, u16, vbi } from './support/mqtt-bytes.js';
import { startMosquitto, type Broker } from './support/mosquitto.js';

let broker: Broker;
let fake: FakeBroker;
beforeAll(async () => { [broker, fake] = await Promise.all([startMosquitto(), FakeBroker.start()]); });
afterAll(async () => { await Promise.all([broker?.stop(), fake?.stop()]); });

/** A 5.0 CONNACK accepting the connection with this property block. */
const connack5 = (props: Buffer) => packet(0x20, [0, 0], vbi(props.length), props);
/** A 5.0 QoS 0 PUBLISH from the broker with a Topic Alias (topic may be ''). */
const aliased = (topic: string, alias: number, payload: string) =>
  packet(0x30, str(topic), vbi(3), [0x23], u16(alias), Buffer.from(payload));

/** Connects a 5.0 client to the fake broker, which answers with `props`. */
async function fakeConnected(options: object, props: Buffer): Promise<{ client: MqttClient; conn: FakeConnection; connect: Buffer }> {
  const client = new MqttClient({ host: '127.0.0.1', port: fake.port, protocolVersion: 5, reconnectPeriod: 0, ...options });
  const done = client.connect();
  const conn = await fake.accept();
  const sent = await conn.expect(Type.CONNECT);
  conn.send(connack5(props));
  await done;
  return { client, conn, connect: sent };
}

/** The next PUBLISH the client sends: its topic and its property block. */
async function nextPublish(conn: FakeConnection): Promise<{ topic: string; props: Buffer }> {
  const p = await conn.expect(Type.PUBLISH);
  let at = 1;
  while (p[at] & 0x80) at++;
  at++;
  const topicLen = p.readUInt16BE(at);
  const topic = p.subarray(at + 2, at + 2 + topicLen).toString();
  at += 2 + topicLen;   // QoS 0: no packet id
  const propsLen = p[at];   // below 128 in these tests
  return { topic, props: p.subarray(at + 1, at + 1 + propsLen) };
}

const ALIAS_1 = Buffer.from([0x23, 0, 1]);
const ALIAS_2 = Buffer.from([0x23, 0, 2]);

describe('outgoing topic aliases', () => {
  it("sends a caller's topicAlias with its topic once per connection, then alone", async () => {
    const { client, conn } = await fakeConnected({}, Buffer.from([0x22, 0, 5]));
    expect(client.serverProperties).toEqual({ topicAliasMaximum: 5 });
    await client.publish('sensors/a', '1', { properties: { topicAlias: 2 } });
    await client.publish('sensors/a', '2', { properties: { topicAlias: 2 } });
    await client.publish('sensors/b', '3', { properties: { topicAlias: 2 } });
    expect(await nextPublish(conn)).toEqual({ topic: 'sensors/a', props: ALIAS_2 });
    expect(await nextPublish(conn)).toEqual({ topic: '', props: ALIAS_2 });
    expect(await nextPublish(conn)).toEqual({ topic: 'sensors/b', props: ALIAS_2 });   // remapped
    await client.end();
  });

  it('refuses an alias above the broker\'s maximum without sending it', async () => {
    const { client, conn } = await fakeConnected({}, Buffer.from([0x22, 0, 2]));
    await expect(client.publish('t', 'x', { qos: 1, properties: { topicAlias: 3 } })).rejects.toMatchObject({ code: 'ERR_TOPIC_ALIAS' });
    await client.publish('t', 'y');
    expect((await nextPublish(conn)).topic).toBe('t');   // the refused one never went out
    expect(client.connected).toBe(true);
    await client.end();
  });

  it('assigns aliases itself with autoAssignTopicAlias, within the broker\'s maximum', async () => {
    const { client, conn } = await fakeConnected({ autoAssignTopicAlias: true }, Buffer.from([0x22, 0, 1]));
    for (const t of ['a/1', 'a/1', 'a/2', 'a/1']) await client.publish(t, 'x');
    expect(await nextPublish(conn)).toEqual({ topic: 'a/1', props: ALIAS_1 });
    expect(await nextPublish(conn)).toEqual({ topic: '', props: ALIAS_1 });
    expect(await nextPublish(conn)).toEqual({ topic: 'a/2', props: ALIAS_1 });   // one alias: reused
    expect(await nextPublish(conn)).toEqual({ topic: 'a/1', props: ALIAS_1 });
    await client.end();
  });

  it('refuses autoAssignTopicAlias before 5.0', () => {
    expect(() => new MqttClient({ autoAssignTopicAlias: true })).toThrow(expect.objectContaining({
      code: 'ERR_INVALID_ARG', message: expect.stringContaining('options.autoAssignTopicAlias') }));
  });

  it('go through mosquitto, which delivers every message under its topic', async () => {
    const url = { host: '127.0.0.1', port: broker.port, protocolVersion: 5 as const };
    const sub = await connect(url);
    await sub.subscribe('alias/#', { qos: 1 });
    const got: string[] = [];
    sub.on('message', (topic, payload) => got.push(`${topic}=${payload}`));
    const pub = await connect({ ...url, autoAssignTopicAlias: true });
    expect(pub.serverProperties?.topicAliasMaximum).toBe(10);   // mosquitto's default max_topic_alias
    const sent: string[] = [];
    for (let i = 0; i < 30; i++) {
      const topic = `alias/${i % 12}`;   // more topics than aliases: some are reassigned
      await pub.publish(topic, String(i), { qos: 1 });
      sent.push(`${topic}=${i}`);
    }
    await pub.publish('alias/x', 'own', { qos: 1, properties: { topicAlias: 10 } });
    await pub.publish('alias/x', 'own again', { qos: 1, properties: { topicAlias: 10 } });
    sent.push('alias/x=own', 'alias/x=own again');
    await expect.poll(() => got.length).toBe(sent.length);
    expect(got).toEqual(sent);
    expect(pub.connected).toBe(true);
    await Promise.all([pub.end(), sub.end()]);
  });
});

describe('incoming topic aliases', () => {
  it('announces options.properties.topicAliasMaximum and resolves the broker\'s aliases', async () => {
    const { client, conn, connect: sent } = await fakeConnected({ properties: { topicAliasMaximum: 2 } }, Buffer.alloc(0));
    expect(sent.includes(Buffer.from([0x22, 0, 2]))).toBe(true);
    const got: MessagePacket[] = [];
    client.on('message', (_t, _p, packet) => got.push(packet));
    conn.send(aliased('room/1', 1, 'a'), aliased('', 1, 'b'), aliased('room/2', 2, 'c'), aliased('', 2, 'd'), aliased('', 1, 'e'));
    await expect.poll(() => got.length).toBe(5);
    expect(got.map((m) => `${m.topic}=${m.payload}`)).toEqual(['room/1=a', 'room/1=b', 'room/2=c', 'room/2=d', 'room/1=e']);
    expect(got[1].properties).toEqual({ topicAlias: 1 });
    await client.end();
  });

  it('ends the connection on an alias it never announced', async () => {
    const { client, conn } = await fakeConnected({ properties: { topicAliasMaximum: 1 } }, Buffer.alloc(0));
    const lost = new Promise((resolve) => client.once('error', resolve));
    conn.send(aliased('room/1', 2, 'a'));
    expect(await lost).toMatchObject({ code: 'ERR_PROTOCOL_VIOLATION' });
    const disconnect = await conn.expect(Type.DISCONNECT);
    expect(disconnect[2]).toBe(0x94);   // Topic Alias invalid
    await client.end();
  });

  it('bounds the aliases a client keeps', async () => {
    const client = new MqttClient({ port: fake.port, protocolVersion: 5, properties: { topicAliasMaximum: 257 } });
    await expect(client.connect()).rejects.toMatchObject({
      code: 'ERR_INVALID_ARG', message: expect.stringContaining('options.properties.topicAliasMaximum must be at most 256') });
    await client.end();
  });
});
