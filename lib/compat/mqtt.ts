/**
 * MQTT.js's API on tinymqtt's engine (`tinymqtt/mqtt`): `connect(url?,
 * options)` returns a client at once, which goes on trying until connected;
 * `connectAsync`; the client's publish/subscribe/unsubscribe/end with
 * MQTT.js's callbacks and their *Async forms, its events and flags. A thin
 * layer over the core client (`tinymqtt`); docs/compat/mqttjs.md lists every
 * function and where it differs from MQTT.js.
 *
 * ```ts
 * import mqtt from 'tinymqtt/mqtt';   // was: import mqtt from 'mqtt'
 * const client = mqtt.connect('mqtt://localhost:1883');
 * client.on('connect', () => client.subscribe('presence', (err) => { if (!err) client.publish('presence', 'hello'); }));
 * client.on('message', (topic, message) => { console.log(message.toString()); client.end(); });
 * ```
 *
 * @module tinymqtt/mqtt
 */
import { MqttError } from '../errors.js';
import { MqttClient } from './mqtt-client.js';
import { resolveOptions, type IClientOptions } from './mqtt-options.js';

/** A client for `url` ('mqtt://host:1883', 'mqtts://user:pass@host',
 *  'tcp://', 'ssl://', 'tls://') and options (which win over the URL's), or
 *  for options alone. It connects at once (unless options.manualConnect)
 *  and goes on trying until connected: each failed attempt is an 'error'
 *  and a 'close' event, the first of an outage also 'offline'. Bad options
 *  throw an MqttError naming them. */
export function connect(url?: string | IClientOptions, options?: IClientOptions): MqttClient {
  const { given } = resolveOptions(url, options);
  return new MqttClient(given);
}

/** connect() as a promise: resolves with the client on its 'connect' (or
 *  'end') event; rejects with the first 'error' event, ending the client,
 *  as MQTT.js does. With allowRetries false a 'close' also rejects. */
export function connectAsync(url?: string | IClientOptions, options?: IClientOptions, allowRetries = true): Promise<MqttClient> {
  let client: MqttClient;
  try {
    client = connect(url, options);
  } catch (e) {
    return Promise.reject(e);
  }
  return new Promise((resolve, reject) => {
    const settle = (fail?: Error) => {
      client.off('connect', onConnect).off('end', onConnect).off('error', onError).off('close', onClose);
      if (!fail) return resolve(client);
      client.end();
      reject(fail);
    };
    const onConnect = () => settle();
    const onError = (e: Error) => settle(e);
    const onClose = () => settle(new MqttError('ERR_CLOSED', 'connectAsync: the connection closed before it was made (allowRetries is false)'));
    client.on('connect', onConnect).on('end', onConnect).on('error', onError);
    if (!allowRetries) client.on('close', onClose);
  });
}

export { MqttClient };
export type {
  IClientPublishOptions, IClientSubscribeOptions, IClientUnsubscribeOptions, ISubscriptionGrant, SubscribeTopics,
  PacketCallback, ClientSubscribeCallback, DoneCallback, MqttClientEventCallbacks,
} from './mqtt-client.js';
export type { IClientOptions, IServer } from './mqtt-options.js';
export type {
  Packet, IConnackPacket, IPublishPacket, IAckPacket, ISubackPacket, ISubscribePacket, IUnsubscribePacket,
  IDisconnectPacket, IPingrespPacket,
} from './mqtt-packets.js';
export { MqttError };

/** MQTT.js's default export: `import mqtt from 'tinymqtt/mqtt'`. */
const mqtt = { connect, connectAsync, MqttClient };
export default mqtt;
