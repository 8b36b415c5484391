// The connection flags tinymqtt pub and sub share, named as in
// mosquitto_pub/mosquitto_sub, and how they become client options.
import { readFileSync } from 'node:fs';
import type { ParseArgsConfig } from 'node:util';
import { urlOptions, type MqttClientOptions, type QoS } from '../client.js';

/** Exit codes of the CLI (documented in each command's --help). */
export const EXIT = { ok: 0, usage: 1, connection: 2, operation: 3, timeout: 4 } as const;

/** The longest time limit in seconds a timer can keep (2^31 - 1 ms). */
export const MAX_SECONDS = Math.floor((2 ** 31 - 1) / 1000);

/** A failure the CLI reports in one line and exits with `code`. */
export class CliError extends Error {
  constructor(message: string, readonly code: number) {
    super(message);
  }
}

/** parseArgs options every command takes. */
export const CONNECTION_FLAGS = {
  host: { type: 'string', short: 'h' },
  port: { type: 'string', short: 'p' },
  url: { type: 'string', short: 'L' },
  id: { type: 'string', short: 'i' },
  username: { type: 'string', short: 'u' },
  pw: { type: 'string', short: 'P' },
  keepalive: { type: 'string', short: 'k' },
  'protocol-version': { type: 'string', short: 'V' },
  qos: { type: 'string', short: 'q' },
  cafile: { type: 'string' },
  cert: { type: 'string' },
  key: { type: 'string' },
  insecure: { type: 'boolean' },
  json: { type: 'boolean' },
  help: { type: 'boolean' },
} as const satisfies ParseArgsConfig['options'];

/** What --help says about the shared flags. */
export const CONNECTION_HELP = `Connection:
  -h, --host HOST         broker host (default localhost)
  -p, --port PORT         broker port (default 1883, or 8883 with TLS)
  -L, --url URL           mqtt[s]://[user[:password]@]host[:port]/topic instead of -h -p -u -P -t,
                          or ws[s]://[user[:password]@]host[:port][/path] (MQTT over WebSockets; topic by -t)
  -i, --id ID             client id (default: a random one)
  -u, --username USER     user name
  -P, --pw PASSWORD       password
  -k, --keepalive SEC     keepalive in seconds (default 60)
  -V, --protocol-version  mqttv31, mqttv311 (default) or mqttv5
  -q, --qos 0|1|2         quality of service (default 0)
      --cafile FILE       CA certificate (PEM); turns TLS on
      --cert FILE         client certificate (PEM), with --key
      --key FILE          client private key (PEM)
      --insecure          do not verify the server's certificate or host name
      --json              machine-readable output
      --help              this text

Exit codes: 0 done, 1 bad arguments, 2 could not connect (refused, TLS,
bad credentials), 3 the broker refused an operation, 4 timed out.`;

type Flags = { [K in keyof typeof CONNECTION_FLAGS]?: (typeof CONNECTION_FLAGS)[K]['type'] extends 'boolean' ? boolean : string };

/** An integer flag within bounds, or a usage error naming it. */
export function intFlag(name: string, value: string | undefined, min: number, max: number, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) throw new CliError(`${name} must be an integer from ${min} to ${max}, not '${value}'`, EXIT.usage);
  return n;
}

const VERSIONS: Record<string, 3 | 4 | 5> = { mqttv31: 3, mqttv311: 4, mqttv5: 5, '31': 3, '311': 4, '5': 5 };

function readPem(flag: string, file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (e) {
    throw new CliError(`${flag}: cannot read ${file} (${(e as Error).message})`, EXIT.usage);
  }
}

/** Client options from the shared flags, and the topic a -L URL names. */
export function clientOptions(flags: Flags): { options: MqttClientOptions; qos: QoS; urlTopic?: string } {
  let options: MqttClientOptions = {};
  let urlTopic: string | undefined;
  if (flags.url !== undefined) {
    const url = urlOptions(flags.url, '-L');   // an MqttError: a usage error
    options = url.options;
    if (url.path) urlTopic = url.path;
  }
  if (flags.host !== undefined) options.host = flags.host;
  if (flags.port !== undefined) options.port = intFlag('-p', flags.port, 1, 65535, 1883);
  if (flags.id !== undefined) options.clientId = flags.id;
  if (flags.username !== undefined) options.username = flags.username;
  if (flags.pw !== undefined) options.password = flags.pw;
  options.keepalive = intFlag('-k', flags.keepalive, 0, 65535, 60);
  const v = flags['protocol-version'];
  if (v !== undefined) {
    const version = VERSIONS[v];
    if (!version) throw new CliError(`-V must be mqttv31, mqttv311 or mqttv5, not '${v}'`, EXIT.usage);
    options.protocolVersion = version;
  }
  if (flags.cafile !== undefined || flags.cert !== undefined || flags.insecure)
    options.protocol = options.protocol === 'ws' || options.protocol === 'wss' ? 'wss' : 'mqtts';
  if (flags.cafile !== undefined) options.ca = readPem('--cafile', flags.cafile);
  if ((flags.cert === undefined) !== (flags.key === undefined)) throw new CliError('--cert and --key go together', EXIT.usage);
  if (flags.cert !== undefined) options.cert = readPem('--cert', flags.cert);
  if (flags.key !== undefined) options.key = readPem('--key', flags.key);
  if (flags.insecure) options.rejectUnauthorized = false;
  const qos = intFlag('-q', flags.qos, 0, 2, 0) as QoS;
  return { options, qos, urlTopic };
}
