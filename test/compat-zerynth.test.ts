// Zerynth `mqtt` (lib/compat/zerynth.ts) against mosquitto: the seed's
// examples line for line (Python in the comments; test.mosquitto.org
// replaced by the test broker), every method with its defaults, return
// values and error paths, and the Zerynth defect we fix (the first
// unacknowledged message resent forever).
//
// connect() and reconnect() block the JS thread, so a broker in this
// process (the fake broker, aedes) cannot answer them: tests that need one
// run the Zerynth client in a child process (Script) instead.
import { describe, expect, it, vi } from 'vitest';
import { createServer } from 'node:net';
import { connect } from '../lib/index.js';
import * as mqtt from '../lib/compat/zerynth.js';
import type { Client, ZerynthData } from '../lib/compat/zerynth.js';
import { startAedes } from './support/aedes.js';
import { connectFields } from './support/connect-fields.js';
import { nextMessages } from './support/events.js';
import { FakeBroker } from './support/fake-broker.js';
import { packetId, pubackFor, Type } from './support/mqtt-bytes.js';
import { freePort, USERS } from './support/mosquitto.js';
import { mosquittoWithWatcher } from './support/mosquitto-watcher.js';
import { DIST_URL, Script } from './support/script.js';
import { withWarnings } from './support/warnings.js';

const env = mosquittoWithWatcher();

const HOST = '127.0.0.1';
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A Zerynth client connected to mosquitto's plain listener, looping. */
function looping(clientId: string): Client {
  const client = new mqtt.Client(clientId);
  client.connect(HOST, 60, env.broker.port);
  client.loop();
  return client;
}

/** Records the data of every `command` packet's callback. */
function record(client: Client, command: number): ZerynthData[] {
  const seen: ZerynthData[] = [];
  client.on(command, (c, data) => {
    expect(c).toBe(client);
    seen.push(data);
  });
  return seen;
}

/** Resolves once `list` has `n` entries. */
async function count(list: unknown[], n: number, ms = 5000): Promise<void> {
  await vi.waitFor(() => {
    if (list.length < n) throw new Error(`${list.length} of ${n} within ${ms} ms`);
  }, { timeout: ms, interval: 5 });
}

/** A child process running `body` with `mqtt` (this module, built) and `port`. */
function zerynthScript(body: string, port: number): Script {
  return new Script(`const mqtt = await import(${JSON.stringify(new URL('compat/zerynth.js', DIST_URL).href)});\n${body}`, port, 20000);
}

/** The callbacks of the seed's on() example; `print` collects what Python would print. */
function coolExample(printed: string[]) {
  const print = (...args: unknown[]) => printed.push(args.join(' '));
  // def is_cool(data):
  //     if ('message' in data):
  //         return (data['message'].topic == "cool")
  //     return False
  const is_cool = (data: ZerynthData) => ('message' in data ? data.message!.topic === 'cool' : false);
  // def print_cool_stuff(client, data):
  //     print("cool: ", data['message'].payload)
  const print_cool_stuff = (_client: Client, data: ZerynthData) => print('cool: ', data.message!.payload);
  // def print_generic_stuff(client, data):
  //     if ('message' in data):
  //         print("not cool: ", data['message'].payload)
  const print_generic_stuff = (_client: Client, data: ZerynthData) => {
    if ('message' in data) print('not cool: ', data.message!.payload);
  };
  return { print, is_cool, print_cool_stuff, print_generic_stuff };
}

describe('examples of the seed', () => {
  it('the Client example: connects on the first try, subscribes, and sends only "cool" messages to print_cool_stuff', async () => {
    const printed: string[] = [];
    const { print, is_cool, print_cool_stuff } = coolExample(printed);
    // my_client = mqtt.Client("myId",True)
    const my_client = new mqtt.Client('myId', true);
    // for retry in range(10):
    //     try:
    //         my_client.connect("test.mosquitto.org", 60)
    //         break
    //     except Exception as e:
    //         print("connecting...")
    for (let retry = 0; retry < 10; retry++) {
      try {
        my_client.connect(HOST, 60, env.broker.port);
        break;
      } catch {
        print('connecting...');
      }
    }
    // my_client.subscribe([["cool/channel",1]])
    my_client.subscribe([['cool/channel', 1]]);
    // my_client.on(mqtt.PUBLISH, print_cool_stuff, is_cool)
    my_client.on(mqtt.PUBLISH, print_cool_stuff, is_cool);
    // my_client.loop()
    my_client.loop();
    const subacks = record(my_client, mqtt.SUBACK);
    await count(subacks, 1);
    // "cool/channel" is not "cool": no callback runs for it
    await env.watcher.publish('cool/channel', 'channel news', { qos: 1 });
    my_client.subscribe([['cool', 1]]);
    await count(subacks, 2);
    await env.watcher.publish('cool', 'very cool', { qos: 1 });
    await count(printed, 1);
    await pause(100);
    expect(printed).toEqual(['cool:  very cool']);
    my_client.disconnect();
  });

  it('the Client example against a broker that refuses it: connect raises each time, "connecting..." ten times', () => {
    const printed: string[] = [];
    const { print } = coolExample(printed);
    const my_client = new mqtt.Client('myId', true);
    for (let retry = 0; retry < 10; retry++) {
      try {
        my_client.connect(HOST, 60, env.broker.passwordPort);   // no user name: CONNACK 5
        break;
      } catch {
        print('connecting...');
      }
    }
    expect(printed).toEqual(Array(10).fill('connecting...'));
    expect(() => my_client.publish('cool', 'x')).toThrow(expect.objectContaining({ code: 'ERR_NOT_CONNECTED' }));
  });

  it('the on() example: print_cool_stuff for topic "cool", print_generic_stuff only when is_cool is False', async () => {
    const printed: string[] = [];
    const { is_cool, print_cool_stuff, print_generic_stuff } = coolExample(printed);
    const my_client = looping('zerynth-on-example');
    // my_client.on(mqtt.PUBLISH, print_cool_stuff, is_cool)
    my_client.on(mqtt.PUBLISH, print_cool_stuff, is_cool);
    // my_client.on(mqtt.PUBLISH, print_generic_stuff)
    my_client.on(mqtt.PUBLISH, print_generic_stuff);
    const subacks = record(my_client, mqtt.SUBACK);
    my_client.subscribe([['cool', 0], ['warm', 1], ['hot', 2]]);
    await count(subacks, 1);
    await env.watcher.publish('cool', 'ice', { qos: 1 });
    await env.watcher.publish('warm', 'tea', { qos: 1 });
    await env.watcher.publish('hot', 'lava', { qos: 2 });   // QoS 2: its PUBLISH has no message, its PUBREL goes elsewhere
    await env.watcher.publish('cool', 'snow', { qos: 1 });
    await count(printed, 3);
    await pause(100);
    expect(printed).toEqual(['cool:  ice', 'not cool:  tea', 'cool:  snow']);
    my_client.disconnect();
  });
});

describe('Client', () => {
  it('exports the command constants with their packet type values, and MQTTMessage', () => {
    expect([mqtt.PUBLISH, mqtt.PUBACK, mqtt.PUBREC, mqtt.PUBREL, mqtt.PUBCOMP, mqtt.SUBACK, mqtt.UNSUBACK, mqtt.PINGREQ, mqtt.PINGRESP])
      .toEqual([0x30, 0x40, 0x50, 0x60, 0x70, 0x90, 0xb0, 0xc0, 0xd0]);
    expect([mqtt.CONNECT, mqtt.CONNACK, mqtt.SUBSCRIBE, mqtt.UNSUBSCRIBE, mqtt.DISCONNECT]).toEqual([0x10, 0x20, 0x80, 0xa0, 0xe0]);
    expect({ ...new mqtt.MQTTMessage() }).toEqual({ topic: '', payload: '', qos: 0, retain: false, mid: 0, raw: Buffer.alloc(0) });
  });

  it('refuses bad arguments with MqttErrors naming them', () => {
    const client = new mqtt.Client('zerynth-bad');
    const bad: Array<[() => unknown, string, string]> = [
      [() => new mqtt.Client(42 as never), 'ERR_INVALID_ARG', 'client_id'],
      [() => new mqtt.Client('x', 'yes' as never), 'ERR_INVALID_ARG', 'clean_session'],
      [() => new mqtt.Client('x', { clean: true } as never), 'ERR_INVALID_ARG', 'clean'],
      [() => client.connect(HOST, -1, env.broker.port), 'ERR_INVALID_ARG', 'keepalive'],
      [() => client.connect(HOST, 60, 70000), 'ERR_INVALID_ARG', 'port'],
      [() => client.connect(HOST, 60, env.broker.port, { cafile: 'x' } as never), 'ERR_INVALID_ARG', 'cafile'],
      [() => client.connect(HOST, 60, { port: env.broker.port, sock_keepalive: [1, 2] as never }), 'ERR_INVALID_ARG', 'sock_keepalive'],
      [() => client.connect(HOST, 60, env.broker.port, null, 'cb' as never), 'ERR_INVALID_ARG', 'breconnect_cb'],
      [() => client.set_will('a/+', 'x', 0, false), 'ERR_INVALID_TOPIC', 'topic'],
      [() => client.set_will('a', 'x', 3 as never, false), 'ERR_INVALID_ARG', 'qos'],
      [() => client.set_username_pw(7 as never), 'ERR_INVALID_ARG', 'username'],
      [() => client.on(mqtt.PUBLISH, 'f' as never), 'ERR_INVALID_ARG', 'function'],
      [() => client.on(mqtt.PUBLISH, () => {}, 'c' as never), 'ERR_INVALID_ARG', 'condition'],
      [() => client.on('PUBLISH' as never, () => {}), 'ERR_INVALID_ARG', 'command'],
      [() => client.loop('f' as never), 'ERR_INVALID_ARG', 'on_message'],
    ];
    for (const [call, code, name] of bad) expect(call).toThrow(expect.objectContaining({ code, message: expect.stringContaining(name) }));
  });

  it('refuses operations before connect() and after disconnect() with ERR_NOT_CONNECTED (Zerynth raises MQTTConnectionError)', () => {
    const client = new mqtt.Client('zerynth-not-connected');
    for (const call of [() => client.publish('a', 'x'), () => client.subscribe([['a', 0]]), () => client.unsubscribe(['a']), () => client.disconnect(), () => client.reconnect()])
      expect(call).toThrow(expect.objectContaining({ code: 'ERR_NOT_CONNECTED' }));
    client.connect(HOST, 60, env.broker.port);
    client.disconnect();
    expect(() => client.publish('a', 'x')).toThrow(expect.objectContaining({ code: 'ERR_NOT_CONNECTED' }));
  });

  it('refuses bad operation arguments while connected, and the connection goes on', () => {
    const client = looping('zerynth-bad-ops');
    const bad: Array<[() => unknown, string]> = [
      [() => client.publish('a/#', 'x'), 'ERR_INVALID_TOPIC'],
      [() => client.publish('a', 42 as never), 'ERR_INVALID_ARG'],
      [() => client.publish('a', 'x', 3 as never), 'ERR_INVALID_ARG'],
      [() => client.publish('a', 'x', 0, 'no' as never), 'ERR_INVALID_ARG'],
      [() => client.subscribe([]), 'ERR_INVALID_ARG'],
      [() => client.subscribe([['a']] as never), 'ERR_INVALID_ARG'],
      [() => client.subscribe([['a/#/b', 0]]), 'ERR_INVALID_FILTER'],
      [() => client.subscribe([['a', 3 as never]]), 'ERR_INVALID_ARG'],
      [() => client.unsubscribe(['#/a']), 'ERR_INVALID_FILTER'],
      [() => client.connect(HOST, 60, env.broker.port), 'ERR_STATE'],
    ];
    for (const [call, code] of bad) expect(call).toThrow(expect.objectContaining({ code }));
    client.disconnect();
  });
});

describe('connect', () => {
  it('blocks the calling thread until connected: no turn of the event loop happens in between', () => {
    let turned = false;
    setImmediate(() => { turned = true; });
    const client = new mqtt.Client('zerynth-blocks');
    expect(client.connect(HOST, 60, env.broker.port)).toBeUndefined();
    expect(turned).toBe(false);
    client.disconnect();
  });

  it('raises what failed: a refused port (ERR_REFUSED), a wrong password (ERR_CONNACK_NOT_AUTHORIZED)', async () => {
    const client = new mqtt.Client('zerynth-fail');
    const closed = await freePort();
    expect(() => client.connect(HOST, 60, { port: closed })).toThrow(expect.objectContaining({ code: 'ERR_REFUSED' }));
    client.set_username_pw('alice', 'wrong');
    expect(() => client.connect(HOST, 60, env.broker.passwordPort)).toThrow(expect.objectContaining({ code: 'ERR_CONNACK_NOT_AUTHORIZED' }));
    client.set_username_pw('alice', USERS.alice);
    client.connect(HOST, 60, env.broker.passwordPort);
    client.disconnect();
  });

  it('waits at most keepalive seconds for a server that never answers: ERR_CONNECT_TIMEOUT', async () => {
    const silent = createServer(() => {});
    await new Promise<void>((resolve) => silent.listen(0, HOST, resolve));
    try {
      const client = new mqtt.Client('zerynth-silent');
      const start = performance.now();
      expect(() => client.connect(HOST, 1, (silent.address() as { port: number }).port)).toThrow(expect.objectContaining({ code: 'ERR_CONNECT_TIMEOUT' }));
      expect(performance.now() - start).toBeGreaterThan(900);
      expect(performance.now() - start).toBeLessThan(3000);
    } finally {
      silent.close();
    }
  });

  it('ssl_ctx: TLS options; the server verified with its CA, refused with another (ERR_TLS_VERIFY) unless rejectUnauthorized is false', async () => {
    const client = new mqtt.Client('zerynth-tls');
    expect(() => client.connect(HOST, 60, env.broker.tlsPort, { ca: env.broker.certs.wrongCa })).toThrow(expect.objectContaining({ code: 'ERR_TLS_VERIFY' }));
    client.connect(HOST, 60, env.broker.tlsPort, { ca: env.broker.certs.wrongCa, rejectUnauthorized: false });
    client.disconnect();
    client.connect(HOST, 60, { port: env.broker.mtlsPort, ssl_ctx: { ca: env.broker.certs.ca, cert: env.broker.certs.clientCert, key: env.broker.certs.clientKey } });
    await env.watcher.subscribe('zerynth/tls');
    const arriving = nextMessages(env.watcher, 1);
    client.publish('zerynth/tls', 'over mutual TLS', 1);
    expect((await arriving)[0].payload.toString()).toBe('over mutual TLS');
    client.disconnect();
  });

  it('keepalive drives PINGREQ: PINGRESP callbacks with return_code 0', async () => {
    const client = new mqtt.Client('zerynth-ping');
    client.connect(HOST, 1, env.broker.port);
    const pongs = record(client, mqtt.PINGRESP);
    client.loop();
    await count(pongs, 2, 5000);
    expect(pongs[0]).toEqual({ return_code: 0 });
    client.disconnect();
  });

  it('set_will: the will is published when the device dies', async () => {
    await env.watcher.subscribe('zerynth/will', { qos: 1 });
    const script = zerynthScript(`
      const client = new mqtt.Client('zerynth-will');
      client.set_will('zerynth/will', 'gone', 1, false);
      client.connect('127.0.0.1', 60, port);
      console.log('connected');`, env.broker.port);
    try {
      await script.printed('connected');
      const arriving = nextMessages(env.watcher, 1);
      script.child.kill('SIGKILL');
      expect((await arriving)[0]).toMatchObject({ topic: 'zerynth/will', payload: Buffer.from('gone'), qos: 1 });
    } finally {
      script.child.kill('SIGKILL');
    }
  });

  it('sends client_id, clean_session, keepalive, user name, password and will in CONNECT', async () => {
    const fake = await FakeBroker.start();
    const script = zerynthScript(`
      const client = new mqtt.Client('zerynth-fields', { clean_session: false });
      client.set_username_pw('user');
      client.set_will('zerynth/will', null, 2, true);
      try { client.connect('127.0.0.1', 42, { port }); } catch (e) { console.log(e.code); }
      client.set_username_pw('user', 'secret');
      try { client.connect('127.0.0.1', 0, port); } catch (e) { console.log(e.code); }`, fake.port);
    try {
      const first = await fake.accept();
      expect(connectFields(await first.expect(Type.CONNECT))).toEqual({
        level: 4, clean: false, keepalive: 42, clientId: 'zerynth-fields', username: 'user',
        will: { topic: 'zerynth/will', payload: Buffer.alloc(0), qos: 2, retain: true },
      });
      first.end();
      await script.printed('ERR_CLOSED');
      const second = await fake.accept();
      expect(connectFields(await second.expect(Type.CONNECT))).toMatchObject({ keepalive: 0, username: 'user', password: Buffer.from('secret') });
    } finally {
      script.child.kill('SIGKILL');
      await fake.stop();
    }
  });

  it('sock_keepalive [count, idle, interval] is accepted (not applied); aconnect_cb runs after connecting, with the client', () => {
    const client = new mqtt.Client('zerynth-aconnect');
    const calls: Client[] = [];
    client.connect(HOST, 60, env.broker.port, null, null, (c) => calls.push(c), [5, 10, 3]);
    expect(calls).toEqual([client]);
    client.disconnect();
  });
});

describe('reconnection', () => {
  it('after the broker drops the client: breconnect_cb, then the automatic reconnection and aconnect_cb; reconnect() waits for it', async () => {
    const client = new mqtt.Client('zerynth-dropped');
    const calls: string[] = [];
    client.connect(HOST, 60, { port: env.broker.port, breconnect_cb: () => calls.push('before'), aconnect_cb: () => calls.push('after') });
    expect(calls).toEqual(['after']);
    const intruder = await connect({ host: HOST, port: env.broker.port, clientId: 'zerynth-dropped' });   // takes the client id over
    await count(calls, 2);   // the loss is seen (the next attempt is 0-1000 ms away)
    client.reconnect();   // blocks until the automatic reconnection is done
    expect(calls).toEqual(['after', 'before', 'after']);
    await intruder.end({ force: true });
    expect(client.reconnect()).toBeUndefined();   // connected: nothing to do
    client.disconnect();
  });

  it('reconnect() after disconnect() connects again as connect() did, breconnect_cb first', () => {
    const client = new mqtt.Client('zerynth-reconnect');
    const calls: string[] = [];
    client.connect(HOST, 60, env.broker.port, null, () => calls.push('before'), () => calls.push('after'));
    client.disconnect();
    client.reconnect();
    expect(calls).toEqual(['after', 'before', 'after']);
    client.publish('zerynth/reconnected', 'yes');
    client.disconnect();
  });

  it('publish while the connection is being restored waits for it and goes out once it is', async () => {
    const lost: string[] = [];
    const client = new mqtt.Client('zerynth-queued');
    client.connect(HOST, 60, { port: env.broker.port, breconnect_cb: () => lost.push('lost') });
    client.loop();
    const acks = record(client, mqtt.PUBACK);
    await env.watcher.subscribe('zerynth/queued', { qos: 1 });
    const arriving = nextMessages(env.watcher, 1);
    const intruder = await connect({ host: HOST, port: env.broker.port, clientId: 'zerynth-queued' });
    await count(lost, 1);   // the loss is seen (the next attempt is 0-1000 ms away)
    client.publish('zerynth/queued', 'later', 1);
    expect((await arriving)[0].payload.toString()).toBe('later');
    await count(acks, 1);
    await intruder.end({ force: true });
    client.disconnect();
  });
});

describe('operations and callbacks', () => {
  it('publish returns the mid; a callback with a condition on data.mid runs for that message only (PUBACK; PUBREC and PUBCOMP for QoS 2)', async () => {
    const client = looping('zerynth-mids');
    const acks = record(client, mqtt.PUBACK);
    const recs = record(client, mqtt.PUBREC);
    const comps = record(client, mqtt.PUBCOMP);
    const precise: number[] = [];
    const mid0 = client.publish('zerynth/mids', 'zero');
    const mid1 = client.publish('zerynth/mids', 'one', 1);
    client.on(mqtt.PUBACK, (_c, data) => precise.push(data.mid!), (data) => data.mid === mid1 + 1);
    const mid2 = client.publish('zerynth/mids', 'one again', { qos: 1 });
    const mid3 = client.publish('zerynth/mids', 'two', 2, false);
    expect([mid1, mid2, mid3]).toEqual([mid0 + 1, mid0 + 2, mid0 + 3]);
    await count(comps, 1);
    await count(acks, 1);
    await pause(100);
    expect(precise).toEqual([mid2]);
    expect(acks).toEqual([{ mid: mid1, return_code: 0 }]);   // the conditional callback took mid2's
    expect(recs).toEqual([{ mid: mid3, return_code: 0 }]);
    expect(comps).toEqual([{ mid: mid3, return_code: 0 }]);
    client.disconnect();
  });

  it('subscribe and unsubscribe: SUBACK (mid, granted_qos of the first topic) and UNSUBACK (mid) callbacks', async () => {
    const client = looping('zerynth-subs');
    const subacks = record(client, mqtt.SUBACK);
    const unsubacks = record(client, mqtt.UNSUBACK);
    expect(client.subscribe([['zerynth/s/a', 2], ['zerynth/s/b', 0]])).toBeUndefined();
    client.subscribe([['zerynth/s/c', 1]]);
    await count(subacks, 2);
    expect(subacks).toEqual([{ mid: expect.any(Number), granted_qos: 2, return_code: 0 }, { mid: subacks[0].mid! + 1, granted_qos: 1, return_code: 0 }]);
    expect(client.unsubscribe(['zerynth/s/a', 'zerynth/s/b'])).toBeUndefined();
    await count(unsubacks, 1);
    expect(unsubacks).toEqual([{ mid: subacks[1].mid! + 1, return_code: 0 }]);
    client.disconnect();
  });

  it('received messages: MQTTMessage fields; QoS 2 gives a PUBLISH without message, then PUBREL with it; binary survives in raw', async () => {
    const client = looping('zerynth-receive');
    const publishes = record(client, mqtt.PUBLISH);
    const pubrels = record(client, mqtt.PUBREL);
    const subacks = record(client, mqtt.SUBACK);
    client.subscribe([['zerynth/r/#', 2]]);
    await count(subacks, 1);
    await env.watcher.publish('zerynth/r/retained', 'kept', { qos: 1, retain: true });
    const late = looping('zerynth-receive-late');
    const latePublishes = record(late, mqtt.PUBLISH);
    const lateSubacks = record(late, mqtt.SUBACK);
    late.subscribe([['zerynth/r/retained', 1]]);
    await count(lateSubacks, 1);
    await count(latePublishes, 1);
    expect(latePublishes[0].message).toMatchObject({ topic: 'zerynth/r/retained', payload: 'kept', qos: 1, retain: true, mid: expect.any(Number) });
    expect(latePublishes[0].message!.mid).toBeGreaterThan(0);   // the QoS 1 PUBLISH's packet identifier
    const bytes = Buffer.from([0, 0xff, 0x10, 0]);
    await env.watcher.publish('zerynth/r/bin', bytes, { qos: 2 });
    await count(pubrels, 1);
    expect(publishes.at(-1)).toEqual({ return_code: 0 });
    expect(pubrels[0].message).toBeInstanceOf(mqtt.MQTTMessage);
    expect(pubrels[0].message).toMatchObject({ topic: 'zerynth/r/bin', qos: 2, retain: false, payload: bytes.toString() });
    expect(pubrels[0].message!.raw.equals(bytes)).toBe(true);
    await env.watcher.publish('zerynth/r/retained', '', { retain: true });
    late.disconnect();
    client.disconnect();
  });

  it('publish(topic) with no payload, or None, sends an empty message', async () => {
    const client = looping('zerynth-empty');
    await env.watcher.subscribe('zerynth/empty');
    const arriving = nextMessages(env.watcher, 2);
    client.publish('zerynth/empty');
    client.publish('zerynth/empty', null);
    expect((await arriving).map((m) => m.payload.length)).toEqual([0, 0]);
    client.disconnect();
  });

  it('loop(on_message): every message reaches on_message once, QoS 0 and 1 on PUBLISH, QoS 2 on PUBREL', async () => {
    const client = new mqtt.Client('zerynth-on-message');
    client.connect(HOST, 60, env.broker.port);
    const subacks = record(client, mqtt.SUBACK);
    const got: string[] = [];
    client.loop((_c, data) => got.push(`${data.message!.qos}:${data.message!.payload}`));
    client.subscribe([['zerynth/m', 2]]);
    await count(subacks, 1);
    for (const qos of [0, 1, 2] as const) await env.watcher.publish('zerynth/m', `q${qos}`, { qos });
    await count(got, 3);
    await pause(100);
    expect(got.sort()).toEqual(['0:q0', '1:q1', '2:q2']);
    client.disconnect();
  });

  it('callbacks wait for loop(): packets that came before it are handed over, in order, once it starts', async () => {
    const client = new mqtt.Client('zerynth-before-loop');
    client.connect(HOST, 60, env.broker.port);
    const seen: number[] = [];
    for (const command of [mqtt.SUBACK, mqtt.PUBLISH, mqtt.PUBACK]) client.on(command, () => seen.push(command));
    client.subscribe([['zerynth/before', 1]]);
    await pause(100);
    await env.watcher.publish('zerynth/before', 'early', { qos: 1 });
    client.publish('zerynth/elsewhere', 'x', 1);
    await pause(200);
    expect(seen).toEqual([]);
    client.loop();
    await count(seen, 3);
    expect(seen).toEqual([mqtt.SUBACK, mqtt.PUBLISH, mqtt.PUBACK]);
    client.disconnect();
  });

  it('dispatch: the highest priority condition that holds wins, the first among equals; the generic one only when none holds and the last set', async () => {
    const client = looping('zerynth-priority');
    const calls: string[] = [];
    const topicIs = (t: string) => (data: ZerynthData) => data.message?.topic === t;
    client.on(mqtt.PUBLISH, () => calls.push('generic (replaced)'));
    client.on(mqtt.PUBLISH, () => calls.push('generic'));
    client.on(mqtt.PUBLISH, () => calls.push('a low'), topicIs('zerynth/p/a'), -5);
    client.on(mqtt.PUBLISH, () => calls.push('a high'), topicIs('zerynth/p/a'), 5);
    client.on(mqtt.PUBLISH, () => calls.push('a high too'), topicIs('zerynth/p/a'), 5);
    client.on(mqtt.PUBLISH, () => calls.push('b'), topicIs('zerynth/p/b'));
    const subacks = record(client, mqtt.SUBACK);
    client.subscribe([['zerynth/p/#', 1]]);
    await count(subacks, 1);
    for (const t of ['a', 'b', 'c']) await env.watcher.publish(`zerynth/p/${t}`, t, { qos: 1 });
    await count(calls, 3);
    await pause(100);
    expect(calls).toEqual(['a high', 'b', 'generic']);
    client.disconnect();
  });

  it('a condition or callback that throws ends that packet\'s dispatch with a process warning; the next packets go on', async () => {
    await withWarnings(async (warnings) => {
      const client = looping('zerynth-throws');
      const calls: string[] = [];
      // "not checking if 'message' is in data could lead to Exception on PUBLISH packets for messages with qos equal to 2"
      client.on(mqtt.PUBLISH, () => calls.push('cool'), (data) => data.message!.topic === 'zerynth/t/cool');
      client.on(mqtt.PUBLISH, () => calls.push('generic'));
      const subacks = record(client, mqtt.SUBACK);
      client.subscribe([['zerynth/t/#', 2]]);
      await count(subacks, 1);
      await env.watcher.publish('zerynth/t/cool', 'q2', { qos: 2 });
      await env.watcher.publish('zerynth/t/cool', 'q1', { qos: 1 });
      await count(calls, 1);
      await count(warnings, 1);
      await pause(100);
      expect(calls).toEqual(['cool']);
      expect(warnings[0]).toMatchObject({ name: 'TinymqttWarning', message: expect.stringContaining('command 0x30 threw') });
      client.disconnect();
    });
  });

  it('a refused subscription: SUBACK with granted_qos 0x80 (aedes refusing it)', async () => {
    const aedes = await startAedes({ authorizeSubscribe: (_c, sub, done) => done(null, sub.topic.startsWith('secret/') ? null : sub) });
    const script = zerynthScript(`
      const client = new mqtt.Client('zerynth-refused');
      client.connect('127.0.0.1', 60, port);
      client.on(mqtt.SUBACK, (c, data) => console.log('suback ' + data.granted_qos));
      client.loop();
      client.subscribe([['secret/a', 1]]);`, aedes.port);
    try {
      await script.printed('suback 128');
    } finally {
      script.child.kill('SIGKILL');
      await aedes.stop();
    }
  });
});

describe('fixed defect of Zerynth', () => {
  it('unacknowledged messages are sent again after a reconnection once each, then never again (Zerynth resends its first one forever)', async () => {
    const fake = await FakeBroker.start();
    const script = zerynthScript(`
      const client = new mqtt.Client('zerynth-resend', false);
      client.on(mqtt.PUBACK, (c, data) => console.log('puback ' + data.mid));
      client.loop();
      client.connect('127.0.0.1', 60, port, null, () => console.log('breconnect'), () => console.log('aconnect'));
      console.log('mids ' + client.publish('zerynth/a', 'first', 1) + ' ' + client.publish('zerynth/b', 'second', 1));`, fake.port);
    try {
      const conn = await fake.acceptConnected();
      await script.printed('mids 1 2');
      const sent = [await conn.expect(Type.PUBLISH), await conn.expect(Type.PUBLISH)];
      conn.end();   // no PUBACK: the connection drops first
      await script.printed('breconnect');
      const conn2 = await fake.accept();
      await conn2.expect(Type.CONNECT);
      conn2.send(Buffer.from([0x20, 2, 1, 0]));   // CONNACK, session present
      const again = [await conn2.expect(Type.PUBLISH), await conn2.expect(Type.PUBLISH)];
      expect(again.map((p) => p[0])).toEqual(sent.map((p) => p[0] | 0x08));   // DUP
      expect(again.map(packetId)).toEqual(sent.map(packetId));
      for (const p of again) conn2.send(pubackFor(p));
      await script.printed('puback 1');
      await script.printed('puback 2');
      conn2.end();
      const conn3 = await fake.accept();
      await conn3.expect(Type.CONNECT);
      conn3.send(Buffer.from([0x20, 2, 1, 0]));
      await expect(conn3.next(1500)).rejects.toThrow(/no packet/);   // nothing left to resend
      expect(script.stdout.split('\n').filter((l) => l.startsWith('puback'))).toEqual(['puback 1', 'puback 2']);
    } finally {
      script.child.kill('SIGKILL');
      await fake.stop();
    }
  });
});
