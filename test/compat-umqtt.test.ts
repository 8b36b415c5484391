// tinymqtt/umqtt (lib/compat/umqtt.ts): the example programs of the
// MicroPython/Makeblock and QuecPython documents ported line for line, and
// every method, default, return value and error against a real mosquitto
// (and aedes, in another process's reach, for refusals mosquitto never
// gives). Blocking calls run on the test's thread, as on the device.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, MqttClient, MqttError } from '../lib/index.js';
import { MQTTClient, MQTTException, OSError, type Bytes } from '../lib/compat/umqtt.js';
import { startAedes } from './support/aedes.js';
import { acceptConnect, compatScript, lines, publishLater, refuseWithUsernameCode, sleepSync, uniqueIds, withWatchdog } from './support/compat.js';
import { nextEvent, nextMessages } from './support/events.js';
import { FakeBroker } from './support/fake-broker.js';
import { connack, packet, packetId, Type, u16 } from './support/mqtt-bytes.js';
import { freePort, startMosquitto, USERS, type Broker } from './support/mosquitto.js';

let broker: Broker;
beforeAll(async () => { broker = await startMosquitto(); });
afterAll(async () => { await broker?.stop(); });

const HOST = '127.0.0.1';
/** A client id of its own for each client of a test. */
const uniqueId = uniqueIds('umqtt');

/** The error `fn` throws. */
function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (e) {
    return e;
  }
  throw new Error('expected an exception');
}

/** A core client for the other side of a test. */
const peer = () => connect({ host: HOST, port: broker.port });

describe('the examples of the documents', () => {
  it('Makeblock sample code: publishes "38" with QoS 1 to its own subscription and shows what wait_msg() receives', () => {
    const printed: string[] = [];
    const print = (s: string) => printed.push(s);
    const shown: unknown[] = [];
    const codey = {
      display: { show: (v: unknown) => shown.push(String(v)) },
      led: { show: (_r: number, _g: number, _b: number) => {} },
      wifi: { start: (_ssid: string, _password: string) => {}, is_connected: () => true },
    };
    const time = { sleep: (s: number) => sleepSync(s * 1000) };

    const MQTTHOST = HOST;   // "mq.makeblock.com"
    const MQTTPORT = broker.port;   // 1883

    // Fill in as you like
    const client_id = '20180911203800';

    // Example Path
    const Topic = '/sensors/temperature/#';

    const mqttClient = new MQTTClient(client_id, MQTTHOST, { port: MQTTPORT, user: 'test', password: 'test', keepalive: 0, ssl: false });

    // Connect to the MQTT server
    function on_mqtt_connect() {
      mqttClient.connect();
    }

    // publish a message
    function on_publish(topic: string, payload: string, retain = false, qos: 0 | 1 | 2 = 0) {
      mqttClient.publish(topic, payload, retain, qos);
    }

    // message processing function
    function on_message_come(topic: Bytes, msg: Bytes) {
      print(topic + ' ' + ':' + String(msg));
      codey.display.show(msg);
    }

    // subscribe message
    function on_subscribe() {
      mqttClient.set_callback(on_message_come);
      mqttClient.subscribe(Topic, { qos: 1 });
    }

    // Fill in your router's ssid and password here.
    codey.wifi.start('wifi_ssid', 'password');
    codey.led.show(0, 0, 0);
    codey.display.show(0);
    let rounds = 0;   // the device loops forever; two rounds here
    withWatchdog(broker.port, '/sensors/temperature/watchdog', () => {   // bounds the blocking waits
      device: while (true) {
        if (codey.wifi.is_connected()) {
          on_mqtt_connect();
          on_subscribe();
          codey.led.show(0, 0, 255);
          while (true) {
            // Blocking wait for message
            on_publish('/sensors/temperature/home', String(38), false, 1);
            mqttClient.wait_msg();
            time.sleep(1);
            if (++rounds === 2) break device;
          }
        } else {
          codey.led.show(0, 0, 0);
        }
      }
    });
    mqttClient.disconnect();
    expect(printed).toEqual(['/sensors/temperature/home :38', '/sensors/temperature/home :38']);
    expect(shown).toEqual(['0', '38', '38']);
  });

  it('QuecPython example: subscribes, publishes, wait_msg() until the callback ran, disconnects', () => {
    const logged: string[] = [];
    const mqtt_log = { info: (s: string) => logged.push(s) };
    const checknet = { wait_network_connected: (_s: number) => [3, 1] };

    let state = 0;

    function sub_cb(topic: Bytes, msg: Bytes) {
      mqtt_log.info(`Subscribe Recv: Topic=${topic.decode()},Msg=${msg.decode()}`);
      state = 1;
    }

    const [stagecode, subcode] = checknet.wait_network_connected(30);
    if (stagecode === 3 && subcode === 1) {
      mqtt_log.info('Network connection successful!');

      // Create an MQTT example.
      const c = new MQTTClient('umqtt_client', HOST, broker.port);
      // Set the callback function of receiving messages.
      c.set_callback(sub_cb);
      // Connect to the MQTT server.
      c.connect();
      // Subscribe to a topic.
      c.subscribe(Buffer.from('/public/TEST/quecpython'));
      mqtt_log.info('Connected to mq.tongxinmao.com, subscribed to /public/TEST/quecpython topic');
      // Publish a message.
      c.publish(Buffer.from('/public/TEST/quecpython'), Buffer.from('my name is Quecpython!'));
      mqtt_log.info('Publish topic: /public/TEST/quecpython, msg: my name is Quecpython');

      withWatchdog(broker.port, '/public/TEST/quecpython', () => {   // bounds the blocking waits
        while (true) {
          c.wait_msg();   // Blocking function of monitoring messages.
          if (state === 1) break;
        }
      });
      // Disconnects from the MQTT server.
      c.disconnect();
      expect(c.get_mqttsta()).toBe(-1);
    } else {
      mqtt_log.info(`Network connection failed! stagecode = ${stagecode}, subcode = ${subcode}`);
    }
    expect(logged).toEqual([
      'Network connection successful!',
      'Connected to mq.tongxinmao.com, subscribed to /public/TEST/quecpython topic',
      'Publish topic: /public/TEST/quecpython, msg: my name is Quecpython',
      'Subscribe Recv: Topic=/public/TEST/quecpython,Msg=my name is Quecpython!',
    ]);
  });

  it('QuecPython error_register_cb example: registering prints nothing; with reconn (the default) a lost connection is not reported to it', async () => {
    const printed: unknown[] = [];
    const print = (s: unknown) => printed.push(s);

    function err_cb(err: string) {
      print('thread err:');
      print(err);
    }

    const c = new MQTTClient('umqtt_client', HOST, broker.port, { reconnect_period: 100 });
    c.error_register_cb(err_cb);
    expect(printed).toEqual([]);

    // beyond the example: the connection taken over by another client with its id, then back
    c.connect();
    const offline = nextEvent(c.client, 'offline');
    const reconnected = nextEvent(c.client, 'connect');
    const ghost = await connect({ host: HOST, port: broker.port, clientId: 'umqtt_client' });
    await offline;
    await reconnected;
    await new Promise((resolve) => setImmediate(resolve));
    expect(printed).toEqual([]);
    c.disconnect();
    await ghost.end();
  });

  it('QuecPython reconnection example: reconn=False, the broker drops the connection, err_cb and the listening thread reconnect and resubscribe', async () => {
    const topic = '/public/TEST/quecpython758';
    // the example, in its own process: its "thread" (__listen) blocks in wait_msg() for good
    const script = compatScript('umqtt', `
      const { MQTTClient } = api;
      const sleepSync = (ms) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
      const utime = { sleep: (s) => sleepSync(s * 1000) };
      const mqtt_log = { info: (s) => console.log(String(s)) };
      const _thread = {
        allocate_lock() {
          let held = false;
          return { locked: () => held, acquire: () => { held = true; }, release: () => { held = false; } };
        },
        start_new_thread: (fn, args) => setImmediate(() => fn(...args)),
      };
      const net = { getState: () => [[], [1]] };
      const dataCall = { setCallback: (_cb) => 0, getInfo: (_a, _b) => [0, 0, [1]] };
      const checknet = { poweron_print_once() {}, wait_network_connected() {} };

      // Reclaim the thread resource through the status after calling MQTTClient.disconnect().
      let TaskEnable = true;

      // Encapsulate MQTT so it can support more custom logic.
      class MqttClient {
        constructor(clientid, server, port, user = null, password = null, keepalive = 0, ssl = false, ssl_params = {}, reconn = true) {
          this.__clientid = clientid;
          this.__pw = password;
          this.__server = server;
          this.__port = port;
          this.__uasename = user;
          this.__keepalive = keepalive;
          this.__ssl = ssl;
          this.__ssl_params = ssl_params;
          this.topic = null;
          this.qos = null;
          // Network status flag.
          this.__nw_flag = true;
          // Create a mutex.
          this.mp_lock = _thread.allocate_lock();
          // Create a class to initialize the MQTT object.
          this.client = new MQTTClient(this.__clientid, this.__server, this.__port, this.__uasename, this.__pw,
            { keepalive: this.__keepalive, ssl: this.__ssl, ssl_params: this.__ssl_params, reconn: reconn });
        }

        connect() {
          this.client.connect();
          // Register the callback function of network status.
          const flag = dataCall.setCallback((args) => this.nw_cb(args));
          if (flag !== 0) throw new Error('Network callback registration failed');
        }

        set_callback(sub_cb) { this.client.set_callback(sub_cb); }

        error_register_cb(func) { this.client.error_register_cb(func); }

        subscribe(topic, qos = 0) {
          this.topic = topic;   // Save the topic. Multiple topics can be saved by a list.
          this.qos = qos;   // Save the QoS.
          this.client.subscribe(topic, qos);
        }

        publish(topic, msg, qos = 0) { this.client.publish(topic, msg, qos); }

        disconnect() {
          // Close the monitoring thread of wait_msg.
          TaskEnable = false;
          // Disconnect from the MQTT server and release the resources.
          this.client.disconnect();
        }

        reconnect() {
          // Determine whether the lock has been acquired.
          if (this.mp_lock.locked()) return;
          this.mp_lock.acquire();
          // Close the previous connection before reconnecting to release resources.
          this.client.close();
          // Reconnect to the MQTT server.
          while (true) {
            const net_sta = net.getState();   // Get network registration information.
            if (net_sta !== -1 && net_sta[1][0] === 1) {
              const call_state = dataCall.getInfo(1, 0);   // Get data call information.
              if (call_state !== -1 && call_state[2][0] === 1) {
                try {
                  // The network is normal. Reconnect to the MQTT server.
                  this.connect();
                } catch (e) {
                  // Reconnection to the MQTT server failed. Try again 5 s later.
                  this.client.close();
                  utime.sleep(5);
                  continue;
                }
              } else {
                // The network is unrestored. Please wait.
                utime.sleep(10);
                continue;
              }
              // Connect to the MQTT server successfully and subscribe to the topic.
              try {
                // Multiple topics can be saved by a list. Traverse the list to resubscribe the topic.
                if (this.topic !== null) this.client.subscribe(this.topic, this.qos);
                this.mp_lock.release();
              } catch {
                // Subscription failed. Reconnect to the MQTT server.
                this.client.close();
                utime.sleep(5);
                continue;
              }
            } else {
              utime.sleep(5);
              continue;
            }
            break;   // Stop loop.
          }
          // Exit and reconnect.
          return true;
        }

        nw_cb(args) {
          const nw_sta = args[1];
          if (nw_sta === 1) {
            mqtt_log.info('*** network connected! ***');
            this.__nw_flag = true;
          } else {
            mqtt_log.info('*** network not connected! ***');
            this.__nw_flag = false;
          }
        }

        __listen() {
          while (true) {
            try {
              if (!TaskEnable) break;
              this.client.wait_msg();
            } catch (e) {
              if (!(e instanceof api.OSError)) throw e;
              // Determine whether the network is disconnected.
              if (!this.__nw_flag) {
                // Reconnect after the network is restored from disconnection.
                this.reconnect();
              } else if (this.client.get_mqttsta() !== 0 && TaskEnable) {
                // Reconnect when the socket status is abnormal.
                this.reconnect();
              } else {
                // You can call the raise method to return an exception or -1.
                return -1;
              }
            }
          }
        }

        loop_forever() { _thread.start_new_thread(() => this.__listen(), []); }
      }

      checknet.poweron_print_once();
      checknet.wait_network_connected();

      function sub_cb(topic, msg) {
        mqtt_log.info(\`Subscribe Recv: Topic=\${topic.decode()},Msg=\${msg.decode()}\`);
      }

      const c = new MqttClient('umqtt_client_753', '127.0.0.1', port, null, null, 0, false, {}, false);

      function err_cb(error) {
        mqtt_log.info(error);
        c.reconnect();   // Reconnect to MQTT server after error occurrences.
      }

      // Set the callback function of receiving messages.
      c.set_callback(sub_cb);
      // Set the callback function of error occurrence.
      c.error_register_cb(err_cb);
      // Connect to the MQTT server.
      c.connect();
      // Subscribe to topics.
      c.subscribe(Buffer.from(${JSON.stringify(topic)}));
      mqtt_log.info('Connected to mq.tongxinmao.com, subscribed to /public/TEST/quecpython topic');
      // Publish a message.
      c.publish(Buffer.from(${JSON.stringify(topic)}), Buffer.from('my name is Quecpython!'));
      mqtt_log.info('Publish topic: /public/TEST/quecpython758, msg: my name is Quecpython');
      // Monitor MQTT messages.
      c.loop_forever();
    `, broker.port, 20000);
    try {
      await script.printed(`Subscribe Recv: Topic=${topic},Msg=my name is Quecpython!`);
      // an ungraceful disconnection: another client takes the session over
      const ghost = new MqttClient({ host: HOST, port: broker.port, clientId: 'umqtt_client_753' });
      const kicked = nextEvent(ghost, 'offline', 10000);
      await ghost.connect();
      await script.printed(`[Errno -1] connection closed: connection to ${HOST}:${broker.port} lost: ERR_CLOSED: the broker closed the connection`);
      await kicked;   // the script reconnected with its id
      const sender = await peer();
      for (let i = 0; !script.stdout.includes('Msg=after the reconnect'); i++) {
        expect(i).toBeLessThan(50);
        await sender.publish(topic, 'after the reconnect', { qos: 1 });
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      await Promise.all([sender.end(), ghost.end()]);
      expect(lines(script.stdout).slice(0, 4)).toEqual([
        'Connected to mq.tongxinmao.com, subscribed to /public/TEST/quecpython topic',
        'Publish topic: /public/TEST/quecpython758, msg: my name is Quecpython',
        `Subscribe Recv: Topic=${topic},Msg=my name is Quecpython!`,
        `[Errno -1] connection closed: connection to ${HOST}:${broker.port} lost: ERR_CLOSED: the broker closed the connection`,
      ]);
      expect(script.stderr).toBe('');
    } finally {
      script.child.kill();
      await script.exited;
    }
  });
});

describe('MQTTClient(client_id, server, port=0, user=None, password=None, keepalive=0, ssl=False, ssl_params={}, reconn=True, version=4)', () => {
  it('defaults: port 1883, no user or password, keepalive 0, MQTT 3.1.1, reconnect every 5 s, blocking waits of 10 s', () => {
    const o = new MQTTClient('defaults', HOST).client.options;
    expect(o).toMatchObject({ host: HOST, port: 1883, clientId: 'defaults', keepalive: 0, protocolVersion: 4, clean: true,
      reconnectPeriod: 5000, connectTimeout: 10000 });
    expect([o.username, o.password, o.tls, o.will]).toEqual([undefined, undefined, undefined, undefined]);
  });

  it('port 0 means 1883, or 8883 with ssl', () => {
    expect(new MQTTClient('p', HOST, 0).client.options.port).toBe(1883);
    expect(new MQTTClient('p', HOST, 0, null, null, 0, true).client.options).toMatchObject({ port: 8883, tls: { rejectUnauthorized: true } });
    expect(new MQTTClient('p', HOST, { ssl: true }).client.options.port).toBe(8883);
    expect(new MQTTClient('p', HOST, { port: 18830, ssl: true }).client.options.port).toBe(18830);
  });

  it('the optional parameters positionally, by name in one object, or both', () => {
    const positional = new MQTTClient('k', HOST, 1234, 'u', 'p', 30, false, {}, false, 3).client.options;
    const named = new MQTTClient('k', HOST, { port: 1234, user: 'u', password: 'p', keepalive: 30, ssl: false, ssl_params: {}, reconn: false, version: 3 });
    const mixed = new MQTTClient('k', HOST, 1234, 'u', { password: 'p', keepalive: 30, reconn: 0, version: 3 });
    expect(named.client.options).toEqual(positional);
    expect(mixed.client.options).toEqual(positional);
    expect(positional).toMatchObject({ port: 1234, username: 'u', password: Buffer.from('p'), keepalive: 30, protocolVersion: 3, reconnectPeriod: 0 });
    // ssl_params is itself an object: as the last positional argument it is ssl_params
    const tls = new MQTTClient('k', HOST, 8884, null, null, 0, true, { cadata: broker.certs.ca, server_hostname: 'localhost' });
    expect(tls.client.options.tls).toMatchObject({ ca: broker.certs.ca, servername: 'localhost', rejectUnauthorized: true });
  });

  it('tinymqtt additions, by name only: reconnect_period and timeout (ms)', () => {
    expect(new MQTTClient('x', HOST, { reconnect_period: 250, timeout: 1500 }).client.options)
      .toMatchObject({ reconnectPeriod: 250, connectTimeout: 1500 });
    expect(new MQTTClient('x', HOST, { reconn: false, reconnect_period: 250 }).client.options.reconnectPeriod).toBe(0);
  });

  it('refuses what Python refuses, naming it: an unknown keyword, a parameter twice, too many, a bad version, ssl_params or value', () => {
    const refusals: Array<[() => unknown, string, string]> = [
      [() => new MQTTClient('x', HOST, { prot: 1883 } as never), 'ERR_INVALID_ARG', "unexpected keyword argument 'prot'"],
      [() => new MQTTClient('x', HOST, 1883, { port: 1884 } as never), 'ERR_INVALID_ARG', "multiple values for argument 'port'"],
      [() => new (MQTTClient as new (...args: unknown[]) => MQTTClient)('x', HOST, 1, 2, 3, 4, 5, 6, 7, 8, 9), 'ERR_INVALID_ARG', 'at most 8'],
      [() => new MQTTClient('x', HOST, { version: 5 as never }), 'ERR_INVALID_ARG', 'version must be 3 (MQTT 3.1) or 4 (MQTT 3.1.1)'],
      [() => new MQTTClient('x', HOST, { ssl: true, ssl_params: { keyfile_password: 'x' } as never }), 'ERR_INVALID_ARG', "ssl_params['keyfile_password']"],
      [() => new MQTTClient('x', HOST, { ssl: 'yes' as never }), 'ERR_INVALID_ARG', 'ssl must be a boolean'],
      [() => new MQTTClient('x', HOST, { port: 70000 }), 'ERR_INVALID_ARG', 'options.port'],
      [() => new MQTTClient('x', HOST, { keepalive: -1 }), 'ERR_INVALID_ARG', 'options.keepalive'],
      [() => new MQTTClient(Buffer.from([0xff]), HOST), 'ERR_UTF8', 'client_id'],
    ];
    for (const [fn, code, message] of refusals) {
      const e = thrown(fn);
      expect(e).toBeInstanceOf(MqttError);
      expect(e).toMatchObject({ code, message: expect.stringContaining(message) });
    }
  });

  it('client_id empty or None: a random one, and connect(clean_session=False) refused; bytes for client_id, server, user', () => {
    const a = new MQTTClient(null, HOST, broker.port), b = new MQTTClient('', HOST, broker.port);
    expect(a.client.options.clientId).not.toBe(b.client.options.clientId);
    expect(thrown(() => a.connect(false))).toMatchObject({ code: 'ERR_INVALID_ARG', message: expect.stringContaining('clean_session must be True') });
    expect(a.connect()).toBe(0);
    a.disconnect();
    const bytes = new MQTTClient(Buffer.from('bytes-id'), Buffer.from(HOST), { user: Buffer.from('me') });
    expect(bytes.client.options).toMatchObject({ clientId: 'bytes-id', host: HOST, username: 'me' });
  });
});

describe('connect(clean_session=True)', () => {
  it('returns 0 once connected; version=3 speaks MQTT 3.1', () => {
    for (const version of [3, 4] as const) {
      const c = new MQTTClient(uniqueId('v'), HOST, broker.port, { version });
      expect(c.get_mqttsta()).toBe(-1);
      expect(c.connect()).toBe(0);
      expect(c.client.options.protocolVersion).toBe(version);
      expect(c.get_mqttsta()).toBe(0);
      c.disconnect();
    }
  });

  it('user and password on the password listener; a wrong password raises MQTTException(5), an MqttError', () => {
    const good = new MQTTClient(uniqueId('pw'), HOST, broker.passwordPort, 'alice', USERS.alice);
    expect(good.connect()).toBe(0);
    good.disconnect();
    const bad = new MQTTClient(uniqueId('pw'), HOST, { port: broker.passwordPort, user: 'alice', password: 'wrong' });
    const e = thrown(() => bad.connect());
    expect(e).toBeInstanceOf(MQTTException);
    expect(e).toBeInstanceOf(MqttError);
    expect(e).toMatchObject({ name: 'MQTTException', args: [5], reasonCode: 5, code: 'ERR_CONNACK_NOT_AUTHORIZED' });
    expect(bad.get_mqttsta()).toBe(-1);
  });

  it('the network: OSError 111 when nothing listens, OSError 110 when no CONNACK comes within timeout', async () => {
    const nobody = new MQTTClient('x', HOST, await freePort());
    expect(thrown(() => nobody.connect())).toMatchObject({ name: 'OSError', errno: 111, args: [111], code: 'ERR_REFUSED' });
    const silent = await FakeBroker.start();   // accepts, and cannot answer while this thread is blocked
    try {
      const c = new MQTTClient('x', HOST, silent.port, { timeout: 300 });
      const started = performance.now();
      const e = thrown(() => c.connect());
      expect(e).toBeInstanceOf(OSError);
      expect(e).toMatchObject({ errno: 110, code: 'ERR_CONNECT_TIMEOUT', message: expect.stringContaining('ETIMEDOUT') });
      expect(performance.now() - started).toBeLessThan(3000);
    } finally {
      await silent.stop();
    }
  });

  // refused before a native client exists: the engine's refusal, not OSError 107
  it('options the engine refuses before connecting raise its error (a password without a user name: ERR_PASSWORD)', () => {
    const c = new MQTTClient(uniqueId('pw'), HOST, broker.port, { password: 'x' });
    expect(thrown(() => c.connect())).toMatchObject({ code: 'ERR_PASSWORD' });
  });

  it('clean_session=False: the session (subscription and queued QoS 1 messages) outlives the connection', async () => {
    const id = uniqueId('persist');
    const got: string[] = [];
    const c = new MQTTClient(id, HOST, broker.port);
    c.set_callback((_topic, msg) => got.push(msg.decode()));
    c.connect(false);
    c.subscribe('persist/t', 1);
    c.disconnect();
    const p = await peer();
    await p.publish('persist/t', 'while away', { qos: 1 });
    await p.end();
    c.connect({ clean_session: false });
    withWatchdog(broker.port, 'persist/t', () => { while (got.length === 0) c.wait_msg(); });
    expect(got).toEqual(['while away']);
    c.connect(true);   // and a clean one ends the session
    c.disconnect();
  });

  it('TLS: ssl with cadata; mutual TLS with cert and key; an unknown CA raises OSError 5 unless cert_reqs=0', () => {
    const { ca, clientCert, clientKey } = broker.certs;
    const tls = new MQTTClient(uniqueId('tls'), HOST, broker.tlsPort, { ssl: true, ssl_params: { cadata: ca } });
    expect(tls.connect()).toBe(0);
    tls.disconnect();
    const mtls = new MQTTClient(uniqueId('tls'), HOST, broker.mtlsPort, { ssl: true, ssl_params: { ca_certs: ca, certfile: clientCert, keyfile: clientKey } });
    expect(mtls.connect()).toBe(0);
    mtls.disconnect();
    const unknown = new MQTTClient(uniqueId('tls'), HOST, broker.tlsPort, { ssl: true });
    expect(thrown(() => unknown.connect())).toMatchObject({ name: 'OSError', errno: 5, code: 'ERR_TLS_VERIFY' });
    const unverified = new MQTTClient(uniqueId('tls'), HOST, broker.tlsPort, { ssl: true, ssl_params: { cert_reqs: 0 } });
    expect(unverified.connect()).toBe(0);
    unverified.disconnect();
  });

  it('the broker\'s refusals as MQTTException(return code) (aedes, in reach of a script\'s process; its hook gives 2 to 5)', async () => {
    const aedes = await startAedes({
      authenticate: refuseWithUsernameCode,
    });
    try {
      const exit = await compatScript('umqtt', `
        for (const rc of [2, 3, 4, 5]) {
          const c = new api.MQTTClient('rc' + rc, '127.0.0.1', port, String(rc), 'x');
          try {
            c.connect();
            console.log('connected');
          } catch (e) {
            console.log(e.name, e.args[0], e.code, e instanceof tinymqtt.MqttError);
          }
        }
      `, aedes.port).exited;
      expect(exit.stderr).toBe('');
      expect(lines(exit.stdout)).toEqual([
        'MQTTException 2 ERR_CONNACK_ID true',
        'MQTTException 3 ERR_CONNACK_UNAVAILABLE true',
        'MQTTException 4 ERR_CONNACK_BAD_AUTH true',
        'MQTTException 5 ERR_CONNACK_NOT_AUTHORIZED true',
      ]);
    } finally {
      await aedes.stop();
    }
  });
});

describe('version=3 against a broker that only speaks 3.1.1 (the fake broker, in reach of a script\'s process)', () => {
  it('sends MQTT 3.1 (MQIsdp, level 3) and raises MQTTException(1) for the refusal; version 4 sends MQTT 3.1.1', async () => {
    const fake = await FakeBroker.start();
    try {
      const script = compatScript('umqtt', `
        for (const version of [3, 4]) {
          const c = new api.MQTTClient('v' + version, '127.0.0.1', port, { version });
          try {
            console.log(c.connect());
            c.close();
          } catch (e) {
            console.log(e.name, e.args[0], e.code);
          }
        }
      `, fake.port);
      for (const [name, level, code] of [['MQIsdp', 3, 1], ['MQTT', 4, 0]] as const) {
        const { conn, ...sent } = await acceptConnect(fake);
        expect(sent).toEqual({ name, level });
        conn.send(connack(code));
      }
      const exit = await script.exited;
      expect(lines(exit.stdout)).toEqual(['MQTTException 1 ERR_CONNACK_VERSION', '0']);
    } finally {
      await fake.stop();
    }
  });
});

describe('publish(topic, msg, retain=False, qos=0) and subscribe(topic, qos=0)', () => {
  it('QoS 0, 1 and 2 reach a subscriber with their QoS; msg as text or bytes; retain keeps the last one for later subscribers', async () => {
    const watcher = await peer();
    await watcher.subscribe('pub/#', { qos: 2 });
    const arriving = nextMessages(watcher, 3);
    const c = new MQTTClient(uniqueId('pub'), HOST, broker.port);
    c.connect();
    c.publish('pub/0', 'zero');
    c.publish('pub/1', Buffer.from('one'), false, 1);
    c.publish(Buffer.from('pub/2'), 'two', { qos: 2 });
    expect((await arriving).map((m) => [m.topic, m.payload.toString(), m.qos])).toEqual([['pub/0', 'zero', 0], ['pub/1', 'one', 1], ['pub/2', 'two', 2]]);
    c.publish('pub/kept', 'kept', true, 1);
    const later = await peer();
    const retained = nextMessages(later, 1);
    await later.subscribe('pub/kept');
    expect((await retained)[0]).toMatchObject({ topic: 'pub/kept', retain: true, payload: Buffer.from('kept') });
    c.publish('pub/kept', '', { retain: true, qos: 1 });   // clears it
    c.disconnect();
    await Promise.all([watcher.end(), later.end()]);
  });

  it('fixed: QoS 2 is supported (umqtt cannot do it): publish() returns only after PUBCOMP; no acknowledgement within timeout: OSError 110', async () => {
    const fake = await FakeBroker.start();
    try {
      const script = compatScript('umqtt', `
        const c = new api.MQTTClient('q2', '127.0.0.1', port, { timeout: 1000 });
        c.connect();
        const started = performance.now();
        c.publish('q2/t', 'exactly once', false, 2);
        console.log('returned after', Math.round(performance.now() - started));
        try { c.publish('q1/t', 'never acknowledged', false, 1); } catch (e) { console.log(e.name, e.errno, e.code); }
        c.close();
      `, fake.port);
      const conn = await fake.acceptConnected();
      const pub = await conn.expect(Type.PUBLISH);
      expect((pub[0] >> 1) & 3).toBe(2);
      conn.send(packet(0x50, u16(packetId(pub))));   // PUBREC
      const rel = await conn.expect(Type.PUBREL);
      expect(packetId(rel)).toBe(packetId(pub));
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(script.stdout).toBe('');   // still waiting for PUBCOMP
      conn.send(packet(0x70, u16(packetId(pub))));   // PUBCOMP
      await conn.expect(Type.PUBLISH);   // and no PUBACK
      const exit = await script.exited;
      const out = lines(exit.stdout);
      expect(out[0]).toMatch(/^returned after \d+$/);
      expect(Number(out[0].split(' ')[2])).toBeGreaterThanOrEqual(250);
      expect(out.slice(1)).toEqual(['OSError 110 ERR_TIMEOUT']);
    } finally {
      await fake.stop();
    }
  });

  it('subscribe(topic, qos) blocks until SUBACK and delivers with the granted QoS; it needs set_callback() first', async () => {
    const c = new MQTTClient(uniqueId('sub'), HOST, broker.port);
    c.connect();
    expect(thrown(() => c.subscribe('sub/t'))).toMatchObject({ code: 'ERR_STATE', message: expect.stringContaining('Subscribe callback is not set') });
    const got: Array<[string, string]> = [];
    c.set_callback((topic, msg) => got.push([topic.decode(), msg.decode()]));
    c.subscribe('sub/+', 2);
    const p = await peer();
    await p.publish('sub/t', 'exactly', { qos: 2 });
    withWatchdog(broker.port, 'sub/t', () => { while (got.length === 0) c.wait_msg(); });
    expect(got).toEqual([['sub/t', 'exactly']]);
    c.disconnect();
    await p.end();
  });

  it('bad input raises an MqttError naming it, before anything is sent; not connected raises OSError 107', () => {
    const c = new MQTTClient(uniqueId('bad'), HOST, broker.port);
    expect(thrown(() => c.publish('t', 'x'))).toMatchObject({ name: 'OSError', errno: 107, code: 'ERR_NOT_CONNECTED' });
    c.set_callback(() => {});
    expect(thrown(() => c.subscribe('t'))).toMatchObject({ name: 'OSError', errno: 107 });
    c.connect();
    expect(thrown(() => c.publish('bad/#', 'x'))).toMatchObject({ code: 'ERR_INVALID_TOPIC', message: expect.stringContaining('topic') });
    expect(thrown(() => c.publish('t', 'x', false, 3 as never))).toMatchObject({ code: 'ERR_INVALID_ARG', message: expect.stringContaining('qos') });
    expect(thrown(() => c.publish('t', 'x', 'yes' as never))).toMatchObject({ code: 'ERR_INVALID_ARG', message: expect.stringContaining('retain') });
    expect(thrown(() => c.subscribe('bad/#/x'))).toMatchObject({ code: 'ERR_INVALID_FILTER' });
    expect(c.get_mqttsta()).toBe(0);
    c.disconnect();
  });

  it('a refused subscription raises MQTTException(0x80); with reconn=False a publish the broker answers by closing raises OSError -1 (aedes)', async () => {
    const aedes = await startAedes({
      authorizeSubscribe: (_client, sub, done) => done(null, sub.topic.startsWith('secret/') ? null : sub),
      authorizePublish: (_client, pkt, done) => done(pkt.topic.startsWith('secret/') ? new Error('denied') : null),
    });
    try {
      const exit = await compatScript('umqtt', `
        const c = new api.MQTTClient('acl', '127.0.0.1', port, { reconn: false });
        c.set_callback(() => {});
        c.connect();
        try { c.subscribe('secret/a', 1); } catch (e) { console.log('subscribe', e.name, e.args[0], e.code); }
        c.subscribe('open/a', 1);
        console.log('subscribed open/a');
        try { c.publish('secret/x', 'x', false, 1); } catch (e) { console.log('publish', e.name, e.args[0], e.code); }
        console.log('sta', c.get_mqttsta());
        c.disconnect();
      `, aedes.port).exited;
      expect(exit.stderr).toBe('');
      expect(lines(exit.stdout)).toEqual([
        'subscribe MQTTException 128 ERR_SUBACK_REFUSED', 'subscribed open/a', 'publish OSError -1 ERR_CLOSED', 'sta 2',
      ]);
    } finally {
      await aedes.stop();
    }
  });

  it('reconn=True: a subscription the broker refuses when it is renewed after a reconnect is raised by the next wait_msg() (aedes)', async () => {
    let subscribes = 0;
    const aedes = await startAedes({
      authorizeSubscribe: (client, sub, done) => {
        // the first SUBSCRIBE is granted, then the connection dropped; the renewal is refused
        if (++subscribes === 1) setTimeout(() => client?.close(), 100);
        done(null, subscribes === 1 ? sub : null);
      },
    });
    try {
      const exit = await compatScript('umqtt', `
        const c = new api.MQTTClient('renew', '127.0.0.1', port, { reconnect_period: 100 });
        c.set_callback(() => {});
        c.connect();
        c.subscribe('renew/t', 1);
        console.log('subscribed');
        try { c.wait_msg(); } catch (e) { console.log('wait_msg', e.name, e.args[0], e.code); }
        console.log('sta', c.get_mqttsta());
        c.disconnect();
      `, aedes.port).exited;
      expect(exit.stderr).toBe('');
      expect(lines(exit.stdout)).toEqual(['subscribed', 'wait_msg MQTTException 128 ERR_SUBACK_REFUSED', 'sta 0']);
      expect(subscribes).toBe(2);
    } finally {
      await aedes.stop();
    }
  });
});

describe('wait_msg(), check_msg(), set_callback(f), ping()', () => {
  it('wait_msg() blocks until a message comes (from another process) and calls the callback on this thread before returning', async () => {
    const c = new MQTTClient(uniqueId('wait'), HOST, broker.port);
    const got: string[] = [];
    c.set_callback((_topic, msg) => got.push(msg.decode()));
    c.connect();
    c.subscribe('wait/t', 1);
    const publishing = publishLater(broker.port, 'wait/t', 'late', 300);
    const started = performance.now();
    withWatchdog(broker.port, 'wait/t', () => c.wait_msg());
    expect(got).toEqual(['late']);
    expect(performance.now() - started).toBeGreaterThanOrEqual(250);
    expect((await publishing.exited).code).toBe(0);
    c.disconnect();
  });

  it('wait_msg() returns for the PINGRESP of ping(), without a message; ping() when not connected raises OSError 107', () => {
    const c = new MQTTClient(uniqueId('ping'), HOST, broker.port);
    expect(thrown(() => c.ping())).toMatchObject({ name: 'OSError', errno: 107 });
    let called = false;
    c.set_callback(() => { called = true; });
    c.connect();
    c.subscribe('ping/watchdog');
    c.ping();
    withWatchdog(broker.port, 'ping/watchdog', () => c.wait_msg());
    expect(called).toBe(false);
    c.disconnect();
  });

  it('check_msg() never blocks, and handles what has arrived', async () => {
    const c = new MQTTClient(uniqueId('check'), HOST, broker.port);
    const got: string[] = [];
    c.set_callback((_topic, msg) => got.push(msg.decode()));
    c.connect();
    c.subscribe('check/t');
    const started = performance.now();
    c.check_msg();
    expect(performance.now() - started).toBeLessThan(50);
    expect(got).toEqual([]);
    const p = await peer();
    await p.publish('check/t', 'arrived', { qos: 1 });
    for (let i = 0; got.length === 0; i++) {
      expect(i).toBeLessThan(100);
      c.check_msg();
      sleepSync(20);
    }
    expect(got).toEqual(['arrived']);
    c.disconnect();
    await p.end();
  });

  it('the callback gets topic and msg as bytes, binary intact, with decode(); it may call the blocking methods', () => {
    const c = new MQTTClient(uniqueId('bytes'), HOST, broker.port);
    const binary = Buffer.from([0, 1, 0xff, 0, 0x80]);
    const got: Bytes[] = [];
    c.set_callback((topic, msg) => {
      got.push(msg);
      if (topic.decode() === 'bytes/in') c.publish('bytes/out', msg, false, 1);   // blocking, from the callback
    });
    c.connect();
    c.subscribe('bytes/#', 1);
    c.publish('bytes/in', binary, false, 1);
    withWatchdog(broker.port, 'bytes/in', () => { while (got.length < 2) c.wait_msg(); });
    expect(got.map((b) => Buffer.isBuffer(b) && b.equals(binary))).toEqual([true, true]);
    expect(() => got[0].decode()).toThrow(TypeError);   // not UTF-8, as Python's UnicodeError
    expect(got[0].decode('latin1')).toBe('\u0000\u0001\u00ff\u0000\u0080');
    c.disconnect();
  });

  it('more than 10,000 messages left unread: ERR_QUEUE_FULL says how many were not kept, then the 10,000 are delivered', async () => {
    const c = new MQTTClient(uniqueId('flood'), HOST, broker.port);
    let delivered = 0;
    c.set_callback(() => { delivered++; });
    c.connect();
    c.subscribe('flood/t');
    let arrived = 0;
    c.client.on('message', () => { arrived++; });   // they arrive on the event loop, as this test awaits
    const p = await peer();
    for (let i = 0; i < 10_005; i++) await p.publish('flood/t', String(i));
    for (let i = 0; arrived < 10_005; i++) {
      expect(i).toBeLessThan(500);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    expect(thrown(() => c.check_msg())).toMatchObject({ code: 'ERR_QUEUE_FULL', message: expect.stringContaining('5 messages were not kept') });
    c.check_msg();
    expect(delivered).toBe(10_000);
    c.disconnect();
    await p.end();
  });
});

describe('a lost connection, reconn, error_register_cb(callback), get_mqttsta()', () => {
  /** Takes `id`'s session over from another client: mosquitto closes the first connection. */
  async function takeOver(c: MQTTClient, id: string): Promise<MqttClient> {
    const offline = nextEvent(c.client, 'offline');
    // the ghost does not reconnect: two clients with one id that both do
    // would take the session from each other for ever
    const ghost = await connect({ host: HOST, port: broker.port, clientId: id, reconnectPeriod: 0 });
    await offline;
    return ghost;
  }

  it('reconn=False: wait_msg() and check_msg() raise OSError -1, get_mqttsta() is 2, the error callback gets the text; reconnect() restores it', async () => {
    const id = uniqueId('lost');
    const c = new MQTTClient(id, HOST, broker.port, { reconn: false });
    const reported: Array<[string, unknown]> = [];
    c.error_register_cb((error, exception) => reported.push([error, exception]));
    c.set_callback(() => {});
    c.connect();
    c.subscribe('lost/t');
    const ghost = await takeOver(c, id);
    await new Promise((resolve) => setImmediate(resolve));   // the error callback runs on the event loop
    expect(reported).toEqual([[`[Errno -1] connection closed: connection to ${HOST}:${broker.port} lost: ERR_CLOSED: the broker closed the connection`, expect.any(OSError)]]);
    expect(c.get_mqttsta()).toBe(2);
    for (const call of [() => c.check_msg(), () => c.wait_msg()])   // wait_msg() last: broken, it would block
      expect(thrown(call)).toMatchObject({ name: 'OSError', errno: -1, args: [-1], code: 'ERR_CLOSED' });
    expect(thrown(() => c.publish('lost/t', 'x'))).toMatchObject({ name: 'OSError', errno: 107 });
    expect(c.reconnect()).toBe(0);
    expect(c.get_mqttsta()).toBe(0);
    c.disconnect();
    await ghost.end();
  });

  it('reconn=True: reconnects every reconnect_period, get_mqttsta() 1 then 0, subscriptions renewed, nothing raised', async () => {
    const id = uniqueId('auto');
    const c = new MQTTClient(id, HOST, broker.port, { reconnect_period: 300 });
    const got: string[] = [];
    c.set_callback((_topic, msg) => got.push(msg.decode()));
    c.connect();
    c.subscribe('auto/t', 1);
    const back = nextEvent(c.client, 'connect');
    const ghost = await takeOver(c, id);
    for (let i = 0; c.get_mqttsta() !== 1; i++) {
      expect(i).toBeLessThan(100);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    c.check_msg();   // no error while it reconnects
    await back;
    const p = await peer();
    for (let i = 0; !got.includes('again'); i++) {
      expect(i).toBeLessThan(50);
      await p.publish('auto/t', 'again', { qos: 1 });
      sleepSync(50);
      c.check_msg();
    }
    expect(c.get_mqttsta()).toBe(0);
    c.disconnect();
    await Promise.all([p.end(), ghost.end()]);
  });
});

describe('set_last_will(), disconnect(), close(), reconnect()', () => {
  it('disconnect() sends DISCONNECT (no will); close() does not (the will is published); both leave get_mqttsta() at -1', async () => {
    const watcher = await peer();
    await watcher.subscribe('will/#', { qos: 1 });
    const arriving = nextMessages(watcher, 1);
    const polite = new MQTTClient(uniqueId('will'), HOST, broker.port);
    polite.set_last_will('will/polite', 'gone');
    polite.connect();
    polite.disconnect();
    const abrupt = new MQTTClient(uniqueId('will'), HOST, broker.port);
    abrupt.set_last_will(Buffer.from('will/abrupt'), Buffer.from('gone'), { qos: 1 });
    abrupt.connect();
    abrupt.close();
    expect((await arriving).map((m) => [m.topic, m.payload.toString(), m.qos])).toEqual([['will/abrupt', 'gone', 1]]);
    expect([polite.get_mqttsta(), abrupt.get_mqttsta()]).toEqual([-1, -1]);
    expect(thrown(() => abrupt.check_msg())).toMatchObject({ name: 'OSError', errno: 107 });
    expect(thrown(() => polite.wait_msg())).toMatchObject({ name: 'OSError', errno: 107 });   // as check_msg(): it does not block
    polite.disconnect();   // nothing to do
    await watcher.end();
  });

  it('set_last_will() checks its arguments at once', () => {
    const c = new MQTTClient('w', HOST);
    expect(thrown(() => c.set_last_will('will/#', 'x'))).toMatchObject({ code: 'ERR_INVALID_TOPIC' });
    expect(thrown(() => c.set_last_will('will/t', 'x', false, 3 as never))).toMatchObject({ code: 'ERR_INVALID_ARG' });
    c.set_last_will('will/t', 'x', true, 2);
    expect(c.client.options.will).toMatchObject({ topic: 'will/t', qos: 2, retain: true });
  });

  it('reconnect(): ERR_STATE before connect(); after close(), connects again with the same clean_session', () => {
    const c = new MQTTClient(uniqueId('re'), HOST, broker.port);
    expect(thrown(() => c.reconnect())).toMatchObject({ code: 'ERR_STATE' });
    c.connect(false);
    c.close();
    expect(c.reconnect()).toBe(0);
    expect(c.get_mqttsta()).toBe(0);
    expect(c.client.options.clean).toBe(false);
    c.connect(true);   // a clean session ends the persistent one
    expect(c.connect()).toBe(0);   // connect() on a connection starts a new one
    c.disconnect();
  });
});
