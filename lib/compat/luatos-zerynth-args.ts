// Arguments as the LuatOS and Zerynth layers take them: the calling
// convention of issue "APIs" (the trailing optional parameters of a call
// come positionally, in the documented order, or as one options object with
// the documented names), and retain flags.
import { MqttError } from '../index.js';
import { checkBool, isPlainObject, readKnownOptions } from '../validate.js';

/** A retain flag as a boolean: LuatOS documents 0 and 1, Zerynth a Python
 *  bool (which 0 and 1 also are); both layers take either. */
export function retainFlag(name: string, value: unknown): boolean {
  return value === 0 || value === 1 ? value === 1 : checkBool(name, value);
}

/** The trailing optional parameters `rest` of `fn` by their documented
 *  `names`: `[1, true]` and `[{ qos: 1, retain: true }]` both give
 *  `{ qos: 1, retain: true }`. Throws ERR_INVALID_ARG for more values than
 *  names, or an options object with a name the document does not have. */
export function trailing(fn: string, rest: unknown[], names: readonly string[]): Record<string, unknown> {
  if (rest.length === 1 && isPlainObject(rest[0]) && names.length > 0) return readKnownOptions(`${fn}: options`, rest[0], names);
  if (rest.length > names.length)
    throw new MqttError('ERR_INVALID_ARG', `${fn}: takes at most ${names.length} optional arguments (${names.join(', ')}), got ${rest.length}`);
  return Object.fromEntries(names.map((name, i) => [name, rest[i]]));
}
