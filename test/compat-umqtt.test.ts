// tinymqtt/umqtt (lib/compat/umqtt.ts): the example programs of the
// MicroPython/Makeblock and QuecPython documents ported line for line, and
// every method, default, return value and error against a real mosquitto
// (and aedes, in another process's reach, for refusals mosquitto never
// gives). Blocking calls run on the test's thread, as on the device.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, MqttClient, MqttError } from '../lib/index.js';
import { MQTTClient, MQTTException, OSError, type Bytes } from '../lib/compat/umqtt.js';
import { startAedes } from './support/aedes.js';
import { compatScript, lines, publishLater, sleepSync } from './support/compat.js';
import { nextEvent, nextMessages } from './support/events.js';
import { FakeBroker } from './support/fake-broker.js';
import { freePort, startMosquitto, USERS, type Broker } from './support/mosquitto.js';

let broker: Broker;
beforeAll(async () => { broker = await startMosquitto(); });
afterAll(async () => { await broker?.stop(); });

const HOST = '127.0.0.1';
let ids = 0;
/** A client id of its own for each client of a test. */
const uniqueId = (what: string) => `umqtt-${what}-${process.pid}-${++ids}`;

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

      while (true) {
        c.wait_msg();   // Blocking function of monitoring messages.
        if (state === 1) break;
      }
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
      const ghost = await connect({ host: HOST, port: broker.port, clientId: 'umqtt_client_753' });
      const kicked = nextEvent(ghost, 'offline', 10000);
      await script.printed('[Errno -1] connection closed: connection: ERR_CLOSED');
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
        '[Errno -1] connection closed: connection: ERR_CLOSED',
      ]);
      expect(script.stderr).toBe('');
    } finally {
      script.child.kill();
      await script.exited;
    }
  });
});
