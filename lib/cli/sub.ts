// tinymqtt sub: subscribes and prints what arrives, with mosquitto_sub's flags.
import { parseArgs } from 'node:util';
import type { MessagePacket } from '../client.js';
import { CONNECTION_FLAGS, CONNECTION_HELP, CliError, EXIT, MAX_SECONDS, clientOptions, intFlag } from './options.js';
import { checkFilter } from '../validate.js';
import { connectClient, failure } from './run.js';

export const SUB_HELP = `Usage: tinymqtt sub -t FILTER [-t FILTER ...] [options]

Subscribes to an MQTT broker and prints the messages, like mosquitto_sub.

Subscription:
  -t, --topic FILTER      topic filter to subscribe to (repeatable)
  -C, --count N           exit after N messages
  -W, --timeout SEC       exit after SEC seconds (code 4 if -C was not reached)
  -v, --verbose           print "topic payload" instead of the payload

${CONNECTION_HELP}
With --json each message is one line {"topic", "payload", "qos", "retain"}, the
payload as UTF-8 text, or as base64 with "encoding": "base64" when it is not
valid UTF-8.`;

const FLAGS = {
  ...CONNECTION_FLAGS,
  topic: { type: 'string', short: 't', multiple: true },
  count: { type: 'string', short: 'C' },
  timeout: { type: 'string', short: 'W' },
  verbose: { type: 'boolean', short: 'v' },
} as const;

/** One message as --json prints it. */
function jsonLine(packet: MessagePacket): string {
  const text = new TextDecoder('utf-8', { fatal: true });
  let payload: string, encoding: string | undefined;
  try {
    payload = text.decode(packet.payload);
  } catch {
    payload = packet.payload.toString('base64');
    encoding = 'base64';
  }
  return JSON.stringify({ topic: packet.topic, payload, ...(encoding ? { encoding } : {}), qos: packet.qos, retain: packet.retain });
}

/** Runs `tinymqtt sub` with its arguments (--help is main's); resolves to the exit code. */
export async function sub(args: string[]): Promise<number> {
  const { values: flags } = parseArgs({ args, options: FLAGS, strict: true });
  const { options, qos, urlTopic } = clientOptions(flags);
  const filters = flags.topic ?? (urlTopic !== undefined ? [urlTopic] : []);
  if (filters.length === 0) throw new CliError('sub: give at least one filter with -t (or in the -L URL)', EXIT.usage);
  filters.forEach((f) => checkFilter('-t', f));
  const count = intFlag('-C', flags.count, 1, 2 ** 31 - 1, 0);
  const timeoutSec = intFlag('-W', flags.timeout, 1, MAX_SECONDS, 0);

  const client = await connectClient(options);
  let received = 0;
  let finish!: (code: number) => void;
  const done = new Promise<number>((resolve) => { finish = resolve; });
  client.on('message', (topic, payload, packet) => {
    if (count > 0 && received >= count) return;
    received++;
    if (flags.json) process.stdout.write(`${jsonLine(packet)}\n`);
    else if (flags.verbose) process.stdout.write(Buffer.concat([Buffer.from(`${topic} `), payload, Buffer.from('\n')]));
    else process.stdout.write(Buffer.concat([payload, Buffer.from('\n')]));
    if (count > 0 && received === count) finish(EXIT.ok);
  });
  client.on('offline', () => finish(EXIT.connection));
  const timer = timeoutSec > 0 ? setTimeout(() => finish(EXIT.timeout), timeoutSec * 1000) : undefined;
  const stop = () => finish(EXIT.ok);
  process.once('SIGINT', stop).once('SIGTERM', stop);
  try {
    await client.subscribe(Object.fromEntries(filters.map((f) => [f, qos])));
  } catch (e) {
    await client.end({ force: true });
    throw failure(e, EXIT.operation, 'subscribe failed');
  }
  const code = await done;
  clearTimeout(timer);
  process.off('SIGINT', stop).off('SIGTERM', stop);
  if (code === EXIT.connection) {
    await client.end({ force: true });
    throw new CliError('the connection was lost', EXIT.connection);
  }
  await client.end();
  return code;
}
