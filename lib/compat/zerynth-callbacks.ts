// Zerynth's callback system: the commands (packet types) callbacks are set
// for, `on(command, function, condition, priority)` and the rule that picks
// which callback a packet goes to.
import { MqttError } from '../index.js';
import { describe } from '../validate.js';
import type { MQTTMessage } from './zerynth-message.js';

/** CONNECT (0x10): sent by clients only; on() accepts it, no callback runs. */
export const CONNECT = 0x10;
/** CONNACK (0x20): connect() reports it; no callback runs. */
export const CONNACK = 0x20;
/** PUBLISH (0x30): a message arrived; data.message for QoS 0 and 1. */
export const PUBLISH = 0x30;
/** PUBACK (0x40): a QoS 1 publish was acknowledged; data.mid is its mid. */
export const PUBACK = 0x40;
/** PUBREC (0x50): a QoS 2 publish was received by the broker; data.mid. Runs
 *  just before PUBCOMP here (the core client reports the end of the QoS 2
 *  exchange only). */
export const PUBREC = 0x50;
/** PUBREL (0x60): a QoS 2 message is released; data.message. */
export const PUBREL = 0x60;
/** PUBCOMP (0x70): a QoS 2 publish is complete; data.mid. */
export const PUBCOMP = 0x70;
/** SUBSCRIBE (0x80): sent by clients only; no callback runs. */
export const SUBSCRIBE = 0x80;
/** SUBACK (0x90): a subscribe() was answered; data.mid, data.granted_qos. */
export const SUBACK = 0x90;
/** UNSUBSCRIBE (0xa0): sent by clients only; no callback runs. */
export const UNSUBSCRIBE = 0xa0;
/** UNSUBACK (0xb0): an unsubscribe() was answered; data.mid. */
export const UNSUBACK = 0xb0;
/** PINGREQ (0xc0): brokers do not send it; no callback runs. */
export const PINGREQ = 0xc0;
/** PINGRESP (0xd0): the broker answered a keepalive ping. */
export const PINGRESP = 0xd0;
/** DISCONNECT (0xe0): no callback runs. */
export const DISCONNECT = 0xe0;

/** The *data* dictionary a callback and a condition receive. */
export interface ZerynthData {
  /** "present only on PUBLISH packets for messages with qos equal to 0 or 1,
   *  or on PUBREL packets for messages with qos equal to 2" */
  message?: MQTTMessage;
  /** SUBACK and UNSUBACK: the id subscribe()/unsubscribe() used; ours on
   *  PUBACK, PUBREC and PUBCOMP: the mid publish() returned */
  mid?: number;
  /** SUBACK: what the broker granted the first topic (0x80: refused) */
  granted_qos?: number;
  /** 0 (MQTT_ERR_SUCCESS) */
  return_code: number;
}

/** `condition(data)`: whether the callback applies to this packet. */
export type ZerynthCondition = (data: ZerynthData) => boolean;

interface Specific<C> { command: number; fn: C; condition: ZerynthCondition; priority: number }

/** The callbacks set with on(), for callbacks of type C. */
export class CallbackTable<C> {
  #specific: Specific<C>[] = [];
  #generic = new Map<number, C>();

  /** Adds a callback with a condition, or sets the one generic ("low
   *  priority") callback of `command` when there is none. */
  add(command: number, fn: C, condition: ZerynthCondition | null | undefined, priority: number): void {
    if (!Number.isInteger(command)) throw new MqttError('ERR_INVALID_ARG', `command must be one of the packet type constants (mqtt.PUBLISH, ...), not ${describe(command)}`);
    if (typeof fn !== 'function') throw new MqttError('ERR_INVALID_ARG', `function must be a function, not ${typeof fn}`);
    if (typeof priority !== 'number' || Number.isNaN(priority)) throw new MqttError('ERR_INVALID_ARG', `priority must be a number, not ${describe(priority)}`);
    if (condition === null || condition === undefined) this.#generic.set(command, fn);
    else if (typeof condition !== 'function') throw new MqttError('ERR_INVALID_ARG', `condition must be a function, not ${typeof condition}`);
    else this.#specific.push({ command, fn, condition, priority });
  }

  /** The callback a `command` packet with `data` goes to: of the callbacks
   *  with a condition, the highest priority one whose condition holds (the
   *  first set among equals; conditions of callbacks that could not win are
   *  not asked); if none holds, the generic one. */
  select(command: number, data: ZerynthData): C | undefined {
    let chosen: C | undefined;
    let best = -Infinity;
    for (const s of this.#specific) {
      if (s.command !== command || s.priority <= best) continue;
      if (s.condition(data)) {
        chosen = s.fn;
        best = s.priority;
      }
    }
    return chosen ?? this.#generic.get(command);
  }
}
