// mosquitto_sub's -F output format: the format string is compiled once (bad
// sequences are usage errors before connecting), then rendered per message.
// %-sequences are message fields and helpers, @-sequences strftime fields of
// the arrival time, \-sequences escapes.
import type { MessagePacket } from '../client.js';
import { CliError, EXIT } from './options.js';
import { isTimeConversion, isoTime, jsonTime, strftime, unixTime, type Instant } from './time.js';

/** One field of a format: what it prints and how it is padded. */
interface Field { kind: 'field'; conversion: string; left: boolean; zero: boolean; width: number; max?: number }
type Part = Field | { kind: 'text'; bytes: Buffer } | { kind: 'time'; conversion: string };

/** A compiled -F format. */
export interface Format { parts: Part[] }

/** The % conversions, and which take a width, zero padding, a maximum width. */
const WIDTH = new Set('ACEFIlmpRStxX');
const ZERO = new Set('AEFlmSxX');
const MAX = new Set('CIRt');
const CONVERSIONS = new Set('%ACDEFIjJlmPpqRrStUxX');
const ESCAPES: Record<string, string> = { '\\': '\\', '0': '\0', a: '\x07', e: '\x1b', n: '\n', r: '\r', t: '\t', v: '\v' };

function usage(message: string): CliError {
  return new CliError(`-F: ${message}`, EXIT.usage);
}

/** Reads %[-0][width][.max]C at `i` (just after the %); returns the field and the next index. */
function readField(format: string, i: number): [Field, number] {
  let left = false, zero = false, width = 0, max: number | undefined;
  for (; format[i] === '-' || format[i] === '0'; i++) {
    if (format[i] === '-') left = true;
    else zero = true;
  }
  for (; i < format.length && /\d/.test(format[i]); i++) width = width * 10 + Number(format[i]);
  if (format[i] === '.') {
    max = 0;
    for (i++; i < format.length && /\d/.test(format[i]); i++) max = max * 10 + Number(format[i]);
  }
  if (i >= format.length) throw usage(`incomplete format sequence at the end of '${format}'`);
  const conversion = format[i];
  if (!CONVERSIONS.has(conversion)) throw usage(`unknown format sequence '%${conversion}'`);
  return [{ kind: 'field', conversion, left, zero: zero && !left && ZERO.has(conversion),
    width: WIDTH.has(conversion) ? width : 0, max: MAX.has(conversion) ? max : undefined }, i + 1];
}

/** Compiles a -F format string; throws a usage error naming a bad sequence. */
export function compileFormat(format: string): Format {
  const parts: Part[] = [];
  let text = '';
  const flush = () => {
    if (text) parts.push({ kind: 'text', bytes: Buffer.from(text) });
    text = '';
  };
  for (let i = 0; i < format.length;) {
    const c = format[i];
    if (c === '%') {
      const [field, next] = readField(format, i + 1);
      if (field.conversion === '%') text += '%';
      else { flush(); parts.push(field); }
      i = next;
    } else if (c === '@') {
      const t = format[i + 1];
      if (t === undefined) throw usage(`incomplete time sequence at the end of '${format}'`);
      if (t === '@') text += '@';
      else if (!isTimeConversion(t)) throw usage(`unknown time sequence '@${t}'`);
      else { flush(); parts.push({ kind: 'time', conversion: t }); }
      i += 2;
    } else if (c === '\\') {
      const e = format[i + 1];
      if (e === undefined) throw usage(`incomplete escape at the end of '${format}'`);
      if (!(e in ESCAPES)) throw usage(`unknown escape '\\${e}'`);
      text += ESCAPES[e];
      i += 2;
    } else {
      text += c;
      i++;
    }
  }
  flush();
  return { parts };
}

/** A number property as text, or '' when the message does not have it. */
const optional = (v: unknown): string => (v === undefined ? '' : Array.isArray(v) ? v.join(' ') : typeof v === 'boolean' ? (v ? '1' : '0') : String(v));

/** The user properties as "name:value" pairs separated by spaces. */
function userPairs(packet: MessagePacket): string {
  const user = packet.properties?.userProperties ?? {};
  return Object.entries(user).flatMap(([k, v]) => (Array.isArray(v) ? v : [v]).map((x) => `${k}:${x}`)).join(' ');
}

/** The mosquitto names of the properties a message can carry, for %j. */
const JSON_NAMES: Record<string, string> = {
  payloadFormatIndicator: 'payload-format-indicator', messageExpiryInterval: 'message-expiry-interval',
  contentType: 'content-type', responseTopic: 'response-topic', correlationData: 'correlation-data',
  subscriptionIdentifier: 'subscription-identifier', topicAlias: 'topic-alias', userProperties: 'user-properties',
};

/** A property value as %j gives it: booleans as 0/1, binary as text. */
function jsonValue(v: unknown): unknown {
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (Buffer.isBuffer(v)) return v.toString('utf8');
  return v;
}

/** The %j / %J object: arrival time, topic, QoS, retain, length,
 *  properties, then `payload` (the payload and, for %j, its encoding). */
function jsonMessage(packet: MessagePacket, at: Instant, payload: Record<string, unknown>): string {
  const out: Record<string, unknown> = { tst: jsonTime(at), topic: packet.topic, qos: packet.qos,
    retain: packet.retain ? 1 : 0, payloadlen: packet.payload.length };
  if (packet.properties && Object.keys(packet.properties).length > 0)
    out.properties = Object.fromEntries(Object.entries(packet.properties).map(([k, v]) => [JSON_NAMES[k] ?? k, jsonValue(v)]));
  return JSON.stringify({ ...out, ...payload });
}

/** %j's payload: the text when it is UTF-8, else base64 (as the encoding says). */
function quotedPayload(payload: Buffer): { payload: string; encoding?: string } {
  try {
    return { payload: new TextDecoder('utf-8', { fatal: true }).decode(payload) };
  } catch {
    return { payload: payload.toString('base64'), encoding: 'base64' };
  }
}

/** A payload that does not parse as JSON, for %J. */
export class NotJson extends Error {}

/** The unpadded value of a field for a message. */
function fieldValue(conversion: string, packet: MessagePacket, at: Instant): string | Buffer {
  const p = packet.properties;
  switch (conversion) {
    case 'A': return optional((p as { topicAlias?: number } | undefined)?.topicAlias);
    case 'C': return p?.contentType ?? '';
    case 'D': return p?.correlationData ?? '';
    case 'E': return optional(p?.messageExpiryInterval);
    case 'F': return optional(p?.payloadFormatIndicator);
    case 'I': return isoTime(at);
    case 'j': return jsonMessage(packet, at, quotedPayload(packet.payload));
    case 'J': {
      let parsed: unknown;
      try {
        parsed = JSON.parse(packet.payload.toString('utf8'));
      } catch {
        throw new NotJson(`the payload on ${packet.topic} is not valid JSON (%J)`);
      }
      return jsonMessage(packet, at, { payload: parsed });
    }
    case 'l': return String(packet.payload.length);
    case 'm': return String(packet.messageId);
    case 'P': return userPairs(packet);
    case 'p': return packet.payload;
    case 'q': return String(packet.qos);
    case 'R': return p?.responseTopic ?? '';
    case 'r': return packet.retain ? '1' : '0';
    case 'S': return optional(p?.subscriptionIdentifier);
    case 't': return packet.topic;
    case 'U': return unixTime(at);
    case 'x': return packet.payload.toString('hex');
    case 'X': return packet.payload.toString('hex').toUpperCase();
    default: throw new Error(`format conversion ${conversion} has no value`);   // compileFormat admits only the above
  }
}

/** A field's value cut to its maximum and padded to its width. */
function padded(field: Field, value: string | Buffer): Buffer {
  let bytes = Buffer.isBuffer(value) ? value : Buffer.from(value);
  if (field.max !== undefined && bytes.length > field.max) bytes = bytes.subarray(0, field.max);
  const room = field.width - bytes.length;
  if (room <= 0) return bytes;
  const pad = Buffer.alloc(room, field.zero ? '0' : ' ');
  return field.left ? Buffer.concat([bytes, pad]) : Buffer.concat([pad, bytes]);
}

/** The bytes `format` makes of a message that arrived at `at`; throws
 *  NotJson when %J meets a payload that is not JSON. */
export function renderFormat(format: Format, packet: MessagePacket, at: Instant): Buffer {
  return Buffer.concat(format.parts.map((part) => {
    if (part.kind === 'text') return part.bytes;
    if (part.kind === 'time') return Buffer.from(strftime(part.conversion, at));
    return padded(part, fieldValue(part.conversion, packet, at));
  }));
}
