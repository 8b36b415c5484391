// Python's calling conventions for the umqtt and PikaPython layers:
// positional parameters in the documented order, or the trailing ones as one
// object of keyword arguments; Python's None, bool and bytes where JavaScript
// has null, booleans and Buffers.
import { types } from 'node:util';
import { MqttError } from '../index.js';
import { describe, isPlainObject, readEntries } from '../validate.js';

/** Every prefix of the tuple P, from P itself down to []. */
type Prefixes<P extends unknown[]> = P extends [...infer Head, unknown] ? P | Prefixes<Head> : [];
type WithKeywords<T, K> = T extends unknown[] ? [...T, K] : never;

/** The arguments of a Python-style call after its required parameters: the
 *  optional parameters P given positionally in order, as many as wanted,
 *  optionally followed by one object K naming the rest (Python's keyword
 *  arguments): `(1883, 'user')`, `({ port: 1883, user: 'user' })`,
 *  `(1883, { user: 'user' })`. */
export type PyArgs<P extends unknown[], K> = Prefixes<P> | WithKeywords<Prefixes<P>, K>;

/** The parameters a call takes after its required ones. */
export interface CallShape {
  /** optional parameters in their documented order */
  positional: readonly string[];
  /** parameters that can only be given by name (tinymqtt's additions) */
  keywordOnly?: readonly string[];
  /** positional parameters whose value is itself a plain object (umqtt's
   *  ssl_params): an object in that position is their value, unless every
   *  key of it names a parameter from that position on */
  objectParams?: readonly string[];
  /** other spellings of a parameter's name (PikaPython's `clinetID`) */
  aliases?: Readonly<Record<string, string>>;
}

function invalid(fn: string, problem: string): MqttError {
  return new MqttError('ERR_INVALID_ARG', `${fn}() ${problem}`);
}

/** The parameters of a call to `fn` by name, from `args` as PyArgs describes
 *  (undefined arguments count as not given). Throws an MqttError
 *  (ERR_INVALID_ARG) for what Python would refuse with a TypeError: too many
 *  positional arguments, an unknown keyword, a parameter given twice. */
export function pyArgs(fn: string, shape: CallShape, args: readonly unknown[]): Record<string, unknown> {
  const { positional, keywordOnly = [], objectParams = [], aliases = {} } = shape;
  const nameOf = (key: string) => aliases[key] ?? key;
  let given = args.length;
  let keywords: [string, unknown][] = [];
  const last = args[given - 1];
  if (isPlainObject(last)) {
    const slot = positional[given - 1];
    const later = new Set([...positional.slice(given - 1), ...keywordOnly]);
    const entries = readEntries(`${fn}() keyword arguments`, last);
    const ownValue = slot !== undefined && objectParams.includes(slot) && !entries.every(([k]) => later.has(nameOf(k)));
    if (!ownValue) {
      keywords = entries;
      given--;
    }
  }
  if (given > positional.length)
    throw invalid(fn, `takes at most ${positional.length} optional positional arguments (${positional.join(', ')}), got ${given}`);
  const out: Record<string, unknown> = {};
  for (let i = 0; i < given; i++) if (args[i] !== undefined) out[positional[i]] = args[i];
  for (const [key, value] of keywords) {
    const name = nameOf(key);
    const at = positional.indexOf(name);
    if (at < 0 && !keywordOnly.includes(name)) throw invalid(fn, `got an unexpected keyword argument '${key}'`);
    if (at >= 0 && at < given) throw invalid(fn, `got multiple values for argument '${name}'`);
    if (value !== undefined) out[name] = value;
  }
  return out;
}

/** A Python bool: true or false, or the ints 1 and 0 Python code passes for
 *  them. */
export function pyBool(name: string, value: unknown): boolean {
  if (typeof value === 'boolean') return value;
  if (value === 0 || value === 1) return value === 1;
  throw new MqttError('ERR_INVALID_ARG', `${name} must be a boolean (or 0/1), not ${describe(value)}`);
}

const UTF8 = new TextDecoder('utf-8', { fatal: true });

/** A Python str or bytes (a string, or a Buffer/Uint8Array of UTF-8) as a
 *  string: MicroPython code passes topics as b"..." as often as "...". Bytes
 *  that are not UTF-8 are refused (ERR_UTF8), not replaced. */
export function pyText(name: string, value: unknown): string {
  if (typeof value === 'string') return value;
  if (types.isUint8Array(value)) {
    try {
      return UTF8.decode(value);
    } catch {
      throw new MqttError('ERR_UTF8', `${name} is not valid UTF-8`);
    }
  }
  throw new MqttError('ERR_INVALID_ARG', `${name} must be a string or bytes (Buffer), not ${describe(value)}`);
}
