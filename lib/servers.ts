// The server list of a client (options.servers, or several URLs given to
// connect()): validated once here, tried in order by the engine
// (native/include/tinymqtt/client.h, tmq_client_config.servers).
import { argError } from './errors.js';
import { checkInt, checkString, describe, isList, readList, readOptions } from './validate.js';

/** One server of options.servers: MQTT.js's shape (`servers: [{ host,
 *  port, protocol }]`). */
export interface ServerOption {
  host: string;
  /** by default the protocol's port, as for the client's own `port` */
  port?: number;
  /** 'mqtt' or 'mqtts' (by default the client's `protocol`): a list may
   *  mix them, each TLS server taking the client's TLS options */
  protocol?: 'mqtt' | 'mqtts';
}

/** The server a client is on (`client.server`, the 'connect' event). */
export interface ServerAddress {
  host: string;
  port: number;
  protocol?: 'mqtt' | 'mqtts' | 'ws' | 'wss';
}

/** The port of each protocol when none is given (options.port, a
 *  server of options.servers, a URL without one). */
export const DEFAULT_PORTS = { mqtt: 1883, mqtts: 8883, ws: 80, wss: 443 } as const;

/** Most servers a list may hold (the engine counts them in a byte). */
const MAX_SERVERS = 255;

/** Validates options.servers (`name`): a list of 1 to 255 `{ host, port,
 *  protocol? }`, each 'mqtt' or 'mqtts' (by default the client's
 *  `protocol`: a list may mix them); the port defaults as the client's does.
 *  Returns the servers with protocol and port filled in, or undefined when
 *  no list was given. */
export function serverList(name: string, value: unknown, protocol: string): Required<ServerOption>[] | undefined {
  if (value === undefined) return undefined;
  if (protocol !== 'mqtt' && protocol !== 'mqtts')
    throw argError(name, `is not supported with protocol ${describe(protocol)}: a server list is for mqtt and mqtts (each node would need its own WebSocket upgrade request)`);
  if (!isList(value) || value.length === 0 || value.length > MAX_SERVERS)
    throw argError(name, `must be an array of 1 to ${MAX_SERVERS} servers ({ host, port, protocol? }), not ${describe(value)}`);
  return readList(name, value).map((entry, i) => {
    const at = `${name}[${i}]`;
    if (entry === null || typeof entry !== 'object') throw argError(at, `must be an object { host, port, protocol? }, not ${describe(entry)}`);
    const s = readOptions(at, entry, ['host', 'port', 'protocol']);
    const own = s.protocol ?? protocol;
    if (own !== 'mqtt' && own !== 'mqtts')
      throw argError(`${at}.protocol`, `must be 'mqtt' or 'mqtts', not ${describe(own)}`);
    return {
      host: checkString(`${at}.host`, s.host),
      port: checkInt(`${at}.port`, s.port ?? DEFAULT_PORTS[own], 1, 65535),
      protocol: own,
    };
  });
}

/** What one URL of a list gives (client.ts's urlOptions). */
export interface UrlParts {
  protocol?: 'mqtt' | 'mqtts' | 'ws' | 'wss';
  host?: string;
  port?: number;
  username?: string;
  password?: string | Buffer;
}

/** The options a list of URLs gives (`name` names the argument): their
 *  servers in order, each with its own protocol (mqtt:// or mqtts://), and
 *  the user name and password of the first URL; a later URL may repeat them
 *  but not differ. */
export function urlListOptions(name: string, urls: UrlParts[]): UrlParts & { servers: ServerOption[] } {
  if (urls.length === 0 || urls.length > MAX_SERVERS) throw argError(name, `must list 1 to ${MAX_SERVERS} URLs`);
  const first = urls[0];
  const servers = urls.map((u, i) => {
    const protocol = u.protocol ?? 'mqtt';
    if (protocol === 'ws' || protocol === 'wss')
      throw argError(`${name}[${i}]`, `must be an mqtt:// or mqtts:// URL, not ${protocol}://: a server list is not supported over WebSockets (each node would need its own upgrade request)`);
    if ((u.username !== undefined && u.username !== first.username) || (u.password !== undefined && u.password !== first.password))
      throw argError(`${name}[${i}]`, `has a user name or password other than ${name}[0]'s: one client has one set of credentials`);
    return { host: u.host ?? 'localhost', port: u.port ?? DEFAULT_PORTS[protocol], protocol };
  });
  const out: UrlParts & { servers: ServerOption[] } = { protocol: servers[0].protocol, host: servers[0].host, port: servers[0].port, servers };
  if (first.username !== undefined) out.username = first.username;
  if (first.password !== undefined) out.password = first.password;
  return out;
}
