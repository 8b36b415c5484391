// -D / --property COMMAND IDENTIFIER VALUE (mosquitto's syntax, with two
// values for user-property): taken out of the arguments before parseArgs
// (which knows only one value per flag), and turned into the client's 5.0
// property objects, one per packet.
import type { ParseArgsConfig } from 'node:util';
import { SENDABLE, type UserProperties } from '../properties.js';
import { CliError, EXIT } from './options.js';

/** The packets -D can name, as the client's property sets call them. */
const PACKETS: Record<string, keyof typeof SENDABLE> = {
  connect: 'connect', publish: 'publish', subscribe: 'subscribe', unsubscribe: 'unsubscribe', will: 'will',
};

/** How a value is written on the command line: a number, 0/1, text, bytes
 *  given as text, or a name and a value. */
type Syntax = 'number' | 'flag' | 'text' | 'bytes' | 'pair';

/** mosquitto's identifiers of the properties the client can send, by syntax. */
const SYNTAXES: Record<Syntax, string[]> = {
  number: ['message-expiry-interval', 'subscription-identifier', 'session-expiry-interval', 'will-delay-interval',
    'receive-maximum', 'maximum-packet-size'],
  flag: ['payload-format-indicator', 'request-problem-information', 'request-response-information'],
  text: ['content-type', 'response-topic'],
  bytes: ['correlation-data'],
  pair: ['user-property'],
};

/** Each identifier with the client's name for it (session-expiry-interval:
 *  sessionExpiryInterval; user-property: userProperties) and its syntax. */
const IDENTIFIERS: Record<string, { name: string; syntax: Syntax }> = Object.fromEntries(
  Object.entries(SYNTAXES).flatMap(([syntax, ids]) => ids.map((id) => [id, {
    name: id === 'user-property' ? 'userProperties' : id.replace(/-(\w)/g, (_m, c: string) => c.toUpperCase()),
    syntax: syntax as Syntax,
  }])));

/** Identifiers mosquitto knows that tinymqtt does not send, and why. */
const NOT_SENT: Record<string, string> = {
  'topic-alias': 'the client does not use topic aliases',
  'topic-alias-maximum': 'the client does not use topic aliases',
  'authentication-method': 'the client does not do enhanced authentication',
  'authentication-data': 'the client does not do enhanced authentication',
};

/** The properties -D gave, per packet. */
export type PropertySets = Partial<Record<keyof typeof SENDABLE, Record<string, unknown>>>;

/** Arguments split into those for parseArgs and the -D properties. */
export interface PropertyArgs { args: string[]; properties: PropertySets }

function usage(message: string): CliError {
  return new CliError(`-D ${message}`, EXIT.usage);
}

/** One -D value in its syntax. */
function parseValue(where: string, syntax: Syntax, value: string): unknown {
  switch (syntax) {
    case 'number': {
      const n = Number(value);
      if (value.trim() === '' || !Number.isInteger(n) || n < 0) throw usage(`${where}: '${value}' is not a non-negative integer`);
      return n;
    }
    case 'flag':
      if (value !== '0' && value !== '1') throw usage(`${where}: give 0 or 1, not '${value}'`);
      return value === '1';
    case 'bytes': return Buffer.from(value);
    default: return value;
  }
}

/** Adds one -D property (its words after -D) to `sets`, for a command that
 *  sends the packets `packets`. */
function addProperty(sets: PropertySets, words: string[], packets: readonly string[]): void {
  const [command, identifier, value, second] = words;
  const where = `${command} ${identifier}`;
  if (command === 'disconnect' || command === 'auth')
    throw usage(`${command}: tinymqtt does not send ${command.toUpperCase()} properties`);
  const packet = PACKETS[command];
  if (!packet || !packets.includes(command))
    throw usage(`${command}: this command's packets are ${packets.join(', ')}`);
  if (identifier in NOT_SENT) throw usage(`${where}: not offered (${NOT_SENT[identifier]})`);
  const def = IDENTIFIERS[identifier];
  if (!def || !(SENDABLE[packet] as readonly string[]).includes(def.name))
    throw usage(`${where}: not a property of ${command} (${SENDABLE[packet].map((n) => Object.keys(IDENTIFIERS).find((k) => IDENTIFIERS[k].name === n)).join(', ')})`);
  const set = (sets[packet] ??= {});
  if (def.syntax === 'pair') {
    const user = (set.userProperties ??= {}) as UserProperties;
    const old = user[value];
    user[value] = old === undefined ? second : [...(Array.isArray(old) ? old : [old]), second];
    return;
  }
  if (def.name in set) throw usage(`${where}: given twice`);
  set[def.name] = parseValue(where, def.syntax, value);
}

/** Whether `arg` is a flag of `flags` that takes the next argument as its value. */
function takesValue(arg: string, flags: ParseArgsConfig['options']): boolean {
  const entries = Object.entries(flags ?? {});
  if (/^--[^=]+$/.test(arg)) return entries.some(([name, f]) => `--${name}` === arg && f.type === 'string');
  if (/^-[^-]$/.test(arg)) return entries.some(([, f]) => `-${f.short}` === arg && f.type === 'string');
  return false;
}

/** Takes every `-D COMMAND IDENTIFIER VALUE [VALUE]` (also --property) out
 *  of `args`, skipping the values of the flags in `flags`; `packets` are the
 *  -D commands this command accepts. */
export function takeProperties(args: string[], flags: ParseArgsConfig['options'], packets: readonly string[]): PropertyArgs {
  const rest: string[] = [];
  const properties: PropertySets = {};
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === '--') {
      rest.push(...args.slice(i));
      break;
    }
    if (arg === '-D' || arg === '--property') {
      const count = args[i + 2] === 'user-property' ? 4 : 3;
      const words = args.slice(i + 1, i + 1 + count);
      if (words.length < count) throw usage(`needs ${count === 4 ? 'COMMAND user-property NAME VALUE' : 'COMMAND IDENTIFIER VALUE'}`);
      addProperty(properties, words, packets);
      i += count;
    } else if (takesValue(arg, flags) && i + 1 < args.length) {
      rest.push(arg, args[++i]);
    } else {
      rest.push(arg);
    }
  }
  return { args: rest, properties };
}
