#!/usr/bin/env node
// Writes lib/constants.ts from the C and C++ headers that own the values the
// TypeScript layer shares with the engine and the addon:
//   engine error numbers   enum tmq_err        native/include/tinymqtt/error.h
//   client states          enum tmq_state      native/include/tinymqtt/client.h
//   transport progress     enum tmq_io         native/include/tinymqtt/port.h
//   largest packet         TMQ_MAX_PACKET      native/include/tinymqtt/packet.h
//   5.0 properties         enum tmq_prop_id    native/include/tinymqtt/packet.h
//                          and their types     native/src/props.c (defs[])
//   event kinds, fields    enum EventKind, kEventFields, kMessageHasProps, kMessageLargePayload
//                                              binding/events.h
//   driver policy figures  TMQ_SPIN_*, TMQ_COALESCE_* native/include/tinymqtt/drive.h
//   a client's memory      kMsgSlots ... kInAliasSlot  binding/client.cc
//                          kTx, kRx (WebSocket)        binding/ws.h
//   batches                kBatchEvents, kCopyLimit    binding/events.h, deliver.h
//   node scripts/gen-constants.mjs                 rewrites lib/constants.ts
//   node scripts/gen-constants.mjs --check         exits 1 (saying what differs)
//                                                  when lib/constants.ts is not
//                                                  what the headers give
//   ... [--root DIR]                               reads and writes under DIR
//                                                  instead of the package root
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const args = process.argv.slice(2);
const check = args.includes('--check');
const rootAt = args.indexOf('--root');
const root = rootAt >= 0 ? args[rootAt + 1] : join(dirname(fileURLToPath(import.meta.url)), '..');
const OUT = 'lib/constants.ts';

/** The text of a file under root. */
function read(path) {
  return readFileSync(join(root, path), 'utf8');
}

/** Fails the run with a message naming the file. */
function fail(path, what) {
  throw new Error(`gen-constants: ${path}: ${what}`);
}

/** The body of `enum <name> ... { ... }` in a header, comments stripped. */
function enumBody(path, name) {
  const text = read(path);
  const m = new RegExp(`enum\\s+${name}\\b[^{]*\\{([^}]*)\\}`).exec(text);
  if (!m) fail(path, `no enum ${name}`);
  return m[1];
}

/** The members of a C enum in order, as [name, value]: explicit values and
 *  implicit ones (the previous plus one). */
function enumMembers(path, name) {
  const body = enumBody(path, name).replace(/\/\*[\s\S]*?\*\//g, '').replace(/\/\/.*$/gm, '');
  const members = [];
  let next = 0;
  for (const item of body.split(',').map((s) => s.trim()).filter(Boolean)) {
    const m = /^(\w+)(?:\s*=\s*(-?(?:0[xX][0-9a-fA-F]+|\d+))u?)?$/.exec(item);
    if (!m) fail(path, `enum ${name}: cannot read "${item}"`);
    const value = m[2] === undefined ? next : Number(m[2]);
    members.push([m[1], value]);
    next = value + 1;
  }
  return members;
}

/** The value of an object-like macro made of numbers, other macros of the
 *  same file and + - * << ( ). */
function macro(path, name) {
  const text = read(path);
  const m = new RegExp(`#define\\s+${name}\\s+(.+)`).exec(text);
  if (!m) fail(path, `no #define ${name}`);
  const expr = m[1].replace(/\/\*.*$/, '').trim()
    .replace(/\b(0[xX][0-9a-fA-F]+|\d+)[uUlL]*\b/g, '$1')
    .replace(/\b[A-Za-z_]\w*\b/g, (id) => String(macro(path, id)));
  if (!/^[\d\sxXa-fA-F+\-*()<]+$/.test(expr)) fail(path, `${name}: cannot evaluate "${m[1]}"`);
  return Function(`return (${expr});`)();
}

/** A C++ `constexpr <type> <name> = <value>;` (static or not), its value
 *  made of numbers and + * << ( ). */
function constexpr(path, name) {
  const m = new RegExp(`constexpr\\s+\\w+\\s+${name}\\s*=\\s*([^;]+);`).exec(read(path));
  if (!m) fail(path, `no constexpr ${name}`);
  const expr = m[1].trim();
  if (!/^[\d\s+*<()]+$/.test(expr)) fail(path, `${name}: cannot evaluate "${expr}"`);
  return Function(`return (${expr});`)();
}

/** enum EventKind of binding/events.h as a TypeScript const enum: each
 *  member without its `k`, the comments as they are (in the same column). */
function eventKinds(path) {
  const lines = enumBody(path, 'EventKind').split('\n').filter((l) => l.trim());
  if (!lines.length) fail(path, 'enum EventKind is empty');
  const indent = /^\s*/.exec(lines[0])[0].length;
  return lines.map((l) => '  ' + l.slice(indent).replace(/^k(\w+ = \d+,)( +\/\/)/, '$1 $2').replace(/^k(\w)/, '$1'))
    .join('\n');
}

/** The 5.0 property table: each entry of props.c's defs[] with its id from
 *  packet.h and its value type. */
function properties() {
  const ids = new Map(enumMembers('native/include/tinymqtt/packet.h', 'tmq_prop_id'));
  const types = { T_BYTE: 'byte', T_U16: 'u16', T_VBI: 'vbi', T_U32: 'u32', T_STR: 'str', T_BIN: 'bin', T_PAIR: 'pair' };
  const src = read('native/src/props.c');
  const table = /defs\[\]\s*=\s*\{([\s\S]*?)\n\};/.exec(src);
  if (!table) fail('native/src/props.c', 'no defs[] table');
  const rows = [...table[1].matchAll(/\{\s*(TMQ_PROP_\w+)\s*,\s*(T_\w+)\s*,/g)];
  if (rows.length !== ids.size) fail('native/src/props.c', `defs[] has ${rows.length} rows, enum tmq_prop_id ${ids.size}`);
  return rows.map(([, id, type]) => {
    if (!ids.has(id)) fail('native/src/props.c', `${id} is not in enum tmq_prop_id`);
    if (!types[type]) fail('native/src/props.c', `${id}: unknown type ${type}`);
    return { name: id.replace(/^TMQ_PROP_/, ''), id: ids.get(id), type: types[type] };
  });
}

/** `export const NAME = value;` per member. */
function constants(members) {
  return members.map(([name, value]) => `export const ${name} = ${value};`).join('\n');
}

const hex = (n) => '0x' + n.toString(16).padStart(2, '0');
const text = `// Generated by scripts/gen-constants.mjs from the headers that own these
// values; do not edit. Run \`node scripts/gen-constants.mjs\` after changing
// one of them: test/constants.test.ts fails while this file differs.

/** Engine error numbers: enum tmq_err, native/include/tinymqtt/error.h. */
${constants(enumMembers('native/include/tinymqtt/error.h', 'tmq_err'))}

/** Client states: enum tmq_state, native/include/tinymqtt/client.h. */
${constants(enumMembers('native/include/tinymqtt/client.h', 'tmq_state'))}

/** Transport progress results (the wasm engine's JS transport returns them):
 *  enum tmq_io, native/include/tinymqtt/port.h. */
${constants(enumMembers('native/include/tinymqtt/port.h', 'tmq_io'))}

/** MQTT's largest packet, header included: TMQ_MAX_PACKET,
 *  native/include/tinymqtt/packet.h. */
export const MAX_PACKET = ${macro('native/include/tinymqtt/packet.h', 'TMQ_MAX_PACKET')};

/** Kinds of the events a batch carries (EVENT_FIELDS ints per event):
 *  enum EventKind, binding/events.h. */
export const enum EventKind {
${eventKinds('binding/events.h')}
}

/** Ints per event in a batch: client id, kind, a, b, c, d (kEventFields,
 *  binding/events.h). */
export const EVENT_FIELDS = ${constexpr('binding/events.h', 'kEventFields')};

/** Message flag (kMessageHasProps, binding/events.h): a property block
 *  precedes the payload at b, followed by its length as a little-endian
 *  uint32: data[b - 4 - len, b - 4). */
export const MESSAGE_HAS_PROPS = ${constexpr('binding/events.h', 'kMessageHasProps')};

/** Message flag (kMessageLargePayload, binding/events.h): the payload is
 *  the batch's next large payload (the handler's fourth argument), not in
 *  data; a property block still ends at b. */
export const MESSAGE_LARGE_PAYLOAD = ${constexpr('binding/events.h', 'kMessageLargePayload')};

/** The driver policies' figures (native/include/tinymqtt/drive.h) that the
 *  WebAssembly engine's driver times itself; the rules are the engine's
 *  (tmq_spin_*, tmq_coalesce_*): how long a wait for a reply awake lasts;
 *  how long a read is held while reads are coalesced, and the size of a
 *  read that is not held (the largest mark). */
export const SPIN_BUDGET_US = ${macro('native/include/tinymqtt/drive.h', 'TMQ_SPIN_BUDGET_US')};
export const COALESCE_MAX_DELAY_MS = ${macro('native/include/tinymqtt/drive.h', 'TMQ_COALESCE_MAX_DELAY_MS')};
export const COALESCE_MAX_MARK = ${macro('native/include/tinymqtt/drive.h', 'TMQ_COALESCE_MAX_MARK')};

/** What the addon gives every client's engine, which the WebAssembly engine
 *  gives it too (binding/client.cc): message slots (its in-flight window),
 *  incoming QoS 2 ids, room for an assigned client id, outgoing topic
 *  aliases (how many, the bytes of one) and incoming ones (at most how
 *  many, the bytes of one); and the engine WebSocket layer's buffers
 *  (binding/ws.h). */
export const MSG_SLOTS = ${constexpr('binding/client.cc', 'kMsgSlots')};
export const QOS2_IDS = ${constexpr('binding/client.cc', 'kQos2Ids')};
export const ASSIGNED_ID = ${constexpr('binding/client.cc', 'kAssignedId')};
export const OUT_ALIASES = ${constexpr('binding/client.cc', 'kOutAliases')};
export const OUT_ALIAS_SLOT = ${constexpr('binding/client.cc', 'kOutAliasSlot')};
export const IN_ALIASES_MAX = ${constexpr('binding/client.cc', 'kInAliasesMax')};
export const IN_ALIAS_SLOT = ${constexpr('binding/client.cc', 'kInAliasSlot')};
export const WS_TX = ${constexpr('binding/ws.h', 'kTx')};
export const WS_RX = ${constexpr('binding/ws.h', 'kRx')};

/** The events of one batch at most (kBatchEvents, binding/events.h), and
 *  the bytes of a batch's data past which it is handed over rather than
 *  copied (kCopyLimit, binding/deliver.h). */
export const BATCH_EVENTS = ${constexpr('binding/events.h', 'kBatchEvents')};
export const COPY_LIMIT = ${constexpr('binding/deliver.h', 'kCopyLimit')};

/** Value types of 5.0 properties: one byte (0 or 1), two-byte, four-byte and
 *  variable byte integers, UTF-8 string, binary data, string pair. */
export type PropertyType = 'byte' | 'u16' | 'u32' | 'vbi' | 'str' | 'bin' | 'pair';

/** Every 5.0 property the engine knows (MQTT 5.0, 2.2.2.2): its name in
 *  enum tmq_prop_id (native/include/tinymqtt/packet.h) without TMQ_PROP_,
 *  its identifier, and its type in native/src/props.c's table. */
export const PROPERTIES = [
${properties().map((p) => `  { name: '${p.name}', id: ${hex(p.id)}, type: '${p.type}' },`).join('\n')}
] as const satisfies readonly { name: string; id: number; type: PropertyType }[];
`;

let old = '';
try {
  old = read(OUT);
} catch {
  // not there yet
}
if (check) {
  if (old !== text) {
    const a = old.split('\n'), b = text.split('\n');
    const i = a.findIndex((line, k) => line !== b[k]);
    console.error(`gen-constants: ${OUT} differs from the headers from line ${i + 1}:\n` +
      `  has:    ${a[i] ?? '(end of file)'}\n  should: ${b[i] ?? '(end of file)'}\n` +
      'run node scripts/gen-constants.mjs');
    process.exit(1);
  }
} else if (old !== text) {
  writeFileSync(join(root, OUT), text);
  console.log(`gen-constants: wrote ${OUT}`);
}
