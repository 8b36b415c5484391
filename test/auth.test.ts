// Authentication and authorization as MqttClient reports them: mosquitto's
// password and ACL listeners, and aedes with its authenticate and
// authorize hooks. Where a broker refuses without telling the client, the
// test says so and asserts what the broker really does.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, MqttClient, MqttError, type MqttClientOptions } from '../lib/index.js';
import { startAedes, type AedesBroker, type AedesHooks } from './support/aedes.js';
import { nextEvent, nextMessages } from './support/events.js';
import { ACL_OPEN, ACL_READ_ONLY, startMosquitto, USERS, type Broker } from './support/mosquitto.js';

/** The error connect() rejects with. */
async function refused(options: MqttClientOptions): Promise<MqttError> {
  const c = new MqttClient({ host: '127.0.0.1', ...options });
  const err = await c.connect().then(() => undefined, (e: unknown) => e);
  await c.end();
  expect(err).toBeInstanceOf(MqttError);
  return err as MqttError;
}

describe('mosquitto', () => {
  let broker: Broker;
  beforeAll(async () => { broker = await startMosquitto(); });
  afterAll(async () => { await broker?.stop(); });

  describe('password listener', () => {
    it('accepts a user with the right password, in options and in the URL (percent-decoded)', async () => {
      for (const protocolVersion of [3, 4, 5] as const) {
        const c = await connect({ host: '127.0.0.1', port: broker.passwordPort, protocolVersion, username: 'alice', password: USERS.alice });
        expect(c.connected).toBe(true);
        await c.end();
      }
      const encoded = encodeURIComponent(USERS.bob).replace('-', '%2D');
      const c = await connect(`mqtt://bob:${encoded}@127.0.0.1:${broker.passwordPort}`);
      expect(c.connected).toBe(true);
      await c.end();
    });

    // mosquitto 2.0.11 answers a wrong password, an unknown user and no
    // credentials alike with CONNACK 5 "not authorised" (5.0: 0x87), never 4
    const refusals: Array<[string, MqttClientOptions]> = [
      ['a wrong password', { username: 'alice', password: 'wrong' }],
      ['an unknown user', { username: 'eve', password: USERS.alice }],
      ['no credentials', {}],
    ];
    for (const [what, credentials] of refusals) {
      it(`refuses ${what}: ERR_CONNACK_NOT_AUTHORIZED (3.1.1 code 5, 5.0 reason 0x87)`, async () => {
        const port = broker.passwordPort;
        expect(await refused({ port, ...credentials })).toMatchObject({ code: 'ERR_CONNACK_NOT_AUTHORIZED' });
        expect(await refused({ port, protocolVersion: 5, ...credentials })).toMatchObject({ code: 'ERR_CONNACK_NOT_AUTHORIZED', reasonCode: 0x87 });
      });
    }
  });

  describe('ACL listener (bob: readwrite acl/open/#, read acl/read-only/#, nothing else)', () => {
    const login = (user: keyof typeof USERS, protocolVersion: 4 | 5) =>
      connect({ host: '127.0.0.1', port: broker.aclPort, protocolVersion, username: user, password: USERS[user] });

    for (const protocolVersion of [4, 5] as const) {
      it(`grants a denied subscription but delivers nothing on it (mosquitto's behaviour), protocol ${protocolVersion}`, async () => {
        const [bob, alice] = [await login('bob', protocolVersion), await login('alice', protocolVersion)];
        try {
          const base = `${ACL_OPEN}/sub/${protocolVersion}`;
          // mosquitto 2.0.11 grants the QoS asked for a filter the ACL denies
          expect(await bob.subscribe({ [`secret/${protocolVersion}`]: 1, [base]: 1 }))
            .toEqual([{ topic: `secret/${protocolVersion}`, qos: 1 }, { topic: base, qos: 1 }]);
          const arriving = nextMessages(bob, 1);
          await alice.publish(`secret/${protocolVersion}`, 'hidden', { qos: 1 });
          await alice.publish(base, 'visible', { qos: 1 });
          expect((await arriving)[0]).toMatchObject({ topic: base, payload: Buffer.from('visible') });
        } finally {
          await Promise.all([bob.end(), alice.end()]);
        }
      });
    }

    it('3.1.1: a denied publish is acknowledged like any other and dropped (mosquitto\'s behaviour)', async () => {
      const [bob, alice] = [await login('bob', 4), await login('alice', 4)];
      try {
        await alice.subscribe('#', { qos: 2 });
        const arriving = nextMessages(alice, 1);
        // QoS 0 dropped silently; QoS 1 and 2 completed (PUBACK, PUBCOMP): 3.1.1 has no way to say no
        for (const qos of [0, 1, 2] as const) {
          await bob.publish('secret/311', `denied ${qos}`, { qos });
          await bob.publish(`${ACL_READ_ONLY}/311`, `read-only ${qos}`, { qos });
        }
        await bob.publish(`${ACL_OPEN}/311`, 'allowed', { qos: 1 });
        expect((await arriving)[0].topic).toBe(`${ACL_OPEN}/311`);   // the first that reached alice
      } finally {
        await Promise.all([bob.end(), alice.end()]);
      }
    });

    it('5.0: a denied QoS 1 or 2 publish rejects with ERR_REFUSED_BY_BROKER, reasonCode 0x87; QoS 0 is dropped silently', async () => {
      const [bob, alice] = [await login('bob', 5), await login('alice', 5)];
      try {
        await alice.subscribe('#', { qos: 2 });
        const arriving = nextMessages(alice, 1);
        await bob.publish('secret/5', 'denied 0', { qos: 0 });   // mosquitto drops it without a word
        for (const topic of ['secret/5', `${ACL_READ_ONLY}/5`]) {
          for (const qos of [1, 2] as const) {
            await expect(bob.publish(topic, `denied ${qos}`, { qos }))
              .rejects.toMatchObject({ code: 'ERR_REFUSED_BY_BROKER', reasonCode: 0x87, message: expect.stringContaining('0x87') });
          }
        }
        // the refusals leave the connection working
        await bob.publish(`${ACL_OPEN}/5`, 'allowed', { qos: 1 });
        expect((await arriving)[0]).toMatchObject({ topic: `${ACL_OPEN}/5`, payload: Buffer.from('allowed') });
        expect(bob.connected).toBe(true);
      } finally {
        await Promise.all([bob.end(), alice.end()]);
      }
    });
  });
});

describe('aedes', () => {
  /** Runs `body` against an aedes with `hooks`, stopped afterwards. */
  async function withAedes(hooks: AedesHooks, body: (broker: AedesBroker) => Promise<void>): Promise<void> {
    const broker = await startAedes(hooks);
    try {
      await body(broker);
    } finally {
      await broker.stop();
    }
  }

  /** An authenticate hook that accepts alice and refuses others with `returnCode`, or with false when none is given. */
  const authenticate = (returnCode?: number): AedesHooks['authenticate'] => (_client, username, password, done) => {
    if (username === 'alice' && password?.toString() === USERS.alice) return done(null, true);
    if (returnCode === undefined) return done(null, false);
    done(Object.assign(new Error('refused'), { returnCode }), null);
  };

  it('authenticate: accepts the right password; an error with returnCode 4 → ERR_CONNACK_BAD_AUTH', async () => {
    await withAedes({ authenticate: authenticate(4) }, async ({ port }) => {
      const c = await connect({ host: '127.0.0.1', port, username: 'alice', password: Buffer.from(USERS.alice) });
      expect(c.connected).toBe(true);
      await c.end();
      expect(await refused({ port, username: 'alice', password: 'wrong' })).toMatchObject({ code: 'ERR_CONNACK_BAD_AUTH' });
      expect(await refused({ port, protocolVersion: 3, username: 'alice', password: 'wrong' })).toMatchObject({ code: 'ERR_CONNACK_BAD_AUTH' });
    });
  });

  it('authenticate: a plain refusal (return code 5) → ERR_CONNACK_NOT_AUTHORIZED; returnCode 2 → ERR_CONNACK_ID', async () => {
    await withAedes({ authenticate: authenticate() }, async ({ port }) => {
      expect(await refused({ port, username: 'bob', password: 'x' })).toMatchObject({ code: 'ERR_CONNACK_NOT_AUTHORIZED' });
    });
    await withAedes({ authenticate: authenticate(2) }, async ({ port }) => {
      expect(await refused({ port, username: 'bob', password: 'x' })).toMatchObject({ code: 'ERR_CONNACK_ID' });
    });
  });

  it('authorizeSubscribe: a negated subscription is SUBACK 0x80 → ERR_SUBACK_REFUSED listing every filter; the others hold', async () => {
    const authorizeSubscribe: AedesHooks['authorizeSubscribe'] = (_client, sub, done) => done(null, sub.topic.startsWith('secret/') ? null : sub);
    await withAedes({ authorizeSubscribe }, async ({ port }) => {
      const c = await connect({ host: '127.0.0.1', port });
      try {
        const err = await c.subscribe({ 'open/a': 1, 'secret/b': 2, 'open/c': 0 }).then(() => undefined, (e: unknown) => e) as MqttError;
        expect(err).toBeInstanceOf(MqttError);
        expect(err).toMatchObject({ code: 'ERR_SUBACK_REFUSED', reasonCode: 0x80, message: expect.stringContaining('secret/b (0x80)') });
        expect(err.granted).toEqual([{ topic: 'open/a', qos: 1 }, { topic: 'secret/b', qos: 0x80 }, { topic: 'open/c', qos: 0 }]);
        const arriving = nextMessages(c, 2);
        for (const topic of ['secret/b', 'open/a', 'open/c']) await c.publish(topic, topic, { qos: 1 });
        expect((await arriving).map((m) => [m.topic, m.qos])).toEqual([['open/a', 1], ['open/c', 0]]);
      } finally {
        await c.end();
      }
    });
  });

  it('authorizePublish: aedes closes the connection without a word (MQTT-3.3.5-2); the publish does not resolve', async () => {
    const authorizePublish: AedesHooks['authorizePublish'] = (_client, packet, done) => done(packet.topic.startsWith('secret/') ? new Error('denied') : null);
    await withAedes({ authorizePublish }, async ({ port }) => {
      const c = await connect({ host: '127.0.0.1', port });
      const errors: string[] = [];
      c.on('error', (e: MqttError) => errors.push(e.code));
      const offline = nextEvent(c, 'offline');
      let outcome = 'pending';
      const publishing = c.publish('secret/x', 'x', { qos: 1 }).then(() => { outcome = 'resolved'; }, (e: MqttError) => { outcome = e.code; });
      await offline;
      expect(errors).toEqual(['ERR_CLOSED']);
      expect(outcome).toBe('pending');
      await c.end();
      await publishing;
      expect(outcome).toBe('ERR_CLOSED');
    });
  });
});
