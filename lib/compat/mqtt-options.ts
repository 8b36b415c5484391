// MQTT.js's connection options (IClientOptions) and URL, turned into the
// core client's options. Names the two share pass through as they are;
// those that differ are mapped here; what this layer takes for itself
// (manualConnect, protocolId, autoUseTopicAlias) is taken out. Every other name goes to the
// core client unchanged, whose own check refuses what it does not know
// (lib/client.ts keeps the one list of option names).
import { parseUrl, type MqttClientOptions } from '../client.js';
import { argError } from '../errors.js';
import { checkBool, describe, isPlainObject, readEntries } from '../validate.js';

/** A server of a failover list (options.servers). */
export interface IServer { host: string; port?: number; protocol?: IClientOptions['protocol'] }

/** MQTT.js's connection options. The core client's own options (lib/README.md)
 *  are taken too, by their names. */
export interface IClientOptions extends Omit<MqttClientOptions, 'protocol' | 'retryFirstConnect'> {
  /** 'mqtt' (also 'tcp') or 'mqtts' (also 'ssl', 'tls'); 'ws' and 'wss'
   *  go to the core client, which refuses them until it speaks WebSocket */
  protocol?: 'mqtt' | 'mqtts' | 'tcp' | 'ssl' | 'tls' | 'ws' | 'wss';
  /** brokers to try in turn (handed to the core client's `servers`) */
  servers?: IServer[];
  /** the WebSocket path (handed to the core client's `path`) */
  path?: string;
  /** 'MQTT' (protocolVersion 4 or 5) or 'MQIsdp' (protocolVersion 3): it
   *  follows from protocolVersion, and must agree with it */
  protocolId?: 'MQTT' | 'MQIsdp';
  /** do not connect until client.connect() (default false) */
  manualConnect?: boolean;
  /** reuse a topic alias once the broker knows it: what the core client
   *  does with a publish's properties.topicAlias, so taken and nothing more */
  autoUseTopicAlias?: boolean;
  /** 5.0: handed to the core client under these names (automatic topic
   *  aliases; MQTT.js's AUTH packet) */
  autoAssignTopicAlias?: boolean;
  authPacket?: Record<string, unknown>;
}

/** What resolveOptions gives: the core client's options, and this layer's. */
export interface ResolvedOptions {
  core: MqttClientOptions;
  manualConnect: boolean;
  /** the options as given, URL included, for client.options */
  given: IClientOptions;
}

/** MQTT.js's other names for the two protocols. */
const PROTOCOL_ALIASES: Record<string, 'mqtt' | 'mqtts'> = { tcp: 'mqtt', ssl: 'mqtts', tls: 'mqtts' };

/** The options of connect(url?, options?) or connect(options): the URL's
 *  (mqtt://, mqtts://, tcp://, ssl://, tls://; parsed by the core client's
 *  parseUrl, which refuses the rest) under the options, which win, as in
 *  MQTT.js. Errors are MqttErrors naming the argument. */
export function resolveOptions(url: unknown, options: unknown): ResolvedOptions {
  if (url !== undefined && url !== null && typeof url === 'object' && options === undefined) return resolveOptions(undefined, url);
  if (url !== undefined && url !== null && typeof url !== 'string') throw argError('url', `must be a string, not ${describe(url)}`);
  if (options !== undefined && !isPlainObject(options)) throw argError('options', `must be an object, not ${describe(options)}`);
  const fromUrl = typeof url === 'string' ? parseUrl(url.replace(/^(tcp|ssl|tls):/, (_, p: string) => `${PROTOCOL_ALIASES[p]}:`)) : {};
  const given = { ...fromUrl, ...Object.fromEntries(options === undefined ? [] : readEntries('options', options)) } as IClientOptions;
  const { manualConnect, protocolId, autoUseTopicAlias, ...rest } = given;
  if (autoUseTopicAlias !== undefined) checkBool('options.autoUseTopicAlias', autoUseTopicAlias);
  const core = { ...rest } as MqttClientOptions & Record<string, unknown>;
  if (typeof rest.protocol === 'string' && rest.protocol in PROTOCOL_ALIASES) core.protocol = PROTOCOL_ALIASES[rest.protocol];
  checkProtocolId(protocolId, rest.protocolVersion);
  // MQTT.js waits reconnectPeriod between attempts, always the same
  core.reconnectFactor ??= 1;
  core.reconnectJitter ??= false;
  if (typeof rest.reconnectPeriod === 'number') core.reconnectMaxPeriod ??= rest.reconnectPeriod;
  else if (rest.reconnectPeriod === undefined) core.reconnectMaxPeriod ??= 1000;
  // MQTT.js's connect() returns a client that tries until it is connected
  if (rest.reconnectPeriod !== 0) core.retryFirstConnect = true;
  return { core, manualConnect: checkBool('options.manualConnect', manualConnect ?? false), given };
}

/** Refuses a protocolId that does not name the protocol protocolVersion
 *  chooses. */
function checkProtocolId(protocolId: unknown, version: unknown): void {
  if (protocolId === undefined) return;
  const expected = version === 3 ? 'MQIsdp' : 'MQTT';
  if (protocolId !== expected)
    throw argError('options.protocolId', `must be '${expected}' with protocolVersion ${describe(version ?? 4)}, not ${describe(protocolId)}`);
}
