// MQTT 5.0 properties between their MQTT.js-style names and the property
// block the engine sends and receives. Outgoing blocks are checked here for
// names and JavaScript types, then by the engine for everything MQTT says
// (which packet may carry what, duplicates, ranges, UTF-8). Incoming blocks
// reach this file only after the engine has validated them.
import { types } from 'node:util';
import { PROPERTIES, type PropertyType } from './constants.js';
import { argError } from './errors.js';
import { checkBool, checkInt, checkString, isList, readEntries, readList } from './validate.js';

/** User properties: name to value, or to several values in order. */
export type UserProperties = Record<string, string | string[]>;

/** CONNECT properties (options.properties). */
export interface ConnectProperties {
  sessionExpiryInterval?: number;
  receiveMaximum?: number;
  maximumPacketSize?: number;
  requestResponseInformation?: boolean;
  requestProblemInformation?: boolean;
  userProperties?: UserProperties;
  /** the most topic aliases the broker may use towards this client (at most
   *  256; each takes 1 KiB of memory); the client resolves them before
   *  'message', so topics always arrive whole */
  topicAliasMaximum?: number;
  /** enhanced authentication: its method (e.g. 'SCRAM-SHA-256'); the
   *  broker's AUTH challenges go to options.handleAuth */
  authenticationMethod?: string;
  /** enhanced authentication: the method's first data */
  authenticationData?: Buffer;
}

/** What a message carries: the properties of PUBLISH and of a will. */
export interface MessageProperties {
  payloadFormatIndicator?: boolean;
  messageExpiryInterval?: number;
  contentType?: string;
  responseTopic?: string;
  correlationData?: Buffer;
  userProperties?: UserProperties;
}

/** Will properties (options.will.properties). */
export interface WillProperties extends MessageProperties {
  willDelayInterval?: number;
}

/** PUBLISH properties, sent (publish options) and received (packet.properties;
 *  subscriptionIdentifier only when received). */
export interface PublishProperties extends MessageProperties {
  subscriptionIdentifier?: number | number[];
  /** sent: the Topic Alias to use for this topic (1 to the broker's Topic
   *  Alias Maximum). The topic goes out with it the first time on a
   *  connection and is left out after that while the alias stands for it.
   *  Received: the alias the broker used (the topic is already resolved). */
  topicAlias?: number;
}

/** DISCONNECT properties (end()'s options.properties). */
export interface DisconnectProperties {
  /** the session's new expiry, seconds; only when CONNECT set a nonzero one */
  sessionExpiryInterval?: number;
  reasonString?: string;
  userProperties?: UserProperties;
}

/** AUTH properties: a step of enhanced authentication. */
export interface AuthProperties {
  authenticationMethod?: string;
  authenticationData?: Buffer;
  reasonString?: string;
  userProperties?: UserProperties;
}

/** SUBSCRIBE properties. */
export interface SubscribeProperties {
  subscriptionIdentifier?: number;
  userProperties?: UserProperties;
}

/** UNSUBSCRIBE properties. */
export interface UnsubscribeProperties {
  userProperties?: UserProperties;
}

/** Properties the broker sends: CONNACK, SUBACK, DISCONNECT. */
export interface ServerProperties {
  sessionExpiryInterval?: number;
  receiveMaximum?: number;
  maximumQoS?: number;
  retainAvailable?: boolean;
  maximumPacketSize?: number;
  assignedClientIdentifier?: string;
  topicAliasMaximum?: number;
  reasonString?: string;
  userProperties?: UserProperties;
  wildcardSubscriptionAvailable?: boolean;
  subscriptionIdentifiersAvailable?: boolean;
  sharedSubscriptionAvailable?: boolean;
  serverKeepAlive?: number;
  responseInformation?: string;
  serverReference?: string;
  authenticationMethod?: string;
  authenticationData?: Buffer;
}

type Kind = 'bool' | PropertyType;
interface Def { id: number; name: string; kind: Kind }

/** The MQTT.js name of each 5.0 property of the engine's table
 *  (lib/constants.ts, generated from native/include/tinymqtt/packet.h and
 *  native/src/props.c): a property added there fails the type check here
 *  until it has a name. */
const NAMES: Record<(typeof PROPERTIES)[number]['name'], string> = {
  PAYLOAD_FORMAT: 'payloadFormatIndicator',
  MESSAGE_EXPIRY: 'messageExpiryInterval',
  CONTENT_TYPE: 'contentType',
  RESPONSE_TOPIC: 'responseTopic',
  CORRELATION_DATA: 'correlationData',
  SUBSCRIPTION_ID: 'subscriptionIdentifier',
  SESSION_EXPIRY: 'sessionExpiryInterval',
  ASSIGNED_CLIENT_ID: 'assignedClientIdentifier',
  SERVER_KEEPALIVE: 'serverKeepAlive',
  AUTH_METHOD: 'authenticationMethod',
  AUTH_DATA: 'authenticationData',
  REQUEST_PROBLEM_INFO: 'requestProblemInformation',
  WILL_DELAY: 'willDelayInterval',
  REQUEST_RESPONSE_INFO: 'requestResponseInformation',
  RESPONSE_INFO: 'responseInformation',
  SERVER_REFERENCE: 'serverReference',
  REASON_STRING: 'reasonString',
  RECEIVE_MAXIMUM: 'receiveMaximum',
  TOPIC_ALIAS_MAXIMUM: 'topicAliasMaximum',
  TOPIC_ALIAS: 'topicAlias',
  MAXIMUM_QOS: 'maximumQoS',
  RETAIN_AVAILABLE: 'retainAvailable',
  USER: 'userProperties',
  MAXIMUM_PACKET_SIZE: 'maximumPacketSize',
  WILDCARD_SUB_AVAILABLE: 'wildcardSubscriptionAvailable',
  SUB_ID_AVAILABLE: 'subscriptionIdentifiersAvailable',
  SHARED_SUB_AVAILABLE: 'sharedSubscriptionAvailable',
};

/** Every 5.0 property under its MQTT.js name. A one-byte property is a
 *  boolean here, but for Maximum QoS, which MQTT.js gives as a number. */
const DEFS: Def[] = PROPERTIES.map((p) => ({
  id: p.id,
  name: NAMES[p.name],
  kind: p.type === 'byte' && p.name !== 'MAXIMUM_QOS' ? 'bool' : p.type,
}));
const BY_NAME = new Map(DEFS.map((d) => [d.name, d]));
const BY_ID = new Map(DEFS.map((d) => [d.id, d]));

/** The properties a client may send, per packet. */
export const SENDABLE = {
  connect: ['sessionExpiryInterval', 'receiveMaximum', 'maximumPacketSize', 'requestResponseInformation',
    'requestProblemInformation', 'userProperties', 'topicAliasMaximum', 'authenticationMethod', 'authenticationData'],
  will: ['willDelayInterval', 'payloadFormatIndicator', 'messageExpiryInterval', 'contentType', 'responseTopic',
    'correlationData', 'userProperties'],
  publish: ['payloadFormatIndicator', 'messageExpiryInterval', 'contentType', 'responseTopic', 'correlationData',
    'userProperties', 'topicAlias'],
  subscribe: ['subscriptionIdentifier', 'userProperties'],
  unsubscribe: ['userProperties'],
  disconnect: ['sessionExpiryInterval', 'reasonString', 'userProperties'],
  auth: ['authenticationMethod', 'authenticationData', 'reasonString', 'userProperties'],
} as const;

const MAX = { byte: 0xff, u16: 0xffff, u32: 0xffffffff, vbi: 268435455 } as const;

/** Writes a variable byte integer. */
function vbi(out: number[], v: number): void {
  do {
    let byte = v % 128;
    v = Math.floor(v / 128);
    if (v > 0) byte |= 0x80;
    out.push(byte);
  } while (v > 0);
}

/** A length-prefixed string or binary field. */
function field(out: number[], name: string, bytes: Buffer): void {
  if (bytes.length > 0xffff) throw argError(name, `is ${bytes.length} bytes, more than 65535`);
  out.push(bytes.length >> 8, bytes.length & 0xff);
  for (const b of bytes) out.push(b);
}

function text(name: string, v: unknown): Buffer {
  return Buffer.from(checkString(name, v));
}

function writeValue(out: number[], def: Def, name: string, v: unknown): void {
  switch (def.kind) {
    case 'bool':
      out.push(checkBool(name, v) ? 1 : 0);
      return;
    case 'str':
      field(out, name, text(name, v));
      return;
    case 'bin':
      if (!types.isUint8Array(v)) throw argError(name, 'must be a Buffer or Uint8Array');
      field(out, name, Buffer.from(v.buffer, v.byteOffset, v.byteLength));
      return;
    case 'pair':
      throw argError(name, 'is written by encodeProperties');
    default: {
      v = checkInt(name, v, def.kind === 'vbi' ? 1 : 0, MAX[def.kind]);
      if (def.kind === 'vbi') {
        vbi(out, v as number);
        return;
      }
      const width = def.kind === 'byte' ? 1 : def.kind === 'u16' ? 2 : 4;
      for (let k = width - 1; k >= 0; k--) out.push(((v as number) >>> (8 * k)) & 0xff);
    }
  }
}

/** Encodes `props` (named `name` in errors) as a property block without its
 *  length prefix, allowing only the names in `allowed`. Returns undefined for
 *  undefined or an empty object. Throws an MqttError naming the property. */
export function encodeProperties(name: string, props: unknown, allowed: readonly string[]): Buffer | undefined {
  if (props === undefined) return undefined;
  if (props === null || typeof props !== 'object' || isList(props)) throw argError(name, 'must be an object');
  const out: number[] = [];
  for (const [key, value] of readEntries(name, props)) {
    if (value === undefined) continue;
    const def = BY_NAME.get(key);
    if (!def || !allowed.includes(key))
      throw argError(`${name}.${key}`, `is not a property this packet can send (allowed: ${allowed.join(', ')})`);
    if (def.kind !== 'pair') {
      vbi(out, def.id);
      writeValue(out, def, `${name}.${key}`, value);
      continue;
    }
    if (value === null || typeof value !== 'object' || isList(value))
      throw argError(`${name}.userProperties`, 'must be an object of strings or string arrays');
    for (const [k, vs] of readEntries(`${name}.userProperties`, value)) {
      for (const v of isList(vs) ? readList(`${name}.userProperties['${k}']`, vs) : [vs]) {
        vbi(out, def.id);
        field(out, `${name}.userProperties`, text(`${name}.userProperties key`, k));
        field(out, `${name}.userProperties['${k}']`, text(`${name}.userProperties['${k}']`, v));
      }
    }
  }
  return out.length > 0 ? Buffer.from(out) : undefined;
}

/** Sets obj[key] to value, or makes it an array of the values in order when
 *  the key repeats. */
function append(obj: Record<string, unknown>, key: string, value: unknown): void {
  const old = obj[key];
  obj[key] = old === undefined ? value : Array.isArray(old) ? [...old, value] : [old, value];
}

/** Decodes a property block the engine has validated. Repeated user
 *  properties and subscription identifiers become arrays, in order. */
export function decodeProperties(block: Buffer): Record<string, unknown> {
  const props: Record<string, unknown> = {};
  let i = 0;
  const readVbi = (): number => {
    let v = 0, mul = 1, byte: number;
    do {
      byte = block[i++];
      v += (byte & 0x7f) * mul;
      mul *= 128;
    } while (byte & 0x80);
    return v;
  };
  const readField = (): Buffer => {
    const len = block.readUInt16BE(i);
    i += 2 + len;
    return block.subarray(i - len, i);
  };
  while (i < block.length) {
    const def = BY_ID.get(readVbi());
    if (!def) break;   // cannot happen after the engine's validation
    switch (def.kind) {
      case 'bool': props[def.name] = block[i++] !== 0; break;
      case 'byte': props[def.name] = block[i++]; break;
      case 'u16': props[def.name] = block.readUInt16BE(i); i += 2; break;
      case 'u32': props[def.name] = block.readUInt32BE(i); i += 4; break;
      case 'vbi': append(props, def.name, readVbi()); break;
      case 'str': props[def.name] = readField().toString(); break;
      case 'bin': props[def.name] = Buffer.from(readField()); break;
      case 'pair': {
        const user = (props.userProperties ??= {}) as Record<string, unknown>;
        const k = readField().toString();
        append(user, k, readField().toString());
        break;
      }
    }
  }
  return props;
}
