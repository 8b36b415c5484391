// Loads the WebAssembly engine in Node: dist/tinymqtt.wasm of the package
// (scripts/build-wasm makes it), over Node's sockets, with the engine's own
// WebSocket layer for ws:// and wss://.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { MqttError } from '../mqtt-error.js';
import type { Native } from '../native.js';
import { createWasmNative } from './native.js';
import { checkTlsOptions, nodeTransport } from './node-transport.js';

/** The engine's file in the package at `root`. */
export const wasmFile = (root: string): string => path.join(root, 'dist', 'tinymqtt.wasm');

/** The WebAssembly engine of the package at `root`, as a Native. Throws an
 *  MqttError (ERR_NO_WASM) when the file is missing. */
export function loadWasm(root: string): Native {
  let bytes: Uint8Array<ArrayBuffer>;
  try {
    bytes = new Uint8Array(readFileSync(wasmFile(root)));
  } catch (e) {
    throw new MqttError('ERR_NO_WASM', `tinymqtt's WebAssembly engine ${wasmFile(root)} cannot be read (${(e as Error).message}); ` +
      'build it with `npm run build:wasm`', undefined, e);
  }
  const { version } = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { version: string };
  return createWasmNative(new WebAssembly.Module(bytes), nodeTransport, { engineWebSocket: true, version, checkTls: checkTlsOptions });
}
