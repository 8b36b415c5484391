// tinymqtt pub: publishes one message, a file, stdin, or stdin line by line,
// with mosquitto_pub's flags.
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { CONNECTION_FLAGS, CONNECTION_HELP, CliError, EXIT, clientOptions } from './options.js';
import { checkTopic } from '../validate.js';
import { connectClient, failure, readAll } from './run.js';

export const PUB_HELP = `Usage: tinymqtt pub -t TOPIC (-m MESSAGE | -f FILE | -l | -s | -n) [options]

Publishes to an MQTT broker, like mosquitto_pub.

Message:
  -t, --topic TOPIC       topic to publish to
  -m, --message TEXT      the message
  -f, --file FILE         the file's content as one message
  -l, --stdin-line        each line of stdin as a message, as it is read
  -s, --stdin-file        all of stdin as one message
  -n, --null-message      an empty message
  -r, --retain            retain the message

${CONNECTION_HELP}
With --json it prints {"published": N, "topic": TOPIC} when done.`;

const FLAGS = {
  ...CONNECTION_FLAGS,
  topic: { type: 'string', short: 't' },
  message: { type: 'string', short: 'm' },
  file: { type: 'string', short: 'f' },
  'stdin-line': { type: 'boolean', short: 'l' },
  'stdin-file': { type: 'boolean', short: 's' },
  'null-message': { type: 'boolean', short: 'n' },
  retain: { type: 'boolean', short: 'r' },
} as const;

/** The messages the flags ask for; a file is read now, before connecting,
 *  so that a bad path is a usage error. */
function messageSource(flags: { message?: string; file?: string; 'stdin-line'?: boolean; 'stdin-file'?: boolean }):
  AsyncIterable<string | Buffer> | Array<string | Buffer> {
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

/** Runs `tinymqtt pub` with its arguments (--help is main's); resolves to the exit code. */
export async function pub(args: string[]): Promise<number> {
  const { values: flags } = parseArgs({ args, options: FLAGS, strict: true });
  const { options, qos, urlTopic } = clientOptions(flags);
  const topic = flags.topic ?? urlTopic;
  if (topic === undefined) throw new CliError('pub: give a topic with -t (or in the -L URL)', EXIT.usage);
  checkTopic('-t', topic);
  const sources = ['message', 'file', 'stdin-line', 'stdin-file', 'null-message'].filter((k) => flags[k as keyof typeof flags] !== undefined);
  if (sources.length !== 1)
    throw new CliError(`pub: give exactly one message source (-m, -f, -l, -s or -n), not ${sources.length}`, EXIT.usage);

  const messages = messageSource(flags);
  const client = await connectClient(options);
  let published = 0;
  try {
    for await (const payload of messages) {
      try {
        await client.publish(topic, payload, { qos, retain: flags.retain ?? false });
      } catch (e) {
        throw failure(e, EXIT.operation, `publish to ${topic} failed`);
      }
      published++;
    }
    await client.end();
  } finally {
    await client.end({ force: true });
  }
  if (flags.json) console.log(JSON.stringify({ published, topic }));
  return EXIT.ok;
}
