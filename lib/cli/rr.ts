// tinymqtt rr: request/response like mosquitto_rr. Subscribes to the
// response topic, publishes the request (with 5.0, carrying the response
// topic and any -D publish properties such as correlation-data), prints the
// first response and exits.
import { parseArgs } from 'node:util';
import { checkTopic } from '../validate.js';
import { traceFor } from './debug.js';
import { MESSAGE_FLAGS, MESSAGE_HELP, firstMessage, messageSource } from './messages.js';
import { CONNECTION_FLAGS, CONNECTION_HELP, CliError, EXIT, MAX_SECONDS, clientOptions, intFlag } from './options.js';
import { OUTPUT_FLAGS, OUTPUT_HELP, Printer } from './output.js';
import { takeProperties } from './property-flags.js';
import { connectClient, disconnect, failure } from './run.js';

export const RR_HELP = `Usage: tinymqtt rr -t TOPIC -e RESPONSE_TOPIC (-m MESSAGE | -f FILE | -s | -n) [options]

Sends a request and prints the response, like mosquitto_rr: subscribes to
RESPONSE_TOPIC, publishes the message to TOPIC with RESPONSE_TOPIC as its 5.0
Response Topic (and the -D publish properties, e.g. correlation-data), and
exits after the first message on RESPONSE_TOPIC. MQTT 5.0 by default; with
-V mqttv311 the responder must know where to answer.

Request and response:
  -t, --topic TOPIC       topic to send the request to
  -e, --response-topic TOPIC
                          topic to wait for the response on
${MESSAGE_HELP}
  -W, --timeout SEC       give up after SEC seconds with code 4
  -R, --no-retained       ignore a retained message on the response topic
${OUTPUT_HELP}

${CONNECTION_HELP}`;

const FLAGS = {
  ...CONNECTION_FLAGS,
  ...MESSAGE_FLAGS,
  ...OUTPUT_FLAGS,
  topic: { type: 'string', short: 't' },
  'response-topic': { type: 'string', short: 'e' },
  timeout: { type: 'string', short: 'W' },
  'no-retained': { type: 'boolean', short: 'R' },
} as const;

/** Runs `tinymqtt rr` with its arguments (--help is main's); resolves to the exit code. */
export async function rr(args: string[]): Promise<number> {
  const taken = takeProperties(args, FLAGS, ['connect', 'publish', 'subscribe', 'will']);
  const { values: flags } = parseArgs({ args: taken.args, options: FLAGS, strict: true });
  const { options, qos, urlTopic } = clientOptions(flags, taken.properties, 5);
  const topic = flags.topic ?? urlTopic;
  const responseTopic = flags['response-topic'];
  if (topic === undefined || responseTopic === undefined)
    throw new CliError('give the request topic with -t (or in the -L URL) and the response topic with -e', EXIT.usage);
  checkTopic('-t', topic);
  checkTopic('-e', responseTopic);
  const source = messageSource(flags, '-m, -f, -s or -n');
  const timeoutSec = intFlag('-W', flags.timeout, 1, MAX_SECONDS, 0);
  const printer = new Printer(flags);
  const trace = traceFor(flags);
  const properties = options.protocolVersion === 5 ? { ...taken.properties.publish, responseTopic } : undefined;

  const payload = await firstMessage(source);
  const client = await connectClient(options, trace);
  let finish!: (result: number | CliError) => void;
  const done = new Promise<number | CliError>((resolve) => { finish = resolve; });
  client.on('message', (t, _payload, packet) => {
    if (t !== responseTopic || (flags['no-retained'] && packet.retain)) return;
    const shown = printer.render(packet);
    if ('error' in shown) process.stderr.write(`tinymqtt rr: ${shown.error}\n`);
    else process.stdout.write(shown.out);
    finish(EXIT.ok);
  });
  client.on('offline', () => finish(new CliError('the connection was lost', EXIT.connection)));
  const timer = timeoutSec > 0
    ? setTimeout(() => finish(new CliError(`timed out after ${timeoutSec} s (-W) with no response on ${responseTopic}`, EXIT.timeout)), timeoutSec * 1000)
    : undefined;
  try {
    trace?.subscribing([responseTopic], qos);
    const grants = await client.subscribe(responseTopic, { qos, ...(taken.properties.subscribe ? { properties: taken.properties.subscribe } : {}) });
    trace?.subscribed(grants);
    trace?.publishing(topic, payload, qos, false);
    await client.publish(topic, payload, { qos, ...(properties ? { properties } : {}) });
    trace?.published(qos);
  } catch (e) {
    clearTimeout(timer);
    await client.end({ force: true });
    throw failure(e, EXIT.operation, 'the request failed');
  }
  const result = await done;
  clearTimeout(timer);
  if (result instanceof CliError && result.code === EXIT.connection) {
    await client.end({ force: true });
    throw result;
  }
  await disconnect(client, trace);
  if (result instanceof CliError) throw result;
  return result;
}
