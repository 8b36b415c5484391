// The packet objects tinymqtt/mqtt hands to MQTT.js's callbacks and events
// ('connect', 'message', 'disconnect', 'packetsend', 'packetreceive'):
// MQTT.js's shapes (a `cmd` and the fields of that packet), built from what
// the core client reports.
import type { ConnackPacket, MessagePacket, QoS } from '../client.js';
import type { PublishProperties, ServerProperties } from '../properties.js';

/** CONNACK, as the 'connect' event gives it. */
export interface IConnackPacket {
  cmd: 'connack';
  sessionPresent: boolean;
  /** the CONNACK's code (0: accepted), under both MQTT.js names */
  returnCode: number;
  reasonCode: number;
  properties?: ServerProperties;
}

/** A PUBLISH: received ('message', 'packetreceive') or handed to the
 *  client ('packetsend'). */
export interface IPublishPacket {
  cmd: 'publish';
  topic: string;
  payload: Buffer;
  qos: QoS;
  retain: boolean;
  dup: boolean;
  /** received: the packet identifier on the wire (0 at QoS 0); sent: the
   *  id this layer gave the publish (see MqttClient.getLastMessageId) */
  messageId?: number;
  properties?: PublishProperties;
}

/** The acknowledgement that completed a QoS 1 (PUBACK) or QoS 2 (PUBCOMP)
 *  publish, or an UNSUBACK; `messageId` is this layer's id. */
export interface IAckPacket {
  cmd: 'puback' | 'pubcomp' | 'unsuback';
  messageId: number;
}

/** A SUBACK: what the broker granted each filter. */
export interface ISubackPacket {
  cmd: 'suback';
  messageId: number;
  granted: number[];
}

/** A SUBSCRIBE or UNSUBSCRIBE handed to the client ('packetsend'). */
export interface ISubscribePacket {
  cmd: 'subscribe';
  messageId: number;
  subscriptions: { topic: string; qos: number }[];
}
export interface IUnsubscribePacket {
  cmd: 'unsubscribe';
  messageId: number;
  unsubscriptions: string[];
}

/** A 5.0 DISCONNECT from the server ('disconnect'), or the client's own
 *  ('packetsend', on end()). */
export interface IDisconnectPacket {
  cmd: 'disconnect';
  reasonCode?: number;
}

/** A PINGRESP ('packetreceive'). */
export interface IPingrespPacket { cmd: 'pingresp' }

/** Every packet the 'packetsend' and 'packetreceive' events carry. */
export type Packet = IConnackPacket | IPublishPacket | IAckPacket | ISubackPacket | ISubscribePacket | IUnsubscribePacket
  | IDisconnectPacket | IPingrespPacket;

/** The core client's 'connect' argument as MQTT.js's CONNACK packet. */
export function connackPacket(connack: ConnackPacket): IConnackPacket {
  const packet: IConnackPacket = {
    cmd: 'connack', sessionPresent: connack.sessionPresent, returnCode: connack.reasonCode, reasonCode: connack.reasonCode,
  };
  if (connack.properties) packet.properties = connack.properties;
  return packet;
}

/** The core client's message packet as MQTT.js's PUBLISH packet. */
export function publishPacket(message: MessagePacket): IPublishPacket {
  const packet: IPublishPacket = {
    cmd: 'publish', topic: message.topic, payload: message.payload, qos: message.qos, retain: message.retain,
    dup: message.dup, messageId: message.messageId,
  };
  if (message.properties) packet.properties = message.properties;
  return packet;
}
