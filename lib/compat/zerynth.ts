/**
 * Zerynth's `mqtt` library: `import * as mqtt from 'tinymqtt/zerynth'`
 * (or `import { Client, PUBLISH } from ...`), then `new mqtt.Client("myId",
 * true)`. See docs/compat/zerynth.md.
 *
 * @module tinymqtt/zerynth
 */
export { Client } from './zerynth-client.js';
export type {
  ZerynthCallback, ZerynthConnectionCallback, ZerynthConnectOptions, ZerynthPayload, ZerynthSslContext,
} from './zerynth-client.js';
export { MQTTMessage } from './zerynth-message.js';
export {
  CONNECT, CONNACK, PUBLISH, PUBACK, PUBREC, PUBREL, PUBCOMP, SUBSCRIBE, SUBACK, UNSUBSCRIBE, UNSUBACK, PINGREQ,
  PINGRESP, DISCONNECT,
} from './zerynth-callbacks.js';
export type { ZerynthCondition, ZerynthData } from './zerynth-callbacks.js';
