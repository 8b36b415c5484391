// The page of test/web.test.ts, run by headless Chromium: tinymqtt/web (the
// bundle, served as /tinymqtt.js, its engine as /tinymqtt.wasm beside it)
// against aedes over ws on the port in the query. Each step's outcome goes
// into one result, POSTed to /report/done at the end (or when a step fails
// or hangs); /report/drop asks the test to drop the connection from the
// server's side and answers once it has.
import { MqttClient, MqttError, connect, loadEngine, matchTopic } from '/tinymqtt.js';

const query = new URLSearchParams(location.search);
const broker = query.get('broker');
/** aedes over wss (its certificate trusted by the browser's flags) */
const securePort = query.get('secure');
/** a loopback port nothing listens on */
const closedPort = query.get('closed');
const url = `ws://127.0.0.1:${broker}/mqtt`;
const post = (name, body) => fetch(`/report/${name}`, { method: 'POST', body: JSON.stringify(body) });
const result = { step: 'start' };

/** `promise`, or a failure naming the step after `ms`. */
function within(ms, promise) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no outcome within ${ms} ms`)), ms);
    promise.then((v) => { clearTimeout(timer); resolve(v); }, (e) => { clearTimeout(timer); reject(e); });
  });
}

/** The next `event` of `client`, with its arguments. */
const next = (client, event) => new Promise((resolve) => client.once(event, (...args) => resolve(args)));

/** What an operation that should be refused rejected with. */
async function refusal(run) {
  try {
    await run();
    return 'not refused';
  } catch (e) {
    return e instanceof MqttError ? `${e.code}: ${e.message}` : `not an MqttError: ${e}`;
  }
}

try {
  // an mqtt:// or mqtts:// URL is refused before connect() loads the engine
  result.step = 'refusals before the engine loads';
  result.refusedEarly = {
    mqtt: await refusal(() => connect('mqtt://127.0.0.1:1883')),
    mqtts: await refusal(() => connect('mqtts://127.0.0.1:8883')),
    notLoaded: await refusal(() => new MqttClient({ protocol: 'ws', host: '127.0.0.1', port: Number(broker) })),
  };
  result.step = 'the engine loads';
  await within(10000, loadEngine());
  result.matchTopic = matchTopic('web/+', 'web/q1');
  result.step = 'refusals';
  result.refused = {
    mqtt: await refusal(() => connect('mqtt://127.0.0.1:1883')),
    // new MqttClient() refuses them at once, as it refuses any bad option
    newMqtt: await refusal(() => new MqttClient({ protocol: 'mqtt', host: '127.0.0.1', port: 1883 })),
    newMqtts: await refusal(() => new MqttClient({ protocol: 'mqtts', host: '127.0.0.1', port: 8883 })),
    ca: await refusal(() => connect(url.replace('ws:', 'wss:'), { ca: 'PEM' })),
    rejectUnauthorized: await refusal(() => connect(url.replace('ws:', 'wss:'), { rejectUnauthorized: false })),
    headers: await refusal(() => connect(url, { wsOptions: { headers: { Authorization: 'x' } } })),
    // the browser says nothing about a WebSocket that fails: the message says so
    closedPort: await refusal(() => connect(`ws://127.0.0.1:${closedPort}/mqtt`, { reconnectPeriod: 0 })),
  };

  result.step = 'connect';
  const client = await within(10000, connect(url, { clientId: 'tinymqtt-web-page', reconnectPeriod: 200, reconnectJitter: false }));
  result.engine = client.engine;
  result.isClient = client instanceof MqttClient;
  const inbox = [];
  let wake;
  client.on('message', (topic, payload, packet) => { inbox.push({ topic, payload, qos: packet.qos }); wake?.(); });
  const message = () => within(20000, new Promise((resolve) => {
    if (inbox.length) resolve(inbox.shift());
    else wake = () => { wake = undefined; resolve(inbox.shift()); };
  }));

  result.step = 'subscribe';
  result.granted = await within(5000, client.subscribe('web/#', { qos: 2 }));
  result.roundTrips = [];
  for (const qos of [0, 1, 2]) {
    result.step = `round trip at QoS ${qos}`;
    const arriving = message();
    await within(5000, client.publish(`web/q${qos}`, `hello at QoS ${qos}`, { qos }));
    const m = await arriving;
    result.roundTrips.push({ topic: m.topic, text: new TextDecoder().decode(m.payload), qos: m.qos, uint8: m.payload instanceof Uint8Array });
  }

  result.step = 'a 1 MiB message';
  const big = new Uint8Array(1 << 20);
  for (let i = 0; i < big.length; i++) big[i] = (i * 31 + (i >>> 10)) & 0xff;
  const arriving = message();
  await within(20000, client.publish('web/big', big, { qos: 1 }));
  const m = await arriving;
  let same = m.payload.length === big.length;
  for (let i = 0; same && i < big.length; i++) same = m.payload[i] === big[i];
  result.big = { topic: m.topic, length: m.payload.length, same };
  // the 1 MiB write filled the WebSocket past its mark: the next write needs its drain
  result.step = 'a round trip after the 1 MiB message';
  const after = message();
  await within(5000, client.publish('web/after', 'after the big one', { qos: 1 }));
  const am = await after;
  result.afterBig = `${am.topic}: ${new TextDecoder().decode(am.payload)}`;

  result.step = 'reconnect after the server dropped the connection';
  const offline = next(client, 'offline'), reconnected = next(client, 'connect');
  await post('drop', {});
  await within(10000, offline);
  const [connack] = await within(10000, reconnected);
  result.reconnect = { server: connack.server, connected: client.connected };
  result.step = 'a round trip after the reconnect';
  const again = message();
  await within(5000, client.publish('web/again', 'after the reconnect', { qos: 1 }));
  const a = await again;
  result.reconnect.roundTrip = `${a.topic}: ${new TextDecoder().decode(a.payload)}`;

  result.step = 'end';
  await within(5000, client.end());
  result.state = client.state;

  result.step = 'a round trip over wss';
  const tls = await within(10000, connect(`wss://127.0.0.1:${securePort}/mqtt`, { reconnectPeriod: 0 }));
  await within(5000, tls.subscribe('web/tls', { qos: 1 }));
  const arrivingTls = next(tls, 'message');
  await within(5000, tls.publish('web/tls', 'over wss', { qos: 1 }));
  const [topic, payload] = await within(5000, arrivingTls);
  result.wss = { server: tls.server, roundTrip: `${topic}: ${new TextDecoder().decode(payload)}` };
  await within(5000, tls.end());
  result.step = 'done';
} catch (e) {
  result.error = e instanceof MqttError ? `${e.code}: ${e.message}` : String(e?.stack ?? e);
}
await post('done', result);
