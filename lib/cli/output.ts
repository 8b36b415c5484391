// How tinymqtt sub and rr print a message: the payload, "topic payload"
// (-v), a -F format, or a JSON line (--json); each followed by a newline
// unless -N.
import type { MessagePacket } from '../client.js';
import { compileFormat, NotJson, renderFormat, type Format } from './format.js';
import { CliError, EXIT } from './options.js';
import { now } from './time.js';

/** The output flags sub and rr share, for parseArgs. */
export const OUTPUT_FLAGS = {
  verbose: { type: 'boolean', short: 'v' },
  format: { type: 'string', short: 'F' },
  'no-eol': { type: 'boolean', short: 'N' },
} as const;

/** What --help says about them. */
export const OUTPUT_HELP = `  -v, --verbose           print "topic payload" instead of the payload
  -F, --format FORMAT     print each message as FORMAT (mosquitto_sub's -F:
                          %t topic, %p payload, %q QoS, %r retained, %l length,
                          %m message id, %x/%X payload in hex, %j/%J JSON, %I
                          ISO 8601 time, %U Unix time, %C %D %E %F %P %R %S
                          5.0 properties, @X strftime fields, @N nanoseconds,
                          \\n \\t \\0 \\e \\a \\r \\v \\\\ escapes; see lib/README.md)
  -N, --no-eol            no newline after each message`;

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

/** Turns messages into the bytes to print. */
export class Printer {
  readonly #format?: Format;
  readonly #eol: Buffer;

  /** Compiles -F now, so a bad format is a usage error before connecting. */
  constructor(private readonly flags: { verbose?: boolean; format?: string; 'no-eol'?: boolean; json?: boolean }) {
    if (flags.json && flags.format !== undefined) throw new CliError('--json and -F both say how to print: give one', EXIT.usage);
    if (flags.format !== undefined) this.#format = compileFormat(flags.format);
    this.#eol = Buffer.from(flags['no-eol'] ? '' : '\n');
  }

  /** The bytes for `packet`; a %J format on a payload that is not JSON
   *  gives an error line for stderr instead. */
  render(packet: MessagePacket): { out: Buffer } | { error: string } {
    let body: Buffer;
    if (this.flags.json) body = Buffer.from(jsonLine(packet));
    else if (this.#format) {
      try {
        body = renderFormat(this.#format, packet, now());
      } catch (e) {
        if (e instanceof NotJson) return { error: e.message };
        throw e;
      }
    } else if (this.flags.verbose) body = Buffer.concat([Buffer.from(`${packet.topic} `), packet.payload]);
    else body = packet.payload;
    return { out: Buffer.concat([body, this.#eol]) };
  }
}
