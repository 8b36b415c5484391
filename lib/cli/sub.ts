// tinymqtt sub: subscribes and prints what arrives, with mosquitto_sub's flags.
import { parseArgs } from 'node:util';
import type { MessagePacket, MqttClient, QoS } from '../client.js';
import { matchTopic } from '../index.js';
import { checkFilter } from '../validate.js';
import { traceFor, type Trace } from './debug.js';
import { CONNECTION_FLAGS, CONNECTION_HELP, CliError, EXIT, MAX_SECONDS, clientOptions, intFlag } from './options.js';
import { OUTPUT_FLAGS, OUTPUT_HELP, Printer } from './output.js';
import { takeProperties } from './property-flags.js';
import { connectClient, disconnect, failure } from './run.js';

export const SUB_HELP = `Usage: tinymqtt sub -t FILTER [-t FILTER ...] [options]

Subscribes to an MQTT broker and prints the messages, like mosquitto_sub.

Subscription:
  -t, --topic FILTER      topic filter to subscribe to (repeatable)
  -T, --filter-out FILTER do not print messages on topics FILTER matches
                          (repeatable)
  -U, --unsubscribe FILTER
                          unsubscribe from FILTER after subscribing, e.g. to
                          drop it from a session kept with -c (repeatable)
  -C, --count N           exit after N messages
  -W, --timeout SEC       exit after SEC seconds with code 4
  -E, --exit-after-subscribe
                          exit once the broker has acknowledged the
                          subscriptions (and -U's unsubscriptions)
  -R, --no-retained       do not print retained (stale) messages
      --retained-only     print only retained messages; exit at the first
                          message that is not retained
      --remove-retained   clear each retained message received (publish an
                          empty retained message to its topic; -T spares)
${OUTPUT_HELP}

${CONNECTION_HELP}
With --json each message is one line {"topic", "payload", "qos", "retain"}, the
payload as UTF-8 text, or as base64 with "encoding": "base64" when it is not
valid UTF-8.`;

const FLAGS = {
  ...CONNECTION_FLAGS,
  ...OUTPUT_FLAGS,
  topic: { type: 'string', short: 't', multiple: true },
  'filter-out': { type: 'string', short: 'T', multiple: true },
  unsubscribe: { type: 'string', short: 'U', multiple: true },
  count: { type: 'string', short: 'C' },
  timeout: { type: 'string', short: 'W' },
  'exit-after-subscribe': { type: 'boolean', short: 'E' },
  'no-retained': { type: 'boolean', short: 'R' },
  'retained-only': { type: 'boolean' },
  'remove-retained': { type: 'boolean' },
} as const;

/** What to do with a message, by the -T, -R and --retained-* flags. */
type Verdict = 'skip' | 'print' | 'stop';

/** Decides what to do with each message. */
class Sieve {
  constructor(private readonly flags: { 'filter-out'?: string[]; 'no-retained'?: boolean; 'retained-only'?: boolean }) {}

  /** Whether -T filters the topic out. */
  filtered(topic: string): boolean {
    return (this.flags['filter-out'] ?? []).some((f) => matchTopic(f, topic));
  }

  verdict(packet: MessagePacket): Verdict {
    if (this.filtered(packet.topic)) return 'skip';
    if (this.flags['retained-only'] && !packet.retain) return 'stop';
    if (this.flags['no-retained'] && packet.retain) return 'skip';
    return 'print';
  }
}

/** Subscribes (then unsubscribes -U's filters), tracing with -d; failures
 *  are operation errors. */
async function subscribeAll(client: MqttClient, filters: string[], unsubscribe: string[], qos: QoS,
  properties: { subscribe?: object; unsubscribe?: object }, trace?: Trace): Promise<void> {
  try {
    trace?.subscribing(filters, qos);
    const grants = await client.subscribe(Object.fromEntries(filters.map((f) => [f, qos])), properties.subscribe ? { properties: properties.subscribe } : {});
    trace?.subscribed(grants);
  } catch (e) {
    throw failure(e, EXIT.operation, 'subscribe failed');
  }
  if (unsubscribe.length === 0) return;
  try {
    trace?.unsubscribing(unsubscribe);
    await client.unsubscribe(unsubscribe, properties.unsubscribe ? { properties: properties.unsubscribe } : {});
    trace?.unsubscribed();
  } catch (e) {
    throw failure(e, EXIT.operation, 'unsubscribe failed');
  }
}

/** The -W message: how long, and how many messages of -C arrived. */
function timedOut(seconds: number, received: number, count: number): CliError {
  const got = count > 0 ? `${received} of ${count} messages (-C) received` : `${received} message${received === 1 ? '' : 's'} received`;
  return new CliError(`timed out after ${seconds} s (-W) with ${got}`, EXIT.timeout);
}

/** Runs `tinymqtt sub` with its arguments (--help is main's); resolves to the exit code. */
export async function sub(args: string[]): Promise<number> {
  const taken = takeProperties(args, FLAGS, ['connect', 'subscribe', 'unsubscribe', 'will']);
  const { values: flags } = parseArgs({ args: taken.args, options: FLAGS, strict: true });
  const { options, qos, urlTopic } = clientOptions(flags, taken.properties);
  const filters = flags.topic ?? (urlTopic !== undefined ? [urlTopic] : []);
  if (filters.length === 0) throw new CliError('give at least one filter with -t (or in the -L URL)', EXIT.usage);
  filters.forEach((f) => checkFilter('-t', f));
  (flags['filter-out'] ?? []).forEach((f) => checkFilter('-T', f));
  (flags.unsubscribe ?? []).forEach((f) => checkFilter('-U', f));
  if (flags['no-retained'] && flags['retained-only']) throw new CliError('-R and --retained-only exclude each other', EXIT.usage);
  const count = intFlag('-C', flags.count, 1, 2 ** 31 - 1, 0);
  const timeoutSec = intFlag('-W', flags.timeout, 1, MAX_SECONDS, 0);
  const printer = new Printer(flags);
  const sieve = new Sieve(flags);
  const trace = traceFor(flags);

  const client = await connectClient(options, trace);
  let received = 0;
  let finish!: (result: number | CliError) => void;
  const done = new Promise<number | CliError>((resolve) => { finish = resolve; });
  const clearing: Array<Promise<unknown>> = [];
  client.on('message', (topic, payload, packet) => {
    if (count > 0 && received >= count) return;
    if (flags['remove-retained'] && packet.retain && payload.length > 0 && !sieve.filtered(topic)) {
      trace?.publishing(topic, '', qos, true);
      clearing.push(client.publish(topic, '', { qos, retain: true }).then(() => trace?.published(qos), () => undefined));
    }
    const verdict = sieve.verdict(packet);
    if (verdict === 'stop') return finish(EXIT.ok);
    if (verdict === 'skip') return;
    received++;
    const shown = printer.render(packet);
    if ('error' in shown) process.stderr.write(`tinymqtt sub: ${shown.error}\n`);
    else process.stdout.write(shown.out);
    if (count > 0 && received === count) finish(EXIT.ok);
  });
  client.on('offline', () => finish(new CliError('the connection was lost', EXIT.connection)));
  const timer = timeoutSec > 0 ? setTimeout(() => finish(timedOut(timeoutSec, received, count)), timeoutSec * 1000) : undefined;
  const stop = () => finish(EXIT.ok);
  process.once('SIGINT', stop).once('SIGTERM', stop);
  try {
    await subscribeAll(client, filters, flags.unsubscribe ?? [], qos, taken.properties, trace);
  } catch (e) {
    await client.end({ force: true });
    throw e;
  }
  if (flags['exit-after-subscribe']) finish(EXIT.ok);
  const result = await done;
  clearTimeout(timer);
  process.off('SIGINT', stop).off('SIGTERM', stop);
  if (result instanceof CliError && result.code === EXIT.connection) {
    await client.end({ force: true });
    throw result;
  }
  await Promise.all(clearing);
  await disconnect(client, trace);
  if (result instanceof CliError) throw result;
  return result;
}
