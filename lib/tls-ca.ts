// options.ca: the trusted certificates as the engine's TLS takes them (PEM
// text, one or more certificates), from what Node users give: PEM text or a
// Buffer of it, an array of those (as Node's tls.connect takes), or the path
// of a directory of certificate files (as OpenSSL's CApath).
import { readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { argError } from './errors.js';
import { isList, readList, toBuffer } from './validate.js';

const PEM = '-----BEGIN ';
/** Files of a CA directory that may hold certificates: by extension, or
 *  OpenSSL's hashed names (c_rehash: 8 hex digits, a dot, a number). */
const CERT_FILE = /(\.(pem|crt|cer)|^[0-9a-f]{8}\.\d+)$/i;

/** The PEM text of every certificate file in directory `dir` (sorted by
 *  name); an MqttError naming `name` when it has none. */
function directoryText(name: string, dir: string): string {
  const texts: string[] = [];
  for (const file of readdirSync(dir).filter((f) => CERT_FILE.test(f)).sort()) {
    const full = path.join(dir, file);
    let text: string;
    try {
      if (!statSync(full).isFile()) continue;
      text = readFileSync(full, 'latin1');
    } catch (e) {
      throw argError(name, `names a directory whose file ${full} cannot be read (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
    }
    if (text.includes(PEM)) texts.push(text);
  }
  if (texts.length === 0) throw argError(name, `names a directory with no PEM certificate files (.pem, .crt, .cer, hashed names): ${dir}`);
  return texts.join('\n');
}

/** Whether `s` is the path of a directory (not PEM text). */
function isDirectory(s: string): boolean {
  if (s.includes(PEM) || s.includes('\0')) return false;
  try {
    return statSync(s).isDirectory();
  } catch {
    return false;
  }
}

/** One entry of options.ca as PEM text. */
function entryText(name: string, value: unknown): string {
  if (typeof value === 'string') return isDirectory(value) ? directoryText(name, value) : value;
  return toBuffer(name, value).toString('latin1');
}

/** options.ca (named `name` in errors) as one PEM text for the engine, or
 *  undefined when not given. */
export function caText(name: string, value: unknown): string | undefined {
  if (value === undefined) return undefined;
  if (!isList(value)) return entryText(name, value);
  const list = readList(name, value);
  if (list.length === 0) throw argError(name, 'must not be an empty array');
  return list.map((v, i) => entryText(`${name}[${i}]`, v)).join('\n');
}
