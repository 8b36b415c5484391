// The TLS flags (--cafile, --capath, --cert, --key, --insecure,
// --tls-version, --tls-alpn) as client options.
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import type { MqttClientOptions } from '../client.js';
import { CliError, EXIT } from './options.js';

/** The TLS flags' values as parseArgs gives them. */
export interface TlsFlags {
  cafile?: string; capath?: string; cert?: string; key?: string; insecure?: boolean;
  'tls-version'?: string; 'tls-alpn'?: string;
}

/** The versions --tls-version names, and what the engine can do with them:
 *  its TLS (mbedtls 2.28) speaks 1.2, and refuses anything older. */
const VERSIONS: Record<string, string | undefined> = {
  'tlsv1.2': undefined,
  'tlsv1.3': 'the engine\'s TLS (mbedtls 2.28) speaks TLS 1.2 only',
  'tlsv1.1': 'TLS 1.1 is obsolete and the engine refuses it (it speaks TLS 1.2)',
};

function readText(flag: string, file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (e) {
    throw new CliError(`${flag}: cannot read ${file} (${(e as Error).message})`, EXIT.usage);
  }
}

const CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g;

/** Every PEM certificate in the files of `dir` (c_rehash links included),
 *  each once; a directory with none is a usage error. */
function readCaDir(dir: string): string {
  let names: string[];
  try {
    names = readdirSync(dir).sort();
  } catch (e) {
    throw new CliError(`--capath: cannot read ${dir} (${(e as Error).message})`, EXIT.usage);
  }
  const certs = new Set<string>();
  for (const name of names) {
    let text: string;
    try {
      text = readFileSync(path.join(dir, name), 'utf8');
    } catch {
      continue;   // a subdirectory or an unreadable file holds no CA of ours
    }
    for (const cert of text.match(CERTIFICATE) ?? []) certs.add(cert);
  }
  if (certs.size === 0) throw new CliError(`--capath: no PEM certificate in ${dir}`, EXIT.usage);
  return [...certs].join('\n');
}

/** Client options from the TLS flags; any of --cafile, --capath, --cert,
 *  --insecure turns TLS on (wss for a -L ws:// `protocol`, else mqtts). */
export function tlsOptions(flags: TlsFlags, protocol: MqttClientOptions['protocol']): MqttClientOptions {
  const options: MqttClientOptions = {};
  if (flags.cafile !== undefined || flags.capath !== undefined || flags.cert !== undefined || flags.insecure)
    options.protocol = protocol === 'ws' || protocol === 'wss' ? 'wss' : 'mqtts';
  const cas = [flags.cafile !== undefined ? readText('--cafile', flags.cafile) : '', flags.capath !== undefined ? readCaDir(flags.capath) : ''];
  if (cas.some((ca) => ca !== '')) options.ca = cas.filter((ca) => ca !== '').join('\n');
  if ((flags.cert === undefined) !== (flags.key === undefined)) throw new CliError('--cert and --key go together', EXIT.usage);
  if (flags.cert !== undefined) options.cert = readText('--cert', flags.cert);
  if (flags.key !== undefined) options.key = readText('--key', flags.key);
  if (flags.insecure) options.rejectUnauthorized = false;
  const version = flags['tls-version'];
  if (version !== undefined) {
    if (!(version in VERSIONS)) throw new CliError(`--tls-version must be tlsv1.2, tlsv1.3 or tlsv1.1, not '${version}'`, EXIT.usage);
    const refusal = VERSIONS[version];
    if (refusal) throw new CliError(`--tls-version ${version}: ${refusal}`, EXIT.usage);
  }
  if (flags['tls-alpn'] !== undefined) options.ALPNProtocols = [flags['tls-alpn']];
  return options;
}
