// Zerynth's MQTTMessage: an incoming message as callbacks see it.
import type { MessagePacket, QoS } from '../index.js';

/** "This is a class that describes an incoming message. It is passed to
 *  callbacks as *message* field in the *data* dictionary." */
export class MQTTMessage {
  /** "topic that the message was published on" */
  topic = '';
  /** "the message payload", as text (UTF-8); `raw` has its bytes */
  payload = '';
  /** "The message Quality of Service 0, 1 or 2" */
  qos: QoS = 0;
  /** "If true, the message is a retained message and not fresh" */
  retain = false;
  /** "The message id": the PUBLISH's packet identifier (0 at QoS 0) */
  mid = 0;
  /** ours: the payload as sent, byte for byte (binary survives here) */
  raw: Buffer = Buffer.alloc(0);

  /** The message the core client received. */
  static of(topic: string, payload: Buffer, packet: MessagePacket): MQTTMessage {
    return Object.assign(new MQTTMessage(), {
      topic, payload: payload.toString(), qos: packet.qos, retain: packet.retain, mid: packet.messageId, raw: payload,
    });
  }
}
