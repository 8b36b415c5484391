// Argument checks shared by the client and the property encoder: each
// failure is an MqttError whose message names the argument.
import { types } from 'node:util';
import { MqttError, argError, engineError } from './errors.js';
import { native } from './native.js';

export type QoS = 0 | 1 | 2;

/** An integer from min to max, or an MqttError naming the argument. */
export function checkInt(name: string, value: unknown, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max)
    throw argError(name, `must be an integer from ${min} to ${max}, not ${describe(value)}`);
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
  if (!types.isUint8Array(value)) throw argError(name, `must be a string, Buffer or Uint8Array, not ${describe(value)}`);
  return Buffer.isBuffer(value) ? value : Buffer.from(value.buffer, value.byteOffset, value.byteLength);
}

/** A short description of any value for an error message, which never runs
 *  the value's own code (toString, getters, a proxy's traps): a string
 *  quoted and cut at 40 characters, a number, bigint, boolean or symbol as
 *  written, and for objects their kind only. */
export function describe(value: unknown): string {
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}...` : value);
    case 'bigint':
      return `${value}n`;
    case 'function':
      return 'a function';
    case 'object':
      if (value === null) return 'null';
      if (types.isProxy(value)) return 'a proxy';
      if (Array.isArray(value)) return 'an array';
      return types.isUint8Array(value) ? 'bytes' : 'an object';
    default:   // number, boolean, undefined, symbol
      return String(value);
  }
}

/** The options `keys` of the options argument `name`, each read once (so a
 *  getter runs once), those not undefined (a client's options object has
 *  a few of its forty names: the others would only be garbage per client):
 *  none for undefined; an MqttError naming the argument
 *  for anything but an object (a function: see callbackError), an option
 *  whose getter throws, or an option of its own not among `known` (by
 *  default `keys`) whose value is not undefined: JavaScript callers have no
 *  type checker to catch a misspelt or missing option. */
export function readOptions<K extends string>(name: string, value: unknown, keys: readonly K[], known: readonly string[] = keys): Partial<Record<K, unknown>> {
  if (value === undefined) return NO_OPTIONS;
  if (typeof value === 'function') throw callbackError(name);
  // an array or bytes are no options (and listing their keys could take long)
  if (value === null || typeof value !== 'object' || isList(value) || ArrayBuffer.isView(value))
    throw argError(name, `must be an object, not ${describe(value)}`);
  refuseUnknown(name, value, known);
  const out: Partial<Record<K, unknown>> = {};
  // the argument's name is only built for an error: this runs on every publish
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i];
    let v: unknown;
    try {
      v = (value as Record<string, unknown>)[key];
    } catch {
      throw unreadable(`${name}.${key}`);
    }
    if (v !== undefined) out[key] = v;
  }
  return out;
}

/** An MqttError naming the first own option of `value` that is not among
 *  `known` and is not undefined. */
function refuseUnknown(name: string, value: object, known: readonly string[]): void {
  for (const key of readKeys(name, value)) {
    if (known.includes(key)) continue;
    if (readProperty(`${name}.${key}`, value, key) === undefined) continue;
    throw argError(`${name}.${key}`, `is not an option here (the options are ${known.join(', ')})`);
  }
}

/** The own enumerable keys of `value`, or an MqttError naming `name` when
 *  listing them throws (a proxy's trap). */
function readKeys(name: string, value: object): string[] {
  try {
    return Object.keys(value);
  } catch {
    throw unreadable(name);
  }
}

/** The error for a function given where the core API takes none: its
 *  methods return promises, and MQTT.js's callback style is tinymqtt/mqtt's. */
export function callbackError(name: string): MqttError {
  return argError(name, "is a function, but the core API takes no callbacks: its methods return promises (for MQTT.js's callbacks, import from 'tinymqtt/mqtt')");
}

/** Refuses an argument past those a core method takes (`args` is the
 *  method's arguments, `count` how many it takes): a function with
 *  callbackError, anything else but undefined as an argument it does not
 *  take. */
export function checkArgumentCount(method: string, args: ArrayLike<unknown>, count: number): void {
  for (let i = count; i < args.length; i++) {
    const extra = args[i];
    if (typeof extra === 'function') throw callbackError(`${method}'s argument ${i + 1}`);
    if (extra !== undefined) throw argError(`${method}'s argument ${i + 1}`, `is not taken (${method} takes ${count}), not ${describe(extra)}`);
  }
}

/** What readPublishOptions read. */
export interface PublishOptionValues { qos: unknown; retain: unknown; properties: unknown; signal: unknown }

/** publish()'s options, each read once, into `out` (the caller's one
 *  reused object: this runs on every publish, so it neither allocates nor
 *  loops over names, which would make every read a slow generic one). The
 *  getters run first and `out` is written last, so a getter that publishes
 *  cannot mix its options into these; copy them out before running other
 *  code of the caller's. */
export function readPublishOptions(value: unknown, out: PublishOptionValues): void {
  if (typeof value === 'function') throw callbackError('options');
  if (value === null || (value !== undefined && typeof value !== 'object'))
    throw argError('options', `must be an object, not ${describe(value)}`);
  const o = (value ?? NO_OPTIONS) as Record<string, unknown>;
  let key = 'qos';
  try {
    const qos = o.qos;
    key = 'retain';
    const retain = o.retain;
    key = 'properties';
    const properties = o.properties;
    key = 'signal';
    const signal = o.signal;
    out.qos = qos;
    out.retain = retain;
    out.properties = properties;
    out.signal = signal;
  } catch {
    throw unreadable(`options.${key}`);
  }
}

/** What readOptions returns for options not given. */
const NO_OPTIONS: Partial<Record<string, unknown>> = Object.freeze({});

/** The error for an argument whose reading threw. */
const unreadable = (name: string) => argError(name, 'could not be read (reading it threw)');

/** `value[key]`, or an MqttError naming `name` when reading it throws (a
 *  getter, a proxy's trap). */
export function readProperty(name: string, value: object, key: PropertyKey): unknown {
  try {
    return (value as Record<PropertyKey, unknown>)[key];
  } catch {
    throw unreadable(name);
  }
}

const abortedOf = Object.getOwnPropertyDescriptor(AbortSignal.prototype, 'aborted')!.get!;
const reasonOf = Object.getOwnPropertyDescriptor(AbortSignal.prototype, 'reason')!.get!;
const addListener = EventTarget.prototype.addEventListener;
const removeListener = EventTarget.prototype.removeEventListener;

/** An AbortSignal, or undefined; an MqttError naming the argument for
 *  anything else (a look-alike, a proxy). Use it through isAborted,
 *  abortReason, onAbort and offAbort, which read the signal itself, not
 *  what its own properties may have been replaced with. */
export function checkSignal(name: string, value: unknown): AbortSignal | undefined {
  if (value === undefined) return undefined;
  if (value === null || typeof value !== 'object' || types.isProxy(value))
    throw argError(name, `must be an AbortSignal, not ${describe(value)}`);
  try {
    abortedOf.call(value);
  } catch {
    throw argError(name, `must be an AbortSignal, not ${describe(value)}`);
  }
  return value as AbortSignal;
}

/** Whether a checked signal has aborted. */
export const isAborted = (signal: AbortSignal): boolean => abortedOf.call(signal) as boolean;
/** A checked signal's abort reason. */
export const abortReason = (signal: AbortSignal): unknown => reasonOf.call(signal);
/** Calls `fn` once when a checked signal aborts. */
export const onAbort = (signal: AbortSignal, fn: () => void): void => addListener.call(signal, 'abort', fn, { once: true });
/** Removes what onAbort added. */
export const offAbort = (signal: AbortSignal, fn: () => void): void => removeListener.call(signal, 'abort', fn);

/** A copy of the array `list`, each element read once (readProperty). */
export function readList(name: string, list: readonly unknown[]): unknown[] {
  return Array.from({ length: list.length }, (_, i) => readProperty(`${name}[${i}]`, list, i));
}

/** The own enumerable entries of the object `value`, each read once, or an
 *  MqttError naming `name` when reading them throws. */
export function readEntries(name: string, value: object): [string, unknown][] {
  return readKeys(name, value).map((k) => [k, readProperty(`${name}.${k}`, value, k)]);
}

/** Whether `value` is a plain object ({...} or Object.create(null)), the
 *  shape of an options object or a keyword-argument table; never a proxy. */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object' || types.isProxy(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** The options object `value` as a plain copy, each field read once; an
 *  MqttError naming the argument for anything but a plain object or a field
 *  not in `known`. */
export function readKnownOptions(name: string, value: unknown, known: readonly string[]): Record<string, unknown> {
  if (!isPlainObject(value)) throw argError(name, `must be an object, not ${describe(value)}`);
  const entries = readEntries(name, value);
  const unknown = entries.map(([k]) => k).filter((k) => !known.includes(k));
  if (unknown.length > 0) throw argError(name, `has unknown fields ${unknown.join(', ')} (known: ${known.join(', ')})`);
  return Object.fromEntries(entries);
}

/** Whether `value` is an array (a proxy is not taken for one: reading it
 *  could run the proxy's traps). */
export function isList(value: unknown): value is unknown[] {
  return !types.isProxy(value) && Array.isArray(value);
}
