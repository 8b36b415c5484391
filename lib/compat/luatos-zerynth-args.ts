// Arguments as the LuatOS and Zerynth layers take them: the calling
// convention of issue "APIs" (the trailing optional parameters of a call
// come positionally, in the documented order, or as one options object with
// the documented names), and retain flags.
import { MqttError } from '../index.js';
import { checkBool } from '../validate.js';

/** A retain flag as a boolean: LuatOS documents 0 and 1, Zerynth a Python
 *  bool (which 0 and 1 also are); both layers take either. */
export function retainFlag(name: string, value: unknown): boolean {
  return value === 0 || value === 1 ? value === 1 : checkBool(name, value);
}

/** Whether `value` is a plain object ({...}), the shape of an options object. */
function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object') return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** The trailing optional parameters `rest` of `fn` by their documented
 *  `names`: `[1, true]` and `[{ qos: 1, retain: true }]` both give
 *  `{ qos: 1, retain: true }`. Throws ERR_INVALID_ARG for more values than
 *  names, or an options object with a name the document does not have. */
export function trailing(fn: string, rest: unknown[], names: readonly string[]): Record<string, unknown> {
  if (rest.length === 1 && isPlainObject(rest[0]) && names.length > 0) {
    const given = rest[0];
    const unknown = Object.keys(given).filter((k) => !names.includes(k));
    if (unknown.length > 0)
      throw new MqttError('ERR_INVALID_ARG', `${fn}: unknown option ${unknown.join(', ')} (the options are ${names.join(', ')})`);
    return given;
  }
  if (rest.length > names.length)
    throw new MqttError('ERR_INVALID_ARG', `${fn}: takes at most ${names.length} optional arguments (${names.join(', ')}), got ${rest.length}`);
  return Object.fromEntries(names.map((name, i) => [name, rest[i]]));
}
