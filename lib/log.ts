// The debug log: packets in and out, connection attempts, reconnects and
// their delays. On with options.log, or with DEBUG naming tinymqtt (as the
// `debug` package reads it); off, it costs nothing: the addon sends no
// packet events and the client builds no text.
import { argError } from './errors.js';
import { describe } from './validate.js';

/** Receives each line of the debug log (no trailing newline). */
export type LogFunction = (line: string) => void;

/** Whether DEBUG (a list of names separated by commas or spaces, `*`
 *  wildcards, `-name` excluding) turns on the `tinymqtt` log. */
export function debugEnabled(debug: string | undefined): boolean {
  if (debug === lastDebug[0]) return lastDebug[1];
  let on = false;
  for (const name of (debug ?? '').split(/[\s,]+/)) {
    if (!name) continue;
    const exclude = name.startsWith('-');
    const pattern = new RegExp(`^${(exclude ? name.slice(1) : name).replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`);
    if (pattern.test('tinymqtt')) on = !exclude;
  }
  lastDebug = [debug, on];
  return on;
}

/** The last DEBUG read and its answer: every client reads it. */
let lastDebug: [debug: string | undefined, on: boolean] = [undefined, false];

/** Writes a line to stderr, prefixed as the debug package does. */
const toStderr: LogFunction = (line) => { process.stderr.write(`tinymqtt ${line}\n`); };

/** options.log (named `name` in errors): a function, true (stderr), false
 *  (off, whatever DEBUG says), or undefined (DEBUG decides). Undefined when
 *  the log is off. */
export function logFor(name: string, option: unknown): LogFunction | undefined {
  if (option === undefined) return debugEnabled(process.env.DEBUG) ? toStderr : undefined;
  if (option === true) return toStderr;
  if (option === false) return undefined;
  if (typeof option === 'function') return option as LogFunction;
  throw argError(name, `must be a function, true or false, not ${describe(option)}`);
}
