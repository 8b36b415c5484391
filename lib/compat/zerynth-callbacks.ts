// Zerynth's callback system: `on(command, function, condition, priority)`
// and the rule that picks which callback a packet goes to.
import { MqttError } from '../index.js';
import type { MQTTMessage } from './zerynth-message.js';

// "command is a constant referring to which MQTT command call the callback
// on": the packet types, as the fixed header's high nibble.
export const CONNECT = 0x10;
export const CONNACK = 0x20;
export const PUBLISH = 0x30;
export const PUBACK = 0x40;
export const PUBREC = 0x50;
export const PUBREL = 0x60;
export const PUBCOMP = 0x70;
export const SUBSCRIBE = 0x80;
export const SUBACK = 0x90;
export const UNSUBSCRIBE = 0xa0;
export const UNSUBACK = 0xb0;
export const PINGREQ = 0xc0;
export const PINGRESP = 0xd0;
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
    if (!Number.isInteger(command)) throw new MqttError('ERR_INVALID_ARG', `command must be one of the packet type constants (mqtt.PUBLISH, ...), not ${String(command)}`);
    if (typeof fn !== 'function') throw new MqttError('ERR_INVALID_ARG', `function must be a function, not ${typeof fn}`);
    if (typeof priority !== 'number' || Number.isNaN(priority)) throw new MqttError('ERR_INVALID_ARG', `priority must be a number, not ${String(priority)}`);
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
