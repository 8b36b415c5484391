// Argument checks shared by the client and the property encoder: each
// failure is an MqttError whose message names the argument.
import { MqttError, argError, engineError } from './errors.js';
import { native } from './native.js';

export type QoS = 0 | 1 | 2;

/** MQTT's largest packet: a 268,435,455-byte remaining length and its header. */
export const MAX_PACKET = 268435460;

/** An integer from min to max, or an MqttError naming the argument. */
export function checkInt(name: string, value: unknown, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max)
    throw argError(name, `must be an integer from ${min} to ${max}, not ${String(value)}`);
  return value;
}

/** A boolean, or an MqttError naming the argument. */
export function checkBool(name: string, value: unknown): boolean {
  if (typeof value !== 'boolean') throw argError(name, `must be a boolean, not ${typeof value}`);
  return value;
}

/** A QoS (0, 1 or 2), or an MqttError naming the argument. */
export function checkQos(name: string, value: unknown): QoS {
  return checkInt(name, value, 0, 2) as QoS;
}

/** A lone UTF-16 surrogate: it has no UTF-8 form (converting it would
 *  silently turn it into U+FFFD before the engine could refuse it). */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** A string bound for an MQTT UTF-8 field. */
export function checkString(name: string, value: unknown): string {
  if (typeof value !== 'string') throw argError(name, `must be a string, not ${typeof value}`);
  if (LONE_SURROGATE.test(value))
    throw new MqttError('ERR_UTF8', `${name} has a lone surrogate, which UTF-8 cannot encode`);
  return value;
}

/** A topic name or filter checked with the engine's own rules; the error
 *  keeps the engine's code and names the argument. */
export function checkTopicLike(name: string, value: unknown, rule: (s: string) => number, what: string): string {
  const s = checkString(name, value);
  const err = rule(s);
  if (err !== 0) {
    throw engineError(err, `${name} is not a valid ${what} (${JSON.stringify(s.length > 80 ? `${s.slice(0, 80)}...` : s)})`);
  }
  return s;
}

export const checkTopic = (name: string, value: unknown) => checkTopicLike(name, value, (s) => native.checkTopic(s), 'topic name');
export const checkFilter = (name: string, value: unknown) => checkTopicLike(name, value, (s) => native.checkFilter(s), 'topic filter');

/** A payload-like value as a Buffer (a view, not a copy, of a Uint8Array). */
export function toBuffer(name: string, value: unknown): Buffer {
  if (typeof value === 'string') return Buffer.from(value);
  if (Buffer.isBuffer(value)) return value;
  if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength);
  throw argError(name, `must be a string, Buffer or Uint8Array, not ${value === null ? 'null' : typeof value}`);
}
