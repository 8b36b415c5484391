// tinymqtt pub: publishes one message, a file, stdin, or stdin line by line,
// with mosquitto_pub's flags.
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { checkTopic } from '../validate.js';
import { traceFor } from './debug.js';
import { MESSAGE_FLAGS, MESSAGE_HELP, messageSource } from './messages.js';
import { CONNECTION_FLAGS, CONNECTION_HELP, CliError, EXIT, MAX_SECONDS, clientOptions, intFlag } from './options.js';
import { takeProperties } from './property-flags.js';
import { connectClient, disconnect, failure } from './run.js';

export const PUB_HELP = `Usage: tinymqtt pub -t TOPIC (-m MESSAGE | -f FILE | -l | -s | -n) [options]

Publishes to an MQTT broker, like mosquitto_pub.

Message:
  -t, --topic TOPIC       topic to publish to
${MESSAGE_HELP}
  -l, --stdin-line        each line of stdin as a message, as it is read
  -r, --retain            retain the message
      --repeat N          publish the message (-m, -f, -s or -n) N times
      --repeat-delay SEC  wait SEC seconds (a fraction allowed) between them

${CONNECTION_HELP}
With --json it prints {"published": N, "topic": TOPIC} when done.`;

const FLAGS = {
  ...CONNECTION_FLAGS,
  topic: { type: 'string', short: 't' },
  ...MESSAGE_FLAGS,
  'stdin-line': { type: 'boolean', short: 'l' },
  retain: { type: 'boolean', short: 'r' },
  repeat: { type: 'string' },
  'repeat-delay': { type: 'string' },
} as const;

/** --repeat-delay: seconds, a fraction allowed, up to what a timer keeps. */
function repeatDelay(value: string | undefined): number {
  if (value === undefined) return 0;
  const s = Number(value);
  if (value.trim() === '' || !Number.isFinite(s) || s < 0 || s > MAX_SECONDS)
    throw new CliError(`--repeat-delay must be a number of seconds from 0 to ${MAX_SECONDS}, not '${value}'`, EXIT.usage);
  return s * 1000;
}

/** The messages of `source`, each `times` times with `delayMs` between. */
async function* repeated(source: AsyncIterable<string | Buffer> | Array<string | Buffer>, times: number, delayMs: number):
  AsyncIterable<string | Buffer> {
  for await (const message of source) {
    for (let i = 0; i < times; i++) {
      if (i > 0 && delayMs > 0) await sleep(delayMs);
      yield message;
    }
  }
}

/** Runs `tinymqtt pub` with its arguments (--help is main's); resolves to the exit code. */
export async function pub(args: string[]): Promise<number> {
  const taken = takeProperties(args, FLAGS, ['connect', 'publish', 'will']);
  const { values: flags } = parseArgs({ args: taken.args, options: FLAGS, strict: true });
  const { options, qos, urlTopic } = clientOptions(flags, taken.properties);
  const topic = flags.topic ?? urlTopic;
  if (topic === undefined) throw new CliError('give a topic with -t (or in the -L URL)', EXIT.usage);
  checkTopic('-t', topic);
  const source = messageSource(flags, '-m, -f, -l, -s or -n');
  const times = intFlag('--repeat', flags.repeat, 1, 2 ** 31 - 1, 1);
  if (flags['stdin-line'] && (flags.repeat !== undefined || flags['repeat-delay'] !== undefined))
    throw new CliError('--repeat and --repeat-delay repeat one message (-m, -f, -s or -n), not -l\'s lines', EXIT.usage);
  const delayMs = repeatDelay(flags['repeat-delay']);
  const retain = flags.retain ?? false;
  const properties = taken.properties.publish;
  const trace = traceFor(flags);

  const messages = repeated(source, times, delayMs);
  const client = await connectClient(options, trace);
  let published = 0;
  try {
    for await (const payload of messages) {
      try {
        trace?.publishing(topic, payload, qos, retain);
        await client.publish(topic, payload, { qos, retain, ...(properties ? { properties } : {}) });
        trace?.published(qos);
      } catch (e) {
        throw failure(e, EXIT.operation, `publish to ${topic} failed`);
      }
      published++;
    }
    await disconnect(client, trace);
  } finally {
    await client.end({ force: true });
  }
  if (flags.json) console.log(JSON.stringify({ published, topic }));
  return EXIT.ok;
}
