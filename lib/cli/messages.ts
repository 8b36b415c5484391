// Where the messages of tinymqtt pub and rr come from: -m, -f, -s, -n, and
// (pub only) -l.
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { CliError, EXIT } from './options.js';
import { readAll } from './run.js';

/** The one-message sources, for parseArgs. */
export const MESSAGE_FLAGS = {
  message: { type: 'string', short: 'm' },
  file: { type: 'string', short: 'f' },
  'stdin-file': { type: 'boolean', short: 's' },
  'null-message': { type: 'boolean', short: 'n' },
} as const;

/** What --help says about them. */
export const MESSAGE_HELP = `  -m, --message TEXT      the message
  -f, --file FILE         the file's content as one message
  -s, --stdin-file        all of stdin as one message
  -n, --null-message      an empty message`;

/** The message flags' values as parseArgs gives them. */
export interface MessageFlags { message?: string; file?: string; 'stdin-line'?: boolean; 'stdin-file'?: boolean; 'null-message'?: boolean }

/** The messages the flags ask for, after checking exactly one source is
 *  given (`names` lists them for the message). A file is read now, before
 *  connecting, so that a bad path is a usage error. */
export function messageSource(flags: MessageFlags, names: string): AsyncIterable<string | Buffer> | Array<string | Buffer> {
  const given = (['message', 'file', 'stdin-line', 'stdin-file', 'null-message'] as const).filter((k) => flags[k] !== undefined);
  if (given.length !== 1) throw new CliError(`give exactly one message source (${names}), not ${given.length}`, EXIT.usage);
  // created when iterated: readline emits lines as soon as it exists
  if (flags['stdin-line']) return (async function* lines() { yield* createInterface({ input: process.stdin, crlfDelay: Infinity }); })();
  if (flags['stdin-file']) return (async function* stdin() { yield await readAll(process.stdin); })();
  if (flags.file === undefined) return [flags.message ?? ''];
  try {
    return [readFileSync(flags.file)];
  } catch (e) {
    throw new CliError(`-f: cannot read ${flags.file} (${(e as Error).message})`, EXIT.usage);
  }
}

/** The one message of a source that gives one (not -l). */
export async function firstMessage(source: AsyncIterable<string | Buffer> | Array<string | Buffer>): Promise<string | Buffer> {
  for await (const message of source) return message;
  return '';
}
