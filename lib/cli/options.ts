// The connection flags tinymqtt pub, sub and rr share, named as in
// mosquitto_pub/mosquitto_sub, and how they become client options.
import type { ParseArgsConfig } from 'node:util';
import { urlOptions, type MqttClientOptions, type QoS } from '../client.js';
import { checkTopic } from '../validate.js';
import type { PropertySets } from './property-flags.js';
import { tlsOptions } from './tls-flags.js';

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
  'disable-clean-session': { type: 'boolean', short: 'c' },
  'session-expiry': { type: 'string', short: 'x' },
  'will-topic': { type: 'string' },
  'will-payload': { type: 'string' },
  'will-qos': { type: 'string' },
  'will-retain': { type: 'boolean' },
  cafile: { type: 'string' },
  capath: { type: 'string' },
  cert: { type: 'string' },
  key: { type: 'string' },
  insecure: { type: 'boolean' },
  'tls-version': { type: 'string' },
  'tls-alpn': { type: 'string' },
  debug: { type: 'boolean', short: 'd' },
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
  -c, --disable-clean-session
                          keep the session (needs -i); with 5.0 it never
                          expires unless -x says otherwise
  -x, --session-expiry SEC
                          5.0 session expiry interval: 0 to 4294967295, or -1
                          or "∞" for never (default 0, or never with -c)
  -D, --property COMMAND IDENTIFIER VALUE
                          a 5.0 property, as mosquitto spells it: COMMAND is
                          connect, publish, subscribe, unsubscribe or will;
                          user-property takes NAME VALUE (repeatable)
      --will-topic TOPIC  leave a will on TOPIC
      --will-payload TEXT the will's message (default empty)
      --will-qos 0|1|2    the will's QoS (default 0)
      --will-retain       retain the will
      --cafile FILE       CA certificates (PEM); turns TLS on
      --capath DIR        every PEM certificate in DIR as a CA; turns TLS on
      --cert FILE         client certificate (PEM), with --key
      --key FILE          client private key (PEM)
      --insecure          do not verify the server's certificate or host name
      --tls-version tlsv1.2
                          the TLS version (the engine speaks TLS 1.2 only)
      --tls-alpn PROTOCOL offer PROTOCOL by ALPN
  -d, --debug             print the packets sent and received (as the client
                          sees them: see the CLI section of lib/README.md)
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

/** -x: seconds, or -1, 4294967295 or ∞ for a session that never expires. */
function sessionExpiry(value: string): number {
  if (value === '-1' || value === '∞') return 0xffffffff;
  return intFlag('-x', value, 0, 0xffffffff, 0);
}

/** The will of --will-topic and the others (undefined without a topic). */
function willOptions(flags: Flags, properties: PropertySets): MqttClientOptions['will'] {
  const topic = flags['will-topic'];
  if (topic === undefined) {
    const stray = (['will-payload', 'will-qos', 'will-retain'] as const).find((k) => flags[k] !== undefined);
    if (stray) throw new CliError(`--${stray} needs --will-topic`, EXIT.usage);
    if (properties.will) throw new CliError('-D will needs --will-topic', EXIT.usage);
    return undefined;
  }
  checkTopic('--will-topic', topic);
  return {
    topic, payload: flags['will-payload'] ?? '', qos: intFlag('--will-qos', flags['will-qos'], 0, 2, 0) as QoS,
    retain: flags['will-retain'] ?? false, ...(properties.will ? { properties: properties.will } : {}),
  };
}

/** Client options from the shared flags (and the -D properties), and the
 *  topic a -L URL names. `version` is the default protocol version. */
export function clientOptions(flags: Flags, properties: PropertySets = {}, version: 3 | 4 | 5 = 4):
  { options: MqttClientOptions; qos: QoS; urlTopic?: string } {
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
    version = VERSIONS[v];
    if (!version) throw new CliError(`-V must be mqttv31, mqttv311 or mqttv5, not '${v}'`, EXIT.usage);
  }
  options.protocolVersion = version;
  const clean = !flags['disable-clean-session'];
  if (!clean && flags.id === undefined) throw new CliError('-c needs a client id (-i): a session is kept per client id', EXIT.usage);
  options.clean = clean;
  if (version === 5) {
    const expiry = flags['session-expiry'] !== undefined ? sessionExpiry(flags['session-expiry']) : clean ? undefined : 0xffffffff;
    const connect = { ...properties.connect, ...(expiry !== undefined ? { sessionExpiryInterval: expiry } : {}) };
    if (Object.keys(connect).length > 0) options.properties = connect;
  } else if (flags['session-expiry'] !== undefined || Object.keys(properties).length > 0) {
    throw new CliError(`${flags['session-expiry'] !== undefined ? '-x' : '-D'} needs MQTT 5.0 (-V mqttv5)`, EXIT.usage);
  }
  const will = willOptions(flags, properties);
  if (will) options.will = will;
  Object.assign(options, tlsOptions(flags, options.protocol));
  const qos = intFlag('-q', flags.qos, 0, 2, 0) as QoS;
  return { options, qos, urlTopic };
}
