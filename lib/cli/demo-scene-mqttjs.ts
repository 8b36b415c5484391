// The MQTT.js scene of `tinymqtt demo`: MQTT.js's API (tinymqtt/mqtt), a
// client returned at once, callbacks and events, as an MQTT.js script
// writes it.
import mqtt from '../compat/mqtt.js';
import { quote, within, type Stage } from './demo-scenes.js';

/** MQTT.js: connect() returns at once; 'connect', the subscribe and publish
 *  callbacks and 'message' follow. */
export async function mqttjsScene({ broker, say }: Stage): Promise<void> {
  say.section('mqttjs', 'MQTT.js', "import mqtt from 'tinymqtt/mqtt'");
  const topic = 'demo/mqttjs', payload = 'hello from MQTT.js';
  const client = say.call(`client = mqtt.connect('${broker.url}')`, () => mqtt.connect(broker.url, { clientId: 'demo-mqttjs' }),
    () => 'returned at once; it connects, and goes on trying until it is');
  try {
    await within<void>(say, "the 'connect' event", (resolve) => {
      client.once('connect', (connack) => { say.event(`'connect' event: returnCode ${connack.returnCode} (CONNACK)`); resolve(); });
    });
    const subscribed = within(say, 'the subscribe callback', (resolve: (e: Error | null) => void) => {
      say.call(`client.subscribe('${topic}', { qos: 1 }, callback)`, () => client.subscribe(topic, { qos: 1 }, (err, granted) => {
        say.event(`subscribe callback: err ${err}, granted QoS ${granted?.[0]?.qos} (SUBACK)`);
        resolve(err);
      }), () => 'returned at once');
    });
    const refused = await subscribed;
    if (refused) throw say.failure(`subscribe failed: ${refused.message}`);
    const message = within<void>(say, "the 'message' event", (resolve) => {
      client.on('message', (t, p, packet) => {
        say.received(`'message' event: ${t} ${quote(p.toString())} qos ${packet.qos}`, { topic: t, payload: p.toString() }, { topic, payload });
        resolve();
      });
    });
    const published = within(say, 'the publish callback', (resolve: (e?: Error) => void) => {
      say.call(`client.publish('${topic}', '${payload}', { qos: 1 }, callback)`, () => client.publish(topic, payload, { qos: 1 }, (err, packet) => {
        say.event(`publish callback: err ${err}, ${packet?.cmd} (PUBACK)`);
        resolve(err);
      }), () => 'returned at once', true);
    });
    const [failed] = await Promise.all([published, message]);
    if (failed) throw say.failure(`publish failed: ${failed.message}`);
    await say.callAsync('client.endAsync()', () => client.endAsync(), () => 'disconnected (DISCONNECT)');
  } finally {
    client.end(true);
  }
}
