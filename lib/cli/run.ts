// What the CLI commands share beyond connection flags: connecting and
// disconnecting (traced with -d), turning errors into one-line failures,
// and reading stdin.
import { MqttClient, type MqttClientOptions } from '../client.js';
import { MqttError } from '../errors.js';
import type { Trace } from './debug.js';
import { CliError, EXIT } from './options.js';

/** Codes of input the user got wrong: a usage error, whatever the step. */
const USAGE_CODES = /^ERR_(INVALID_|UTF8$|PACKET_TOO_LARGE$)/;

/** A CliError saying what failed and why (the MqttError's code and message);
 *  bad input exits with the usage code rather than `code`. */
export function failure(e: unknown, code: number, what: string): CliError {
  if (e instanceof CliError) return e;
  if (e instanceof MqttError) return new CliError(`${what}: ${e.code}: ${e.message}`, USAGE_CODES.test(e.code) ? EXIT.usage : code);
  return new CliError(`${what}: ${String((e as Error)?.message ?? e)}`, code);
}

/** A connected client; bad options are a usage error, a failed connection
 *  a connection error naming the broker. `trace` (-d) is told the CONNECT
 *  and CONNACK, and watches the client. */
export async function connectClient(options: MqttClientOptions, trace?: Trace): Promise<MqttClient> {
  let client: MqttClient;
  try {
    client = new MqttClient(options);
  } catch (e) {
    throw failure(e, EXIT.usage, 'bad option');
  }
  trace?.connecting(client.options.clientId);
  trace?.watch(client);
  try {
    await client.connect();
  } catch (e) {
    if (e instanceof MqttError && e.code.startsWith('ERR_CONNACK')) trace?.connack(e.reasonCode ?? -1);
    await client.end({ force: true });
    // the core client's connection errors (with `server`) name the broker and their code
    if (e instanceof MqttError && e.server) throw new CliError(e.message, EXIT.connection);
    throw failure(e, EXIT.connection, `could not connect to ${client.options.host}:${client.options.port}`);
  }
  trace?.connack(0);
  return client;
}

/** Disconnects cleanly (DISCONNECT after what is in progress), telling `trace`. */
export async function disconnect(client: MqttClient, trace?: Trace): Promise<void> {
  trace?.disconnecting();
  await client.end();
}

/** Everything a stream gives until it ends. */
export async function readAll(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk));
  return Buffer.concat(chunks);
}
