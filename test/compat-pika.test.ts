// tinymqtt/pika (lib/compat/pika.ts): the example programs of the PikaPython
// document ported line for line, every setter, return value and error code
// from real conditions (mosquitto; aedes and the fake broker within reach of
// a script's process, since a blocking call cannot be served by a broker in
// its own thread), and one test per defect of the original that we fix.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, MqttClient, MqttError } from '../lib/index.js';
import {
  MQTT, STATE_FAIL_BAD_CLINETID, STATE_FAIL_BAD_NAME_PASSWD, STATE_FAIL_BAD_PROTOCOL, STATE_FAIL_BAD_RCODE,
  STATE_FAIL_PERMISSION, STATE_FAIL_UNKONW, STATE_SUCCESS, type MessageEvent,
} from '../lib/compat/pika.js';
import { startAedes } from './support/aedes.js';
import { acceptConnect, compatScript, lines, refuseWithUsernameCode, uniqueIds } from './support/compat.js';
import { nextEvent, nextMessages, pollUntil } from './support/events.js';
import { FakeBroker } from './support/fake-broker.js';
import { withWarnings } from './support/warnings.js';
import { ACL_OPEN, freePort, startMosquitto, USERS, type Broker } from './support/mosquitto.js';
import { connack, packet, packetId, Type, u16 } from './support/mqtt-bytes.js';

let broker: Broker;
beforeAll(async () => { broker = await startMosquitto(); });
afterAll(async () => { await broker?.stop(); });

const HOST = '127.0.0.1';
/** A client id of its own for each client of a test. */
const uniqueId = uniqueIds('pika');

/** Resolves once `ready()` holds, checking every 5 ms; fails after `ms`. */
async function until(ready: () => boolean, ms = 5000): Promise<void> {
  if (!(await pollUntil(ready, ms))) throw new Error(`not within ${ms} ms: ${ready.toString()}`);
}

/** A core client for the other side of a test. */
const peer = () => connect({ host: HOST, port: broker.port });

describe('the examples of the document', () => {
  it('__init__(): the five ways to create a client', () => {
    const cert_file = broker.certs.ca;
    const open = (text: string) => ({ read: () => text });
    let c = new MQTT(HOST);   // "broker-cn.emqx.io"
    expect(c.client.options).toMatchObject({ host: HOST, port: 1883 });
    c = new MQTT(HOST, 1111);
    expect(c.client.options.port).toBe(1111);
    c = new MQTT(HOST, { clientID: 'pikascript' });
    expect(c.client.options.clientId).toBe('pikascript');
    c = new MQTT(HOST, { username: 'pikascript123', password: '123456' });
    expect(c.client.options).toMatchObject({ username: 'pikascript123', password: Buffer.from('123456') });
    c = new MQTT(HOST, 8883, { username: 'pikascript123', password: '123456', ca: open(cert_file).read() });
    expect(c.client.options).toMatchObject({ port: 8883, tls: { ca: cert_file, rejectUnauthorized: true } });
  });

  it('the example of each method, in the document\'s order', async () => {
    const printed: string[] = [];
    const print = (...args: unknown[]) => printed.push(args.map(String).join(' '));
    const cert_file = broker.certs.ca;
    const open = (text: string) => ({ read: () => text });
    const c = new MQTT(HOST, broker.tlsPort);

    expect(c.setClientID('pikascript')).toBe(true);
    expect(c.setUsername('pikascript')).toBe(true);
    expect(c.setPassword('pikascript')).toBe(true);
    // 可选"3.1" "3.1.1"
    expect(c.setVersion('3.1')).toBe(true);
    expect(c.setCa(open(cert_file).read())).toBe(true);
    // 单位 秒
    expect(c.setKeepAlive(120)).toBe(true);
    expect(c.setWill('/device/will', '{"name":"pikascript"}')).toBe(true);

    function disconnect_cb() {
      print('mqtt disconnect');
    }

    expect(c.setDisconnectHandler(disconnect_cb)).toBe(true);
    expect(c.client.options).toMatchObject({
      clientId: 'pikascript', username: 'pikascript', password: Buffer.from('pikascript'), protocolVersion: 3, keepalive: 120,
      tls: { ca: cert_file }, will: { topic: '/device/will', payload: Buffer.from('{"name":"pikascript"}'), qos: 0, retain: false },
    });

    expect(c.connect()).toBe(0);

    function sub_cb(evt: MessageEvent) {
      print(evt.msg, evt.topic);
    }

    expect(c.subscribe('/topic/sub', sub_cb)).toBe(0);
    const t = c.listSubscribeTopics();
    print(t);
    expect(c.publish('/topic/pub', 0, '{"msg":"hello pikascript"}')).toBe(0);
    expect(c.publish('/topic/sub', 0, 'to /topic/sub')).toBe(0);
    await until(() => printed.length === 2);
    expect(c.unsubscribe('/topic/sub')).toBe(0);
    expect(c.disconnect()).toBe(0);
    expect(printed).toEqual(['/topic/sub', 'to /topic/sub /topic/sub']);
  });

  it('附二 the complete example: MQTTS with a will and a disconnect handler, three subscriptions, three publishes, disconnect', async () => {
    const printed: string[] = [];
    const print = (...args: unknown[]) => printed.push(args.map((a) => (Array.isArray(a) ? JSON.stringify(a) : String(a))).join(' '));
    const open = (_path: string) => ({ read: () => broker.certs.ca });

    function sub_test1_cb(evt: MessageEvent) {
      print('sub test1 message:', evt.msg);
    }

    function sub_test2_cb(evt: MessageEvent) {
      print('sub test2 message:', evt.msg);
    }

    function sub_test3_cb(evt: MessageEvent) {
      print('sub test3 message:', evt.msg);
    }

    function disconnect_cb() {
      print('mqtt disconnect');
    }

    function test() {
      // MQTTS
      const c = new MQTT(HOST, broker.tlsPort, { clientID: 'pikaone', username: 'pikascript123', password: '123456', ca: open('/ca.crt').read() });

      // 设置遗嘱
      c.setWill('/device/will', '{"name":"pikascript"}', 0, true);

      // 设置断连回调
      c.setDisconnectHandler(disconnect_cb);

      // 连接服务器
      let result = c.connect();
      if (result === 0) {
        print('connect success!');
      } else {
        print(`connect faild id=${result}`);
        return;
      }

      // 订阅主题
      c.subscribe('/pikascript/test1', sub_test1_cb, 0);
      c.subscribe('/pikascript/test2', sub_test2_cb, 1);
      c.subscribe('/pikascript/test3', sub_test3_cb, 2);

      print('list subscribe topics:');
      print(c.listSubscribeTopics());

      print('start publish');

      // 发送主题消息
      c.publish('/pikascript/test1', "{'msg'}:'hello from test1'", 0);
      c.publish('/pikascript/test2', "{'msg'}:'hello from test2'", 1);
      c.publish('/pikascript/test3', "{'msg'}:'hello from test3'", 2);

      print('end publish');

      // 断开连接
      result = c.disconnect();
      if (result === 0) {
        print('disconnect success!');
      } else {
        print(`disconnect faild id=${result}`);
        return;
      }
    }

    // 运行
    test();
    // the callbacks run on the event loop, once test() has returned to it
    await until(() => printed.length === 9);
    expect(printed).toEqual([
      'connect success!',
      'list subscribe topics:',
      '["/pikascript/test1","/pikascript/test2","/pikascript/test3"]',
      'start publish',
      'end publish',
      'disconnect success!',
      "sub test1 message: {'msg'}:'hello from test1'",
      "sub test2 message: {'msg'}:'hello from test2'",
      "sub test3 message: {'msg'}:'hello from test3'",
    ]);
  });
});

describe('MQTT(ip, port=1883, clientID=<MAC>, username="", password="", version="3.1.1", ca="", keepalive=60)', () => {
  it('defaults: port 1883, the MAC address (or a random id, kept) as client id, no user, MQTT 3.1.1, no TLS, keepalive 60', () => {
    const c = new MQTT(HOST);
    const o = c.client.options;
    expect(o).toMatchObject({ host: HOST, port: 1883, protocolVersion: 4, keepalive: 60, clean: true, reconnectPeriod: 0, connectTimeout: 10000 });
    expect([o.username, o.password, o.tls, o.will]).toEqual([undefined, undefined, undefined, undefined]);
    expect(o.clientId).toMatch(/^([0-9a-f]{12}|tinymqtt_[0-9a-f]+)$/);
    expect(c.setKeepAlive(30)).toBe(true);
    expect(c.client.options.clientId).toBe(o.clientId);   // the default id stays the same
  });

  it('positional and keyword arguments give the same client; clinetID (the code\'s spelling) as clientID', () => {
    const positional = new MQTT(HOST, 1884, 'id', 'u', 'p', '3.1', '', 30).client.options;
    expect(new MQTT(HOST, { port: 1884, clientID: 'id', username: 'u', password: 'p', version: '3.1', keepalive: 30 }).client.options).toEqual(positional);
    expect(new MQTT(HOST, 1884, { clinetID: 'id', username: 'u', password: 'p', version: '3.1', keepalive: 30 }).client.options).toEqual(positional);
    expect(positional).toMatchObject({ port: 1884, clientId: 'id', username: 'u', password: Buffer.from('p'), protocolVersion: 3, keepalive: 30 });
    expect(new MQTT(HOST, { timeout: 1500 }).client.options.connectTimeout).toBe(1500);
  });

  it('refuses bad arguments with an MqttError naming them', () => {
    const refusals: Array<[() => unknown, string]> = [
      [() => new MQTT(HOST, { clientId: 'x' } as never), "unexpected keyword argument 'clientId'"],
      [() => new MQTT(HOST, 1883, { port: 1 } as never), "multiple values for argument 'port'"],
      [() => new MQTT(HOST, { version: '5' }), 'version must be "3.1" or "3.1.1"'],
      [() => new MQTT(HOST, { ca: 'not a certificate' }), 'ca must be a PEM certificate'],
      [() => new MQTT(HOST, { port: 0 }), 'options.port'],
    ];
    for (const [create, message] of refusals) {
      expect(create).toThrow(MqttError);
      expect(create).toThrow(message);
    }
  });
});

describe('the setters: true, or false and nothing changed', () => {
  it('each returns true and takes effect at the next connect()', () => {
    const c = new MQTT(HOST, broker.passwordPort, { clientID: uniqueId('set') });
    expect(c.connect()).toBe(STATE_FAIL_BAD_NAME_PASSWD);
    expect(c.setUsername('alice')).toBe(true);
    expect(c.setPassword(USERS.alice)).toBe(true);
    expect(c.setClientID(uniqueId('set'))).toBe(true);
    expect(c.setKeepAlive(0)).toBe(true);
    expect(c.connect()).toBe(STATE_SUCCESS);
    expect(c.client.options).toMatchObject({ username: 'alice', keepalive: 0 });
    expect(c.setUsername('bob')).toBe(true);   // for the next connection
    expect(c.client.options.username).toBe('alice');
    expect(c.connect()).toBe(STATE_SUCCESS);   // already connected: nothing changes
    expect(c.client.options.username).toBe('alice');
    expect(c.disconnect()).toBe(STATE_SUCCESS);
    expect(c.connect()).toBe(STATE_FAIL_BAD_NAME_PASSWD);   // bob with alice's password
    expect(c.client.options.username).toBe('bob');
  });

  it('false for what the broker could not take, and the settings stay', () => {
    const c = new MQTT(HOST, { clientID: 'kept', keepalive: 60 });
    const before = c.client.options;
    const falses: Array<() => boolean> = [
      () => c.setClientID(''), () => c.setClientID(5 as never), () => c.setUsername(null as never),
      () => c.setPassword(7 as never), () => c.setVersion('4'), () => c.setVersion('5.0'), () => c.setCa(''),
      () => c.setCa('not a certificate'), () => c.setKeepAlive(-1), () => c.setKeepAlive(65536), () => c.setKeepAlive('10' as never),
      () => c.setWill('/will/#', 'x'), () => c.setWill('/will', 'x', 3 as never), () => c.setWill('/will', 'x', 0, 'yes' as never),
      () => c.setWill('/will', 5 as never), () => c.setDisconnectHandler('x' as never),
    ];
    for (const set of falses) expect(set()).toBe(false);
    expect(c.client.options).toEqual(before);
  });

  it('setVersion("3.1") gives MQTT 3.1 and "3.1.1" MQTT 3.1.1; setWill() with qos and retain by position or name', () => {
    const c = new MQTT(HOST);
    expect(c.setVersion('3.1')).toBe(true);
    expect(c.client.options.protocolVersion).toBe(3);
    expect(c.setVersion('3.1.1')).toBe(true);
    expect(c.client.options.protocolVersion).toBe(4);
    expect(c.setWill('/w', 'x', 1, true)).toBe(true);
    expect(c.client.options.will).toMatchObject({ topic: '/w', qos: 1, retain: true });
    expect(c.setWill('/w', Buffer.from([0, 1]), { retain: 1 })).toBe(true);
    expect(c.client.options.will).toMatchObject({ payload: Buffer.from([0, 1]), qos: 0, retain: true });
  });

  it('setCa() turns TLS on: the TLS listener with the right CA, 1 with a wrong one', () => {
    const c = new MQTT(HOST, broker.tlsPort, { clientID: uniqueId('ca') });
    expect(c.client.options.tls).toBeUndefined();
    expect(c.setCa(broker.certs.wrongCa)).toBe(true);
    expect(c.client.options.tls).toMatchObject({ ca: broker.certs.wrongCa });
    expect(c.connect()).toBe(STATE_FAIL_UNKONW);
    expect(c.setCa(broker.certs.ca)).toBe(true);
    expect(c.connect()).toBe(STATE_SUCCESS);
    expect(c.disconnect()).toBe(STATE_SUCCESS);
  });

  it('setWill(): the broker publishes the will when the connection is lost, not after disconnect()', async () => {
    const watcher = await peer();
    await watcher.subscribe('/will/#', { qos: 1 });
    const arriving = nextMessages(watcher, 1);
    const polite = new MQTT(HOST, broker.port, { clientID: uniqueId('will') });
    polite.setWill('/will/polite', 'gone');
    polite.connect();
    polite.disconnect();
    const id = uniqueId('will');
    const lost = new MQTT(HOST, broker.port, { clientID: id });
    lost.setWill('/will/lost', 'gone', 1);
    lost.connect();
    const ghost = await connect({ host: HOST, port: broker.port, clientId: id });   // takes the session over
    expect((await arriving).map((m) => [m.topic, m.payload.toString(), m.qos])).toEqual([['/will/lost', 'gone', 1]]);
    await Promise.all([watcher.end(), ghost.end()]);
  });
});

describe('connect() and disconnect(): 0 or the appendix\'s error codes', () => {
  it('bad user name or password (mosquitto answers CONNACK 5 for both, and for none): 2', () => {
    const port = broker.passwordPort;
    expect(new MQTT(HOST, port, uniqueId('c'), 'alice', 'wrong').connect()).toBe(STATE_FAIL_BAD_NAME_PASSWD);
    expect(new MQTT(HOST, port, uniqueId('c'), 'eve', USERS.alice).connect()).toBe(STATE_FAIL_BAD_NAME_PASSWD);
    expect(new MQTT(HOST, port, uniqueId('c')).connect()).toBe(STATE_FAIL_BAD_NAME_PASSWD);
  });

  // refused before a native client exists: the engine's refusal, not 1
  it('options the engine refuses before connecting: a password without a user name 2, a client id over 23 characters with MQTT 3.1: 3', () => {
    expect(new MQTT(HOST, broker.port, { clientID: uniqueId('c'), password: 'x' }).connect()).toBe(STATE_FAIL_BAD_NAME_PASSWD);
    const c = new MQTT(HOST, broker.port, { clientID: 'a-client-id-of-23-chars', version: '3.1' });
    expect(c.connect()).toBe(STATE_SUCCESS);
    c.disconnect();
    expect(c.setClientID('a-client-id-of-24-chars!')).toBe(true);
    expect(c.connect()).toBe(STATE_FAIL_BAD_CLINETID);
  });

  it('nothing listening, or no CONNACK within timeout: 1; disconnect() without a connection: 1', async () => {
    const c = new MQTT(HOST, await freePort(), { clientID: 'nobody' });
    expect(c.connect()).toBe(STATE_FAIL_UNKONW);
    expect(c.disconnect()).toBe(STATE_FAIL_UNKONW);
    const silent = await FakeBroker.start();   // accepts, and cannot answer while this thread is blocked
    try {
      const started = performance.now();
      expect(new MQTT(HOST, silent.port, { clientID: 'silent', timeout: 300 }).connect()).toBe(STATE_FAIL_UNKONW);
      expect(performance.now() - started).toBeLessThan(3000);
    } finally {
      await silent.stop();
    }
  });

  it('the broker\'s refusals of aedes (within reach of a script\'s process): client id rejected 3, bad user name or password 2', async () => {
    const aedes = await startAedes({
      authenticate: refuseWithUsernameCode,
    });
    try {
      const exit = await compatScript('pika', `
        for (const code of ['2', '4', '5']) console.log(new api.MQTT('127.0.0.1', port, 'id' + code, code, 'x').connect());
      `, aedes.port).exited;
      expect(exit.stderr).toBe('');
      expect(lines(exit.stdout)).toEqual([STATE_FAIL_BAD_CLINETID, STATE_FAIL_BAD_NAME_PASSWD, STATE_FAIL_BAD_NAME_PASSWD].map(String));
    } finally {
      await aedes.stop();
    }
  });

  it('fixed: the default "3.1.1" sends MQTT 3.1.1 (PikaPython sends 3.1); setVersion("3.1") sends 3.1, and a refusal of it is 4', async () => {
    const fake = await FakeBroker.start();
    try {
      const script = compatScript('pika', `
        const a = new api.MQTT('127.0.0.1', port, { clientID: 'level' });
        console.log(a.connect());
        a.disconnect();
        const b = new api.MQTT('127.0.0.1', port, { clientID: 'level' });
        console.log(b.setVersion('3.1'));
        console.log(b.connect());
      `, fake.port);
      for (const [name, level, code] of [['MQTT', 4, 0], ['MQIsdp', 3, 1]] as const) {
        const { conn, ...sent } = await acceptConnect(fake);
        expect(sent).toEqual({ name, level });
        conn.send(connack(code));   // a broker that only speaks 3.1.1 refuses 3.1 with return code 1
        if (code === 0) await conn.expect(Type.DISCONNECT);
      }
      const exit = await script.exited;
      expect(lines(exit.stdout)).toEqual(['0', 'true', String(STATE_FAIL_BAD_PROTOCOL)]);
    } finally {
      await fake.stop();
    }
  });
});

describe('subscribe(), unsubscribe(), listSubscribeTopics(), publish()', () => {
  it('subscribe → 0 and the callback gets evt.topic and evt.msg; publish → 0 at QoS 0, 1 and 2, also in the example\'s order (topic, qos, payload)', async () => {
    const c = new MQTT(HOST, broker.port, { clientID: uniqueId('sub') });
    const got: Array<[string, string, number]> = [];
    c.connect();
    expect(c.subscribe('/sub/t', (evt) => got.push([evt.topic, evt.msg, evt.qos]), 2)).toBe(STATE_SUCCESS);
    expect(c.publish('/sub/t', 'zero')).toBe(STATE_SUCCESS);
    expect(c.publish('/sub/t', 'one', 1)).toBe(STATE_SUCCESS);
    expect(c.publish('/sub/t', 'two', { qos: 2 })).toBe(STATE_SUCCESS);
    expect(c.publish('/sub/t', 1, 'example order')).toBe(STATE_SUCCESS);
    expect(got).toEqual([]);   // callbacks run on the event loop, not inside the blocking calls
    await until(() => got.length === 4);
    expect(got).toEqual([['/sub/t', 'zero', 0], ['/sub/t', 'one', 1], ['/sub/t', 'two', 2], ['/sub/t', 'example order', 1]]);
    c.disconnect();
  });

  it('unsubscribe → 0: off the list, and its callback gets nothing more; listSubscribeTopic is the same list; subscribing again replaces the callback', async () => {
    const c = new MQTT(HOST, broker.port, { clientID: uniqueId('unsub') });
    c.connect();
    const got: string[] = [];
    c.subscribe('/u/a', () => got.push('a, first'));
    c.subscribe('/u/b', (evt) => got.push(`b ${evt.msg}`), 1);
    c.subscribe('/u/a', (evt) => got.push(`a ${evt.msg}`));
    expect(c.listSubscribeTopics()).toEqual(['/u/a', '/u/b']);
    expect(c.listSubscribeTopic()).toEqual(['/u/a', '/u/b']);
    expect(Object.isFrozen(c.listSubscribeTopics())).toBe(true);
    expect(c.unsubscribe('/u/b')).toBe(STATE_SUCCESS);
    expect(c.listSubscribeTopics()).toEqual(['/u/a']);
    c.publish('/u/b', 'after', 1);
    c.publish('/u/a', 'after', 1);
    await until(() => got.length === 1);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(got).toEqual(['a after']);
    c.disconnect();
    expect(c.listSubscribeTopics()).toEqual(['/u/a']);
    expect(c.connect()).toBe(STATE_SUCCESS);
    expect(c.listSubscribeTopics()).toEqual([]);   // a new connection starts with none
    c.disconnect();
  });

  it('1 when not connected, for a bad topic, QoS or callback; the connection stays', () => {
    const c = new MQTT(HOST, broker.port, { clientID: uniqueId('bad') });
    expect([c.subscribe('/t', () => {}), c.unsubscribe('/t'), c.publish('/t', 'x')]).toEqual([1, 1, 1]);
    c.connect();
    expect(c.publish('/t/#', 'x')).toBe(STATE_FAIL_UNKONW);
    expect(c.publish('/t', 'x', 3 as never)).toBe(STATE_FAIL_UNKONW);
    expect(c.publish('/t', 5 as never)).toBe(STATE_FAIL_UNKONW);
    expect(c.subscribe('/t/#/x', () => {})).toBe(STATE_FAIL_UNKONW);
    expect(c.subscribe('/t', 'not a function' as never)).toBe(STATE_FAIL_UNKONW);
    expect(c.unsubscribe('')).toBe(STATE_FAIL_UNKONW);
    expect(c.listSubscribeTopics()).toEqual([]);
    expect(c.publish('/t', 'x', 1)).toBe(STATE_SUCCESS);
    expect(c.disconnect()).toBe(STATE_SUCCESS);
  });

  it('callbacks may call the blocking methods (a reply from inside a subscription callback)', async () => {
    const c = new MQTT(HOST, broker.port, { clientID: uniqueId('reply') });
    c.connect();
    const replies: number[] = [];
    c.subscribe('/ask', (evt) => replies.push(c.publish('/answer', `re: ${evt.msg}`, 1)));
    const p = await peer();
    await p.subscribe('/answer');
    const answered = nextMessages(p, 1);
    await p.publish('/ask', 'ping');
    expect((await answered)[0].payload.toString()).toBe('re: ping');
    expect(replies).toEqual([0]);
    c.disconnect();
    await p.end();
  });

  it('mosquitto\'s ACL gives a 3.1.1 client no sign (a denied subscription is granted, a denied publish acknowledged): 0, as the broker says', async () => {
    const c = new MQTT(HOST, broker.aclPort, { clientID: uniqueId('acl'), username: 'bob', password: USERS.bob });
    expect(c.connect()).toBe(STATE_SUCCESS);
    expect(c.subscribe('/secret/x', () => {})).toBe(STATE_SUCCESS);
    expect(c.publish('/secret/x', 'x', 1)).toBe(STATE_SUCCESS);
    expect(c.publish(`${ACL_OPEN}/x`, 'x', 1)).toBe(STATE_SUCCESS);
    expect(c.disconnect()).toBe(STATE_SUCCESS);
  });

  it('aedes (within reach of a script\'s process): a refused subscription 5; a subscription or QoS 1 publish answered by closing the connection 6', async () => {
    const aedes = await startAedes({
      authorizeSubscribe: (_client, sub, done) => {
        if (sub.topic.startsWith('forbidden/')) done(new Error('denied'), null);
        else done(null, sub.topic.startsWith('refused/') ? null : sub);
      },
      authorizePublish: (_client, pkt, done) => done(pkt.topic.startsWith('secret/') ? new Error('denied') : null),
    });
    try {
      const exit = await compatScript('pika', `
        const c = new api.MQTT('127.0.0.1', port, { clientID: 'acl' });
        let lost = 0;
        c.setDisconnectHandler(() => { lost++; });
        const settle = async (n) => { for (let i = 0; lost < n && i < 500; i++) await new Promise((r) => setTimeout(r, 10)); };
        console.log('connect', c.connect());
        console.log('refused', c.subscribe('refused/a', () => {}, 1));
        console.log('open', c.subscribe('open/a', () => {}, 1));
        console.log('list', JSON.stringify(c.listSubscribeTopics()));
        console.log('denied qos 1', c.publish('secret/x', 'x', 1));
        await settle(1);
        console.log('connect', c.connect());
        console.log('forbidden', c.subscribe('forbidden/a', () => {}));
        await settle(2);
        console.log('lost', lost, 'disconnect', c.disconnect());
      `, aedes.port).exited;
      expect(exit.stderr).toBe('');
      expect(lines(exit.stdout)).toEqual([
        'connect 0', `refused ${STATE_FAIL_BAD_RCODE}`, 'open 0', 'list ["open/a"]', `denied qos 1 ${STATE_FAIL_PERMISSION}`,
        'connect 0', `forbidden ${STATE_FAIL_PERMISSION}`, 'lost 2 disconnect 1',
      ]);
    } finally {
      await aedes.stop();
    }
  });
});

describe('setDisconnectHandler()', () => {
  it('the handler runs on the event loop when the connection is lost, not after disconnect(); it may connect() again', async () => {
    const id = uniqueId('dh');
    const c = new MQTT(HOST, broker.port, { clientID: id });
    const events: string[] = [];
    expect(c.setDisconnectHandler(() => {
      events.push('lost');
      events.push(`reconnect ${c.connect()}`);
    })).toBe(true);
    c.connect();
    const ghost = new MqttClient({ host: HOST, port: broker.port, clientId: id });
    const kicked = nextEvent(ghost, 'offline');
    await ghost.connect();   // takes the session over; the handler reconnects, which takes it back
    await kicked;
    expect(events).toEqual(['lost', 'reconnect 0']);
    expect(c.disconnect()).toBe(STATE_SUCCESS);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(events).toEqual(['lost', 'reconnect 0']);
    await ghost.end();
  });
});

describe('a callback that throws', () => {
  it('becomes a process warning; the other callbacks, the next messages and the connection go on', async () => {
    await withWarnings(async (warnings) => {
      const c = new MQTT(HOST, broker.port, { clientID: uniqueId('throw') });
      expect(c.connect()).toBe(STATE_SUCCESS);
      const seen: string[] = [];
      expect(c.subscribe('pika/throw/#', (evt: { msg: string }) => { seen.push(`wild ${evt.msg}`); throw new Error(`boom ${evt.msg}`); })).toBe(STATE_SUCCESS);
      expect(c.subscribe('pika/throw/t', (evt: { msg: string }) => { seen.push(`exact ${evt.msg}`); })).toBe(STATE_SUCCESS);
      expect(c.publish('pika/throw/t', 'one', 1)).toBe(STATE_SUCCESS);
      expect(c.publish('pika/throw/t', 'two', 1)).toBe(STATE_SUCCESS);
      await until(() => seen.length === 4);
      expect(seen).toEqual(['wild one', 'exact one', 'wild two', 'exact two']);
      expect(warnings.map((w) => [w.name, w.message])).toEqual([
        ['TinymqttWarning', 'the subscribe("pika/throw/#") callback threw: boom one'],
        ['TinymqttWarning', 'the subscribe("pika/throw/#") callback threw: boom two'],
      ]);
      expect(c.client.connected).toBe(true);
      expect(c.disconnect()).toBe(STATE_SUCCESS);
    });
  });

  it('a disconnect handler that throws becomes a process warning', async () => {
    await withWarnings(async (warnings) => {
      const id = uniqueId('throwdh');
      const c = new MQTT(HOST, broker.port, { clientID: id });
      expect(c.setDisconnectHandler(() => { throw new Error('boom lost'); })).toBe(true);
      expect(c.connect()).toBe(STATE_SUCCESS);
      const ghost = new MqttClient({ host: HOST, port: broker.port, clientId: id });
      await ghost.connect();   // takes the session over: c's connection is lost
      await until(() => warnings.length === 1);
      expect(warnings[0]).toMatchObject({ name: 'TinymqttWarning', message: 'the setDisconnectHandler callback threw: boom lost' });
      await ghost.end();
    });
  });
});

describe('the defects of PikaPython that we fix', () => {
  it('fixed: a wildcard subscription reaches its callback, and every matching subscription gets the message', async () => {
    const c = new MQTT(HOST, broker.port, { clientID: uniqueId('wild') });
    c.connect();
    const got: string[] = [];
    c.subscribe('/w/+/temp', (evt) => got.push(`+ ${evt.topic}`));
    c.subscribe('/w/#', (evt) => got.push(`# ${evt.topic}`), 1);
    c.subscribe('/w/kitchen/temp', (evt) => got.push(`exact ${evt.topic}`));
    c.publish('/w/kitchen/temp', '21', 1);
    c.publish('/w/hall/humidity', '40', 1);
    await until(() => got.length >= 4);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(got.sort()).toEqual(['# /w/hall/humidity', '# /w/kitchen/temp', '+ /w/kitchen/temp', 'exact /w/kitchen/temp']);
    c.disconnect();
  });

  it('fixed: a binary payload arrives whole (PikaPython cuts at the first NUL): evt.payload has the bytes, evt.msg the text', async () => {
    const c = new MQTT(HOST, broker.port, { clientID: uniqueId('bin') });
    c.connect();
    const binary = Buffer.from([0x41, 0, 0x42, 0xff, 0, 0x43]);
    const got: MessageEvent[] = [];
    c.subscribe('/bin', (evt) => got.push(evt));
    expect(c.publish('/bin', binary, 1)).toBe(STATE_SUCCESS);
    await until(() => got.length === 1);
    expect(got[0].payload).toEqual(binary);
    expect(got[0].msg).toBe(binary.toString('utf8'));
    expect(got[0].msg.length).toBe(6);
    c.disconnect();
  });

  it('fixed: subscribe() returns after the SUBACK, with its result (PikaPython returns before it); no SUBACK within timeout: 1', async () => {
    const fake = await FakeBroker.start();
    try {
      const script = compatScript('pika', `
        const c = new api.MQTT('127.0.0.1', port, { clientID: 'confirm', timeout: 1000 });
        console.log(c.connect());
        const started = performance.now();
        const granted = c.subscribe('confirm/a', () => {}, 1);
        console.log('granted', granted, 'after', Math.round(performance.now() - started));
        console.log('refused', c.subscribe('confirm/b', () => {}));
        console.log('unanswered', c.subscribe('confirm/c', () => {}));
        console.log(JSON.stringify(c.listSubscribeTopics()));
        c.disconnect();
      `, fake.port);
      const conn = await fake.acceptConnected();
      const first = await conn.expect(Type.SUBSCRIBE);
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(lines(script.stdout)).toEqual(['0']);   // still waiting for the SUBACK
      conn.send(packet(0x90, u16(packetId(first)), [1]));
      const second = await conn.expect(Type.SUBSCRIBE);
      conn.send(packet(0x90, u16(packetId(second)), [0x80]));
      await conn.expect(Type.SUBSCRIBE);   // and no SUBACK
      const exit = await script.exited;
      const out = lines(exit.stdout);
      expect(out[1]).toMatch(/^granted 0 after \d+$/);
      expect(Number(out[1].split(' ')[3])).toBeGreaterThanOrEqual(250);
      expect(out.slice(2)).toEqual([`refused ${STATE_FAIL_BAD_RCODE}`, `unanswered ${STATE_FAIL_UNKONW}`, '["confirm/a"]']);
    } finally {
      await fake.stop();
    }
  });
});
