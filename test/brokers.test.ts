// MqttClient against two real brokers, mosquitto and aedes, with MQTT.js as
// the independent peer: messages at QoS 0, 1 and 2 in both directions, the
// granted QoS, retained messages, and the protocol versions each accepts.
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, MqttClient, type QoS } from '../lib/index.js';
import { startAedes } from './support/aedes.js';
import { nextMessages } from './support/events.js';
import { startMosquitto } from './support/mosquitto.js';

interface Target { port: number; stop(): Promise<void> }

// aedes 1.x speaks 3.1 and 3.1.1 only: see the end of this file for 5.0
const targets: Array<[string, Array<3 | 4 | 5>, () => Promise<Target>]> = [
  ['mosquitto', [3, 4, 5], startMosquitto],
  ['aedes', [3, 4], startAedes],
];

describe.each(targets)('against %s', (name, versions, start) => {
  let target: Target;
  let peer: mqtt.MqttClient;
  beforeAll(async () => {
    target = await start();
    peer = await mqtt.connectAsync({ host: '127.0.0.1', port: target.port, protocolVersion: 4, reconnectPeriod: 0 });
  });
  afterAll(async () => {
    await peer?.endAsync();
    await target?.stop();
  });

  const ours = (protocolVersion: 3 | 4 | 5 = 4) => connect({ host: '127.0.0.1', port: target.port, protocolVersion });

  /** The next `n` messages MQTT.js receives. */
  function peerReceives(n: number): Promise<Array<[string, string, number]>> {
    return new Promise((resolve) => {
      const got: Array<[string, string, number]> = [];
      const on = (topic: string, payload: Buffer, packet: mqtt.IPublishPacket) => {
        got.push([topic, payload.toString(), packet.qos]);
        if (got.length === n) {
          peer.off('message', on);
          resolve(got);
        }
      };
      peer.on('message', on);
    });
  }

  for (const version of versions) {
    it(`exchanges QoS 0, 1 and 2 with an MQTT.js peer both ways (protocol ${version})`, async () => {
      const base = `${name}/both/${version}`;
      const client = await ours(version);
      try {
        await peer.subscribeAsync(`${base}/to-peer/+`, { qos: 2 });
        const peerGot = peerReceives(3);
        await Promise.all(([0, 1, 2] as QoS[]).map((qos) => client.publish(`${base}/to-peer/${qos}`, `ours ${qos}`, { qos })));
        expect((await peerGot).sort()).toEqual([0, 1, 2].map((qos) => [`${base}/to-peer/${qos}`, `ours ${qos}`, qos]));

        await client.subscribe(`${base}/from-peer/+`, { qos: 2 });
        const weGot = nextMessages(client, 3);
        for (const qos of [0, 1, 2] as QoS[]) await peer.publishAsync(`${base}/from-peer/${qos}`, `peer ${qos}`, { qos });
        expect((await weGot).map((m) => [m.topic, m.payload.toString(), m.qos, m.retain]).sort())
          .toEqual([0, 1, 2].map((qos) => [`${base}/from-peer/${qos}`, `peer ${qos}`, qos, false]));
      } finally {
        await client.end();
      }
    });
  }

  it('delivers at the QoS granted when it is below the publish QoS', async () => {
    const base = `${name}/granted`;
    const client = await ours();
    try {
      expect(await client.subscribe({ [`${base}/zero`]: 0, [`${base}/one`]: 1 }))
        .toEqual([{ topic: `${base}/zero`, qos: 0 }, { topic: `${base}/one`, qos: 1 }]);
      const arriving = nextMessages(client, 2);
      await peer.publishAsync(`${base}/zero`, 'z', { qos: 2 });
      await peer.publishAsync(`${base}/one`, 'o', { qos: 2 });
      expect((await arriving).map((m) => [m.topic, m.qos]).sort()).toEqual([[`${base}/one`, 1], [`${base}/zero`, 0]]);
    } finally {
      await client.end();
    }
  });

  it('keeps a retained message for later subscribers, flagged retain, until an empty one clears it', async () => {
    const topic = `${name}/retained/${process.pid}`;
    const publisher = await ours();
    const live = await ours();
    const late: MqttClient[] = [];
    try {
      await live.subscribe(topic, { qos: 1 });
      const liveGot = nextMessages(live, 1);
      await publisher.publish(topic, 'kept', { qos: 1, retain: true });
      // a subscriber that was there gets it as a live message: retain clear
      expect((await liveGot)[0]).toMatchObject({ payload: Buffer.from('kept'), retain: false });

      late.push(await ours());
      const lateGot = nextMessages(late[0], 1);
      expect(await late[0].subscribe(topic, { qos: 1 })).toEqual([{ topic, qos: 1 }]);
      expect((await lateGot)[0]).toMatchObject({ topic, payload: Buffer.from('kept'), retain: true, qos: 1 });

      await publisher.publish(topic, '', { qos: 1, retain: true });
      late.push(await ours());
      const after = nextMessages(late[1], 1);
      await late[1].subscribe([topic, `${topic}/marker`], { qos: 1 });
      await publisher.publish(`${topic}/marker`, 'marker', { qos: 1 });
      expect((await after)[0].topic).toBe(`${topic}/marker`);   // nothing retained came first
    } finally {
      await Promise.all([publisher, live, ...late].map((c) => c.end()));
    }
  });

  it('receives a message MQTT.js retained, flagged retain', async () => {
    const topic = `${name}/peer-retained/${process.pid}`;
    await peer.publishAsync(topic, 'from the peer', { qos: 1, retain: true });
    const client = await ours();
    try {
      const got = nextMessages(client, 1);
      await client.subscribe(topic, { qos: 2 });
      expect((await got)[0]).toMatchObject({ payload: Buffer.from('from the peer'), retain: true, qos: 1 });
    } finally {
      await peer.publishAsync(topic, '', { qos: 1, retain: true });
      await client.end();
    }
  });
});

describe('protocol versions aedes refuses', () => {
  it('5.0: the connect is refused, as ERR_CONNACK_VERSION', async () => {
    const aedes = await startAedes();
    try {
      // aedes 1.x speaks 3.1 and 3.1.1 only and answers a level 5 CONNECT with
      // the 3.1.1 CONNACK 20 02 00 01 (unacceptable protocol version), as the
      // 5.0 specification allows a server without 5.0 to: the client reports
      // the version refusal, and does not reconnect
      const c = new MqttClient({ host: '127.0.0.1', port: aedes.port, protocolVersion: 5 });
      await expect(c.connect()).rejects.toMatchObject({ code: 'ERR_CONNACK_VERSION' });
      expect(c.state).toBe('disconnected');
      expect(c.connected).toBe(false);
      await c.end();
    } finally {
      await aedes.stop();
    }
  });
});
